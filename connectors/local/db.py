"""One SQLite file shared by threads and processes: connections, transactions and the schema.

Each thread gets its own connection (sqlite3 connections must not be shared across threads mid-
transaction); WAL mode lets readers run while one writer holds the lock; every write is a
`BEGIN IMMEDIATE` transaction so read-check-write sequences (claims, approvals, sandbox batches) are
atomic across processes too. Within a process, writers queue on a lock (the next one wakes when it is
free) rather than on SQLite's busy handler, which sleeps and polls; across processes the busy handler
remains. Nested `write()` blocks become savepoints, so a caller can compose several store calls into one
atomic unit (the seeding does).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from connectors.base import StoreError

SCHEMA_FILE = files("sql") / "sqlite.sql"  # package data: works from a wheel as from the source tree
SCHEMA_VERSION = "1"
BUSY_TIMEOUT_S = 30.0
_BACKFILL_HEADS = """
INSERT OR IGNORE INTO action_heads (action_id, organization_id, seq, row_no, status, action_type, platform,
                                    campaign, title, verdict, event_time)
SELECT action_id, organization_id, seq, row_no, status, action_type, platform,
       coalesce(json_extract(payload, '$.action.target.campaign_id'),
                json_extract(payload, '$.snapshot.campaign.name')),
       json_extract(payload, '$.opportunity.title'),
       CASE WHEN json_extract(result, '$.measurements[#-1].final')
                 AND coalesce(json_extract(result, '$.measurements[#-1].measurable'), 1)
            THEN json_extract(result, '$.measurements[#-1].verdict') END,
       event_time
FROM actions_current"""


def _statements(script: str) -> list[str]:
    """The statements of a SQL script (a trigger body's semicolons stay inside its statement)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(part.strip().startswith("--") for part in pending.strip().splitlines()):
        statements.append(pending.strip())
    return statements


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a new file to WAL. The switch needs the file to itself, and a process that finds another one
    opening the same new file at that moment is told "locked" without waiting: try again until the
    busy timeout, then give up with the store's own error."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Database:
    """A SQLite file with per-thread connections and re-entrant write transactions."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._writer = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    @classmethod
    def open(cls, path: str | Path) -> Database:
        """Create the parent directories, the file and the schema (idempotent)."""
        db = cls(path)
        db.path.parent.mkdir(parents=True, exist_ok=True)
        db.create_schema()
        return db

    def create_schema(self) -> None:
        """One write transaction (`BEGIN IMMEDIATE`): processes opening a brand-new home together queue on
        the write lock instead of interleaving statements (an autocommit script could hold a read while
        another process wrote the schema, and SQLite answers that with "database is locked" at once)."""
        with self.write() as tx:
            for statement in _statements(SCHEMA_FILE.read_text(encoding="utf-8")):
                tx.execute(statement)
            if tx.execute("SELECT 1 FROM action_heads LIMIT 1").fetchone() is None:
                tx.execute(_BACKFILL_HEADS)  # a log written before the console's index existed: index it once
            tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: transactions are opened explicitly)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError(f"database {self.path} is closed")
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            _use_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")  # write-ahead rows must survive a crash
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """An atomic write: `BEGIN IMMEDIATE` (or a savepoint when already inside one)."""
        conn = self.connection()
        depth: int = self._local.depth
        savepoint = f"sp{depth}"
        if depth == 0:
            if not self._writer.acquire(timeout=BUSY_TIMEOUT_S):
                raise StoreError("local database unavailable: another thread held the write lock too long")
            try:
                _begin(conn, "BEGIN IMMEDIATE")
            except BaseException:
                self._writer.release()
                raise
        else:
            conn.execute(f"SAVEPOINT {savepoint}")
        self._local.depth = depth + 1
        try:
            yield conn
        except BaseException:
            if depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
            raise
        else:
            if depth == 0:
                _commit(conn)
            else:
                conn.execute(f"RELEASE {savepoint}")
        finally:
            self._local.depth = depth
            if depth == 0:
                self._writer.release()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read over several statements (a deferred transaction; free inside a write)."""
        conn = self.connection()
        if self._local.depth > 0:
            yield conn
            return
        _begin(conn, "BEGIN")
        self._local.depth = 1
        try:
            yield conn
        finally:
            self._local.depth = 0
            conn.execute("COMMIT")

    def drop_everything(self) -> None:
        """Drop every table, view and trigger and recreate the schema (tests and `reset` only)."""
        conn = self.connection()
        rows = conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        with self.write() as tx:
            for row in rows:
                tx.execute(f'DROP {row["type"].upper()} IF EXISTS "{row["name"]}"')
        self.create_schema()

    def close(self) -> None:
        """Close every thread's connection; the object cannot be used afterwards."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()


def _begin(conn: sqlite3.Connection, statement: str) -> None:
    """Open a transaction; a file that stays locked past the busy timeout is an unavailable store.

    A write waits for another process's write by retrying every half millisecond, not with SQLite's busy
    handler, whose sleeps grow to 25-100 ms: the lock would often sit free while this process's writers
    (queued behind this one) slept."""
    if statement != "BEGIN IMMEDIATE":
        _begin_once(conn, statement)
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute(statement)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise StoreError(f"local database unavailable: {error}") from error
            time.sleep(0.0005)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


def _begin_once(conn: sqlite3.Connection, statement: str) -> None:
    try:
        conn.execute(statement)
    except sqlite3.OperationalError as error:
        raise StoreError(f"local database unavailable: {error}") from error


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(f"local database commit failed: {error}") from error
