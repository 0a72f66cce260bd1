"""A change whose outcome is unknown (the process died after the platform call) is settled by reading the
entity. A second change to the same entity before that — here a person's approval — is held back:
landing on top, it would make the first one impossible to settle."""

from __future__ import annotations

from pathlib import Path

from operator_ai.approvals import decide
from schemas.common import ActionStatus
from tests.faults.harness import Fault, samples_dir
from tests.faults.scenario import APPROVER, Scenario
from tests.fuzz.corpus import budget


def test_a_change_waits_until_the_one_before_it_on_the_same_entity_is_settled(scenario: Scenario,
                                                                               tmp_path: Path) -> None:
    samples = samples_dir(tmp_path / "samples", [budget("opp-first", {"change_pct": "15"})])  # 250 -> 287.50
    env = scenario.env(samples=samples, fault=Fault("apply_after", "crash"))
    assert scenario.run_until_crash(env)
    later = scenario.env(samples=samples)  # the dead run's lease still holds: the first cannot be settled yet
    later.services.extras["store"].load_opportunities([budget("opp-second", {"change_pct": "5"})])
    assert later.run().errors == ()
    latest = {r.opportunity_id: r for r in later.latest().values()}
    first, second = latest["opp-first"], latest["opp-second"]
    assert first.status == ActionStatus.EXECUTING  # landed, the answer lost with the process
    assert second.status == ActionStatus.PENDING_APPROVAL  # the unsettled change counts: cooldown
    decision = decide(later.services, second.action_id, approve=True, approver=APPROVER)
    assert decision.status == ActionStatus.BLOCKED.value and "no_unsettled_change" in decision.message
    assert scenario.ledger is not None and scenario.ledger.sent()[second.action_id] == 0
    env = scenario.recover()  # the next run settles the first by reading, then judges the second again
    latest = {r.opportunity_id: r for r in env.latest().values()}
    assert latest["opp-first"].status == ActionStatus.EXECUTED
    assert latest["opp-second"].status == ActionStatus.PENDING_APPROVAL  # a person decides again, on fresh state
    assert scenario.ledger.landed() == {first.action_id: 1}
