"""`report`: the weekly report of what the Operator did and what it achieved."""

from __future__ import annotations

from pathlib import Path

import click

from operator_ai.cli import Context, pass_ctx
from operator_ai.cli.output import EXIT_ERROR, parse_since


def add(cli: click.Group) -> None:
    cli.add_command(report)


@click.command()
@click.option("--org", help="Only this organization (default: all).")
@click.option("--since", default="7d", show_default=True, help="30m, 24h, 7d or an ISO timestamp with a zone")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
@pass_ctx
def report(ctx: Context, org: str | None, since: str, fmt: str, out: Path | None) -> None:
    """Actions by status and type, success rate, measured impact, rollbacks and pending approvals."""
    from operator_ai.report import RENDERERS, build_report

    services = ctx.services
    now = services.clock()
    start = parse_since(since, now)
    if start is None:
        raise click.BadParameter("give a period, e.g. 7d", param_hint="--since")
    if org is not None and services.state.get_org(org) is None:
        click.echo(f"error: unknown organization {org!r}", err=True)
        raise SystemExit(EXIT_ERROR)
    text = RENDERERS[fmt](build_report(services, since=start, until=now, organization_id=org))
    if out is None:
        click.echo(text)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)
