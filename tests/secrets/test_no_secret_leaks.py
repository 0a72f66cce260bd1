"""Secrets never reach logs, records or output (spec §10, house rules).

Everything runs with recognisable fake secrets in the environment — Google Ads credentials, the
Anthropic key (the real SDK talks to a local Messages-API fake, so the key is really used), the
ActiveCampaign tokens the sample orgs reference by `token_ref`, the shared secret, the approval signing
key and the notification webhook URL: a run, approvals, rollbacks, the HTTP surface (right and wrong
credentials), the CLI with -v in subprocesses, and the credential loaders. Then every captured log
line (DEBUG and up, every logger), every byte of stdout/stderr, every response, every row of every
SQLite table and every file under the home are scanned for each secret, plain, URL-encoded and base64.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.contract.llm.llm_fake_server import FakeMessagesApi, message, text, tool_use

REPO = Path(__file__).resolve().parents[2]
SECRETS = {
    "GOOGLE_ADS_DEVELOPER_TOKEN": "gads-devtoken-Zq81SECRETvY3k",
    "GOOGLE_ADS_CLIENT_SECRET": "gads-client-secret-Pd2uSECRETc7Ty",
    "GOOGLE_ADS_REFRESH_TOKEN": "1//gads-refresh-Hk5eSECRETq0Vb",
    "GOOGLE_ADS_CREDENTIALS": "gads-credentials-Mr6tSECRETj2Ne",
    "ANTHROPIC_API_KEY": "sk-ant-api03-Xa7pSECRETb4Ko-fake",
    "ACME_AC_API_TOKEN": "ac-acme-token-Lf3gSECRETz8Qw",
    "GLOBEX_AC_API_TOKEN": "ac-globex-token-Tb9nSECRETr1Hc",
    "OPERATOR_SHARED_SECRET": "shared-secret-Yu2mSECRETd6Fs",
    "OPERATOR_APPROVAL_SIGNING_KEY": "signing-key-Ce5wSECRETx3Jp",
    "OPERATOR_NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9/hooks/Gv8kSECRETs4Ra",
}
BRIEF = {"title": "Widget care", "audience": "Owners", "goal": "Fewer tickets.", "primary_keyword": "widget care",
         "secondary_keywords": ["widget"], "outline": [{"heading": "Checks", "points": []},
                                                       {"heading": "Parts", "points": []},
                                                       {"heading": "When to replace", "points": []}]}


def forms(secret: str) -> set[str]:
    """How a secret could show up: as is, its distinctive core, URL-encoded, base64 (any alignment)."""
    core = secret[secret.index("SECRET") - 4: secret.index("SECRET") + 10]
    found = {secret, core, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
    for shift in range(3):  # base64 of the secret inside a longer value
        encoded = base64.b64encode(b"\0" * shift + secret.encode()).decode()
        found.add(encoded[4:-4])
    return {f for f in found if len(f) >= 10}


FORMS = {name: forms(value) for name, value in SECRETS.items()}


def leaks(text: str, where: str) -> list[str]:
    return [f"{name} in {where}" for name, variants in FORMS.items() if any(v in text for v in variants)]


def answer(body: dict[str, Any]) -> Any:
    tools = {tool["name"] for tool in body.get("tools", [])}
    if "submit_brief" in tools:
        return message([tool_use("submit_brief", BRIEF)])
    return message([text("No action.")], "end_turn")


@pytest.fixture
def llm() -> Iterator[FakeMessagesApi]:
    fake = FakeMessagesApi()
    fake.responder = answer
    yield fake
    fake.close()


@pytest.fixture
def secret_env(tmp_path: Path, llm: FakeMessagesApi, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith(("OPERATOR_", "ANTHROPIC_", "GOOGLE_ADS_")):
            monkeypatch.delenv(name)
    env = {**SECRETS, "GOOGLE_ADS_CLIENT_ID": "1234-public.apps.example",  # an OAuth client id is not secret
           "ANTHROPIC_BASE_URL": llm.base_url, "OPERATOR_HOME": str(tmp_path / "home")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def scan_database(path: Path) -> list[str]:
    found = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                found += leaks(" ".join(str(v) for v in row), f"table {table}")
    return found


def scan_files(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            found += leaks(path.read_bytes().decode("utf-8", "replace"), f"file {path.name}")
    return found


def in_process(home: Path, llm: FakeMessagesApi) -> list[str]:
    """A run, approvals, a rollback and the HTTP surface in this process; returns response texts."""
    from connectors.base import ApprovalError
    from operator_ai.approvals import decide
    from operator_ai.orchestrator import Orchestrator
    from operator_ai.settings import Settings
    from operator_ai.wiring import build_services
    from rollback.executor import RollbackExecutor
    from schemas.common import ActionStatus

    services = build_services(Settings())
    try:
        summary = Orchestrator(services).run()
        assert summary.counts.get("EXECUTED", 0) >= 10
        assert any(SECRETS["ANTHROPIC_API_KEY"] in " ".join(r["headers"].values()) for r in llm.requests), \
            "the Anthropic key was never used: the scan would prove nothing about it"
        outputs = [json.dumps(summary.model_dump(mode="json"))]
        for pending in services.state.list_pending("org-acme")[:3]:
            try:
                outputs.append(repr(decide(services, pending.action_id, approve=True, approver="jane@acme.example")))
            except ApprovalError as refused:  # e.g. the hourly limit is full: the refusal is output too
                outputs.append(str(refused))
        executor = RollbackExecutor(services.log, services.state, services.connectors, services.clock)
        outputs += [repr(o) for o in executor.rollback_since("org-acme", summary.started_at, actor="ops@acme.example",
                                                             run_id="rollback-secrets")]
        executed = services.log.query(statuses=[ActionStatus.EXECUTED, ActionStatus.ROLLED_BACK], limit=1)
        assert executed
        outputs.append(repr(services.settings))
    finally:
        services.close()
    return outputs + http_surface(home)


def http_surface(home: Path) -> list[str]:
    """run_operator with the right and a wrong secret; the approval page signed in; a decision."""
    import functions_framework

    from operator_ai.http import runtime as runtime_module
    from operator_ai.http.tokens import Signer, sign_login

    runtime_module._runtime = None
    try:
        apps = {target: functions_framework.create_app(target, str(REPO / "main.py"), "http")
                for target in ("run_operator", "approvals")}
        run = apps["run_operator"].test_client()
        texts = []
        for secret in (SECRETS["OPERATOR_SHARED_SECRET"], SECRETS["OPERATOR_SHARED_SECRET"][:-1] + "x", ""):
            response = run.post("/", headers={"X-Operator-Secret": secret}, json={"dry_run": True})
            texts.append(f"{response.status_code} {response.headers} {response.get_data(as_text=True)}")
        page = apps["approvals"].test_client()
        rt = runtime_module.runtime()
        token = sign_login(Signer(SECRETS["OPERATOR_APPROVAL_SIGNING_KEY"]), approver="jane@acme.example",
                           organization_id="org-acme", expires_at=rt.now() + 600)
        login = page.get("/", query_string={"login": token})
        texts.append(f"{login.status_code} {login.headers}")
        listing = page.get("/", query_string={"format": "json"})
        texts.append(listing.get_data(as_text=True))
        pending = listing.get_json()["pending"]
        if pending:
            decision = page.post("/", json={"decision": "reject", "csrf_token": listing.get_json()["csrf_token"],
                                            "action_id": pending[0]["action_id"],
                                            "plan_hash": pending[0]["plan_hash"]})
            texts.append(decision.get_data(as_text=True))
        texts.append(page.get("/").get_data(as_text=True))  # the HTML page
        rt.services.close()
        return texts
    finally:
        runtime_module._runtime = None


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`operator -v ARGS` in a subprocess (its own logging setup, stdout and stderr)."""
    return subprocess.run([sys.executable, "-c", "from operator_ai.cli import main; main()", "-v", *args],
                          capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ, **env})


def shown(result: subprocess.CompletedProcess[str]) -> str:
    return f"$ {' '.join(result.args[3:])} -> {result.returncode}\n{result.stdout}\n{result.stderr}"


def cli_here(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """`operator -v ARGS` in this process (the real entry point; its logs reach caplog)."""
    from operator_ai.cli import main

    monkeypatch.setattr(sys, "argv", ["operator", "-v", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capfd.readouterr()
    return f"$ operator -v {' '.join(args)} -> {exit_info.value.code}\n{captured.out}\n{captured.err}"


def credential_loaders() -> list[str]:
    """What the live connectors build from the same variables: configs, resolvers, their errors."""
    from connectors.activecampaign.credentials import env_secret_resolver
    from connectors.google_ads.config import load_config

    config = load_config()
    texts = [repr(config), str(config)]
    assert env_secret_resolver("env:ACME_AC_API_TOKEN") == SECRETS["ACME_AC_API_TOKEN"]  # it is really read
    try:
        env_secret_resolver("env:MISSING_AC_TOKEN")
    except LookupError as error:
        texts.append(str(error))
    return texts


def test_no_secret_reaches_logs_records_or_output(secret_env: dict[str, str], llm: FakeMessagesApi,
                                                  caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    home = Path(secret_env["OPERATOR_HOME"])
    outputs = in_process(home, llm) + credential_loaders()
    outputs.append(shown(cli(secret_env, "run", "--json")))  # a process of its own: -v logs to its stderr
    rows = json.loads(cli(secret_env, "log", "--json").stdout)
    pending = [r["action_id"] for r in rows if r["status"] == "PENDING_APPROVAL"]
    assert pending
    outputs.append(shown(cli(secret_env, "approvals", "approve", pending[0], "--approver", "jane@acme.example")))
    commands = [("approvals", "list"), ("log", "--json"), ("status",), ("report",), ("stop", "--reason", "test"),
                ("resume",), ("rollback", "--org", "org-globex", "--since", "7d"), ("rollback", pending[0]),
                ("rollback", "act-000000000000000000000000"), ("explain", pending[0], "--narrate"),
                ("sandbox", "show")]
    outputs += [cli_here(capfd, monkeypatch, *command) for command in commands]
    captured = capfd.readouterr()
    found = []
    for record in caplog.records:
        found += leaks(f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}", "a log record")
    found += leaks(captured.out + captured.err, "this process's stdout/stderr")
    for index, output in enumerate(outputs):
        found += leaks(output, f"output #{index}: {output[:60]!r}")
    found += scan_database(home / "operator.sqlite")
    found += scan_files(home)
    assert found == [], "\n".join(sorted(set(found)))
    assert len(caplog.records) > 20 and len(outputs) > 20  # the scan saw real traffic
