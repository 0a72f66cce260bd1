"""Derived facts about an action and the org's recent history: plain data that rules judge.

The action registry (`rollback/registry.py`) computes `ChangeFacts`; the orchestrator builds
`PastAction`s from the log. Guardrails read both without branching on action types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from schemas.records import Reversibility


@dataclass(frozen=True)
class ChangeFacts:
    """What an action changes, in numbers, derived by the action registry from action + snapshot.

    Rules read these instead of branching on action types."""

    entity_key: str  # e.g. "google_ads:1234567890:campaign:111"
    campaign_key: str | None = None  # the campaign an action touches (brand/winner/cooldown scope)
    is_pause: bool = False
    budget_before: Decimal | None = None
    budget_after: Decimal | None = None
    bid_before: Decimal | None = None
    bid_after: Decimal | None = None
    spend_increasing: bool = False
    reversibility: Reversibility = Reversibility.FULL
    irreversible_parts: tuple[str, ...] = ()
    contact_count: int = 0
    negative_keywords: tuple[str, ...] = ()  # Google Ads notation: "[exact]", '"phrase"', bare text = broad
    changes_campaign_spend: bool = False  # pause or budget/bid cut on a campaign (brand/winner rules)

    @property
    def budget_change_pct(self) -> Decimal | None:
        if self.budget_before is None or self.budget_after is None or self.budget_before == 0:
            return None
        return ((self.budget_after - self.budget_before) / self.budget_before * 100).quantize(Decimal("0.01"))

    @property
    def bid_change_pct(self) -> Decimal | None:
        if self.bid_before is None or self.bid_after is None or self.bid_before == 0:
            return None
        return ((self.bid_after - self.bid_before) / self.bid_before * 100).quantize(Decimal("0.01"))

    @property
    def is_budget_increase(self) -> bool:
        before, after = self.budget_before, self.budget_after
        return before is not None and after is not None and after > before

    @property
    def is_budget_decrease(self) -> bool:
        before, after = self.budget_before, self.budget_after
        return before is not None and after is not None and after < before

    @property
    def is_bid_increase(self) -> bool:
        return self.bid_before is not None and self.bid_after is not None and self.bid_after > self.bid_before

    @property
    def is_bid_decrease(self) -> bool:
        return self.bid_before is not None and self.bid_after is not None and self.bid_after < self.bid_before


@dataclass(frozen=True)
class PastAction:
    """An action the Operator executed (or tried) for this org, from the log."""

    action_id: str
    action_type: str
    entity_key: str
    status: str  # latest status: EXECUTED, FAILED, ROLLED_BACK, ...
    at: datetime  # executed_at if it executed, else the time of its latest row
    executed: bool = False  # it changed the platform (even if rolled back since)
    campaign_key: str | None = None
    budget_before: Decimal | None = None
    budget_after: Decimal | None = None


def negative_keyword_notation(text: str, match_type: str) -> str:
    """How `ChangeFacts.negative_keywords` spells a keyword, so the guardrails know its match type:
    `[exact]`, `"phrase"`, bare text for broad (read as broad — the widest match — when unannotated)."""
    return {"EXACT": f"[{text}]", "PHRASE": f'"{text}"'}.get(match_type.upper(), text)
