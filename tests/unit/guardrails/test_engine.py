"""The engine: every rule runs, in spec order, failing closed; approvals satisfy only needs_approval."""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from guardrails import engine
from guardrails.context import GuardrailContext
from guardrails.engine import DRY_RUN_RULES, RULE_IDS, RULES, evaluate, is_dry_run, run_rule
from schemas.common import AutonomyMode, Outcome, RolloutPhase
from schemas.policy import OrgPolicy
from schemas.verdict import RuleResult
from tests.unit.guardrails import factories as f

SPEC_ORDER = [
    "kill_switch",
    "autonomy",
    "rollout_phase",
    "approval_only_type",
    "confidence",
    "target_allowlist",
    "budget_increase_pct",
    "budget_cumulative_24h",
    "budget_decrease_floor",
    "daily_spend_cap",
    "reallocation_24h",
    "roas_floor_for_increase",
    "min_conversions_for_scale",
    "shared_budget",
    "pause_min_spend",
    "pause_has_conversions",
    "pause_min_runtime",
    "pause_high_spend",
    "brand_protection",
    "winner_protection",
    "bid_increase_pct",
    "negatives_protect_converters",
    "automation_volume",
    "irreversible",
    "hourly_rate",
    "daily_rate",
    "cooldown",
    "stale_data",
    "verified_operations",  # issue 15: unverified platform calls are not made live
    "tracking_hold",  # issue 14: not in the spec §3 table; after it
]

CONTEXTS: dict[str, Callable[[], GuardrailContext]] = {
    "budget_up": lambda: f.budget_ctx(100, 110),
    "budget_down": lambda: f.budget_ctx(100, 90),
    "bid_up": lambda: f.bid_ctx("1.00", "1.10"),
    "pause": f.pause_ctx,
    "negatives": lambda: f.negatives_ctx((("cheap", "PHRASE"),), (f.search_term("cheap widgets"),)),
    "automation": lambda: f.automation_ctx(3),
    "email_pause": f.email_pause_ctx,
    "brief": lambda: f.content_ctx(f.brief_action(topic="widgets")),
}


def test_rules_follow_the_spec_table() -> None:
    assert list(RULE_IDS) == SPEC_ORDER


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_healthy_actions_are_allowed_and_every_rule_reports(name: str) -> None:
    verdict = evaluate(CONTEXTS[name]())
    assert verdict.outcome == Outcome.ALLOW, verdict.summary()
    assert [r.rule_id for r in verdict.rules] == SPEC_ORDER
    json.dumps([r.model_dump(mode="json") for r in verdict.rules])  # observed values are plain JSON
    for result in verdict.rules:
        assert result.message
        if not result.applies:
            assert result.outcome == Outcome.ALLOW


def test_observed_decimals_are_strings() -> None:
    verdict = evaluate(f.budget_ctx(100, 110))
    budget = next(r for r in verdict.rules if r.rule_id == "budget_increase_pct")
    assert budget.observed["before"] == "100"
    assert budget.observed["change_pct"] == "10.00"


def test_a_raising_rule_blocks_with_the_error() -> None:
    def broken(ctx: GuardrailContext) -> RuleResult:
        raise ZeroDivisionError("boom")

    result = run_rule(broken, f.context())
    assert result.rule_id == "broken"
    assert result.outcome == Outcome.BLOCK
    assert "ZeroDivisionError: boom" in result.message
    assert result.observed == {"error": "ZeroDivisionError: boom"}


def test_evaluate_fails_closed_on_a_broken_context() -> None:
    ctx = dataclasses.replace(f.context(), limits=None)  # type: ignore[arg-type]
    verdict = evaluate(ctx, approved_by="jane@acme.example")
    assert verdict.outcome == Outcome.BLOCK
    assert "confidence" in verdict.rule_ids(Outcome.BLOCK)
    assert "AttributeError" in next(r.message for r in verdict.rules if r.rule_id == "confidence")


def test_extra_results_join_the_verdict() -> None:
    extra = RuleResult(rule_id="target_state", outcome=Outcome.BLOCK, message="campaign is removed")
    verdict = evaluate(f.context(), extra=[extra])
    assert verdict.outcome == Outcome.BLOCK
    assert verdict.rules[-1].rule_id == "target_state"


def test_approval_satisfies_needs_approval_only() -> None:
    supervised = f.context(org=f.policy(autonomy=AutonomyMode.SUPERVISED))
    assert evaluate(supervised).outcome == Outcome.NEEDS_APPROVAL
    approved = evaluate(supervised, approved_by="jane@acme.example")
    assert approved.outcome == Outcome.ALLOW
    assert approved.approved_by == "jane@acme.example"
    blocked = f.budget_ctx(100, 200, org=f.policy(autonomy=AutonomyMode.SUPERVISED))
    assert evaluate(blocked, approved_by="jane@acme.example").outcome == Outcome.BLOCK


def test_kill_switch_blocks_even_an_approved_action() -> None:
    ctx = f.context(kill_switch=f.kill_switch("org-acme"))
    verdict = evaluate(ctx, approved_by="jane@acme.example")
    assert verdict.outcome == Outcome.BLOCK
    assert verdict.rule_ids(Outcome.BLOCK) == ["kill_switch"]


@pytest.mark.parametrize(
    ("org", "dry_run"),
    [
        (f.policy(autonomy=AutonomyMode.ADVISORY), True),
        (f.policy(rollout_phase=RolloutPhase.SANDBOX), True),
        (f.policy(autonomy=AutonomyMode.ADVISORY, rollout_phase=RolloutPhase.SANDBOX), True),
        (f.policy(), False),
    ],
)
def test_dry_run_verdicts(org: OrgPolicy, dry_run: bool) -> None:
    verdict = evaluate(f.context(org=org))
    assert is_dry_run(verdict) is dry_run
    assert {"autonomy", "rollout_phase", "verified_operations"} == DRY_RUN_RULES


def test_a_real_block_is_not_a_dry_run() -> None:
    verdict = evaluate(f.budget_ctx(100, 200, org=f.policy(autonomy=AutonomyMode.ADVISORY)))
    assert set(verdict.rule_ids(Outcome.BLOCK)) == {"autonomy", "budget_increase_pct"}
    assert is_dry_run(verdict) is False


def test_every_rule_function_is_named_by_its_result() -> None:
    for rule in RULES:
        for make in CONTEXTS.values():
            assert rule(make()).rule_id == rule.__name__


RULES_DIR = Path(engine.__file__).parent / "rules"


def _attribute_chains(path: Path) -> set[str]:
    chains = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            chains.add(ast.unparse(node))
    return chains


def test_only_control_rules_read_the_action_type() -> None:
    for path in RULES_DIR.glob("*.py"):
        reads_type = any(chain.endswith("action.type") for chain in _attribute_chains(path))
        assert reads_type == (path.name == "control.py"), path.name


def test_rules_hold_no_numeric_thresholds() -> None:
    """Numbers live in limits.py: rule modules compare against ctx.limits, never against literals."""
    allowed = {0, 1, 2, 24, 100, 1_000_000, 86_400, 3_600_000_000}  # structure, units and windows
    for path in RULES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, int | float)
                and not isinstance(node.value, bool)
            ):
                assert node.value in allowed, f"{path.name}: literal {node.value}"
