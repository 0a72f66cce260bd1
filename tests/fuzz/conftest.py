"""The fuzz and bad-input tests run without deployment variables (they would change what is built)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OPERATOR_", "ANTHROPIC_")):
            monkeypatch.delenv(name)
