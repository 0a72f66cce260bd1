"""The SQLite actions log serialises a verdict once per verdict object (an action's rows share it): the
stored text must be what serialising each row whole gives, and a changed verdict must never be stored
with an earlier one's text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from connectors.local import LocalStore
from connectors.local import log as sqlite_log
from connectors.local.codec import to_json
from schemas.common import ActionStatus
from tests.ports.builders import NOW, action_id, full_record, org_id


def _whole(record):
    """The row as serialised before the verdict cache: the whole record dumped, each JSON column encoded."""
    data = record.model_dump(mode="json")
    return to_json(data["payload"]), None if record.verdict is None else to_json(data["verdict"])


def _stored(store, action):
    conn = store.log.db.connection()
    return [(r["status"], r["payload"], r["verdict"]) for r in conn.execute(
        "SELECT status, payload, verdict FROM actions_log WHERE action_id = ? ORDER BY seq", (action,))]


def test_rows_sharing_a_verdict_store_the_text_each_would_get_alone(tmp_path: Path):
    store = LocalStore.open(tmp_path / "log.sqlite")
    try:
        executing = full_record(action_id(), org_id()).next(ActionStatus.EXECUTING, NOW, "run-1")
        executed = executing.next(ActionStatus.EXECUTED, NOW + timedelta(seconds=1), "run-1", result={"ok": True})
        assert executed.verdict is executing.verdict  # the case the cache is for
        store.log.append([executing])
        store.log.append([executed])
        rows = _stored(store, executing.action_id)
        assert [(status, payload, verdict) for status, payload, verdict in rows] == [
            ("EXECUTING", *_whole(executing)), ("EXECUTED", *_whole(executed))]
        assert store.log.events(executing.action_id) == [executing, executed]
    finally:
        store.close()


def test_a_changed_verdict_is_serialised_afresh(tmp_path: Path):
    store = LocalStore.open(tmp_path / "log.sqlite")
    try:
        first = full_record(action_id(), org_id())
        store.log.append([first])
        assert first.verdict is not None
        approved = first.verdict.model_copy(update={"approved_by": "someone.else@acme.example"})
        second = first.next(ActionStatus.APPROVED, NOW + timedelta(minutes=1), "run-2", verdict=approved)
        store.log.append([second])
        (_, _, stored_first), (_, _, stored_second) = _stored(store, first.action_id)
        assert stored_first != stored_second
        assert stored_second == _whole(second)[1] and "someone.else@acme.example" in stored_second
        assert store.log.latest([first.action_id])[first.action_id].verdict == approved
    finally:
        store.close()


def test_the_verdict_texts_kept_are_bounded():
    record = full_record(action_id(), org_id())
    assert record.verdict is not None
    for n in range(sqlite_log._VERDICT_TEXTS_MAX + 10):
        verdict = record.verdict.model_copy(update={"approved_by": f"person{n}@acme.example"})
        assert sqlite_log._verdict_json(verdict) == to_json(verdict.model_dump(mode="json"))
    assert len(sqlite_log._VERDICT_TEXTS) <= sqlite_log._VERDICT_TEXTS_MAX
