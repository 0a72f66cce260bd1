"""`operator`: run, plan, explain, approve, roll back and stop the Operator from a terminal.

Exit codes: 0 ok · 1 error (bad input, unknown id) · 2 usage · 3 the run finished but an organization
failed · 4 refused (drift, approval refused, kill switch).
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from operator_ai.cli.output import EXIT_ERROR


class Context:
    """Builds services on first use, so `--help` and usage errors never touch the database.

    `services` loads the input files (organizations, opportunities) as `run` and `plan` need;
    `control_services` and `control_state` never read them, so `stop`, `resume`, `status`, `rollback`
    and `log` keep working when an input file is missing or broken.
    """

    def __init__(self) -> None:
        self._services: Any = None
        self._state: Any = None
        self._closers: list[Callable[[], None]] = []
        self.create_database = False  # `operator init` creates the SQLite file wherever it is configured

    def _build(self, load_inputs: bool) -> Any:
        if self._services is None:
            from operator_ai.settings import Settings
            from operator_ai.wiring import build_services

            self._services = build_services(Settings(), load_inputs=load_inputs,
                                            create_database=self.create_database)
        return self._services

    @property
    def services(self) -> Any:
        return self._build(load_inputs=True)

    @property
    def control_services(self) -> Any:
        return self._build(load_inputs=False)

    @property
    def control_state(self) -> Any:
        """Only the state store (the kill switches), for the emergency stop."""
        if self._services is not None:
            return self._services.state
        if self._state is None:
            from operator_ai.settings import Settings
            from operator_ai.wiring import build_control_state

            self._state, closer = build_control_state(Settings())
            self._closers.append(closer)
        return self._state

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
        for closer in reversed(self._closers):
            closer()


def whoami(explicit: str | None) -> str:
    return explicit or os.environ.get("OPERATOR_USER") or getpass.getuser()


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="operator-ai", prog_name="operator")
@click.option("-v", "--verbose", is_flag=True, help="Log structured JSON events to stderr.")
@click.pass_context
def cli(click_ctx: click.Context, verbose: bool) -> None:
    """Operator: guardrailed marketing actions with rollback."""
    from operator_ai.logs import configure_logging

    root = logging.getLogger()
    if not root.handlers or any(getattr(h, "_operator_handler", False) for h in root.handlers):
        configure_logging(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)
    click_ctx.obj = Context()
    click_ctx.call_on_close(click_ctx.obj.close)


def register(*modules: Callable[[click.Group], None]) -> None:
    for add in modules:
        add(cli)


def main() -> None:
    from connectors.local.inputs import InputFileError
    from operator_ai.cli import (
        admin_cmds,
        approval_cmds,
        doctor_cmds,
        holds_cmds,
        org_cmds,
        report_cmds,
        run_cmds,
        serve_cmds,
        verify_cmds,
    )

    register(run_cmds.add, approval_cmds.add, admin_cmds.add, serve_cmds.add, report_cmds.add, org_cmds.add,
             verify_cmds.add, holds_cmds.add, doctor_cmds.add)
    try:
        cli(standalone_mode=True)
    except InputFileError as error:  # already plain words naming the file and the line
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as error:  # a clean message, never a traceback with state in it
        from operator_ai.deployment import ConfigError

        kind = "" if isinstance(error, ConfigError) else f"{type(error).__name__}: "
        click.echo(f"error: {kind}{error}", err=True)
        sys.exit(EXIT_ERROR)
