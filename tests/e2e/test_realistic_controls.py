"""The control pool on the realistic sandbox, end to end on the embedded default with a moving clock
(issue 14): a campaign launched during the pre-period is not a control (it made a neutral budget increase
look like a third fewer conversions, `failed` and rolled back), and a keyword bid change is never judged
against its own campaign. Each record says why a campaign was left out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from schemas.common import ActionStatus
from tests.e2e.harness import ACME_ADS, Env, opportunity
from tests.e2e.test_realistic_measurement import (
    BUDGET_UP_117,
    BUSY_117,
    MATURE,
    measurements,
    realistic_samples,
    run_schedule,
    statuses,
)

# 118 launched 10 days before the action, at 40 conversions a day: more than the rest of the account's
# campaigns together (the bundled 118 converts 2 a day)
LAUNCHED_118 = {"started_days_ago": 10, "metrics": {"cost": "4000.00", "conversions": "400",
                                                    "conversion_value": "16000.00", "clicks": 8000,
                                                    "impressions": 60000}}
KEYWORD_BID_3001 = {"type": "adjust_keyword_bid", "params": {"change_pct": "10"},
                    "target": {"customer_id": ACME_ADS, "ad_group_id": "2001", "criterion_id": "3001"}}


def _judged(env: Env, action_id: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in measurements(env, action_id) if m.get("impact")]


def test_a_campaign_launched_in_the_pre_period_does_not_fail_a_neutral_increase(
        make_env: Callable[..., Env], tmp_path: Path) -> None:
    samples = realistic_samples(tmp_path / "s", [opportunity("opp-c-001", BUDGET_UP_117)], auto_rollback_acme=True,
                                campaigns={"117": {**BUSY_117, "budget_elasticity": 0}, "118": LAUNCHED_118})
    env = make_env(samples=samples)
    env.run()
    record = env.record("opp-c-001")
    assert record.status == ActionStatus.EXECUTED
    run_schedule(env, MATURE)
    judged = _judged(env, record.action_id)
    assert judged and all(m["verdict"] != "failed" for m in judged), judged[-1]["reason"]
    control = judged[-1]["impact"]["control"]
    assert control["kind"] == "campaigns" and "118" not in control["entities"]
    assert control["excluded"]["118"].startswith("started during the pre-period"), control["excluded"]
    assert ActionStatus.ROLLING_BACK not in statuses(env, record.action_id)
    assert env.budget_of("117") == "287.50"


def test_a_keyword_bid_change_is_not_judged_against_its_own_campaign(
        make_env: Callable[..., Env], tmp_path: Path) -> None:
    env = make_env(samples=realistic_samples(tmp_path / "s", [opportunity("opp-c-002", KEYWORD_BID_3001)]))
    env.run()
    record = env.record("opp-c-002")
    assert record.status == ActionStatus.EXECUTED
    run_schedule(env, timedelta(days=11))
    judged = _judged(env, record.action_id)
    assert judged
    control = judged[-1]["impact"]["control"]
    assert control["excluded"]["119"] == "holds the treated keyword" and "119" not in control["entities"]
    assert control["excluded"]["114"].startswith("started during the pre-period")  # the bundled 1-day-old launch
