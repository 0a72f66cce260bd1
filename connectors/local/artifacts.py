"""Content artifacts and page refresh flags on SQLite (`ArtifactStore` port)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from connectors.base import Artifact
from connectors.local.codec import from_json, parse_ts, to_json, ts, ts_or_none
from connectors.local.db import Database


def _artifact(row: sqlite3.Row) -> Artifact:
    created_at = parse_ts(row["created_at"])
    assert created_at is not None  # NOT NULL column
    return Artifact(
        artifact_id=row["artifact_id"],
        organization_id=row["organization_id"],
        kind=row["kind"],
        key=row["key"],
        title=row["title"],
        body=row["body"],
        data=from_json(row["data"]),
        created_at=created_at,
        archived_at=parse_ts(row["archived_at"]),
    )


class SqliteArtifactStore:
    db: Database

    def put_artifact(self, artifact: Artifact) -> None:
        """Idempotent on artifact_id: a retried store keeps the first artifact."""
        with self.db.write() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO artifacts (artifact_id, organization_id, kind, key, title, body, data, "
                "created_at, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (artifact.artifact_id, artifact.organization_id, artifact.kind, artifact.key, artifact.title,
                 artifact.body, to_json(artifact.data), ts(artifact.created_at), ts_or_none(artifact.archived_at)),
            )

    def get_artifact(self, artifact_id: str) -> Artifact | None:
        row = self.db.connection().execute("SELECT * FROM artifacts WHERE artifact_id = ?", (artifact_id,)).fetchone()
        return None if row is None else _artifact(row)

    def list_artifacts(self, organization_id: str | None = None, key: str | None = None,
                       include_archived: bool = False) -> list[Artifact]:
        clauses: list[str] = []
        params: list[str] = []
        if organization_id is not None:
            clauses.append("organization_id = ?")
            params.append(organization_id)
        if key is not None:
            clauses.append("key = ?")
            params.append(key)
        if not include_archived:
            clauses.append("archived_at IS NULL")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.connection().execute(
            f"SELECT * FROM artifacts{where} ORDER BY created_at, artifact_id", params  # noqa: S608 - fixed clauses
        ).fetchall()
        return [_artifact(row) for row in rows]

    def archive_artifact(self, artifact_id: str, at: datetime) -> bool:
        """True when the artifact exists and is archived after the call (a repeat keeps the first time),
        False when there is no such artifact."""
        with self.db.write() as tx:
            tx.execute("UPDATE artifacts SET archived_at = ? WHERE artifact_id = ? AND archived_at IS NULL",
                       (ts(at), artifact_id))
            row = tx.execute("SELECT 1 FROM artifacts WHERE artifact_id = ?", (artifact_id,)).fetchone()
        return row is not None

    def set_refresh_flag(self, organization_id: str, url: str, flagged: bool, reason: str | None,
                         at: datetime) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO refresh_flags (organization_id, url, flagged, reason, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (organization_id, url) DO UPDATE SET flagged = excluded.flagged, "
                "reason = excluded.reason, updated_at = excluded.updated_at",
                (organization_id, url, int(flagged), reason, ts(at)),
            )

    def get_refresh_flag(self, organization_id: str, url: str) -> tuple[bool, str | None]:
        row = self.db.connection().execute(
            "SELECT flagged, reason FROM refresh_flags WHERE organization_id = ? AND url = ?", (organization_id, url)
        ).fetchone()
        return (False, None) if row is None else (bool(row["flagged"]), row["reason"])
