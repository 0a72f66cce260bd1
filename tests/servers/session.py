"""Emulators shared by a whole pytest session, started on first use and stopped at session end.

Fixtures in different test folders (tests/integration, tests/ports, later HTTP and Pub/Sub tests) all
get the same processes through `shared(config)`, so one session starts each emulator at most once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.servers.bigquery import BigQueryEmulator
from tests.servers.firestore import FirestoreEmulator

_E = TypeVar("_E", FirestoreEmulator, BigQueryEmulator)


class SharedEmulators:
    def __init__(self, config: pytest.Config):
        self._config = config
        self.log_dir = Path(tempfile.mkdtemp(prefix="operator-emulators-"))
        self._firestore: FirestoreEmulator | None = None
        self._bigquery: BigQueryEmulator | None = None
        self._failed: dict[str, Exception] = {}  # a failed start is reported to every test, not retried

    def firestore(self) -> FirestoreEmulator:
        if self._firestore is None:
            self._firestore = self._start("firestore", lambda: FirestoreEmulator(self.log_dir))
        return self._firestore

    def bigquery(self) -> BigQueryEmulator:
        if self._bigquery is None:
            self._bigquery = self._start("bigquery", lambda: BigQueryEmulator(self.log_dir))
        return self._bigquery

    def _start(self, name: str, make: Callable[[], _E]) -> _E:
        if name in self._failed:
            raise self._failed[name]
        try:
            emulator = make()
            self._config.add_cleanup(emulator.stop)
            emulator.start()
        except Exception as error:
            self._failed[name] = error
            raise
        return emulator


_KEY = pytest.StashKey[SharedEmulators]()


def shared(config: pytest.Config) -> SharedEmulators:
    if _KEY not in config.stash:
        config.stash[_KEY] = SharedEmulators(config)
    return config.stash[_KEY]
