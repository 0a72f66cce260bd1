"""The Operator's one clock (issue 14 item 7): `OPERATOR_NOW` fixes now for every command, and
`operator sandbox advance` moves the embedded default's now forward for every later command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from operator_ai.clock import OperatorClock, parse_duration
from operator_ai.settings import Settings
from operator_ai.wiring import build_services

FIXED = "2026-11-23T09:00:00+00:00"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    for name in list(os.environ):
        if name.startswith(("OPERATOR_", "ANTHROPIC_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPERATOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _cli(*args: str) -> str:
    from operator_ai.cli import admin_cmds, cli, register, report_cmds, run_cmds

    register(run_cmds.add, admin_cmds.add, report_cmds.add)
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_durations() -> None:
    assert parse_duration("7d") == timedelta(days=7) and parse_duration("36h") == timedelta(hours=36)
    assert parse_duration("90m") == timedelta(minutes=90) and parse_duration("2w") == timedelta(weeks=2)
    for bad in ("", "7", "-1d", "0d", "7 days", "1y"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_operator_now_fixes_the_services_clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_NOW", FIXED)
    services = build_services(Settings())
    try:
        assert services.clock() == datetime(2026, 11, 23, 9, tzinfo=UTC)
        seeded_at = services.extras["store"].db.connection().execute(
            "SELECT value FROM meta WHERE key = 'seeded_at'").fetchone()["value"]
        assert seeded_at.startswith("2026-11-23T09:00")  # the sandbox was seeded at that now too
    finally:
        services.close()


def test_operator_now_needs_a_zone_and_the_sandbox(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("OPERATOR_NOW", "2026-11-23T09:00:00")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("OPERATOR_NOW", FIXED)
    monkeypatch.setenv("OPERATOR_PLATFORMS", "live")
    with pytest.raises(ValidationError, match="OPERATOR_NOW is for the sandbox"):
        Settings()


def test_every_command_reads_operator_now(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_NOW", FIXED)
    ran = json.loads(_cli("run", "--json"))
    assert ran["started_at"].startswith("2026-11-23T09:00") and ran["counts"]["EXECUTED"] > 0
    logged = json.loads(_cli("log", "--json"))
    assert logged and all(row["event_time"].startswith("2026-11-23T09:00") for row in logged)
    assert FIXED in _cli("sandbox", "now")
    assert json.loads(_cli("sandbox", "now", "--json"))["now"].startswith("2026-11-23T09:00")
    monkeypatch.setenv("OPERATOR_NOW", "2026-12-01T09:00:00+00:00")
    report = json.loads(_cli("report", "--since", "7d", "--format", "json"))
    assert report["period"]["until"].startswith("2026-12-01T09:00")


def test_sandbox_advance_moves_now_for_later_commands(home: Path) -> None:
    before = datetime.now(UTC)
    out = _cli("sandbox", "advance", "7d")
    assert "moved 7 days" in out
    services = build_services(Settings())  # a later command: a new process would read the same file
    try:
        moved = services.clock() - before
        assert timedelta(days=7) <= moved < timedelta(days=7, minutes=5)
    finally:
        services.close()
    _cli("sandbox", "advance", "36h")
    assert "the wall clock + 8 days, 12:00:00" in _cli("sandbox", "now")


def test_operator_now_overrides_the_advanced_clock(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli("sandbox", "advance", "3d")
    monkeypatch.setenv("OPERATOR_NOW", FIXED)
    services = build_services(Settings())
    try:
        assert services.clock() == datetime(2026, 11, 23, 9, tzinfo=UTC)
    finally:
        services.close()
    from operator_ai.cli import admin_cmds, cli, register

    register(admin_cmds.add)
    refused = CliRunner().invoke(cli, ["sandbox", "advance", "1d"])
    assert refused.exit_code == 1 and "OPERATOR_NOW is set" in refused.output


def test_advance_with_scheduled_runs_measures_what_falls_due(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli("run")
    out = _cli("sandbox", "advance", "2d", "--run-every", "12h")
    assert out.count(" run run-") == 4 and "MEASURED" in out and "+24h" in out


def test_a_clock_offset_source_is_read_again_after_a_while() -> None:
    offsets = iter([timedelta(0), timedelta(days=1)])
    wall = datetime(2026, 11, 23, tzinfo=UTC)
    clock = OperatorClock(offset=lambda: next(offsets), wall=lambda: wall)
    assert clock() == wall
    clock._read_at = -1e9  # another process advanced it, a while ago
    assert clock() == wall + timedelta(days=1)
    with pytest.raises(RuntimeError):
        clock.advance(timedelta(days=1))  # no store to persist it in
    with pytest.raises(ValueError):
        OperatorClock(fixed=datetime(2026, 11, 23))


def test_the_clock_pickles_for_worker_processes_with_its_offset() -> None:
    import pickle

    from operator_ai.clock import wall_clock

    clock = OperatorClock(offset=lambda: timedelta(days=7), advance_offset=lambda d: d, wall=wall_clock)
    copy = pickle.loads(pickle.dumps(clock))
    assert timedelta(days=7) - timedelta(minutes=1) < copy() - datetime.now(UTC) <= timedelta(days=7)
    fixed = pickle.loads(pickle.dumps(OperatorClock(fixed=datetime(2026, 11, 23, tzinfo=UTC))))
    assert fixed() == datetime(2026, 11, 23, tzinfo=UTC)
