"""Applying operation batches: one mutate per service per customer, each action atomic within it.

Why `partial_failure=False`: an action is one atomic change (all of its negatives, or none). With
partial failure on, a request could land two of an action's three criteria and leave it half done. So a
request is one transaction. When Google rejects it and the errors name their operations, nothing
landed: the actions owning those operations fail, and the rest are sent again without them (not a blind
retry: the rejection proves nothing was applied). Ambiguous failures are never re-sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.base import PermanentError, PlatformError, QuotaExhaustedError, UncertainError
from connectors.google_ads import gaql
from connectors.google_ads.errors import error_details, error_from_details
from connectors.google_ads.writes import SERVICES, Mutation, build
from schemas.operations import ApplyOutcome, ApplyResult, ErrorInfo, ErrorKind, OpBatch, RemoveNegativeKeywordsOp

if TYPE_CHECKING:
    from connectors.google_ads.connector import GoogleAdsConnector

_NOT_PER_OPERATION = frozenset({ErrorKind.UNCERTAIN, ErrorKind.AUTH, ErrorKind.QUOTA, ErrorKind.RATE_LIMITED})


def _text_key(text: str, match_type: str) -> tuple[str, str]:
    return " ".join(text.split()).casefold(), match_type.upper()


@dataclass
class _Run:
    """One batch (one action) on its way through the services."""

    batch: OpBatch
    mutations: list[tuple[int, Mutation]] = field(default_factory=list)  # (op index, mutation)
    entries: list[dict[str, Any]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # services whose request landed for this batch
    request_ids: list[str] = field(default_factory=list)
    error: ErrorInfo | None = None
    uncertain: bool = False
    operation_errors: list[dict[str, Any]] = field(default_factory=list)

    def for_service(self, service: str) -> list[tuple[int, Mutation]]:
        return [(index, m) for index, m in self.mutations if m.service == service]


class Applier:
    def __init__(self, connector: GoogleAdsConnector, customer_id: str, validate_only: bool):
        self.connector, self.customer_id, self.validate_only = connector, customer_id, validate_only
        self.quota: PlatformError | None = None

    def run(self, batches: Sequence[OpBatch]) -> list[ApplyResult]:
        runs = [_Run(batch, entries=[{"op": op.op, "results": []} for op in batch.ops]) for batch in batches]
        live = []
        for run in runs:
            refusal = self.connector.refusal(run.batch.organization_id, run.batch.account_id, run.batch.platform,
                                             self.customer_id)
            if refusal is not None:
                self._fail(run, refusal)
            else:
                live.append(run)
        if live:
            self._build(live)
        for service in SERVICES:
            units = [(run, run.for_service(service)) for run in live if run.error is None and run.for_service(service)]
            for chunk in self._chunks(service, units):
                self._send(service, chunk)
        return [self._result(run) for run in runs]

    # ------------------------------------------------------------------ building

    def _build(self, runs: list[_Run]) -> None:
        try:
            client = self.connector.client_for(self.customer_id)
        except PlatformError as error:  # not configured: every action fails the same way, nothing sent
            for run in runs:
                self._fail(run, error)
            return
        lookups: dict[tuple[str, str, str], str] | PlatformError
        try:
            lookups = self._negatives_by_text(runs)
        except PlatformError as error:
            lookups = error
        for run in runs:
            try:
                for index, op in enumerate(run.batch.ops):
                    names: tuple[str, ...] = ()
                    if isinstance(op, RemoveNegativeKeywordsOp):
                        names = op.resource_names or self._resolve(op, lookups, run.entries[index])
                    run.mutations.extend((index, m) for m in build(client, op, names))
            except PlatformError as error:
                self._fail(run, error)

    def _negatives_by_text(self, runs: list[_Run]) -> dict[tuple[str, str, str], str]:
        """Resource names of the campaign negatives that removals name only by text (one read)."""
        campaigns = {op.campaign_id for run in runs for op in run.batch.ops
                     if isinstance(op, RemoveNegativeKeywordsOp) and not op.resource_names}
        found: dict[tuple[str, str, str], str] = {}
        for chunk in gaql.chunks(campaigns):
            for row in self.connector.search(self.customer_id, gaql.negatives_query(chunk)):
                keyword = row.campaign_criterion.keyword
                key = (str(row.campaign.id), *_text_key(keyword.text, keyword.match_type.name))
                found[key] = row.campaign_criterion.resource_name
        return found

    def _resolve(self, op: RemoveNegativeKeywordsOp, lookups: dict[tuple[str, str, str], str] | PlatformError,
                 entry: dict[str, Any]) -> tuple[str, ...]:
        if isinstance(lookups, PlatformError):
            raise lookups
        names: list[str] = []
        absent: list[str] = []
        for keyword in op.keywords:
            name = lookups.get((op.campaign_id, *_text_key(keyword.text, keyword.match_type)))
            (names if name else absent).append(name or f"{keyword.match_type}:{keyword.text}")
        if absent:  # already gone: removing nothing is the desired end state
            entry["already_absent"] = absent
        return tuple(names)

    def _chunks(self, service: str, units: list[tuple[_Run, list[tuple[int, Mutation]]]]
                ) -> list[list[tuple[_Run, list[tuple[int, Mutation]]]]]:
        """Requests of at most `max_ops_per_request` operations, never splitting an action."""
        limit = self.connector.settings.max_ops_per_request
        chunks: list[list[tuple[_Run, list[tuple[int, Mutation]]]]] = []
        size = limit + 1
        for run, mutations in units:
            if len(mutations) > limit:
                self._fail(run, PermanentError(f"{len(mutations)} {service} operations exceed the {limit}-per-request "
                                               "limit; an action must apply atomically", code="too_many_operations"))
                continue
            if size + len(mutations) > limit:
                chunks.append([])
                size = 0
            chunks[-1].append((run, mutations))
            size += len(mutations)
        return chunks

    # ------------------------------------------------------------------ sending

    def _send(self, service: str, pending: list[tuple[_Run, list[tuple[int, Mutation]]]]) -> None:
        while pending:
            if self.quota is not None:
                for run, _ in pending:
                    self._fail(run, QuotaExhaustedError(f"not sent: {self.quota.message}", code=self.quota.code))
                return
            operations = [m.operation for _, mutations in pending for _, m in mutations]
            try:
                response, request_ids = self.connector.mutate(self.customer_id, service, operations, self.validate_only)
            except PlatformError as error:
                pending = self._rejected(service, pending, error)
                continue
            position = 0
            for run, mutations in pending:
                run.request_ids.extend(request_ids)
                for index, mutation in mutations:
                    if not self.validate_only:
                        landed, verified = mutation.check(response.results[position])
                        run.entries[index]["results"].append({**landed, "verified": verified})
                    position += 1
                run.applied.append(service)
            return

    def _rejected(self, service: str, pending: list[tuple[_Run, list[tuple[int, Mutation]]]],
                  error: PlatformError) -> list[tuple[_Run, list[tuple[int, Mutation]]]]:
        """Fail the actions whose operations Google rejected and return the rest to send again; when the
        failure is not about particular operations, every pending action shares it."""
        details = error_details(error.__cause__)
        owners: list[tuple[_Run, int]] = [(run, index) for run, mutations in pending for index, _ in mutations]
        per_operation = (error.kind not in _NOT_PER_OPERATION and details
                         and all(d.operation is not None and d.operation < len(owners) for d in details))
        if not per_operation:
            for run, _ in pending:
                self._fail(run, error)
            if isinstance(error, QuotaExhaustedError):
                self.quota = error
            return []
        culprits: dict[int, tuple[_Run, list[Any]]] = {}
        for detail in details:
            assert detail.operation is not None
            run, index = owners[detail.operation]
            culprits.setdefault(id(run), (run, []))[1].append(detail)
            run.operation_errors.append({"op_index": index, "code": detail.code, "message": detail.message})
        for run, own in culprits.values():
            self._fail(run, error_from_details(tuple(own), error.request_id))
        return [(run, mutations) for run, mutations in pending if id(run) not in culprits]

    def _fail(self, run: _Run, error: PlatformError) -> None:
        if error.request_id and error.request_id not in run.request_ids:
            run.request_ids.append(error.request_id)
        if run.applied and not self.validate_only:  # an earlier service's request of this action landed
            error = UncertainError(f"partially applied ({', '.join(run.applied)} landed), then: {error.message}",
                                   code=error.code, request_id=error.request_id)
        run.error = error.info()
        run.uncertain = error.kind == ErrorKind.UNCERTAIN

    # ------------------------------------------------------------------ results

    def _result(self, run: _Run) -> ApplyResult:
        created = [result["resource_name"] for entry in run.entries if entry["op"] == "add_negative_keywords"
                   for result in entry["results"] if result.get("resource_name")]
        removed = [result["removed"] for entry in run.entries for result in entry["results"] if result.get("removed")]
        details: dict[str, Any] = {"customer_id": self.customer_id, "validate_only": self.validate_only,
                                   "operations": run.entries, "resource_names": created,
                                   "removed_resource_names": removed}
        if run.operation_errors:
            details["operation_errors"] = run.operation_errors
        if run.error is not None:
            outcome = ApplyOutcome.UNCERTAIN if run.uncertain else ApplyOutcome.FAILED
            return ApplyResult(key=run.batch.key, outcome=outcome, details=details,
                               request_ids=tuple(run.request_ids), error=run.error)
        if self.validate_only:
            return ApplyResult(key=run.batch.key, outcome=ApplyOutcome.VALIDATED, details=details,
                               request_ids=tuple(run.request_ids))
        mismatched = [entry["op"] for entry in run.entries
                      if any(result.get("verified") is False for result in entry["results"])]
        if mismatched:  # Google accepted the change but the resource it returned differs: read to settle
            error = UncertainError(f"the mutate succeeded but the returned resource differs from the request "
                                   f"({', '.join(mismatched)}); settle by reading", code="verification_mismatch")
            return ApplyResult(key=run.batch.key, outcome=ApplyOutcome.UNCERTAIN, details=details,
                               request_ids=tuple(run.request_ids), error=error.info())
        return ApplyResult(key=run.batch.key, outcome=ApplyOutcome.APPLIED, details=details,
                           request_ids=tuple(run.request_ids))
