"""Per-type knowledge: what blocks an action, the facts the guardrails judge, and the exact operations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rollback.registry import spec_for
from schemas.actions import Action, BiddingScheme, parse_action
from schemas.operations import (
    ArchiveArtifact,
    CreateSubjectLineTestOp,
    EnrollContacts,
    SetEmailCampaignStatus,
    SetKeywordBid,
    SetSendTime,
    StoreArtifact,
    UnenrollContacts,
)
from schemas.records import Reversibility
from schemas.snapshots import Snapshot
from tests.unit.rollback.fakes import FakePlatform, FakeWorld, connectors_for
from tests.unit.rollback.scenarios import CUSTOMER, NOW, ORG, SCENARIOS, action_id, scenario

ACT = action_id(7)


def snap(world: FakeWorld, action: Action, at: Any = NOW) -> Snapshot:
    spec = spec_for(action)
    request = spec.snapshot_request(action, ACT, 14, ORG)
    platform: FakePlatform = connectors_for(world)[spec.platform]
    return platform.snapshot(request.account_id, [request], at)[ACT]


def reason(world: FakeWorld, action: Action, at: Any = NOW) -> str | None:
    return spec_for(action).validate_against(action, snap(world, action, at), at)


def variant(action_type: str, **params: Any) -> Action:
    raw = dict(SCENARIOS[action_type][1])
    raw["params"] = params
    return parse_action(raw)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("action_type", ["pause_campaign", "adjust_campaign_budget", "add_negative_keywords",
                                         "change_bid_strategy"])
def test_campaign_missing_or_removed_blocks(action_type: str) -> None:
    world, action = scenario(action_type)
    world.campaigns["111"]["status"] = "REMOVED"
    assert reason(world, action) == "campaign 111 is removed"
    del world.campaigns["111"]
    assert "campaign 111 not found" in (reason(world, action) or "")


def test_pausing_a_paused_campaign_is_nothing_to_do() -> None:
    world, action = scenario("pause_campaign")
    world.campaigns["111"]["status"] = "PAUSED"
    assert "already paused" in (reason(world, action) or "")


def test_budget_without_change_is_nothing_to_do() -> None:
    world, _ = scenario("adjust_campaign_budget")
    assert "already 100.00" in (reason(world, variant("adjust_campaign_budget", new_daily_budget="100")) or "")


def test_negatives_dedupe_and_reject_only_when_nothing_is_left() -> None:
    world, action = scenario("add_negative_keywords")
    (op,) = spec_for(action).operations(action, snap(world, action), ACT)
    assert [(k.text, k.match_type) for k in op.keywords] == [("cheap widgets", "PHRASE"),  # type: ignore[union-attr]
                                                             ("diy widgets", "EXACT")]
    only_existing = variant("add_negative_keywords", keywords=[{"text": "FREE widgets"}])
    assert "already exist" in (reason(world, only_existing) or "")
    other_match_type = variant("add_negative_keywords", keywords=[{"text": "free widgets", "match_type": "PHRASE"}])
    assert reason(world, other_match_type) is None


def test_keyword_bid_needs_manual_cpc_and_a_live_keyword() -> None:
    world, action = scenario("adjust_keyword_bid")
    world.keywords[("222", "333")].strategy = "maximize_conversions"
    assert "manual CPC" in (reason(world, action) or "")
    world.keywords[("222", "333")].strategy = "manual_cpc"
    world.keywords[("222", "333")].status = "REMOVED"
    assert "removed" in (reason(world, action) or "")
    del world.keywords[("222", "333")]
    assert "not found" in (reason(world, action) or "")


def test_same_bidding_scheme_is_nothing_to_do() -> None:
    world, action = scenario("change_bid_strategy")
    world.campaigns["111"]["bidding"] = BiddingScheme(strategy="maximize_conversions", target_cpa=Decimal("25.00"))
    assert "nothing to do" in (reason(world, action) or "")


@pytest.mark.parametrize("action_type", ["create_subject_line_test", "adjust_send_time"])
def test_email_changes_need_a_draft_or_scheduled_campaign(action_type: str) -> None:
    world, action = scenario(action_type)
    world.email_campaigns["7"]["status"] = 0
    assert reason(world, action) is None
    world.email_campaigns["7"]["status"] = 2
    assert "sending (status 2)" in (reason(world, action) or "")
    del world.email_campaigns["7"]
    assert "not found" in (reason(world, action) or "")


@pytest.mark.parametrize(("send_in", "fragment"), [(timedelta(hours=-1), "in the past"),
                                                   (timedelta(minutes=10), "within 15 minutes")])
def test_send_time_in_the_past_or_within_the_margin_blocks(send_in: timedelta, fragment: str) -> None:
    world, _ = scenario("adjust_send_time")
    assert fragment in (reason(world, variant("adjust_send_time", send_at=(NOW + send_in).isoformat())) or "")


def test_send_time_of_a_campaign_about_to_send_blocks() -> None:
    world, action = scenario("adjust_send_time")
    world.email_campaigns["7"]["scheduled_at"] = NOW + timedelta(minutes=5)
    assert "about to send" in (reason(world, action) or "")


def test_pause_email_campaign_only_when_sending_and_not_a_series() -> None:
    world, action = scenario("pause_email_campaign")
    assert reason(world, action) is None
    world.email_campaigns["8"]["status"] = 1
    assert "scheduled (status 1)" in (reason(world, action) or "")
    world.email_campaigns["8"].update(status=2, series_id="5")
    assert "series 5" in (reason(world, action) or "")


def test_automation_inactive_unknown_contacts_and_nothing_to_do() -> None:
    world, action = scenario("trigger_automation")
    assert reason(world, action) is None  # c@ is unsubscribed: the automation_volume rule blocks it, not this
    world.automations["42"]["status"] = 2
    assert "inactive" in (reason(world, action) or "")
    world.automations["42"]["status"] = 1
    unknown = variant("trigger_automation", contact_ids=["101", "999"])
    assert "unknown" in (reason(world, unknown) or "") and "999" in (reason(world, unknown) or "")
    assert "already in automation 42" in (reason(world, variant("trigger_automation", contact_ids=["101"])) or "")


def test_already_flagged_page_is_nothing_to_do() -> None:
    world, action = scenario("flag_content_refresh")
    world.content["https://acme.example/widgets"]["flag"] = True
    assert "already flagged" in (reason(world, action) or "")


# --------------------------------------------------------------------------- facts


@pytest.mark.parametrize(("params", "after", "increasing", "cut"), [
    ({"change_pct": "10"}, "110.00", True, False),
    ({"change_pct": "-25"}, "75.00", False, True),
    ({"change_pct": "15.5"}, "115.50", True, False),
    ({"new_daily_budget": "80"}, "80", False, True),
])
def test_budget_facts_resolve_change_pct_against_the_snapshot(params: dict[str, str], after: str,
                                                              increasing: bool, cut: bool) -> None:
    world, _ = scenario("adjust_campaign_budget")
    action = variant("adjust_campaign_budget", **params)
    facts = spec_for(action).facts(action, snap(world, action))
    assert (facts.budget_before, facts.budget_after) == (Decimal("100.00"), Decimal(after))
    assert (facts.spend_increasing, facts.changes_campaign_spend) == (increasing, cut)
    assert facts.entity_key == facts.campaign_key == f"google_ads:{CUSTOMER}:campaign:111"


def test_budget_change_pct_rounds_to_cents() -> None:
    world, _ = scenario("adjust_campaign_budget")
    world.budgets["501"] = Decimal("33.33")
    action = variant("adjust_campaign_budget", change_pct="15")
    assert spec_for(action).facts(action, snap(world, action)).budget_after == Decimal("38.33")


def test_inherited_keyword_bid_facts_and_rollback_clears_it() -> None:
    world, action = scenario("adjust_keyword_bid")
    snapshot = snap(world, action)
    spec = spec_for(action)
    facts = spec.facts(action, snapshot)
    assert (facts.bid_before, facts.bid_after) == (Decimal("1.00"), Decimal("1.10"))
    assert facts.entity_key == f"google_ads:{CUSTOMER}:keyword:222~333"
    assert facts.campaign_key == f"google_ads:{CUSTOMER}:campaign:111"
    assert facts.spend_increasing and not facts.changes_campaign_spend
    (inverse,) = spec.rollback_plan(action, snapshot, ACT).inverse_ops
    assert isinstance(inverse, SetKeywordBid) and inverse.cpc_bid is None


def test_own_keyword_bid_is_restored_not_cleared() -> None:
    world, _ = scenario("adjust_keyword_bid")
    world.keywords[("222", "333")].cpc_bid = Decimal("2.00")
    action = variant("adjust_keyword_bid", change_pct="-50")
    snapshot = snap(world, action)
    facts = spec_for(action).facts(action, snapshot)
    assert (facts.bid_before, facts.bid_after, facts.changes_campaign_spend) == (Decimal("2.00"), Decimal("1.00"), True)
    (inverse,) = spec_for(action).rollback_plan(action, snapshot, ACT).inverse_ops
    assert isinstance(inverse, SetKeywordBid) and inverse.cpc_bid == Decimal("2.00")


def test_pause_and_negatives_facts() -> None:
    world, pause = scenario("pause_campaign")
    facts = spec_for(pause).facts(pause, snap(world, pause))
    assert facts.is_pause and facts.changes_campaign_spend and not facts.spend_increasing
    world, negatives = scenario("add_negative_keywords")
    facts = spec_for(negatives).facts(negatives, snap(world, negatives))
    assert facts.negative_keywords == ('"cheap widgets"', "[diy widgets]")  # Google Ads match-type notation


def test_automation_facts_are_partially_reversible_and_count_new_enrolments() -> None:
    world, action = scenario("trigger_automation")
    facts = spec_for(action).facts(action, snap(world, action))
    assert facts.reversibility == Reversibility.PARTIAL
    assert facts.irreversible_parts == ("emails already sent by the automation stay sent",)
    assert facts.contact_count == 2  # 101 already runs the automation
    assert facts.entity_key == "activecampaign:acme:automation:42"


@pytest.mark.parametrize(("action_type", "key"), [
    ("create_subject_line_test", "activecampaign:acme:campaign:7"),
    ("pause_email_campaign", "activecampaign:acme:campaign:8"),
    ("generate_content_brief", "content:widget care"),
    ("flag_content_refresh", "content:https://acme.example/widgets"),
])
def test_entity_keys(action_type: str, key: str) -> None:
    world, action = scenario(action_type)
    spec = spec_for(action)
    facts = spec.facts(action, snap(world, action))
    assert facts.entity_key == spec.entity_key(action) == key
    assert facts.reversibility == Reversibility.FULL


# --------------------------------------------------------------------------- operations


def test_split_test_is_tagged_with_the_action_id() -> None:
    world, action = scenario("create_subject_line_test")
    spec = spec_for(action)
    (op,) = spec.operations(action, snap(world, action), ACT)
    assert isinstance(op, CreateSubjectLineTestOp) and op.tag == f"op:{ACT}"
    (inverse,) = spec.rollback_plan(action, snap(world, action), ACT).inverse_ops
    assert inverse.tag == op.tag  # type: ignore[union-attr]


def test_automation_resolves_emails_and_keeps_runs_that_existed_before() -> None:
    world, action = scenario("trigger_automation")
    snapshot = snap(world, action)
    spec = spec_for(action)
    (enroll,) = spec.operations(action, snapshot, ACT)
    assert isinstance(enroll, EnrollContacts) and enroll.contact_ids == ("102", "103")
    (unenroll,) = spec.rollback_plan(action, snapshot, ACT).inverse_ops
    assert isinstance(unenroll, UnenrollContacts) and unenroll.keep_run_ids == ("5",)


def test_content_artifact_id_comes_from_the_action_id() -> None:
    world, action = scenario("generate_content_brief")
    spec = spec_for(action)
    (store,) = spec.operations(action, snap(world, action), ACT)
    assert isinstance(store, StoreArtifact)
    assert (store.kind, store.key, store.body) == ("content_brief", "widget care", "")
    assert store.artifact_id == spec.operations(action, snap(world, action), ACT)[0].artifact_id  # type: ignore[union-attr]
    assert store.artifact_id != spec.operations(action, snap(world, action), action_id(8))[0].artifact_id  # type: ignore[union-attr]
    (archive,) = spec.rollback_plan(action, snap(world, action), ACT).inverse_ops
    assert archive == ArchiveArtifact(artifact_id=store.artifact_id)


def test_email_pause_resumes_and_send_time_restores_the_old_date() -> None:
    world, pause = scenario("pause_email_campaign")
    (resume,) = spec_for(pause).rollback_plan(pause, snap(world, pause), ACT).inverse_ops
    assert resume == SetEmailCampaignStatus(account_id="acme", campaign_id="8", status="sending")
    world, move = scenario("adjust_send_time")
    (restore,) = spec_for(move).rollback_plan(move, snap(world, move), ACT).inverse_ops
    assert isinstance(restore, SetSendTime) and restore.send_at == NOW + timedelta(days=2)


def test_observed_state_is_insensitive_to_money_and_time_formatting() -> None:
    world, action = scenario("adjust_campaign_budget")
    first = spec_for(action).observed_state(action, snap(world, action))
    world.budgets["501"] = Decimal("100.000000")
    assert spec_for(action).observed_state(action, snap(world, action)) == first
    world, move = scenario("adjust_send_time")
    first = spec_for(move).observed_state(move, snap(world, move))
    world.email_campaigns["7"]["scheduled_at"] = world.email_campaigns["7"]["scheduled_at"].astimezone(
        ZoneInfo("America/New_York"))
    assert spec_for(move).observed_state(move, snap(world, move)) == first


# --------------------------------------------------------------------------- rollback refusals


def test_split_test_cannot_be_undone_once_sending() -> None:
    world, action = scenario("create_subject_line_test")
    spec = spec_for(action)
    plan = spec.rollback_plan(action, snap(world, action), ACT)
    assert spec.rollback_refusal(action, plan, snap(world, action), NOW) is None
    world.email_campaigns["7"]["status"] = 2
    assert "can no longer be removed" in (spec.rollback_refusal(action, plan, snap(world, action), NOW) or "")


def test_old_send_time_that_has_passed_is_not_restored() -> None:
    world, action = scenario("adjust_send_time")
    spec = spec_for(action)
    plan = spec.rollback_plan(action, snap(world, action), ACT)
    later = NOW + timedelta(days=2, minutes=1)
    assert "has passed" in (spec.rollback_refusal(action, plan, snap(world, action, later), later) or "")


def test_stopped_email_campaign_cannot_be_resumed() -> None:
    world, action = scenario("pause_email_campaign")
    spec = spec_for(action)
    plan = spec.rollback_plan(action, snap(world, action), ACT)
    world.email_campaigns["8"]["status"] = 4
    assert "no longer be resumed" in (spec.rollback_refusal(action, plan, snap(world, action), NOW) or "")
