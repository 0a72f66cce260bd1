"""The sandbox's day model looks like a real ad account (issue 14 item 6): overdispersed conversions,
a weekday season, drift, shocks shared by the account, conversion lag, learning after a bid-strategy
change, a pre-period history, scripted scenarios — and it is deterministic given its seed.

The old sandbox drew Poisson conversions around a flat profile (the verdict's own model): the
dispersion, season, lag and learning tests below fail on it."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta
from decimal import Decimal

import pytest

from connectors.sandbox.realism import Simulation, credited, draw_day, log_walk, shock
from connectors.sandbox.scenarios import AccountModel
from schemas.common import Platform
from schemas.metrics import MetricEntity, MetricRequest
from schemas.operations import SetBiddingScheme, SetBudgetAmount
from tests.unit.sandbox.conftest import NOW, SAMPLES
from tests.unit.sandbox.helpers import ACME, ACME_ADS, GLOBEX, GLOBEX_ADS, gads_batch

D = Decimal
TODAY = NOW.date()


def _request(entity: MetricEntity, entity_id: str, first: date, last: date, *, account: str = ACME_ADS,
             org: str = ACME, exclude: tuple[str, ...] = ()) -> MetricRequest:
    from datetime import UTC, datetime, time

    return MetricRequest(key="k", organization_id=org, platform=Platform.GOOGLE_ADS, account_id=account,
                         entity=entity, entity_id=entity_id, start=datetime.combine(first, time(0), tzinfo=UTC),
                         end=datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC), exclude_ids=exclude)


def _read(ads, req: MetricRequest, at: date):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, time

    return ads.read_metrics(req.account_id, [req], datetime.combine(at, time(12), tzinfo=UTC))[req.key]


def _days(ads, campaign: str, first: date, last: date, at: date, **kw):  # type: ignore[no-untyped-def]
    return {d.day: d for d in _read(ads, _request(MetricEntity.CAMPAIGN, campaign, first, last, **kw), at).days}


def test_daily_conversions_are_overdispersed() -> None:
    sim = Simulation()
    counts = [draw_day(sim, "acct:campaign:1", TODAY + timedelta(days=n), 1.0, 20.0, learning=False).conversions
              for n in range(3000)]
    mean, variance = statistics.fmean(counts), statistics.variance(counts)
    assert 19 < mean < 21
    # gamma-Poisson: var = mu + mu^2 (1/15 + 1/50 + 1/750) ~ 2.8 mu; a Poisson draw would give ~1.0
    assert 2.2 < variance / mean < 3.4
    poissonish = Simulation(dispersion=math.inf, traffic_dispersion=math.inf)
    flat = [draw_day(poissonish, "k", TODAY + timedelta(days=n), 1.0, 20.0, learning=False).conversions
            for n in range(3000)]
    assert 0.85 < statistics.variance(flat) / statistics.fmean(flat) < 1.15  # the knob really is the dispersion


def test_days_follow_a_weekday_season() -> None:
    model = AccountModel("acct", Simulation(drift_sd=0, entity_drift_sd=0, shock_rate=0), TODAY)
    days = [TODAY + timedelta(days=n) for n in range(56)]
    volume = model.volume("campaign", "1", "1", days)
    by_weekday = {w: statistics.fmean(v for d, v in volume.items() if d.weekday() == w) for w in range(7)}
    assert by_weekday[5] < 0.85 * by_weekday[1]  # Saturday well below Tuesday
    assert abs(statistics.fmean(volume.values()) - 1.0) < 0.01  # the season averages out over whole weeks


def test_drift_is_a_seeded_random_walk_anchored_at_seeding() -> None:
    days = [TODAY + timedelta(days=n) for n in range(-60, 600)]
    walk = log_walk(3, "acct", 0.02, TODAY, days)
    assert walk[TODAY] == 0.0 and walk == log_walk(3, "acct", 0.02, TODAY, days)
    steps = [walk[d + timedelta(days=1)] - walk[d] for d in days[:-1]]
    assert 0.018 < statistics.pstdev(steps) < 0.022 and abs(statistics.fmean(steps)) < 0.003
    assert log_walk(4, "acct", 0.02, TODAY, days) != walk  # another seed, another market


def test_shocks_are_shared_by_every_campaign_of_an_account() -> None:
    sim = Simulation(entity_drift_sd=0, shock_rate=0.1)
    model = AccountModel("acct", sim, TODAY)
    days = [TODAY + timedelta(days=n) for n in range(200)]
    one, two = model.volume("campaign", "1", "1", days), model.volume("campaign", "2", "2", days)
    assert one == two  # no own drift: only the shared parts remain, and they are the same
    shocked = [d for d in days if shock(sim, "acct", d) != 1.0]
    assert 0.1 * len(days) <= len(shocked) <= 0.45 * len(days)
    other = [shock(sim, "other-acct", d) for d in days]
    assert other != [shock(sim, "acct", d) for d in days]


def test_conversions_are_credited_late_to_the_click_day() -> None:
    sim = Simulation()
    final = 400
    seen = [credited(sim, "k", TODAY, final, TODAY + timedelta(days=age)) for age in range(0, 40)]
    assert seen[0] == 0 and seen == sorted(seen) and seen[-1] == final  # only ever grows, then complete
    assert 0.4 * final < seen[1] < 0.6 * final  # read the next day: about half is reported
    assert seen[8] > 0.9 * final


def test_a_day_read_later_shows_more_conversions(world, ads) -> None:  # type: ignore[no-untyped-def]
    first, last = TODAY, TODAY + timedelta(days=9)
    early = _days(ads, "120", first, last, last + timedelta(days=1))
    late = _days(ads, "120", first, last, last + timedelta(days=40))
    assert set(early) == set(late) and len(early) == 10
    assert all(early[d].conversions <= late[d].conversions and early[d].cost == late[d].cost for d in early)
    yesterday = last
    assert early[yesterday].conversions < late[yesterday].conversions  # the freshest day is under-reported
    assert sum(e.conversions for e in early.values()) < sum(x.conversions for x in late.values())
    seeded = _days(ads, "120", TODAY - timedelta(days=14), TODAY - timedelta(days=1), TODAY)
    assert sum(d.conversions for d in seeded.values()) == D(98)  # the fixture's totals are as reported at seeding


def test_every_established_campaign_has_four_weeks_of_pre_period(world, ads) -> None:  # type: ignore[no-untyped-def]
    for campaign in world.entities(Platform.GOOGLE_ADS, ACME_ADS, "campaign"):
        started = date.fromisoformat(campaign["start_date"])
        days = _days(ads, campaign["campaign_id"], TODAY - timedelta(days=14 + 56), TODAY - timedelta(days=15), TODAY)
        if started <= TODAY - timedelta(days=14 + 28) and campaign["status"] == "ENABLED":
            assert len(days) >= 28, campaign["campaign_id"]


def test_a_bid_strategy_change_puts_the_campaign_into_learning(world, ads) -> None:  # type: ignore[no-untyped-def]
    scheme = {"strategy": "maximize_conversions"}
    from schemas.actions import BiddingScheme

    ads.apply(ACME_ADS, [gads_batch(SetBiddingScheme(customer_id=ACME_ADS, campaign_id="117",
                                                     scheme=BiddingScheme.model_validate(scheme)))])
    during = _read(ads, _request(MetricEntity.CAMPAIGN, "117", TODAY, TODAY + timedelta(days=2)),
                   TODAY + timedelta(days=3))
    assert during.learning_status == "LEARNING_SETTING_CHANGE" and during.learning
    assert during.attributes["bidding_strategy_system_status"] == "LEARNING_SETTING_CHANGE"
    settled = _read(ads, _request(MetricEntity.CAMPAIGN, "117", TODAY, TODAY + timedelta(days=2)),
                    TODAY + timedelta(days=7))
    assert settled.learning_status == "ENABLED" and not settled.learning
    other = _read(ads, _request(MetricEntity.CAMPAIGN, "118", TODAY, TODAY + timedelta(days=2)),
                  TODAY + timedelta(days=3))
    assert other.learning_status == "ENABLED"
    world.external_change(Platform.GOOGLE_ADS, ACME_ADS, "campaign", "119",
                          bidding={"strategy": "target_cpa", "target_cpa": "30.00"})
    by_hand = _read(ads, _request(MetricEntity.CAMPAIGN, "119", TODAY, TODAY), TODAY + timedelta(days=1))
    assert by_hand.learning and [c.kind for c in by_hand.changes] == ["bidding"] and by_hand.changes_known


def test_learning_lowers_and_shakes_conversions() -> None:
    sim = Simulation()
    settled = [draw_day(sim, "k", TODAY + timedelta(days=n), 1.0, 20.0, learning=False).conversions
               for n in range(2000)]
    learning = [draw_day(sim, "k", TODAY + timedelta(days=n), 1.0, 20.0, learning=True).conversions
                for n in range(2000)]
    assert statistics.fmean(learning) < 0.92 * statistics.fmean(settled)
    assert statistics.pstdev(learning) > 1.2 * statistics.pstdev(settled)


def test_the_account_campaigns_reading_is_the_control_pool(world, ads) -> None:  # type: ignore[no-untyped-def]
    world.set_budget_amount(ACME_ADS, "503", "220.00")  # someone in the UI: reported on campaign 113
    reading = _read(ads, _request(MetricEntity.ACCOUNT_CAMPAIGNS, ACME_ADS, TODAY - timedelta(days=42),
                                  TODAY + timedelta(days=4), exclude=("117",)), TODAY + timedelta(days=5))
    ids = [s.entity_id for s in reading.series]
    assert "117" not in ids and {"111", "112", "113", "120"} <= set(ids)
    assert reading.changes_known and reading.conversion_lag_days == 7
    series = {s.entity_id: s for s in reading.series}
    assert len(series["120"].days) == 47 and series["120"].learning_status == "ENABLED"
    assert [c.kind for c in series["113"].changes] == ["budget"] and series["112"].changes == ()
    assert series["115"].budget_id == series["116"].budget_id == "505"  # a shared budget: never each other's control


def test_the_same_seed_gives_the_same_account_and_another_seed_another(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from connectors.local import LocalStore, seed_embedded_default
    from connectors.sandbox import SandboxWorld

    def series(name: str, seed: int) -> list[tuple[str, str, str]]:
        samples = tmp_path / name
        samples.mkdir()
        for file in ("orgs.yaml", "opportunities.jsonl"):
            (samples / file).write_text((SAMPLES / file).read_text())
        fixture = json.loads((SAMPLES / "sandbox.json").read_text())
        fixture["seed"] = seed
        (samples / "sandbox.json").write_text(json.dumps(fixture))
        store = LocalStore.open(tmp_path / f"{name}.sqlite")
        try:
            seed_embedded_default(store, samples, NOW)
            ads = SandboxWorld(store, clock=lambda: NOW).google_ads()
            days = _days(ads, "120", TODAY - timedelta(days=30), TODAY + timedelta(days=9), TODAY + timedelta(days=10))
            return [(str(d), str(m.cost), str(m.conversions)) for d, m in sorted(days.items())]
        finally:
            store.close()

    first = series("a", 0)
    assert series("b", 0) == first
    assert series("c", 1) != first


def test_scripted_dip_and_tracking_outage(world, ads) -> None:  # type: ignore[no-untyped-def]
    world.script_event(GLOBEX_ADS, "tracking_outage", TODAY + timedelta(days=2), days=3)
    world.script_event(ACME_ADS, "shift", TODAY, days=5, factor=0.5, campaigns=("120",))
    at = TODAY + timedelta(days=40)  # late enough for every conversion to be credited
    globex = {c["campaign_id"] for c in world.entities(Platform.GOOGLE_ADS, GLOBEX_ADS, "campaign")
              if c["status"] == "ENABLED"}
    outage = [TODAY + timedelta(days=n) for n in (2, 3, 4)]
    for campaign in globex:
        days = _days(ads, campaign, TODAY, TODAY + timedelta(days=6), at, account=GLOBEX_ADS, org=GLOBEX)
        if days:
            assert all(days[d].conversions == 0 and days[d].cost > 0 for d in outage if d in days), campaign
    converting = sum(m.conversions for c in globex for d, m in _days(
        ads, c, TODAY, TODAY + timedelta(days=6), at, account=GLOBEX_ADS, org=GLOBEX).items() if d not in outage)
    assert converting > 0  # only the outage days lost their conversions
    dipped = _days(ads, "120", TODAY, TODAY + timedelta(days=9), at)
    before = statistics.fmean(float(dipped[TODAY + timedelta(days=n)].cost) for n in range(5))
    after = statistics.fmean(float(dipped[TODAY + timedelta(days=n)].cost) for n in range(5, 10))
    assert before < 0.7 * after
    with pytest.raises(ValueError):
        world.script_event(ACME_ADS, "shift", TODAY - timedelta(days=1), factor=0.5)  # the past is written
    with pytest.raises(KeyError):
        world.script_event(ACME_ADS, "shift", TODAY, campaigns=("999",))


def test_a_campaign_that_is_not_budget_limited_ignores_its_budget(world, ads, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world.external_change(Platform.GOOGLE_ADS, ACME_ADS, "campaign", "117", budget_elasticity="0")
    ads.apply(ACME_ADS, [gads_batch(SetBudgetAmount(customer_id=ACME_ADS, budget_id="506", amount=D("375.00")))])
    from tests.unit.sandbox.test_readings import _twin

    store, twin = _twin(tmp_path)
    try:
        alone = _days(twin, "117", TODAY, TODAY + timedelta(days=5), TODAY + timedelta(days=6))
    finally:
        store.close()
    assert _days(ads, "117", TODAY, TODAY + timedelta(days=5), TODAY + timedelta(days=6)) == alone


def test_a_snapshot_reports_changes_made_outside_the_operator(world, ads) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, time

    from schemas.snapshots import SnapshotPart
    from tests.unit.sandbox.helpers import gads_request

    world.set_budget_amount(ACME_ADS, "506", "260.00")  # campaign 117's budget, by a person in the UI
    world.external_change(Platform.GOOGLE_ADS, ACME_ADS, "keyword", "2001~3001", cpc_bid="1.30")
    ads.apply(ACME_ADS, [gads_batch(SetBudgetAmount(customer_id=ACME_ADS, budget_id="501", amount=D("160.00")))])
    at = datetime.combine(TODAY, time(18), tzinfo=UTC)
    parts = frozenset({SnapshotPart.CAMPAIGN, SnapshotPart.CHANGES})
    campaign = gads_request("c", parts=parts, campaign_id="117")
    keyword = gads_request("k", parts=frozenset({SnapshotPart.KEYWORD, SnapshotPart.CHANGES}), ad_group_id="2001",
                           criterion_id="3001")
    brand = gads_request("b", parts=parts, campaign_id="112")
    read = ads.snapshot(ACME_ADS, [campaign, keyword, brand], at)
    [budget] = read["c"].outside_changes
    assert budget.entity_key == f"google_ads:{ACME_ADS}:campaign:117" and budget.kind == "budget"
    assert budget.resource_name == f"customers/{ACME_ADS}/campaignBudgets/506" and budget.actor == "sandbox-ui"
    [bid] = read["k"].outside_changes
    assert bid.entity_key == f"google_ads:{ACME_ADS}:keyword:2001~3001" and bid.kind == "bidding"
    assert read["b"].outside_changes == ()  # the Operator's own change (through apply) is in its log, not here
    later = ads.snapshot(ACME_ADS, [campaign], at + timedelta(days=15))
    assert later["c"].outside_changes == ()  # older than the 14 days a snapshot looks back


def test_a_simulated_send_draws_clicks_around_each_messages_rate(world) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.sandbox.helpers import ACME_AC

    [stats] = world.simulate_send(ACME_AC, "21", sends_per_message=20000, click_rates=[0.03])
    assert stats["sends"] == 20000 and 520 < stats["clicks"] < 680 and stats["opens"] >= stats["clicks"]
    campaign = world.entity(Platform.ACTIVECAMPAIGN, ACME_AC, "email_campaign", "21")
    assert (campaign["send_amt"], campaign["clicks"]) == (20000, stats["clicks"])
    assert world.simulate_send(ACME_AC, "21", sends_per_message=20000, click_rates=[0.03]) == [stats]  # seeded
    with pytest.raises(ValueError):
        world.simulate_send(ACME_AC, "21", sends_per_message=10, click_rates=[0.03, 0.04])  # one message only
