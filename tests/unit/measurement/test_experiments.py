"""Subject-line experiments: built from the executed action, judged once when runtime and sample allow,
stored in the SQLite experiments table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.base import ExperimentStore
from connectors.local import LocalStore
from operator_ai.measurement import experiments as exp
from schemas.experiments import ExperimentStatus
from schemas.metrics import EmailCounts, MetricReading
from tests.unit.measurement.records import EXECUTED_AT, executed

ACTION = {"type": "create_subject_line_test", "target": {"account_id": "globex-mail", "campaign_id": "31"},
          "params": {"variants": ["Digest: 5 new sprockets", "Your December sprockets"], "split_type": "read",
                     "test_percentage": 20, "winner_wait_hours": 30}}
SNAPSHOT = {"email_campaign": {"campaign_id": "31", "subject": "December sprocket digest", "message_ids": ["31"]}}


def record(**overrides):  # type: ignore[no-untyped-def]
    fields = {"action": ACTION, "platform": "activecampaign", "snapshot": SNAPSHOT,
              "result": {"outcome": "applied", "details": {"message_ids": ["9001", "9002"]}}, **overrides}
    return executed("create_subject_line_test", **fields)


def started():  # type: ignore[no-untyped-def]
    experiment = exp.new_experiment(record(), EXECUTED_AT)
    assert experiment is not None
    return experiment


def test_an_experiment_is_built_from_the_executed_action() -> None:
    experiment = started()
    assert [(v.variant_id, v.control) for v in experiment.variants] == [("31", True), ("9001", False),
                                                                       ("9002", False)]
    assert experiment.variants[0].label == "December sprocket digest"
    # judged on clicks: ActiveCampaign's opens include Apple Mail Privacy Protection's machine opens
    assert experiment.primary_metric == "click_rate" and experiment.minimum_runtime_days == 2  # 30 h -> 2 days
    assert experiment.stop_rules.required_sends_per_variant > 10_000  # 3 % vs 3.75 %, alpha 0.025, power 0.8
    assert experiment.experiment_id == exp.experiment_id(record().action_id)
    clicks = exp.new_experiment(record(action={**ACTION, "params": {**ACTION["params"], "split_type": "click"}}),
                                EXECUTED_AT)
    assert clicks is not None and clicks.primary_metric == "click_rate"
    assert exp.new_experiment(record(result={"outcome": "applied"}), EXECUTED_AT) is None  # messages unknown


def test_opens_are_trusted_only_where_the_platform_filters_machine_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    assert exp.judged_metric("activecampaign") == "click_rate"
    monkeypatch.setitem(exp.MACHINE_OPENS_FILTERED, "activecampaign", True)
    assert exp.judged_metric("activecampaign") == "open_rate"
    assert exp.judged_metric("activecampaign", "click") == "click_rate"
    filtered = exp.new_experiment(record(), EXECUTED_AT)
    assert filtered is not None and filtered.primary_metric == "open_rate"


def test_the_real_connectors_details_name_the_control_and_the_new_subjects() -> None:
    details = {"message_ids": ["77"], "control_message_id": "12", "new_subjects": ["Your December sprockets"]}
    action = {**ACTION, "params": {**ACTION["params"], "variants": ["December sprocket digest",
                                                                    "Your December sprockets"]}}
    experiment = exp.new_experiment(record(action=action, result={"outcome": "applied", "details": details},
                                           snapshot={"email_campaign": {"subject": "December sprocket digest"}}),
                                    EXECUTED_AT)
    assert experiment is not None
    assert [(v.variant_id, v.label, v.control) for v in experiment.variants] == [
        ("12", "December sprocket digest", True), ("77", "Your December sprockets", False)]


def counts(n: int, *opens: int) -> dict[str, EmailCounts]:
    """Engagement per variant (opens and clicks alike: the experiment reads the one it is judged on)."""
    return {vid: EmailCounts(sends=n, opens=o, clicks=o) for vid, o in zip(("31", "9001", "9002"), opens,
                                                                          strict=True)}


def test_it_waits_for_runtime_and_sample_then_decides_once() -> None:
    experiment = started()
    need = experiment.stop_rules.required_sends_per_variant
    early = exp.evaluate(experiment, counts(need, 200, 200, 400), None, EXECUTED_AT + timedelta(days=1))
    assert early.status == ExperimentStatus.RUNNING and "minimum runtime" in early.results["reason"]
    later = EXECUTED_AT + timedelta(days=3)
    thin = exp.evaluate(experiment, counts(100, 20, 20, 40), None, later)
    assert thin.status == ExperimentStatus.RUNNING and "sample not reached: 100 of" in thin.results["reason"]
    decided = exp.evaluate(experiment, counts(need, int(need * 0.2), int(need * 0.2), int(need * 0.27)), None, later)
    assert decided.status == ExperimentStatus.DECIDED and decided.winner == "9002"
    assert decided.results["powered"] and decided.results["alpha_per_comparison"] == 0.025
    assert exp.evaluate(decided, counts(need, 0, 0, 0), None, later) is decided  # decided once


def test_no_detectable_difference_stops_without_a_winner() -> None:
    experiment = started()
    need = experiment.stop_rules.required_sends_per_variant
    stopped = exp.evaluate(experiment, counts(need, 300, 305, 310), None, EXECUTED_AT + timedelta(days=3))
    assert stopped.status == ExperimentStatus.STOPPED and stopped.winner is None
    assert "no variant beat every other" in stopped.results["reason"]


def test_a_campaign_that_finished_sending_is_judged_on_what_it_has() -> None:
    experiment = started()
    sent = MetricReading(key="c", read_at=EXECUTED_AT, cumulative=True, attributes={"status": "5"})
    result = exp.evaluate(experiment, counts(400, 40, 40, 160), sent, EXECUTED_AT + timedelta(days=3))
    assert result.status == ExperimentStatus.DECIDED and result.winner == "9002" and not result.results["powered"]
    timed_out = exp.evaluate(experiment, counts(400, 80, 82, 84), None, EXECUTED_AT + timedelta(days=15))
    assert timed_out.status == ExperimentStatus.STOPPED and "underpowered" in timed_out.results["reason"]


def test_the_action_verdict_follows_the_experiment() -> None:
    experiment = started()
    need = experiment.stop_rules.required_sends_per_variant
    later = EXECUTED_AT + timedelta(days=3)
    new_wins = exp.evaluate(experiment, counts(need, int(need * 0.2), int(need * 0.2), int(need * 0.27)), None, later)
    assert exp.judgement(new_wins, 0.05).verdict == "successful"
    old_wins = exp.evaluate(experiment, counts(need, int(need * 0.27), int(need * 0.2), int(need * 0.2)), None, later)
    judged = exp.judgement(old_wins, 0.05)
    assert judged.verdict == "failed" and "original subject line won" in judged.reason
    assert judged.before["variant"] == "31" and judged.as_dict()["experiment_status"] == "decided"
    assert exp.judgement(experiment, 0.05).verdict == "inconclusive"


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = LocalStore.open(tmp_path / "operator.sqlite")
    yield opened
    opened.close()


def test_the_sqlite_store_keeps_one_row_per_experiment(store: LocalStore) -> None:
    assert isinstance(store, ExperimentStore)
    experiment = started()
    store.put_experiment(experiment)
    assert store.get_experiment(experiment.experiment_id) == experiment
    decided = experiment.model_copy(update={"status": ExperimentStatus.DECIDED, "winner": "9001",
                                            "results": {"reason": "r"}, "updated_at": EXECUTED_AT})
    store.put_experiment(decided)
    assert store.list_experiments("org-acme") == [decided]
    assert store.list_experiments("org-acme", ExperimentStatus.RUNNING) == []
    assert store.list_experiments("org-globex") == [] and store.get_experiment("exp-none") is None
