"""verified_operations: an action that needs an unverified platform call is planned, not run live."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from guardrails.engine import evaluate, is_dry_run
from guardrails.rules.verification import verified_operations
from schemas.common import Outcome
from schemas.policy import EnabledOperation
from schemas.verification import CALLS, OPERATIONS, Verification, operation_status
from tests.unit.guardrails import factories as f

PAUSE_OPS = ("set_email_campaign_status", "set_email_campaign_status")  # forward pause, inverse resume
CHECKED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def enabled(*calls: str) -> tuple[EnabledOperation, ...]:
    return tuple(EnabledOperation(call=c, enabled_by="ops@acme.example", enabled_at=CHECKED,
                                  check="operator verify activecampaign --org org-acme, sandbox account") for c in calls)


def test_live_action_needing_a_guessed_path_is_planned_and_explained_not_run() -> None:
    ctx = f.email_pause_ctx(operations=PAUSE_OPS, live=True)
    result = verified_operations(ctx)
    assert result.outcome == Outcome.BLOCK
    assert "POST /api/3/campaigns/{campaign_id}/pause (guessed path)" in result.message
    assert "operator verify activecampaign --org" in result.message
    assert {c["call"] for c in result.observed["unverified_calls"]} == {
        "activecampaign.campaign_pause", "activecampaign.campaign_resume", "activecampaign.legacy_campaign_status"}
    verdict = evaluate(ctx)
    assert is_dry_run(verdict)  # planned: recorded as a dry run with the reason, never executed


def test_an_approval_does_not_unlock_it() -> None:
    verdict = evaluate(f.email_pause_ctx(operations=PAUSE_OPS, live=True), approved_by="boss@acme.example")
    assert "verified_operations" in verdict.rule_ids(Outcome.BLOCK)


def test_the_org_enables_the_checked_calls_and_only_those() -> None:
    org = f.policy(enabled_unverified_operations=enabled("activecampaign.campaign_pause",
                                                         "activecampaign.campaign_resume"))
    partly = verified_operations(f.email_pause_ctx(operations=PAUSE_OPS, live=True, policy=org))
    assert partly.outcome == Outcome.BLOCK and "legacy_campaign_status" in partly.message
    org = f.policy(enabled_unverified_operations=enabled("activecampaign.campaign_pause",
                                                         "activecampaign.campaign_resume",
                                                         "activecampaign.legacy_campaign_status"))
    assert verified_operations(f.email_pause_ctx(operations=PAUSE_OPS, live=True, policy=org)).outcome == Outcome.ALLOW


def test_sandbox_and_documented_operations_pass() -> None:
    assert verified_operations(f.email_pause_ctx(operations=PAUSE_OPS, live=False)).outcome == Outcome.ALLOW
    assert verified_operations(f.email_pause_ctx(operations=("enroll_contacts", "unenroll_contacts"),
                                                 live=True)).outcome == Outcome.ALLOW


def test_an_unknown_operation_counts_as_undocumented() -> None:
    assert operation_status("frobnicate") == Verification.UNDOCUMENTED
    assert verified_operations(f.email_pause_ctx(operations=("frobnicate",), live=True)).outcome == Outcome.BLOCK


def test_every_operation_model_has_a_registry_entry() -> None:
    from schemas.operations import Operation
    kinds = {model.model_fields["op"].default for model in Operation.__origin__.__args__}  # type: ignore[attr-defined]
    assert kinds == set(OPERATIONS)


def test_policy_refuses_unknown_calls_and_keeps_ones_documented_since() -> None:
    with pytest.raises(ValidationError, match="unknown platform call"):
        enabled("activecampaign.nope")
    assert CALLS["activecampaign.campaign_read"].verified and enabled("activecampaign.campaign_read")
