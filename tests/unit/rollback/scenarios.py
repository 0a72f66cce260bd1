"""One small world + action per action type, and a helper that executes an action the way the
orchestrator does (snapshot → plan → apply → finalise → EXECUTED row), for rollback tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rollback.registry import spec_for
from schemas.actions import Action, BiddingScheme, parse_action
from schemas.common import ActionStatus, Platform
from schemas.operations import OpBatch
from schemas.records import ActionRecord
from schemas.snapshots import NegativeKeywordState
from tests.unit.rollback.fakes import FakeLog, FakePlatform, FakeWorld, Keyword

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ORG = "org-acme"
CUSTOMER = "1234567890"
AC = "acme"
CAMPAIGN = {"customer_id": CUSTOMER, "campaign_id": "111"}


def _ads_world() -> FakeWorld:
    world = FakeWorld()
    world.campaigns["111"] = {"name": "Generic – Widgets", "status": "ENABLED",
                              "bidding": BiddingScheme(strategy="manual_cpc"), "budget_id": "501"}
    world.budgets["501"] = Decimal("100.00")
    world.negatives["111"] = [NegativeKeywordState(text="free widgets", match_type="EXACT",
                                                   resource_name=f"customers/{CUSTOMER}/campaignCriteria/111~1")]
    world.keywords[("222", "333")] = Keyword(campaign_id="111", text="widgets", cpc_bid=None,
                                             ad_group_default=Decimal("1.00"))
    return world


def _ac_world() -> FakeWorld:
    world = FakeWorld()
    world.email_campaigns["7"] = {"status": 1, "scheduled_at": NOW + timedelta(days=2), "series_id": "0",
                                  "type": "single", "message_ids": ("70",)}
    world.email_campaigns["8"] = {"status": 2, "scheduled_at": None, "series_id": "0", "type": "single",
                                  "message_ids": ("80",)}
    world.automations["42"] = {"status": 1, "runs": {"101": ["5"]}}
    world.contacts.update({"101": ("a@acme.example", True), "102": ("b@acme.example", True),
                           "103": ("c@acme.example", False)})
    return world


def _content_world() -> FakeWorld:
    world = FakeWorld()
    world.content["https://acme.example/widgets"] = {"flag": False, "reason": None, "artifacts": {"art-old": True}}
    return world


SCENARIOS: dict[str, tuple[Callable[[], FakeWorld], dict[str, Any]]] = {
    "pause_campaign": (_ads_world, {"type": "pause_campaign", "target": CAMPAIGN}),
    "adjust_campaign_budget": (_ads_world, {"type": "adjust_campaign_budget", "target": CAMPAIGN,
                                            "params": {"change_pct": "10"}}),
    "add_negative_keywords": (_ads_world, {"type": "add_negative_keywords", "target": CAMPAIGN, "params": {
        "keywords": [{"text": "Free  Widgets"}, {"text": "cheap widgets", "match_type": "PHRASE"},
                     {"text": "diy widgets"}]}}),
    "adjust_keyword_bid": (_ads_world, {"type": "adjust_keyword_bid", "params": {"change_pct": "10"},
                                        "target": {"customer_id": CUSTOMER, "ad_group_id": "222",
                                                   "criterion_id": "333"}}),
    "change_bid_strategy": (_ads_world, {"type": "change_bid_strategy", "target": CAMPAIGN,
                                         "params": {"strategy": "maximize_conversions", "target_cpa": "25"}}),
    "create_subject_line_test": (_ac_world, {"type": "create_subject_line_test",
                                             "target": {"account_id": AC, "campaign_id": "7"},
                                             "params": {"variants": ["Hello", "Hi there"]}}),
    "adjust_send_time": (_ac_world, {"type": "adjust_send_time", "target": {"account_id": AC, "campaign_id": "7"},
                                     "params": {"send_at": (NOW + timedelta(days=3)).isoformat()}}),
    "trigger_automation": (_ac_world, {"type": "trigger_automation",
                                       "target": {"account_id": AC, "automation_id": "42"},
                                       "params": {"contact_emails": ["A@acme.example", "b@acme.example",
                                                                    "c@acme.example"]}}),
    "pause_email_campaign": (_ac_world, {"type": "pause_email_campaign",
                                         "target": {"account_id": AC, "campaign_id": "8"}}),
    "generate_content_brief": (_content_world, {"type": "generate_content_brief",
                                                "target": {"topic": "widget care"},
                                                "params": {"keyword": "widget care"}}),
    "suggest_internal_links": (_content_world, {"type": "suggest_internal_links",
                                                "target": {"url": "https://acme.example/widgets"},
                                                "params": {"links": [{"from_url": "https://acme.example/widgets",
                                                                      "to_url": "https://acme.example/care",
                                                                      "anchor": "widget care"}]}}),
    "flag_content_refresh": (_content_world, {"type": "flag_content_refresh",
                                              "target": {"url": "https://acme.example/widgets"},
                                              "params": {"reason": "prices changed"}}),
}


def full_world() -> FakeWorld:
    """Every scenario's entities in one world (the ids do not collide)."""
    world = _ads_world()
    for other in (_ac_world(), _content_world()):
        world.email_campaigns.update(other.email_campaigns)
        world.automations.update(other.automations)
        world.contacts.update(other.contacts)
        world.content.update(other.content)
    return world


def scenario(action_type: str) -> tuple[FakeWorld, Action]:
    make_world, raw = SCENARIOS[action_type]
    return make_world(), parse_action(raw)


def action_id(n: int) -> str:
    return f"act-{n:024x}"


def execute(connectors: Mapping[Platform, FakePlatform], log: FakeLog, action: Action, act_id: str,
            at: datetime = NOW, org: str = ORG) -> ActionRecord:
    """Plan and apply `action` like the orchestrator, and log its EXECUTED row."""
    spec = spec_for(action)
    connector = connectors[spec.platform]
    request = spec.snapshot_request(action, act_id, 14, org)
    snapshot = connector.snapshot(request.account_id, [request], at)[act_id]
    assert spec.validate_against(action, snapshot, at) is None
    plan = spec.rollback_plan(action, snapshot, act_id)
    batch = OpBatch(key=act_id, organization_id=org, platform=spec.platform, account_id=action.account_id(),
                    ops=spec.operations(action, snapshot, act_id))
    result = connector.apply(batch.account_id, [batch])[0]
    record = ActionRecord(
        action_id=act_id, opportunity_id="opp-1", organization_id=org, action_type=action.type,
        platform=spec.platform, payload={"action": action.model_dump(mode="json"),
                                         "snapshot": snapshot.model_dump(mode="json")},
        status=ActionStatus.EXECUTED, event_time=at, seq=2, run_id="run-1", executed_at=at, executed_by="operator",
        result={"details": result.details}, rollback_plan=spec.finalize_rollback_plan(plan, result))
    log.append([record])
    return record


def observed(connectors: Mapping[Platform, FakePlatform], action: Action, key: str = "read",
             at: datetime = NOW) -> dict[str, Any]:
    spec = spec_for(action)
    request = spec.snapshot_request(action, key, 14, ORG)
    return spec.observed_state(action, connectors[spec.platform].snapshot(request.account_id, [request], at)[key])
