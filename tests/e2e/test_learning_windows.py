"""After windows leave out the treated campaign's learning period (issue 14, item 4), end to end on the
embedded default with the clock: a bid-strategy change (and a budget change that learns) puts the campaign
into Smart Bidding learning for about a week at a lower conversion rate (the realistic sandbox: 7 days at
0.85x with extra noise). Judged on its original after window — mostly learning days — a neutral change
can look like harm and be rolled back; judged after the learning it is judged on settled days.

- a neutral bid-strategy change is not judged on its learning week and is not rolled back (the after
  windows start after the org's `learning_allowance_days`; the record says why);
- a budget change whose campaign reports `LEARNING_BUDGET_CHANGE` for five days is seen learning once a
  day, and its after windows start the day after the last day it was seen learning.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from operator_ai.approvals import decide
from schemas.common import ActionStatus
from tests.e2e.harness import ACME_ADS, APPROVER, Env, opportunity
from tests.e2e.test_realistic_measurement import (
    BUDGET_UP_117,
    BUSY_117,
    measurements,
    realistic_samples,
    run_schedule,
    statuses,
)

STRATEGY_117 = {"type": "change_bid_strategy", "target": {"customer_id": ACME_ADS, "campaign_id": "117"},
                "params": {"strategy": "maximize_conversions"}}
# seed 7 of the realistic sandbox: judged on its learning week, this neutral change read as -37 % conversions
# per unit of cost (p = 0.012) and was rolled back automatically (4 of the first 12 seeds were called `failed`)
LEARNING_DIP_SEED = 7


def with_simulation(samples: Path, **simulation: Any) -> Path:
    fixture = json.loads((samples / "sandbox.json").read_text(encoding="utf-8"))
    for account in fixture["google_ads"]:
        if account["customer_id"] == ACME_ADS:
            account["simulation"] = {**account.get("simulation", {}), **simulation}
    (samples / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
    return samples


def run_until_final(env: Env, action_id: str, limit: timedelta = timedelta(days=60)) -> list[dict[str, Any]]:
    """Scheduled runs every 12 hours, a week at a time, until the action's final verdict is recorded."""
    end = env.clock() + limit
    while env.clock() < end:
        run_schedule(env, timedelta(days=7))
        found = measurements(env, action_id)
        if found and found[-1]["final"]:
            return found
    raise AssertionError(f"no final verdict within {limit}: {measurements(env, action_id)}")


def window_start(measurement: dict[str, Any]) -> date:
    return datetime.fromisoformat(measurement["after_window"][0]).date()


def test_a_neutral_bid_strategy_change_is_not_judged_on_its_learning_week(
        make_env: Callable[..., Env], tmp_path: Path) -> None:
    samples = with_simulation(realistic_samples(tmp_path / "s", [opportunity("opp-l-001", STRATEGY_117)],
                                                auto_rollback_acme=True, campaigns={"117": BUSY_117}),
                              seed=LEARNING_DIP_SEED)
    env = make_env(samples=samples)
    env.run()
    record = env.record("opp-l-001")
    if record.status == ActionStatus.PENDING_APPROVAL:  # a bid-strategy change always needs a person
        assert decide(env.services, record.action_id, approve=True, approver=APPROVER).status == "EXECUTED"
    record = env.record("opp-l-001")
    assert record.status == ActionStatus.EXECUTED and record.executed_at is not None
    exec_day = record.executed_at.date()
    found = run_until_final(env, record.action_id)
    final = found[-1]
    assert ActionStatus.ROLLING_BACK not in statuses(env, record.action_id), final["reason"]
    assert final["verdict"] != "failed", final["reason"]
    assert env.campaign("117")["bidding"]["strategy"] == "maximize_conversions"
    judged = [m for m in found if m["verdict"] not in ("immature", "learning")]
    assert judged, found
    for m in judged:  # the sandbox learns on the execution day and the 6 after it: none of them is judged
        assert window_start(m) >= exec_day + timedelta(days=7), m["after_window"]
        assert "learning_allowance_days" in m["after_window_moved"]


def test_after_windows_start_the_day_after_the_campaign_was_last_seen_learning(
        make_env: Callable[..., Env], tmp_path: Path) -> None:
    samples = realistic_samples(
        tmp_path / "s", [opportunity("opp-l-002", BUDGET_UP_117)], auto_rollback_acme=True,
        events={ACME_ADS: [{"kind": "learning", "campaigns": ["117"], "from_days": 0, "days": 5,
                            "status": "LEARNING_BUDGET_CHANGE"}]},
        campaigns={"117": {**BUSY_117, "budget_elasticity": 0}})
    env = make_env(samples=samples)
    env.run()
    record = env.record("opp-l-002")
    assert record.status == ActionStatus.EXECUTED and record.executed_at is not None
    exec_day = record.executed_at.date()
    found = run_until_final(env, record.action_id)
    learning = [m for m in found if m["verdict"] == "learning"]
    seen = sorted({datetime.fromisoformat(m["measured_at"]).date() for m in learning})
    # the sandbox learns on the execution day and the 4 after it; the +24 h checkpoint is first read 2 days
    # after the execution, and then once a day while the campaign still learns
    assert seen == [exec_day + timedelta(days=d) for d in (2, 3, 4)], seen
    assert all(m["learning_status"] == "LEARNING_BUDGET_CHANGE" for m in learning)
    later = [m for m in found if m["verdict"] != "learning"]
    assert later and {m["index"] for m in later} >= {0, 1, 2}  # and the checkpoints its horizon added
    for m in later:
        assert window_start(m) == seen[-1] + timedelta(days=1), m["after_window"]
        assert seen[-1].isoformat() in m["after_window_moved"]
    assert found[-1]["verdict"] in ("inconclusive", "successful"), found[-1]["reason"]
