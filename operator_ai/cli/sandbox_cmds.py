"""`operator sandbox now|advance|event|events`: the embedded default's clock and scripted scenarios.

    operator sandbox advance 7d                       # a week passes (persisted: later commands see it)
    operator sandbox advance 8d --run-every 12h       # ... with a scheduled run every 12 hours, as in production
    operator sandbox event 9876543210 shift --factor 0.7 --days 14          # an account-wide dip from today
    operator sandbox event 9876543210 tracking_outage --days 5              # conversion tracking breaks
    operator sandbox event 1234567890 shift --campaign 117 --factor 1.2     # a true effect on one campaign
"""

from __future__ import annotations

import sys
from datetime import UTC, date, timedelta
from typing import Any

import click

from operator_ai.cli import Context, pass_ctx
from operator_ai.cli.admin_cmds import _world, sandbox
from operator_ai.cli.output import EXIT_ERROR, console, emit_json, short


def _clock(ctx: Context) -> Any:
    clock = ctx.services.clock
    if not hasattr(clock, "advance"):
        click.echo("error: this clock cannot be moved (only the embedded default's)", err=True)
        sys.exit(EXIT_ERROR)
    return clock


def _duration(text: str) -> timedelta:
    from operator_ai.clock import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@sandbox.command("now")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sandbox_now(ctx: Context, as_json: bool) -> None:
    """Print the Operator's now: OPERATOR_NOW, or the wall clock plus what `advance` added."""
    clock = ctx.services.clock
    described = clock.describe() if hasattr(clock, "describe") else clock().isoformat()
    if as_json:
        emit_json({"now": clock().isoformat(), "clock": described})
        return
    console.print(f"now: {described}")


@sandbox.command("advance")
@click.argument("duration")
@click.option("--run-every", "run_every", help="Run the Operator every so often on the way (e.g. 12h), as the "
              "scheduler would: checkpoints are measured and rollbacks happen as they fall due.")
@pass_ctx
def sandbox_advance(ctx: Context, duration: str, run_every: str | None) -> None:
    """Move the sandbox clock forward (7d, 36h, 90m); later commands see the new now."""
    clock = _clock(ctx)
    if getattr(clock, "fixed", None) is not None:
        click.echo("error: OPERATOR_NOW is set and fixes now; unset it to let the sandbox clock move", err=True)
        sys.exit(EXIT_ERROR)
    total = _duration(duration)
    step = _duration(run_every) if run_every else total
    before = clock()
    moved = timedelta(0)
    while moved < total:
        delta = min(step, total - moved)
        clock.advance(delta)
        moved += delta
        if run_every:
            _scheduled_run(ctx)
    console.print(f"sandbox clock moved {_plain(total)}: now {clock().isoformat(timespec='minutes')} "
                  f"(was {before.isoformat(timespec='minutes')})")
    if not run_every:
        console.print("next: `operator run` measures the checkpoints that fell due (verdicts in `operator log`)")


def _scheduled_run(ctx: Context) -> None:
    from operator_ai.orchestrator import Orchestrator

    summary = Orchestrator(ctx.services).run(None)
    counts = "  ".join(f"{k}={v}" for k, v in sorted(summary.counts.items()) if v) or "nothing to do"
    console.print(f"{ctx.services.clock().isoformat(timespec='minutes')}  run {summary.run_id}: {counts}",
                  markup=False)
    for line in summary.actions:
        if line["status"] in _SHOWN:
            console.print(f"    {line['organization_id']} {line['status']} {line.get('type') or ''} "
                          f"{line.get('action_id') or ''}: {short(line.get('detail'), 110)}", markup=False)


_SHOWN = frozenset({"EXECUTED", "MEASURED", "ROLLED_BACK", "ROLLBACK_FAILED", "FAILED"})


def _plain(delta: timedelta) -> str:
    days, rest = delta.days, delta.seconds
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if rest >= 3600:
        parts.append(f"{rest // 3600} h")
    if rest % 3600 >= 60:
        parts.append(f"{rest % 3600 // 60} min")
    return " ".join(parts) or "0 min"


def _day(text: str, today: date) -> date:
    text = text.strip().lower()
    if text in ("today", "now"):
        return today
    if text.startswith("+") and text.endswith("d") and text[1:-1].isdigit():
        return today + timedelta(days=int(text[1:-1]))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use today, +Nd or YYYY-MM-DD") from None


@sandbox.command("event")
@click.argument("customer_id")
@click.argument("kind", type=click.Choice(["shift", "conversion_shift", "tracking_outage", "learning"]))
@click.option("--from", "start", default="today", show_default=True, help="First day: today, +Nd or YYYY-MM-DD.")
@click.option("--days", type=click.IntRange(min=1), help="How many days (default: open-ended).")
@click.option("--factor", type=click.FloatRange(min=0), help="Multiplier (default 0 for tracking_outage, else 1).")
@click.option("--campaign", "campaigns", multiple=True, help="Only these campaigns (default: the whole account).")
@click.option("--status", default="LEARNING_SETTING_CHANGE", show_default=True, help="learning: the status shown.")
@click.option("--note", default="", help="Why (shown by `sandbox events`).")
@pass_ctx
def sandbox_event(ctx: Context, customer_id: str, kind: str, start: str, days: int | None, factor: float | None,
                  campaigns: tuple[str, ...], status: str, note: str) -> None:
    """Script a scenario on a sandbox Google Ads account: an account-wide dip or a true effect (shift),
    a conversion-rate change, a tracking outage or a learning period — from today on."""
    world = _world(ctx)
    today = ctx.services.clock().astimezone(UTC).date()
    try:
        event = world.script_event(customer_id, kind, _day(start, today), days=days, factor=factor,
                                   campaigns=campaigns or None, status=status, note=note)
    except (KeyError, ValueError) as error:
        click.echo(f"error: {error.args[0] if error.args else error}", err=True)
        sys.exit(EXIT_ERROR)
    console.print(f"sandbox {customer_id}: {_describe(event.to_data())}", markup=False)


@sandbox.command("send")
@click.argument("account_id")
@click.argument("campaign_id")
@click.option("--sends", "sends", type=click.IntRange(min=0), required=True, help="Recipients per message.")
@click.option("--click-rate", "click_rates", type=click.FloatRange(0, 1), multiple=True, required=True,
              help="True click rate of each message: the original first, then the split-test variants.")
@pass_ctx
def sandbox_send(ctx: Context, account_id: str, campaign_id: str, sends: int, click_rates: tuple[float, ...]) -> None:
    """Play an ActiveCampaign campaign being sent: each message to SENDS people, clicks drawn around the
    given rates (a subject-line experiment then has something to decide)."""
    try:
        stats = _world(ctx).simulate_send(account_id, campaign_id, sends_per_message=sends,
                                          click_rates=list(click_rates))
    except (KeyError, ValueError) as error:
        click.echo(f"error: {error.args[0] if error.args else error}", err=True)
        sys.exit(EXIT_ERROR)
    for message in stats:
        console.print(f"message {message['message_id']}: {message['sends']} sent, {message['opens']} opened, "
                      f"{message['clicks']} clicked", markup=False)


@sandbox.command("events")
@click.argument("customer_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sandbox_events(ctx: Context, customer_id: str, as_json: bool) -> None:
    """The scenarios scripted on a sandbox Google Ads account (including learning after bid changes)."""
    events = [e.to_data() for e in _world(ctx).events(customer_id)]
    if as_json:
        emit_json(events)
        return
    for event in events:
        console.print(_describe(event), markup=False)
    if not events:
        console.print("no scripted events")


def _describe(event: dict[str, Any]) -> str:
    where = "campaigns " + ", ".join(event["campaigns"]) if event["campaigns"] else "every campaign"
    until = f" to {event['last']}" if event["last"] else " on"
    what = event["status"] if event["kind"] == "learning" else f"x{event['factor']:g}"
    note = f"  ({event['note']})" if event["note"] else ""
    return f"{event['kind']} {what} from {event['first']}{until}, {where}{note}"


