"""Fixtures for the end-to-end tests: a fresh embedded default in tmp_path, a controllable clock, and
a factory that builds services (optionally with a fault plan or apply hooks) on the same or a new home."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Clock, Env, build_env, scratch_dir

# Variables that would change what the services are built from; tests run without them.
_ENV_PREFIXES = ("OPERATOR_", "ANTHROPIC_")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """Where the SQLite files go: a RAM disk when there is one, else tmp_path. The store syncs every
    write to disk (synchronous=FULL, for the write-ahead rows), which makes these tests I/O-bound and
    four times slower on a real disk; durability across power loss is not what they check."""
    with scratch_dir(tmp_path) as path:
        yield path


@pytest.fixture
def make_env(scratch: Path, clock: Clock) -> Iterator[Callable[..., Env]]:
    """`make_env(**kw)` builds an `Env` (see `harness.build_env`); the default home is scratch/home.
    Building twice on one home simulates two processes. Everything built is closed at the end."""
    built: list[Env] = []

    def make(home: Path | None = None, **kwargs: Any) -> Env:
        env = build_env(home or scratch / "home", clock, **kwargs)
        built.append(env)
        return env

    yield make
    for env in built:
        env.close()


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    """A fresh embedded default seeded with the bundled samples."""
    return make_env()
