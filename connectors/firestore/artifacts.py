"""`FirestoreArtifactStore` (ArtifactStore port): content artifacts and refresh flags in Firestore.

`artifacts/{artifact_id}` is written with `create()`, so a retried store writes one artifact and never
resurrects an archived one. Refresh flags live at `refresh_flags/{org}~{sha256(url)}` (a URL cannot be a
document id). `data` is kept as canonical JSON text: artifact data may hold Decimals, which Firestore
cannot store, and the text round-trips exactly like the SQLite store's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from connectors.base import Artifact
from connectors.firestore.common import Collections, call_options, in_transaction, store_call, utc
from schemas.common import canonical_json


def _artifact(data: dict[str, Any]) -> Artifact:
    created_at = utc(data["created_at"])
    assert created_at is not None  # always written
    return Artifact(artifact_id=data["artifact_id"], organization_id=data["organization_id"], kind=data["kind"],
                    key=data["key"], title=data["title"], body=data["body"], data=json.loads(data["data_json"]),
                    created_at=created_at, archived_at=utc(data.get("archived_at")))


class FirestoreArtifactStore:
    def __init__(self, client: Any, *, prefix: str = "", timeout_s: float = 10.0, deadline_s: float = 30.0):
        self.client = client
        self.names = Collections(prefix)
        self.calls = call_options(timeout_s, deadline_s)

    def _col(self, base: str) -> Any:
        return self.client.collection(self.names.name(base))

    @store_call("put_artifact")
    def put_artifact(self, artifact: Artifact) -> None:
        with contextlib.suppress(AlreadyExists):
            self._col("artifacts").document(artifact.artifact_id).create({
                "artifact_id": artifact.artifact_id, "organization_id": artifact.organization_id,
                "kind": artifact.kind, "key": artifact.key, "title": artifact.title, "body": artifact.body,
                "data_json": canonical_json(artifact.data), "created_at": artifact.created_at,
                "archived_at": artifact.archived_at,
            }, **self.calls)

    @store_call("get_artifact")
    def get_artifact(self, artifact_id: str) -> Artifact | None:
        data = self._col("artifacts").document(artifact_id).get(**self.calls).to_dict()
        return None if data is None else _artifact(data)

    @store_call("list_artifacts")
    def list_artifacts(self, organization_id: str | None = None, key: str | None = None,
                       include_archived: bool = False) -> list[Artifact]:
        """Equality filters only (no composite index needed); ordered oldest first in the client."""
        query = self._col("artifacts")
        if organization_id is not None:
            query = query.where(filter=FieldFilter("organization_id", "==", organization_id))
        if key is not None:
            query = query.where(filter=FieldFilter("key", "==", key))
        found = [_artifact(snap.to_dict()) for snap in query.stream(**self.calls)]
        if not include_archived:
            found = [a for a in found if a.archived_at is None]
        return sorted(found, key=lambda a: (a.created_at, a.artifact_id))

    @store_call("archive_artifact")
    def archive_artifact(self, artifact_id: str, at: datetime) -> bool:
        """True when the artifact exists and is archived after the call (a repeat keeps the first time),
        False when there is no such artifact."""
        ref = self._col("artifacts").document(artifact_id)

        @firestore.transactional
        def archive(tx: Any) -> bool:
            data = ref.get(transaction=tx, **self.calls).to_dict()
            if data is None:
                return False
            if data.get("archived_at") is None:
                tx.update(ref, {"archived_at": at})
            return True

        return bool(in_transaction(self.client, archive))

    def _flag(self, organization_id: str, url: str) -> Any:
        digest = hashlib.sha256(url.encode()).hexdigest()[:40]
        return self._col("refresh_flags").document(f"{organization_id}~{digest}")

    @store_call("set_refresh_flag")
    def set_refresh_flag(self, organization_id: str, url: str, flagged: bool, reason: str | None,
                         at: datetime) -> None:
        self._flag(organization_id, url).set({"organization_id": organization_id, "url": url, "flagged": flagged,
                                              "reason": reason, "updated_at": at}, **self.calls)

    @store_call("get_refresh_flag")
    def get_refresh_flag(self, organization_id: str, url: str) -> tuple[bool, str | None]:
        data = self._flag(organization_id, url).get(**self.calls).to_dict()
        if data is None:
            return False, None
        return bool(data["flagged"]), data.get("reason")
