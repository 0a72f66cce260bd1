"""`operator serve`: the Cloud Functions on this machine (functions-framework on 127.0.0.1), so a person
can open the approval page in a browser against the embedded default.

There is no Identity-Aware Proxy locally, so `--approver` prints a signed login link per organization:
opening it signs that person in (a session cookie) for that organization only.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click

from operator_ai.cli import Context, pass_ctx
from operator_ai.cli.output import EXIT_ERROR
from operator_ai.cli.validate import require_free_port

READY_TIMEOUT_S = 60.0


def add(cli: click.Group) -> None:
    cli.add_command(serve)


def _main_py() -> Path:
    import main

    return Path(main.__file__ or "main.py").resolve()


def _start(target: str, port: int, env: dict[str, str], log_path: Path, signature: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "functions_framework", "--target", target, "--source", str(_main_py()),
               "--signature-type", signature, "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=os.getcwd())


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:]) if log_path.exists() else ""
    raise click.ClickException(f"functions-framework did not start on port {port}:\n{tail}")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65534),
              help="Port of the approval page.")
@click.option("--run-port", type=click.IntRange(1, 65535), help="Port of the run endpoint (default: --port + 1).")
@click.option("--approver", help="Sign in as this person (e.g. jane@acme.example): prints login links.")
@click.option("--org", "orgs", multiple=True, help="Only login links for these organizations (repeatable).")
@click.option("--run", "run_first", is_flag=True, help="Run the Operator once first, so approvals are waiting.")
@pass_ctx
def serve(ctx: Context, port: int, run_port: int | None, approver: str | None, orgs: tuple[str, ...],
          run_first: bool) -> None:
    """Serve the approval page and the run endpoint on 127.0.0.1 with functions-framework."""
    from connectors.base import ApprovalError
    from operator_ai.approvals import validate_approver
    from operator_ai.http.auth import is_approver
    from operator_ai.http.console.access import role_in
    from operator_ai.http.tokens import Signer, sign_login
    from operator_ai.orchestrator import Orchestrator

    services = ctx.services
    settings = services.settings
    if settings.backend != "local":
        raise click.UsageError("serve runs the embedded default only (OPERATOR_BACKEND=local)")
    if approver is not None:
        try:
            approver = validate_approver(approver)
        except ApprovalError as error:
            raise click.UsageError(str(error)) from None
    known = {o.organization_id: o for o in services.state.list_orgs()}
    unknown = sorted(set(orgs) - set(known))
    if unknown:
        raise click.UsageError(f"unknown organization(s): {', '.join(unknown)}")
    run_port = run_port or port + 1
    if run_port == port:
        raise click.UsageError("--run-port must differ from --port")
    require_free_port(port, "--port")  # refuse a busy port before anything runs or starts
    require_free_port(run_port, "--run-port")
    configured_key = settings.approval_signing_key
    key = configured_key.get_secret_value() if configured_key else secrets.token_urlsafe(32)
    secret_configured = settings.shared_secret is not None
    secret = settings.shared_secret.get_secret_value() if settings.shared_secret else secrets.token_urlsafe(24)
    base_url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "OPERATOR_HOME": str(settings.home.resolve()), "OPERATOR_APPROVAL_SIGNING_KEY": key,
           "OPERATOR_SHARED_SECRET": secret, "OPERATOR_PUBLIC_BASE_URL": base_url, "OPERATOR_FAN_OUT": "false"}
    if run_first:
        summary = Orchestrator(services).run(list(orgs) or None)
        click.echo(f"ran {summary.run_id}: " + "  ".join(f"{k}={v}" for k, v in sorted(summary.counts.items())))
    log_dir = settings.home.resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # stop the servers on kill as on Ctrl-C
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for target, target_port, kind in (("approvals", port, "http"), ("run_operator", run_port, "http")):
            log_path = log_dir / f"serve-{target}.log"
            procs.append(_start(target, target_port, env, log_path, kind))
            _wait_ready(procs[-1], target_port, log_path)
        click.echo(f"{settings.mode_label} Operator functions on 127.0.0.1 (database {settings.database_path})")
        click.echo(f"  approval page: {base_url}")
        click.echo(f"  web console:   {base_url.rstrip('/')}/console/overview")
        header = "X-Operator-Secret: $OPERATOR_SHARED_SECRET" if secret_configured else f"X-Operator-Secret: {secret}"
        click.echo(f"  run endpoint:  curl -X POST -H '{header}' http://127.0.0.1:{run_port}/")
        if approver:
            signer = Signer(key)
            expires = services.clock().timestamp() + 12 * 3600  # the servers read the same clock
            click.echo(f"Sign in as {approver} (links valid 12 h):")
            for org_id in (orgs or tuple(sorted(known))):
                token = sign_login(signer, approver=approver, organization_id=org_id, expires_at=expires)
                if role_in(known[org_id], approver) is not None:  # viewers, approvers and admins
                    click.echo(f"  {org_id} console: {base_url.rstrip('/')}/console/overview?login={token}")
                if not is_approver(known[org_id], approver):
                    click.echo(f"  {org_id}: {approver} is not one of its approvers (add them to `approvers`)")
                    continue
                click.echo(f"  {org_id}: {base_url}?login={token}")
        else:
            click.echo("Give --approver you@example.com to get a login link (there is no IAP locally).")
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        click.echo("a server stopped; see the serve-*.log files in the Operator home", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
