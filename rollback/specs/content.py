"""Content action specs: brief, internal-link suggestions (artifacts) and the refresh flag (spec §2).

Artifacts are never deleted: rollback archives them. The artifact id is derived from the action id, so a
retried store writes the same artifact and the rollback knows which one to archive.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Any, ClassVar, Literal

from rollback.specs._base import BaseSpec, missing_reason, require
from schemas.actions import Action, FlagContentRefresh, GenerateContentBrief, SuggestInternalLinks
from schemas.facts import ChangeFacts
from schemas.operations import ArchiveArtifact, Operation, SetRefreshFlag, StoreArtifact
from schemas.snapshots import Snapshot, SnapshotPart


def artifact_id_for(action_id: str) -> str:
    return f"art-{action_id.removeprefix('act-')}"


def content_key(action: GenerateContentBrief | SuggestInternalLinks | FlagContentRefresh) -> str:
    """The page url, or for a brief without a page its topic."""
    return action.target.url or getattr(action.target, "topic", None) or ""


class _ContentSpec(BaseSpec[Any]):
    parts: ClassVar = frozenset({SnapshotPart.CONTENT})

    def entity_key(self, action: Action) -> str:
        return f"content:{content_key(self.own(action))}"

    def _request_fields(self, action: Any) -> dict[str, Any]:
        return {"url": action.target.url, "topic": getattr(action.target, "topic", None)}

    def _missing(self, action: Action, snapshot: Snapshot) -> str | None:
        return missing_reason(snapshot, snapshot.content, f"content state for {content_key(self.own(action))}")

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        return ChangeFacts(entity_key=self.entity_key(action))


class _ArtifactSpec(_ContentSpec):
    """Actions whose whole effect is one stored artifact (the content connector writes its body)."""

    kind: ClassVar[Literal["content_brief", "internal_links"]]
    title_prefix: ClassVar[str]

    @abstractmethod
    def _data(self, action: Any) -> dict[str, Any]:
        """The structured inputs stored with the artifact (the writer turns them into the body)."""

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        return self._missing(action, snapshot)

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        return {"artifact_ids": sorted(snapshot.content.artifact_ids) if snapshot.content else []}

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        key = content_key(own)
        return (StoreArtifact(artifact_id=artifact_id_for(action_id), kind=self.kind, key=key,
                              title=f"{self.title_prefix}: {key}", body="", data=self._data(own)),)

    def _inverse(self, action: Any, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        return (ArchiveArtifact(artifact_id=artifact_id_for(action_id)),)

    def _expected(self, action: Any, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        live = require(snapshot.content, "content").artifact_ids
        return {"artifact_ids": sorted({*live, artifact_id_for(action_id)})}


class GenerateContentBriefSpec(_ArtifactSpec):
    kind: ClassVar = "content_brief"
    title_prefix: ClassVar = "Content brief"

    def _data(self, action: GenerateContentBrief) -> dict[str, Any]:
        return {**action.target.model_dump(mode="json", exclude_none=True),
                **action.params.model_dump(mode="json", exclude_none=True)}


class SuggestInternalLinksSpec(_ArtifactSpec):
    kind: ClassVar = "internal_links"
    title_prefix: ClassVar = "Internal link suggestions"

    def _data(self, action: SuggestInternalLinks) -> dict[str, Any]:
        return {"url": action.target.url, "links": [link.model_dump(mode="json") for link in action.params.links]}


class FlagContentRefreshSpec(_ContentSpec):
    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        reason = self._missing(action, snapshot)
        if reason is None and require(snapshot.content, "content").refresh_flagged:
            reason = f"{content_key(self.own(action))} is already flagged for refresh: nothing to do"
        return reason

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        content = snapshot.content
        if content is None:
            return {"refresh_flagged": None, "refresh_reason": None}
        return {"refresh_flagged": content.refresh_flagged, "refresh_reason": content.refresh_reason}

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        return (SetRefreshFlag(url=own.target.url, flagged=True, reason=own.params.reason),)

    def _inverse(self, action: FlagContentRefresh, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        before = require(snapshot.content, "content")
        return (SetRefreshFlag(url=action.target.url, flagged=before.refresh_flagged, reason=before.refresh_reason),)

    def _expected(self, action: FlagContentRefresh, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"refresh_flagged": True, "refresh_reason": action.params.reason}


CONTENT_SPECS = (
    GenerateContentBriefSpec(GenerateContentBrief),
    SuggestInternalLinksSpec(SuggestInternalLinks),
    FlagContentRefreshSpec(FlagContentRefresh),
)
