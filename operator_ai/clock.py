"""The Operator's one clock: every "now" in operator_ai is `services.clock()`, built here from settings.

- `OPERATOR_NOW` (an ISO timestamp with a zone) fixes now for a command: tests and demos become
  reproducible. It overrides the sandbox offset below.
- Otherwise now is the wall clock plus the offset `operator sandbox advance 7d` stored in the embedded
  default's database, so a newcomer can watch a week of checkpoints, verdicts and rollbacks in a minute,
  and every later command (any process) sees the same moved clock.

Neither exists against live platforms: settings refuse `OPERATOR_NOW` with `OPERATOR_PLATFORMS=live`, and
the offset lives only in the sandbox's database.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

OffsetSource = Callable[[], timedelta]
_REFRESH_S = 1.0  # re-read the stored offset at most this often (another process may have advanced it)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def wall_clock() -> datetime:
    return datetime.now(UTC)


def parse_duration(text: str) -> timedelta:
    """`7d`, `36h`, `90m`, `2w` → a timedelta (positive)."""
    match = _DURATION.match(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 7d, 36h, 90m or 2w")
    delta = timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    if delta <= timedelta(0):
        raise ValueError("the duration must be positive")
    return delta


class OperatorClock:
    """Callable returning a zoned now: `fixed` when given, else `wall() + offset()`."""

    def __init__(self, *, fixed: datetime | None = None, offset: OffsetSource | None = None,
                 advance_offset: Callable[[timedelta], timedelta] | None = None,
                 wall: Callable[[], datetime] = wall_clock):
        if fixed is not None and fixed.tzinfo is None:
            raise ValueError("OPERATOR_NOW needs a zone (Z or +hh:mm)")
        self.fixed = fixed
        self._offset_source = offset
        self._advance_offset = advance_offset
        self._wall = wall
        self._offset = timedelta(0)
        self._read_at: float | None = None

    @property
    def offset(self) -> timedelta:
        if self._offset_source is None:
            return timedelta(0)
        if self._read_at is None or time.monotonic() - self._read_at > _REFRESH_S:
            self._offset, self._read_at = self._offset_source(), time.monotonic()
        return self._offset

    @property
    def can_advance(self) -> bool:
        return self._advance_offset is not None

    def __call__(self) -> datetime:
        if self.fixed is not None:
            return self.fixed
        return self._wall() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the stored offset forward (the sandbox's clock); return the new now."""
        if self._advance_offset is None:
            raise RuntimeError("this clock cannot be advanced: only the embedded default's sandbox clock can")
        self._offset, self._read_at = self._advance_offset(delta), time.monotonic()
        return self()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles (for `operator run --processes N` workers) as this moment's offset, frozen: a worker
        sees the same now as its parent, without the parent's database handle."""
        return (_restore, (self.fixed, self.offset, self._wall))

    def describe(self) -> str:
        if self.fixed is not None:
            return f"{self.fixed.isoformat()} (fixed by OPERATOR_NOW)"
        offset = self.offset
        if offset:
            return f"{self().isoformat(timespec='seconds')} (the wall clock + {offset} from `operator sandbox advance`)"
        return f"{self().isoformat(timespec='seconds')} (the wall clock)"


def _restore(fixed: datetime | None, offset: timedelta, wall: Callable[[], datetime]) -> OperatorClock:
    return OperatorClock(fixed=fixed, offset=lambda: offset, wall=wall)
