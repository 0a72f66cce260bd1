"""`stop`, `resume` (the emergency switch) and `sandbox` (play the outside world in the embedded default)."""

from __future__ import annotations

import sys

import click

from operator_ai.cli import Context, pass_ctx, whoami
from operator_ai.cli.output import EXIT_ERROR, console, emit_json


def add(cli: click.Group) -> None:
    for command in (stop, resume, sandbox):
        cli.add_command(command)


@click.command()
@click.option("--org", help="Stop one organization (default: everything, globally).")
@click.option("--reason", required=True, help="Why: recorded with who and when.")
@click.option("--by", "by", help="Who is pulling the switch (default: $OPERATOR_USER or the login name).")
@pass_ctx
def stop(ctx: Context, org: str | None, reason: str, by: str | None) -> None:
    """Emergency stop: nothing executes (global or per org) until `resume`."""
    _switch(ctx, org, True, reason, by)


@click.command()
@click.option("--org")
@click.option("--reason", default="resumed", show_default=True)
@click.option("--by", "by")
@pass_ctx
def resume(ctx: Context, org: str | None, reason: str, by: str | None) -> None:
    """Clear the emergency stop."""
    _switch(ctx, org, False, reason, by)


def _switch(ctx: Context, org: str | None, active: bool, reason: str, by: str | None) -> None:
    from schemas.policy import KillSwitch

    services = ctx.services
    if org and services.state.get_org(org) is None:
        click.echo(f"error: unknown organization {org!r}", err=True)
        sys.exit(EXIT_ERROR)
    switch = KillSwitch(scope=org or "global", active=active, set_by=whoami(by), set_at=services.clock(),
                        reason=reason)
    services.state.set_kill_switch(switch)
    state = "ON" if active else "off"
    console.print(f"kill switch [bold]{switch.scope}[/bold] {state} (by {switch.set_by}: {reason})")


@click.group()
def sandbox() -> None:
    """Inspect or change the sandbox platforms as someone outside the Operator would."""


@sandbox.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sandbox_show(ctx: Context, as_json: bool) -> None:
    world = _world(ctx)
    data = world.describe()
    if as_json:
        emit_json(data)
    else:
        console.print_json(data=data, default=str)


@sandbox.command("set")
@click.argument("platform", type=click.Choice(["google_ads", "activecampaign"]))
@click.argument("account_id")
@click.argument("kind")
@click.argument("entity_id")
@click.argument("assignments", nargs=-1, required=True)
@pass_ctx
def sandbox_set(ctx: Context, platform: str, account_id: str, kind: str, entity_id: str,
                assignments: tuple[str, ...]) -> None:
    """Change an entity as a person in the platform UI would, e.g. `set google_ads 1234567890 campaign 111
    status=ENABLED` — rollback will then detect the drift."""
    fields = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            raise click.BadParameter(f"{assignment!r}: use field=value")
        fields[key] = value
    _world(ctx).external_change(platform, account_id, kind, entity_id, **fields)
    console.print(f"sandbox {platform} {account_id} {kind} {entity_id}: {fields}")


def _world(ctx: Context):  # type: ignore[no-untyped-def]
    world = ctx.services.extras.get("world")
    if world is None:
        click.echo("error: the sandbox is only available with OPERATOR_PLATFORMS=sandbox", err=True)
        sys.exit(EXIT_ERROR)
    return world
