"""The embedded default's sandbox clock: how far `operator sandbox advance` has moved "now" past the
wall clock, kept in the database's `meta` table so every later command (any process) sees it. A reset of
the database clears it with everything else."""

from __future__ import annotations

from datetime import timedelta

from connectors.local.db import Database

OFFSET_KEY = "clock_offset_s"


def read_clock_offset(db: Database) -> timedelta:
    row = db.connection().execute("SELECT value FROM meta WHERE key = ?", (OFFSET_KEY,)).fetchone()
    return timedelta(seconds=float(row["value"])) if row is not None else timedelta(0)


def add_clock_offset(db: Database, delta: timedelta) -> timedelta:
    """Move the clock forward by `delta` (atomically, across processes); return the new offset."""
    if delta < timedelta(0):
        raise ValueError("the sandbox clock only moves forward")
    with db.write() as tx:
        row = tx.execute("SELECT value FROM meta WHERE key = ?", (OFFSET_KEY,)).fetchone()
        offset = (timedelta(seconds=float(row["value"])) if row is not None else timedelta(0)) + delta
        tx.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (OFFSET_KEY, repr(offset.total_seconds())))
    return offset
