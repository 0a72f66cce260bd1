"""`verify`: a self-test of an organization's platform account that changes nothing (the health check)."""

from __future__ import annotations

import click

from operator_ai.cli import Context, pass_ctx
from operator_ai.cli.output import EXIT_ERROR, EXIT_OK, EXIT_REFUSED, console, emit_json

_STYLE = {"supported": "green", "refused": "red", "unverified": "yellow"}


def add(cli: click.Group) -> None:
    cli.add_command(verify)


@click.command()
@click.argument("platform", type=click.Choice(["google_ads", "activecampaign"]))
@click.option("--org", required=True, help="The organization whose accounts are checked.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def verify(ctx: Context, platform: str, org: str, as_json: bool) -> None:
    """Per action type: supported, refused (with the platform's reason) or unverified. Nothing is changed.

    Exit 0: connected and nothing refused · 1: not connected / unknown org · 4: something was refused."""
    from rich.markup import escape
    from rich.table import Table

    from operator_ai.verify import verify as run_verify
    from schemas.common import Platform

    services = ctx.services
    try:
        report = run_verify(services, Platform(platform), org)
    except LookupError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_ERROR) from None
    if as_json:
        emit_json(report.as_json())
    else:
        state = "connected" if report.connected else f"NOT connected: {report.connection_error}"
        console.print(f"{escape(platform)} for {escape(org)} ({report.mode.lower()}): {escape(state)}")
        table = Table(title=f"operator verify {platform}", title_justify="left", header_style="bold")
        for column in ("action type", "status", "entity", "reason", "would write"):
            table.add_column(column, overflow="fold")
        for row in report.rows:
            style = _STYLE[row.status.value]
            table.add_row(escape(row.action_type), f"[{style}]{row.status.value}[/{style}]", escape(row.entity or ""),
                          escape(row.reason), escape("\n".join(row.writes)))
        console.print(table)
    code = EXIT_OK if report.healthy else (EXIT_ERROR if not report.connected else EXIT_REFUSED)
    raise SystemExit(code)
