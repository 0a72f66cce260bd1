"""Operational state in Firestore: organizations, kill switches, approvals, claims, counters, artifacts.

The collection layout is documented in docs/storage.md. `build_firestore_stores(settings)` is what the
composition root calls for `OPERATOR_BACKEND=gcp`; with FIRESTORE_EMULATOR_HOST set the client talks to
the emulator without credentials.
"""

from __future__ import annotations

from typing import Any, Protocol

from connectors.firestore.artifacts import FirestoreArtifactStore
from connectors.firestore.state import FirestoreStateStore

__all__ = ["FirestoreArtifactStore", "FirestoreStateStore", "build_firestore_stores", "make_firestore_client"]


class FirestoreSettings(Protocol):
    """The settings fields used here (operator_ai.settings.Settings has them; connectors may not import it)."""

    gcp_project: str | None


def make_firestore_client(project: str, database: str | None = None) -> Any:
    from google.cloud import firestore

    return firestore.Client(project=project, database=database) if database else firestore.Client(project=project)


def build_firestore_stores(settings: FirestoreSettings) -> tuple[FirestoreStateStore, FirestoreArtifactStore]:
    if not settings.gcp_project:
        raise ValueError("OPERATOR_GCP_PROJECT is required for OPERATOR_BACKEND=gcp")
    client = make_firestore_client(settings.gcp_project)
    return FirestoreStateStore(client), FirestoreArtifactStore(client)
