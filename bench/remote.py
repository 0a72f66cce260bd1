"""The sandbox platforms as remote services: the Google Ads and ActiveCampaign sandboxes run in a process
of their own over their own SQLite file, and the Operator reaches them through a connector that sends
each call there (pickled), as the real clients send requests to Google and ActiveCampaign.

Without this, the simulated platforms would spend the benchmark's CPU and hold its database lock — work
the real platforms do on their own servers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.probes import NOW

_platforms: dict[str, Any] = {}


def _start(path: str) -> None:
    """In the platform process: open the platforms' file and build the sandbox connectors."""
    from connectors.local import LocalStore
    from connectors.sandbox import SandboxWorld

    world = SandboxWorld(LocalStore.open(path), clock=lambda: NOW)
    _platforms.update({"google_ads": world.google_ads(), "activecampaign": world.activecampaign()})


def _serve(platform: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return getattr(_platforms[platform], method)(*args, **kwargs)


def seed(path: Path, fixture: Path) -> None:
    """Load the sandbox fixture into the platforms' own file."""
    from connectors.local import LocalStore
    from connectors.sandbox import SandboxWorld

    store = LocalStore.open(path)
    try:
        SandboxWorld(store).seed_fixture(fixture, NOW)
    finally:
        store.close()


class PlatformServer:
    """The platform process (one, like one remote endpoint per platform family)."""

    def __init__(self, path: Path) -> None:
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_start, initargs=(str(path),))
        self.pool.submit(len, ()).result()  # started and connected before the run is timed

    def connector(self, platform: Any) -> Remote:
        return Remote(self.pool, platform)

    def close(self) -> None:
        self.pool.shutdown()


class Remote:
    """A `PlatformConnector` whose platform lives in the platform process."""

    mode = "SANDBOX"

    def __init__(self, pool: ProcessPoolExecutor, platform: Any) -> None:
        self.pool, self.platform = pool, platform

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.pool.submit(_serve, self.platform.value, method, args, kwargs).result()

    def check_connection(self, account_id: str) -> None:
        self._call("check_connection", account_id)

    def snapshot(self, account_id: str, requests: Sequence[Any], now: datetime) -> Any:
        return self._call("snapshot", account_id, list(requests), now)

    def apply(self, account_id: str, batches: Sequence[Any], *, validate_only: bool = False) -> Any:
        return self._call("apply", account_id, list(batches), validate_only=validate_only)
