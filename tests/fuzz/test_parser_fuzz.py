"""Fuzzing the opportunity parser and the planner with hypothesis: arbitrary JSON (and near-valid
opportunities with arbitrary JSON spliced into any field) never crashes them. Every input becomes a
typed action for an account the organization owns, or a clear, bounded reason."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from operator_ai.planner import Planner
from rollback.registry import spec_for
from schemas.opportunity import OpportunityError, parse_opportunity
from schemas.policy import ConnectedAccounts, OrgPolicy
from tests.fuzz.corpus import HOSTILE, NOW, valid

POLICY = OrgPolicy(organization_id="org-acme", autonomy="autonomous", rollout_phase="full",
                   connected=ConnectedAccounts(google_ads_customer_ids=("1234567890",),
                                               activecampaign=({"account_id": "acme-mail",
                                                                "base_url": "https://acme.api-us1.com"},),
                                               content_sites=("www.acme.example",)))
PLANNER = Planner()
LEAKS = ("Traceback", "object at 0x", "RecursionError", "KeyError", "AttributeError")

texts = st.one_of(st.text(max_size=40), st.sampled_from(list(HOSTILE.values())),
                  st.sampled_from(["NaN", "Infinity", "-1", "1e400", "١٢٣", "１２３４５６７８９０", "1234567890", "111",
                                   "2026-11-20T09:00:00", "2026-11-20T09:00:00Z", "approved", "pause_campaign"]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), texts)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
PATHS = ["schema_version", "opportunity_id", "organization_id", "status", "created_at", "expires_at", "approved_by",
         "approved_at", "title", "rationale", "confidence", "platform", "action", "action.type", "action.target",
         "action.target.customer_id", "action.target.campaign_id", "action.params", "action.params.change_pct",
         "action.params.new_daily_budget", "evidence", "evidence.spend", "extra_field"]
ACTIONS = [
    {"type": "pause_campaign", "target": {"customer_id": "1234567890", "campaign_id": "111"}, "params": {}},
    {"type": "adjust_campaign_budget", "target": {"customer_id": "1234567890", "campaign_id": "117"},
     "params": {"change_pct": "15"}},
    {"type": "add_negative_keywords", "target": {"customer_id": "1234567890", "campaign_id": "111"},
     "params": {"keywords": [{"text": "free", "match_type": "EXACT"}]}},
    {"type": "trigger_automation", "target": {"account_id": "acme-mail", "automation_id": "7"},
     "params": {"contact_ids": ["101"]}},
    {"type": "flag_content_refresh", "target": {"url": "https://www.acme.example/a"}, "params": {"reason": "old"}},
]


def _splice(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    *parents, last = path.split(".")
    target: Any = raw
    for part in parents:
        if not isinstance(target, dict) or not isinstance(target.get(part), dict):
            return raw
        target = target[part]
    target[last] = value
    return raw


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    action = draw(st.sampled_from(ACTIONS))
    raw = valid("opp-fuzz", action=copy.deepcopy(action), platform=None)
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        raw = _splice(raw, draw(st.sampled_from(PATHS)), draw(json_values))
    return raw


def _json_round_trip(raw: Any) -> Any:
    """What a source hands over: JSON text read back (NaN and infinities survive, as Python's json allows)."""
    return json.loads(json.dumps(raw))


def _check_plan(raw: Any) -> None:
    planned = PLANNER.plan(raw, POLICY, NOW)
    event(f"planned: {planned.kind}")
    assert planned.action_id.startswith("act-") and planned.organization_id == "org-acme"
    if planned.kind in ("rejected", "skip", "expired"):
        reason = planned.reason or ""
        assert reason and len(reason) < 5000 and not any(leak in reason for leak in LEAKS), reason
        return
    if planned.kind == "approval_only":
        return
    assert planned.kind == "action" and planned.action is not None
    action = planned.action
    assert action.account_id() in ("1234567890", "acme-mail", "content")  # never someone else's account
    spec_for(action)  # every planned action has a registered spec (snapshot, operations, inverse)
    for value in json.loads(action.model_dump_json()).get("params", {}).values():
        assert not (isinstance(value, float) and not math.isfinite(value))


@given(json_values)
def test_arbitrary_json_never_crashes_the_parser_or_the_planner(raw: Any) -> None:
    try:
        parse_opportunity(raw)
    except OpportunityError as error:
        assert error.reason
    _check_plan(_json_round_trip(raw))


@given(near_valid())
def test_near_valid_opportunities_become_a_plan_or_a_clear_reason(raw: dict[str, Any]) -> None:
    _check_plan(_json_round_trip(raw))


@given(st.integers(min_value=1, max_value=6).flatmap(lambda depth: st.just(depth * 20)))
def test_deep_nesting_is_a_reason_not_a_crash(depth: int) -> None:
    evidence: Any = "leaf"
    for _ in range(depth):
        evidence = [evidence]
    planned = PLANNER.plan(valid("opp-deep", evidence={"x": evidence}), POLICY, NOW)
    assert planned.kind == ("rejected" if depth > 30 else "action")
