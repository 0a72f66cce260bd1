"""`GoogleAdsConnector`: the `PlatformConnector` port on the official `google-ads` client.

Call discipline, in one place:
- the org's customer allowlist is checked before anything is sent;
- each org is called as its own identity (manager account = `login-customer-id`, credentials): one client
  per distinct identity, cached, so agencies with several managers reach each customer through its own;
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
from connectors.google_ads.config import AdsIdentity, SecretResolver, config_for, shared_client
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
IdentityFor = Callable[[str], AdsIdentity]  # organization id -> its identity on Google Ads
ClientFactory = Callable[[AdsIdentity], Any]


@dataclass(frozen=True)
class GoogleAdsSettings:
    read_timeout_s: float = 30.0
    mutate_timeout_s: float = 60.0
    attempts: int = 3  # reads and validate-only calls
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0  # also the longest server-requested retry delay we wait for in-process
    max_ops_per_request: int = 10_000  # the API's per-mutate limit


def _env_secret(ref: str) -> str:
    from connectors.activecampaign.credentials import env_secret_resolver

    return env_secret_resolver(ref)


def default_client_factory(secret_resolver: SecretResolver = _env_secret) -> ClientFactory:
    """Process-wide clients from `GOOGLE_ADS_*` / google-ads.yaml with each identity's manager and
    credentials (NotConnectedError when unusable)."""
    return lambda identity: shared_client(config_for(identity, secret_resolver))


def _no_identity(organization_id: str) -> AdsIdentity:
    return AdsIdentity()


@dataclass
class _Session:
    """One identity's client, its service stubs (each opens a channel) and its request-id recorder."""

    client: Any
    recorder: Any
    services: dict[str, Any]


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

    def __init__(self, allowed_customers: AllowedCustomers, *, client_factory: ClientFactory | None = None,
                 settings: GoogleAdsSettings | None = None, identity_for: IdentityFor | None = None,
                 secret_resolver: SecretResolver | None = None):
        self.allowed_customers = allowed_customers
        self.settings = settings or GoogleAdsSettings()
        self._client_factory = client_factory or default_client_factory(secret_resolver or _env_secret)
        self._identity_for = identity_for or _no_identity
        self._sessions: dict[AdsIdentity, _Session] = {}
        self._org_of: dict[str, str] = {}  # customer -> the org it was last allowlisted for
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ port

    def check_connection(self, account_id: str, organization_id: str | None = None) -> None:
        """A one-row read as the account's org (named, or remembered from an earlier allowlisted call)."""
        customer = gaql.digits(account_id, "customer id")
        organization_id = organization_id or self._org_of.get(customer)
        if organization_id is not None:
            refusal = self.refusal(organization_id, customer, Platform.GOOGLE_ADS, customer)
            if refusal is not None:
                raise refusal
        self.search(customer, gaql.check_query())

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

    def verify(self, organization_id: str, account_id: str) -> list[dict[str, Any]]:
        """`operator verify`: each action type's operations as validate_only mutations on a real entity
        (changes nothing); rows `{action_type, status: supported|refused|unverified, reason, entity, calls}`."""
        from connectors.google_ads.verify import verify_account

        return verify_account(self, organization_id, gaql.digits(account_id, "customer id"))

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
        earlier = self._org_of.setdefault(account_id, organization_id)
        if earlier != organization_id and account_id in self.allowed_customers(earlier):
            return NotConnectedError(f"customer {account_id} is connected to two organizations ({earlier} and "
                                     f"{organization_id}): an account belongs to one organization only")
        self._org_of[account_id] = organization_id
        return None

    # ------------------------------------------------------------------ client and calls

    def identity(self, customer_id: str) -> AdsIdentity:
        """The identity a customer is called as: its org's (learnt at the allowlist check)."""
        organization_id = self._org_of.get(customer_id)
        return self._identity_for(organization_id) if organization_id is not None else AdsIdentity()

    def session(self, customer_id: str) -> _Session:
        identity = self.identity(customer_id)
        with self._lock:
            session = self._sessions.get(identity)
            if session is None:
                session = self._sessions[identity] = _Session(self._client_factory(identity),
                                                              _recorder_class()(), {})
            return session

    def client_for(self, customer_id: str) -> Any:
        return self.session(customer_id).client

    def service(self, customer_id: str, name: str) -> Any:
        session = self.session(customer_id)
        with self._lock:
            if name not in session.services:  # each get_service opens a channel: keep one per service
                session.services[name] = session.client.get_service(name, interceptors=[session.recorder])
            return session.services[name]

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
        service = self.service(customer_id, "GoogleAdsService")

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
        session, call = self.session(customer_id), SERVICES[service_name]
        client, service = session.client, self.service(customer_id, service_name)
        request = client.get_type(call.request_type)
        request.customer_id = customer_id
        request.operations.extend(operations)
        request.partial_failure = False
        request.validate_only = validate_only
        request.response_content_type = client.enums.ResponseContentTypeEnum.MUTABLE_RESOURCE

        def once() -> tuple[Any, list[str]]:
            with session.recorder.capture() as ids:
                try:
                    response = getattr(service, call.method)(request=request, timeout=self.settings.mutate_timeout_s)
                except Exception as error:
                    raise map_error(error, mutate=not validate_only) from error
            return response, list(ids)

        return self._retrying(once) if validate_only else once()
