"""What one operation handler answers, and the detail keys the rest of the system reads.

The detail keys for created things are the literal strings `rollback/spec.py` names (connectors cannot
import `rollback`), so `finalize_rollback_plan` can record them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.base import PlatformError
from schemas.operations import ApplyOutcome
from schemas.records import Reversibility

SENT_EMAILS_STAY = "emails already sent cannot be recalled"


@dataclass
class OpResult:
    outcome: ApplyOutcome
    details: dict[str, Any] = field(default_factory=dict)
    error: PlatformError | None = None


def reversibility(level: Reversibility, *irreversible: str, note: str = "") -> dict[str, Any]:
    """The honest reversibility report every result carries (read by people and the `irreversible` rule)."""
    report: dict[str, Any] = {"reversibility": level.value, "irreversible_parts": list(irreversible)}
    if note:
        report["reversibility_note"] = note
    return report


_ORDER = [Reversibility.FULL, Reversibility.PARTIAL, Reversibility.NONE]


def worst(levels: list[str]) -> str:
    """The least reversible of several reports (a batch is only as undoable as its worst operation)."""
    known = [Reversibility(level) for level in levels if level in {r.value for r in Reversibility}]
    return max(known, key=_ORDER.index, default=Reversibility.FULL).value
