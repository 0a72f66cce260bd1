"""Benchmark (not a test): N organizations x K opportunities through one scheduled run of the embedded
default, with a fixed latency added to every platform call.

    .venv/bin/python bench/run.py                       # 1,000 orgs x 10 actions, 50 ms per platform call
    .venv/bin/python bench/run.py --orgs 100 --latency-ms 20 --processes 1 --concurrency 32

The Operator runs as `operator run --processes 2` does: the organizations dealt out to two worker processes,
`org_concurrency` organizations at a time in each, one SQLite store. The Google Ads and ActiveCampaign
sandboxes run as remote platforms in a process of their own (bench/remote.py); the content platform is the
Operator's own store. Reports wall time, CPU time (the Operator's processes, and the platforms' apart),
platform round trips per executed action, log writes per organization run, the peak RSS of any Operator
process and `import main` in a fresh interpreter (which must not load google.ads), each against its target
with PASS/FAIL; the exit status is 0 only when every target is met. The world (bench/world.py) is generated
into a temporary directory; setting it up is not timed.
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
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.probes import NOW, Fixed  # noqa: E402
from bench.remote import PlatformServer, instrument, seed  # noqa: E402
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


def run(home: Path, orgs: int, actions: int, latency_ms: float, concurrency: int, processes: int) -> dict[str, Any]:
    from operator_ai.orchestrator import Orchestrator
    from operator_ai.processes import run_in_processes
    from operator_ai.settings import Settings
    from operator_ai.wiring import build_services

    started = time.perf_counter()
    samples = write_world(home / "world", orgs, actions, NOW)
    seed(home / "platforms.sqlite", samples / "sandbox.json")
    server = PlatformServer(home / "platforms.sqlite")
    services = build_services(Settings(home=home / "home", samples_dir=samples, org_concurrency=concurrency),
                              clock=Fixed(NOW))
    setup_s = time.perf_counter() - started
    setup = partial(instrument, server.address, latency_ms / 1000)
    try:
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        platform_cpu_before = server.cpu_seconds()
        started, cpu_started = time.perf_counter(), time.process_time()
        if processes > 1:  # as `operator run --processes N`
            summary, reports = run_in_processes(services, processes=processes, worker_setup=setup)
        else:
            report_counts = setup(services)
            summary = Orchestrator(services).run()
            reports = [report_counts()]
        wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, reaped when their pool closed
        cpu_s += (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
        platform_cpu_s = server.cpu_seconds() - platform_cpu_before
    finally:
        services.close()
        server.close()
    executed = summary.counts.get("EXECUTED", 0)
    calls: Counter[str] = Counter()
    for counts in reports:
        calls.update(counts["calls"])
    writes, rows = sum(r["writes"] for r in reports), sum(r["rows"] for r in reports)
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children.ru_maxrss)
    return {"setup_s": setup_s, "wall_s": wall_s, "cpu_s": cpu_s, "platform_cpu_s": platform_cpu_s,
            "executed": executed, "counts": summary.counts,
            "errors": summary.errors, "calls": dict(calls),
            "round_trips_per_action": sum(calls.values()) / max(executed, 1),
            "log_writes_per_org": writes / max(orgs, 1), "log_rows_per_org": rows / max(orgs, 1),
            "peak_rss_mb": peak_kb / 1024}


def report(args: argparse.Namespace, result: dict[str, Any], import_s: float, google_ads: list[str]) -> bool:
    wanted = args.orgs * args.actions
    print(f"Operator benchmark: {args.orgs} orgs x {args.actions} actions, {args.latency_ms:g} ms per platform "
          f"call, {args.processes} process(es) x org_concurrency {args.concurrency}, {os.cpu_count()} CPUs")
    print(f"  setup (world + seeding, not timed): {result['setup_s']:.1f} s")
    print(f"  executed {result['executed']} of {wanted}; statuses {result['counts']}; errors {len(result['errors'])}")
    print(f"  platform calls {result['calls']}")
    per_org_ms = result["cpu_s"] / max(args.orgs, 1) * 1000
    print(f"  Operator CPU time (all its processes) {result['cpu_s']:.1f} s ({per_org_ms:.0f} ms per org)")
    print(f"  sandbox platforms' CPU time (their own process) {result['platform_cpu_s']:.1f} s")
    print(f"  log writes per org run {result['log_writes_per_org']:.1f} ({result['log_rows_per_org']:.1f} rows)")
    ok = result["executed"] == wanted and not result["errors"]
    print(f"  {'PASS' if ok else 'FAIL'}  every action executed, no organization failed")
    for label, value, unit, target in [
            ("wall time of the run", result["wall_s"], "s", TARGETS["wall_s"]),
            ("platform round trips per executed action", result["round_trips_per_action"], "",
             TARGETS["round_trips_per_action"]),
            ("import main (fresh interpreter)", import_s, "s", TARGETS["import_main_s"]),
            ("peak RSS of an Operator process", result["peak_rss_mb"], "MB", TARGETS["peak_rss_mb"])]:
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
    parser.add_argument("--concurrency", type=int, default=16, help="Settings.org_concurrency (per process)")
    parser.add_argument("--processes", type=int, default=2, help="as `operator run --processes` (1: one process)")
    parser.add_argument("--keep", type=Path, help="build the world here and keep it (default: a temp dir)")
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith(("OPERATOR_", "ANTHROPIC_"))]:
        del os.environ[name]  # the embedded default: SQLite, sandbox platforms, templates
    import_s, google_ads = import_main_seconds()
    with tempfile.TemporaryDirectory(prefix="operator-bench-") as tmp:
        result = run(args.keep or Path(tmp), args.orgs, args.actions, args.latency_ms, args.concurrency,
                     args.processes)
    return 0 if report(args, result, import_s, google_ads) else 1


if __name__ == "__main__":
    sys.exit(main())
