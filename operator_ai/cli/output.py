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
from rich.text import Text

from operator_ai.escaping import one_line, terminal

# highlight=False: rich would colour parts of outside text (URLs, numbers) as if it knew what they were
console = Console(soft_wrap=False, width=160 if not sys.stdout.isatty() else None, highlight=False)

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
    """Every cell is literal text (outside text is never read as markup); only the status is styled."""
    t = Table(title=Text(one_line(title)), title_justify="left", show_lines=False, header_style="bold")
    for column in columns:
        t.add_column(column, overflow="fold")
    status_at = columns.index("status") if "status" in columns else -1
    for row in rows:
        t.add_row(*[Text(one_line(c), style=STATUS_STYLE.get(str(c), "") if i == status_at else "")
                    for i, c in enumerate(row)])
    console.print(t)


def styled(status: str) -> str:
    """A status as rich markup (for console.print); anything that is not one of ours is escaped."""
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else terminal(status)


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
    text = one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"
