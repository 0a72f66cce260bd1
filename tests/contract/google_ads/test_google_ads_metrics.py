"""`read_metrics` on the real client against the fake: window totals per campaign and keyword, one query
per entity kind and window, the account's calendar, and the allowlist before anything is sent."""

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


def test_window_totals_for_campaigns_and_keywords(connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    assert isinstance(connector, MetricReader)
    answers = connector.read_metrics(CUSTOMER, [request("a", "111"), request("b", "222"),
                                                request("k", "5001~7001", entity=MetricEntity.KEYWORD)], NOW)
    generic, brand, keyword = answers["a"], answers["b"], answers["k"]
    assert generic.granularity == "window" and generic.day_count == 7 and generic.complete
    total = generic.total()
    assert total is not None and (total.cost, total.clicks, total.conversions) == (Decimal("306.18"), 210, 0)
    brand_total = brand.total()
    assert brand_total is not None and (brand_total.conversions, brand_total.conversion_value) == (
        Decimal(21), Decimal("4200.00"))
    keyword_total = keyword.total()
    assert keyword_total is not None and keyword_total.conversions == Decimal(7)
    sent = searches(fake)
    assert len(sent) == 3  # customer (time zone), campaign metrics for both, keyword metrics
    assert any("campaign.id IN (111, 222)" in q and "segments.date BETWEEN '2026-11-13' AND '2026-11-19'" in q
               for q in sent)


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
    assert answers["gone"].days == () and answers["gone"].day_count == 7
    assert not answers["mail"].measurable


def test_the_allowlist_is_checked_before_anything_is_sent(connector: GoogleAdsConnector,
                                                          fake: FakeGoogleAds) -> None:
    with pytest.raises(NotConnectedError):
        connector.read_metrics(OTHER_CUSTOMER, [request("x", "111", account=OTHER_CUSTOMER)], NOW)
    with pytest.raises(NotConnectedError):
        connector.read_metrics(CUSTOMER, [request("x", "111", org="org-globex")], NOW)
    assert searches(fake) == [] and connector.read_metrics(CUSTOMER, [], NOW) == {}
