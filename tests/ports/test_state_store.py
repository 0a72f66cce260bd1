"""StateStore port: organizations, kill switches, idempotency claims and execution counters."""

from __future__ import annotations

import threading
from datetime import timedelta

from schemas.common import AutonomyMode, RolloutPhase
from schemas.policy import ConnectedAccounts, KillSwitch, OrgPolicy
from tests.ports.builders import NOW, action_id, org_id


def _policy(org: str, **changes) -> OrgPolicy:
    return OrgPolicy.model_validate({
        "organization_id": org, "name": "Acme", "autonomy": AutonomyMode.AUTONOMOUS,
        "rollout_phase": RolloutPhase.FULL, "limits": {"org_daily_budget_cap": "2840"},
        "brand_patterns": ("brand",), "connected": ConnectedAccounts(google_ads_customer_ids=("1234567890",)),
        "google_ads_credentials_ref": "env:GOOGLE_ADS_CREDENTIALS", **changes,
    })


# ----------------------------------------------------------------------------- organizations


def test_organizations_round_trip_and_update(stores):
    org = org_id()
    assert stores.state.get_org(org) is None
    policy = _policy(org)
    stores.state.put_org(policy)
    assert stores.state.get_org(org) == policy
    tighter = _policy(org, rollout_phase=RolloutPhase.SAFE, updated_at=NOW)
    stores.state.put_org(tighter)
    assert stores.state.get_org(org) == tighter
    listed = [p for p in stores.state.list_orgs() if p.organization_id == org]
    assert listed == [tighter]


# ----------------------------------------------------------------------------- kill switches


def test_kill_switch_scopes_keep_who_when_and_why(stores):
    org, bystander = org_id(), org_id()
    assert stores.state.kill_switches(org).active is None
    stop = KillSwitch(scope=org, active=True, set_by="sam@ops.example", set_at=NOW, reason="bad budget push")
    stores.state.set_kill_switch(stop)
    state = stores.state.kill_switches(org)
    assert state.active == stop
    assert state.org_switch == stop
    assert stores.state.kill_switches(bystander).active is None  # another org keeps running

    resume = KillSwitch(scope=org, active=False, set_by="kim@ops.example", set_at=NOW + timedelta(hours=1),
                        reason="fixed")
    stores.state.set_kill_switch(resume)
    state = stores.state.kill_switches(org)
    assert state.active is None
    assert state.org_switch == resume  # who cleared it, when, why


def test_the_global_switch_stops_every_organization(stores):
    org = org_id()
    try:
        stores.state.set_kill_switch(KillSwitch(scope="global", active=True, set_by="sam@ops.example", set_at=NOW,
                                                reason="incident"))
        state = stores.state.kill_switches(org)
        assert state.active is not None and state.active.scope == "global"
        assert state.global_switch is not None and state.global_switch.reason == "incident"
    finally:
        stores.state.set_kill_switch(KillSwitch(scope="global", active=False, set_by="sam@ops.example",
                                                set_at=NOW + timedelta(minutes=1), reason="over"))
    assert stores.state.kill_switches(org).active is None


# ----------------------------------------------------------------------------- claims


def test_a_claim_is_exclusive_while_its_lease_lasts(stores):
    act = action_id()
    assert stores.state.claim_state(act) is None
    assert stores.state.claim(act, "run-a", NOW, 60) is True
    assert stores.state.claim(act, "run-b", NOW + timedelta(seconds=30), 60) is False
    assert stores.state.claim(act, "run-a", NOW + timedelta(seconds=30), 60) is True  # the holder renews
    state = stores.state.claim_state(act)
    assert state is not None and state["run_id"] == "run-a"


def test_an_expired_lease_can_be_taken_over(stores):
    act = action_id()
    assert stores.state.claim(act, "run-a", NOW, 60)
    assert stores.state.claim(act, "run-b", NOW + timedelta(seconds=61), 60) is True
    assert stores.state.claim_state(act)["run_id"] == "run-b"
    stores.state.release(act, "run-a", done=True)  # the old holder's late release changes nothing
    assert stores.state.claim(act, "run-c", NOW + timedelta(seconds=200), 60) is True


def test_released_actions_can_be_claimed_again_but_done_ones_never(stores):
    again, finished = action_id(), action_id()
    assert stores.state.claim(again, "run-a", NOW, 600)
    stores.state.release(again, "run-a", done=False)
    assert stores.state.claim(again, "run-b", NOW + timedelta(seconds=1), 600) is True

    assert stores.state.claim(finished, "run-a", NOW, 600)
    stores.state.release(finished, "run-a", done=True)
    assert stores.state.claim(finished, "run-b", NOW + timedelta(days=30), 600) is False
    assert stores.state.claim(finished, "run-a", NOW + timedelta(days=30), 600) is False


def _race_for(stores, act: str, runners: int) -> list[str]:
    barrier = threading.Barrier(runners)
    wins: list[str] = []

    def race(run: str) -> None:
        barrier.wait()
        if stores.state.claim(act, run, NOW, 300):
            wins.append(run)

    threads = [threading.Thread(target=race, args=(f"run-{n}",)) for n in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wins


def test_threads_racing_for_one_action_get_one_winner(stores):
    for _ in range(3):
        act = action_id()
        wins = _race_for(stores, act, 6)
        assert len(wins) == 1
        assert stores.state.claim_state(act)["run_id"] == wins[0]


# ----------------------------------------------------------------------------- execution counters


def test_execution_counters_are_rolling_windows_per_organization(stores):
    org, other = org_id(), org_id()
    for minutes in (5, 30, 90, 60 * 30):
        stores.state.record_execution(org, action_id(), NOW - timedelta(minutes=minutes))
    stores.state.record_execution(other, action_id(), NOW)
    assert stores.state.count_executions(org, NOW - timedelta(hours=1)) == 2
    assert stores.state.count_executions(org, NOW - timedelta(hours=24)) == 3
    assert stores.state.count_executions(org, NOW - timedelta(days=2)) == 4
    assert stores.state.count_executions(org, NOW + timedelta(minutes=1)) == 0
    assert stores.state.count_executions(other, NOW - timedelta(hours=1)) == 1


def test_reopen_makes_only_a_finished_action_claimable_again(stores):
    finished, held, unknown = action_id(), action_id(), action_id()
    assert stores.state.claim(finished, "run-a", NOW, 600)
    stores.state.release(finished, "run-a", done=True)
    assert stores.state.reopen(finished) is True
    assert stores.state.claim(finished, "run-b", NOW + timedelta(seconds=1), 600) is True
    assert stores.state.reopen(finished) is False  # held by run-b now, not done

    assert stores.state.claim(held, "run-a", NOW, 600)
    assert stores.state.reopen(held) is False
    assert stores.state.claim(held, "run-b", NOW + timedelta(seconds=1), 600) is False
    assert stores.state.reopen(unknown) is False
