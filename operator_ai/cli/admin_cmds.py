"""`stop`, `resume` (the emergency switch) and `sandbox` (play the outside world in the embedded default)."""

from __future__ import annotations

import sys

import click

from operator_ai.cli import Context, pass_ctx, whoami
from operator_ai.cli.actor import actor_option, given_actor
from operator_ai.cli.output import EXIT_ERROR, console, emit_json
from operator_ai.cli.validate import require_known_org
from operator_ai.escaping import one_line, plain, terminal


def add(cli: click.Group) -> None:
    from operator_ai.cli import sandbox_cmds  # noqa: F401  (adds `sandbox now|advance|event|events`)

    for command in (init, stop, resume, sandbox, content):
        cli.add_command(command)


@click.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the stores: the SQLite file (embedded default) or the BigQuery dataset, tables and views (gcp).
    Safe to re-run."""
    ctx.create_database = True
    services = ctx.services  # building the services creates the SQLite schema / Firestore needs no schema
    settings = services.settings
    if settings.backend != "gcp":
        console.print(f"embedded default ready: {settings.database_path}")
        return
    from connectors.bigquery import bigquery_client_for
    from connectors.bigquery.ddl import init_bigquery

    applied = init_bigquery(bigquery_client_for(settings), settings.gcp_project or "", settings.bq_dataset,
                            location=settings.bq_location)
    console.print(f"BigQuery {settings.gcp_project}.{settings.bq_dataset} ({settings.bq_location}): "
                  f"applied {', '.join(applied)}")


@click.command()
@click.option("--org", help="Stop one organization (default: everything, globally).")
@click.option("--reason", required=True, help="Why: recorded with who and when.")
@actor_option("by", "Who is pulling the switch (default: $OPERATOR_USER or the login name).", legacy="--by")
@pass_ctx
def stop(ctx: Context, org: str | None, reason: str, by: str | None) -> None:
    """Emergency stop: nothing executes (global or per org) until `resume`."""
    _switch(ctx, org, True, reason, given_actor(by))


@click.command()
@click.option("--org")
@click.option("--reason", default="resumed", show_default=True)
@actor_option("by", "Who is clearing the switch (default: $OPERATOR_USER or the login name).", legacy="--by")
@pass_ctx
def resume(ctx: Context, org: str | None, reason: str, by: str | None) -> None:
    """Clear the emergency stop."""
    _switch(ctx, org, False, reason, given_actor(by))


def _switch(ctx: Context, org: str | None, active: bool, reason: str, by: str | None) -> None:
    from operator_ai.wiring import utc_now
    from schemas.policy import KillSwitch

    state = ctx.control_state  # never the input files: the stop works whatever else is broken
    if org and state.get_org(org) is None:
        click.echo(f"error: unknown organization {org!r}", err=True)
        sys.exit(EXIT_ERROR)
    switch = KillSwitch(scope=org or "global", active=active, set_by=whoami(by), set_at=utc_now(), reason=reason)
    state.set_kill_switch(switch)
    shown = "ON" if active else "off"
    console.print(f"kill switch [bold]{terminal(switch.scope)}[/bold] {shown} (by {terminal(switch.set_by)}: "
                  f"{terminal(reason)})")


@click.group()
def sandbox() -> None:
    """Inspect or change the sandbox platforms as someone outside the Operator would."""


@sandbox.command("show")
@click.argument("platform", type=click.Choice(["google_ads", "activecampaign"]), required=False)
@click.argument("account_id", required=False)
@click.argument("kind", required=False)
@click.argument("entity_id", required=False)
@pass_ctx
def sandbox_show(ctx: Context, platform: str | None, account_id: str | None, kind: str | None,
                 entity_id: str | None) -> None:
    """The sandbox accounts, or the entities of one kind (e.g. `show google_ads 1234567890 campaign`)."""
    world = _world(ctx)
    if platform is None or account_id is None:
        emit_json(world.accounts())
    elif kind is None:
        raise click.UsageError("name the kind too, e.g. campaign, budget, keyword, email_campaign, automation")
    elif entity_id is None:
        emit_json(world.entities(platform, account_id, kind))
    else:
        emit_json(world.entity(platform, account_id, kind, entity_id))


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
    console.print(terminal(f"sandbox {platform} {account_id} {kind} {entity_id}: {fields}"))


def _world(ctx: Context):  # type: ignore[no-untyped-def]
    world = ctx.services.extras.get("world")
    if world is None:
        click.echo("error: the sandbox is only available with OPERATOR_PLATFORMS=sandbox", err=True)
        sys.exit(EXIT_ERROR)
    return world


@click.group()
def content() -> None:
    """Content artifacts the Operator produced (briefs, link suggestions, refresh flags)."""


@content.command("list")
@click.option("--org")
@click.option("--all", "include_archived", is_flag=True, help="Include archived (rolled back) artifacts.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def content_list(ctx: Context, org: str | None, include_archived: bool, as_json: bool) -> None:
    require_known_org(ctx.services, org)
    artifacts = ctx.services.artifacts.list_artifacts(org, include_archived=include_archived)
    if as_json:
        emit_json(artifacts)
        return
    from operator_ai.cli.output import table

    table("Content artifacts", ["artifact_id", "org", "kind", "key", "title", "archived"],
          [[a.artifact_id, a.organization_id, a.kind, a.key, a.title, a.archived_at or ""] for a in artifacts])


@content.command("show")
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def content_show(ctx: Context, identifier: str, as_json: bool) -> None:
    """Print an artifact (by artifact id, or by the id of the action that produced it)."""
    from rollback.specs.content import artifact_id_for

    store = ctx.services.artifacts
    artifact = store.get_artifact(identifier)
    if artifact is None and identifier.startswith("act-"):
        artifact = store.get_artifact(artifact_id_for(identifier))
    if artifact is None:
        click.echo(f"error: no content artifact {identifier!r}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        emit_json(artifact)
        return
    state = f"archived {artifact.archived_at.isoformat()}" if artifact.archived_at else "live"
    console.print(f"[bold]{terminal(one_line(artifact.title))}[/bold]  "
                  f"({terminal(artifact.kind)}, {terminal(artifact.organization_id)}, {state})")
    click.echo(plain(artifact.body))
