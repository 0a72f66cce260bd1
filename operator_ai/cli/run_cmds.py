"""`run`, `plan`, `explain`, `log`, `status`: what the Operator does and why."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.markup import escape

from operator_ai.cli import Context, pass_ctx
from operator_ai.cli.output import (
    EXIT_ERROR,
    EXIT_RUN_ERRORS,
    console,
    emit_json,
    parse_since,
    short,
    styled,
    table,
)
from operator_ai.cli.validate import require_known_org
from operator_ai.escaping import one_line, terminal
from operator_ai.measurement.summary import describe as describe_measurement
from operator_ai.measurement.summary import horizon_note, verdict_counts
from schemas.common import ActionStatus


def add(cli: click.Group) -> None:
    for command in (run, plan, explain, log_cmd, status):
        cli.add_command(command)


@click.command()
@click.option("--org", "orgs", multiple=True, help="Only these organizations (repeatable).")
@click.option("--dry-run", is_flag=True, help="Decide and record everything as DRY_RUN; execute nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--processes", type=click.IntRange(1, 32), default=None,
              help="Spread the organizations over this many processes (default: OPERATOR_PROCESSES, 1).")
@pass_ctx
def run(ctx: Context, orgs: tuple[str, ...], dry_run: bool, as_json: bool, processes: int | None) -> None:
    """Pull approved opportunities, judge them, execute what is safe, and report."""
    from operator_ai.orchestrator import Orchestrator

    processes = processes or ctx.services.settings.processes
    if processes > 1:
        from operator_ai.processes import run_in_processes

        summary, _ = run_in_processes(ctx.services, list(orgs) or None, processes=processes, dry_run=dry_run)
    else:
        summary = Orchestrator(ctx.services).run(list(orgs) or None, dry_run=dry_run)
    if as_json:
        emit_json(summary.model_dump(mode="json"))
    else:
        _print_summary(summary)
    if summary.errors:
        sys.exit(EXIT_RUN_ERRORS)


def _print_summary(summary: Any) -> None:
    banner = f"[bold]{summary.mode}[/bold] run {summary.run_id}" + ("  (dry run)" if summary.dry_run else "")
    console.print(banner)
    if summary.mode == "SANDBOX":
        console.print("[cyan]SANDBOX: no real ad account or email list was touched.[/cyan]")
    rows = []
    for line in sorted(summary.actions, key=lambda x: (x["organization_id"], x["status"], x.get("type") or "")):
        rules = line.get("rules") or {}
        why = ", ".join(rules.get("block") or []) or ", ".join(rules.get("needs_approval") or [])
        rows.append([line["organization_id"], line["status"], line.get("type"), line.get("action_id"), why,
                     short(line.get("detail"), 70)])
    table("Actions", ["org", "status", "type", "action_id", "rules", "detail"], rows)
    counts = "  ".join(f"{styled(k)}={v}" for k, v in sorted(summary.counts.items())) or "nothing to do"
    console.print(f"{counts}   ({summary.duration_s:.2f}s)")
    for error in summary.errors:
        console.print(f"[red]error[/red] {terminal(error)}")


@click.command()
@click.option("--org", "orgs", multiple=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def plan(ctx: Context, orgs: tuple[str, ...], as_json: bool) -> None:
    """Show what a run would decide now, without claiming, logging or executing anything."""
    from operator_ai.preview import preview

    items = preview(ctx.services, list(orgs) or None)
    if as_json:
        emit_json(items)
        return
    table(f"Plan ({ctx.services.mode}, nothing is executed)",
          ["org", "would be", "type", "action_id", "rules", "detail"],
          [[i["organization_id"], i["would_be"], i["type"], i["action_id"], ", ".join(i["rules"]),
            short(i["detail"], 70)] for i in items])


@click.command()
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True)
@click.option("--narrate", is_flag=True, help="Add a short plain-language narrative.")
@pass_ctx
def explain(ctx: Context, identifier: str, as_json: bool, narrate: bool) -> None:
    """Every rule with its numbers for an action id or an opportunity id."""
    services = ctx.services
    records = services.log.latest([identifier]) if identifier.startswith("act-") else {}
    if not records:
        records = {r.action_id: r for r in services.log.query(opportunity_id=identifier)}
    if not records:
        click.echo(f"error: no action or opportunity {identifier!r} in the log", err=True)
        sys.exit(EXIT_ERROR)
    out = []
    for record in records.values():
        events = services.log.events(record.action_id)
        item = {"record": record.model_dump(mode="json"),
                "events": [{"status": e.status.value, "at": e.event_time.isoformat(), "run_id": e.run_id,
                            "by": e.executed_by, "error": e.error_message} for e in events]}
        if (planned := horizon_note(record)):
            item["measurement_plan"] = planned
        if narrate and record.verdict is not None:
            from connectors.llm import build_llm_client
            from connectors.llm import narrate as narrate_verdict

            client = build_llm_client(services.settings)
            item["narrative"] = narrate_verdict(record.verdict.model_dump(mode="json"), client)
        out.append(item)
    if as_json:
        emit_json(out)
        return
    for item in out:
        _print_explanation(item)


def _print_explanation(item: dict[str, Any]) -> None:
    record = item["record"]
    console.print(f"[bold]{terminal(record['action_id'])}[/bold]  {terminal(record['action_type'])}  "
                  f"{styled(record['status'])}  org={terminal(record['organization_id'])}  "
                  f"opportunity={terminal(record['opportunity_id'])}")
    opp = (record.get("payload") or {}).get("opportunity") or {}
    if opp.get("title"):
        console.print(f"  opportunity: {terminal(one_line(opp['title']))} "
                      f"(confidence {terminal(opp.get('confidence'))})")
    if record.get("error_message"):
        console.print(f"  [red]{terminal(record['error_message'])}[/red]")
    verdict = record.get("verdict")
    if verdict:
        console.print(f"  verdict: [bold]{terminal(verdict['outcome'])}[/bold]")
        table("Rules", ["rule", "outcome", "message", "observed"],
              [[r["rule_id"], r["outcome"] if r.get("applies", True) else "n/a", short(r["message"], 70),
                short(", ".join(f"{k}={v}" for k, v in (r.get("observed") or {}).items()), 60)]
               for r in verdict["rules"]])
    if record.get("checks"):
        table("Pre-execution checks", ["check", "passed", "message"],
              [[c["check_id"], c["passed"], short(c["message"], 90)] for c in record["checks"]])
    plan = record.get("rollback_plan")
    if plan:
        console.print(f"  rollback: {terminal(plan['reversibility'])}  {terminal(short(plan.get('note'), 100))}")
        for op in plan["inverse_ops"]:
            console.print(f"    inverse: {terminal(short(str(op), 120))}")
        for part in plan.get("irreversible_parts") or []:
            console.print(f"    [yellow]irreversible:[/yellow] {terminal(part)}")
    measured = (record.get("result") or {}).get("measurements") or []
    if measured:
        table("Measurement", ["checkpoint", "verdict", "metric", "before", "after", "p", "reason"],
              [[f"{m.get('label')}{' (final)' if m.get('final') else ''}", m.get("verdict"), m.get("metric"),
                _numbers(m.get("before")), _numbers(m.get("after")),
                "" if m.get("p_value") is None else f"{m['p_value']:.2g}", short(m.get("reason"), 70)]
               for m in measured])
    planned = item.get("measurement_plan")
    if planned:
        console.print(f"  {terminal(planned)}")
    if item.get("narrative"):
        console.print(f"  {terminal(item['narrative'])}")
    table("History", ["status", "at", "by", "error"],
          [[e["status"], e["at"], e["by"], short(e["error"], 70)] for e in item["events"]])


def _numbers(values: dict[str, Any] | None) -> str:
    keys = ("conversions", "cost", "clicks", "cpa", "sends", "rate", "variant")
    return ", ".join(f"{k}={values[k]}" for k in keys if values and values.get(k) is not None)


@click.command("log")
@click.option("--org")
@click.option("--since", help="30m, 24h, 7d or an ISO timestamp")
@click.option("--status", "statuses", multiple=True, type=click.Choice([s.value for s in ActionStatus]))
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def log_cmd(ctx: Context, org: str | None, since: str | None, statuses: tuple[str, ...], limit: int,
            as_json: bool) -> None:
    """The current state of every action (latest log row per action), newest first."""
    services = ctx.control_services  # the log only: never the input files
    require_known_org(services, org)
    records = services.log.query(organization_id=org, since=parse_since(since, services.clock()),
                                 statuses=[ActionStatus(s) for s in statuses] or None, limit=limit)
    if as_json:
        emit_json([r.model_dump(mode="json") for r in records])
        return
    table("Actions log", ["time", "org", "status", "type", "action_id", "by", "detail"],
          [[r.event_time.strftime("%Y-%m-%d %H:%M:%S"), r.organization_id, r.status.value, r.action_type,
            r.action_id, r.executed_by,
            short(r.error_message or describe_measurement(r) or (r.verdict.summary() if r.verdict else ""), 60)]
           for r in records])


@click.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Mode, kill switches, pending approvals and action counts per organization."""
    services = ctx.control_services  # what is stored, never the input files
    orgs = services.state.list_orgs()
    from operator_ai.deployment import store_location

    everywhere = services.state.kill_switches("global").global_switch
    data: dict[str, Any] = {"mode": services.mode, "backend": services.settings.backend, "organizations": [],
                            "store": store_location(services.settings),
                            "global_kill_switch": None if everywhere is None or not everywhere.active else {
                                "by": everywhere.set_by, "at": everywhere.set_at.isoformat(),
                                "reason": everywhere.reason}}
    for policy in orgs:
        switches = services.state.kill_switches(policy.organization_id)
        active = switches.active
        records = services.log.query(organization_id=policy.organization_id, limit=100000)
        counts: dict[str, int] = {}
        for record in records:
            counts[record.status.value] = counts.get(record.status.value, 0) + 1
        data["organizations"].append({
            "organization_id": policy.organization_id, "autonomy": policy.autonomy.value,
            "rollout_phase": policy.rollout_phase.value,
            "kill_switch": None if active is None else {"scope": active.scope, "by": active.set_by,
                                                       "at": active.set_at.isoformat(), "reason": active.reason},
            "pending_approvals": len(services.state.list_pending(policy.organization_id)),
            "counts": counts,
            "verdicts": verdict_counts(records),
        })
    if as_json:
        emit_json(data)
        return
    console.print(f"[bold]{data['mode']}[/bold] mode, {data['backend']} backend")
    console.print("data: " + escape(", ".join(f"{k} {v}" for k, v in data["store"].items() if k != "backend")))
    if data["global_kill_switch"]:
        stop = data["global_kill_switch"]
        console.print(f"[red]emergency stop ON everywhere[/red] (by {terminal(stop['by'])}: "
                      f"{terminal(stop['reason'])})")
    table("Organizations", ["org", "autonomy", "phase", "kill switch", "pending", "actions", "final verdicts"],
          [[o["organization_id"], o["autonomy"], o["rollout_phase"],
            "ON: " + o["kill_switch"]["reason"] if o["kill_switch"] else "off", o["pending_approvals"],
            ", ".join(f"{k}={v}" for k, v in sorted(o["counts"].items())),
            ", ".join(f"{k}={v}" for k, v in sorted(o["verdicts"].items()))] for o in data["organizations"]])
