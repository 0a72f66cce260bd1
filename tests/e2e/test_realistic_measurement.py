"""Impact verdicts on the realistic sandbox, end to end on the embedded default with a moving clock
(issue 14): overdispersed days with weekday season, drift, shared shocks and conversion lag, plus
scripted scenarios (a dip across the account, a tracking outage, learning, a change by someone else).

- a harmful pause is `immature` while its conversions are being credited, then `failed` against the
  control of the account's other campaigns, and rolled back automatically;
- a neutral budget increase in an account whose campaigns all dip by the same amount is not `failed`
  and not rolled back (the before/after drop alone would have called it harmful);
- a campaign in learning is not judged (`learning`);
- a change to the campaign by someone else inside the windows makes the verdict `confounded`;
- a tracking outage across the account holds automatic rollbacks and blocks spend increases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from operator_ai.approvals import decide
from operator_ai.settings import SAMPLES_DIR
from schemas.common import ActionStatus
from tests.e2e.harness import ACME_ADS, APPROVER, GLOBEX, GLOBEX_ADS, Env, opportunity, samples_dir

SCHEDULE = timedelta(hours=12)
MATURE = timedelta(days=17)  # +7 d checkpoint, its 7-day window, and the 7-day conversion-lag allowance


def realistic_samples(root: Path, opportunities: list[dict[str, Any]], *, auto_rollback_acme: bool = False,
                      events: dict[str, list[dict[str, Any]]] | None = None,
                      campaigns: dict[str, dict[str, Any]] | None = None) -> Path:
    """The bundled orgs and sandbox with these opportunities, scripted `events` per customer id and
    campaign field overrides (`campaigns`: campaign id -> fields)."""
    orgs = (SAMPLES_DIR / "orgs.yaml").read_text(encoding="utf-8")
    if auto_rollback_acme:
        orgs = orgs.replace("auto_rollback: false", "auto_rollback: true", 1)
    path = samples_dir(root, opportunities, orgs_yaml=orgs)
    fixture = json.loads((path / "sandbox.json").read_text(encoding="utf-8"))
    for account in fixture["google_ads"]:
        account["events"] = (events or {}).get(account["customer_id"], [])
        for campaign in account["campaigns"]:
            campaign.update((campaigns or {}).get(campaign["campaign_id"], {}))
    (path / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
    return path


def run_schedule(env: Env, until: timedelta) -> list[Any]:
    """A scheduled run every 12 hours for `until`; the run summaries."""
    summaries = []
    end = env.clock() + until
    while env.clock() < end:
        env.clock.advance(hours=SCHEDULE.total_seconds() / 3600)
        summaries.append(env.run())
    return summaries


def run_until_final(env: Env, action_id: str, limit: timedelta = timedelta(days=45)) -> dict[str, Any]:
    """Scheduled runs every 12 hours until the action's final measurement is written (its horizon may wait
    beyond the +7 d checkpoint on noisy days); that measurement."""
    end = env.clock() + limit
    while env.clock() < end:
        done = [m for m in measurements(env, action_id) if m["final"]]
        if done:
            return done[0]
        env.clock.advance(hours=SCHEDULE.total_seconds() / 3600)
        env.run()
    raise AssertionError(f"no final measurement within {limit}: {verdicts(env, action_id)}")


def explain_output(env: Env, samples: Path, action_id: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from click.testing import CliRunner

    from operator_ai.cli import cli, register, run_cmds

    register(run_cmds.add)
    monkeypatch.setenv("OPERATOR_HOME", str(env.home))
    monkeypatch.setenv("OPERATOR_SAMPLES_DIR", str(samples))
    monkeypatch.setenv("COLUMNS", "400")
    return " ".join(CliRunner().invoke(cli, ["explain", action_id], catch_exceptions=False).output.split())


def measurements(env: Env, action_id: str) -> list[dict[str, Any]]:
    record = env.log.latest([action_id])[action_id]
    return list((record.result or {}).get("measurements") or [])


def verdicts(env: Env, action_id: str) -> list[str]:
    return [m["verdict"] for m in measurements(env, action_id)]


def statuses(env: Env, action_id: str) -> list[ActionStatus]:
    return [e.status for e in env.events(action_id)]


PAUSE_214 = {"type": "pause_campaign", "target": {"customer_id": GLOBEX_ADS, "campaign_id": "214"}, "params": {}}
BUDGET_UP_117 = {"type": "adjust_campaign_budget", "target": {"customer_id": ACME_ADS, "campaign_id": "117"},
                 "params": {"change_pct": "15"}}
# 117 at 20 conversions a day (the cell), the rest of the account as bundled
BUSY_117 = {"metrics": {"cost": "3360.00", "conversions": "280", "conversion_value": "11760.00", "clicks": 5200,
                        "impressions": 38000}}


def test_a_harmful_pause_is_immature_then_failed_against_its_control_and_rolled_back(
        make_env: Callable[..., Env], tmp_path: Path) -> None:
    env = make_env(samples=realistic_samples(tmp_path / "s", [opportunity("opp-r-001", PAUSE_214, org=GLOBEX)]))
    env.run()
    action_id = env.record("opp-r-001").action_id
    assert decide(env.services, action_id, approve=True, approver=APPROVER).status == "EXECUTED"
    run_schedule(env, timedelta(days=5))
    early = measurements(env, action_id)
    assert early and early[0]["verdict"] == "immature"  # its days are still being credited
    assert ActionStatus.ROLLING_BACK not in statuses(env, action_id)
    run_schedule(env, MATURE - timedelta(days=5))
    done = measurements(env, action_id)
    final = next(m for m in done if m["final"])
    assert final["verdict"] == "failed", final["reason"]
    impact = final["impact"]
    assert impact["control"]["kind"] == "campaigns" and "214" not in impact["control"]["entities"]
    assert impact["ci_high_pct"] < -10 and impact["rollback_evidence"] is True
    assert statuses(env, action_id)[-2:] == [ActionStatus.ROLLING_BACK, ActionStatus.ROLLED_BACK]
    assert env.campaign("214", GLOBEX_ADS)["status"] == "ENABLED"
    record = env.log.latest([action_id])[action_id]
    assert record.result["rollback"]["by"] == "operator:auto-rollback"


def test_a_neutral_budget_increase_in_a_dipping_account_is_not_rolled_back(
        make_env: Callable[..., Env], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """+15 % budget on a campaign that is not budget-limited (its days do not change), the day after
    which every campaign of the account loses 30 % (a holiday, a competitor): the campaign's own
    before/after comparison sees a 30 % drop; the control of the other campaigns dropped alike."""
    samples = realistic_samples(
        tmp_path / "s", [opportunity("opp-r-002", BUDGET_UP_117)], auto_rollback_acme=True,
        events={ACME_ADS: [{"kind": "shift", "from_days": 1, "days": 30, "factor": 0.7, "note": "market dip"}]},
        campaigns={"117": {**BUSY_117, "budget_elasticity": 0}})
    env = make_env(samples=samples)
    env.run()
    record = env.record("opp-r-002")
    assert record.status == ActionStatus.EXECUTED
    final = run_until_final(env, record.action_id)
    # 20 conversions a day at the sandbox's real-account noise: a week cannot find a 30 % drop reliably, so
    # the +7 d checkpoint is judged as interim and the final verdict waits whole weeks longer (horizon.py)
    latest = env.log.latest([record.action_id])[record.action_id]
    horizon = latest.result["horizon"]
    week = next(m for m in measurements(env, record.action_id) if m["label"] == "+168h")
    assert horizon["final_days"] > 7 and horizon["power_scheduled"] < 0.85 <= horizon["power_planned"]
    assert (week["final"], week["alpha"]) == (False, 0.001)
    assert final["window_days"] == horizon["final_days"] and final["alpha"] == 0.05
    assert len(latest.measurement_checkpoints) > 3
    explained = explain_output(env, samples, record.action_id, monkeypatch)  # a person sees when and why
    assert f"final verdict planned at +{horizon['final_days']} days" in explained and "30% drop" in explained
    before, after = int(final["before"]["conversions"]), int(final["after"]["conversions"])
    assert after < 0.85 * before  # the naive view: conversions fell well after the increase
    assert final["verdict"] in ("inconclusive", "successful"), final["reason"]
    impact = final["impact"]
    assert impact["control"]["kind"] == "campaigns" and impact["ci_low_pct"] < 0 < impact["ci_high_pct"]
    assert ActionStatus.ROLLING_BACK not in statuses(env, record.action_id)
    assert env.budget_of("117") == "287.50"


def test_a_campaign_in_learning_is_not_judged(make_env: Callable[..., Env], tmp_path: Path) -> None:
    samples = realistic_samples(
        tmp_path / "s", [opportunity("opp-r-003", BUDGET_UP_117)], auto_rollback_acme=True,
        events={ACME_ADS: [{"kind": "learning", "campaigns": ["117"], "from_days": 0, "days": 40,
                            "status": "LEARNING_BUDGET_CHANGE"}]},
        campaigns={"117": BUSY_117})
    env = make_env(samples=samples)
    env.run()
    record = env.record("opp-r-003")
    assert record.status == ActionStatus.EXECUTED
    run_schedule(env, MATURE)
    seen = verdicts(env, record.action_id)
    assert seen and set(seen) == {"learning"}, seen
    assert all("learn" in m["reason"].lower() for m in measurements(env, record.action_id))
    assert ActionStatus.ROLLING_BACK not in statuses(env, record.action_id)


def test_a_change_by_someone_else_inside_the_windows_confounds_the_verdict(
        make_env: Callable[..., Env], tmp_path: Path) -> None:
    samples = realistic_samples(tmp_path / "s", [opportunity("opp-r-004", BUDGET_UP_117)], auto_rollback_acme=True,
                                campaigns={"117": BUSY_117})
    env = make_env(samples=samples)
    env.run()
    record = env.record("opp-r-004")
    assert record.status == ActionStatus.EXECUTED
    env.clock.advance(days=2)
    env.world.set_budget_amount(ACME_ADS, "506", "400.00")  # a person raises it again in the UI
    run_schedule(env, MATURE)
    found = measurements(env, record.action_id)
    assert found and found[-1]["final"] and found[-1]["verdict"] == "confounded", found[-1]
    assert ActionStatus.ROLLING_BACK not in statuses(env, record.action_id)


def test_a_tracking_outage_holds_rollbacks_and_spend_increases(make_env: Callable[..., Env], tmp_path: Path) -> None:
    """Conversion tracking breaks across acme's account three days after a harmful pause of its brand
    campaign: the breaker holds the automatic rollback and blocks a budget increase that arrives."""
    pause_112 = {"type": "pause_campaign", "target": {"customer_id": ACME_ADS, "campaign_id": "112"}, "params": {}}
    later_budget = opportunity("opp-r-006", BUDGET_UP_117)
    samples = realistic_samples(
        tmp_path / "s", [opportunity("opp-r-005", pause_112)], auto_rollback_acme=True,
        events={ACME_ADS: [{"kind": "tracking_outage", "from_days": 3, "days": 60}]},
        campaigns={"117": BUSY_117})
    env = make_env(samples=samples)
    env.run()
    pause = env.record("opp-r-005")
    if pause.status == ActionStatus.PENDING_APPROVAL:  # a brand campaign: a person approves the pause
        assert decide(env.services, pause.action_id, approve=True, approver=APPROVER).status == "EXECUTED"
    summaries = run_schedule(env, timedelta(days=6))
    held = [line for s in summaries for line in s.actions if line["status"] == "TRACKING_HOLD"]
    assert held and "conversions collapsed" in held[0]["detail"]
    env.services.opportunities.load_opportunities([{**later_budget, "created_at": env.clock().isoformat(),
                                                    "approved_at": env.clock().isoformat()}])
    env.run()
    blocked = env.record("opp-r-006")
    assert blocked.status == ActionStatus.BLOCKED and blocked.verdict is not None
    assert "tracking_hold" in {r.rule_id for r in blocked.verdict.rules if r.outcome.value == "block"}
    run_schedule(env, MATURE)
    assert ActionStatus.ROLLING_BACK not in statuses(env, pause.action_id)
    assert env.campaign("112")["status"] == "PAUSED"
