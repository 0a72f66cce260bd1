"""negatives_protect_converters, automation_volume, irreversible."""

from __future__ import annotations

import pytest

from guardrails.rules.safety import (
    automation_volume,
    irreversible,
    negative_matches,
    negatives_protect_converters,
    parse_negative,
)
from schemas.common import Outcome
from schemas.facts import negative_keyword_notation
from schemas.records import Reversibility
from tests.unit.guardrails import factories as f

ALLOW, APPROVE, BLOCK = Outcome.ALLOW, Outcome.NEEDS_APPROVAL, Outcome.BLOCK


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("keyword", "match_type", "term", "matches"),
    [
        ("free widgets", "EXACT", "free widgets", True),
        ("free widgets", "EXACT", "  FREE   Widgets ", True),
        ("free widgets", "EXACT", "free widgets online", False),
        ("free widgets", "EXACT", "widgets free", False),
        ("free widgets", "PHRASE", "get free widgets now", True),
        ("free widgets", "PHRASE", "free  WIDGETS", True),
        ("free widgets", "PHRASE", "free blue widgets", False),
        ("free widgets", "PHRASE", "widgets free", False),
        ("free", "PHRASE", "freebies", False),  # whole words only
        ("free widgets", "BROAD", "widgets for free", True),
        ("free widgets", "BROAD", "free blue widgets", True),
        ("free widgets", "BROAD", "free gadgets", False),
        ("widgets", "BROAD", "widget", False),
    ],
)
def test_negative_matching(keyword: str, match_type: str, term: str, matches: bool) -> None:
    assert negative_matches(keyword, match_type, term) is matches


@pytest.mark.parametrize("match_type", ["EXACT", "PHRASE", "BROAD"])
def test_notation_round_trip(match_type: str) -> None:
    assert parse_negative(negative_keyword_notation("Free  Widgets", match_type)) == ("free widgets", match_type)


def test_bare_keyword_reads_as_broad() -> None:
    assert parse_negative("free widgets") == ("free widgets", "BROAD")


# --------------------------------------------------------------------------- negatives_protect_converters


TERMS = (
    f.search_term("cheap widgets", 0),
    f.search_term("buy blue widgets", 3),
    f.search_term("widgets for sale", "0.5"),
)


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        (("cheap", "PHRASE"), ALLOW),  # only matches a term without conversions
        (("buy blue widgets", "EXACT"), BLOCK),
        (("buy widgets", "EXACT"), ALLOW),
        (("blue widgets", "PHRASE"), BLOCK),
        (("buy widgets", "PHRASE"), ALLOW),
        (("buy widgets", "BROAD"), BLOCK),
        (("sale", "BROAD"), BLOCK),  # fractional conversions count
    ],
)
def test_negatives_protect_converters(keyword: tuple[str, str], expected: Outcome) -> None:
    assert negatives_protect_converters(f.negatives_ctx((keyword,), TERMS)).outcome == expected


def test_block_names_the_terms_and_keywords() -> None:
    result = negatives_protect_converters(f.negatives_ctx((("widgets", "BROAD"), ("cheap", "EXACT")), TERMS))
    assert result.outcome == BLOCK
    assert "'buy blue widgets'" in result.message and "'widgets for sale'" in result.message
    assert result.observed["would_block"] == {"widgets": ["buy blue widgets", "widgets for sale"]}
    assert "cheap widgets" not in result.observed["converting_terms"]


def test_unread_search_terms_fail_closed() -> None:
    assert negatives_protect_converters(f.negatives_ctx((("cheap", "EXACT"),), None)).outcome == BLOCK


def test_no_negatives_not_applicable() -> None:
    assert negatives_protect_converters(f.pause_ctx()).applies is False


# --------------------------------------------------------------------------- automation_volume


@pytest.mark.parametrize(("count", "expected"), [(999, ALLOW), (1000, ALLOW), (1001, APPROVE)])
def test_automation_volume_boundaries(count: int, expected: Outcome) -> None:
    result = automation_volume(f.automation_ctx(count))
    assert result.outcome == expected
    assert result.observed["contact_count"] == count


def test_any_unsubscribed_contact_blocks() -> None:
    result = automation_volume(f.automation_ctx(5, unsubscribed=(3,)))
    assert result.outcome == BLOCK
    assert result.observed["unsubscribed"] == ["4"]
    # Unsubscribed beats volume.
    assert automation_volume(f.automation_ctx(1001, unsubscribed=(0,))).outcome == BLOCK


def test_automation_unread_fails_closed_and_tightens() -> None:
    assert automation_volume(f.automation_ctx(3, snap=None)).outcome == BLOCK
    assert automation_volume(f.automation_ctx(11, lim=f.limits(automation_contacts_approval_above=10))).outcome == (
        APPROVE
    )
    assert automation_volume(f.pause_ctx()).applies is False


# --------------------------------------------------------------------------- irreversible


def test_irreversible_needs_approval() -> None:
    ctx = f.context(change=f.budget_facts(100, 110, reversibility=Reversibility.NONE))
    result = irreversible(ctx)
    assert result.outcome == APPROVE
    assert result.observed["reversibility"] == "none"


def test_partially_reversible_allowed_and_says_so() -> None:
    result = irreversible(f.automation_ctx(3))
    assert result.outcome == ALLOW
    assert "emails already sent" in result.message
    assert result.observed["irreversible_parts"] == ["emails already sent"]


def test_fully_reversible_allowed() -> None:
    assert irreversible(f.pause_ctx()).outcome == ALLOW
