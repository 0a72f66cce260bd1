"""Benchmark (not a test): N organizations x K opportunities through one scheduled run of the embedded
default, with a fixed latency added to every platform call.

    .venv/bin/python bench/run.py                       # 1,000 orgs x 10 actions, 50 ms per platform call
    .venv/bin/python bench/run.py --orgs 100 --latency-ms 20 --concurrency 16

The Operator runs as `operator run` does: one process, `org_concurrency` organizations at a time, SQLite
store. The Google Ads and ActiveCampaign sandboxes run as remote platforms in a process of their own
(bench/remote.py); the content platform is the Operator's own store. Reports wall time, platform round
trips per executed action, log writes per organization run, the Operator's peak RSS and `import main` in
a fresh interpreter (which must not load google.ads), each against its target with PASS/FAIL; the exit
status is 0 only when every target is met. The world (bench/world.py) is generated into a temporary
directory; setting it up is not timed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.probes import NOW, CountingLog, Slow  # noqa: E402
from bench.remote import PlatformServer, seed  # noqa: E402
from bench.world import write_world  # noqa: E402

TARGETS = {"wall_s": 60.0, "round_trips_per_action": 2.0, "import_main_s": 0.3, "peak_rss_mb": 512.0}


def import_main_seconds(runs: int = 5) -> tuple[float, list[str]]:
    """The fastest of `runs` fresh interpreters importing main, and any google.ads module it loaded."""
    code = ("import sys, time; t = time.perf_counter(); import main; d = time.perf_counter() - t; "
            "print(d); print(','.join(m for m in sys.modules if m.startswith('google.ads')))")
    best, loaded = float("inf"), []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                             env={k: v for k, v in os.environ.items() if not k.startswith("OPERATOR_")}).stdout
        lines = [*out.splitlines(), ""]
        best = min(best, float(lines[0]))
        loaded = [m for m in lines[1].split(",") if m]
    return best, loaded


def run(home: Path, orgs: int, actions: int, latency_ms: float, concurrency: int) -> dict[str, Any]:
    from operator_ai.orchestrator import Orchestrator
    from operator_ai.settings import Settings
    from operator_ai.wiring import build_services
    from schemas.common import Platform

    started = time.perf_counter()
    samples = write_world(home / "world", orgs, actions, NOW)
    seed(home / "platforms.sqlite", samples / "sandbox.json")
    server = PlatformServer(home / "platforms.sqlite")
    services = build_services(Settings(home=home / "home", samples_dir=samples, org_concurrency=concurrency),
                              clock=lambda: NOW)
    setup_s = time.perf_counter() - started
    remote = {p: server.connector(p) for p in (Platform.GOOGLE_ADS, Platform.ACTIVECAMPAIGN)}
    calls: Counter[str] = Counter()
    services.connectors = {p: Slow(c, latency_ms / 1000, calls)  # type: ignore[misc]
                           for p, c in {**services.connectors, **remote}.items()}
    log = CountingLog(services.log)
    services.log = log
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = Orchestrator(services).run()
        wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        services.close()
        server.close()
    executed = summary.counts.get("EXECUTED", 0)
    return {"setup_s": setup_s, "wall_s": wall_s, "cpu_s": cpu_s, "executed": executed, "counts": summary.counts,
            "errors": summary.errors, "calls": dict(calls),
            "round_trips_per_action": sum(calls.values()) / max(executed, 1),
            "log_writes_per_org": log.writes / max(orgs, 1), "log_rows_per_org": log.rows / max(orgs, 1),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def report(args: argparse.Namespace, result: dict[str, Any], import_s: float, google_ads: list[str]) -> bool:
    wanted = args.orgs * args.actions
    print(f"Operator benchmark: {args.orgs} orgs x {args.actions} actions, {args.latency_ms:g} ms per platform "
          f"call, org_concurrency {args.concurrency}, {os.cpu_count()} CPUs")
    print(f"  setup (world + seeding, not timed): {result['setup_s']:.1f} s")
    print(f"  executed {result['executed']} of {wanted}; statuses {result['counts']}; errors {len(result['errors'])}")
    print(f"  platform calls {result['calls']}")
    print(f"  Operator CPU time {result['cpu_s']:.1f} s ({result['cpu_s'] / max(args.orgs, 1) * 1000:.0f} ms per org)")
    print(f"  log writes per org run {result['log_writes_per_org']:.1f} ({result['log_rows_per_org']:.1f} rows)")
    ok = result["executed"] == wanted and not result["errors"]
    print(f"  {'PASS' if ok else 'FAIL'}  every action executed, no organization failed")
    for label, value, unit, target in [
            ("wall time of the run", result["wall_s"], "s", TARGETS["wall_s"]),
            ("platform round trips per executed action", result["round_trips_per_action"], "",
             TARGETS["round_trips_per_action"]),
            ("import main (fresh interpreter)", import_s, "s", TARGETS["import_main_s"]),
            ("peak RSS of the Operator", result["peak_rss_mb"], "MB", TARGETS["peak_rss_mb"])]:
        passed = value <= target
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'}  {label}: {value:.3f} {unit} (target <= {target:g} {unit})")
    ok &= not google_ads
    print(f"  {'FAIL' if google_ads else 'PASS'}  import main loads no google.ads module {google_ads or ''}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=10, help="opportunities (all executable) per organization")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added to every platform call")
    parser.add_argument("--concurrency", type=int, default=32, help="Settings.org_concurrency")
    parser.add_argument("--keep", type=Path, help="build the world here and keep it (default: a temp dir)")
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith(("OPERATOR_", "ANTHROPIC_"))]:
        del os.environ[name]  # the embedded default: SQLite, sandbox platforms, templates
    import_s, google_ads = import_main_seconds()
    with tempfile.TemporaryDirectory(prefix="operator-bench-") as tmp:
        result = run(args.keep or Path(tmp), args.orgs, args.actions, args.latency_ms, args.concurrency)
    return 0 if report(args, result, import_s, google_ads) else 1


if __name__ == "__main__":
    sys.exit(main())
