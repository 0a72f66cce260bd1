"""The five Google Ads action types as the registry plans them, run through the connector.

Each scenario names the action, what the fake's account must show after it and after its rollback, and
an external change (drift) someone could make in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gads_fake import Account
from gads_seed import CUSTOMER, KEYWORD_INHERITED, KEYWORD_OWN_BID, NOW, ORG

from connectors.google_ads import GoogleAdsConnector
from rollback.registry import spec_for
from schemas.actions import Action, parse_action
from schemas.common import Platform
from schemas.operations import ApplyResult, OpBatch, Operation
from schemas.records import RollbackPlan
from schemas.snapshots import Snapshot

Check = Callable[[Account], None]


@dataclass(frozen=True)
class Scenario:
    id: str
    action: Action
    after: Check  # the fake's state once the action landed
    before: Check  # the fake's state as seeded (and after rollback)
    drift: Check  # someone else changes the entity


def _action(type_: str, target: dict[str, str], params: dict[str, Any] | None = None) -> Action:
    return parse_action({"type": type_, "target": {"customer_id": CUSTOMER, **target}, "params": params or {}})


def _set_status(status: str) -> Check:
    def change(account: Account) -> None:
        account.campaigns[111].status = account.campaigns[111].DESCRIPTOR.fields_by_name[
            "status"].enum_type.values_by_name[status].number

    return change


def _drift_budget(account: Account) -> None:
    account.budgets[1001].amount_micros = 75_000_000


def _drift_negatives(account: Account) -> None:
    account.negatives.clear()  # someone cleans up every negative of the campaign


def _drift_bid(name: str) -> Check:
    def change(account: Account) -> None:
        account.keywords[name].cpc_bid_micros = 2_000_000

    return change


def _drift_scheme(account: Account) -> None:
    account.campaigns[222].maximize_conversions.target_cpa_micros = 9_000_000


def _expect(predicate: Callable[[Account], bool], what: str) -> Check:
    def check(account: Account) -> None:
        assert predicate(account), what

    return check


SCENARIOS = [
    Scenario(
        "pause_campaign",
        _action("pause_campaign", {"campaign_id": "111"}),
        after=_expect(lambda a: a.status(111) == "PAUSED", "campaign 111 paused"),
        before=_expect(lambda a: a.status(111) == "ENABLED", "campaign 111 enabled"),
        drift=_set_status("REMOVED"),
    ),
    Scenario(
        "adjust_campaign_budget",
        _action("adjust_campaign_budget", {"campaign_id": "111"}, {"new_daily_budget": "60.00"}),
        after=_expect(lambda a: a.budget_amount(1001) == Decimal("60"), "budget 1001 is 60.00"),
        before=_expect(lambda a: a.budget_amount(1001) == Decimal("50"), "budget 1001 is 50.00"),
        drift=_drift_budget,
    ),
    Scenario(
        "add_negative_keywords",
        _action("add_negative_keywords", {"campaign_id": "111"},
                {"keywords": [{"text": "cheap", "match_type": "EXACT"}, {"text": "free", "match_type": "PHRASE"}]}),
        after=_expect(lambda a: a.negative_texts(111) == [("cheap", "EXACT"), ("free", "PHRASE")],
                      "cheap added once, free not duplicated"),
        before=_expect(lambda a: a.negative_texts(111) == [("free", "PHRASE")], "only the seeded negative"),
        drift=_drift_negatives,
    ),
    Scenario(
        "adjust_keyword_bid_inherited",
        _action("adjust_keyword_bid", {"ad_group_id": "5001", "criterion_id": "7002"}, {"new_cpc_bid": "1.10"}),
        after=_expect(lambda a: a.keyword_bid(KEYWORD_INHERITED) == Decimal("1.1"), "own bid 1.10"),
        before=_expect(lambda a: a.keyword_bid(KEYWORD_INHERITED) is None, "no own bid: inherits the ad group's"),
        drift=_drift_bid(KEYWORD_INHERITED),
    ),
    Scenario(
        "adjust_keyword_bid_own",
        _action("adjust_keyword_bid", {"ad_group_id": "5001", "criterion_id": "7001"}, {"change_pct": "10"}),
        after=_expect(lambda a: a.keyword_bid(KEYWORD_OWN_BID) == Decimal("1.32"), "own bid 1.32"),
        before=_expect(lambda a: a.keyword_bid(KEYWORD_OWN_BID) == Decimal("1.2"), "own bid 1.20"),
        drift=_drift_bid(KEYWORD_OWN_BID),
    ),
    Scenario(
        "change_bid_strategy",
        _action("change_bid_strategy", {"campaign_id": "222"}, {"strategy": "manual_cpc"}),
        after=_expect(lambda a: a.scheme(222) == ("manual_cpc", {}), "manual CPC (an empty message) landed"),
        before=_expect(lambda a: a.scheme(222) == ("target_spend", {"cpc_bid_ceiling_micros": 2_500_000}),
                       "target spend with its 2.50 ceiling"),
        drift=_drift_scheme,
    ),
]


def batch(key: str, ops: tuple[Operation, ...], *, org: str = ORG, account: str = CUSTOMER) -> OpBatch:
    return OpBatch(key=key, organization_id=org, platform=Platform.GOOGLE_ADS, account_id=account, ops=ops)


def read(connector: GoogleAdsConnector, action: Action, key: str = "act-1") -> Snapshot:
    request = spec_for(action).snapshot_request(action, key, 14, ORG)
    return connector.snapshot(CUSTOMER, [request], NOW)[key]


def observe(connector: GoogleAdsConnector, action: Action) -> dict[str, Any]:
    return spec_for(action).observed_state(action, read(connector, action))


@dataclass
class Executed:
    result: ApplyResult
    plan: RollbackPlan
    ops: tuple[Operation, ...]


def plan_and_apply(connector: GoogleAdsConnector, action: Action, key: str = "act-1",
                   validate_only: bool = False) -> Executed:
    """What the orchestrator does for one action: read, check, plan forward + inverse, apply, finalise."""
    spec = spec_for(action)
    snapshot = read(connector, action, key)
    assert spec.validate_against(action, snapshot, NOW) is None
    ops = spec.operations(action, snapshot, key)
    plan = spec.rollback_plan(action, snapshot, key)
    [result] = connector.apply(CUSTOMER, [batch(key, ops)], validate_only=validate_only)
    return Executed(result, spec.finalize_rollback_plan(plan, result), ops)
