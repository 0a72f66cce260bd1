"""Calibration benchmark of the impact verdict (issue 14) — a benchmark, not a test.

    .venv/bin/python bench/measurement.py            # full grid, ~thousands of simulated actions per effect
    .venv/bin/python bench/measurement.py --quick    # smoke run (few simulations per cell)

Simulates accounts (bench/measurement_data.py: its own generator — overdispersion, weekday seasons, shared
drift, shared shocks, conversion lag, several campaigns per account) over the grid dispersion 1x/2x/3x x
drift on/off x shock on/off x lag on/off x 5/20/100 conversions a day, with no true effect and with
-30 %, -15 % and +20 %. Each simulated action runs the real verdict code (`operator_ai.measurement.verdict`:
`gate` day by day until the checkpoint is mature, then `judge_panel`) at the default checkpoints +24 h,
+72 h, +168 h, extended as production extends them by the action's measurement horizon
(`operator_ai.measurement.horizon.plan`, planned at the first checkpoint from the pre-period: weekly
checkpoints up to 28 days until the final test has the power to find a -30 % drop) — interim alpha
0.001, final 0.05; an interim `failed` ends the measurement, as in production — against a control summed
from the account's other campaigns. The action is one whose
conversions are expected not to fall (a budget increase, a bid-strategy change): `failed` = conversions
fell against the counterfactual.

Prints one table row per cell and PASS/FAIL per target; exits 0 only when every target holds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measurement_data import PRE_DAYS, Cell, simulate

CHECKPOINT_DAYS = (1, 3, 7)  # the default checkpoints +24 h, +72 h, +168 h (`--final-days` changes the last)
INTERIM_ALPHA, FINAL_ALPHA = 0.001, 0.05
LAG_DAYS = 3  # the org limit's default conversion-lag allowance
MIN_HARM_PCT = 10.0
EFFECTS = (0.0, -0.30, -0.15, 0.20)
DISPERSIONS, VOLUMES = (1.0, 2.0, 3.0), (5.0, 20.0, 100.0)
TARGET_FALSE_ROLLBACK, AIM_FALSE_ROLLBACK = 0.05, 0.02
TARGET_FALSE_SUCCESS = 0.05
TARGET_POWER = 0.80
HORIZON = True  # `--fixed`: the scheduled checkpoints only (the final at +7 d), to compare


@dataclass(frozen=True)
class Outcome:
    failed: np.ndarray  # bool per simulation
    rollback: np.ndarray
    successful: np.ndarray
    days: np.ndarray  # days after the execution day when the deciding verdict was written


def _all_windows() -> list[int]:
    """Every window length a checkpoint can have: the scheduled ones and each a horizon may add."""
    from operator_ai.measurement.horizon import MAX_FINAL_DAYS
    from operator_ai.measurement.windows import extension_days

    return [*CHECKPOINT_DAYS, *extension_days(CHECKPOINT_DAYS[-1], MAX_FINAL_DAYS)]


def _mature_days(windows: list[int]) -> dict[int, int]:
    """Per window length, the first day its checkpoint is judged: due at midnight after its window, then every
    daily run until the real `gate` finds it mature (nothing else gates in this benchmark)."""
    from datetime import date, timedelta

    from operator_ai.measurement.verdict import gate

    epoch, days = date(2026, 1, 5), {}
    for n in windows:
        last, today = PRE_DAYS + n, PRE_DAYS + n + 1
        while gate(after_last_day=epoch + timedelta(days=last), today=epoch + timedelta(days=today),
                   lag_days=LAG_DAYS, learning_status=None, changes=()) is not None:
            today += 1
        days[n] = today
    return days


def _judge_one(reads: dict[int, np.ndarray], days: dict[int, int], sim: int, spec: object) -> tuple[str, bool, int]:
    from operator_ai.measurement.horizon import plan
    from operator_ai.measurement.verdict import Panel, judge_panel
    from operator_ai.measurement.windows import extension_days
    from schemas.impact import ControlInfo

    exec_day = PRE_DAYS
    verdict, rollback, day = "inconclusive", False, 0
    windows, index, planned = list(CHECKPOINT_DAYS), 0, False
    while index < len(windows):
        n = windows[index]
        data = reads[n][sim]
        treated, control = data[0], data[1:].sum(axis=0)
        after = slice(exec_day + 1, exec_day + 1 + n)
        panel = Panel(treated_pre={"conversions": treated[:PRE_DAYS]}, treated_after={"conversions": treated[after]},
                      control_pre={"conversions": control[:PRE_DAYS]}, control_after={"conversions": control[after]},
                      control=ControlInfo(kind="campaigns", entities=("c1", "c2", "c3", "c4"), pre_days=PRE_DAYS),
                      before={}, after={})
        if not planned and HORIZON:  # as production: planned once, at the first judged checkpoint, from the pre-period
            horizon = plan(spec, panel, scheduled_days=CHECKPOINT_DAYS[-1])  # type: ignore[arg-type]
            windows += extension_days(CHECKPOINT_DAYS[-1], horizon.final_days)
            planned = True
        final = index == len(windows) - 1
        judged = judge_panel(spec, panel, alpha=FINAL_ALPHA if final else INTERIM_ALPHA,  # type: ignore[arg-type]
                             min_harm_pct=MIN_HARM_PCT)
        verdict, rollback, day = judged.verdict, bool(judged.extra.get("rollback_evidence")), days[n] - exec_day
        if final or verdict == "failed":
            break
        index += 1
    return verdict, rollback, day


def run_cell(args: tuple[Cell, float, int, int, tuple[int, ...], bool]) -> tuple[Cell, float, Outcome]:
    global CHECKPOINT_DAYS, HORIZON
    cell, effect, sims, seed, CHECKPOINT_DAYS, HORIZON = args
    from operator_ai.measurement.specs import MeasureSpec
    from schemas.metrics import MetricEntity

    spec = MeasureSpec("series", "conversions", "up", entity=MetricEntity.CAMPAIGN)
    accounts = simulate(cell, effect, sims, np.random.default_rng(seed))
    days = _mature_days(_all_windows())
    reads = {n: accounts.reported(today) for n, today in days.items()}
    results = [_judge_one(reads, days, s, spec) for s in range(sims)]
    verdicts = np.array([r[0] for r in results])
    return cell, effect, Outcome(failed=verdicts == "failed", rollback=np.array([r[1] for r in results]),
                                 successful=verdicts == "successful", days=np.array([r[2] for r in results]))


def _oracle_power(expected: float, dispersion: float, drop: float = 0.30, alpha: float = FINAL_ALPHA) -> float:
    """One-sided power of a test that knows the counterfactual mean and the variance (normal approximation)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha)
    harmed = expected * (1 - drop)
    return NormalDist().cdf((expected - harmed - z * (dispersion * expected) ** 0.5) / (dispersion * harmed) ** 0.5)


def _pct(values: np.ndarray) -> str:
    return f"{100.0 * values.mean():5.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few simulations per cell (smoke run)")
    parser.add_argument("--sims", type=int, default=None, help="simulations per cell and true effect")
    parser.add_argument("--null-sims", type=int, default=None, help="simulations per cell with no true effect (the "
                        "error-rate targets: a rate near 3 %% needs about a thousand to tell it from 5 %%)")
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--final-days", type=int, default=7, help="the final checkpoint's window (org limit "
                        "measurement_checkpoint_hours; the default is 7 days)")
    parser.add_argument("--volumes", type=float, nargs="+", default=list(VOLUMES))
    parser.add_argument("--dispersions", type=float, nargs="+", default=list(DISPERSIONS))
    parser.add_argument("--fixed", action="store_true", help="no measurement horizon: the final verdict at the "
                        "scheduled final checkpoint whatever the noise (how it was before the horizon)")
    args = parser.parse_args(argv)
    global CHECKPOINT_DAYS
    CHECKPOINT_DAYS = (1, 3, args.final_days)
    sims = args.sims or (30 if args.quick else 250)
    null_sims = args.null_sims or (30 if args.quick else 1000)
    cells = [Cell(d, drift, shock, lag, v) for d, drift, shock, lag, v in
             product(args.dispersions, (False, True), (False, True), (False, True), args.volumes)]
    tasks = [(cell, effect, null_sims if effect == 0.0 else sims, args.seed + 1000 * i + j, CHECKPOINT_DAYS,
              not args.fixed) for i, cell in enumerate(cells) for j, effect in enumerate(EFFECTS)]
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=args.processes) as pool:
        done = list(pool.map(run_cell, tasks, chunksize=4))
    elapsed = time.monotonic() - started
    table: dict[Cell, dict[float, Outcome]] = {}
    for cell, effect, outcome in done:
        table.setdefault(cell, {})[effect] = outcome
    total = sum(task[2] for task in tasks)
    print(f"# Measurement calibration: {len(cells)} cells x ({null_sims} simulated actions with no effect + "
          f"{len(EFFECTS) - 1} effects x {sims}) = {total:,} actions in {elapsed:.0f} s ({args.processes} processes)")
    print("| cell | false failed % | false auto-rollback % | false successful % | power -30 % (failed / rollback) "
          "| power -15 % | power +20 % | median days to verdict (none / -30 %) |")
    print("|---|---|---|---|---|---|---|---|")
    for cell in cells:
        row = table[cell]
        none, big, small, up = row[0.0], row[-0.30], row[-0.15], row[0.20]
        print(f"| {cell.label()} | {_pct(none.failed)} | {_pct(none.rollback)} | {_pct(none.successful)} | "
              f"{_pct(big.failed)} / {_pct(big.rollback)} | {_pct(small.failed)} | {_pct(up.successful)} | "
              f"{np.median(none.days):.0f} / {np.median(big.days):.0f} |")
    worst_rollback = max(table[c][0.0].rollback.mean() for c in cells)
    worst_success = max(table[c][0.0].successful.mean() for c in cells)
    power_cells = [c for c in cells if c.volume == 20.0]
    worst_power = min(table[c][-0.30].failed.mean() for c in power_cells) if power_cells else float("nan")
    pooled_power = float(np.mean([table[c][-0.30].failed.mean() for c in power_cells])) if power_cells else 0.0
    checks = [
        (f"false automatic rollback <= {TARGET_FALSE_ROLLBACK:.0%} in every no-effect cell (worst "
         f"{worst_rollback:.1%})", worst_rollback <= TARGET_FALSE_ROLLBACK),
        (f"false successful <= {TARGET_FALSE_SUCCESS:.0%} in every no-effect cell (worst {worst_success:.1%})",
         worst_success <= TARGET_FALSE_SUCCESS),
        (f"power >= {TARGET_POWER:.0%} to detect -30 % at 20 conversions/day by the final checkpoint in every 20/day "
         f"cell (worst {worst_power:.1%}, mean {pooled_power:.1%})", worst_power >= TARGET_POWER),
    ]
    print()
    for dispersion in args.dispersions:
        found = [c for c in cells if c.volume == 20.0 and c.dispersion == dispersion]
        if found:
            power = [table[c][-0.30].failed.mean() for c in found]
            days = np.concatenate([table[c][-0.30].days for c in found])
            print(f"info: -30 % at 20/day with dispersion {dispersion:g}x: power {min(power):.0%}-{max(power):.0%}, "
                  f"median {np.median(days):.0f} days to the verdict; a test that knew the counterfactual and the "
                  f"variance exactly would reach {_oracle_power(20.0 * CHECKPOINT_DAYS[-1], dispersion):.0%} in "
                  f"{CHECKPOINT_DAYS[-1]} days")
    print(f"aim: false automatic rollback <= {AIM_FALSE_ROLLBACK:.0%} (worst {worst_rollback:.1%}: "
          f"{'met' if worst_rollback <= AIM_FALSE_ROLLBACK else 'not met'})")
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
