"""Outside changes from `change_event`: the fake keeps the API's rules (a date range within 30 days and a
LIMIT), the snapshot reports who changed our entities, and a person's change restarts the cooldown."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from gads_fake import FakeGoogleAds
from gads_fake.state import Change
from gads_flow import _action, batch, read
from gads_seed import CUSTOMER, LOCAL_NOW, NOW

from connectors.base import PermanentError
from connectors.google_ads import GoogleAdsConnector
from connectors.google_ads.changes import change_events_query
from guardrails.context import GuardrailContext
from guardrails.limits import Limits
from guardrails.rules.pacing import cooldown
from rollback.registry import spec_for
from schemas.common import Platform
from schemas.operations import SetBudgetAmount
from schemas.policy import OrgPolicy

SELECT = "SELECT change_event.change_date_time, change_event.client_type FROM change_event"


def _human(fake: FakeGoogleAds, kind: str, name: str, hours_ago: float, *, fields: tuple[str, ...] = ("status",),
           campaign: str | None = None, who: str = "jane@acme.example", client: str = "GOOGLE_ADS_WEB_CLIENT") -> None:
    fake.account(CUSTOMER).record_change(Change(LOCAL_NOW - timedelta(hours=hours_ago), kind, name, "UPDATE", client,
                                                who, fields, campaign))


@pytest.mark.parametrize(("where", "code"), [
    ("", "CHANGE_DATE_RANGE_INFINITE"),
    ("WHERE change_event.change_date_time >= '2026-11-10 00:00:00' LIMIT 100", "CHANGE_DATE_RANGE_INFINITE"),
    ("WHERE change_event.change_date_time >= '2026-10-01 00:00:00' "
     "AND change_event.change_date_time <= '2026-11-20 00:00:00' LIMIT 100", "START_DATE_TOO_OLD"),
    ("WHERE change_event.change_date_time >= '2026-11-10 00:00:00' "
     "AND change_event.change_date_time <= '2026-11-20 00:00:00'", "LIMIT_NOT_SPECIFIED"),
    ("WHERE change_event.change_date_time >= '2026-11-10 00:00:00' "
     "AND change_event.change_date_time <= '2026-11-20 00:00:00' LIMIT 10001", "INVALID_LIMIT_CLAUSE"),
])
def test_the_fake_refuses_change_event_queries_without_their_required_clauses(
        connector: GoogleAdsConnector, where: str, code: str) -> None:
    with pytest.raises(PermanentError) as raised:
        connector.search(CUSTOMER, f"{SELECT} {where}")

    assert raised.value.code == f"change_event_error.{code}"


def test_the_connectors_change_event_query_is_accepted(connector: GoogleAdsConnector) -> None:
    rows = connector.search(CUSTOMER, change_events_query(LOCAL_NOW - timedelta(days=29), LOCAL_NOW))

    assert rows == []


def test_a_snapshot_reports_outside_changes_and_leaves_out_the_operators_own(connector: GoogleAdsConnector,
                                                                              fake: FakeGoogleAds) -> None:
    _human(fake, "CAMPAIGN", f"customers/{CUSTOMER}/campaigns/111", 5)
    _human(fake, "CAMPAIGN_BUDGET", f"customers/{CUSTOMER}/campaignBudgets/1002", 30, fields=("amount_micros",),
           who="", client="GOOGLE_ADS_SCRIPTS")
    _human(fake, "CAMPAIGN", f"customers/{CUSTOMER}/campaigns/111", 24 * 20)  # older than the look-back
    connector.apply(CUSTOMER, [batch("mine", (SetBudgetAmount(customer_id=CUSTOMER, budget_id="1001",
                                                              amount=Decimal(55)),))])
    assert [c.client_type for c in fake.account(CUSTOMER).changes][-1] == "GOOGLE_ADS_API"  # recorded by the fake

    ours = read(connector, _action("pause_campaign", {"campaign_id": "111"}), "a")
    shared = read(connector, _action("adjust_campaign_budget", {"campaign_id": "333"}, {"new_daily_budget": "90"}), "b")

    assert ours.outside_changes is not None
    [change] = ours.outside_changes
    assert (change.entity_key, change.actor, change.client_type, change.kind) == (
        f"google_ads:{CUSTOMER}:campaign:111", "jane@acme.example", "GOOGLE_ADS_WEB_CLIENT", "status")
    assert change.changed_at == NOW - timedelta(hours=5)  # read in the account's time zone
    assert shared.outside_changes is not None
    [budget] = shared.outside_changes  # a shared budget's change shows on each campaign using it
    assert (budget.actor, budget.kind) == ("GOOGLE_ADS_SCRIPTS", "budget")
    [query] = [c.query for c in fake.calls if c.query and "FROM change_event" in c.query][:1]
    assert "LIMIT 10000" in query and "change_event.change_date_time >=" in query


def test_a_persons_change_restarts_the_cooldown(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    action = _action("pause_campaign", {"campaign_id": "111"})
    spec = spec_for(action)

    def judged() -> str:
        snapshot = read(connector, action)
        ctx = GuardrailContext(action=action, platform=Platform.GOOGLE_ADS, facts=spec.facts(action, snapshot),
                               snapshot=snapshot, policy=OrgPolicy(organization_id="org-acme"), limits=Limits(),
                               now=NOW, confidence=0.9)
        result = cooldown(ctx)
        return f"{result.outcome.value}: {result.message}"

    before = judged()
    _human(fake, "CAMPAIGN", f"customers/{CUSTOMER}/campaigns/111", 3)

    assert before.startswith("allow")
    assert judged() == (f"needs_approval: google_ads:{CUSTOMER}:campaign:111 was changed outside the Operator "
                        "3.00 h ago (by jane@acme.example, GOOGLE_ADS_WEB_CLIENT)")


def test_change_times_are_local_to_the_account() -> None:
    query = change_events_query(datetime(2026, 11, 6, 12, 0, 5), datetime(2026, 11, 20, 12, 0, 5))

    assert "'2026-11-06 12:00:05'" in query and "'2026-11-20 12:00:05'" in query and query.endswith("LIMIT 10000")
