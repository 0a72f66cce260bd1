"""`doctor`: is this installation configured and can it reach its stores? Read-only; secrets never shown."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.markup import escape

from operator_ai.cli import Context, pass_ctx
from operator_ai.cli.output import EXIT_ERROR, console, emit_json, table

SHOWN_SETTINGS = ("backend", "platforms", "home", "db_path", "gcp_project", "bq_dataset", "bq_location",
                  "bq_endpoint", "fan_out", "pubsub_topic", "public_base_url", "org_concurrency", "processes",
                  "campaign_cap_ceiling", "llm_model")
SECRET_SETTINGS = ("shared_secret", "approval_signing_key", "notify_webhook_url")


def add(cli: click.Group) -> None:
    cli.add_command(doctor)


def _check(name: str, probe: Any) -> dict[str, Any]:
    try:
        detail = probe()
    except Exception as error:  # a store failure is what doctor reports, with its kind (never a value)
        return {"check": name, "ok": False, "detail": f"{type(error).__name__}: {str(error)[:200]}"}
    return {"check": name, "ok": True, "detail": detail}


def collect(services: Any) -> dict[str, Any]:
    from operator_ai.deployment import live_problems, store_location

    settings = services.settings
    shown = {name: getattr(settings, name, None) for name in SHOWN_SETTINGS}
    shown.update({name: "set" if getattr(settings, name, None) else "not set" for name in SECRET_SETTINGS})
    checks = [
        _check("state store (organizations, kill switches)",
               lambda: f"{len(services.state.list_orgs())} organization(s)"),
        _check("actions log", lambda: f"readable ({len(services.log.query(limit=1))} latest row read)"),
        _check("outbox", lambda: f"{getattr(services.log, 'pending', 0)} record(s) waiting"),
        _check("kill switch (global)", lambda: "ON" if services.state.kill_switches("global").active else "off"),
    ]
    orgs = []
    policies = services.state.list_orgs() if checks[0]["ok"] else []
    resolver = services.extras.get("secrets")
    for policy in policies:
        connected = policy.connected
        problems = (live_problems(policy, resolver) if settings.platforms == "live" and resolver is not None
                    else [])
        orgs.append({"organization_id": policy.organization_id, "autonomy": policy.autonomy.value,
                     "rollout_phase": policy.rollout_phase.value,
                     "google_ads": list(connected.google_ads_customer_ids),
                     "activecampaign": list(connected.activecampaign_ids()),
                     "credentials": "sandbox (none needed)" if settings.platforms == "sandbox"
                     else ("ok" if not problems else "; ".join(problems)),
                     "ok": not problems})
    return {"mode": services.mode, "store": store_location(settings), "settings": shown, "checks": checks,
            "organizations": orgs, "ok": all(c["ok"] for c in checks) and all(o["ok"] for o in orgs)}


@click.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def doctor(ctx: Context, as_json: bool) -> None:
    """Settings, where the data lives, store reachability, and each organization's platform connections and
    credentials (resolved, never used or shown). Exit 1 when something needs fixing."""
    report = collect(ctx.control_services)
    if as_json:
        emit_json(report)
    else:
        console.print(f"[bold]{report['mode']}[/bold] mode; data: "
                      + escape(", ".join(f"{k} {v}" for k, v in report["store"].items())))
        table("Settings", ["setting", "value"], [[k, "" if v is None else v] for k, v in report["settings"].items()])
        table("Checks", ["check", "ok", "detail"], [[c["check"], "yes" if c["ok"] else "NO", c["detail"]]
                                                    for c in report["checks"]])
        table("Organizations", ["org", "autonomy", "phase", "google ads", "activecampaign", "credentials"],
              [[o["organization_id"], o["autonomy"], o["rollout_phase"], ", ".join(o["google_ads"]),
                ", ".join(o["activecampaign"]), o["credentials"]] for o in report["organizations"]])
    if not report["ok"]:
        sys.exit(EXIT_ERROR)
