"""`jsonable` (the rules' `observed` values) takes exact plain types first, for speed: its answers must be
those of the plain isinstance chain it short-cuts, for every kind of value a rule may observe."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from guardrails.rules._common import jsonable
from schemas.common import Outcome, Platform
from schemas.verdict import RuleResult


def reference(value: Any) -> Any:
    """The chain as it was before the fast path."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [reference(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


class Level(IntEnum):
    LOW = 1


class Name(str):
    """A str subclass: not the exact type, so it takes the chain."""


leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.dates(),
    st.datetimes(timezones=st.just(UTC)), st.sampled_from([Outcome.BLOCK, Platform.GOOGLE_ADS, Level.LOW]),
    st.builds(Name, st.text(max_size=3)),
    st.just(RuleResult(rule_id="r", outcome=Outcome.ALLOW, message="m", observed={"x": Decimal("1.50")})),
)
keys = st.one_of(st.text(max_size=4), st.integers(), st.sampled_from([Outcome.ALLOW, Level.LOW]))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(keys, inner, max_size=4),
    st.dictionaries(keys, inner, max_size=3).map(OrderedDict),
    st.frozensets(st.text(max_size=3), max_size=3), st.sets(st.integers(), max_size=3)), max_leaves=20)


@given(values)
def test_jsonable_answers_as_the_isinstance_chain_did(value):
    got, expected = jsonable(value), reference(value)
    assert got == expected
    assert repr(got) == repr(expected)  # same types too (True stays True, not 1; "1" stays a str)


def test_subclasses_of_plain_types_are_not_taken_for_them():
    assert jsonable({"outcome": Outcome.BLOCK, "level": Level.LOW, "flag": True}) == {
        "outcome": "block", "level": 1, "flag": True}
    assert type(jsonable({"n": Level.LOW})["n"]) is int
    assert jsonable({1: (Decimal("2.50"), date(2026, 1, 2))}) == {"1": ["2.50", "2026-01-02"]}
