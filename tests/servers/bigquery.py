"""bqemulator (DuckDB-backed BigQuery REST emulator) for tests, run from its own venv.

`./dev test` creates that venv from tests/servers/requirements-bqemu.txt and exports BQEMU_BIN and
BQEMU_HOME (the HOME under which the DuckDB extensions were pre-installed from PyPI: the emulator
would otherwise try to download them at start and die). Without the binary, starting fails loudly.
Known emulator deviations the adapters cope with: insert ids are not de-duplicated, a bad row answers
HTTP 500 (which the client would retry), JSON columns read back as STRING in `tables.get`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.servers.procs import REPO, ManagedProcess, ServerStartError, free_port

DEFAULT_VENV = REPO / ".venv-bqemu"


def emulator_paths() -> tuple[Path, Path]:
    binary = Path(os.environ.get("BQEMU_BIN") or DEFAULT_VENV / "bin" / "bqemulator")
    home = Path(os.environ.get("BQEMU_HOME") or DEFAULT_VENV / "home")
    if not binary.exists():
        raise ServerStartError(
            f"bqemulator not found at {binary}. Run `./dev test`, or create its venv by hand: "
            "python3 -m venv .venv-bqemu && .venv-bqemu/bin/pip install -r tests/servers/requirements-bqemu.txt "
            "&& mkdir -p .venv-bqemu/home && HOME=.venv-bqemu/home .venv-bqemu/bin/python -c "
            "\"import duckdb_extensions as d; d.import_extension('spatial'); d.import_extension('avro')\"")
    if not (home / ".duckdb" / "extensions").is_dir():
        raise ServerStartError(f"DuckDB extensions are not pre-installed under {home}/.duckdb: the emulator "
                               "would try to download them at start (see tests/servers/bigquery.py)")
    return binary, home


class BigQueryEmulator:
    """One bqemulator on free loopback ports. With `data_dir` it is file-backed, so it can be stopped
    and started again (same ports) with its tables intact: that is how the outbox test takes BigQuery
    away mid-run."""

    def __init__(self, log_dir: Path, project: str = "test-project", data_dir: Path | None = None):
        binary, home = emulator_paths()
        self.project = project
        self.rest_port = free_port()
        self.grpc_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.rest_port}"
        cmd = [str(binary), "start", "--rest-host", "127.0.0.1", "--rest-port", str(self.rest_port),
               "--grpc-host", "127.0.0.1", "--grpc-port", str(self.grpc_port), "--project", project,
               "--log-level", "warning"]
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            cmd += ["--persistent", "--data-dir", str(data_dir)]
        env = {**os.environ, "HOME": str(home)}
        self.process = ManagedProcess("bqemulator", cmd, log_dir / f"bqemulator-{self.rest_port}.log", env)

    def start(self) -> BigQueryEmulator:
        self.process.start()
        self.process.wait_http(f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets", timeout_s=60)
        return self

    def stop(self) -> None:
        self.process.stop()

    def client(self) -> Any:
        from connectors.bigquery import make_bigquery_client

        return make_bigquery_client(self.project, endpoint=self.endpoint)
