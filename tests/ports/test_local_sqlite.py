"""What only the SQLite adapter promises: the file itself (WAL, schema, append-only triggers), several
processes on one file, file loaders for opportunities and organizations, and the embedded-default seed."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

import connectors.local.db as db_module
from connectors.base import StoreError
from connectors.local import LocalStore, OrgConfigError, load_orgs, reset_embedded_default, seed_embedded_default
from schemas.common import ActionStatus
from tests.ports.builders import NOW, action_id, org_id, record

SAMPLES = Path(__file__).resolve().parents[2] / "operator_ai" / "samples"


@pytest.fixture
def store(tmp_path: Path):
    opened = LocalStore.open(tmp_path / "nested" / "dir" / "operator.sqlite")
    yield opened
    opened.close()


def test_open_creates_directories_schema_and_wal(store):
    assert store.path.exists()
    conn = store.db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    LocalStore.open(store.path).close()  # opening again is harmless


def test_the_log_table_refuses_updates_and_deletes(store):
    store.append([record(action_id(), org_id())])
    conn = store.db.connection()
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE actions_log SET status = 'EXECUTED'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM actions_log")


def test_a_second_instance_on_the_same_file_sees_everything(store):
    act, org = action_id(), org_id()
    store.append([record(act, org, ActionStatus.EXECUTED)])
    assert store.claim(act, "run-a", NOW, 600)
    other = LocalStore.open(store.path)
    try:
        assert other.latest([act])[act].status == ActionStatus.EXECUTED
        assert other.claim(act, "run-b", NOW, 600) is False
    finally:
        other.close()


def _claim_in_process(path: str, act: str, run: str, barrier) -> bool:
    opened = LocalStore.open(path)
    try:
        barrier.wait()
        return opened.claim(act, run, NOW, 600)
    finally:
        opened.close()


def test_separate_processes_racing_for_a_claim_get_one_winner(store):
    act = action_id()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(4)
        with context.Pool(4) as pool:
            results = pool.starmap(_claim_in_process,
                                   [(str(store.path), act, f"run-{n}", barrier) for n in range(4)])
    assert sorted(results) == [False, False, False, True]
    assert store.claim_state(act)["run_id"] == f"run-{results.index(True)}"


def test_a_file_locked_past_the_timeout_is_an_unavailable_store(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "locked.sqlite"
    store = LocalStore.open(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError):
            store.append([record(action_id(), org_id())])
        blocker.execute("ROLLBACK")
        store.append([record(action_id(), org_id())])  # usable again once the lock is gone
    finally:
        blocker.close()
        store.close()


def test_threads_take_turns_to_write_and_a_long_writer_times_the_others_out(tmp_path, monkeypatch):
    """In one process, writers queue on a lock (woken when it is free, instead of SQLite's sleeping
    busy-handler): a write held past the timeout makes another thread's write an unavailable store, and
    a write that failed gives the lock back."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_S", 0.2)
    store = LocalStore.open(tmp_path / "turns.sqlite")
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with store.db.write():
            inside.set()
            leave.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(5)
        with pytest.raises(StoreError, match="write lock"):
            store.append([record(action_id(), org_id())])
    finally:
        leave.set()
        holder.join(5)
    with pytest.raises(RuntimeError), store.db.write():
        raise RuntimeError("a failing write")
    written = [record(action_id(), org_id()) for _ in range(8)]
    threads = [threading.Thread(target=store.append, args=([r],)) for r in written]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert {r.action_id for r in store.query(limit=100)} == {r.action_id for r in written}
    store.close()


def test_a_write_waits_for_another_process_and_keeps_its_busy_timeout(tmp_path):
    """Another connection (as another process) holds the write lock: the write waits for it rather than
    failing, lands once it is free, and the connection's busy timeout is what it was (the wait for the lock
    retries by itself with no timeout of SQLite's)."""
    path = tmp_path / "shared.sqlite"
    store = LocalStore.open(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    written = record(action_id(), org_id())
    failures: list[BaseException] = []

    def write() -> None:
        try:
            store.append([written])
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    try:
        blocker.execute("BEGIN IMMEDIATE")
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(0.3)
        assert writer.is_alive() and not store.events(written.action_id)  # waiting, nothing written
        blocker.execute("ROLLBACK")
        writer.join(10)
        assert not failures and [r.action_id for r in store.events(written.action_id)] == [written.action_id]
        with store.db.write() as tx:
            timeout_ms = tx.execute("PRAGMA busy_timeout").fetchone()[0]
        assert timeout_ms == int(db_module.BUSY_TIMEOUT_S * 1000)
    finally:
        blocker.close()
        store.close()


def test_timestamps_without_a_zone_are_refused(store):
    with pytest.raises(ValueError, match="zone"):
        store.record_execution(org_id(), action_id(), NOW.replace(tzinfo=None))


# ----------------------------------------------------------------------------- opportunity files


def test_jsonl_keeps_lines_that_are_not_json_or_not_objects(store, tmp_path):
    org = org_id()
    good = {"opportunity_id": "opp-1", "organization_id": org, "status": "approved"}
    path = tmp_path / "opps.jsonl"
    path.write_text("\n".join([json.dumps(good), "{not json", "", '["pause", "everything"]',
                               json.dumps({"opportunity_id": "opp-2", "organization_id": org, "status": "pending"})])
                    + "\n", encoding="utf-8")
    assert store.load_opportunities(path) == 4
    assert store.pull_approved(org, NOW) == [good, "{not json", ["pause", "everything"]]  # in file order


def test_json_files_may_hold_a_list_or_an_opportunities_key(store, tmp_path):
    org = org_id()
    rows = [{"opportunity_id": f"opp-{n}", "organization_id": org, "status": "approved"} for n in range(3)]
    (tmp_path / "list.json").write_text(json.dumps(rows[:2]), encoding="utf-8")
    (tmp_path / "wrapped.json").write_text(json.dumps({"opportunities": rows[2:]}), encoding="utf-8")
    store.load_opportunities(tmp_path / "list.json")
    store.load_opportunities(str(tmp_path / "wrapped.json"))
    assert store.pull_approved(org, NOW) == rows
    assert store.pull_approved(org_id(), NOW) == []


# ----------------------------------------------------------------------------- organizations file


def test_the_sample_organizations_load(tmp_path):
    orgs = {p.organization_id: p for p in load_orgs(SAMPLES / "orgs.yaml")}
    assert set(orgs) == {"org-acme", "org-globex", "org-initech"}
    assert (orgs["org-acme"].autonomy.value, orgs["org-acme"].rollout_phase.value) == ("autonomous", "full")
    assert (orgs["org-globex"].autonomy.value, orgs["org-globex"].rollout_phase.value) == ("autonomous", "safe")
    assert str(orgs["org-acme"].limits["org_daily_budget_cap"]) == "2840"
    as_json = tmp_path / "orgs.json"
    as_json.write_text(json.dumps([{"organization_id": "org-json"}]), encoding="utf-8")
    assert [p.organization_id for p in load_orgs(as_json)] == ["org-json"]


@pytest.mark.parametrize(("text", "message"), [
    ("organizations:\n  - organization_id: Not-Valid\n", r"organization #1 \(Not-Valid\): organization_id"),
    ("organizations:\n  - organization_id: org-a\n    autonomy: yolo\n", "autonomy"),
    ("organizations:\n  - organization_id: org-a\n    secret_token: abc\n", "secret_token"),
    ("organizations:\n  - organization_id: org-a\n  - organization_id: org-a\n", "appears twice"),
    ("organizations: 3\n", "expected a list"),
    ("organizations: [\n", "cannot read"),
])
def test_bad_organization_files_get_a_clear_error(tmp_path, text, message):
    path = tmp_path / "orgs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OrgConfigError, match=message):
        load_orgs(path)


def test_a_policy_check_can_refuse_an_organization_at_load(tmp_path):
    def no_loosening(policy):
        if policy.limits:
            raise ValueError("policy loosens limits: budget_increase_block_pct")

    path = tmp_path / "orgs.yaml"
    path.write_text("organizations:\n  - organization_id: org-a\n    limits: {budget_increase_block_pct: 80}\n",
                    encoding="utf-8")
    with pytest.raises(OrgConfigError, match=r"org-a.*loosens"):
        load_orgs(path, check_policy=no_loosening)


# ----------------------------------------------------------------------------- seeding


def _counts(store: LocalStore) -> tuple[int, ...]:
    conn = store.db.connection()
    return tuple(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                 for table in ("organizations", "opportunities", "sandbox_accounts", "sandbox_entities",
                               "sandbox_metrics"))


def test_the_samples_seed_once(store):
    assert seed_embedded_default(store, SAMPLES, NOW) is True
    first = _counts(store)
    assert first[:3] == (3, 36, 7)
    store.mark("opp-acme-001", "actioned")
    assert seed_embedded_default(store, SAMPLES, NOW + timedelta(days=1)) is False
    assert _counts(store) == first
    assert store.current_status("opp-acme-001")[0] == "actioned"  # the samples were not reloaded


def test_two_stores_on_one_file_starting_together_seed_once(store):
    results: list[bool] = []
    barrier = threading.Barrier(3)

    def seed() -> None:
        other = LocalStore.open(store.path)
        try:
            barrier.wait()
            results.append(seed_embedded_default(other, SAMPLES, NOW))
        finally:
            other.close()

    threads = [threading.Thread(target=seed) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, True]
    assert _counts(store)[:3] == (3, 36, 7)


def test_explicit_files_load_on_every_call(store, tmp_path):
    orgs = tmp_path / "mine.yaml"
    orgs.write_text("organizations:\n  - organization_id: org-mine\n", encoding="utf-8")
    opps = tmp_path / "mine.jsonl"
    opps.write_text(json.dumps({"opportunity_id": "opp-mine", "organization_id": "org-mine",
                                "status": "approved"}) + "\n", encoding="utf-8")
    seed_embedded_default(store, SAMPLES, NOW, orgs_file=orgs, opportunities_file=opps)
    store.mark("opp-mine", "actioned")
    seed_embedded_default(store, SAMPLES, NOW, orgs_file=orgs, opportunities_file=opps)
    assert store.get_org("org-mine") is not None
    assert store.current_status("opp-mine")[0] == "approved"  # reloaded from the file
    assert _counts(store)[:2] == (4, 37)


def test_reset_wipes_everything_and_seeds_again(store):
    seed_embedded_default(store, SAMPLES, NOW)
    store.append([record(action_id(), "org-acme")])
    store.put_org(load_orgs(SAMPLES / "orgs.yaml")[0].model_copy(update={"organization_id": "org-extra"}))
    reset_embedded_default(store, SAMPLES, NOW)
    assert store.query(organization_id="org-acme") == []
    assert store.get_org("org-extra") is None
    assert _counts(store)[:3] == (3, 36, 7)
