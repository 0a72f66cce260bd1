"""Rule results and the verdict: why the Operator did or did not act, with the numbers it saw."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from schemas.common import FrozenModel, Outcome


class RuleResult(FrozenModel):
    rule_id: str
    outcome: Outcome
    message: str
    observed: dict[str, Any] = Field(default_factory=dict)
    applies: bool = True  # False: the rule does not concern this action (recorded as allow)


class CheckResult(FrozenModel):
    """A pre-execution check (spec §4): run immediately before the platform call."""

    check_id: str
    passed: bool
    message: str
    observed: dict[str, Any] = Field(default_factory=dict)


class Verdict(FrozenModel):
    outcome: Outcome
    rules: tuple[RuleResult, ...]
    approved_by: str | None = None  # set when a human approval satisfied needs_approval results

    @classmethod
    def from_rules(cls, rules: tuple[RuleResult, ...] | list[RuleResult], approved_by: str | None = None) -> Verdict:
        """Strictest result wins; an approval satisfies `needs_approval`, never `block`."""
        rules = tuple(rules)
        worst = max((r.outcome for r in rules), key=lambda o: o.severity, default=Outcome.ALLOW)
        if worst == Outcome.NEEDS_APPROVAL and approved_by:
            worst = Outcome.ALLOW
        return cls(outcome=worst, rules=rules, approved_by=approved_by)

    def rule_ids(self, outcome: Outcome) -> list[str]:
        return [r.rule_id for r in self.rules if r.outcome == outcome]

    @property
    def blocking(self) -> list[RuleResult]:
        return [r for r in self.rules if r.outcome == Outcome.BLOCK]

    @property
    def needing_approval(self) -> list[RuleResult]:
        return [r for r in self.rules if r.outcome == Outcome.NEEDS_APPROVAL]

    def summary(self) -> str:
        if self.blocking:
            return "blocked by " + ", ".join(r.rule_id for r in self.blocking)
        if self.needing_approval and not self.approved_by:
            return "needs approval: " + ", ".join(r.rule_id for r in self.needing_approval)
        if self.approved_by:
            return f"allowed (approved by {self.approved_by})"
        return "allowed"
