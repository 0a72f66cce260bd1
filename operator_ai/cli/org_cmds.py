"""`orgs`: organizations as managed data — validate and import a configuration file, list, show (both backends)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from operator_ai.cli import Context, pass_ctx, whoami
from operator_ai.cli.output import EXIT_ERROR, console, emit_json, table


def add(cli: click.Group) -> None:
    cli.add_command(orgs)


@click.group()
def orgs() -> None:
    """Organizations: import a configuration file into the store, list them, show one's limits."""


def _read(path: Path, ctx: Context | None) -> list[Any]:
    from operator_ai.orgs import OrgImportError, read_org_file
    from operator_ai.settings import Settings

    settings = ctx.services.settings if ctx is not None else Settings()
    try:
        return read_org_file(path, campaign_cap_ceiling=settings.campaign_cap_ceiling)
    except OrgImportError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_ERROR)


@orgs.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def orgs_validate(file: Path, as_json: bool) -> None:
    """Check a file without writing anything: schema, limits that only tighten, no account in two orgs
    (within the file; `import` also checks against the organizations already stored)."""
    from operator_ai.orgs import account_conflicts

    policies = _read(file, None)
    problems = account_conflicts(policies)
    if as_json:
        emit_json({"valid": not problems, "organizations": [p.organization_id for p in policies],
                   "problems": problems})
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if not problems:
            console.print(f"{len(policies)} organization(s) valid: "
                          + escape(", ".join(p.organization_id for p in policies)))
    if problems:
        sys.exit(EXIT_ERROR)


@orgs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", "actor", help="Who is making the change (default: $OPERATOR_USER or the login name).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def orgs_import(ctx: Context, file: Path, actor: str | None, as_json: bool) -> None:
    """Create or update the file's organizations in the store (all or nothing), recording who and when."""
    from operator_ai.orgs import OrgImportError, import_orgs

    policies = _read(file, ctx)
    services = ctx.services
    try:
        results = import_orgs(services.state, policies, by=whoami(actor), now=services.clock())
    except OrgImportError as error:
        click.echo(f"error: nothing imported: {error}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        emit_json([{"organization_id": r.organization_id, "change": r.change, "fields": list(r.fields)}
                   for r in results])
        return
    table(f"Imported into {services.settings.backend} store", ["org", "change", "fields"],
          [[r.organization_id, r.change, ", ".join(r.fields)] for r in results])


@orgs.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def orgs_list(ctx: Context, as_json: bool) -> None:
    """Every organization in the store."""
    policies = ctx.services.state.list_orgs()
    if as_json:
        emit_json([p.model_dump(mode="json") for p in policies])
        return
    table("Organizations", ["org", "name", "autonomy", "phase", "google ads", "activecampaign", "updated"],
          [[p.organization_id, p.name, p.autonomy.value, p.rollout_phase.value,
            ", ".join(p.connected.google_ads_customer_ids), ", ".join(p.connected.activecampaign_ids()),
            p.updated_at.isoformat() if p.updated_at else ""] for p in policies])


@orgs.command("show")
@click.argument("org")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def orgs_show(ctx: Context, org: str, as_json: bool) -> None:
    """One organization: its configuration, the limits in force (which ones it tightened) and its history."""
    from operator_ai.orgs import limits_in_force

    services = ctx.services
    policy = services.state.get_org(org)
    if policy is None:
        click.echo(f"error: unknown organization {org!r}", err=True)
        sys.exit(EXIT_ERROR)
    limits = limits_in_force(policy, campaign_cap_ceiling=services.settings.campaign_cap_ceiling)
    history = services.state.org_changes(org)
    if as_json:
        emit_json({"policy": policy.model_dump(mode="json"), "limits": limits,
                   "history": [c.model_dump(mode="json") for c in history]})
        return
    console.print(f"[bold]{escape(policy.organization_id)}[/bold]  {escape(policy.name)}  "
                  f"autonomy={policy.autonomy.value}  phase={policy.rollout_phase.value}")
    table("Limits in force", ["limit", "in force", "default", "tightened by the org"],
          [[r["limit"], r["in_force"], r["default"], "yes" if r["tightened"] else ""] for r in limits])
    table("Changes", ["when", "by", "change", "fields"],
          [[c.changed_at.isoformat(), c.changed_by, c.change, ", ".join(c.fields)] for c in history])
