"""The registry has exactly one spec per action type and dispatches by type only."""

from __future__ import annotations

from collections import Counter

import pytest

from rollback.registry import ALL_SPECS, UnknownActionTypeError, spec_for
from schemas.actions import ACTION_MODELS, ACTION_TYPES, parse_action
from schemas.snapshots import SnapshotPart
from tests.unit.rollback.scenarios import ORG, SCENARIOS, scenario


def test_every_action_type_has_exactly_one_spec() -> None:
    counts = Counter(spec.action_type for spec in ALL_SPECS)
    assert set(counts) == set(ACTION_TYPES)
    assert all(count == 1 for count in counts.values())
    assert set(SCENARIOS) == set(ACTION_TYPES)


@pytest.mark.parametrize("action_type", ACTION_TYPES)
def test_spec_for_type_and_action_agree(action_type: str) -> None:
    spec = spec_for(action_type)
    assert spec.model is ACTION_MODELS[action_type]
    assert spec.platform == ACTION_MODELS[action_type].platform
    _, action = scenario(action_type)
    assert spec_for(action) is spec


def test_unknown_type_is_a_clear_error() -> None:
    with pytest.raises(UnknownActionTypeError, match="create_campaign"):
        spec_for("create_campaign")


def test_a_spec_refuses_another_types_action() -> None:
    _, action = scenario("pause_campaign")
    with pytest.raises(TypeError, match="adjust_campaign_budget"):
        spec_for("adjust_campaign_budget").facts(action, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("action_type", "parts"), [
    ("pause_campaign", {SnapshotPart.ACCOUNT, SnapshotPart.CAMPAIGN, SnapshotPart.PERFORMANCE, SnapshotPart.CHANGES}),
    ("adjust_campaign_budget", {SnapshotPart.ACCOUNT, SnapshotPart.CAMPAIGN, SnapshotPart.BUDGET,
                                SnapshotPart.PERFORMANCE, SnapshotPart.CHANGES}),
    ("add_negative_keywords", {SnapshotPart.CAMPAIGN, SnapshotPart.NEGATIVES, SnapshotPart.SEARCH_TERMS,
                               SnapshotPart.CHANGES}),
    ("adjust_keyword_bid", {SnapshotPart.KEYWORD, SnapshotPart.CHANGES}),
    ("change_bid_strategy", {SnapshotPart.CAMPAIGN, SnapshotPart.CHANGES}),
    ("create_subject_line_test", {SnapshotPart.EMAIL_CAMPAIGN, SnapshotPart.CHANGES}),  # AC mdate
    ("trigger_automation", {SnapshotPart.AUTOMATION}),
    ("flag_content_refresh", {SnapshotPart.CONTENT}),
])
def test_snapshot_request_parts(action_type: str, parts: set[SnapshotPart]) -> None:
    _, action = scenario(action_type)
    request = spec_for(action).snapshot_request(action, "k1", 7, ORG)
    assert request.parts == parts
    assert (request.key, request.organization_id, request.window_days) == ("k1", ORG, 7)
    assert request.account_id == action.account_id()


def test_snapshot_request_carries_the_target_ids() -> None:
    _, keyword = scenario("adjust_keyword_bid")
    request = spec_for(keyword).snapshot_request(keyword, "k", 14, ORG)
    assert (request.ad_group_id, request.criterion_id) == ("222", "333")
    _, automation = scenario("trigger_automation")
    request = spec_for(automation).snapshot_request(automation, "k", 14, ORG)
    assert request.automation_id == "42"
    assert request.contact_emails == ("A@acme.example", "b@acme.example", "c@acme.example")
    brief = parse_action({"type": "generate_content_brief", "target": {"topic": "widget care"}})
    request = spec_for(brief).snapshot_request(brief, "k", 14, ORG)
    assert (request.topic, request.url, request.account_id) == ("widget care", None, "content")
