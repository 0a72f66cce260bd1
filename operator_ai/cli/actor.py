"""One flag for who acts: `--actor` on every command that records a person (approve, reject, rollback, stop,
resume, holds clear, orgs import). The older per-command flags (`--approver`, `--by`, `--as`) still work,
hidden, so scripts written against them keep running."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.meta["operator_legacy_actor"] = value
    return value


def actor_option(dest: str, help_text: str, *, legacy: str | None = None) -> Callable[[F], F]:
    """`--actor` stored as `dest`; `legacy` (e.g. "--by") is a hidden alias read by `given_actor`."""
    def decorate(function: F) -> F:
        function = click.option("--actor", dest, help=help_text)(function)
        if legacy:
            function = click.option(legacy, expose_value=False, hidden=True, callback=_remember)(function)
        return function

    return decorate


def given_actor(value: str | None) -> str | None:
    """The `--actor` value, else the legacy alias's."""
    return value or click.get_current_context().meta.get("operator_legacy_actor")
