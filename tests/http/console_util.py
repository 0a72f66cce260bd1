"""An in-process console for tests: main.py's `approvals` entry point as functions-framework's WSGI app
over a fresh embedded default, with organizations that grant roles, and signed-in test clients."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SIGNING_KEY = "console-test-signing-key-0123456789abcdef"
SECRET = "console-test-shared-secret-0123456789"
ROLES = {
    "org-acme": {"admins": ["ada@agency.example"], "approvers": ["jane@acme.example"],
                 "viewers": ["victor@acme.example"]},
    "org-globex": {"admins": ["ada@agency.example"], "approvers": ["gary@globex.example"]},
}
GLOBAL_ADMIN = "root@ops.example"


def orgs_with_roles(path: Path) -> Path:
    """The sample organizations, with the console roles above."""
    document = yaml.safe_load((REPO / "operator_ai" / "samples" / "orgs.yaml").read_text())
    for org in document["organizations"]:
        org.update(ROLES.get(org["organization_id"], {}))
    path.write_text(json.dumps(document))
    return path


class Console:
    """The approvals app in-process; `client(email)` is a browser-like client signed in as that person."""

    def __init__(self, home: Path):
        import functions_framework

        from operator_ai.http import runtime as runtime_module

        self.runtime_module = runtime_module
        runtime_module._runtime = None
        self.app = functions_framework.create_app("approvals", str(REPO / "main.py"), "http")
        self.run_app = functions_framework.create_app("run_operator", str(REPO / "main.py"), "http")
        self.runtime = runtime_module.runtime()
        self.services = self.runtime.services
        self.store = self.services.extras["store"]

    def run(self) -> None:
        response = self.run_app.test_client().post("/", headers={"X-Operator-Secret": SECRET})
        assert response.status_code == 200, response.get_data(as_text=True)

    def client(self, email: str, org: str = "org-acme") -> Any:
        from operator_ai.http.tokens import Signer, sign_login

        client = self.app.test_client()
        token = sign_login(Signer(SIGNING_KEY), approver=email, organization_id=org, expires_at=time.time() + 3600)
        login = client.get("/console/overview", query_string={"login": token})
        assert login.status_code == 303
        name, value = re.match(r"([^=]+)=([^;]+)", login.headers["Set-Cookie"]).groups()  # type: ignore[union-attr]
        client.set_cookie(name, value)
        return client

    def close(self) -> None:
        self.services.close()
        self.runtime_module._runtime = None


@contextmanager
def console_env(tmp: Path, **extra: str) -> Iterator[Console]:
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("OPERATOR_", "ANTHROPIC_", "PUBSUB_")):
            del os.environ[name]
    home = tmp / "home"
    os.environ.update({"OPERATOR_HOME": str(home), "OPERATOR_SHARED_SECRET": SECRET,
                       "OPERATOR_APPROVAL_SIGNING_KEY": SIGNING_KEY,
                       "OPERATOR_ORGS_FILE": str(orgs_with_roles(tmp / "orgs.json")),
                       "OPERATOR_CONSOLE_ADMINS": GLOBAL_ADMIN, **extra})
    console = Console(home)
    try:
        yield console
    finally:
        console.close()
        os.environ.clear()
        os.environ.update(saved)


def csrf(client: Any, org: str = "org-acme") -> str:
    answer = client.get("/console/overview", query_string={"org": org, "format": "json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["csrf_token"])
