"""ContentPlatform over a dict-backed ArtifactStore: snapshot, the three operations, idempotency,
all-or-nothing batches, the site allowlist and ambiguous writes settled by reading."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from content_memory_store import MemoryArtifactStore

from connectors.base import NotConnectedError, PermanentError, PlatformConnector
from connectors.content import ContentPlatform
from connectors.llm import TemplateContentWriter
from schemas.common import Platform
from schemas.operations import (
    ApplyOutcome,
    ArchiveArtifact,
    ErrorKind,
    OpBatch,
    SetCampaignStatus,
    SetRefreshFlag,
    StoreArtifact,
)
from schemas.snapshots import SnapshotPart, SnapshotRequest

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ORG = "org-acme"
URL = "https://acme.example/blog/email-deliverability"


class CountingWriter(TemplateContentWriter):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def write(self, kind: str, key: str, inputs: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        self.calls.append((kind, key))
        return super().write(kind, key, inputs)


@pytest.fixture
def store() -> MemoryArtifactStore:
    return MemoryArtifactStore()


@pytest.fixture
def writer() -> CountingWriter:
    return CountingWriter()


@pytest.fixture
def platform(store: MemoryArtifactStore, writer: CountingWriter) -> ContentPlatform:
    return ContentPlatform(store, writer, mode="SANDBOX", clock=lambda: NOW)


def request(key: str = "a1", url: str | None = URL, topic: str | None = None, org: str = ORG,
            parts: frozenset[SnapshotPart] = frozenset({SnapshotPart.CONTENT})) -> SnapshotRequest:
    return SnapshotRequest(key=key, organization_id=org, platform=Platform.CONTENT, account_id="content",
                           parts=parts, url=url, topic=topic)


def store_op(artifact_id: str = "art-1", kind: str = "content_brief", key: str = URL, body: str = "",
             **data: Any) -> StoreArtifact:
    return StoreArtifact(artifact_id=artifact_id, kind=kind, key=key, title=f"Content brief: {key}", body=body,
                         data={"url": key, **data})


def batch(*ops: Any, key: str = "act-1", org: str = ORG) -> OpBatch:
    return OpBatch(key=key, organization_id=org, platform=Platform.CONTENT, account_id="content", ops=ops)


def test_is_a_platform_connector_and_connection_is_always_fine(platform: ContentPlatform) -> None:
    assert isinstance(platform, PlatformConnector)
    assert platform.platform == Platform.CONTENT
    platform.check_connection("content")


def test_snapshot_of_an_untouched_page(platform: ContentPlatform) -> None:
    snap = platform.snapshot("content", [request()], NOW)["a1"]
    assert snap.source == "sandbox" and snap.read_at == NOW and snap.platform == Platform.CONTENT
    assert snap.content is not None
    assert (snap.content.key, snap.content.refresh_flagged, snap.content.artifact_ids) == (URL, False, ())


def test_live_mode_labels_snapshots_live(store: MemoryArtifactStore, writer: CountingWriter) -> None:
    live = ContentPlatform(store, writer, mode="LIVE", clock=lambda: NOW)
    assert live.snapshot("content", [request()], NOW)["a1"].source == "live"


def test_store_with_empty_body_is_written_by_the_writer(platform: ContentPlatform, store: MemoryArtifactStore,
                                                         writer: CountingWriter) -> None:
    [result] = platform.apply("content", [batch(store_op(keyword="email deliverability", audience="Email marketers"))])
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    assert result.details["artifact_ids"] == ["art-1"] and result.details["writer"] == "template"
    artifact = store.artifacts["art-1"]
    assert artifact.organization_id == ORG and artifact.kind == "content_brief" and artifact.created_at == NOW
    assert artifact.title == f"Content brief: {URL}"  # the plan's title wins over the writer's
    assert "## Outline" in artifact.body and "Email marketers" in artifact.body
    assert artifact.data["keyword"] == "email deliverability" and artifact.data["writer"] == "template"
    assert writer.calls == [("content_brief", URL)]
    snap = platform.snapshot("content", [request()], NOW)["a1"]
    assert snap.content is not None and snap.content.artifact_ids == ("art-1",)


def test_store_is_idempotent_and_never_regenerates(platform: ContentPlatform, store: MemoryArtifactStore,
                                                   writer: CountingWriter) -> None:
    first = platform.apply("content", [batch(store_op())])[0]
    body = store.artifacts["art-1"].body
    second = platform.apply("content", [batch(store_op())])[0]
    assert first.outcome == second.outcome == ApplyOutcome.APPLIED
    assert second.details["already_stored"] is True
    assert len(writer.calls) == 1 and store.puts == 1 and store.artifacts["art-1"].body == body


def test_given_body_is_stored_verbatim(platform: ContentPlatform, store: MemoryArtifactStore,
                                       writer: CountingWriter) -> None:
    platform.apply("content", [batch(store_op(body="# Mine\n\nWritten by hand."))])
    assert store.artifacts["art-1"].body == "# Mine\n\nWritten by hand." and writer.calls == []


def test_an_artifact_id_of_another_org_is_refused(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    platform.apply("content", [batch(store_op(), org="org-other")])
    [result] = platform.apply("content", [batch(store_op())])
    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.PERMANENT and "another organization" in result.error.message
    assert store.artifacts["art-1"].organization_id == "org-other"


def test_snapshot_sees_only_this_orgs_live_artifacts(platform: ContentPlatform) -> None:
    platform.apply("content", [batch(store_op("art-1"))])
    platform.apply("content", [batch(store_op("art-2"), org="org-other")])
    platform.apply("content", [batch(store_op("art-3"))])
    platform.apply("content", [batch(ArchiveArtifact(artifact_id="art-3"))])
    snap = platform.snapshot("content", [request()], NOW)["a1"]
    assert snap.content is not None and snap.content.artifact_ids == ("art-1",)


def test_archive_is_idempotent_and_scoped_to_the_org(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    platform.apply("content", [batch(store_op())])
    archive = batch(ArchiveArtifact(artifact_id="art-1"))
    assert platform.apply("content", [archive])[0].outcome == ApplyOutcome.APPLIED
    assert store.artifacts["art-1"].archived_at == NOW
    again = platform.apply("content", [archive])[0]
    assert again.outcome == ApplyOutcome.APPLIED and again.details["archived"] == ["art-1"]
    for bad in (batch(ArchiveArtifact(artifact_id="art-404")), batch(ArchiveArtifact(artifact_id="art-1"),
                                                                       org="org-other")):
        result = platform.apply("content", [bad])[0]
        assert result.outcome == ApplyOutcome.FAILED and result.error is not None
        assert result.error.kind == ErrorKind.NOT_FOUND


def test_refresh_flag_set_and_restored(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    [result] = platform.apply("content", [batch(SetRefreshFlag(url=URL, flagged=True, reason="prices from 2023"))])
    assert result.outcome == ApplyOutcome.APPLIED
    assert result.details["refresh_flag"] == {"url": URL, "flagged": True, "before": False}
    snap = platform.snapshot("content", [request()], NOW)["a1"]
    assert snap.content is not None
    assert (snap.content.refresh_flagged, snap.content.refresh_reason) == (True, "prices from 2023")
    platform.apply("content", [batch(SetRefreshFlag(url=URL, flagged=False, reason=None))])
    assert store.get_refresh_flag(ORG, URL) == (False, None)
    assert store.get_refresh_flag("org-other", URL) == (False, None)


def test_topic_snapshot_has_no_flag_lookup(platform: ContentPlatform) -> None:
    platform.apply("content", [batch(store_op(key="email deliverability"))])
    snap = platform.snapshot("content", [request(url=None, topic="email deliverability")], NOW)["a1"]
    assert snap.content is not None and snap.content.key == "email deliverability"
    assert snap.content.artifact_ids == ("art-1",)


def test_unrequested_part_and_wrong_platform(platform: ContentPlatform) -> None:
    assert platform.snapshot("content", [request(parts=frozenset())], NOW)["a1"].content is None
    wrong = request().model_copy(update={"platform": Platform.GOOGLE_ADS})
    with pytest.raises(PermanentError):
        platform.snapshot("content", [wrong], NOW)


def test_validate_only_writes_nothing(platform: ContentPlatform, store: MemoryArtifactStore,
                                      writer: CountingWriter) -> None:
    [result] = platform.apply("content", [batch(store_op(), SetRefreshFlag(url=URL, flagged=True))],
                              validate_only=True)
    assert result.outcome == ApplyOutcome.VALIDATED
    assert store.artifacts == {} and store.flags == {} and writer.calls == []


def test_foreign_operations_are_refused_before_anything_lands(platform: ContentPlatform,
                                                              store: MemoryArtifactStore) -> None:
    bad = SetCampaignStatus(customer_id="1234567890", campaign_id="1", status="PAUSED")
    [result] = platform.apply("content", [batch(store_op(), bad)])
    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.PERMANENT and store.artifacts == {}


def test_site_allowlist(store: MemoryArtifactStore, writer: CountingWriter) -> None:
    platform = ContentPlatform(store, writer, sites_for=lambda org: ("acme.example",) if org == ORG else ())
    assert platform.apply("content", [batch(store_op())])[0].outcome == ApplyOutcome.APPLIED
    evil = "https://evil.example/page"
    for op in (store_op("art-2", key=evil), SetRefreshFlag(url=evil, flagged=True)):
        result = platform.apply("content", [batch(op)])[0]
        assert result.outcome == ApplyOutcome.FAILED and result.error is not None
        assert result.error.kind == ErrorKind.AUTH and "evil.example" in result.error.message
    assert "art-2" not in store.artifacts and store.flags == {}
    with pytest.raises(NotConnectedError):
        platform.snapshot("content", [request(url=evil)], NOW)
    # topic-only briefs have no page, so nothing to check
    assert platform.apply("content", [batch(store_op("art-3", key="a topic"))])[0].outcome == ApplyOutcome.APPLIED


def test_a_later_failure_undoes_the_earlier_operations(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    store.fail_next["set_refresh_flag"] = 1
    [result] = platform.apply("content", [batch(store_op(), SetRefreshFlag(url=URL, flagged=True))])
    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.RETRYABLE
    assert store.artifacts["art-1"].archived_at == NOW  # taken back
    assert store.get_refresh_flag(ORG, URL) == (False, None)
    [again] = platform.apply("content", [batch(store_op())])  # an archived artifact is never revived
    assert again.outcome == ApplyOutcome.FAILED and again.error is not None
    assert again.error.kind == ErrorKind.PERMANENT and "archived" in again.error.message


def test_a_failed_undo_makes_the_batch_uncertain(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    store.fail_next.update({"set_refresh_flag": 1, "archive_artifact": 1})
    [result] = platform.apply("content", [batch(store_op(), SetRefreshFlag(url=URL, flagged=True))])
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error is not None
    assert result.error.kind == ErrorKind.UNCERTAIN


def test_an_ambiguous_write_is_settled_by_reading(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    store.lands_before_failing.add("put_artifact")
    store.fail_next["put_artifact"] = 1
    [result] = platform.apply("content", [batch(store_op())])
    assert result.outcome == ApplyOutcome.APPLIED and "art-1" in store.artifacts


def test_a_write_that_did_not_land_fails_retryably(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    store.fail_next["put_artifact"] = 1
    [result] = platform.apply("content", [batch(store_op())])
    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.RETRYABLE and store.artifacts == {}


def test_a_flag_write_that_landed_before_failing_counts_as_applied(platform: ContentPlatform,
                                                                    store: MemoryArtifactStore) -> None:
    store.lands_before_failing.add("set_refresh_flag")
    store.fail_next["set_refresh_flag"] = 1
    [result] = platform.apply("content", [batch(store_op(), SetRefreshFlag(url=URL, flagged=True, reason="old"))])
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    assert store.get_refresh_flag(ORG, URL) == (True, "old") and store.artifacts["art-1"].archived_at is None


def test_an_archive_that_landed_before_failing_counts_as_applied(platform: ContentPlatform,
                                                                 store: MemoryArtifactStore) -> None:
    platform.apply("content", [batch(store_op())])
    store.lands_before_failing.add("archive_artifact")
    store.fail_next["archive_artifact"] = 1
    [result] = platform.apply("content", [batch(ArchiveArtifact(artifact_id="art-1"), key="act-2")])
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    assert store.artifacts["art-1"].archived_at == NOW


@pytest.mark.parametrize("write", ["put_artifact", "set_refresh_flag"])
def test_a_failed_write_that_cannot_be_read_back_is_uncertain_and_left_for_settlement(
        platform: ContentPlatform, store: MemoryArtifactStore, write: str) -> None:
    """The store goes down in the middle of a write: it may have landed, so the batch is UNCERTAIN (never
    FAILED, which would let a retry act on a guess) and nothing is undone: the next run settles it."""
    store.lands_before_failing.add(write)
    store.fail_next[write] = 1
    store.down_after_failure = True
    ops = [store_op()] if write == "put_artifact" else [store_op(), SetRefreshFlag(url=URL, flagged=True)]
    [result] = platform.apply("content", [batch(*ops)])
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error is not None
    assert result.error.kind == ErrorKind.UNCERTAIN and "reading back" in result.error.message
    assert store.artifacts["art-1"].archived_at is None  # not undone


def test_writer_refusal_is_a_permanent_failure(platform: ContentPlatform, store: MemoryArtifactStore) -> None:
    op = StoreArtifact(artifact_id="art-9", kind="internal_links", key=URL, title="Links", body="", data={"links": []})
    [result] = platform.apply("content", [batch(op)])
    assert result.outcome == ApplyOutcome.FAILED and result.error is not None
    assert result.error.kind == ErrorKind.PERMANENT and store.artifacts == {}


def test_batches_are_answered_in_order(platform: ContentPlatform) -> None:
    results = platform.apply("content", [batch(store_op("art-1"), key="act-1"),
                                         batch(ArchiveArtifact(artifact_id="art-404"), key="act-2"),
                                         batch(store_op("art-3"), key="act-3")])
    assert [(r.key, r.outcome) for r in results] == [
        ("act-1", ApplyOutcome.APPLIED), ("act-2", ApplyOutcome.FAILED), ("act-3", ApplyOutcome.APPLIED)]
