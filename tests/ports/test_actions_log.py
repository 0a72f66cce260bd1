"""ActionsLog port: append-only rows, latest row per action, events, filtered queries."""

from __future__ import annotations

from datetime import timedelta

from schemas.common import ActionStatus
from tests.ports.builders import NOW, action_id, full_record, opportunity_id, org_id, record


def test_every_field_survives_the_round_trip(stores):
    org, act = org_id(), action_id()
    row = full_record(act, org)
    stores.log.append([row])
    assert stores.log.events(act) == [row]
    assert stores.log.latest([act]) == {act: row}
    assert stores.log.latest([act])[act].event_id == row.event_id


def test_a_duplicate_write_of_the_same_transition_is_one_row(stores):
    org, act = org_id(), action_id()
    first = record(act, org)
    stores.log.append([first, first])
    stores.log.append([first])
    assert len(stores.log.events(act)) == 1


def test_events_are_oldest_first_and_latest_is_the_highest_seq(stores):
    org, act = org_id(), action_id()
    planned = record(act, org)
    executing = planned.next(ActionStatus.EXECUTING, NOW + timedelta(seconds=1), "run-1")
    executed = executing.next(ActionStatus.EXECUTED, NOW + timedelta(seconds=2), "run-1")
    stores.log.append([executed])  # written out of order (e.g. an outbox flushed late)
    stores.log.append([planned, executing])
    assert [r.status for r in stores.log.events(act)] == [
        ActionStatus.PLANNED, ActionStatus.EXECUTING, ActionStatus.EXECUTED]
    assert stores.log.latest([act])[act].status == ActionStatus.EXECUTED


def test_latest_answers_only_known_actions(stores):
    org, one, two, unknown = org_id(), action_id(), action_id(), action_id()
    stores.log.append([record(one, org), record(two, org, ActionStatus.BLOCKED)])
    latest = stores.log.latest([one, two, unknown])
    assert set(latest) == {one, two}
    assert latest[two].status == ActionStatus.BLOCKED
    assert stores.log.latest([]) == {}
    assert stores.log.events(unknown) == []


def test_query_filters_by_the_latest_row(stores):
    org, other = org_id(), org_id()
    opp = opportunity_id()
    done, pending, old, foreign = action_id(), action_id(), action_id(), action_id()
    stores.log.append([
        record(done, org, opportunity=opp, at=NOW),
        record(done, org, ActionStatus.EXECUTED, seq=1, opportunity=opp, at=NOW + timedelta(minutes=3)),
        record(pending, org, ActionStatus.PENDING_APPROVAL, at=NOW + timedelta(minutes=2)),
        record(old, org, ActionStatus.EXECUTED, at=NOW - timedelta(days=3)),
        record(foreign, other, ActionStatus.EXECUTED, at=NOW),
    ])

    everything = stores.log.query(organization_id=org)
    assert [r.action_id for r in everything] == [done, pending, old]  # newest event first, one row each

    planned_now = stores.log.query(organization_id=org, statuses=[ActionStatus.PLANNED])
    assert planned_now == []  # `done` was PLANNED once, but its latest row is EXECUTED

    executed = stores.log.query(organization_id=org, statuses=[ActionStatus.EXECUTED])
    assert [r.action_id for r in executed] == [done, old]
    assert executed[0].seq == 1

    recent = stores.log.query(organization_id=org, since=NOW - timedelta(hours=1))
    assert {r.action_id for r in recent} == {done, pending}

    by_opportunity = stores.log.query(opportunity_id=opp)
    assert [(r.action_id, r.status) for r in by_opportunity] == [(done, ActionStatus.EXECUTED)]

    assert len(stores.log.query(organization_id=org, limit=2)) == 2
    assert stores.log.query(organization_id=org, statuses=[]) == []
    assert [r.action_id for r in stores.log.query(organization_id=other)] == [foreign]


def test_flush_outbox_reports_nothing_spooled_when_the_store_is_up(stores):
    stores.log.append([record(action_id(), org_id())])
    assert stores.log.flush_outbox() == 0
