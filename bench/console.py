"""Benchmark: the web console's history and overview pages with 100,000 log rows for one organization.

Not a test: prints PASS/FAIL per target (p95 ≤ 300 ms per page) and exits non-zero on a FAIL.

The log is filled from the embedded default's own rows for org-acme (one run's real payloads), copied
as 50,000 actions of two rows each (EXECUTING, then a final status drawn from a realistic mix), spread
over 180 days; the pages are then requested through main.py's `approvals` entry point (functions-
framework's WSGI app, in-process, signed in as an admin), so the timing covers routing, identity, the
queries, templates and JSON.

    .venv/bin/python bench/console.py [--rows 100000] [--requests 40]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_MS = 300.0
STATUSES = [("EXECUTED", 40), ("MEASURED", 20), ("BLOCKED", 15), ("DRY_RUN", 8), ("PENDING_APPROVAL", 2),
            ("REJECTED", 3), ("ROLLED_BACK", 4), ("FAILED", 3), ("EXPIRED", 3), ("REJECTED_INPUT", 2)]


def fill(store: Any, org: str, rows: int, now: datetime) -> None:
    """Copy the org's real rows into `rows` new ones (two per action), through SQL (the trigger indexes them)."""
    rng = random.Random(17)
    with store.db.read() as conn:
        templates = [dict(r) for r in conn.execute("SELECT * FROM actions_log WHERE organization_id = ? "
                                                   "AND payload LIKE '%\"action\"%'", (org,))]
    columns = [c for c in templates[0] if c != "row_no"]
    population = [s for s, w in STATUSES for _ in range(w)]
    batch: list[tuple[Any, ...]] = []
    with store.db.write() as tx:
        for n in range(rows // 2):
            template = templates[n % len(templates)]
            at = now - timedelta(minutes=rng.randrange(180 * 24 * 60))
            action_id = f"act-bench{n:08d}"
            for seq, status in enumerate(("EXECUTING", rng.choice(population))):
                row = {**template, "action_id": action_id, "event_id": f"ev-bench{n:08d}-{seq}", "seq": seq,
                       "status": status, "run_id": f"run-bench-{n // 40:06d}",
                       "event_time": (at + timedelta(seconds=seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                       "opportunity_id": f"opp-bench-{n:08d}"}
                batch.append(tuple(row[c] for c in columns))
            if len(batch) >= 5000:
                tx.executemany(f"INSERT INTO actions_log ({', '.join(columns)}) VALUES "
                               f"({', '.join('?' for _ in columns)})", batch)
                batch.clear()
        if batch:
            tx.executemany(f"INSERT INTO actions_log ({', '.join(columns)}) VALUES "
                           f"({', '.join('?' for _ in columns)})", batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="operator-console-bench-"))
    for name in list(os.environ):
        if name.startswith(("OPERATOR_", "ANTHROPIC_")):
            del os.environ[name]
    from tests.http.console_util import SECRET, SIGNING_KEY, orgs_with_roles

    os.environ.update({"OPERATOR_HOME": str(home / "home"), "OPERATOR_SHARED_SECRET": SECRET,
                       "OPERATOR_APPROVAL_SIGNING_KEY": SIGNING_KEY,
                       "OPERATOR_ORGS_FILE": str(orgs_with_roles(home / "orgs.json"))})
    import logging

    logging.getLogger("operator").setLevel(logging.WARNING)
    from tests.http.console_util import Console

    console = Console(home / "home")
    console.run()
    started = time.perf_counter()
    fill(console.store, "org-acme", args.rows, datetime.now(UTC))
    with console.store.db.read() as conn:
        total = conn.execute("SELECT count(*) FROM actions_log WHERE organization_id = 'org-acme'").fetchone()[0]
    print(f"log rows for org-acme: {total:,} (filled in {time.perf_counter() - started:.1f} s)")
    client = console.client("ada@agency.example")
    pages = {
        "overview": ("/console/overview", {}),
        "history, first page": ("/console/actions", {}),
        "history, status filter": ("/console/actions", {"status": "FAILED"}),
        "history, type + time filter": ("/console/actions", {"type": "adjust_campaign_budget", "since": "30d"}),
        "history, search": ("/console/actions", {"q": "Widgets"}),
        "history, page 400": ("/console/actions", {"page": "400"}),
        "history as JSON": ("/console/actions", {"format": "json", "status": "EXECUTED"}),
    }
    failed = False
    for label, (path, params) in pages.items():
        timings = []
        for attempt in range(args.requests + 3):
            begin = time.perf_counter()
            answer = client.get(path, query_string=params)
            elapsed = (time.perf_counter() - begin) * 1000
            assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
            if attempt >= 3:  # warm-up: first-request template compilation
                timings.append(elapsed)
        p95 = statistics.quantiles(timings, n=20)[18]
        ok = p95 <= TARGET_MS
        failed |= not ok
        shown = re.sub(r"\s+", " ", label)
        print(f"  {'PASS' if ok else 'FAIL'}  {shown}: p95 {p95:.0f} ms, median {statistics.median(timings):.0f} ms "
              f"(target p95 <= {TARGET_MS:.0f} ms)")
    console.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
