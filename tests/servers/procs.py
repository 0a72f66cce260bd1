"""Process plumbing shared by every server helper: free ports, readiness polling, stop by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class ServerStartError(RuntimeError):
    """A server could not be started: the message names the binary, the command and the log tail."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ManagedProcess:
    """One server process in its own session (so stopping it also stops the children it spawns)."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None):
        self.name = name
        self.cmd = list(cmd)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                             start_new_session=True)
            except OSError as error:
                raise ServerStartError(f"{self.name}: cannot start {self.cmd[0]}: {error}") from error

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fail(self, why: str) -> ServerStartError:
        return ServerStartError(f"{self.name}: {why}\ncommand: {' '.join(self.cmd)}\n"
                                f"log {self.log_path}:\n{log_tail(self.log_path)}")

    def wait_http(self, url: str, timeout_s: float = 60.0) -> float:
        """Poll until `url` answers at all (any HTTP status counts as up); return the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if not self.running:
                raise self.fail(f"exited with code {self.proc.returncode if self.proc else None} during start")
            try:
                urllib.request.urlopen(url, timeout=1).close()
                return time.monotonic() - started
            except urllib.error.HTTPError:
                return time.monotonic() - started
            except OSError:
                time.sleep(0.1)
        raise self.fail(f"not ready after {timeout_s:.0f}s ({url})")

    def wait_tcp(self, port: int, timeout_s: float = 30.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if not self.running:
                raise self.fail(f"exited with code {self.proc.returncode if self.proc else None} during start")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return time.monotonic() - started
            except OSError:
                time.sleep(0.05)
        raise self.fail(f"port {port} not open after {timeout_s:.0f}s")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL if it lingers. Safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
