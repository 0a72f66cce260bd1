"""One ActiveCampaign account over `requests`: auth, throttle, timeouts, retries, error mapping.

Retry policy (AC has no idempotency keys, so a blind retry of a write can act twice):
- 429 is retried for every method: AC refused the request before doing anything with it.
- Connection failures before the request was sent (connect timeout, refused) are retried for every method.
- 5xx (incl. 503 seen at the limit), read timeouts and resets are retried only for idempotent calls (GET,
  and DELETE of one id). For a POST/PUT they raise `UncertainError`: the caller settles by reading.
Every wait honours `Retry-After`; a 429/503 `Retry-After` also holds back every other thread using the
account (see `throttle`).
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from urllib3.exceptions import NewConnectionError

from connectors.activecampaign import parsing
from connectors.activecampaign.paths import LEGACY_API
from connectors.activecampaign.throttle import Clock, throttle_for
from connectors.base import (
    AuthError,
    NotConnectedError,
    NotFoundError,
    PermanentError,
    PlatformError,
    RateLimitedError,
    RetryableError,
    UncertainError,
)

log = logging.getLogger("connectors.activecampaign")


class _RedactApiKey(logging.Filter):
    """urllib3 logs request lines (with query strings) at DEBUG: v1's `api_key` must not reach a log."""

    _PATTERN = re.compile(r"(api_key=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = record.getMessage(), ()
        record.msg = self._PATTERN.sub(r"\1***", str(record.msg))
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactApiKey())

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE"})


@dataclass(frozen=True)
class ClientSettings:
    """Tunables; the defaults suit production, tests shorten the timeouts."""

    connect_timeout_s: float = 3.05
    read_timeout_s: float = 20.0
    max_attempts: int = 4
    max_retry_after_s: float = 60.0  # a longer Retry-After is reported (RATE_LIMITED), not slept through
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    rate_limit: int = 5  # requests ...
    rate_window_s: float = 1.0  # ... per this many seconds, per account
    settle_reads: int = 3  # after a timed-out write, look this many times for its effect ...
    settle_delay_s: float = 1.0  # ... this far apart, before calling the outcome UNCERTAIN


class _NotSent(RetryableError):
    """The request never left this machine (connect failure): retrying cannot act twice."""


class ACClient:
    """A `requests.Session` for one AC account. Thread-safe enough for our use: calls share the pool."""

    def __init__(self, base_url: str, token: str, *, settings: ClientSettings, clock: Clock):
        parts = urlsplit(base_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            raise NotConnectedError("ActiveCampaign base URL must use https (plain http only for loopback)")
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.clock = clock
        self._token = token
        self._throttle = throttle_for(self.base_url, settings.rate_limit, settings.rate_window_s)
        self._session = requests.Session()
        self._session.headers.update({"Api-Token": token, "Accept": "application/json"})

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------------ verbs

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self.request("POST", path, json=body or {})

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("PUT", path, json=body)

    def legacy(self, action: str, form: Mapping[str, str]) -> Any:
        """A v1 call as v1 documents it: `api_key`, `api_action` and `api_output` in the query, the fields as a
        form-encoded POST body (v1 accepts no JSON). The key is in the URL because that is v1's documented
        authentication; our logs never print query strings and urllib3's debug lines are redacted."""
        params = {"api_action": action, "api_output": "json", "api_key": self._token}
        return self.request("POST", LEGACY_API, params=params, data=dict(form))

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, data: Mapping[str, str] | None = None) -> Any:
        """Send with throttle, timeouts and the retry policy; answer the parsed JSON body.

        Raises the `connectors.base` error taxonomy; soft failures (`succeeded: 0`, `result_code: 0`)
        raise `PermanentError` with code "soft_failure"."""
        idempotent = method in _IDEMPOTENT
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda error: self._may_retry(error, idempotent)),
            sleep=self.clock.sleep,
            reraise=True,
        )
        return retrying(self._send_once, method, path, params, json, data, idempotent)

    # ------------------------------------------------------------------ one attempt

    def _send_once(self, method: str, path: str, params: Mapping[str, Any] | None, json: Any,
                   data: Mapping[str, str] | None, idempotent: bool) -> Any:
        started = time.monotonic()
        with self._throttle.permit(self.clock):
            try:
                response = self._session.request(
                    method, self.base_url + path, params=params, json=json, data=data,
                    timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s),
                )
            except requests.RequestException as error:
                raise self._transport_error(error, method, path, idempotent) from None
        log.debug("activecampaign %s %s -> %s in %.0f ms", method, path, response.status_code,
                  (time.monotonic() - started) * 1000)
        body = self._body(response)
        if response.status_code >= 400:
            raise self._http_error(response, body, method, path, idempotent)
        if not parsing.succeeded(body):
            raise PermanentError(self._redact(parsing.error_message(body, f"{method} {path} reported failure")),
                                 code="soft_failure")
        return body

    def _transport_error(self, error: requests.RequestException, method: str, path: str,
                         idempotent: bool) -> PlatformError:
        kind = type(error).__name__
        if isinstance(error, requests.ConnectTimeout) or _refused(error):
            return _NotSent(f"{method} {path}: could not connect ({kind})", code="connect")
        if idempotent:
            return RetryableError(f"{method} {path}: {kind}", code="transport")
        return UncertainError(f"{method} {path}: no answer ({kind}); it may have landed", code="timeout")

    def _http_error(self, response: requests.Response, body: Any, method: str, path: str,
                    idempotent: bool) -> PlatformError:
        status = response.status_code
        message = self._redact(parsing.error_message(body, f"HTTP {status}"))
        text = f"{method} {path}: HTTP {status}: {message}"
        retry_after = self._retry_after(response)
        if status == 429:
            if retry_after is not None:
                self._throttle.hold_off(min(retry_after, self.settings.max_retry_after_s), self.clock)
            log.warning("activecampaign rate limited on %s %s (Retry-After %s)", method, path, retry_after)
            return RateLimitedError(text, code="429", retry_after_s=retry_after)
        if status >= 500:
            if status == 503 and retry_after is not None:
                self._throttle.hold_off(min(retry_after, self.settings.max_retry_after_s), self.clock)
            if idempotent:
                return RetryableError(text, code=str(status), retry_after_s=retry_after)
            return UncertainError(text + " (the write may have landed)", code=str(status),
                                  retry_after_s=retry_after)
        if status == 404 or (status == 403 and message.startswith("No Result found")):
            return NotFoundError(text, code=str(status))
        if status in (401, 403):
            return AuthError(text, code=str(status))
        return PermanentError(text, code=parsing.error_code(body) or str(status))

    # ------------------------------------------------------------------ helpers

    def _may_retry(self, error: BaseException, idempotent: bool) -> bool:
        if isinstance(error, RateLimitedError):
            return error.retry_after_s is None or error.retry_after_s <= self.settings.max_retry_after_s
        if isinstance(error, _NotSent):
            return True
        return idempotent and isinstance(error, RetryableError)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, PlatformError) and error.retry_after_s is not None:
            return min(error.retry_after_s, self.settings.max_retry_after_s)
        exponent = float(2 ** (state.attempt_number - 1))
        ceiling = min(self.settings.backoff_max_s, self.settings.backoff_base_s * exponent)
        return ceiling * (0.5 + random.random() / 2)

    def _retry_after(self, response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value.strip() else None
            return max(0.0, parsed.timestamp() - time.time()) if parsed else None

    def _body(self, response: requests.Response) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            return response.text  # AC's status endpoints have a text/plain variant

    def _redact(self, text: str) -> str:
        """Belt and braces: no error text we raise may carry the token, even if AC echoes it."""
        return text.replace(self._token, "***") if self._token else text


def _refused(error: requests.RequestException) -> bool:
    """A connection that was never established (refused, DNS failure): nothing was sent."""
    inner = error.args[0] if error.args else None
    return isinstance(getattr(inner, "reason", None), NewConnectionError)
