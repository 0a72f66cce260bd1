"""Checks every command applies the same way: an unknown organization is an error (never an empty answer
that looks like "nothing happened"), and a port that is already in use is refused before anything starts."""

from __future__ import annotations

import socket
import sys
from typing import Any

import click

from operator_ai.cli.output import EXIT_ERROR


def require_known_org(services: Any, org: str | None) -> None:
    if org and services.state.get_org(org) is None:
        click.echo(f"error: unknown organization {org!r}", err=True)
        sys.exit(EXIT_ERROR)


def require_free_port(port: int, option: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise click.UsageError(f"{option} {port}: the port is in use on 127.0.0.1 (pick another)") from None
