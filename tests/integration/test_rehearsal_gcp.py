"""The deploy guide's store steps rehearsed on the emulators through the installed CLI: `operator init`
(BigQuery dataset in EU), `operator orgs validate|import|list|show` into Firestore, and `operator doctor`
reporting the gcp stores reachable and each org's `sm:` credentials resolved through the Secret Manager
fake — then the same doctor with one secret missing names it and exits 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from operator_ai.settings import SAMPLES_DIR
from tests.integration.gcp import drop_dataset
from tests.integration.test_e2e_gcp import fresh_firestore  # noqa: F401 (a fixture)
from tests.servers.bigquery import BigQueryEmulator
from tests.servers.firestore import FirestoreEmulator
from tests.servers.secret_manager import FakeSecretManager

OPERATOR = str(Path(sys.executable).with_name("operator"))


def test_init_orgs_import_and_doctor_on_the_emulators(bigquery_emulator: BigQueryEmulator,
                                                      firestore_emulator: FirestoreEmulator, tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    firestore_host = request.getfixturevalue("fresh_firestore")  # an empty Firestore, as a new project has
    dataset = f"marketing_ai_{uuid.uuid4().hex[:8]}"
    secrets = FakeSecretManager(project=bigquery_emulator.project).start()
    orgs = yaml.safe_load((SAMPLES_DIR / "orgs.yaml").read_text())["organizations"]
    for org in orgs:  # credentials as Secret Manager references, as the deploy guide recommends
        org["google_ads_credentials_ref"] = "sm:google-ads"
        for account in org["connected"].get("activecampaign", []):
            account["token_ref"] = f"sm:{account['account_id']}-token"
    orgs_file = tmp_path / "orgs.yaml"
    orgs_file.write_text(yaml.safe_dump({"organizations": orgs}))
    secrets.add("google-ads", "developer_token: d\nrefresh_token: r\nclient_id: c\nclient_secret: s\n")
    secrets.add("acme-mail-token", "ac-token-acme")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "GOOGLE_ADS_"))}
    env.update(OPERATOR_BACKEND="gcp", OPERATOR_PLATFORMS="live", OPERATOR_GCP_PROJECT=bigquery_emulator.project,
               OPERATOR_BQ_DATASET=dataset, OPERATOR_BQ_ENDPOINT=bigquery_emulator.endpoint,
               OPERATOR_HOME=str(tmp_path / "home"), FIRESTORE_EMULATOR_HOST=firestore_host,
               OPERATOR_SECRET_MANAGER_ENDPOINT=secrets.endpoint)

    def operator(*args: str, code: int = 0) -> str:
        done = subprocess.run([OPERATOR, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
                              check=False)
        assert done.returncode == code, (args, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr and "ac-token-acme" not in done.stdout + done.stderr
        return done.stdout

    try:
        assert f"{dataset} (EU)" in operator("init")
        operator("orgs", "validate", str(orgs_file))
        imported = json.loads(operator("orgs", "import", str(orgs_file), "--actor", "ops@acme.example", "--json"))
        assert {r["organization_id"] for r in imported} >= {"org-acme", "org-globex", "org-initech"}
        shown = json.loads(operator("orgs", "show", "org-acme", "--json"))
        assert shown["history"][-1]["changed_by"] == "ops@acme.example"

        report = json.loads(operator("doctor", "--json", code=1))  # globex's token is not in Secret Manager
        assert report["mode"] == "LIVE" and report["store"]["backend"] == "gcp"
        assert all(c["ok"] for c in report["checks"]), report["checks"]
        by_org = {o["organization_id"]: o for o in report["organizations"]}
        assert by_org["org-acme"]["ok"] and by_org["org-initech"]["ok"]
        assert "sm:globex-mail-token" in by_org["org-globex"]["credentials"]

        secrets.add("globex-mail-token", "ac-token-globex")
        healthy = json.loads(operator("doctor", "--json"))
        assert healthy["ok"] is True
    finally:
        secrets.stop()
        drop_dataset(bigquery_emulator.client(), bigquery_emulator.project, dataset)
