"""The Firestore emulator for tests: Google's official one, or the npm fallback where it is absent.

The official emulator (google-cloud-cli-firestore-emulator, a Java jar) is the real implementation:
transactions are isolated, preconditions hold, and it has a reset endpoint. It ships with the gcloud
SDK on this machine image but no allowed registry can supply it, so where it is missing we fall back to
npm `@firestore-emulator/server` (an in-memory re-implementation whose transactions are NOT isolated;
tests that depend on isolation carry the `official_firestore` marker and skip only there). If neither
can run, starting fails loudly. `FS_EMULATOR=js` forces the fallback (to check it still works).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from tests.servers.procs import REPO, ManagedProcess, ServerStartError, free_port

FALLBACK_PACKAGE = "@firestore-emulator/server@0.3.15"
FALLBACK_DIR = REPO / ".venv-fsemu"  # gitignored (.venv-*/)
WRAPPER = Path(__file__).with_name("fs-emu.js")


def official_launcher() -> str | None:
    """The `cloud_firestore_emulator` launcher inside the gcloud SDK, if it and java are installed."""
    explicit = os.environ.get("FIRESTORE_EMULATOR_BIN")
    if explicit:
        return explicit
    gcloud = shutil.which("gcloud")
    if not gcloud or not shutil.which("java"):
        return None
    launcher = Path(gcloud).resolve().parents[1] / "platform" / "cloud-firestore-emulator" / "cloud_firestore_emulator"
    return str(launcher) if launcher.exists() else None


def _install_fallback() -> Path:
    """npm-install the fallback emulator once (npm is an allowed registry); answer its node_modules."""
    modules = FALLBACK_DIR / "node_modules"
    if (modules / "@firestore-emulator" / "server").is_dir():
        return modules
    if not shutil.which("node") or not shutil.which("npm"):
        raise ServerStartError("no Firestore emulator: the official one (gcloud SDK + java) is absent and "
                               "node/npm are not installed for the fallback " + FALLBACK_PACKAGE)
    FALLBACK_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(FALLBACK_DIR),
                           FALLBACK_PACKAGE], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise ServerStartError(f"npm install {FALLBACK_PACKAGE} failed:\n{done.stderr[-2000:]}")
    return modules


class FirestoreEmulator:
    """One emulator process on a free loopback port. `official` says which implementation runs."""

    def __init__(self, log_dir: Path, project: str = "test-project"):
        self.project = project
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        launcher = None if os.environ.get("FS_EMULATOR") == "js" else official_launcher()
        self.official = launcher is not None
        if launcher is not None:
            cmd = [launcher, "start", "--host=127.0.0.1", f"--port={self.port}", f"--project_id={project}"]
            env = dict(os.environ)
        else:
            modules = _install_fallback()
            cmd = ["node", str(WRAPPER), str(self.port)]
            env = {**os.environ, "NODE_PATH": str(modules)}
        self.process = ManagedProcess("firestore emulator", cmd, log_dir / "firestore.log", env)

    def start(self) -> FirestoreEmulator:
        self.process.start()
        if self.official:
            self.process.wait_http(f"http://{self.host}/", timeout_s=90)
        else:
            self.process.wait_tcp(self.port)
        # the Firestore client finds the emulator (and uses anonymous credentials) through this variable
        os.environ["FIRESTORE_EMULATOR_HOST"] = self.host
        return self

    def stop(self) -> None:
        self.process.stop()
        if os.environ.get("FIRESTORE_EMULATOR_HOST") == self.host:
            del os.environ["FIRESTORE_EMULATOR_HOST"]

    def reset(self) -> None:
        """Delete every document (official emulator). The fallback has no reset endpoint: callers
        isolate tests with a unique collection prefix instead (see `namespace`)."""
        if not self.official:
            return
        url = f"http://{self.host}/emulator/v1/projects/{self.project}/databases/(default)/documents"
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()

    @staticmethod
    def namespace() -> str:
        """A collection-name prefix unique to one test."""
        return f"t{uuid.uuid4().hex[:10]}_"

    def client(self) -> Any:
        """A Firestore client talking to this emulator."""
        from google.cloud import firestore

        return firestore.Client(project=self.project)
