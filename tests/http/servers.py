"""Servers the HTTP tests run on 127.0.0.1: functions-framework (one process per entry point of main.py),
a key server that plays Google's certificate endpoints, and a fake Slack-style incoming webhook."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.servers.procs import REPO, ManagedProcess, free_port

SIGNING_KEY = "test-approval-signing-key-0123456789"
SHARED_SECRET = "test-shared-secret-abcdefghijkl"
SIGNATURES = {"run_operator": "http", "approvals": "http", "run_organization": "cloudevent"}


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any OPERATOR_* / emulator settings, plus `extra`."""
    drop = ("OPERATOR_", "PUBSUB_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST", "ANTHROPIC_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, **extra}


@dataclass
class FunctionServer:
    target: str
    port: int
    process: ManagedProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return self.process.log_path.read_text(errors="replace") if self.process.log_path.exists() else ""


@dataclass
class Functions:
    """main.py's entry points, each served by its own functions-framework process."""

    home: Path
    env: dict[str, str]
    servers: dict[str, FunctionServer] = field(default_factory=dict)

    def start(self, targets: Sequence[str]) -> Functions:
        for target in sorted(targets, key=lambda t: t != "approvals"):  # others link to the approval page
            port = free_port()
            command = [sys.executable, "-m", "functions_framework", "--target", target, "--source",
                       str(REPO / "main.py"), "--signature-type", SIGNATURES[target], "--host", "127.0.0.1",
                       "--port", str(port)]
            process = ManagedProcess(f"functions-framework {target}", command, self.home / f"ff-{target}.log",
                                     {**self.env, "OPERATOR_PUBLIC_BASE_URL": self._base_url(target, port)})
            self.servers[target] = FunctionServer(target, port, process)
            process.start()
        for server in self.servers.values():
            server.process.wait_http(server.url + "robots.txt", timeout_s=60)
        return self

    def _base_url(self, target: str, port: int) -> str:
        if target == "approvals":
            return f"http://127.0.0.1:{port}/"
        approvals = self.servers.get("approvals")
        return self.env.get("OPERATOR_PUBLIC_BASE_URL") or (approvals.url if approvals else "http://127.0.0.1:9/")

    def url(self, target: str) -> str:
        return self.servers[target].url

    def log(self, target: str) -> str:
        return self.servers[target].log()

    def stop(self) -> None:
        for server in self.servers.values():
            server.process.stop()


def wait_for(predicate: Any, timeout_s: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalHttp:
    """A tiny stdlib HTTP server on a free loopback port, stopped with `close()`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class KeyServer(LocalHttp):
    """Plays https://www.googleapis.com/oauth2/v1/certs and IAP's public_key: `{kid: PEM public key}`.
    Tokens are signed with local keys by the real google-auth signer; the function verifies them with the
    real google-auth verifier, which fetches these keys over HTTP."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        def pem(key: Any) -> tuple[str, str]:
            private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
            public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            return private, public

        self.rsa_private, rsa_public = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.ec_private, ec_public = pem(ec.generate_private_key(ec.SECP256R1()))
        keys = json.dumps({"rsa-1": rsa_public, "ec-1": ec_public}).encode()

        class Handler(_Quiet):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(keys)))
                self.end_headers()
                self.wfile.write(keys)

        super().__init__(Handler)

    def oidc_token(self, *, audience: str, email: str, lifetime_s: int = 300, issuer: str = "https://accounts.google.com",
                   email_verified: bool = True, private_pem: str | None = None) -> str:
        from google.auth import crypt, jwt

        now = int(time.time())
        signer = crypt.RSASigner.from_string(private_pem or self.rsa_private, key_id="rsa-1")
        payload = {"iss": issuer, "aud": audience, "email": email, "email_verified": email_verified,
                   "sub": "1234567890", "iat": now - 5, "exp": now + lifetime_s}
        return jwt.encode(signer, payload).decode()

    def iap_assertion(self, *, audience: str, email: str, lifetime_s: int = 300,
                      issuer: str = "https://cloud.google.com/iap") -> str:
        from google.auth import jwt
        from google.auth.crypt import es256

        now = int(time.time())
        signer = es256.ES256Signer.from_string(self.ec_private, key_id="ec-1")
        payload = {"iss": issuer, "aud": audience, "email": email, "sub": f"accounts.google.com:{email}",
                   "iat": now - 5, "exp": now + lifetime_s}
        return jwt.encode(signer, payload).decode()


class WebhookFake(LocalHttp):
    """A Slack-style incoming webhook: records every JSON body posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        messages = self.messages

        class Handler(_Quiet):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                messages.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        super().__init__(Handler)
