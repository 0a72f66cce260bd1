"""A local gRPC fake of the Google Ads API (v26) built from the library's own message types.

The wheel ships no servicer classes, so the fake registers generic handlers whose (de)serializers are the
raw protobuf classes behind the proto-plus types. It listens on 127.0.0.1 with gRPC *local* credentials:
plaintext on loopback, but a "secure" channel as far as the client knows, so the OAuth bearer token and
the developer token travel as they would to Google, and the fake checks them.

Faults are injected per method (and optionally per customer) with `inject(Fault(...))`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.ads.googleads.v26.services.types import (
    ad_group_criterion_service,
    campaign_budget_service,
    campaign_criterion_service,
    campaign_service,
    google_ads_service,
)

from . import gaql
from .mutations import GoogleAdsFailure, RequestFailure, ads_error, mutate, unchanged
from .state import Account

PACKAGE = "google.ads.googleads.v26.services"
FAILURE_KEY = "google.ads.googleads.v26.errors.googleadsfailure-bin"
DEVELOPER_TOKEN = "FAKE-DEV-TOKEN"
ACCESS_TOKEN = "fake-access-token"

MUTATE_METHODS = {
    "MutateCampaigns": ("CampaignService", campaign_service.MutateCampaignsRequest),
    "MutateCampaignBudgets": ("CampaignBudgetService", campaign_budget_service.MutateCampaignBudgetsRequest),
    "MutateCampaignCriteria": ("CampaignCriterionService", campaign_criterion_service.MutateCampaignCriteriaRequest),
    "MutateAdGroupCriteria": ("AdGroupCriterionService", ad_group_criterion_service.MutateAdGroupCriteriaRequest),
}


@dataclass
class Fault:
    """One injected failure. kinds:
    - "ads": abort with `status` and a GoogleAdsFailure (`error` = (family, name)) in trailing metadata;
    - "status": abort with `status` and no failure (a transport-level error);
    - "drop": apply the request, then drop the answer (UNAVAILABLE, no failure: "applied but connection
      dropped");
    - "slow": apply the request, then answer only after `delay_s` (beyond the client's deadline);
    - "noop": accept the request and answer success, but change nothing (the response shows the old state).
    """

    method: str
    kind: str
    status: grpc.StatusCode = grpc.StatusCode.INTERNAL
    error: tuple[str, str] = ("internal_error", "TRANSIENT_ERROR")
    message: str = "injected failure"
    customer_id: str | None = None
    times: int = 1
    delay_s: float = 0.0
    retry_delay_s: int | None = None


@dataclass
class Call:
    method: str
    customer_id: str
    request: Any
    metadata: dict[str, str]
    query: str | None = None
    deadline_s: float | None = None  # the time the client allowed (None: no deadline was set)


class _Status(grpc.Status):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: tuple[tuple[str, Any], ...]):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


@dataclass
class FakeGoogleAds:
    accounts: dict[str, Account] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    endpoint: str = ""
    _server: Any = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ lifecycle and control

    def start(self) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        server.add_generic_rpc_handlers(self._handlers())
        port = server.add_secure_port("127.0.0.1:0", grpc.local_server_credentials())
        server.start()
        self._server, self.endpoint = server, f"127.0.0.1:{port}"
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(0)

    def reset(self, accounts: list[Account]) -> None:
        with self.lock:
            self.accounts = {a.customer_id: a for a in accounts}
            self.calls.clear()
            self.faults.clear()

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def account(self, customer_id: str) -> Account:
        return self.accounts[customer_id]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------------ plumbing

    def _request_id(self) -> str:
        return f"fake-req-{next(self._ids)}"

    def _abort(self, context: Any, status: grpc.StatusCode, errors: list[Any] | None, message: str,
               request_id: str) -> None:
        trailing: tuple[tuple[str, Any], ...] = (("request-id", request_id),)
        if errors:
            failure = GoogleAdsFailure(errors=errors, request_id=request_id)
            trailing = ((FAILURE_KEY, failure.SerializeToString()), *trailing)
        context.abort_with_status(_Status(status, message, trailing))

    def _fault(self, method: str, customer_id: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.customer_id in (None, customer_id) and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _admit(self, method: str, request: Any, context: Any, request_id: str, query: str | None = None
               ) -> tuple[Account, Fault | None]:
        """Record the call, check the headers like Google does, and pick an injected fault."""
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        with self.lock:
            self.calls.append(Call(method, request.customer_id, request, metadata, query, context.time_remaining()))
            account = self.accounts.get(request.customer_id)
            fault = self._fault(method, request.customer_id)
        if metadata.get("developer-token") != DEVELOPER_TOKEN:
            self._abort(context, grpc.StatusCode.UNAUTHENTICATED,
                        [ads_error("authentication_error", "DEVELOPER_TOKEN_INVALID", "bad developer token")],
                        "bad developer token", request_id)
        if metadata.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            self._abort(context, grpc.StatusCode.UNAUTHENTICATED,
                        [ads_error("authentication_error", "OAUTH_TOKEN_INVALID", "bad OAuth token")],
                        "bad OAuth token", request_id)
        if account is None or not account.admits(metadata.get("login-customer-id")):
            self._abort(context, grpc.StatusCode.PERMISSION_DENIED,
                        [ads_error("authorization_error", "USER_PERMISSION_DENIED",
                                   f"no access to customer {request.customer_id}")],
                        "permission denied", request_id)
        assert account is not None
        if fault is not None and fault.kind in ("ads", "status"):
            errors = None
            if fault.kind == "ads":
                error = ads_error(fault.error[0], fault.error[1], fault.message)
                if fault.retry_delay_s is not None:
                    error.details.quota_error_details.retry_delay.seconds = fault.retry_delay_s
                errors = [error]
            self._abort(context, fault.status, errors, fault.message, request_id)
        return account, fault

    def _after_apply(self, fault: Fault | None, context: Any, request_id: str) -> None:
        if fault is not None and fault.kind == "drop":
            self._abort(context, grpc.StatusCode.UNAVAILABLE, None, "Connection reset by peer", request_id)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)

    def _query(self, request: Any, context: Any, method: str) -> tuple[list[Any], str]:
        request_id = self._request_id()
        account, fault = self._admit(method, request, context, request_id, request.query)
        try:
            with self.lock:
                rows = gaql.run(account, request.query)
        except gaql.GaqlError as error:
            family = "change_event_error" if isinstance(error, gaql.ChangeEventError) else "query_error"
            self._abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                        [ads_error(family, error.code, str(error))], str(error), request_id)
        self._after_apply(fault, context, request_id)
        return rows, request_id

    def _search(self, request: Any, context: Any) -> Any:
        rows, request_id = self._query(request, context, "Search")
        context.set_trailing_metadata((("request-id", request_id),))
        return google_ads_service.SearchGoogleAdsResponse.pb()(results=rows)

    def _search_stream(self, request: Any, context: Any) -> Iterator[Any]:
        rows, request_id = self._query(request, context, "SearchStream")
        response = google_ads_service.SearchGoogleAdsStreamResponse.pb()
        for start in range(0, max(len(rows), 1), 10_000):  # the API streams 10,000 rows per message
            yield response(results=rows[start:start + 10_000], request_id=request_id)

    def _mutate_handler(self, method: str) -> Callable[[Any, Any], Any]:
        service = MUTATE_METHODS[method][0]

        def handle(request: Any, context: Any) -> Any:
            request_id = self._request_id()
            account, fault = self._admit(method, request, context, request_id)
            try:
                with self.lock:
                    if fault is not None and fault.kind == "noop":
                        response = unchanged(account, service, request)
                    else:
                        response = mutate(account, service, request).response
            except RequestFailure as failure:
                self._abort(context, grpc.StatusCode.INVALID_ARGUMENT, failure.errors, str(failure), request_id)
            self._after_apply(fault, context, request_id)
            context.send_initial_metadata((("request-id", request_id),))
            context.set_trailing_metadata((("request-id", request_id),))
            return response

        return handle

    def _handlers(self) -> list[Any]:
        unary, stream = grpc.unary_unary_rpc_method_handler, grpc.unary_stream_rpc_method_handler
        gas = google_ads_service

        def serialize(message: Any) -> bytes:
            return message.SerializeToString()  # type: ignore[no-any-return]

        handlers = [grpc.method_handlers_generic_handler(f"{PACKAGE}.GoogleAdsService", {
            "Search": unary(self._search, request_deserializer=gas.SearchGoogleAdsRequest.pb().FromString,
                            response_serializer=serialize),
            "SearchStream": stream(self._search_stream,
                                   request_deserializer=gas.SearchGoogleAdsStreamRequest.pb().FromString,
                                   response_serializer=serialize),
        })]
        for method, (service, request_type) in MUTATE_METHODS.items():
            handlers.append(grpc.method_handlers_generic_handler(f"{PACKAGE}.{service}", {
                method: unary(self._mutate_handler(method), request_deserializer=request_type.pb().FromString,
                              response_serializer=serialize)}))
        return handlers
