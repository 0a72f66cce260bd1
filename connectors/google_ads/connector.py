"""`GoogleAdsConnector`: the `PlatformConnector` port on the official `google-ads` client.

Call discipline, in one place:
- the org's customer allowlist is checked before anything is sent;
- every RPC has a timeout (the library sets none);
- reads and validate-only mutates are retried with tenacity on retryable and short rate-limit errors;
  quota exhaustion (`QuotaError.RESOURCE_EXHAUSTED`) never is;
- a real mutate is sent exactly once: an ambiguous failure is `UncertainError`, settled by reading.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from connectors.base import NotConnectedError, PlatformError, RateLimitedError, RetryableError
from connectors.google_ads import gaql
from connectors.google_ads.config import load_config, shared_client
from connectors.google_ads.errors import REQUEST_ID_KEY, map_error
from connectors.google_ads.metrics import read_metrics
from connectors.google_ads.reads import read_snapshots
from connectors.google_ads.writes import SERVICES
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest
from schemas.operations import ApplyResult, OpBatch
from schemas.snapshots import Snapshot, SnapshotRequest

T = TypeVar("T")
AllowedCustomers = Callable[[str], set[str]]


@dataclass(frozen=True)
class GoogleAdsSettings:
    read_timeout_s: float = 30.0
    mutate_timeout_s: float = 60.0
    attempts: int = 3  # reads and validate-only calls
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0  # also the longest server-requested retry delay we wait for in-process
    max_ops_per_request: int = 10_000  # the API's per-mutate limit


def default_client_factory() -> Any:
    """The process-wide client from `GOOGLE_ADS_*` / google-ads.yaml (NotConnectedError when absent)."""
    return shared_client(load_config())


@cache
def _recorder_class() -> type:
    """Built on first use so importing this module does not import grpc."""
    import grpc

    class RequestIdRecorder(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
        """Collects the `request-id` of successful unary calls (mutate responses carry none in their body;
        failures carry it in the exception)."""

        def __init__(self) -> None:
            self._local = threading.local()

        def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            outcome = continuation(details, request)
            ids = getattr(self._local, "ids", None)
            if ids is not None:
                for key, value in (*(outcome.initial_metadata() or ()), *(outcome.trailing_metadata() or ())):
                    if key == REQUEST_ID_KEY and value not in ids:
                        ids.append(value)
            return outcome

        @contextmanager
        def capture(self) -> Iterator[list[str]]:
            ids: list[str] = []
            self._local.ids = ids
            try:
                yield ids
            finally:
                self._local.ids = None

    return RequestIdRecorder


class GoogleAdsConnector:
    platform = Platform.GOOGLE_ADS
    mode: Literal["SANDBOX", "LIVE"] = "LIVE"

    def __init__(self, allowed_customers: AllowedCustomers, *, client_factory: Callable[[], Any] | None = None,
                 settings: GoogleAdsSettings | None = None):
        self.allowed_customers = allowed_customers
        self.settings = settings or GoogleAdsSettings()
        self._client_factory = client_factory or default_client_factory
        self._client: Any = None
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._recorder: Any = None

    # ------------------------------------------------------------------ port

    def check_connection(self, account_id: str) -> None:
        self.search(gaql.digits(account_id, "customer id"), gaql.check_query())

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        self._refuse_foreign(account_id, requests)
        if not requests:
            return {}
        return read_snapshots(lambda query: self.search(account_id, query), account_id, list(requests), now)

    def read_metrics(self, account_id: str, requests: Sequence[MetricRequest],
                     now: datetime) -> dict[str, MetricReading]:
        """`MetricReader` port: window totals per campaign/keyword (see `metrics.py`), allowlist first."""
        self._refuse_foreign(account_id, requests)
        if not requests:
            return {}
        return read_metrics(lambda query: self.search(account_id, query), account_id, list(requests), now)

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        from connectors.google_ads.apply import Applier

        return Applier(self, account_id, validate_only).run(batches)

    # ------------------------------------------------------------------ guards

    def _refuse_foreign(self, account_id: str, requests: Sequence[SnapshotRequest | MetricRequest]) -> None:
        """Raise the first request's refusal (another platform, customer or organization) before any read."""
        for request in requests:
            refusal = self.refusal(request.organization_id, request.account_id, request.platform, account_id)
            if refusal is not None:
                raise refusal

    def refusal(self, organization_id: str, account_id: str, platform: Platform | str,
                called_for: str) -> PlatformError | None:
        """Why this request/batch must not be sent (None: it may). Checked before any call."""
        if platform != Platform.GOOGLE_ADS:
            return NotConnectedError(f"{platform} is not a Google Ads request")
        if account_id != called_for:
            return NotConnectedError(f"customer {account_id} was sent in a call for customer {called_for}")
        if account_id not in self.allowed_customers(organization_id):
            return NotConnectedError(f"customer {account_id} is not connected to organization {organization_id}")
        return None

    # ------------------------------------------------------------------ client and calls

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._client_factory()
                self._recorder = _recorder_class()()
            return self._client

    def service(self, name: str) -> Any:
        client = self.client
        with self._lock:
            if name not in self._services:  # each get_service opens a channel: keep one per service
                self._services[name] = client.get_service(name, interceptors=[self._recorder])
            return self._services[name]

    def _retrying(self, call: Callable[[], T]) -> T:
        settings = self.settings
        backoff = wait_exponential(multiplier=settings.backoff_initial_s, max=settings.backoff_max_s)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            asked = getattr(error, "retry_after_s", None) or 0.0
            return max(backoff(state), asked)

        def retryable(error: BaseException) -> bool:
            if isinstance(error, RateLimitedError):
                return (error.retry_after_s or 0.0) <= settings.backoff_max_s
            return isinstance(error, RetryableError)

        retrying = Retrying(stop=stop_after_attempt(settings.attempts), wait=wait,
                            retry=retry_if_exception(retryable), reraise=True)
        return retrying(call)

    def search(self, customer_id: str, query: str) -> list[Any]:
        """All rows of a GAQL query (SearchStream: one request, no paging), retried when safe."""
        service = self.service("GoogleAdsService")

        def once() -> list[Any]:
            try:
                stream = service.search_stream(customer_id=customer_id, query=query,
                                               timeout=self.settings.read_timeout_s)
                return [row for batch in stream for row in batch.results]
            except Exception as error:
                raise map_error(error, mutate=False) from error

        return self._retrying(once)

    def mutate(self, customer_id: str, service_name: str, operations: list[Any],
               validate_only: bool) -> tuple[Any, list[str]]:
        """One Mutate*Request for these operations: all-or-nothing (`partial_failure=False`, so each action
        lands whole or not at all), MUTABLE_RESOURCE results to verify what landed. Validate-only calls
        change nothing and are retried; real ones are sent once."""
        client, call = self.client, SERVICES[service_name]
        service = self.service(service_name)
        request = client.get_type(call.request_type)
        request.customer_id = customer_id
        request.operations.extend(operations)
        request.partial_failure = False
        request.validate_only = validate_only
        request.response_content_type = client.enums.ResponseContentTypeEnum.MUTABLE_RESOURCE

        def once() -> tuple[Any, list[str]]:
            with self._recorder.capture() as ids:
                try:
                    response = getattr(service, call.method)(request=request, timeout=self.settings.mutate_timeout_s)
                except Exception as error:
                    raise map_error(error, mutate=not validate_only) from error
            return response, list(ids)

        return self._retrying(once) if validate_only else once()
