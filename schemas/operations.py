"""Platform operations: the small vocabulary connectors execute, forward and inverse alike.

An action becomes one or more operations (via the registry); a rollback plan is a list of operations.
Because inverses are plain data, a rollback is executed by the very same connector code path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter

from schemas.actions import BiddingScheme, NegativeKeyword
from schemas.common import FrozenModel, Money, Platform, ZonedDatetime


class SetCampaignStatus(FrozenModel):
    op: Literal["set_campaign_status"] = "set_campaign_status"
    customer_id: str
    campaign_id: str
    status: Literal["ENABLED", "PAUSED"]


class SetBudgetAmount(FrozenModel):
    op: Literal["set_budget_amount"] = "set_budget_amount"
    customer_id: str
    budget_id: str
    amount: Money


class AddNegativeKeywordsOp(FrozenModel):
    op: Literal["add_negative_keywords"] = "add_negative_keywords"
    customer_id: str
    campaign_id: str
    keywords: tuple[NegativeKeyword, ...]


class RemoveNegativeKeywordsOp(FrozenModel):
    """Remove campaign negatives we created: by resource name when known, else by text + match type."""

    op: Literal["remove_negative_keywords"] = "remove_negative_keywords"
    customer_id: str
    campaign_id: str
    keywords: tuple[NegativeKeyword, ...]
    resource_names: tuple[str, ...] = ()


class SetKeywordBid(FrozenModel):
    op: Literal["set_keyword_bid"] = "set_keyword_bid"
    customer_id: str
    ad_group_id: str
    criterion_id: str
    cpc_bid: Money | None  # None clears the keyword bid (inherit the ad group default)


class SetBiddingScheme(FrozenModel):
    op: Literal["set_bidding_scheme"] = "set_bidding_scheme"
    customer_id: str
    campaign_id: str
    scheme: BiddingScheme


class CreateSubjectLineTestOp(FrozenModel):
    op: Literal["create_subject_line_test"] = "create_subject_line_test"
    account_id: str
    campaign_id: str
    variants: tuple[str, ...]
    split_type: str
    test_percentage: int
    winner_wait_hours: int
    tag: str  # "op:<action_id>": a label for people and the sandbox; the live connector tracks messages by id
    # The campaign's messages when the plan was made (the control): anything else attached is not ours to
    # build on, and a retry recognises its own earlier work as the difference.
    existing_message_ids: tuple[str, ...] = ()


class DeleteSubjectLineTestOp(FrozenModel):
    """Remove exactly the variant messages a subject-line test created (by id, never by name).

    `message_ids` are the ids the create reported (recorded in the rollback plan); when the create's answer
    was lost they are empty and the variants are the campaign's messages not in `keep_message_ids` (the
    messages before the test, recorded in the write-ahead plan). A message in `keep_message_ids` is never
    deleted. With neither, the connector refuses: it cannot tell the test's messages apart."""

    op: Literal["delete_subject_line_test"] = "delete_subject_line_test"
    account_id: str
    campaign_id: str
    tag: str
    message_ids: tuple[str, ...] = ()
    keep_message_ids: tuple[str, ...] = ()


class SetSendTime(FrozenModel):
    op: Literal["set_send_time"] = "set_send_time"
    account_id: str
    campaign_id: str
    send_at: ZonedDatetime | None


class EnrollContacts(FrozenModel):
    op: Literal["enroll_contacts"] = "enroll_contacts"
    account_id: str
    automation_id: str
    contact_ids: tuple[str, ...]


class UnenrollContacts(FrozenModel):
    """Remove runs this action started: every active run of the automation for these contacts
    except the ones that existed before the action (`keep_run_ids`)."""

    op: Literal["unenroll_contacts"] = "unenroll_contacts"
    account_id: str
    automation_id: str
    contact_ids: tuple[str, ...]
    keep_run_ids: tuple[str, ...] = ()


class SetEmailCampaignStatus(FrozenModel):
    op: Literal["set_email_campaign_status"] = "set_email_campaign_status"
    account_id: str
    campaign_id: str
    status: Literal["paused", "sending"]  # never "stopped": that cannot be undone


class StoreArtifact(FrozenModel):
    op: Literal["store_artifact"] = "store_artifact"
    artifact_id: str
    kind: Literal["content_brief", "internal_links", "refresh_flag"]
    key: str  # url or topic
    title: str
    body: str  # Markdown
    data: dict[str, Any] = Field(default_factory=dict)


class ArchiveArtifact(FrozenModel):
    op: Literal["archive_artifact"] = "archive_artifact"
    artifact_id: str


class SetRefreshFlag(FrozenModel):
    op: Literal["set_refresh_flag"] = "set_refresh_flag"
    url: str
    flagged: bool
    reason: str | None = None


Operation = Annotated[
    Union[
        SetCampaignStatus,
        SetBudgetAmount,
        AddNegativeKeywordsOp,
        RemoveNegativeKeywordsOp,
        SetKeywordBid,
        SetBiddingScheme,
        CreateSubjectLineTestOp,
        DeleteSubjectLineTestOp,
        SetSendTime,
        EnrollContacts,
        UnenrollContacts,
        SetEmailCampaignStatus,
        StoreArtifact,
        ArchiveArtifact,
        SetRefreshFlag,
    ],
    Field(discriminator="op"),
]
OPERATION_ADAPTER: TypeAdapter[Operation] = TypeAdapter(Operation)
OPERATIONS_ADAPTER: TypeAdapter[tuple[Operation, ...]] = TypeAdapter(tuple[Operation, ...])


class OpBatch(FrozenModel):
    """The operations of one action; a connector applies them atomically where the platform allows."""

    key: str  # action id
    organization_id: str  # connectors enforce the org's account allowlist before any call
    platform: Platform
    account_id: str
    ops: tuple[Operation, ...]


class ErrorKind(StrEnum):
    RETRYABLE = "retryable"  # transient; nothing landed; safe to try again later
    RATE_LIMITED = "rate_limited"
    QUOTA = "quota"  # daily quota exhausted: do not hammer
    PERMANENT = "permanent"  # invalid request: fix before retrying
    AUTH = "auth"
    NOT_FOUND = "not_found"
    UNCERTAIN = "uncertain"  # may have landed: settle by reading, never re-send blindly


class ErrorInfo(FrozenModel):
    kind: ErrorKind
    message: str
    code: str | None = None
    retry_after_s: float | None = None
    request_id: str | None = None


# Keys connectors put in `ApplyResult.details` for what an apply created; the registry reads them to
# finalise rollback plans. One definition, so both sides of the contract agree.
DETAIL_RESOURCE_NAMES = "resource_names"  # Google Ads resource names of created negative criteria
DETAIL_MESSAGE_IDS = "message_ids"  # ActiveCampaign split-test messages created
DETAIL_CONTACT_AUTOMATION_IDS = "contact_automation_ids"  # ActiveCampaign contactAutomation runs started


class ApplyOutcome(StrEnum):
    APPLIED = "applied"
    VALIDATED = "validated"  # validate_only succeeded; nothing changed
    FAILED = "failed"  # nothing landed
    UNCERTAIN = "uncertain"


class ApplyResult(FrozenModel):
    key: str
    outcome: ApplyOutcome
    details: dict[str, Any] = Field(default_factory=dict)  # what landed, created resource names, ids
    request_ids: tuple[str, ...] = ()
    error: ErrorInfo | None = None
