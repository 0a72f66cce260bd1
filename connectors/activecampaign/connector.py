"""`ActiveCampaignConnector`: the `PlatformConnector` port over AC's REST API (mode LIVE).

The org allowlist comes first: a snapshot request or batch naming an account its organization does not
own is refused before any network call (and before any credential is resolved). Tokens are resolved
through the injected `secret_resolver` from the account's `token_ref` and live only in the session
headers: never in logs, results or error messages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from connectors.activecampaign import paths as p
from connectors.activecampaign import selftest
from connectors.activecampaign.automation_ops import enroll_contacts, unenroll_contacts
from connectors.activecampaign.campaign_ops import set_campaign_status, set_send_time
from connectors.activecampaign.changes import campaign_change
from connectors.activecampaign.client import ACClient, ClientSettings
from connectors.activecampaign.credentials import env_secret_resolver
from connectors.activecampaign.metrics import reading as metric_reading
from connectors.activecampaign.reads import Reader
from connectors.activecampaign.results import OpResult, worst
from connectors.activecampaign.split_test import create_subject_line_test, delete_subject_line_test
from connectors.activecampaign.throttle import Clock, SystemClock
from connectors.base import NotConnectedError, PermanentError, PlatformError, UncertainError
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest
from schemas.operations import (
    ApplyOutcome,
    ApplyResult,
    CreateSubjectLineTestOp,
    DeleteSubjectLineTestOp,
    EnrollContacts,
    OpBatch,
    SetEmailCampaignStatus,
    SetSendTime,
    UnenrollContacts,
)
from schemas.policy import ActiveCampaignAccount
from schemas.snapshots import Snapshot, SnapshotPart, SnapshotRequest

log = logging.getLogger("connectors.activecampaign")

AccountsForOrg = Callable[[str], dict[str, ActiveCampaignAccount]]
SecretResolver = Callable[[str], str]
Handler = Callable[[ACClient, Any, bool], OpResult]

# One handler per operation type this platform executes (no branching on type strings).
HANDLERS: dict[type, Handler] = {
    CreateSubjectLineTestOp: create_subject_line_test,
    DeleteSubjectLineTestOp: delete_subject_line_test,
    SetSendTime: set_send_time,
    EnrollContacts: enroll_contacts,
    UnenrollContacts: unenroll_contacts,
    SetEmailCampaignStatus: set_campaign_status,
}


class ActiveCampaignConnector:
    platform = Platform.ACTIVECAMPAIGN
    mode: Literal["SANDBOX", "LIVE"] = "LIVE"

    def __init__(self, accounts_for_org: AccountsForOrg, secret_resolver: SecretResolver = env_secret_resolver, *,
                 settings: ClientSettings | None = None, clock: Clock | None = None):
        self._accounts_for_org = accounts_for_org
        self._resolve_secret = secret_resolver
        self._settings = settings or ClientSettings()
        self._clock = clock or SystemClock()
        self._clients: dict[tuple[str, str], ACClient] = {}
        self._seen: dict[str, ActiveCampaignAccount] = {}  # account id -> config, for check_connection
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ port

    def check_connection(self, account_id: str, organization_id: str | None = None) -> None:
        """`GET /api/3/users/me` with the account's token. Without an organization the account must have
        been named by an earlier allowlisted call of this connector (the orchestrator snapshots first)."""
        if organization_id is not None:
            account = self.account(organization_id, account_id)
        else:
            with self._lock:
                seen = self._seen.get(account_id)
            if seen is None:
                raise NotConnectedError(f"ActiveCampaign account {account_id} is not known to this connector yet")
            account = seen
        self._client(account).get(p.USERS_ME)

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        accounts = [self._request_account(account_id, r) for r in requests]  # refuse before any call
        if not requests:
            return {}
        reader = Reader(self._client(accounts[0]))  # one memo: shared entities are read once
        answers: dict[str, Snapshot] = {}
        for request in requests:
            answers[request.key] = self._read(reader, account_id, request, now)
        return answers

    def read_metrics(self, account_id: str, requests: Sequence[MetricRequest],
                     now: datetime) -> dict[str, MetricReading]:
        """`MetricReader` port: campaign running totals (see `metrics.py`); the allowlist is checked first."""
        accounts = []
        for request in requests:  # refuse before any call
            if request.platform != Platform.ACTIVECAMPAIGN or request.account_id != account_id:
                raise NotConnectedError(f"metric request {request.key} is for {request.platform}/"
                                        f"{request.account_id}, not activecampaign/{account_id}", code="wrong_account")
            accounts.append(self.account(request.organization_id, account_id))
        if not requests:
            return {}
        reader = Reader(self._client(accounts[0]))
        return {request.key: metric_reading(reader, request, now) for request in requests}

    def probe(self, organization_id: str, account_id: str) -> dict[str, Any]:
        """Read-only self-test of one allowlisted account for `operator verify` (see `selftest.py`)."""
        return selftest.probe(self._client(self.account(organization_id, account_id)))

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        return [self._apply_batch(account_id, batch, validate_only) for batch in batches]

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    # ------------------------------------------------------------------ allowlist and credentials

    def account(self, organization_id: str, account_id: str) -> ActiveCampaignAccount:
        """The org's configured account, or `NotConnectedError` (nothing sent) when it does not own it."""
        try:
            owned = self._accounts_for_org(organization_id)
        except Exception:
            raise NotConnectedError(f"organization {organization_id} has no readable configuration") from None
        account = owned.get(account_id)
        if account is None:
            raise NotConnectedError(f"ActiveCampaign account {account_id} is not connected to organization "
                                    f"{organization_id}", code="not_allowlisted")
        with self._lock:
            self._seen[account_id] = account
        return account

    def _request_account(self, account_id: str, request: SnapshotRequest) -> ActiveCampaignAccount:
        if request.platform != Platform.ACTIVECAMPAIGN or request.account_id != account_id:
            raise NotConnectedError(f"snapshot request {request.key} is for {request.platform}/{request.account_id}, "
                                    f"not activecampaign/{account_id}", code="wrong_account")
        return self.account(request.organization_id, account_id)

    def _client(self, account: ActiveCampaignAccount) -> ACClient:
        if account.token_ref is None:
            raise NotConnectedError(f"ActiveCampaign account {account.account_id} has no token_ref")
        key = (account.base_url.rstrip("/").lower(), account.token_ref)
        with self._lock:
            client = self._clients.get(key)
        if client is not None:
            return client
        try:
            token = self._resolve_secret(account.token_ref)
        except Exception:  # the resolver's message could quote the secret store: do not pass it on
            raise NotConnectedError(f"the token of ActiveCampaign account {account.account_id} could not be "
                                    "resolved", code="no_credentials") from None
        if not token:
            raise NotConnectedError(f"the token of ActiveCampaign account {account.account_id} is empty",
                                    code="no_credentials")
        client = ACClient(account.base_url, token, settings=self._settings, clock=self._clock)
        with self._lock:
            return self._clients.setdefault(key, client)

    # ------------------------------------------------------------------ snapshot

    def _read(self, reader: Reader, account_id: str, request: SnapshotRequest, now: datetime) -> Snapshot:
        fields: dict[str, Any] = {}
        missing: list[str] = []
        if SnapshotPart.EMAIL_CAMPAIGN in request.parts and request.campaign_id:
            fields["email_campaign"] = reader.email_campaign_state(request.campaign_id)
            if fields["email_campaign"] is None:
                missing.append(f"campaign {request.campaign_id}")
            elif SnapshotPart.CHANGES in request.parts:  # AC's nearest thing to a change history (changes.py)
                fields["outside_changes"] = campaign_change(account_id, fields["email_campaign"])
        if SnapshotPart.AUTOMATION in request.parts and request.automation_id:
            fields["automation"] = reader.automation_state(request.automation_id, request.contact_ids,
                                                           request.contact_emails)
            if fields["automation"] is None:
                missing.append(f"automation {request.automation_id}")
        return Snapshot(key=request.key, platform=Platform.ACTIVECAMPAIGN, account_id=account_id, read_at=now,
                        source="live", missing=tuple(missing), **fields)

    # ------------------------------------------------------------------ apply

    def _apply_batch(self, account_id: str, batch: OpBatch, validate_only: bool) -> ApplyResult:
        try:
            if batch.platform != Platform.ACTIVECAMPAIGN or batch.account_id != account_id:
                raise NotConnectedError(f"batch {batch.key} is for {batch.platform}/{batch.account_id}, not "
                                        f"activecampaign/{account_id}", code="wrong_account")
            client = self._client(self.account(batch.organization_id, account_id))
            if any(type(op) not in HANDLERS or getattr(op, "account_id", None) != account_id for op in batch.ops):
                raise PermanentError(f"batch {batch.key} holds an operation that is not for ActiveCampaign account "
                                     f"{account_id}", code="wrong_operation")
        except PlatformError as error:
            log.warning("activecampaign batch %s refused before any call: %s", batch.key, error.message)
            return ApplyResult(key=batch.key, outcome=ApplyOutcome.FAILED, error=error.info())
        results: list[OpResult] = []
        for op in batch.ops:
            results.append(self._apply_op(client, op, validate_only))
            if results[-1].outcome not in (ApplyOutcome.APPLIED, ApplyOutcome.VALIDATED):
                break
        return _batch_result(batch.key, results)

    def _apply_op(self, client: ACClient, op: Any, validate_only: bool) -> OpResult:
        try:
            return HANDLERS[type(op)](client, op, validate_only)
        except PlatformError as error:  # raised before anything was written (preconditions) or a plain failure
            outcome = ApplyOutcome.UNCERTAIN if isinstance(error, UncertainError) else ApplyOutcome.FAILED
            return OpResult(outcome, {"op": op.op}, error)
        except Exception as error:  # a bug or an unreadable answer, possibly after a write: never guess
            log.exception("activecampaign %s failed unexpectedly", op.op)
            return OpResult(ApplyOutcome.UNCERTAIN, {"op": op.op},
                            UncertainError(f"{op.op}: unexpected {type(error).__name__}", code="internal"))


def _batch_result(key: str, results: list[OpResult]) -> ApplyResult:
    """One result per batch: every op's details merged (plus `ops` when there are several), the least
    reversible report, and the outcome — a failure after an earlier op landed is UNCERTAIN (partial)."""
    details: dict[str, Any] = {}
    for result in results:
        details.update(result.details)
    if len(results) > 1:
        details["ops"] = [r.details for r in results]
    levels = [r.details["reversibility"] for r in results if "reversibility" in r.details]
    if levels:
        details["reversibility"] = worst(levels)
        parts = {part for r in results for part in r.details.get("irreversible_parts", [])}
        details["irreversible_parts"] = sorted(parts)
    last = results[-1]
    outcome = last.outcome
    if outcome == ApplyOutcome.FAILED and len(results) > 1:
        outcome = ApplyOutcome.UNCERTAIN
    return ApplyResult(key=key, outcome=outcome, details=details, error=last.error.info() if last.error else None)
