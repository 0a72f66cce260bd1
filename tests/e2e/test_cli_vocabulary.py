"""One CLI vocabulary for who acts: `--actor` on every command that records a person; the old flags still
work as hidden aliases; a decision never defaults to the login name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from operator_ai.cli import cli


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from operator_ai.cli import admin_cmds, approval_cmds, holds_cmds, org_cmds

    for add in (admin_cmds.add, approval_cmds.add, holds_cmds.add, org_cmds.add):
        if not {"stop", "approvals", "holds", "orgs"} <= set(cli.commands):
            add(cli)
    monkeypatch.setenv("OPERATOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPERATOR_USER", raising=False)

    def run(*args: str, code: int = 0) -> str:
        done = CliRunner().invoke(cli, list(args))
        assert done.exit_code == code, (args, done.output)
        return done.output

    return run


@pytest.mark.parametrize("command", [("stop",), ("resume",), ("rollback",), ("approvals", "approve"),
                                     ("approvals", "reject"), ("holds", "clear"), ("orgs", "import")])
def test_every_command_that_records_a_person_takes_actor(operator, command: tuple[str, ...]) -> None:
    if command == ("rollback",):
        from operator_ai.cli import approval_cmds

        if "rollback" not in cli.commands:
            approval_cmds.add(cli)
    helped = operator(*command, "--help")
    assert "--actor" in helped
    assert not any(old in helped for old in ("--approver", "--by ", "--as "))  # aliases are hidden


def test_the_old_flags_still_work_and_actor_wins(operator) -> None:
    operator("stop", "--reason", "drill", "--by", "old-script")
    from operator_ai.settings import Settings
    from operator_ai.wiring import build_control_state

    state, close = build_control_state(Settings())
    try:
        assert state.kill_switches("global").global_switch.set_by == "old-script"
        operator("resume", "--actor", "alice@acme.example")
        assert state.kill_switches("global").global_switch.set_by == "alice@acme.example"
    finally:
        close()


def test_a_decision_names_its_person(operator) -> None:
    refused = operator("approvals", "approve", "act-000000000000000000000001", code=2)
    assert "--actor" in refused


def test_an_unknown_org_is_an_error_and_numbers_are_validated(operator) -> None:
    from operator_ai.cli import run_cmds

    if "log" not in cli.commands:
        run_cmds.add(cli)
    operator("status")  # creates the embedded default (OPERATOR_HOME chosen)
    for command in (("log", "--org", "org-nobody"), ("approvals", "list", "--org", "org-nobody"),
                    ("content", "list", "--org", "org-nobody"), ("rollback", "--org", "org-nobody", "--since", "7d"),
                    ("stop", "--org", "org-nobody", "--reason", "typo")):
        assert "unknown organization 'org-nobody'" in operator(*command, code=1)
    assert "org-acme" not in operator("log", "--org", "org-acme", "--json")  # a known org: an empty answer is fine
    assert "--limit" in operator("log", "--limit", "0", code=2)


def test_serve_refuses_a_busy_port(operator) -> None:
    import socket

    from operator_ai.cli import serve_cmds

    if "serve" not in cli.commands:
        serve_cmds.add(cli)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        refused = operator("serve", "--port", str(port - 1 if port > 1 else port), "--run-port", str(port), code=2)
    assert "in use" in refused
    assert "--port" in operator("serve", "--port", "70000", code=2)
