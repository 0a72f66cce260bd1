"""Issue 13.7: a campaign's runtime counts from when it really started — the stated start time, else the
end of its start date in the account's time zone (Google Ads stores a date-only start, and the start of a
campaign created later that day, as midnight)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from connectors.google_ads.reads import _start

NEW_YORK = ZoneInfo("America/New_York")


def test_a_midnight_start_counts_from_the_end_of_that_day_in_the_account_zone() -> None:
    day, started = _start("2026-11-17 00:00:00", NEW_YORK)
    assert day == date(2026, 11, 17) and started == datetime(2026, 11, 18, tzinfo=NEW_YORK)
    assert _start("2026-11-17", NEW_YORK) == (day, started)


def test_a_stated_time_of_day_is_taken_in_the_account_zone() -> None:
    day, started = _start("2026-11-17 20:30:00", NEW_YORK)
    assert day == date(2026, 11, 17) and started == datetime(2026, 11, 17, 20, 30, tzinfo=NEW_YORK)


def test_no_start_is_unknown() -> None:
    assert _start("", NEW_YORK) == (None, None)
