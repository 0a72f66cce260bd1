"""The twelve executable action types (spec §2) as one discriminated union.

Each model is pure data: `type`, a typed `target` and typed `params`. Per-type behaviour (snapshot,
operations, inverse, reversibility) lives in the action registry (`rollback/registry.py`), so nothing
else branches on the type string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Union

from pydantic import EmailStr, Field, StringConstraints, TypeAdapter, model_validator

from schemas.common import (
    CustomerId,
    FrozenModel,
    Money,
    NumericId,
    Percent,
    Platform,
    ShortText,
    Url,
    ZonedDatetime,
)

AcAccountId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Keyword = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f<>]+$")]
SubjectLine = Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=r"^[^\x00-\x1f]+$")]


# --------------------------------------------------------------------------- targets


class CampaignTarget(FrozenModel):
    customer_id: CustomerId
    campaign_id: NumericId


class KeywordTarget(FrozenModel):
    customer_id: CustomerId
    ad_group_id: NumericId
    criterion_id: NumericId


class EmailCampaignTarget(FrozenModel):
    account_id: AcAccountId
    campaign_id: NumericId


class AutomationTarget(FrozenModel):
    account_id: AcAccountId
    automation_id: NumericId


class ContentTarget(FrozenModel):
    """A content action targets a page (`url`) or, for briefs only, a `topic`."""

    url: Url | None = None
    topic: ShortText | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ContentTarget:
        if not self.url and not self.topic:
            raise ValueError("content target needs a url or a topic")
        return self


class PageTarget(FrozenModel):
    url: Url


# --------------------------------------------------------------------------- params


class NoParams(FrozenModel):
    pass


class _AmountOrPct(FrozenModel):
    """Exactly one of an absolute new value or a relative change in percent."""

    change_pct: Percent | None = None

    def _check_one(self, absolute: Decimal | None, name: str) -> None:
        if (absolute is None) == (self.change_pct is None):
            raise ValueError(f"give exactly one of {name} or change_pct")

    def resolve(self, current: Decimal) -> Decimal:
        absolute = self._absolute()
        if absolute is not None:
            return absolute
        assert self.change_pct is not None
        return (current * (Decimal(100) + self.change_pct) / Decimal(100)).quantize(Decimal("0.01"))

    def _absolute(self) -> Decimal | None:  # pragma: no cover - overridden
        raise NotImplementedError


class BudgetParams(_AmountOrPct):
    new_daily_budget: Money | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> BudgetParams:
        self._check_one(self.new_daily_budget, "new_daily_budget")
        return self

    def _absolute(self) -> Decimal | None:
        return self.new_daily_budget


class BidParams(_AmountOrPct):
    new_cpc_bid: Money | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> BidParams:
        self._check_one(self.new_cpc_bid, "new_cpc_bid")
        return self

    def _absolute(self) -> Decimal | None:
        return self.new_cpc_bid


class NegativeKeyword(FrozenModel):
    text: Keyword
    match_type: Literal["EXACT", "PHRASE", "BROAD"] = "EXACT"


class NegativeKeywordParams(FrozenModel):
    keywords: tuple[NegativeKeyword, ...] = Field(min_length=1, max_length=50)


BiddingStrategyName = Literal[
    "manual_cpc",
    "maximize_conversions",
    "maximize_conversion_value",
    "target_cpa",
    "target_roas",
    "target_spend",
]


class BiddingScheme(FrozenModel):
    """A campaign's standard bidding scheme and the fields we support for it."""

    strategy: BiddingStrategyName
    target_cpa: Money | None = None
    target_roas: Annotated[Decimal, Field(allow_inf_nan=False, gt=0, le=1000)] | None = None
    cpc_bid_ceiling: Money | None = None
    enhanced_cpc_enabled: bool | None = None

    @model_validator(mode="after")
    def _fields_fit_strategy(self) -> BiddingScheme:
        allowed = {
            "manual_cpc": {"enhanced_cpc_enabled"},
            "maximize_conversions": {"target_cpa"},
            "maximize_conversion_value": {"target_roas"},
            "target_cpa": {"target_cpa"},
            "target_roas": {"target_roas"},
            "target_spend": {"cpc_bid_ceiling"},
        }[self.strategy]
        given = {name for name in ("target_cpa", "target_roas", "cpc_bid_ceiling", "enhanced_cpc_enabled")
                 if getattr(self, name) is not None}
        extra = given - allowed
        if extra:
            raise ValueError(f"{self.strategy} does not take {sorted(extra)}")
        if self.strategy == "target_cpa" and self.target_cpa is None:
            raise ValueError("target_cpa needs target_cpa")
        if self.strategy == "target_roas" and self.target_roas is None:
            raise ValueError("target_roas needs target_roas")
        return self


class SubjectLineTestParams(FrozenModel):
    variants: tuple[SubjectLine, ...] = Field(min_length=2, max_length=5)
    split_type: Literal["even", "read", "click"] = "read"
    test_percentage: int = Field(default=20, ge=10, le=100)
    winner_wait_hours: int = Field(default=4, ge=1, le=168)

    @model_validator(mode="after")
    def _distinct(self) -> SubjectLineTestParams:
        if len({v.casefold() for v in self.variants}) != len(self.variants):
            raise ValueError("subject-line variants must be distinct")
        return self


class SendTimeParams(FrozenModel):
    send_at: ZonedDatetime


class AutomationParams(FrozenModel):
    contact_ids: tuple[NumericId, ...] = ()
    contact_emails: tuple[EmailStr, ...] = ()

    @model_validator(mode="after")
    def _one_list(self) -> AutomationParams:
        count = len(self.contact_ids) + len(self.contact_emails)
        if bool(self.contact_ids) == bool(self.contact_emails):
            raise ValueError("give exactly one of contact_ids or contact_emails")
        if count > 10_000:
            raise ValueError("at most 10,000 contacts per action")
        if len(set(self.contact_ids)) != len(self.contact_ids) or len(
            {e.lower() for e in self.contact_emails}
        ) != len(self.contact_emails):
            raise ValueError("contacts must not repeat")
        return self


class ContentBriefParams(FrozenModel):
    keyword: ShortText | None = None
    audience: ShortText | None = None
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None


class InternalLink(FrozenModel):
    from_url: Url
    to_url: Url
    anchor: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class InternalLinkParams(FrozenModel):
    links: tuple[InternalLink, ...] = Field(min_length=1, max_length=100)


class RefreshParams(FrozenModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


# --------------------------------------------------------------------------- actions


class _Action(FrozenModel):
    platform: ClassVar[Platform]

    def account_id(self) -> str:
        """The platform account this action touches (for allowlists and per-account batching)."""
        target = getattr(self, "target")  # noqa: B009 - each subclass declares its own target type
        for name in ("customer_id", "account_id"):
            if hasattr(target, name):
                return str(getattr(target, name))
        return "content"


class PauseCampaign(_Action):
    platform: ClassVar[Platform] = Platform.GOOGLE_ADS
    type: Literal["pause_campaign"] = "pause_campaign"
    target: CampaignTarget
    params: NoParams = NoParams()


class AdjustCampaignBudget(_Action):
    platform: ClassVar[Platform] = Platform.GOOGLE_ADS
    type: Literal["adjust_campaign_budget"] = "adjust_campaign_budget"
    target: CampaignTarget
    params: BudgetParams


class AddNegativeKeywords(_Action):
    platform: ClassVar[Platform] = Platform.GOOGLE_ADS
    type: Literal["add_negative_keywords"] = "add_negative_keywords"
    target: CampaignTarget
    params: NegativeKeywordParams


class AdjustKeywordBid(_Action):
    platform: ClassVar[Platform] = Platform.GOOGLE_ADS
    type: Literal["adjust_keyword_bid"] = "adjust_keyword_bid"
    target: KeywordTarget
    params: BidParams


class ChangeBidStrategy(_Action):
    platform: ClassVar[Platform] = Platform.GOOGLE_ADS
    type: Literal["change_bid_strategy"] = "change_bid_strategy"
    target: CampaignTarget
    params: BiddingScheme


class CreateSubjectLineTest(_Action):
    platform: ClassVar[Platform] = Platform.ACTIVECAMPAIGN
    type: Literal["create_subject_line_test"] = "create_subject_line_test"
    target: EmailCampaignTarget
    params: SubjectLineTestParams


class AdjustSendTime(_Action):
    platform: ClassVar[Platform] = Platform.ACTIVECAMPAIGN
    type: Literal["adjust_send_time"] = "adjust_send_time"
    target: EmailCampaignTarget
    params: SendTimeParams


class TriggerAutomation(_Action):
    platform: ClassVar[Platform] = Platform.ACTIVECAMPAIGN
    type: Literal["trigger_automation"] = "trigger_automation"
    target: AutomationTarget
    params: AutomationParams


class PauseEmailCampaign(_Action):
    platform: ClassVar[Platform] = Platform.ACTIVECAMPAIGN
    type: Literal["pause_email_campaign"] = "pause_email_campaign"
    target: EmailCampaignTarget
    params: NoParams = NoParams()


class GenerateContentBrief(_Action):
    platform: ClassVar[Platform] = Platform.CONTENT
    type: Literal["generate_content_brief"] = "generate_content_brief"
    target: ContentTarget
    params: ContentBriefParams = ContentBriefParams()


class SuggestInternalLinks(_Action):
    platform: ClassVar[Platform] = Platform.CONTENT
    type: Literal["suggest_internal_links"] = "suggest_internal_links"
    target: PageTarget
    params: InternalLinkParams


class FlagContentRefresh(_Action):
    platform: ClassVar[Platform] = Platform.CONTENT
    type: Literal["flag_content_refresh"] = "flag_content_refresh"
    target: PageTarget
    params: RefreshParams


Action = Annotated[
    Union[
        PauseCampaign,
        AdjustCampaignBudget,
        AddNegativeKeywords,
        AdjustKeywordBid,
        ChangeBidStrategy,
        CreateSubjectLineTest,
        AdjustSendTime,
        TriggerAutomation,
        PauseEmailCampaign,
        GenerateContentBrief,
        SuggestInternalLinks,
        FlagContentRefresh,
    ],
    Field(discriminator="type"),
]

ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
ACTION_MODELS: dict[str, type[_Action]] = {
    model.model_fields["type"].default: model
    for model in (
        PauseCampaign,
        AdjustCampaignBudget,
        AddNegativeKeywords,
        AdjustKeywordBid,
        ChangeBidStrategy,
        CreateSubjectLineTest,
        AdjustSendTime,
        TriggerAutomation,
        PauseEmailCampaign,
        GenerateContentBrief,
        SuggestInternalLinks,
        FlagContentRefresh,
    )
}
ACTION_TYPES: tuple[str, ...] = tuple(ACTION_MODELS)

# Kinds from the original design that the Operator never performs: recorded, queued for a person.
APPROVAL_ONLY_KINDS: frozenset[str] = frozenset(
    {"create_campaign", "create_automation", "change_segment", "change_list", "edit_cms"}
)


def parse_action(data: object) -> Action:
    """Validate a raw action dict into its typed model (raises pydantic.ValidationError)."""
    return ACTION_ADAPTER.validate_python(data)
