"""Sandbox accounts and entities: JSON rows in `sandbox_entities`, read and written inside a transaction.

Keeping every entity as one JSON row per (platform, account, kind, id) makes external edits (drift) and
new entity kinds cheap; the platform code gives the rows their meaning.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from connectors.base import NotConnectedError
from schemas.common import canonical_json


@dataclass(frozen=True)
class Account:
    platform: str
    account_id: str
    organization_id: str
    data: dict[str, Any]


def get_account(conn: sqlite3.Connection, platform: str, account_id: str) -> Account | None:
    row = conn.execute("SELECT * FROM sandbox_accounts WHERE platform = ? AND account_id = ?",
                       (platform, account_id)).fetchone()
    if row is None:
        return None
    return Account(row["platform"], row["account_id"], row["organization_id"], json.loads(row["data"]))


def list_accounts(conn: sqlite3.Connection, organization_id: str | None = None) -> list[Account]:
    if organization_id is None:
        rows = conn.execute("SELECT * FROM sandbox_accounts ORDER BY platform, account_id").fetchall()
    else:
        rows = conn.execute("SELECT * FROM sandbox_accounts WHERE organization_id = ? ORDER BY platform, account_id",
                            (organization_id,)).fetchall()
    return [Account(r["platform"], r["account_id"], r["organization_id"], json.loads(r["data"])) for r in rows]


def put_account(conn: sqlite3.Connection, account: Account) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO sandbox_accounts (platform, account_id, organization_id, data) VALUES (?, ?, ?, ?)",
        (account.platform, account.account_id, account.organization_id, canonical_json(account.data)),
    )


def require_account(conn: sqlite3.Connection, platform: str, account_id: str,
                    organizations: set[str] | None = None) -> Account:
    """The account, if it exists and every given organization owns it; else NotConnectedError (nothing sent)."""
    account = get_account(conn, platform, account_id)
    if account is None:
        raise NotConnectedError(f"{platform} account {account_id} is not connected in the sandbox",
                                code="NOT_CONNECTED")
    foreign = sorted((organizations or set()) - {account.organization_id})
    if foreign:
        raise NotConnectedError(
            f"{platform} account {account_id} is not on the allowlist of organization {', '.join(foreign)}",
            code="NOT_ALLOWLISTED")
    return account


class Entities:
    """The entities of one account, bound to an open connection (the caller owns the transaction)."""

    def __init__(self, conn: sqlite3.Connection, platform: str, account_id: str):
        self.conn = conn
        self.platform = platform
        self.account_id = account_id

    def get(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT data FROM sandbox_entities WHERE platform = ? AND account_id = ? AND kind = ? AND entity_id = ?",
            (self.platform, self.account_id, kind, entity_id),
        ).fetchone()
        return None if row is None else dict(json.loads(row["data"]))

    def all(self, kind: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT data FROM sandbox_entities WHERE platform = ? AND account_id = ? AND kind = ? ORDER BY entity_id",
            (self.platform, self.account_id, kind),
        ).fetchall()
        return [dict(json.loads(row["data"])) for row in rows]

    def put(self, kind: str, entity_id: str, data: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO sandbox_entities (platform, account_id, kind, entity_id, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (self.platform, self.account_id, kind, entity_id, canonical_json(data)),
        )

    def delete(self, kind: str, entity_id: str) -> None:
        self.conn.execute(
            "DELETE FROM sandbox_entities WHERE platform = ? AND account_id = ? AND kind = ? AND entity_id = ?",
            (self.platform, self.account_id, kind, entity_id),
        )

    def next_id(self, sequence: str, start: int) -> str:
        """The next id of a per-account sequence (created criteria, runs, messages)."""
        name = f"{self.platform}:{self.account_id}:{sequence}"
        self.conn.execute("INSERT OR IGNORE INTO sandbox_counters (name, value) VALUES (?, ?)", (name, start - 1))
        self.conn.execute("UPDATE sandbox_counters SET value = value + 1 WHERE name = ?", (name,))
        row = self.conn.execute("SELECT value FROM sandbox_counters WHERE name = ?", (name,)).fetchone()
        return str(row["value"])
