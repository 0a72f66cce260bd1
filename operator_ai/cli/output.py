"""Human and machine output for the CLI: rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.table import Table

console = Console(soft_wrap=False, width=160 if not sys.stdout.isatty() else None)

EXIT_OK, EXIT_ERROR, EXIT_RUN_ERRORS, EXIT_REFUSED = 0, 1, 3, 4

STATUS_STYLE = {
    "EXECUTED": "green", "DRY_RUN": "cyan", "PENDING_APPROVAL": "yellow", "BLOCKED": "red", "FAILED": "red",
    "UNCERTAIN": "magenta", "REJECTED_INPUT": "red", "EXPIRED": "dim", "ROLLED_BACK": "blue", "STOPPED": "red",
}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return str(value)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_default, sort_keys=True))


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*[styled(str(c)) if i == columns.index("status") else ("" if c is None else str(c))
                    for i, c in enumerate(row)] if "status" in columns else ["" if c is None else str(c) for c in row])
    console.print(t)


def styled(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """`24h`, `7d`, `30m` or an ISO timestamp with a zone."""
    if not value:
        return None
    match = re.fullmatch(r"(\d+)([mhd])", value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 30m, 24h, 7d or an ISO timestamp with a zone") from None
    if parsed.tzinfo is None:
        raise click.BadParameter("timestamps need a zone (e.g. 2026-11-20T10:00:00+00:00)")
    return parsed.astimezone(UTC)


def short(text: str | None, width: int = 90) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
