"""The port suite's one fixture: `stores`, parametrised over every backend in `backends.BACKENDS`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ports.backends import BACKENDS


@pytest.fixture(params=sorted(BACKENDS))
def stores(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from BACKENDS[request.param](request)
