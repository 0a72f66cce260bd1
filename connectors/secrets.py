"""Secret references (`env:NAME`, `sm:...`) resolved at run time; values never logged, briefly cached.

Org configurations hold references, never secrets. `sm:` references are read from Secret Manager
(`google-cloud-secret-manager`, imported on first use so `import main` stays cheap):

    sm:NAME                                   latest version of NAME in OPERATOR_GCP_PROJECT
    sm:NAME/versions/V                        version V of NAME in OPERATOR_GCP_PROJECT
    sm:projects/P/secrets/NAME                latest version, another project
    sm:projects/P/secrets/NAME/versions/V     exactly that

A value is cached for `ttl_s` (default 5 minutes: a rotated secret is picked up soon, and a run does not
call Secret Manager once per account). Errors are `LookupError`s that name the reference and the kind of
failure, never the value or the server's text.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

_NAME = r"[A-Za-z0-9_-]{1,255}"
_SHORT = re.compile(rf"^(?P<secret>{_NAME})(?:/versions/(?P<version>[A-Za-z0-9_-]+))?$")
_FULL = re.compile(rf"^projects/(?P<project>[A-Za-z0-9_.:-]+)/secrets/(?P<secret>{_NAME})"
                   rf"(?:/versions/(?P<version>[A-Za-z0-9_-]+))?$")
ACCESS_TIMEOUT_S = 10.0


def secret_version_name(name: str, project: str | None) -> str:
    """The full version resource name for the part after `sm:`."""
    match = _FULL.match(name)
    if match:
        project = match.group("project")
    else:
        match = _SHORT.match(name)
        if match is None:
            raise LookupError(f"sm:{name} is not a Secret Manager reference (sm:NAME[/versions/V] or "
                              "sm:projects/P/secrets/NAME[/versions/V])")
        if not project:
            raise LookupError(f"sm:{name} needs OPERATOR_GCP_PROJECT (or a full projects/P/secrets/NAME reference)")
    return f"projects/{project}/secrets/{match.group('secret')}/versions/{match.group('version') or 'latest'}"


def make_secret_manager_client(endpoint: str | None = None) -> Any:
    """The official client; with `endpoint` (a local fake in tests) an insecure channel without credentials."""
    from google.cloud import secretmanager_v1

    if not endpoint:
        return secretmanager_v1.SecretManagerServiceClient()
    import grpc
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
        SecretManagerServiceGrpcTransport,
    )

    return secretmanager_v1.SecretManagerServiceClient(
        transport=SecretManagerServiceGrpcTransport(channel=grpc.insecure_channel(endpoint)))


class SecretResolver:
    """Callable `ref -> value` for `env:` and `sm:` references (the connectors' `secret_resolver`)."""

    def __init__(self, project: str | None = None, *, endpoint: str | None = None, ttl_s: float = 300.0,
                 env: Mapping[str, str] | None = None, client_factory: Callable[[], Any] | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.project = project
        self.ttl_s = ttl_s
        self._env = os.environ if env is None else env
        self._client_factory = client_factory or (lambda: make_secret_manager_client(endpoint))
        self._client: Any = None
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def __call__(self, ref: str) -> str:
        scheme, _, name = ref.partition(":")
        if scheme == "env":
            value = self._env.get(name, "")
            if not value:
                raise LookupError(f"environment variable {name} is not set")
            return value
        if scheme != "sm":
            raise LookupError(f"unknown secret reference scheme in {ref!r} (use env:NAME or sm:NAME)")
        version = secret_version_name(name, self.project)
        with self._lock:
            cached = self._cache.get(version)
            if cached is not None and self._monotonic() < cached[0]:
                return cached[1]
        value = self._access(ref, version)
        with self._lock:
            self._cache[version] = (self._monotonic() + self.ttl_s, value)
        return value

    def _access(self, ref: str, version: str) -> str:
        from google.api_core import exceptions as gexc
        from google.api_core.retry import Retry, if_exception_type

        if self._client is None:
            self._client = self._client_factory()
        retry = Retry(predicate=if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
                      initial=0.2, maximum=2.0, timeout=ACCESS_TIMEOUT_S * 2)
        try:
            response = self._client.access_secret_version(name=version, timeout=ACCESS_TIMEOUT_S, retry=retry)
        except gexc.NotFound:
            raise LookupError(f"{ref}: no such secret or version in Secret Manager") from None
        except gexc.PermissionDenied:
            raise LookupError(f"{ref}: permission denied (grant roles/secretmanager.secretAccessor)") from None
        except gexc.GoogleAPIError as error:
            raise LookupError(f"{ref}: Secret Manager failed ({type(error).__name__})") from None
        data: bytes = response.payload.data
        if "data_crc32c" in response.payload:  # the API's checksum: a damaged payload is not a secret
            import google_crc32c

            if google_crc32c.value(data) != response.payload.data_crc32c:
                raise LookupError(f"{ref}: the payload failed its CRC32C check")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise LookupError(f"{ref}: the secret is not UTF-8 text") from None
