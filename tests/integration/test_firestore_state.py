"""FirestoreStateStore on the Firestore emulator: organizations, kill switches, claims, approvals and
rolling execution counters, with the semantics of the SQLite store."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.base import ApprovalError, PendingApproval, StoreError
from connectors.firestore import FirestoreStateStore
from schemas.common import AutonomyMode, RolloutPhase
from schemas.policy import ConnectedAccounts, KillSwitch, OrgPolicy
from tests.servers.procs import free_port

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACT = "act-000000000000000000000001"


@pytest.fixture
def state(fs_client, fs_prefix) -> FirestoreStateStore:
    return FirestoreStateStore(fs_client, prefix=fs_prefix, timeout_s=5, deadline_s=15)


def pending(action_id: str = ACT, *, org: str = "org-acme", expires_in: timedelta = timedelta(hours=4),
            requested_at: datetime = NOW) -> PendingApproval:
    return PendingApproval(action_id=action_id, organization_id=org, plan_hash="h" * 64,
                           requested_at=requested_at, expires_at=requested_at + expires_in,
                           summary="raise budget 100 → 120")


# ---------------------------------------------------------------------- organizations


def test_organizations_round_trip_with_decimal_limits(state):
    acme = OrgPolicy(organization_id="org-acme", name="Acme", autonomy=AutonomyMode.AUTONOMOUS,
                     rollout_phase=RolloutPhase.EXPANDED, limits={"budget_increase_pct": Decimal("15.5")},
                     brand_patterns=("(?i)acme",), connected=ConnectedAccounts(google_ads_customer_ids=("1234567890",)))
    beta = OrgPolicy(organization_id="org-beta")
    state.put_org(beta)
    state.put_org(acme)

    assert state.get_org("org-acme") == acme
    assert state.get_org("org-none") is None
    assert state.list_orgs() == [acme, beta]

    state.put_org(acme.model_copy(update={"autonomy": AutonomyMode.ADVISORY}))
    assert state.get_org("org-acme").autonomy == AutonomyMode.ADVISORY


# ---------------------------------------------------------------------- kill switches


def test_kill_switches_keep_who_when_why_and_their_history(state, fs_client, fs_prefix):
    assert state.kill_switches("org-acme").active is None
    stop = KillSwitch(scope="org-acme", active=True, set_by="ops@acme.example", set_at=NOW, reason="bad data")
    state.set_kill_switch(stop)
    assert state.kill_switches("org-acme").org_switch == stop
    assert state.kill_switches("org-acme").active == stop
    assert state.kill_switches("org-beta").active is None

    everything = KillSwitch(scope="global", active=True, set_by="oncall", set_at=NOW, reason="incident")
    state.set_kill_switch(everything)
    assert state.kill_switches("org-beta").active == everything
    assert state.kill_switches("global") .org_switch is None

    resumed = KillSwitch(scope="org-acme", active=False, set_by="ops@acme.example",
                         set_at=NOW + timedelta(hours=1), reason="fixed")
    state.set_kill_switch(resumed)
    assert state.kill_switches("org-acme").org_switch == resumed
    history = fs_client.collection(f"{fs_prefix}kill_switches").document("org-acme").collection("history")
    assert sorted(doc.get("reason") for doc in history.stream()) == ["bad data", "fixed"]


def test_a_scope_that_is_not_a_document_id_is_refused(state):
    with pytest.raises(ValueError):
        state.set_kill_switch(KillSwitch(scope="org/acme", active=True, set_by="x", set_at=NOW, reason="r"))


# ---------------------------------------------------------------------- claims


def test_a_claim_is_exclusive_until_released_or_its_lease_runs_out(state):
    assert state.claim(ACT, "run-1", NOW, 60) is True
    assert state.claim(ACT, "run-2", NOW + timedelta(seconds=30), 60) is False
    assert state.claim(ACT, "run-1", NOW + timedelta(seconds=30), 60) is True  # the holder renews
    assert state.claim_state(ACT)["lease_until"] == NOW + timedelta(seconds=90)

    assert state.claim(ACT, "run-2", NOW + timedelta(seconds=91), 60) is True  # lease expired: taken over
    held = state.claim_state(ACT)
    assert (held["run_id"], held["state"], held["claimed_at"]) == ("run-2", "held", NOW + timedelta(seconds=91))

    state.release(ACT, "run-1", done=True)  # the old holder changes nothing
    assert state.claim_state(ACT)["state"] == "held"
    state.release(ACT, "run-2", done=False)
    assert state.claim_state(ACT)["state"] == "released"
    assert state.claim_state(ACT)["released_at"] is not None
    assert state.claim(ACT, "run-3", NOW + timedelta(seconds=92), 60) is True


def test_a_done_action_is_never_claimed_again(state):
    assert state.claim(ACT, "run-1", NOW, 60)
    state.release(ACT, "run-1", done=True)
    assert state.claim_state(ACT)["state"] == "done"
    assert state.claim(ACT, "run-2", NOW + timedelta(days=30), 60) is False
    assert state.claim_state("act-unknown") is None


# ---------------------------------------------------------------------- approvals


def test_an_approval_is_decided_once(state):
    state.put_pending(pending())
    assert state.get_approval(ACT) == pending()
    decided = state.decide(ACT, organization_id="org-acme", plan_hash="h" * 64, approve=True,
                           decided_by="jane@acme.example", now=NOW + timedelta(minutes=5))
    assert decided == replace(pending(), status="approved", decided_by="jane@acme.example",
                              decided_at=NOW + timedelta(minutes=5))
    assert state.get_approval(ACT) == decided
    with pytest.raises(ApprovalError, match="already approved"):
        state.decide(ACT, organization_id="org-acme", plan_hash="h" * 64, approve=False,
                     decided_by="mallory", now=NOW + timedelta(minutes=6))


@pytest.mark.parametrize(("org", "plan_hash", "who", "message"), [
    ("org-beta", "h" * 64, "jane", "no pending approval"),  # another tenant's action looks unknown
    ("org-acme", "x" * 64, "jane", "plan hash does not match"),
    ("org-acme", "h" * 64, "  ", "names the person"),
])
def test_refused_decisions_change_nothing(state, org, plan_hash, who, message):
    state.put_pending(pending())
    with pytest.raises(ApprovalError, match=message):
        state.decide(ACT, organization_id=org, plan_hash=plan_hash, approve=True, decided_by=who, now=NOW)
    assert state.get_approval(ACT).status == "pending"
    with pytest.raises(ApprovalError, match="no pending approval"):
        state.decide("act-unknown", organization_id="org-acme", plan_hash="h", approve=True, decided_by="j", now=NOW)


def test_an_expired_approval_is_refused_and_stays_expired(state):
    state.put_pending(pending(expires_in=timedelta(hours=1)))
    with pytest.raises(ApprovalError, match="expired"):
        state.decide(ACT, organization_id="org-acme", plan_hash="h" * 64, approve=True, decided_by="jane",
                     now=NOW + timedelta(hours=1))
    assert state.get_approval(ACT).status == "expired"


def test_pending_lists_and_expiry(state):
    a, b, c = (f"act-{i:024x}" for i in (1, 2, 3))
    state.put_pending(pending(b, requested_at=NOW + timedelta(minutes=1), expires_in=timedelta(hours=1)))
    state.put_pending(pending(a, expires_in=timedelta(hours=5)))
    state.put_pending(pending(c, org="org-beta", expires_in=timedelta(minutes=30)))
    assert [p.action_id for p in state.list_pending()] == [a, c, b]  # by request time, then id
    assert [p.action_id for p in state.list_pending("org-beta")] == [c]

    expired = state.expire_pending(NOW + timedelta(hours=2))

    assert [(p.action_id, p.status) for p in expired] == [(c, "expired"), (b, "expired")]
    assert [p.action_id for p in state.list_pending()] == [a]
    assert state.expire_pending(NOW + timedelta(hours=2)) == []


def test_a_replanned_action_reopens_its_approval(state):
    state.put_pending(pending())
    state.decide(ACT, organization_id="org-acme", plan_hash="h" * 64, approve=False, decided_by="jane", now=NOW)
    state.put_pending(replace(pending(), plan_hash="n" * 64))
    assert state.get_approval(ACT).status == "pending"
    assert state.decide(ACT, organization_id="org-acme", plan_hash="n" * 64, approve=True, decided_by="jane",
                        now=NOW).status == "approved"


# ---------------------------------------------------------------------- rolling execution counters


def test_executions_are_counted_in_a_rolling_window_once_each(state):
    for minutes, action in [(0, "a1"), (30, "a2"), (90, "a3"), (90, "a3")]:  # the last is a retried record
        state.record_execution("org-acme", action, NOW + timedelta(minutes=minutes))
    state.record_execution("org-beta", "b1", NOW)

    assert state.count_executions("org-acme", NOW) == 3
    assert state.count_executions("org-acme", NOW + timedelta(minutes=30)) == 2
    assert state.count_executions("org-acme", NOW + timedelta(minutes=91)) == 0
    assert state.count_executions("org-beta", NOW - timedelta(hours=1)) == 1
    assert state.count_executions("org-none", NOW) == 0


def test_an_unreachable_firestore_is_a_store_error(firestore_emulator, monkeypatch):
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")  # nothing listens there
    store = FirestoreStateStore(firestore.Client(project=firestore_emulator.project), timeout_s=1, deadline_s=3)
    started = time.monotonic()
    with pytest.raises(StoreError):
        store.get_org("org-acme")
    assert time.monotonic() - started < 15  # bounded by the deadline, not the client's minutes of retries


# ---------------------------------------------------------------------- tracking holds (issue 14)


def test_tracking_holds_are_kept_per_account_and_replaced(state):
    from connectors.base import HoldStore
    from schemas.impact import TrackingHold

    assert isinstance(state, HoldStore) and state.tracking_holds("org-acme") == []
    hold = TrackingHold(organization_id="org-acme", account_id="1234567890", active=True, set_at=NOW,
                        reason="conversions collapsed", evidence={"campaigns_collapsed": "3 of 3"})
    state.put_tracking_hold(hold)
    state.put_tracking_hold(hold.model_copy(update={"account_id": "2222222222"}))
    cleared = hold.model_copy(update={"active": False, "cleared_at": NOW + timedelta(days=1), "set_by": "ana"})
    state.put_tracking_hold(cleared)
    assert state.tracking_holds("org-acme") == [cleared, hold.model_copy(update={"account_id": "2222222222"})]
    assert state.tracking_holds("org-beta") == []
