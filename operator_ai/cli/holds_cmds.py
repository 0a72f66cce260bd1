"""`holds`: the tracking holds the circuit breaker set (issue 14), and clearing one by hand.

A hold clears itself when conversions come back; a person who knows the collapse is real (not a broken
tag) or fixed may clear it sooner. Clearing is recorded on the hold (who, when).
"""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from operator_ai.cli import Context, pass_ctx, whoami
from operator_ai.cli.actor import actor_option, given_actor
from operator_ai.cli.output import EXIT_ERROR, console, emit_json


def add(cli: click.Group) -> None:
    cli.add_command(holds)


@click.group(invoke_without_command=True)
@click.option("--org", help="Only this organization (default: all).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def holds(click_ctx: click.Context, org: str | None, as_json: bool) -> None:
    """List tracking holds: accounts whose conversions collapsed at once (rollbacks and spend increases wait)."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    state = ctx.services.state
    found = []
    for policy in state.list_orgs():
        if org is None or policy.organization_id == org:
            found += list(state.tracking_holds(policy.organization_id)) if hasattr(state, "tracking_holds") else []
    if as_json:
        emit_json([h.model_dump(mode="json") for h in found])
        return
    if not found:
        console.print("no tracking holds")
    for hold in found:
        shown = "[bold red]HELD[/bold red]" if hold.active else f"cleared {hold.cleared_at:%Y-%m-%d %H:%M} UTC"
        console.print(f"{escape(hold.organization_id)} {escape(hold.account_id)}: {shown} since "
                      f"{hold.set_at:%Y-%m-%d %H:%M} UTC — {escape(hold.reason)}")


@holds.command("clear")
@click.option("--org", required=True)
@click.option("--account", required=True)
@actor_option("by", "Who clears it (default: OPERATOR_USER or the login name).", legacy="--as")
@pass_ctx
def clear(ctx: Context, org: str, account: str, by: str | None) -> None:
    """Clear an active hold: automatic rollbacks and spend increases resume for the organization."""
    by = given_actor(by)
    services = ctx.services
    state = services.state
    active = [h for h in getattr(state, "tracking_holds", lambda _org: [])(org) if h.active and h.account_id == account]
    if not active:
        click.echo(f"error: no active tracking hold for {org!r} account {account!r}", err=True)
        sys.exit(EXIT_ERROR)
    person = whoami(by)
    cleared = active[0].model_copy(update={"active": False, "cleared_at": services.clock(), "set_by": person,
                                           "reason": f"{active[0].reason}; cleared by {person}"})
    state.put_tracking_hold(cleared)
    console.print(f"tracking hold on {escape(org)} {escape(account)} cleared by {escape(person)}")
