"""The official Pub/Sub emulator (google-cloud-cli's `platform/pubsub-emulator`), started with its own
launcher on a free loopback port. Missing emulator or java → the fixture fails loudly, never skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.servers.procs import ManagedProcess, ServerStartError, free_port


def launcher() -> Path:
    explicit = os.environ.get("PUBSUB_EMULATOR_BIN")
    if explicit:
        return Path(explicit)
    gcloud = shutil.which("gcloud")
    if not gcloud:
        raise ServerStartError("the Pub/Sub emulator is missing: no gcloud on PATH (install google-cloud-cli and "
                               "google-cloud-cli-pubsub-emulator)")
    path = Path(gcloud).resolve().parent.parent / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
    if not path.exists():
        raise ServerStartError(f"the Pub/Sub emulator is missing: {path} does not exist "
                               "(apt-get install google-cloud-cli-pubsub-emulator)")
    if not shutil.which("java"):
        raise ServerStartError("the Pub/Sub emulator needs java (apt-get install default-jre-headless)")
    return path


class PubSubEmulator:
    def __init__(self, log_dir: Path, project: str = "test-project"):
        self.project = project
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.process = ManagedProcess("pubsub emulator", [str(launcher()), "--host=127.0.0.1", f"--port={self.port}"],
                                      log_dir / "pubsub-emulator.log")

    def start(self) -> PubSubEmulator:
        self.process.start()
        self.process.wait_http(f"http://{self.host}/", timeout_s=90)
        return self

    def stop(self) -> None:
        self.process.stop()
