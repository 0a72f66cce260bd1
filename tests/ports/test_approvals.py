"""StateStore port, approvals: single-use, bound to action + plan hash + organization, with a TTL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from connectors.base import ApprovalError, PendingApproval
from tests.ports.builders import NOW, action_id, org_id

HASH = "a" * 64


def _pending(org: str, act: str | None = None, *, ttl_hours: float = 4, at=NOW) -> PendingApproval:
    return PendingApproval(action_id=act or action_id(), organization_id=org, plan_hash=HASH, requested_at=at,
                           expires_at=at + timedelta(hours=ttl_hours), summary="pause Generic – Widgets")


def _decide(stores, approval: PendingApproval, *, org: str | None = None, plan_hash: str = HASH,
            approve: bool = True, by: str = "jane@acme.example", at=NOW + timedelta(minutes=10)):
    return stores.state.decide(approval.action_id, organization_id=org or approval.organization_id,
                               plan_hash=plan_hash, approve=approve, decided_by=by, now=at)


def test_pending_approvals_round_trip_and_list_per_organization(stores):
    org, other = org_id(), org_id()
    first, second = _pending(org), _pending(org, at=NOW + timedelta(minutes=1))
    foreign = _pending(other)
    for approval in (second, first, foreign):
        stores.state.put_pending(approval)
    assert stores.state.get_approval(first.action_id) == first
    assert stores.state.get_approval(action_id()) is None
    assert stores.state.list_pending(org) == [first, second]
    everyone = {a.action_id for a in stores.state.list_pending()}
    assert {first.action_id, second.action_id, foreign.action_id} <= everyone


def test_an_approval_is_single_use(stores):
    approval = _pending(org_id())
    stores.state.put_pending(approval)
    decided = _decide(stores, approval)
    assert (decided.status, decided.decided_by) == ("approved", "jane@acme.example")
    assert decided.decided_at == NOW + timedelta(minutes=10)
    assert stores.state.get_approval(approval.action_id) == decided
    with pytest.raises(ApprovalError):
        _decide(stores, approval)  # replayed
    with pytest.raises(ApprovalError):
        _decide(stores, approval, approve=False, by="mallory@evil.example")
    assert stores.state.get_approval(approval.action_id).status == "approved"
    assert approval.action_id not in {a.action_id for a in stores.state.list_pending(approval.organization_id)}


def test_a_rejection_is_a_decision_too(stores):
    approval = _pending(org_id())
    stores.state.put_pending(approval)
    assert _decide(stores, approval, approve=False).status == "rejected"
    with pytest.raises(ApprovalError):
        _decide(stores, approval)


def test_unknown_or_another_organizations_approval_is_refused_and_not_consumed(stores):
    approval = _pending(org_id())
    stores.state.put_pending(approval)
    with pytest.raises(ApprovalError):
        stores.state.decide(action_id(), organization_id=approval.organization_id, plan_hash=HASH, approve=True,
                            decided_by="jane@acme.example", now=NOW)
    with pytest.raises(ApprovalError):
        _decide(stores, approval, org=org_id())
    assert stores.state.get_approval(approval.action_id).status == "pending"
    assert _decide(stores, approval).status == "approved"


def test_a_wrong_plan_hash_is_refused_and_the_right_one_still_works(stores):
    approval = _pending(org_id())
    stores.state.put_pending(approval)
    with pytest.raises(ApprovalError):
        _decide(stores, approval, plan_hash="b" * 64)
    assert stores.state.get_approval(approval.action_id).status == "pending"
    assert _decide(stores, approval).status == "approved"


def test_an_expired_approval_is_refused_and_marked_expired(stores):
    approval = _pending(org_id(), ttl_hours=4)
    stores.state.put_pending(approval)
    with pytest.raises(ApprovalError):
        _decide(stores, approval, at=NOW + timedelta(hours=4, seconds=1))
    assert stores.state.get_approval(approval.action_id).status == "expired"
    with pytest.raises(ApprovalError):
        _decide(stores, approval, at=NOW + timedelta(minutes=1))


def test_expire_pending_marks_only_overdue_approvals_once(stores):
    org = org_id()
    overdue, fresh, decided = _pending(org, ttl_hours=1), _pending(org, ttl_hours=8), _pending(org, ttl_hours=1)
    for approval in (overdue, fresh, decided):
        stores.state.put_pending(approval)
    _decide(stores, decided)
    expired = [a for a in stores.state.expire_pending(NOW + timedelta(hours=2)) if a.organization_id == org]
    assert [(a.action_id, a.status) for a in expired] == [(overdue.action_id, "expired")]
    assert [a for a in stores.state.expire_pending(NOW + timedelta(hours=2)) if a.organization_id == org] == []
    assert [a.action_id for a in stores.state.list_pending(org)] == [fresh.action_id]
    assert stores.state.get_approval(decided.action_id).status == "approved"


def test_a_re_planned_action_opens_a_new_approval(stores):
    approval = _pending(org_id())
    stores.state.put_pending(approval)
    _decide(stores, approval, approve=False)
    replanned = PendingApproval(action_id=approval.action_id, organization_id=approval.organization_id,
                                plan_hash="c" * 64, requested_at=NOW + timedelta(hours=1),
                                expires_at=NOW + timedelta(hours=5), summary="re-planned")
    stores.state.put_pending(replanned)
    with pytest.raises(ApprovalError):
        _decide(stores, approval, at=NOW + timedelta(hours=2))  # the old plan's hash
    assert _decide(stores, replanned, plan_hash="c" * 64, at=NOW + timedelta(hours=2)).status == "approved"


@pytest.mark.official_firestore  # the npm fallback emulator does not isolate transactions
def test_concurrent_decisions_have_exactly_one_winner(stores):
    approval = _pending(org_id())
    stores.state.put_pending(approval)
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def decide(person: str) -> None:
        barrier.wait()
        try:
            _decide(stores, approval, by=person)
            outcomes.append(person)
        except ApprovalError:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(f"p{n}@acme.example",)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o != "refused"]
    assert len(winners) == 1 and outcomes.count("refused") == 4
    assert stores.state.get_approval(approval.action_id).decided_by == winners[0]
