"""Per type: the forward operations produce `expected_state`, and the inverse restores `before_state`."""

from __future__ import annotations

import pytest

from rollback.registry import spec_for
from schemas.actions import ACTION_TYPES
from schemas.operations import OpBatch
from tests.unit.rollback.fakes import connectors_for
from tests.unit.rollback.scenarios import NOW, ORG, action_id, observed, scenario


@pytest.mark.parametrize("action_type", ACTION_TYPES)
def test_operations_then_inverse_restore_the_state_before(action_type: str) -> None:
    world, action = scenario(action_type)
    connectors = connectors_for(world)
    spec = spec_for(action)
    platform = connectors[spec.platform]
    act = action_id(1)
    request = spec.snapshot_request(action, act, 14, ORG)
    snapshot = platform.snapshot(request.account_id, [request], NOW)[act]
    assert spec.validate_against(action, snapshot, NOW) is None

    plan = spec.rollback_plan(action, snapshot, act)
    assert plan.before_state == spec.observed_state(action, snapshot)
    assert plan.expected_state != plan.before_state  # the action changes what it says it changes
    assert plan.inverse_ops

    forward = OpBatch(key=act, organization_id=ORG, platform=spec.platform, account_id=action.account_id(),
                      ops=spec.operations(action, snapshot, act))
    result = platform.apply(forward.account_id, [forward])[0]
    assert observed(connectors, action) == plan.expected_state

    plan = spec.finalize_rollback_plan(plan, result)
    inverse = forward.model_copy(update={"ops": plan.inverse_ops})
    platform.apply(inverse.account_id, [inverse])
    assert observed(connectors, action) == plan.before_state


def test_negatives_rollback_removes_only_what_it_created_by_resource_name() -> None:
    world, action = scenario("add_negative_keywords")
    connectors = connectors_for(world)
    spec = spec_for(action)
    act = action_id(2)
    request = spec.snapshot_request(action, act, 14, ORG)
    snapshot = connectors[spec.platform].snapshot(request.account_id, [request], NOW)[act]
    plan = spec.rollback_plan(action, snapshot, act)
    (remove,) = plan.inverse_ops
    assert remove.resource_names == ()  # type: ignore[union-attr]
    assert [k.text for k in remove.keywords] == ["cheap widgets", "diy widgets"]  # type: ignore[union-attr]
    batch = OpBatch(key=act, organization_id=ORG, platform=spec.platform, account_id=action.account_id(),
                    ops=spec.operations(action, snapshot, act))
    result = connectors[spec.platform].apply(batch.account_id, [batch])[0]
    (remove,) = spec.finalize_rollback_plan(plan, result).inverse_ops
    assert remove.resource_names == tuple(result.details["resource_names"])  # type: ignore[union-attr]
    assert len(remove.resource_names) == 2  # type: ignore[union-attr]
    assert "~1" not in "".join(remove.resource_names)  # type: ignore[union-attr]  # the pre-existing one stays


def test_finalize_records_created_ids_in_the_note() -> None:
    for action_type, fragment in (("create_subject_line_test", "Split-test messages created: "),
                                  ("trigger_automation", "Automation runs started: ")):
        world, action = scenario(action_type)
        connectors = connectors_for(world)
        spec = spec_for(action)
        act = action_id(3)
        request = spec.snapshot_request(action, act, 14, ORG)
        snapshot = connectors[spec.platform].snapshot(request.account_id, [request], NOW)[act]
        batch = OpBatch(key=act, organization_id=ORG, platform=spec.platform, account_id=action.account_id(),
                        ops=spec.operations(action, snapshot, act))
        result = connectors[spec.platform].apply(batch.account_id, [batch])[0]
        plan = spec.finalize_rollback_plan(spec.rollback_plan(action, snapshot, act), result)
        assert fragment in plan.note
        assert all(i in plan.note for i in next(iter(result.details.values())))
