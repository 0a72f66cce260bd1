"""ArtifactStore port: idempotent artifacts, archiving, page refresh flags."""

from __future__ import annotations

import uuid
from datetime import timedelta

from connectors.base import Artifact
from tests.ports.builders import NOW, org_id

URL = "https://www.acme.example/blog/widget-buying-guide-2019"


def _artifact(org: str, key: str = URL, *, kind: str = "content_brief", at=NOW, title: str = "Brief") -> Artifact:
    return Artifact(artifact_id=f"art-{uuid.uuid4().hex[:16]}", organization_id=org, kind=kind, key=key,
                    title=title, body="# Brief\n\n- point", data={"keyword": "widgets", "sections": [1, 2]},
                    created_at=at)


def test_artifacts_round_trip_and_a_retried_store_keeps_the_first(stores):
    org = org_id()
    artifact = _artifact(org)
    stores.artifacts.put_artifact(artifact)
    stores.artifacts.put_artifact(Artifact(**{**artifact.__dict__, "title": "Second try"}))
    assert stores.artifacts.get_artifact(artifact.artifact_id) == artifact
    assert stores.artifacts.get_artifact("art-missing") is None
    assert stores.artifacts.list_artifacts(org) == [artifact]


def test_list_filters_by_key_and_hides_archived(stores):
    org = org_id()
    older = _artifact(org)
    newer = _artifact(org, at=NOW + timedelta(minutes=5), kind="refresh_flag")
    elsewhere = _artifact(org, "https://www.acme.example/widgets/blue", kind="internal_links")
    foreign = _artifact(org_id())
    for artifact in (newer, elsewhere, older, foreign):
        stores.artifacts.put_artifact(artifact)
    assert stores.artifacts.list_artifacts(org, key=URL) == [older, newer]
    assert {a.artifact_id for a in stores.artifacts.list_artifacts(org)} == {
        older.artifact_id, newer.artifact_id, elsewhere.artifact_id}

    assert stores.artifacts.archive_artifact(older.artifact_id, NOW + timedelta(hours=1)) is True
    assert stores.artifacts.list_artifacts(org, key=URL) == [newer]
    archived = stores.artifacts.list_artifacts(org, key=URL, include_archived=True)
    assert [a.artifact_id for a in archived] == [older.artifact_id, newer.artifact_id]
    assert archived[0].archived_at == NOW + timedelta(hours=1)


def test_archiving_is_idempotent_and_unknown_ids_say_so(stores):
    artifact = _artifact(org_id())
    stores.artifacts.put_artifact(artifact)
    assert stores.artifacts.archive_artifact(artifact.artifact_id, NOW + timedelta(hours=1))
    assert stores.artifacts.archive_artifact(artifact.artifact_id, NOW + timedelta(hours=2))
    assert stores.artifacts.get_artifact(artifact.artifact_id).archived_at == NOW + timedelta(hours=1)
    assert stores.artifacts.archive_artifact("art-missing", NOW) is False


def test_refresh_flags_per_organization_and_page(stores):
    org, other = org_id(), org_id()
    assert stores.artifacts.get_refresh_flag(org, URL) == (False, None)
    stores.artifacts.set_refresh_flag(org, URL, True, "prices are from 2019", NOW)
    assert stores.artifacts.get_refresh_flag(org, URL) == (True, "prices are from 2019")
    assert stores.artifacts.get_refresh_flag(other, URL) == (False, None)
    stores.artifacts.set_refresh_flag(org, URL, False, None, NOW + timedelta(hours=1))
    assert stores.artifacts.get_refresh_flag(org, URL) == (False, None)
