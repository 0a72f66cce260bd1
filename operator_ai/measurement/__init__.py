"""Impact measurement (spec §8): checkpoint verdicts, experiments and automatic rollback on regression.

`measure_due(services, run_id)` runs at the end of every scheduled run; see `runner.py` for the flow,
`specs.py` for what each action type is judged on, `judge.py` and `stats.py` for the tests, and
`experiments.py` for subject-line tests. docs/measurement.md explains the statistics.
"""

from operator_ai.measurement.runner import experiment_store, measure_due
from operator_ai.measurement.specs import SPECS, MeasureSpec

__all__ = ["SPECS", "MeasureSpec", "experiment_store", "measure_due"]
