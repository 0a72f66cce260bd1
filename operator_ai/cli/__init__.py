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
    """Builds services on first use, so `--help` and usage errors never touch the database."""

    def __init__(self) -> None:
        self._services: Any = None

    @property
    def services(self) -> Any:
        if self._services is None:
            from operator_ai.settings import Settings
            from operator_ai.wiring import build_services

            self._services = build_services(Settings())
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()


def whoami(explicit: str | None) -> str:
    return explicit or os.environ.get("OPERATOR_USER") or getpass.getuser()


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log structured JSON events to stderr.")
@click.pass_context
def cli(click_ctx: click.Context, verbose: bool) -> None:
    """Operator: guardrailed marketing actions with rollback."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(message)s")
    click_ctx.obj = Context()
    click_ctx.call_on_close(click_ctx.obj.close)


def register(*modules: Callable[[click.Group], None]) -> None:
    for add in modules:
        add(cli)


def main() -> None:
    from operator_ai.cli import admin_cmds, approval_cmds, report_cmds, run_cmds, serve_cmds

    register(run_cmds.add, approval_cmds.add, admin_cmds.add, serve_cmds.add, report_cmds.add)
    try:
        cli(standalone_mode=True)
    except Exception as error:  # a clean message, never a traceback with state in it
        click.echo(f"error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_ERROR)
