"""FirestoreArtifactStore on the Firestore emulator: idempotent stores, archive, listing, refresh flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.base import Artifact
from connectors.firestore import FirestoreArtifactStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def artifacts(fs_client, fs_prefix) -> FirestoreArtifactStore:
    return FirestoreArtifactStore(fs_client, prefix=fs_prefix, timeout_s=5, deadline_s=15)


def brief(artifact_id: str, *, org: str = "org-acme", key: str = "https://acme.example/widgets",
          at: datetime = NOW) -> Artifact:
    return Artifact(artifact_id=artifact_id, organization_id=org, kind="content_brief", key=key,
                    title="Widgets: a buyer's guide", body="# Widgets\n\n- who buys them\n",
                    data={"keyword": "widgets", "volume": 1200, "cpc": Decimal("1.25"), "sections": ["a", "b"]},
                    created_at=at)


def test_an_artifact_is_stored_once_and_read_back(artifacts):
    first = brief("art-1")
    artifacts.put_artifact(first)
    artifacts.put_artifact(replace(first, title="a retried store with other text"))

    stored = artifacts.get_artifact("art-1")
    assert stored == replace(first, data={**first.data, "cpc": "1.25"})  # Decimals come back as JSON strings
    assert artifacts.get_artifact("art-unknown") is None


def test_listing_filters_orders_and_hides_archived(artifacts):
    artifacts.put_artifact(brief("art-2", at=NOW + timedelta(minutes=1)))
    artifacts.put_artifact(brief("art-1"))
    artifacts.put_artifact(brief("art-3", org="org-beta"))
    artifacts.put_artifact(brief("art-4", key="https://acme.example/other"))

    assert [a.artifact_id for a in artifacts.list_artifacts()] == ["art-1", "art-3", "art-4", "art-2"]
    assert [a.artifact_id for a in artifacts.list_artifacts("org-acme", key="https://acme.example/widgets")] == [
        "art-1", "art-2"]

    assert artifacts.archive_artifact("art-1", NOW + timedelta(hours=1)) is True
    assert artifacts.archive_artifact("art-1", NOW + timedelta(hours=2)) is True  # repeat keeps the first time
    assert artifacts.archive_artifact("art-unknown", NOW) is False
    assert artifacts.get_artifact("art-1").archived_at == NOW + timedelta(hours=1)
    assert [a.artifact_id for a in artifacts.list_artifacts("org-acme")] == ["art-4", "art-2"]
    assert [a.artifact_id for a in artifacts.list_artifacts("org-acme", include_archived=True)] == [
        "art-1", "art-4", "art-2"]


def test_refresh_flags_per_org_and_url(artifacts):
    url = "https://acme.example/blog/2019/widgets?utm=x#top"
    assert artifacts.get_refresh_flag("org-acme", url) == (False, None)
    artifacts.set_refresh_flag("org-acme", url, True, "traffic down 40 %", NOW)
    assert artifacts.get_refresh_flag("org-acme", url) == (True, "traffic down 40 %")
    assert artifacts.get_refresh_flag("org-beta", url) == (False, None)
    artifacts.set_refresh_flag("org-acme", url, False, None, NOW + timedelta(days=1))
    assert artifacts.get_refresh_flag("org-acme", url) == (False, None)
