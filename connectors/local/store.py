"""`LocalStore`: the embedded default's persistence, one SQLite file implementing all four ports."""

from __future__ import annotations

from pathlib import Path

from connectors.local.artifacts import SqliteArtifactStore
from connectors.local.changes import SqliteChangeStore
from connectors.local.console import SqliteConsoleReads
from connectors.local.db import Database
from connectors.local.experiments import SqliteExperimentStore
from connectors.local.holds import SqliteHoldStore
from connectors.local.log import SqliteActionsLog
from connectors.local.opportunities import SqliteOpportunitySource
from connectors.local.state import SqliteStateStore


class LocalStore(SqliteActionsLog, SqliteStateStore, SqliteOpportunitySource, SqliteArtifactStore,
                 SqliteExperimentStore, SqliteHoldStore, SqliteChangeStore, SqliteConsoleReads):
    """ActionsLog + StateStore + OpportunitySource + ArtifactStore + ExperimentStore + HoldStore + ChangeStore
    (+ the web console's reads) over one `Database`.

    Safe to share between threads (one connection per thread) and between processes opening the same
    file. The sandbox platforms (`connectors.sandbox`) keep their accounts in the same file via `db`.
    """

    def __init__(self, db: Database):
        self.db = db

    @classmethod
    def open(cls, path: str | Path) -> LocalStore:
        """Open (creating parent directories, the file and the schema if needed)."""
        return cls(Database.open(path))

    @property
    def path(self) -> Path:
        return self.db.path

    # One object, four ports: these let callers and test backends address each port by name.
    @property
    def log(self) -> LocalStore:
        return self

    @property
    def state(self) -> LocalStore:
        return self

    @property
    def opportunities(self) -> LocalStore:
        return self

    @property
    def artifacts(self) -> LocalStore:
        return self

    def reset(self) -> None:
        """Wipe every table, the append-only log and the sandbox included (tests, `sandbox reset`)."""
        self.db.drop_everything()

    def close(self) -> None:
        self.db.close()
