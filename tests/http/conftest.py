"""Fixtures for the Cloud Functions surface: functions-framework processes on 127.0.0.1 over a fresh
embedded default (OPERATOR_HOME in tmp), a helper that reads the same SQLite file, and signed-in
browser-like sessions. Every server is started and stopped by these fixtures."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.local import LocalStore
from operator_ai.http.tokens import Signer, sign_login
from schemas.common import ActionStatus
from tests.http.browser import Browser
from tests.http.servers import SHARED_SECRET, SIGNING_KEY, Functions, KeyServer, WebhookFake, clean_env


class OperatorState:
    """Reads (and, for setting up scenarios, writes) the Operator's SQLite file from the test process."""

    def __init__(self, home: Path):
        self.path = home / "operator.sqlite"
        self._store: LocalStore | None = None

    @property
    def store(self) -> LocalStore:
        if self._store is None:
            self._store = LocalStore.open(self.path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def pending(self, org: str | None = None) -> dict[str, Any]:
        return {p.action_id: p for p in self.store.list_pending(org)}

    def action_for(self, opportunity_id: str) -> str:
        with sqlite3.connect(self.path) as conn:
            row = conn.execute("SELECT action_id FROM actions_log WHERE opportunity_id = ? LIMIT 1",
                               (opportunity_id,)).fetchone()
        assert row, f"no action for {opportunity_id}"
        return str(row[0])

    def latest(self, action_id: str) -> Any:
        return self.store.latest([action_id])[action_id]

    def statuses(self, action_id: str) -> list[str]:
        return [r.status.value for r in self.store.events(action_id)]

    def executed(self, action_id: str) -> int:
        return self.statuses(action_id).count(ActionStatus.EXECUTED.value)

    def sandbox(self) -> list[tuple[str, ...]]:
        with sqlite3.connect(self.path) as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT platform, account_id, kind, entity_id, data FROM sandbox_entities "
                "ORDER BY platform, account_id, kind, entity_id")]

    def executed_rows(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.path) as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT action_id, organization_id FROM actions_log WHERE status = 'EXECUTED' ORDER BY action_id")]

    def log_rows(self) -> int:
        with sqlite3.connect(self.path) as conn:
            return int(conn.execute("SELECT count(*) FROM actions_log").fetchone()[0])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "operator-home"
    path.mkdir()
    return path


@pytest.fixture
def state(home: Path) -> Iterator[OperatorState]:
    helper = OperatorState(home)
    yield helper
    helper.close()


StartFunctions = Callable[..., Functions]


@pytest.fixture
def start_functions(home: Path) -> Iterator[StartFunctions]:
    """`start_functions("approvals", "run_operator", OPERATOR_X="...")` → running servers, stopped at teardown."""
    started: list[Functions] = []

    def start(*targets: str, **extra_env: str) -> Functions:
        env = clean_env({"OPERATOR_HOME": str(home), "OPERATOR_SHARED_SECRET": SHARED_SECRET,
                         "OPERATOR_APPROVAL_SIGNING_KEY": SIGNING_KEY, **extra_env})
        functions = Functions(home, env)
        started.append(functions)
        return functions.start(targets)

    yield start
    for functions in started:
        functions.stop()


def run_all(functions: Functions, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(functions.url("run_operator"), headers={"X-Operator-Secret": SHARED_SECRET},
                             json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def approvals_stack(start_functions: StartFunctions, state: OperatorState) -> Functions:
    """The approval page and run endpoint, after one run: the samples' approvals are waiting."""
    functions = start_functions("approvals", "run_operator")
    run_all(functions)
    assert state.pending("org-acme"), "the sample run should leave approvals waiting"
    return functions


def login_token(approver: str, org: str, lifetime_s: float = 3600) -> str:
    return sign_login(Signer(SIGNING_KEY), approver=approver, organization_id=org, expires_at=time.time() + lifetime_s)


def signed_in(functions: Functions, approver: str = "jane@acme.example", org: str = "org-acme") -> requests.Session:
    """A browser-like session that opened its login link (and so holds the session cookie)."""
    session = requests.Session()
    response = session.get(functions.url("approvals"), params={"login": login_token(approver, org)}, timeout=30)
    assert response.status_code == 200 and response.history and response.history[0].status_code == 303
    return session


def page_json(session: requests.Session, functions: Functions, **params: str) -> dict[str, Any]:
    response = session.get(functions.url("approvals"), params={"format": "json", **params}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    yield server
    server.close()


@pytest.fixture
def webhook() -> Iterator[WebhookFake]:
    server = WebhookFake()
    yield server
    server.close()


@pytest.fixture  # headless Chromium (tests/http/browser.py), stopped after the test
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium = Browser(tmp_path / "browser")
    chromium.work_dir.mkdir()
    try:
        yield chromium.start()
    finally:
        chromium.stop()
