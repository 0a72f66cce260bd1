"""How sure we are of every platform call the Operator makes: one registry for all platforms.

Each platform operation (`schemas.operations`, by its `op` name) lists the calls it makes; each call carries
its verification status and the source it rests on. An operation is only as verified as its weakest call.
In live mode an action that needs an unverified call is planned and explained but not executed, until the
organization enables that call after checking it (`OrgPolicy.enabled_unverified_operations`; rule
`verified_operations`). Sources for ActiveCampaign: ../shared/reference/activecampaign-api.md (tags [V]/[D]/[C]/[I])
and the developers.activecampaign.com reference pages named in docs/activecampaign.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Verification(StrEnum):
    DOCUMENTED = "documented"  # method, path and body as the platform publishes them
    GUESSED_PATH = "guessed_path"  # the operation is documented; its method/path (or values) are our inference
    UNDOCUMENTED = "undocumented"  # nothing published: behaviour seen elsewhere or assumed


_RANK = {Verification.DOCUMENTED: 0, Verification.GUESSED_PATH: 1, Verification.UNDOCUMENTED: 2}


@dataclass(frozen=True)
class PlatformCall:
    key: str  # stable name, e.g. "activecampaign.campaign_pause" (what an org enables)
    platform: str
    method: str  # HTTP verb, or "RPC" for gRPC services
    path: str  # path template relative to the account's base URL, or the RPC name
    status: Verification
    source: str  # where the path/body comes from

    @property
    def verified(self) -> bool:
        return self.status == Verification.DOCUMENTED


@dataclass(frozen=True)
class OperationVerification:
    calls: tuple[str, ...]  # call keys this operation may make (forward path, fallbacks, verification reads)
    note: str = ""


def _ac(name: str, method: str, path: str, status: Verification, source: str) -> PlatformCall:
    return PlatformCall(f"activecampaign.{name}", "activecampaign", method, path, status, source)


def _gads(name: str, rpc: str) -> PlatformCall:
    return PlatformCall(f"google_ads.{name}", "google_ads", "RPC", rpc, Verification.DOCUMENTED,
                        f"google-ads 34.0.0 (API v26): the {rpc} method and its request/resource protos; the "
                        "fake judges masks, mutability and resource names by them (docs/google-ads.md)")


def _local(name: str, what: str) -> PlatformCall:
    return PlatformCall(f"content.{name}", "content", "LOCAL", what, Verification.DOCUMENTED,
                        "the Operator's own artifact store (connectors/content.py)")


_V, _D = Verification.DOCUMENTED, Verification.GUESSED_PATH
_REF = "reference §3"
_CALL_LIST: tuple[PlatformCall, ...] = (
    # ---------------------------------------------------------------- ActiveCampaign, documented ([V])
    _ac("users_me", "GET", "/api/3/users/me", _V, f"{_REF} §1.1 'Retrieve Logged-in User'"),
    _ac("campaign_read", "GET", "/api/3/campaigns/{campaign_id}", _V, f"{_REF} #1"),
    _ac("campaigns_list", "GET", "/api/3/campaigns", _V, f"{_REF} #2"),
    _ac("automations_list", "GET", "/api/3/automations", _V, f"{_REF} #18"),
    _ac("campaign_edit", "PUT", "/api/3/campaigns/{campaign_id}/edit", _V,
        f"{_REF} #5 (fields [V]; response shape and date format [I]: always re-read)"),
    _ac("campaign_messages_read", "GET", "/api/3/campaigns/{campaign_id}/campaignMessages", _V,
        "the path of campaign.links.campaignMessages in the documented campaign object (§3 #1)"),
    _ac("percentages_read", "GET", "/api/3/campaign/{campaign_id}/messages/percentages", _V,
        "reference page 'retrieve-the-split-percentages-of-a-campaign' (URL shown)"),
    _ac("message_read", "GET", "/api/3/messages/{message_id}", _V, f"{_REF} #7"),
    _ac("message_update", "PUT", "/api/3/messages/{message_id}", _V,
        f"{_REF} #6/#7 (body fields fromname, email, reply2, subject, preheader_text)"),
    _ac("message_delete", "DELETE", "/api/3/messages/{message_id}", _V, f"{_REF} #6"),
    _ac("automation_read", "GET", "/api/3/automations/{automation_id}", _V, f"{_REF} #18"),
    _ac("contacts_search", "GET", "/api/3/contacts", _V, f"{_REF} #17"),
    _ac("contact_read", "GET", "/api/3/contacts/{contact_id}", _V, f"{_REF} #17"),
    _ac("contact_lists_read", "GET", "/api/3/contacts/{contact_id}/contactLists", _V, f"{_REF} #22"),
    _ac("contact_automations_read", "GET", "/api/3/contacts/{contact_id}/contactAutomations", _V, f"{_REF} #16"),
    _ac("contact_automation_create", "POST", "/api/3/contactAutomations", _V, f"{_REF} #14"),
    _ac("contact_automation_delete", "DELETE", "/api/3/contactAutomations/{run_id}", _V, f"{_REF} #14"),
    # ---------------------------------------------------------------- ActiveCampaign, guessed ([D])
    _ac("campaign_message_attach", "POST", "/api/3/campaign/{campaign_id}/messages", _D,
        "page 'attach-a-message-to-a-campaign' (operation, body campaignMessage, copies the message; "
        "URL box not captured: path inferred from the percentages path)"),
    _ac("campaign_message_detach", "DELETE", "/api/3/campaign/{campaign_id}/messages/{campaign_message_id}", _D,
        "page 'detach-a-message-from-a-campaign' (deletes the message itself; URL box not captured)"),
    _ac("percentages_set", "PUT", "/api/3/campaign/{campaign_id}/messages/percentages", _D,
        "page 'set-the-split-percentages-of-a-campaign' (body messages[], positive integers; method inferred)"),
    _ac("campaign_pause", "POST", "/api/3/campaigns/{campaign_id}/pause", _D,
        "page 'pause-a-campaign' (2 -> 3, 200 succeeded 0|1; URL box not captured)"),
    _ac("campaign_resume", "POST", "/api/3/campaigns/{campaign_id}/resume", _D,
        "page 'resume-a-campaign' (3 -> 2; URL box not captured)"),
    _ac("legacy_campaign_status", "POST", "/admin/api.php?api_action=campaign_status", _D,
        f"{_REF} #23: action, params and api_key auth [V] (AC's PHP wrapper); status values 2/3 [C] only"),
    # ---------------------------------------------------------------- Google Ads (E keeps these current)
    _gads("campaign_mutate", "CampaignService.MutateCampaigns"),
    _gads("campaign_budget_mutate", "CampaignBudgetService.MutateCampaignBudgets"),
    _gads("campaign_criterion_mutate", "CampaignCriterionService.MutateCampaignCriteria"),
    _gads("ad_group_criterion_mutate", "AdGroupCriterionService.MutateAdGroupCriteria"),
    _gads("search", "GoogleAdsService.SearchStream"),
    # ---------------------------------------------------------------- content (our own store)
    _local("artifact_write", "ArtifactStore.put"),
    _local("artifact_archive", "ArtifactStore.archive"),
    _local("refresh_flag", "ArtifactStore.flag"),
)

CALLS: Mapping[str, PlatformCall] = MappingProxyType({call.key: call for call in _CALL_LIST})

_AC_CAMPAIGN_READS = ("activecampaign.campaign_read", "activecampaign.campaign_messages_read",
                      "activecampaign.message_read")

OPERATIONS: Mapping[str, OperationVerification] = MappingProxyType({
    "set_campaign_status": OperationVerification(("google_ads.campaign_mutate", "google_ads.search")),
    "set_budget_amount": OperationVerification(("google_ads.campaign_budget_mutate", "google_ads.search")),
    "add_negative_keywords": OperationVerification(("google_ads.campaign_criterion_mutate", "google_ads.search")),
    "remove_negative_keywords": OperationVerification(("google_ads.campaign_criterion_mutate",
                                                       "google_ads.search")),
    "set_keyword_bid": OperationVerification(("google_ads.ad_group_criterion_mutate", "google_ads.search")),
    "set_bidding_scheme": OperationVerification(("google_ads.campaign_mutate", "google_ads.search")),
    "create_subject_line_test": OperationVerification(
        (*_AC_CAMPAIGN_READS, "activecampaign.campaign_edit", "activecampaign.campaign_message_attach",
         "activecampaign.message_update", "activecampaign.percentages_set", "activecampaign.percentages_read",
         "activecampaign.campaign_message_detach", "activecampaign.message_delete"),
        "split first (edit type), then attach copies of the control, then subjects and shares"),
    "delete_subject_line_test": OperationVerification(
        (*_AC_CAMPAIGN_READS, "activecampaign.campaign_message_detach", "activecampaign.message_delete",
         "activecampaign.campaign_edit")),
    "set_send_time": OperationVerification(("activecampaign.campaign_read", "activecampaign.campaign_edit"),
                                           "scheduledDate format and edit-while-scheduled: re-read verifies"),
    "enroll_contacts": OperationVerification(
        ("activecampaign.contact_read", "activecampaign.contact_lists_read",
         "activecampaign.contact_automations_read", "activecampaign.contact_automation_create",
         "activecampaign.contact_automation_delete", "activecampaign.automation_read")),
    "unenroll_contacts": OperationVerification(
        ("activecampaign.contact_read", "activecampaign.contact_automations_read",
         "activecampaign.contact_automation_delete")),
    "set_email_campaign_status": OperationVerification(
        ("activecampaign.campaign_read", "activecampaign.campaign_pause", "activecampaign.campaign_resume",
         "activecampaign.legacy_campaign_status"),
        "v3 pause/resume, v1 campaign_status when the v3 path answers 404"),
    "store_artifact": OperationVerification(("content.artifact_write",)),
    "archive_artifact": OperationVerification(("content.artifact_archive",)),
    "set_refresh_flag": OperationVerification(("content.refresh_flag",)),
})


def calls_of(op_kind: str) -> tuple[PlatformCall, ...]:
    """The calls an operation may make; an operation the registry does not know makes an undocumented one."""
    entry = OPERATIONS.get(op_kind)
    if entry is None:
        return (PlatformCall(f"unknown.{op_kind}", "unknown", "?", op_kind, Verification.UNDOCUMENTED,
                             "not in schemas/verification.py"),)
    return tuple(CALLS[key] for key in entry.calls)


def operation_status(op_kind: str) -> Verification:
    """The weakest status among the operation's calls."""
    return max((call.status for call in calls_of(op_kind)), key=_RANK.__getitem__)


def unverified_calls(op_kinds: Iterable[str], enabled: Iterable[str] = ()) -> tuple[PlatformCall, ...]:
    """The not-documented calls these operations need that are not in `enabled`, each once, in order."""
    allowed = set(enabled)
    found: dict[str, PlatformCall] = {}
    for kind in op_kinds:
        for call in calls_of(kind):
            if not call.verified and call.key not in allowed:
                found.setdefault(call.key, call)
    return tuple(found.values())


def _check_registry() -> None:
    """Every call an operation names exists (a typo would silently make an operation look verified)."""
    for kind, entry in OPERATIONS.items():
        for key in entry.calls:
            if key not in CALLS:
                raise RuntimeError(f"verification registry: {kind} names unknown call {key}")


_check_registry()
