"""Email-rate verdicts on hand-made counts (series verdicts: test_counterfactual_verdict.py)."""

from __future__ import annotations

from operator_ai.measurement.judge import judge_rate
from schemas.metrics import EmailCounts


def test_email_rates() -> None:
    thin = judge_rate("open_rate", EmailCounts(sends=5000, opens=1000), EmailCounts(sends=40, opens=20), alpha=0.05)
    assert thin.verdict == "inconclusive" and "too little data" in thin.reason
    up = judge_rate("open_rate", EmailCounts(sends=5000, opens=1000), EmailCounts(sends=2000, opens=500), alpha=0.05)
    assert up.verdict == "successful" and up.after["rate"] == 0.25 and "two-proportion" in (up.test or "")
    down = judge_rate("click_rate", EmailCounts(sends=5000, clicks=250), EmailCounts(sends=2000, clicks=40),
                      alpha=0.05)
    assert down.verdict == "failed" and down.before["rate"] == 0.05
    assert judge_rate("open_rate", EmailCounts(sends=1000, opens=200), EmailCounts(sends=1000, opens=205),
                      alpha=0.05).verdict == "inconclusive"


def test_the_recorded_form_is_plain_json() -> None:
    import json

    data = judge_rate("click_rate", EmailCounts(sends=5000, clicks=250), EmailCounts(sends=2000, clicks=140),
                      alpha=0.05).as_dict()
    assert json.loads(json.dumps(data))["verdict"] == "successful"
    assert set(data) >= {"verdict", "metric", "before", "after", "test", "p_value", "alpha", "reason", "guard"}
