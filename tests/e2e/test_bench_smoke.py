"""bench/run.py is not a test (its targets are for a quiet 2-CPU machine), but it must keep working: a
tiny run through both modes (one process, two) executes everything and reports every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("processes", ["1", "2"])
def test_the_benchmark_runs_and_reports_every_figure(processes: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    done = subprocess.run([sys.executable, "bench/run.py", "--orgs", "6", "--actions", "3", "--latency-ms", "1",
                           "--processes", processes, "--concurrency", "2"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout
    assert done.returncode == 0, (out[-3000:], done.stderr[-3000:])
    assert f"{processes} process(es)" in out and "executed 18 of 18" in out
    for figure in ("wall time of the run", "platform round trips per executed action", "import main",
                   "peak RSS of an Operator process", "sandbox platforms' CPU time", "log writes per org run"):
        assert figure in out, figure
    assert "FAIL" not in out
