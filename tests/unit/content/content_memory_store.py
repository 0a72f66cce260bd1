"""A tiny dict-backed `ArtifactStore` for the content connector's unit tests (with switchable failures)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from connectors.base import Artifact, StoreError


class MemoryArtifactStore:
    def __init__(self) -> None:
        self.artifacts: dict[str, Artifact] = {}
        self.flags: dict[tuple[str, str], tuple[bool, str | None]] = {}
        self.fail_next: dict[str, int] = {}  # method name -> how many upcoming calls raise StoreError
        self.lands_before_failing: set[str] = set()  # these writes land, then raise (ambiguous failures)
        self.down_after_failure = False  # a failing call takes the store down: every later call fails
        self._down = False
        self.puts = 0

    def _maybe_fail(self, name: str) -> None:
        if self._down:
            raise StoreError(f"{name}: store down")
        if self.fail_next.get(name, 0) > 0:
            self.fail_next[name] -= 1
            self._down = self.down_after_failure
            raise StoreError(f"{name}: store unavailable")

    def put_artifact(self, artifact: Artifact) -> None:
        if "put_artifact" in self.lands_before_failing:
            self.artifacts.setdefault(artifact.artifact_id, artifact)
        self._maybe_fail("put_artifact")
        self.puts += 1
        self.artifacts.setdefault(artifact.artifact_id, artifact)

    def get_artifact(self, artifact_id: str) -> Artifact | None:
        self._maybe_fail("get_artifact")
        return self.artifacts.get(artifact_id)

    def list_artifacts(self, organization_id: str | None = None, key: str | None = None,
                       include_archived: bool = False) -> list[Artifact]:
        return [a for a in self.artifacts.values()
                if (organization_id is None or a.organization_id == organization_id)
                and (key is None or a.key == key) and (include_archived or a.archived_at is None)]

    def archive_artifact(self, artifact_id: str, at: datetime) -> bool:
        if "archive_artifact" not in self.lands_before_failing:
            self._maybe_fail("archive_artifact")
        artifact = self.artifacts.get(artifact_id)
        if artifact is None or artifact.archived_at is not None:
            return False
        self.artifacts[artifact_id] = replace(artifact, archived_at=at)
        self._maybe_fail("archive_artifact")
        return True

    def set_refresh_flag(self, organization_id: str, url: str, flagged: bool, reason: str | None,
                         at: datetime) -> None:
        if "set_refresh_flag" not in self.lands_before_failing:
            self._maybe_fail("set_refresh_flag")
        self.flags[(organization_id, url)] = (flagged, reason)
        self._maybe_fail("set_refresh_flag")

    def get_refresh_flag(self, organization_id: str, url: str) -> tuple[bool, str | None]:
        self._maybe_fail("get_refresh_flag")
        return self.flags.get((organization_id, url), (False, None))
