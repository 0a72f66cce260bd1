"""The sandbox platforms as remote services: the Google Ads and ActiveCampaign sandboxes run in a process
of their own over their own SQLite file, and the Operator reaches them through a connector that sends
each call there over a local socket (pickled), as the real clients send requests to Google and
ActiveCampaign. The platform process answers each connection on its own thread.

Without this, the simulated platforms would spend the benchmark's CPU and hold its database lock — work
the real platforms do on their own servers.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from bench.probes import NOW, CountingLog, Slow


def seed(path: Path, fixture: Path) -> None:
    """Load the sandbox fixture into the platforms' own file."""
    from connectors.local import LocalStore
    from connectors.sandbox import SandboxWorld

    store = LocalStore.open(path)
    try:
        SandboxWorld(store).seed_fixture(fixture, NOW)
    finally:
        store.close()


def _answer(platforms: dict[str, Any], conn: Connection) -> None:
    """One client connection: (platform, method, args, kwargs) in, ("ok", value) or ("error", exception) out."""
    with conn:
        while True:
            try:
                platform, method, args, kwargs = conn.recv()
            except EOFError:
                return
            try:
                conn.send(("ok", getattr(platforms[platform], method)(*args, **kwargs)))
            except Exception as error:  # the platform's answer, raised again on the caller's side
                conn.send(("error", error))


def _serve(address: str, path: str, ready: Any) -> None:
    """The platform process: the sandbox connectors over their file, one thread per connection."""
    from connectors.local import LocalStore
    from connectors.sandbox import SandboxWorld

    world = SandboxWorld(LocalStore.open(path), clock=lambda: NOW)
    platforms = {"google_ads": world.google_ads(), "activecampaign": world.activecampaign()}
    with Listener(address, family="AF_UNIX") as listener:
        ready.set()
        while True:
            conn = listener.accept()
            threading.Thread(target=_answer, args=(platforms, conn), daemon=True).start()


class PlatformServer:
    """Starts the platform process and hands out connectors to it."""

    def __init__(self, path: Path) -> None:
        self.address = str(path.with_suffix(".sock"))
        context = multiprocessing.get_context("fork")  # nothing holds the file open yet: safe to fork
        ready = context.Event()
        self.process = context.Process(target=_serve, args=(self.address, str(path), ready), daemon=True)
        self.process.start()
        if not ready.wait(60):
            raise RuntimeError("the platform process did not start")

    def connector(self, platform: Any) -> Remote:
        return Remote(self.address, platform)

    def cpu_seconds(self) -> float:
        """CPU time the platform process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.join(10)


class Remote:
    """A `PlatformConnector` whose platform lives in the platform process (one connection per thread)."""

    mode = "SANDBOX"

    def __init__(self, address: str, platform: Any) -> None:
        self.address, self.platform = address, platform
        self._local = threading.local()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Client(self.address, family="AF_UNIX")
        conn.send((self.platform.value, method, args, kwargs))
        status, value = conn.recv()
        if status == "error":
            raise value
        return value

    def check_connection(self, account_id: str) -> None:
        self._call("check_connection", account_id)

    def snapshot(self, account_id: str, requests: Sequence[Any], now: datetime) -> Any:
        return self._call("snapshot", account_id, list(requests), now)

    def apply(self, account_id: str, batches: Sequence[Any], *, validate_only: bool = False) -> Any:
        return self._call("apply", account_id, list(batches), validate_only=validate_only)


def instrument(address: str, latency: float, services: Any) -> Callable[[], dict[str, Any]]:
    """In an Operator process: the Google Ads and ActiveCampaign connectors go to the platform process, every
    platform call takes `latency` seconds and is counted, log writes are counted. Returns the counts' reader."""
    from schemas.common import Platform

    calls: Counter[str] = Counter()
    remote = {p: Remote(address, p) for p in (Platform.GOOGLE_ADS, Platform.ACTIVECAMPAIGN)}
    services.connectors = {p: Slow(c, latency, calls) for p, c in {**services.connectors, **remote}.items()}
    log = CountingLog(services.log)
    services.log = log
    return lambda: {"calls": dict(calls), "writes": log.writes, "rows": log.rows}
