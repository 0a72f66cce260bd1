"""`operator init` on the gcp backend creates the BigQuery dataset, tables and views, and is safe to re-run."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.integration.gcp import drop_dataset
from tests.servers.bigquery import BigQueryEmulator
from tests.servers.firestore import FirestoreEmulator

OPERATOR = str(Path(sys.executable).with_name("operator"))


def _init(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPERATOR, "init"], env=env, capture_output=True, text=True, timeout=120)


def test_init_creates_the_dataset_and_is_idempotent(bigquery_emulator: BigQueryEmulator,
                                                    firestore_emulator: FirestoreEmulator, tmp_path: Path) -> None:
    dataset = f"marketing_ai_{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPERATOR_")}
    env.update(OPERATOR_BACKEND="gcp", OPERATOR_GCP_PROJECT=bigquery_emulator.project, OPERATOR_BQ_DATASET=dataset,
               OPERATOR_BQ_ENDPOINT=bigquery_emulator.endpoint, OPERATOR_HOME=str(tmp_path / "home"),
               FIRESTORE_EMULATOR_HOST=firestore_emulator.host)
    client = bigquery_emulator.client()
    try:
        first = _init(env)
        assert first.returncode == 0, first.stderr
        assert f"{bigquery_emulator.project}.{dataset} (EU)" in first.stdout  # the guide's region, not US
        assert client.get_dataset(f"{bigquery_emulator.project}.{dataset}").location == "EU"
        tables = {t.table_id for t in client.list_tables(f"{bigquery_emulator.project}.{dataset}")}
        assert {"actions_log", "experiments", "opportunities", "actions_latest"} <= tables
        second = _init(env)
        assert second.returncode == 0, second.stderr
        assert {t.table_id for t in client.list_tables(f"{bigquery_emulator.project}.{dataset}")} == tables
    finally:
        drop_dataset(client, bigquery_emulator.project, dataset)
