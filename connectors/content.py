"""The content "platform": briefs, link-suggestion lists and refresh flags kept in an `ArtifactStore`.

It speaks the same port as Google Ads and ActiveCampaign so the orchestrator, rollback and drift checks
need no special case: a snapshot reads the page's refresh flag and live artifacts, `apply` runs
StoreArtifact / ArchiveArtifact / SetRefreshFlag. A StoreArtifact with an empty body is written by the
`ContentWriter` (template or Claude) at apply time, once: the store is idempotent on `artifact_id`, and an
artifact that already exists is never regenerated, so a retried action cannot produce a second, different
brief. A batch is applied all-or-nothing: if a later operation fails, the earlier ones are undone. A
store write that fails is settled by reading it back: landed (go on), not landed (fail and undo), or
unreadable — then the batch is UNCERTAIN and left as it is, for the next run's settlement to read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlparse

from connectors.base import (
    Artifact,
    ArtifactStore,
    ContentWriter,
    NotConnectedError,
    NotFoundError,
    PermanentError,
    PlatformError,
    StoreError,
    UncertainError,
)
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest, not_measurable
from schemas.operations import (
    ApplyOutcome,
    ApplyResult,
    ArchiveArtifact,
    ErrorInfo,
    ErrorKind,
    OpBatch,
    Operation,
    SetRefreshFlag,
    StoreArtifact,
)
from schemas.snapshots import ContentState, Snapshot, SnapshotPart, SnapshotRequest

SitesFor = Callable[[str], Sequence[str]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Undo:
    """How to take back one operation that landed (for all-or-nothing batches)."""

    archive_id: str | None = None
    flag: tuple[str, bool, str | None] | None = None  # url, flagged, reason before


class ContentPlatform:
    """`PlatformConnector` for platform `content` (account id "content").

    `sites_for(organization_id)`, when given, is the org's allowlist of page hostnames (its connected
    `content_sites`): a page on any other host is refused before anything is read or written."""

    platform = Platform.CONTENT

    def __init__(self, store: ArtifactStore, writer: ContentWriter, *, mode: Literal["SANDBOX", "LIVE"] = "SANDBOX",
                 sites_for: SitesFor | None = None, clock: Callable[[], datetime] = _now):
        self.store = store
        self.writer = writer
        self.mode: Literal["SANDBOX", "LIVE"] = mode
        self._sites_for = sites_for
        self._clock = clock

    def check_connection(self, account_id: str) -> None:
        """Always fine: the content store is ours (its own failures surface as `StoreError`)."""

    # ------------------------------------------------------------------ reads

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        answers: dict[str, Snapshot] = {}
        for request in requests:
            if request.platform != Platform.CONTENT:
                raise PermanentError(f"content connector cannot read {request.platform.value} state")
            key = request.url or request.topic
            content = None
            if SnapshotPart.CONTENT in request.parts:
                if not key:
                    raise PermanentError("a content snapshot needs a url or a topic")
                self._check_site(request.organization_id, request.url)
                content = self._content_state(request.organization_id, key, request.url is not None)
            answers[request.key] = Snapshot(key=request.key, platform=Platform.CONTENT, account_id=account_id,
                                            read_at=now, source="live" if self.mode == "LIVE" else "sandbox",
                                            content=content)
        return answers

    def read_metrics(self, account_id: str, requests: Sequence[MetricRequest],
                     now: datetime) -> dict[str, MetricReading]:
        """`MetricReader` port: artifacts have no traffic or ranking data here, so nothing is measurable."""
        return {r.key: not_measurable(r.key, now, "content artifacts have no platform metrics in this version "
                                                  "(page traffic is not connected)") for r in requests}

    def _content_state(self, organization_id: str, key: str, is_url: bool) -> ContentState:
        flagged, reason = self.store.get_refresh_flag(organization_id, key) if is_url else (False, None)
        live = self.store.list_artifacts(organization_id, key=key, include_archived=False)
        return ContentState(key=key, refresh_flagged=flagged, refresh_reason=reason,
                            artifact_ids=tuple(sorted(a.artifact_id for a in live)))

    def _check_site(self, organization_id: str, url: str | None) -> None:
        if url is None or self._sites_for is None:
            return
        host = urlparse(url).hostname or ""
        if host not in self._sites_for(organization_id):
            raise NotConnectedError(f"page host {host!r} is not a site of organization {organization_id}")

    # ------------------------------------------------------------------ writes

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        return [self._apply_batch(batch, validate_only) for batch in batches]

    def _apply_batch(self, batch: OpBatch, validate_only: bool) -> ApplyResult:
        try:
            self._validate(batch)
        except PlatformError as error:
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.FAILED, error=error.info())
        if validate_only:
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.VALIDATED)
        done: list[_Undo] = []
        details: dict[str, Any] = {"artifact_ids": [], "mode": self.mode}
        for op in batch.ops:
            try:
                done.append(self._apply_op(batch.organization_id, op, details))
            except (PlatformError, StoreError, ValueError) as error:
                return self._failed(batch, done, error)
        return ApplyResult(key=batch.key, outcome=ApplyOutcome.APPLIED, details=details)

    def _validate(self, batch: OpBatch) -> None:
        if batch.platform != Platform.CONTENT:
            raise PermanentError(f"content connector cannot apply {batch.platform.value} operations")
        for op in batch.ops:
            if not isinstance(op, StoreArtifact | ArchiveArtifact | SetRefreshFlag):
                raise PermanentError(f"content connector does not support operation {op.op}")
            if isinstance(op, SetRefreshFlag):
                self._check_site(batch.organization_id, op.url)
            if isinstance(op, StoreArtifact) and op.key.startswith(("http://", "https://")):
                self._check_site(batch.organization_id, op.key)

    def _apply_op(self, organization_id: str, op: Operation, details: dict[str, Any]) -> _Undo:
        now = self._clock()
        if isinstance(op, StoreArtifact):
            return self._store(organization_id, op, now, details)
        if isinstance(op, ArchiveArtifact):
            existing = self.store.get_artifact(op.artifact_id)
            if existing is None or existing.organization_id != organization_id:
                raise NotFoundError(f"artifact {op.artifact_id} not found")
            if existing.archived_at is None:
                try:
                    self.store.archive_artifact(op.artifact_id, now)
                except StoreError as error:
                    self._settle(error, lambda: self._archived(op.artifact_id))
            details.setdefault("archived", []).append(op.artifact_id)
            return _Undo()
        assert isinstance(op, SetRefreshFlag)
        before = self.store.get_refresh_flag(organization_id, op.url)
        try:
            self.store.set_refresh_flag(organization_id, op.url, op.flagged, op.reason, now)
        except StoreError as error:
            self._settle(error, lambda: self.store.get_refresh_flag(organization_id, op.url) == (op.flagged, op.reason))
        details["refresh_flag"] = {"url": op.url, "flagged": op.flagged, "before": before[0]}
        return _Undo(flag=(op.url, before[0], before[1]))

    def _store(self, organization_id: str, op: StoreArtifact, now: datetime, details: dict[str, Any]) -> _Undo:
        existing = self.store.get_artifact(op.artifact_id)
        if existing is not None:
            if existing.organization_id != organization_id:
                raise PermanentError(f"artifact id {op.artifact_id} belongs to another organization")
            if existing.archived_at is not None:
                raise PermanentError(f"artifact {op.artifact_id} exists but was archived (taken back); "
                                     "it is not revived: plan a new action")
            details["artifact_ids"].append(op.artifact_id)
            details["already_stored"] = True
            return _Undo()
        title, body, data = op.title, op.body, dict(op.data)
        if not body:
            title_w, body, data_w = self.writer.write(op.kind, op.key, dict(op.data))
            title, data = title or title_w, {**data, **data_w}
        artifact = Artifact(artifact_id=op.artifact_id, organization_id=organization_id, kind=op.kind, key=op.key,
                            title=title, body=body, data=data, created_at=now)
        try:
            self.store.put_artifact(artifact)
        except StoreError as error:
            self._settle(error, lambda: self.store.get_artifact(op.artifact_id) is not None)
        details["artifact_ids"].append(op.artifact_id)
        details["writer"] = data.get("writer")
        return _Undo(archive_id=op.artifact_id)

    def _archived(self, artifact_id: str) -> bool:
        artifact = self.store.get_artifact(artifact_id)
        return artifact is not None and artifact.archived_at is not None

    @staticmethod
    def _settle(error: StoreError, landed: Callable[[], bool]) -> None:
        """A write failed: read whether it landed. Returns if it did; re-raises `error` if it did not;
        raises `UncertainError` if the read fails too (the next run settles it)."""
        try:
            if landed():
                return
        except StoreError as read_error:
            raise UncertainError(f"{error}; reading back whether it landed failed too: {read_error}") from error
        raise error

    def _failed(self, batch: OpBatch, done: list[_Undo], error: Exception) -> ApplyResult:
        if isinstance(error, UncertainError):  # this operation may have landed: leave everything to settlement
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.UNCERTAIN, error=error.info())
        info = error.info() if isinstance(error, PlatformError) else ErrorInfo(
            kind=ErrorKind.RETRYABLE if isinstance(error, StoreError) else ErrorKind.PERMANENT, message=str(error))
        try:
            for undo in reversed(done):
                self._undo(batch.organization_id, undo)
        except StoreError as undo_error:
            uncertain = UncertainError(f"{info.message}; undoing earlier operations failed too: {undo_error}")
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.UNCERTAIN, error=uncertain.info())
        return ApplyResult(key=batch.key, outcome=ApplyOutcome.FAILED, error=info)

    def _undo(self, organization_id: str, undo: _Undo) -> None:
        now = self._clock()
        if undo.archive_id is not None:
            self.store.archive_artifact(undo.archive_id, now)
        if undo.flag is not None:
            url, flagged, reason = undo.flag
            self.store.set_refresh_flag(organization_id, url, flagged, reason, now)
