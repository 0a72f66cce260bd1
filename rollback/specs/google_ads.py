"""Google Ads action specs: pause, budget, negatives, keyword bid, bidding strategy (spec §2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeVar

from rollback.specs._base import (
    BaseSpec,
    SpecError,
    detail_ids,
    missing_reason,
    money,
    number,
    require,
)
from schemas.actions import (
    Action,
    AddNegativeKeywords,
    AdjustCampaignBudget,
    AdjustKeywordBid,
    BiddingScheme,
    CampaignTarget,
    ChangeBidStrategy,
    NegativeKeyword,
    PauseCampaign,
)
from schemas.facts import ChangeFacts, negative_keyword_notation
from schemas.operations import (
    DETAIL_RESOURCE_NAMES,
    AddNegativeKeywordsOp,
    ApplyResult,
    Operation,
    RemoveNegativeKeywordsOp,
    SetBiddingScheme,
    SetBudgetAmount,
    SetCampaignStatus,
    SetKeywordBid,
)
from schemas.records import Reversibility, RollbackPlan
from schemas.snapshots import CampaignState, KeywordState, Snapshot, SnapshotPart

# Every Google Ads action also reads the outside changes to its entity (one change_event query per account
# and run): a person's recent change restarts the entity's cooldown.
CHANGES = SnapshotPart.CHANGES


def campaign_key(customer_id: str, campaign_id: str) -> str:
    return f"google_ads:{customer_id}:campaign:{campaign_id}"


class _CampaignAction(Protocol):
    @property
    def target(self) -> CampaignTarget: ...


C = TypeVar("C", bound=_CampaignAction)


class _CampaignSpec(BaseSpec[C]):
    """Actions whose target is one campaign."""

    def entity_key(self, action: Action) -> str:
        target = self.own(action).target
        return campaign_key(target.customer_id, target.campaign_id)

    def _request_fields(self, action: C) -> dict[str, Any]:
        return {"campaign_id": action.target.campaign_id}

    def _campaign(self, snapshot: Snapshot) -> CampaignState:
        return require(snapshot.campaign, "campaign")

    def _campaign_reason(self, action: C, snapshot: Snapshot) -> str | None:
        reason = missing_reason(snapshot, snapshot.campaign, f"campaign {action.target.campaign_id}")
        if reason is None and snapshot.campaign is not None and snapshot.campaign.status == "REMOVED":
            reason = f"campaign {action.target.campaign_id} is removed"
        return reason


# --------------------------------------------------------------------------- pause_campaign


class PauseCampaignSpec(_CampaignSpec[PauseCampaign]):
    parts: ClassVar = frozenset({SnapshotPart.ACCOUNT, SnapshotPart.CAMPAIGN, SnapshotPart.PERFORMANCE, CHANGES})

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is None and self._campaign(snapshot).status == "PAUSED":
            reason = f"campaign {own.target.campaign_id} is already paused: nothing to do"
        return reason

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        key = self.entity_key(action)
        return ChangeFacts(entity_key=key, campaign_key=key, is_pause=True, changes_campaign_spend=True)

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        return {"status": snapshot.campaign.status if snapshot.campaign else None}

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        target = self.own(action).target
        return (SetCampaignStatus(customer_id=target.customer_id, campaign_id=target.campaign_id, status="PAUSED"),)

    def _inverse(self, action: PauseCampaign, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        status = self._campaign(snapshot).status
        if status == "REMOVED":
            raise SpecError("a removed campaign cannot be paused or restored")
        target = action.target
        return (SetCampaignStatus(customer_id=target.customer_id, campaign_id=target.campaign_id, status=status),)

    def _expected(self, action: PauseCampaign, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"status": "PAUSED"}


# --------------------------------------------------------------------------- adjust_campaign_budget


class AdjustCampaignBudgetSpec(_CampaignSpec[AdjustCampaignBudget]):
    parts: ClassVar = frozenset(
        {SnapshotPart.ACCOUNT, SnapshotPart.CAMPAIGN, SnapshotPart.BUDGET, SnapshotPart.PERFORMANCE, CHANGES}
    )

    def _new_amount(self, action: AdjustCampaignBudget, snapshot: Snapshot) -> Decimal:
        return action.params.resolve(require(require(snapshot.budget, "budget").amount, "daily budget amount"))

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is not None:
            return reason
        if snapshot.budget is None:
            return f"campaign {own.target.campaign_id} has no budget in the snapshot"
        current = snapshot.budget.amount
        if snapshot.budget.period != "DAILY" or current is None:
            total = money(snapshot.budget.total_amount)
            return (f"budget {snapshot.budget.budget_id} of campaign {own.target.campaign_id} has a custom period "
                    f"({total or 'a'} total over the campaign's dates), not a daily amount: the Operator changes "
                    "daily budgets only")
        if money(own.params.resolve(current)) == money(current):
            return f"the daily budget is already {money(current)}: nothing to do"
        return None

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        own = self.own(action)
        key = self.entity_key(action)
        if snapshot.budget is None or snapshot.budget.amount is None:  # no daily amount: only an absolute target
            return ChangeFacts(entity_key=key, campaign_key=key, budget_after=own.params.new_daily_budget)
        before = snapshot.budget.amount
        after = self._new_amount(own, snapshot)
        return ChangeFacts(
            entity_key=key,
            campaign_key=key,
            budget_before=before,
            budget_after=after,
            spend_increasing=after > before,
            changes_campaign_spend=after < before,
        )

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        budget = snapshot.budget
        return {"budget_id": budget.budget_id if budget else None, "amount": money(budget.amount if budget else None)}

    def _op(self, action: AdjustCampaignBudget, snapshot: Snapshot, amount: Decimal) -> SetBudgetAmount:
        budget = require(snapshot.budget, "budget")
        return SetBudgetAmount(customer_id=action.target.customer_id, budget_id=budget.budget_id, amount=amount)

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        return (self._op(own, snapshot, self._new_amount(own, snapshot)),)

    def _inverse(self, action: AdjustCampaignBudget, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        return (self._op(action, snapshot, require(require(snapshot.budget, "budget").amount, "daily budget amount")),)

    def _expected(self, action: AdjustCampaignBudget, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        budget = require(snapshot.budget, "budget")
        return {"budget_id": budget.budget_id, "amount": money(self._new_amount(action, snapshot))}


# --------------------------------------------------------------------------- add_negative_keywords


def _negative_key(text: str, match_type: str) -> tuple[str, str]:
    """Google Ads compares keyword text case-insensitively with collapsed whitespace."""
    return " ".join(text.split()).casefold(), match_type.upper()


def _label(key: tuple[str, str]) -> str:
    return f"{key[1]}:{key[0]}"


class AddNegativeKeywordsSpec(_CampaignSpec[AddNegativeKeywords]):
    parts: ClassVar = frozenset({SnapshotPart.CAMPAIGN, SnapshotPart.NEGATIVES, SnapshotPart.SEARCH_TERMS, CHANGES})

    def _wanted(self, action: AddNegativeKeywords) -> dict[tuple[str, str], NegativeKeyword]:
        wanted: dict[tuple[str, str], NegativeKeyword] = {}
        for keyword in action.params.keywords:
            wanted.setdefault(_negative_key(keyword.text, keyword.match_type), keyword)
        return wanted

    def _new(self, action: AddNegativeKeywords, snapshot: Snapshot) -> tuple[NegativeKeyword, ...]:
        """The action's negatives the campaign does not have yet (dedupe: existing ones are dropped)."""
        existing = {_negative_key(n.text, n.match_type) for n in snapshot.negatives or ()}
        return tuple(kw for key, kw in self._wanted(action).items() if key not in existing)

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is None and snapshot.negatives is None:
            reason = f"the negatives of campaign {own.target.campaign_id} were not read"
        if reason is None and not self._new(own, snapshot):
            count = len(self._wanted(own))
            reason = f"all {count} negative keywords already exist on campaign {own.target.campaign_id}: nothing to do"
        return reason

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        own = self.own(action)
        key = self.entity_key(action)
        new = self._new(own, snapshot)
        return ChangeFacts(entity_key=key, campaign_key=key,
                           negative_keywords=tuple(negative_keyword_notation(kw.text, kw.match_type) for kw in new))

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        wanted = self._wanted(self.own(action))
        present = {_negative_key(n.text, n.match_type) for n in snapshot.negatives or ()}
        return {"negatives": sorted(_label(key) for key in present if key in wanted)}

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        target = own.target
        return (AddNegativeKeywordsOp(customer_id=target.customer_id, campaign_id=target.campaign_id,
                                      keywords=self._new(own, snapshot)),)

    def _inverse(self, action: AddNegativeKeywords, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        target = action.target
        return (RemoveNegativeKeywordsOp(customer_id=target.customer_id, campaign_id=target.campaign_id,
                                         keywords=self._new(action, snapshot)),)

    def _expected(self, action: AddNegativeKeywords, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"negatives": sorted(_label(key) for key in self._wanted(action))}

    def finalize_rollback_plan(self, plan: RollbackPlan, result: ApplyResult) -> RollbackPlan:
        """Remove exactly the criteria the apply created (by resource name) rather than by text."""
        names = detail_ids(result, DETAIL_RESOURCE_NAMES)
        if not names:
            return plan
        ops = tuple(op.model_copy(update={"resource_names": names}) if isinstance(op, RemoveNegativeKeywordsOp)
                    else op for op in plan.inverse_ops)
        return plan.model_copy(update={"inverse_ops": ops})


# --------------------------------------------------------------------------- adjust_keyword_bid


def _inherited(keyword: KeywordState) -> bool:
    """The keyword has no bid of its own: it uses the ad group default (rollback clears, never sets 0)."""
    return keyword.cpc_bid is None or keyword.bid_source != "CRITERION"


class AdjustKeywordBidSpec(BaseSpec[AdjustKeywordBid]):
    parts: ClassVar = frozenset({SnapshotPart.KEYWORD, CHANGES})

    def entity_key(self, action: Action) -> str:
        target = self.own(action).target
        return f"google_ads:{target.customer_id}:keyword:{target.ad_group_id}~{target.criterion_id}"

    def _request_fields(self, action: AdjustKeywordBid) -> dict[str, Any]:
        return {"ad_group_id": action.target.ad_group_id, "criterion_id": action.target.criterion_id}

    def _new_bid(self, action: AdjustKeywordBid, keyword: KeywordState) -> Decimal:
        return action.params.resolve(keyword.effective_cpc_bid)

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        name = f"keyword {own.target.ad_group_id}~{own.target.criterion_id}"
        reason = missing_reason(snapshot, snapshot.keyword, name)
        if reason is not None or snapshot.keyword is None:
            return reason
        keyword = snapshot.keyword
        if keyword.status == "REMOVED":
            return f"{name} is removed"
        if keyword.campaign_bidding_strategy != "manual_cpc" or keyword.bid_source == "CAMPAIGN_BIDDING_STRATEGY":
            return (f"{name}: keyword bids only apply under manual CPC; the campaign bids with "
                    f"{keyword.campaign_bidding_strategy}")
        if money(self._new_bid(own, keyword)) == money(keyword.effective_cpc_bid):
            return f"{name}: the bid is already {money(keyword.effective_cpc_bid)}: nothing to do"
        return None

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        own = self.own(action)
        key = self.entity_key(action)
        keyword = snapshot.keyword
        if keyword is None:
            return ChangeFacts(entity_key=key, bid_after=own.params.new_cpc_bid)
        before = keyword.effective_cpc_bid
        after = self._new_bid(own, keyword)
        return ChangeFacts(
            entity_key=key,
            campaign_key=campaign_key(own.target.customer_id, keyword.campaign_id),
            bid_before=before,
            bid_after=after,
            spend_increasing=after > before,
            changes_campaign_spend=after < before,
        )

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        keyword = snapshot.keyword
        if keyword is None:
            return {"cpc_bid": None, "bid_source": None}
        return {"cpc_bid": money(keyword.cpc_bid), "bid_source": keyword.bid_source}

    def _op(self, action: AdjustKeywordBid, bid: Decimal | None) -> SetKeywordBid:
        target = action.target
        return SetKeywordBid(customer_id=target.customer_id, ad_group_id=target.ad_group_id,
                             criterion_id=target.criterion_id, cpc_bid=bid)

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        return (self._op(own, self._new_bid(own, require(snapshot.keyword, "keyword"))),)

    def _inverse(self, action: AdjustKeywordBid, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        keyword = require(snapshot.keyword, "keyword")
        return (self._op(action, None if _inherited(keyword) else keyword.cpc_bid),)

    def _expected(self, action: AdjustKeywordBid, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        keyword = require(snapshot.keyword, "keyword")
        return {"cpc_bid": money(self._new_bid(action, keyword)), "bid_source": "CRITERION"}


# --------------------------------------------------------------------------- change_bid_strategy


def scheme_state(scheme: BiddingScheme) -> dict[str, Any]:
    return {
        "strategy": scheme.strategy,
        "target_cpa": money(scheme.target_cpa),
        "target_roas": number(scheme.target_roas),
        "cpc_bid_ceiling": money(scheme.cpc_bid_ceiling),
        "enhanced_cpc_enabled": scheme.enhanced_cpc_enabled,
    }


# What Google Ads no longer lets a campaign select as its own (standard) strategy, with the documented
# replacement (docs/google-ads.md names the sources).
_STANDARD_TARGETS_ON_SEARCH = {"target_cpa": "maximize_conversions with a target_cpa",
                               "target_roas": "maximize_conversion_value with a target_roas"}


def unselectable(scheme: BiddingScheme, channel: str | None) -> str | None:
    """Why Google Ads would refuse this scheme on a campaign of this channel (None: it may be set). An
    unknown channel is read as Search, the stricter case."""
    if scheme.enhanced_cpc_enabled:
        return "Enhanced CPC is no longer selectable for Search and Display campaigns (Google Ads Help 2390590)"
    if scheme.strategy in _STANDARD_TARGETS_ON_SEARCH and channel in (None, "SEARCH"):
        return (f"a standard {scheme.strategy} strategy can no longer be set on Search campaigns (Google Ads "
                f"Developer Blog, 2022); use {_STANDARD_TARGETS_ON_SEARCH[scheme.strategy]}")
    return None


class ChangeBidStrategySpec(_CampaignSpec[ChangeBidStrategy]):
    parts: ClassVar = frozenset({SnapshotPart.CAMPAIGN, CHANGES})

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is None and scheme_state(self._campaign(snapshot).bidding) == scheme_state(own.params):
            reason = (f"campaign {own.target.campaign_id} already bids with this {own.params.strategy} scheme: "
                      "nothing to do")
        if reason is None:
            refused = unselectable(own.params, self._campaign(snapshot).channel)
            reason = f"campaign {own.target.campaign_id}: {refused}" if refused else None
        return reason

    def _lost(self, snapshot: Snapshot) -> str | None:
        """Why the campaign's current strategy could not be restored by a rollback (None: it could)."""
        campaign = snapshot.campaign
        if campaign is None:
            return None
        refused = unselectable(campaign.bidding, campaign.channel)
        return f"the current {campaign.bidding.strategy} strategy cannot be restored: {refused}" if refused else None

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        key = self.entity_key(action)
        lost = self._lost(snapshot)
        if lost is None:
            return ChangeFacts(entity_key=key, campaign_key=key)
        return ChangeFacts(entity_key=key, campaign_key=key, reversibility=Reversibility.NONE,
                           irreversible_parts=(lost,))

    def rollback_plan(self, action: Action, snapshot: Snapshot, action_id: str) -> RollbackPlan:
        """A strategy Google no longer accepts cannot be rolled back to: the plan says so up front (and the
        `irreversible` rule sees it through the facts) instead of failing at rollback time."""
        plan = super().rollback_plan(action, snapshot, action_id)
        lost = self._lost(snapshot)
        if lost is None:
            return plan
        return plan.model_copy(update={"inverse_ops": (), "reversibility": Reversibility.NONE,
                                       "irreversible_parts": (lost,), "note": f"Not reversible: {lost}."})

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        return {"bidding": scheme_state(snapshot.campaign.bidding) if snapshot.campaign else None}

    def _op(self, action: ChangeBidStrategy, scheme: BiddingScheme) -> SetBiddingScheme:
        return SetBiddingScheme(customer_id=action.target.customer_id, campaign_id=action.target.campaign_id,
                                scheme=scheme)

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        return (self._op(own, own.params),)

    def _inverse(self, action: ChangeBidStrategy, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        return (self._op(action, self._campaign(snapshot).bidding),)

    def _expected(self, action: ChangeBidStrategy, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"bidding": scheme_state(action.params)}


GOOGLE_ADS_SPECS = (
    PauseCampaignSpec(PauseCampaign),
    AdjustCampaignBudgetSpec(AdjustCampaignBudget),
    AddNegativeKeywordsSpec(AddNegativeKeywords),
    AdjustKeywordBidSpec(AdjustKeywordBid),
    ChangeBidStrategySpec(ChangeBidStrategy),
)
