"""bench/measurement.py is not a test (its targets need thousands of simulated actions), but it must keep
working: a tiny run over the 20-conversions-a-day cells prints the table and every target's line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_calibration_benchmark_runs_and_reports_every_target() -> None:
    done = subprocess.run([sys.executable, "bench/measurement.py", "--quick", "--sims", "4", "--null-sims", "4", "--volumes", "20",
                           "--processes", "1"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout
    assert done.returncode in (0, 1), (out[-3000:], done.stderr[-3000:])  # 4 actions a cell: rates are noise
    assert out.count("| D") == 24 and "median days to verdict" in out
    for target in ("false automatic rollback <= 5%", "false successful <= 5%", "power >= 80%"):
        assert sum(target in line and line.startswith(("PASS", "FAIL")) for line in out.splitlines()) == 1, target
