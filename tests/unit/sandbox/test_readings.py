"""The sandbox's metric readings (`read_metrics`): whole UTC days in a window, actions shaping later days
(budget, bid, pause), seeded conversion draws, email running totals and the account baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.base import MetricReader, NotConnectedError, PermanentError
from connectors.sandbox.metrics import poisson
from connectors.sandbox.readings import covered_days
from schemas.common import Platform
from schemas.metrics import MetricEntity, MetricReading, MetricRequest
from schemas.operations import SetBudgetAmount, SetCampaignStatus, SetKeywordBid
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME, ACME_AC, ACME_ADS, GLOBEX, gads_batch

D = Decimal
TODAY = datetime(2026, 11, 20, tzinfo=UTC)


def day(offset: int) -> datetime:
    return TODAY + timedelta(days=offset)


def request(entity: MetricEntity, entity_id: str, start: datetime, end: datetime, *, key: str = "k",
            platform: Platform = Platform.GOOGLE_ADS, account: str = ACME_ADS, org: str = ACME,
            **extra: object) -> MetricRequest:
    return MetricRequest(key=key, organization_id=org, platform=platform, account_id=account, entity=entity,
                         entity_id=entity_id, start=start, end=end, **extra)  # type: ignore[arg-type]


def read(connector: MetricReader, req: MetricRequest, now: datetime) -> MetricReading:
    return connector.read_metrics(req.account_id, [req], now)[req.key]


def test_covered_days_are_whole_days_that_are_over() -> None:
    assert covered_days(day(-3), day(0), NOW) == (day(-3).date(), day(-1).date(), True)
    assert covered_days(day(-3) + timedelta(hours=1), day(0), NOW)[0] == day(-2).date()  # partial first day out
    first, last, complete = covered_days(day(-1), day(2), NOW)
    assert (first, last, complete) == (day(-1).date(), day(-1).date(), False)  # today and tomorrow not over


def test_a_campaign_window_returns_its_days(ads) -> None:  # type: ignore[no-untyped-def]
    reading = read(ads, request(MetricEntity.CAMPAIGN, "117", day(-14), day(0)), NOW)
    assert reading.measurable and reading.complete and reading.day_count == 14 and len(reading.days) == 14
    total = reading.total()
    assert total is not None and total.cost == D("1400.00") and total.conversions == D(42)
    assert reading.attributes["status"] == "ENABLED"


def _twin(tmp_path):  # type: ignore[no-untyped-def]
    """The same sandbox seeded the same way, left alone."""
    from connectors.local import LocalStore, seed_embedded_default
    from connectors.sandbox import SandboxWorld
    from tests.unit.sandbox.conftest import SAMPLES

    store = LocalStore.open(tmp_path / "twin.sqlite")
    seed_embedded_default(store, SAMPLES, NOW)
    return store, SandboxWorld(store, clock=lambda: NOW).google_ads()


def test_later_days_follow_the_budget_and_a_pause(ads, tmp_path) -> None:  # type: ignore[no-untyped-def]
    later = NOW + timedelta(days=6)
    ads.apply(ACME_ADS, [gads_batch(SetBudgetAmount(customer_id=ACME_ADS, budget_id="506", amount=D("375.00")))])
    ads.apply(ACME_ADS, [gads_batch(SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111", status="PAUSED"))])
    grown = read(ads, request(MetricEntity.CAMPAIGN, "117", day(0), day(5)), later)
    store, twin = _twin(tmp_path)
    try:
        alone = {row.day: row for row in read(twin, request(MetricEntity.CAMPAIGN, "117", day(0), day(5)), later).days}
    finally:
        store.close()
    assert len(grown.days) == 5
    for row in grown.days:  # every day after the change at 1.5 x the untouched twin (the budget went 250 -> 375)
        assert abs(row.cost / alone[row.day].cost - D("1.5")) < D("0.001")
        assert row.clicks > alone[row.day].clicks
    total = grown.total()
    assert total is not None and D(600) < total.cost < D(900)  # 5 days x 150, with season, drift and noise
    paused = read(ads, request(MetricEntity.CAMPAIGN, "111", day(0), day(5)), later)
    assert paused.days == () and paused.day_count == 5 and paused.complete


def test_a_keyword_scales_with_its_bid(ads) -> None:  # type: ignore[no-untyped-def]
    ads.apply(ACME_ADS, [gads_batch(SetKeywordBid(customer_id=ACME_ADS, ad_group_id="2001", criterion_id="3001",
                                                  cpc_bid=D("2.40")))])
    reading = read(ads, request(MetricEntity.KEYWORD, "2001~3001", day(0), day(5)), NOW + timedelta(days=6))
    assert reading.attributes["campaign_id"] == "119"  # its campaign: never the keyword's control
    total = reading.total()
    assert total is not None and D(2 * 5 * 300 / 14 * 0.8) < total.cost  # twice the bid: at least 2 x 0.8 x daily


def test_conversions_are_deterministic_whole_counts() -> None:
    import random

    draws = [poisson(random.Random(7), 3.0) for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]
    rng = random.Random(8)
    sample = [poisson(rng, 4.0) for _ in range(4000)]
    assert abs(sum(sample) / len(sample) - 4.0) < 0.15 and poisson(rng, 0.0) == 0
    big = [poisson(rng, 400.0) for _ in range(500)]
    assert abs(sum(big) / len(big) - 400) < 5


def test_unknown_entities_and_kinds_are_not_measurable(ads, ac) -> None:  # type: ignore[no-untyped-def]
    missing = read(ads, request(MetricEntity.CAMPAIGN, "999", day(-3), day(0)), NOW)
    assert not missing.measurable and "does not exist" in (missing.reason or "")
    page = read(ads, request(MetricEntity.PAGE, "x", day(-3), day(0)), NOW)
    assert not page.measurable
    email = request(MetricEntity.EMAIL_CAMPAIGN, "999", day(-3), day(0), platform=Platform.ACTIVECAMPAIGN,
                    account=ACME_AC)
    assert not read(ac, email, NOW).measurable


def test_reads_respect_the_allowlist_and_the_account(ads) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotConnectedError):
        read(ads, request(MetricEntity.CAMPAIGN, "117", day(-3), day(0), org=GLOBEX), NOW)
    wrong = request(MetricEntity.CAMPAIGN, "117", day(-3), day(0), account="9876543210")
    with pytest.raises(PermanentError):
        ads.read_metrics(ACME_ADS, [wrong], NOW)


def test_email_running_totals_and_the_account_baseline(world, ac) -> None:  # type: ignore[no-untyped-def]
    campaign = request(MetricEntity.EMAIL_CAMPAIGN, "23", day(-3), day(0), platform=Platform.ACTIVECAMPAIGN,
                       account=ACME_AC)
    reading = read(ac, campaign, NOW)
    assert reading.cumulative and reading.email is not None
    assert (reading.email.sends, reading.email.opens, reading.email.clicks) == (4200, 210, 9)
    baseline = request(MetricEntity.EMAIL_ACCOUNT, ACME_AC, day(-3), day(0), platform=Platform.ACTIVECAMPAIGN,
                       account=ACME_AC, exclude_ids=("23",))
    base = read(ac, baseline, NOW)
    assert base.email is not None and (base.email.sends, base.email.opens) == (11800 + 310, 2950)
    [message_id] = world.entity(Platform.ACTIVECAMPAIGN, ACME_AC, "email_campaign", "21")["message_ids"]
    world.record_email_stats(ACME_AC, "message", message_id, sends=50, opens=20, clicks=3)
    message = read(ac, request(MetricEntity.EMAIL_MESSAGE, message_id, day(-3), day(0),
                               platform=Platform.ACTIVECAMPAIGN, account=ACME_AC), NOW)
    assert message.email is not None and (message.email.sends, message.email.opens) == (50, 20)
    assert message.attributes["campaign_id"] == "21"
    with pytest.raises(ValueError):
        world.record_email_stats(ACME_AC, "message", message_id, sends=5, opens=20, clicks=0)
    with pytest.raises(KeyError):
        world.record_email_stats(ACME_AC, "automation", "7", sends=5, opens=2, clicks=0)


def test_a_metric_read_can_be_made_to_fail(faults, ads) -> None:  # type: ignore[no-untyped-def]
    from connectors.base import RetryableError
    from connectors.sandbox import FaultRule

    faults.add(FaultRule(phase="snapshot", kind="retryable", op="metrics"))
    with pytest.raises(RetryableError):
        read(ads, request(MetricEntity.CAMPAIGN, "117", day(-3), day(0)), NOW)
    assert read(ads, request(MetricEntity.CAMPAIGN, "117", day(-3), day(0)), NOW).measurable


def test_content_answers_not_measurable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from connectors.content import ContentPlatform
    from connectors.local import LocalStore

    store = LocalStore.open(tmp_path / "c.sqlite")
    try:
        platform = ContentPlatform(store, writer=None)  # type: ignore[arg-type]
        assert isinstance(platform, MetricReader)
        req = request(MetricEntity.PAGE, "https://www.acme.example/widgets/", day(-3), day(0),
                      platform=Platform.CONTENT, account="content")
        answer = read(platform, req, NOW)
        assert not answer.measurable and "no platform metrics" in (answer.reason or "")
    finally:
        store.close()

