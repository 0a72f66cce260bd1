"""A local server speaking the Secret Manager API's AccessSecretVersion (gRPC, 127.0.0.1), built from the
client library's own request/response types — not from our resolver.

Strict where the API is: the name must be a version resource name (`projects/P/secrets/S/versions/V`,
else INVALID_ARGUMENT), the routing header `x-goog-request-params` must carry that name, an unknown
secret or version is NOT_FOUND, a disabled version FAILED_PRECONDITION, a project the caller may not read
PERMISSION_DENIED. `latest` is the highest enabled version. Answers carry `data_crc32c` as the API does.
Every request is recorded (name and metadata) so tests can count calls.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import google_crc32c
import grpc
from google.cloud.secretmanager_v1 import types

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"


@dataclass
class FakeSecretManager:
    project: str = "test-project"
    denied_projects: set[str] = field(default_factory=set)
    # (project, secret) -> {version number: (payload, enabled)}
    secrets: dict[tuple[str, str], dict[int, tuple[bytes, bool]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    endpoint: str = ""
    _server: Any = None

    def add(self, secret: str, value: str | bytes, *, project: str | None = None, enabled: bool = True) -> int:
        """Add a version; answer its number."""
        versions = self.secrets.setdefault((project or self.project, secret), {})
        number = max(versions, default=0) + 1
        versions[number] = (value.encode() if isinstance(value, str) else value, enabled)
        return number

    def start(self) -> FakeSecretManager:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.unary_unary_rpc_method_handler(
            self._access, request_deserializer=types.AccessSecretVersionRequest.deserialize,
            response_serializer=types.AccessSecretVersionResponse.serialize)
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, {"AccessSecretVersion": handler})])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server, self.endpoint = server, f"127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None

    def calls(self, name: str | None = None) -> int:
        return sum(1 for r in self.requests if name is None or r["name"] == name)

    def _access(self, request: types.AccessSecretVersionRequest, context: grpc.ServicerContext,
                ) -> types.AccessSecretVersionResponse:
        metadata = dict(context.invocation_metadata())
        self.requests.append({"name": request.name, "metadata": metadata})
        parts = request.name.split("/")
        if len(parts) != 6 or parts[0] != "projects" or parts[2] != "secrets" or parts[4] != "versions" \
                or not all(parts[i] for i in (1, 3, 5)):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "name must be projects/*/secrets/*/versions/*")
        if unquote(metadata.get("x-goog-request-params", "")) != f"name={request.name}":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "missing routing header")
        project, secret, version = parts[1], parts[3], parts[5]
        if project in self.denied_projects:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "Permission 'secretmanager.versions.access' denied")
        versions = self.secrets.get((project, secret))
        if not versions:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Secret [{request.name}] not found")
        if version == "latest":
            enabled = [n for n, (_, on) in versions.items() if on]
            if not enabled:
                context.abort(grpc.StatusCode.NOT_FOUND, "no enabled version")
            number = max(enabled)
        elif version.isdigit() and int(version) in versions:
            number = int(version)
        else:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Secret Version [{request.name}] not found")
        data, enabled_now = versions[number]
        if not enabled_now:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"Secret Version [{request.name}] is in DISABLED state")
        return types.AccessSecretVersionResponse(
            name=f"projects/{project}/secrets/{secret}/versions/{number}",
            payload=types.SecretPayload(data=data, data_crc32c=google_crc32c.value(data)))
