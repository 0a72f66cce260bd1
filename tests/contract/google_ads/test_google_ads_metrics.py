"""`read_metrics` on the real client against the fake: daily series per campaign and keyword, every other
campaign of the account, learning status and outside changes (change_event), one query per entity kind, the
account's calendar, and the allowlist before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from gads_fake import FakeGoogleAds
from gads_seed import CUSTOMER, NOW, ORG, OTHER_CUSTOMER

from connectors.base import MetricReader, NotConnectedError
from connectors.google_ads import GoogleAdsConnector
from schemas.common import Platform
from schemas.metrics import MetricEntity, MetricRequest

WEEK_START, WEEK_END = datetime(2026, 11, 13, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)  # 13th..19th


def request(key: str, entity_id: str, *, entity: MetricEntity = MetricEntity.CAMPAIGN, start: datetime = WEEK_START,
            end: datetime = WEEK_END, org: str = ORG, account: str = CUSTOMER) -> MetricRequest:
    return MetricRequest(key=key, organization_id=org, platform=Platform.GOOGLE_ADS, account_id=account,
                         entity=entity, entity_id=entity_id, start=start, end=end)


def searches(fake: FakeGoogleAds) -> list[str]:
    return [c.query or "" for c in fake.calls if c.method == "SearchStream"]


def test_daily_series_for_campaigns_and_keywords(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    assert isinstance(connector, MetricReader)
    answers = connector.read_metrics(CUSTOMER, [request("a", "111"), request("b", "222"),
                                                request("k", "5001~7001", entity=MetricEntity.KEYWORD)], NOW)
    generic, brand, keyword = answers["a"], answers["b"], answers["k"]
    assert generic.granularity == "day" and generic.day_count == 7 and generic.complete
    assert [d.day.day for d in generic.days] == list(range(13, 20))  # one row per day of the window
    total = generic.total()
    assert total is not None and (total.cost, total.clicks, total.conversions) == (Decimal("306.18"), 210, 0)
    brand_total = brand.total()
    assert brand_total is not None and (brand_total.conversions, brand_total.conversion_value) == (
        Decimal(21), Decimal("4200.00"))
    keyword_total = keyword.total()
    assert keyword_total is not None and keyword_total.conversions == Decimal(7)
    assert keyword.attributes["campaign_id"] == "111"  # keyword_view campaign.id: never the keyword's control
    sent = searches(fake)
    assert len(sent) == 5  # customer (time zone), campaigns' status, change_event, campaign days, keyword days
    assert any("campaign.id IN (111, 222)" in q and "segments.date BETWEEN '2026-11-13' AND '2026-11-19'" in q
               and "segments.date," in q for q in sent)


def test_days_not_over_in_the_account_are_left_out(connector: GoogleAdsConnector) -> None:
    # NOW is noon in New York on the 20th: the 20th is not over there yet
    reading = connector.read_metrics(CUSTOMER, [request("a", "111", end=WEEK_END + timedelta(days=2))],
                                     NOW)["a"]
    assert not reading.complete and reading.last_day == WEEK_END.date() - timedelta(days=1)
    later = connector.read_metrics(CUSTOMER, [request("a", "111", start=WEEK_END, end=WEEK_END + timedelta(days=2))],
                                   NOW)["a"]
    assert later.days == () and later.first_day is None and not later.complete


def test_an_entity_without_rows_served_nothing_and_other_kinds_are_not_measurable(
        connector: GoogleAdsConnector) -> None:
    answers = connector.read_metrics(CUSTOMER, [
        request("gone", "999"), request("mail", "21", entity=MetricEntity.EMAIL_CAMPAIGN)], NOW)
    assert answers["gone"].days == () and answers["gone"].day_count == 7 and answers["gone"].learning_status is None
    assert not answers["mail"].measurable


def test_the_allowlist_is_checked_before_anything_is_sent(connector: GoogleAdsConnector,
                                                          fake: FakeGoogleAds) -> None:
    with pytest.raises(NotConnectedError):
        connector.read_metrics(OTHER_CUSTOMER, [request("x", "111", account=OTHER_CUSTOMER)], NOW)
    with pytest.raises(NotConnectedError):
        connector.read_metrics(CUSTOMER, [request("x", "111", org="org-globex")], NOW)
    assert searches(fake) == [] and connector.read_metrics(CUSTOMER, [], NOW) == {}


def test_learning_status_outside_changes_and_the_other_campaigns(connector: GoogleAdsConnector,
                                                                  fake: FakeGoogleAds) -> None:
    from gads_fake.state import Change
    from gads_seed import LOCAL_NOW

    account = fake.account(CUSTOMER)
    account.learning[111] = "LEARNING_SETTING_CHANGE"
    account.record_change(Change(LOCAL_NOW - timedelta(days=3), "CAMPAIGN", f"customers/{CUSTOMER}/campaigns/111",
                                 "UPDATE", "GOOGLE_ADS_WEB_CLIENT", "jane@acme.example", ("status",)))
    account.record_change(Change(LOCAL_NOW - timedelta(days=4), "CAMPAIGN_BUDGET",
                                 f"customers/{CUSTOMER}/campaignBudgets/1002", "UPDATE", "GOOGLE_ADS_EDITOR",
                                 "ed@agency.example", ("amount_micros",)))
    account.record_change(Change(LOCAL_NOW - timedelta(days=2), "CAMPAIGN", f"customers/{CUSTOMER}/campaigns/111",
                                 "UPDATE", "GOOGLE_ADS_API", "operator-sa@example.iam.gserviceaccount.com",
                                 ("status",)))  # the Operator's own: in its log, not an outside change
    long = request("a", "111", start=WEEK_START - timedelta(days=28))
    others = request("c", "ACCOUNT", entity=MetricEntity.ACCOUNT_CAMPAIGNS).model_copy(
        update={"exclude_ids": ("111",)})

    answers = connector.read_metrics(CUSTOMER, [long, others], NOW)

    treated = answers["a"]
    assert treated.learning_status == "LEARNING_SETTING_CHANGE" and treated.learning and treated.changes_known
    [change] = treated.changes
    assert (change.actor, change.kind, change.source) == ("jane@acme.example", "status", "platform")
    assert treated.attributes["changes_known_since"] == "2026-10-22"  # change_event keeps 30 days
    assert treated.day_count == 35
    series = {s.entity_id: s for s in answers["c"].series}
    assert set(series) == {"222", "333", "444"}  # every other campaign of the account
    assert series["444"].status == "PAUSED" and series["222"].learning_status == "ENABLED"
    assert (series["222"].budget_id, series["333"].budget_id) == ("1002", "1002")  # shared: not each other's control
    assert [c.kind for c in series["222"].changes] == ["budget"] == [c.kind for c in series["333"].changes]
    assert len(series["222"].days) == 7 and series["222"].days[0].conversions == Decimal(3)
