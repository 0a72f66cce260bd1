"""Google Ads failures → the project's error taxonomy (`connectors.base`).

Two exception families reach us: `GoogleAdsException` (the library's wrapper, when the failure sits in the
trailing metadata) and `google.api_core.exceptions.*` (INTERNAL and RESOURCE_EXHAUSTED are never wrapped by
the library, and transport failures have no failure at all). Both are read the same way: the status code,
the `GoogleAdsFailure` errors when present, and the request id.

The one judgement that matters most: for a *mutate*, a timeout, an UNAVAILABLE without a failure (the
connection dropped) or an UNKNOWN/CANCELLED status may mean the change landed. That is `UncertainError`,
never a retry: the orchestrator settles it by reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    PlatformError,
    QuotaExhaustedError,
    RateLimitedError,
    RetryableError,
    UncertainError,
)
from connectors.google_ads.config import API_VERSION

FAILURE_KEY = f"google.ads.googleads.{API_VERSION}.errors.googleadsfailure-bin"
REQUEST_ID_KEY = "request-id"

# gRPC statuses after which a mutate may or may not have been applied.
_AMBIGUOUS = frozenset({"DEADLINE_EXCEEDED", "UNAVAILABLE", "UNKNOWN", "CANCELLED"})
_BY_STATUS: dict[str, type[PlatformError]] = {
    "UNAUTHENTICATED": AuthError,
    "PERMISSION_DENIED": AuthError,
    "NOT_FOUND": NotFoundError,
    "RESOURCE_EXHAUSTED": RateLimitedError,
    "ABORTED": RetryableError,
    "INTERNAL": RetryableError,
}
# The more a kind constrains the caller, the earlier it wins when a failure carries several errors.
_PRIORITY: tuple[type[PlatformError], ...] = (
    AuthError, QuotaExhaustedError, RateLimitedError, RetryableError, NotFoundError, PermanentError)


@dataclass(frozen=True)
class ErrorDetail:
    """One `GoogleAdsError`: `code` like `quota_error.RESOURCE_EXHAUSTED`; `operation` its op index."""

    code: str
    message: str
    operation: int | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class _Parsed:
    status: str | None
    message: str
    details: tuple[ErrorDetail, ...]
    request_id: str | None


def _metadata_value(metadata: Any, key: str) -> Any:
    for item in metadata or ():
        if item[0] == key:
            return item[1]
    return None


def _failure_details(failure: Any) -> tuple[ErrorDetail, ...]:
    """The errors of a proto-plus `GoogleAdsFailure`, with the operation index each one names."""
    details = []
    for error in failure.errors:
        error_code = error.error_code
        which = type(error_code).pb(error_code).WhichOneof("error_code")
        code = f"{which}.{getattr(error_code, which).name}" if which else "unknown_error"
        operation = None
        for element in error.location.field_path_elements:
            if element.field_name in ("operations", "mutate_operations") and "index" in element:
                operation = int(element.index)
                break
        retry_after = None
        if "quota_error_details" in error.details:
            delay = error.details.quota_error_details.retry_delay
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(getattr(delay, "seconds", 0))
            retry_after = seconds or None
        details.append(ErrorDetail(code=code, message=error.message, operation=operation, retry_after_s=retry_after))
    return tuple(details)


def _parse(error: BaseException) -> _Parsed | None:
    """Status, failure and request id of an RPC error from either family (None: not an RPC error)."""
    import grpc
    from google.ads.googleads.errors import GoogleAdsException
    from google.api_core import exceptions as core

    if isinstance(error, GoogleAdsException):
        status = error.error.code().name if error.error is not None else None
        details = _failure_details(error.failure) if error.failure is not None else ()
        message = details[0].message if details else str(error)
        return _Parsed(status, message, details, error.request_id)
    call: Any = None
    if isinstance(error, core.GoogleAPICallError):
        status = error.grpc_status_code.name if error.grpc_status_code is not None else None
        message, call = error.message, error.response
    elif isinstance(error, grpc.RpcError) and isinstance(error, grpc.Call):
        status, message, call = error.code().name, error.details() or "", error
    else:
        return None
    metadata = call.trailing_metadata() if call is not None and hasattr(call, "trailing_metadata") else None
    raw = _metadata_value(metadata, FAILURE_KEY)
    found: tuple[ErrorDetail, ...] = ()
    if raw:
        from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure

        found = _failure_details(GoogleAdsFailure.deserialize(raw))
    request_id = _metadata_value(metadata, REQUEST_ID_KEY)
    return _Parsed(status, message, found, str(request_id) if request_id else None)


# QuotaErrorEnum (v26 errors/quota_error.proto), as its comments describe each code:
_QUOTA_KINDS: dict[str, type[PlatformError]] = {
    "RESOURCE_TEMPORARILY_EXHAUSTED": RateLimitedError,  # "too many requests in a short amount of time"
    "EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION": RateLimitedError,  # "... over a short amount of time"
    "RESOURCE_EXHAUSTED": QuotaExhaustedError,  # the developer token's daily operations
    "EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION": QuotaExhaustedError,  # "... over an extended duration"
    "PAYMENTS_PROFILE_ACTIVATION_RATE_LIMIT_EXCEEDED": QuotaExhaustedError,  # "wait for a week"
    "ACCESS_PROHIBITED": AuthError,  # "access is prohibited": no retry helps
}


def _kind_of(detail: ErrorDetail) -> type[PlatformError]:
    family, _, name = detail.code.partition(".")
    if family == "quota_error":  # an unknown quota code is not assumed to pass in seconds
        return _QUOTA_KINDS.get(name, QuotaExhaustedError)
    if family in ("authentication_error", "authorization_error"):
        return AuthError
    if family == "internal_error" or (family == "database_error" and name == "CONCURRENT_MODIFICATION"):
        return RetryableError
    if name.endswith("NOT_FOUND"):
        return NotFoundError
    return PermanentError


def error_from_details(details: tuple[ErrorDetail, ...], request_id: str | None) -> PlatformError:
    """One error for a set of `GoogleAdsError`s: the most constraining kind, led by its first message."""
    kinds = [_kind_of(detail) for detail in details]
    kind = min(kinds, key=_PRIORITY.index)
    first = details[kinds.index(kind)]
    more = f" (+{len(details) - 1} more)" if len(details) > 1 else ""
    return kind(f"{first.message}{more}", code=first.code, retry_after_s=first.retry_after_s, request_id=request_id)


def error_details(error: BaseException | None) -> tuple[ErrorDetail, ...]:
    """The per-error details of an RPC failure (empty for anything else)."""
    parsed = _parse(error) if error is not None else None
    return parsed.details if parsed else ()


def map_error(error: BaseException, *, mutate: bool) -> PlatformError:
    """Classify a failed call. `mutate` says whether an ambiguous failure may have changed the account."""
    if isinstance(error, PlatformError):
        return error
    parsed = _parse(error)
    if parsed is None:
        from google.auth import exceptions as auth

        if isinstance(error, auth.RefreshError):
            return AuthError(f"Google Ads credentials were refused: {error}")
        if isinstance(error, auth.TransportError):
            return RetryableError(f"the OAuth token endpoint is unreachable: {error}")
        if mutate:  # something broke while the request may have been on the wire
            return UncertainError(f"mutate outcome unknown: {type(error).__name__}: {error}")
        return RetryableError(f"read failed: {type(error).__name__}: {error}")
    status, request_id = parsed.status, parsed.request_id
    if "Getting metadata from plugin failed" in parsed.message:  # the token refresh failed: nothing was sent
        return AuthError(f"Google Ads credentials could not be refreshed: {parsed.message}", code=status)
    if mutate and (status == "DEADLINE_EXCEEDED" or (status in _AMBIGUOUS and not parsed.details)):
        return UncertainError(f"the mutate may have been applied ({status}): {parsed.message}; settle by reading",
                              code=status, request_id=request_id)
    if parsed.details:
        return error_from_details(parsed.details, request_id)
    kind = _BY_STATUS.get(status or "", RetryableError if status in _AMBIGUOUS or status is None else PermanentError)
    return kind(parsed.message or (status or "RPC failed"), code=status, request_id=request_id)
