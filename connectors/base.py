"""Ports: the small protocols every adapter implements, and the platform error taxonomy.

Adapters: `connectors.local` (SQLite, the embedded default), `connectors.sandbox` (sandbox platforms),
`connectors.google_ads`, `connectors.activecampaign`, `connectors.content`, `connectors.bigquery`,
`connectors.firestore`, `connectors.llm`. The orchestrator only ever sees these protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from schemas.changes import OutsideChange
from schemas.common import ActionStatus, Platform
from schemas.experiments import Experiment, ExperimentStatus
from schemas.impact import TrackingHold
from schemas.metrics import MetricReading, MetricRequest
from schemas.operations import ApplyResult, ErrorInfo, ErrorKind, OpBatch
from schemas.policy import KillSwitch, KillSwitchState, OrgChange, OrgPolicy
from schemas.records import ActionRecord
from schemas.snapshots import Snapshot, SnapshotRequest

# --------------------------------------------------------------------------- errors


class PlatformError(Exception):
    """A platform call failed. `kind` says what the caller may do next."""

    kind: ErrorKind = ErrorKind.PERMANENT

    def __init__(self, message: str, *, code: str | None = None, retry_after_s: float | None = None,
                 request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after_s = retry_after_s
        self.request_id = request_id

    def info(self) -> ErrorInfo:
        return ErrorInfo(kind=self.kind, message=self.message, code=self.code,
                         retry_after_s=self.retry_after_s, request_id=self.request_id)


class RetryableError(PlatformError):
    kind = ErrorKind.RETRYABLE


class RateLimitedError(PlatformError):
    kind = ErrorKind.RATE_LIMITED


class QuotaExhaustedError(PlatformError):
    kind = ErrorKind.QUOTA


class PermanentError(PlatformError):
    kind = ErrorKind.PERMANENT


class AuthError(PlatformError):
    kind = ErrorKind.AUTH


class NotFoundError(PlatformError):
    kind = ErrorKind.NOT_FOUND


class UncertainError(PlatformError):
    """The request may have landed (timeout after send, connection reset). Settle by reading."""

    kind = ErrorKind.UNCERTAIN


class NotConnectedError(PlatformError):
    """No credentials, or the account is not on the org's allowlist: nothing was sent."""

    kind = ErrorKind.AUTH


class StoreError(Exception):
    """The log or state store is unavailable (the log falls back to the outbox)."""


# --------------------------------------------------------------------------- platform port


@runtime_checkable
class PlatformConnector(Protocol):
    platform: Platform
    mode: Literal["SANDBOX", "LIVE"]

    def check_connection(self, account_id: str) -> None:
        """A cheap authenticated read; raises `PlatformError` (cached per run by the caller)."""
        ...

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        """Read every request for one account in as few calls as possible; answer keyed by request key."""
        ...

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        """Apply each batch (one action's operations) and answer one result per batch, in order.
        Never raises for a per-action failure: it is reported in the result (FAILED or UNCERTAIN)."""
        ...


@runtime_checkable
class MetricReader(Protocol):
    """Windowed metric reads for impact measurement (spec §8). A separate port so a connector without
    metrics need not pretend; the measurement treats a connector without it as "not measurable"."""

    def read_metrics(self, account_id: str, requests: Sequence[MetricRequest],
                     now: datetime) -> dict[str, MetricReading]:
        """Answer every request for one account, keyed by request key. Entities the platform has no
        metrics for answer `measurable=False` with the reason; raises `PlatformError` for the call."""
        ...


# --------------------------------------------------------------------------- log port


class ActionsLog(Protocol):
    """Append-only; the current state of an action is its latest row (highest seq)."""

    def append(self, records: Sequence[ActionRecord]) -> None:
        ...

    def latest(self, action_ids: Sequence[str]) -> dict[str, ActionRecord]:
        ...

    def events(self, action_id: str) -> list[ActionRecord]:
        """Every row of one action, oldest first."""
        ...

    def query(
        self,
        *,
        organization_id: str | None = None,
        since: datetime | None = None,
        statuses: Sequence[ActionStatus] | None = None,
        opportunity_id: str | None = None,
        limit: int = 1000,
    ) -> list[ActionRecord]:
        """Latest row per action, filtered by the latest row's fields, newest event first."""
        ...

    def flush_outbox(self) -> int:
        """Write spooled records (if the adapter has an outbox); return how many were flushed."""
        ...


# --------------------------------------------------------------------------- state port


@dataclass(frozen=True)
class PendingApproval:
    action_id: str
    organization_id: str
    plan_hash: str
    requested_at: datetime
    expires_at: datetime
    summary: str
    status: Literal["pending", "approved", "rejected", "expired"] = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None


class ApprovalError(Exception):
    """Refused decision: unknown, already decided (replay), expired, wrong plan hash or organization."""


class StateStore(Protocol):
    # organizations
    def get_org(self, organization_id: str) -> OrgPolicy | None: ...
    def list_orgs(self) -> list[OrgPolicy]: ...
    def put_org(self, policy: OrgPolicy, change: OrgChange | None = None) -> None:
        """Write the policy and, when given, its audit record (who, when, what) in the same write."""
        ...
    def org_changes(self, organization_id: str) -> list[OrgChange]: ...

    # kill switches (scope "global" or an org id)
    def kill_switches(self, organization_id: str) -> KillSwitchState: ...
    def set_kill_switch(self, switch: KillSwitch) -> None: ...

    # idempotency claims
    def claim(self, action_id: str, run_id: str, now: datetime, lease_s: float) -> bool:
        """Atomically take an action for this run. False if another live run holds it or it is done."""
        ...

    def release(self, action_id: str, run_id: str, *, done: bool) -> None:
        """Give the claim back: `done=True` means never process this action again automatically."""
        ...

    def reopen(self, action_id: str) -> bool:
        """Make a finished (done) action claimable again, e.g. a stale approved plan to be re-planned."""
        ...

    def claim_state(self, action_id: str) -> dict[str, Any] | None: ...

    # approvals
    def put_pending(self, approval: PendingApproval) -> None: ...
    def get_approval(self, action_id: str) -> PendingApproval | None: ...
    def list_pending(self, organization_id: str | None = None) -> list[PendingApproval]: ...
    def decide(self, action_id: str, *, organization_id: str, plan_hash: str, approve: bool,
               decided_by: str, now: datetime) -> PendingApproval:
        """Single-use, transactional decision; raises `ApprovalError` when refused."""
        ...

    def expire_pending(self, now: datetime) -> list[PendingApproval]:
        """Mark every pending approval past its TTL expired, and return them."""
        ...

    # rate counters (rolling windows)
    def record_execution(self, organization_id: str, action_id: str, at: datetime) -> None: ...
    def count_executions(self, organization_id: str, since: datetime) -> int: ...


# --------------------------------------------------------------------------- opportunity source


class OpportunitySource(Protocol):
    def pull_approved(self, organization_id: str | None, now: datetime) -> list[Any]:
        """Raw opportunity dicts with status approved (parsing happens in the orchestrator so that
        bad input still gets a log row). Expired ones are included: the orchestrator records them."""
        ...

    def current_status(self, opportunity_id: str) -> tuple[str, datetime | None] | None:
        """Re-read one opportunity's status and expiry right before execution."""
        ...

    def mark(self, opportunity_id: str, status: str) -> None:
        """Record that the Operator acted on it (e.g. `actioned`)."""
        ...


# --------------------------------------------------------------------------- experiments


@runtime_checkable
class ExperimentStore(Protocol):
    """Experiments (subject-line tests): one mutable row per experiment."""

    def put_experiment(self, experiment: Experiment) -> None:
        """Insert or replace the row with this experiment_id."""
        ...

    def get_experiment(self, experiment_id: str) -> Experiment | None: ...
    def list_experiments(self, organization_id: str | None = None,
                         status: ExperimentStatus | None = None) -> list[Experiment]: ...


# --------------------------------------------------------------------------- tracking holds


@runtime_checkable
class HoldStore(Protocol):
    """Tracking holds (issue 14): one row per (organization, platform, account), replaced as it changes.
    A state store that implements it lets the tracking-break circuit breaker hold automatic rollbacks and
    spend increases; guardrails read the active holds as an input."""

    def tracking_holds(self, organization_id: str) -> list[TrackingHold]:
        """The org's holds, active or cleared."""
        ...

    def put_tracking_hold(self, hold: TrackingHold) -> None: ...


@runtime_checkable
class ChangeStore(Protocol):
    """Outside changes seen by the runs (issue 15: who changed what, since the last run), kept for the record:
    each change once, however many runs saw it. The guardrails and measurement read changes from the platform
    itself (snapshots, metric readings); this is the audit trail behind them."""

    def record_outside_changes(self, organization_id: str, changes: Sequence[OutsideChange],
                               seen_at: datetime) -> int:
        """Store the changes not stored yet; returns how many were new."""
        ...

    def outside_changes(self, organization_id: str, since: datetime) -> list[OutsideChange]:
        """The org's recorded changes made at or after `since`, oldest first."""
        ...


# --------------------------------------------------------------------------- content artifacts


@dataclass(frozen=True)
class Artifact:
    artifact_id: str
    organization_id: str
    kind: str  # content_brief | internal_links | refresh_flag
    key: str  # url or topic
    title: str
    body: str  # Markdown
    data: dict[str, Any]
    created_at: datetime
    archived_at: datetime | None = None


class ArtifactStore(Protocol):
    """Where content artifacts live (SQLite by default, Firestore in production)."""

    def put_artifact(self, artifact: Artifact) -> None:
        """Idempotent on artifact_id (a retried store writes one artifact)."""
        ...

    def get_artifact(self, artifact_id: str) -> Artifact | None: ...
    def list_artifacts(self, organization_id: str | None = None, key: str | None = None,
                       include_archived: bool = False) -> list[Artifact]: ...
    def archive_artifact(self, artifact_id: str, at: datetime) -> bool: ...
    def set_refresh_flag(self, organization_id: str, url: str, flagged: bool, reason: str | None,
                         at: datetime) -> None: ...
    def get_refresh_flag(self, organization_id: str, url: str) -> tuple[bool, str | None]: ...


# --------------------------------------------------------------------------- language-model helpers


class ActionProposer(Protocol):
    """Turns an opportunity without a structured action into a raw action dict (or None when it
    cannot). Its output is only a proposal: it is validated by pydantic and judged by the guardrails."""

    def propose(self, opportunity: Any, policy: OrgPolicy) -> dict[str, Any] | None: ...


class ContentWriter(Protocol):
    """Writes content-artifact bodies (template by default, Claude when configured)."""

    def write(self, kind: str, key: str, inputs: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """Return (title, markdown body, structured data)."""
        ...


class SubjectLineWriter(Protocol):
    def variants(self, campaign_subject: str | None, brief: str, count: int) -> list[str]: ...
