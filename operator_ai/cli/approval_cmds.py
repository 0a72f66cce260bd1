"""`approvals list|approve|reject` and `rollback`: the human decisions."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from operator_ai.cli import Context, pass_ctx, whoami
from operator_ai.cli.actor import actor_option, given_actor
from operator_ai.cli.output import EXIT_ERROR, EXIT_REFUSED, console, emit_json, parse_since, short, styled, table
from operator_ai.cli.validate import require_known_org
from operator_ai.escaping import terminal


def add(cli: click.Group) -> None:
    cli.add_command(approvals)
    cli.add_command(rollback)


@click.group()
def approvals() -> None:
    """Actions waiting for a person."""


@approvals.command("list")
@click.option("--org")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def approvals_list(ctx: Context, org: str | None, as_json: bool) -> None:
    from operator_ai.approvals import list_pending

    services = ctx.services
    require_known_org(services, org)
    now = services.clock()
    pending = list_pending(services, org)
    if as_json:
        emit_json([{"approval": p, "record": r.model_dump(mode="json") if r else None} for p, r in pending])
        return
    table("Pending approvals", ["org", "action_id", "type", "why", "plan_hash", "time left"],
          [[p.organization_id, p.action_id, r.action_type if r else "?",
            short(", ".join(r.verdict.rule_ids(r.verdict.outcome)) if r and r.verdict else p.summary, 50),
            p.plan_hash[:12], str(max(p.expires_at - now, timedelta(0))).split(".")[0]] for p, r in pending])


def _decide(ctx: Context, action_id: str, approver: str, plan_hash: str | None, approve: bool, as_json: bool) -> None:
    from connectors.base import ApprovalError
    from operator_ai.approvals import decide

    _known(ctx, action_id)
    try:
        decision = decide(ctx.services, action_id, approve=approve, approver=approver, plan_hash=plan_hash)
    except ApprovalError as error:
        click.echo(f"refused: {error}", err=True)
        sys.exit(EXIT_REFUSED)
    if as_json:
        emit_json({"action_id": decision.action_id, "status": decision.status, "message": decision.message})
    else:
        console.print(f"{terminal(decision.action_id)}: {styled(decision.status)} — {terminal(decision.message)}")
    if decision.status not in {"EXECUTED", "REJECTED", "MANUAL"}:
        sys.exit(EXIT_REFUSED)


def _known(ctx: Context, action_id: str) -> None:
    """An id the Operator never logged is an error (exit 1), not a refused decision (exit 4)."""
    if not ctx.services.log.latest([action_id]):
        click.echo(f"error: no action {action_id!r} in the log", err=True)
        sys.exit(EXIT_ERROR)


@approvals.command("approve")
@click.argument("action_id")
@actor_option("approver", "The person approving (e.g. jane@acme.example); required.", legacy="--approver")
@click.option("--plan-hash", help="Bind the approval to this plan hash (default: the pending plan's).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def approvals_approve(ctx: Context, action_id: str, approver: str | None, plan_hash: str | None,
                      as_json: bool) -> None:
    """Approve a pending action: it is re-checked against live state and the guardrails, then executed."""
    _decide(ctx, action_id, _decider(approver), plan_hash, True, as_json)


@approvals.command("reject")
@click.argument("action_id")
@actor_option("approver", "The person rejecting (e.g. jane@acme.example); required.", legacy="--approver")
@click.option("--plan-hash")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def approvals_reject(ctx: Context, action_id: str, approver: str | None, plan_hash: str | None,
                     as_json: bool) -> None:
    """Reject a pending action (single use; it will not be proposed again for the same opportunity)."""
    _decide(ctx, action_id, _decider(approver), plan_hash, False, as_json)


def _decider(given: str | None) -> str:
    """A decision names its person explicitly: never defaulted to the login name."""
    person = given_actor(given)
    if not person:
        raise click.UsageError("name the person deciding: --actor jane@acme.example")
    return person


@click.command()
@click.argument("action_id", required=False)
@click.option("--org", help="With --since: roll back every executed action of this organization.")
@click.option("--since", help="24h, 7d, ... (newest first)")
@click.option("--force", is_flag=True, help="Roll back even if someone changed the entity since.")
@click.option("--dry-run", is_flag=True, help="Show what would be undone.")
@click.option("--during-stop", is_flag=True, help="Allow a manual rollback while the kill switch is on.")
@click.option("--actor", help="Who is rolling back (default: $OPERATOR_USER or the login name).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def rollback(ctx: Context, action_id: str | None, org: str | None, since: str | None, force: bool, dry_run: bool,
             during_stop: bool, actor: str | None, as_json: bool) -> None:
    """Undo an executed action (or all of an org's since a time), refusing on drift unless --force."""
    from operator_ai.orchestrator import new_run_id
    from rollback.executor import RollbackExecutor

    services = ctx.control_services  # never the input files: a broken one must not stop a rollback
    if bool(action_id) == bool(org and since):
        raise click.UsageError("give ACTION_ID, or --org with --since")
    if action_id:
        _known(ctx, action_id)
    require_known_org(services, org)  # a typo must not read as "nothing to roll back"
    executor = RollbackExecutor(services.log, services.state, services.connectors, services.clock)
    run_id = new_run_id(services.clock())
    flags = {"actor": whoami(actor), "run_id": run_id, "force": force, "dry_run": dry_run,
             "allow_during_stop": during_stop}
    if action_id:
        outcomes = [executor.rollback(action_id, **flags)]
    else:
        outcomes = executor.rollback_since(org, parse_since(since, services.clock()), **flags)
    if as_json:
        emit_json(outcomes)
    else:
        if not outcomes:
            console.print("nothing to roll back")
        for outcome in outcomes:
            console.print(f"{terminal(outcome.action_id)}: [bold]{terminal(outcome.status)}[/bold] — "
                          f"{terminal(outcome.message)}")
            for line in (outcome.diff or []) if isinstance(outcome.diff, list) else []:
                console.print(f"    {terminal(line)}")
            if isinstance(outcome.diff, dict):
                for key, change in outcome.diff.items():
                    console.print(f"    {terminal(key)}: {terminal(change)}")
            for part in outcome.irreversible_parts or ():
                console.print(f"    [yellow]not reversible:[/yellow] {terminal(part)}")
    if any(o.status in {"refused", "failed"} for o in outcomes):
        sys.exit(EXIT_REFUSED if all(o.status == "refused" for o in outcomes if o.status != "rolled_back")
                 else EXIT_ERROR)
