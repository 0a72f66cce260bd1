"""ActiveCampaign action specs: subject-line test, send time, automation enrolment, pause (spec §2).

Campaign statuses: 0 draft, 1 scheduled, 2 sending, 3 paused, 4 stopped, 5 completed, 6 disabled.
A split test or a send-time change can only be undone while nothing has been sent; "stop" (4) is never
used because it cannot be undone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from rollback.specs._base import BaseSpec, append_note, detail_ids, missing_reason, require, when
from schemas.actions import (
    Action,
    AdjustSendTime,
    CreateSubjectLineTest,
    EmailCampaignTarget,
    PauseEmailCampaign,
    TriggerAutomation,
)
from schemas.facts import ChangeFacts
from schemas.operations import (
    DETAIL_CONTACT_AUTOMATION_IDS,
    DETAIL_MESSAGE_IDS,
    ApplyResult,
    CreateSubjectLineTestOp,
    DeleteSubjectLineTestOp,
    EnrollContacts,
    Operation,
    SetEmailCampaignStatus,
    SetSendTime,
    UnenrollContacts,
)
from schemas.records import Reversibility, RollbackPlan
from schemas.snapshots import AutomationState, ContactState, EmailCampaignState, Snapshot, SnapshotPart

STATUS_NAMES = {0: "draft", 1: "scheduled", 2: "sending", 3: "paused", 4: "stopped", 5: "completed", 6: "disabled"}
NOT_SENDING = frozenset({0, 1})  # where a test may be created or a send time changed
UNDOABLE = frozenset({0, 1, 6})  # where a test or send time can still be taken back
SENDING, PAUSED = 2, 3
UNSENT_NOTE = "Reversible only until the campaign starts sending."


def status_text(status: int) -> str:
    return f"{STATUS_NAMES.get(status, 'unknown')} (status {status})"


class _EmailCampaignAction(Protocol):
    @property
    def target(self) -> EmailCampaignTarget: ...


E = TypeVar("E", bound=_EmailCampaignAction)


class _EmailCampaignSpec(BaseSpec[E]):
    """Actions whose target is one email campaign."""

    parts: ClassVar = frozenset({SnapshotPart.EMAIL_CAMPAIGN, SnapshotPart.CHANGES})  # CHANGES: AC's mdate

    def entity_key(self, action: Action) -> str:
        target = self.own(action).target
        return f"activecampaign:{target.account_id}:campaign:{target.campaign_id}"

    def _request_fields(self, action: E) -> dict[str, Any]:
        return {"campaign_id": action.target.campaign_id}

    def _campaign(self, snapshot: Snapshot) -> EmailCampaignState:
        return require(snapshot.email_campaign, "email campaign")

    def _campaign_reason(self, action: E, snapshot: Snapshot) -> str | None:
        return missing_reason(snapshot, snapshot.email_campaign, f"email campaign {action.target.campaign_id}")

    def _unsent_reason(self, action: E, campaign: EmailCampaignState, what: str) -> str | None:
        if campaign.status in NOT_SENDING:
            return None
        return f"email campaign {action.target.campaign_id} is {status_text(campaign.status)}: {what}"

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        key = self.entity_key(action)
        return ChangeFacts(entity_key=key, campaign_key=key)

    def _state(self, snapshot: Snapshot) -> dict[str, Any]:
        campaign = snapshot.email_campaign
        if campaign is None:
            return {"status": None, "scheduled_at": None}
        return {"status": campaign.status, "scheduled_at": when(campaign.scheduled_at)}


# --------------------------------------------------------------------------- create_subject_line_test


def split_test_tag(action_id: str) -> str:
    """The split test's label ("op:<action_id>"): shown to people and kept by the sandbox. The live API keeps
    no names on messages, so what a test created is tracked by the ids AC returns, never by this tag."""
    return f"op:{action_id}"


class CreateSubjectLineTestSpec(_EmailCampaignSpec[CreateSubjectLineTest]):
    note: ClassVar = UNSENT_NOTE

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is None:
            reason = self._unsent_reason(own, self._campaign(snapshot),
                                         "a subject-line test needs a draft or scheduled campaign")
        campaign = snapshot.email_campaign
        if reason is None and campaign is not None and (campaign.type != "single" or len(campaign.message_ids) != 1):
            reason = (f"email campaign {own.target.campaign_id} is a {campaign.type} campaign with "
                      f"{len(campaign.message_ids)} messages: a subject-line test is built on a single-message one")
        return reason

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        """Status and type: readable from documented fields alone (the live API keeps no name tags). A test
        is only built on a single campaign, so `split` means it landed; which messages it created is
        recorded by id (`finalize_rollback_plan`), and the inverse never deletes the messages seen before."""
        campaign = snapshot.email_campaign
        if campaign is None:
            return {"status": None, "type": None}
        return {"status": campaign.status, "type": campaign.type}

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        params = own.params
        return (CreateSubjectLineTestOp(
            account_id=own.target.account_id, campaign_id=own.target.campaign_id, variants=params.variants,
            split_type=params.split_type, test_percentage=params.test_percentage,
            winner_wait_hours=params.winner_wait_hours, tag=split_test_tag(action_id),
            existing_message_ids=self._campaign(snapshot).message_ids),)

    def _inverse(self, action: CreateSubjectLineTest, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        """Written ahead with the messages before the test (never deleted); the created ids are added by
        `finalize_rollback_plan` when the create reports them."""
        return (DeleteSubjectLineTestOp(account_id=action.target.account_id, campaign_id=action.target.campaign_id,
                                        tag=split_test_tag(action_id),
                                        keep_message_ids=self._campaign(snapshot).message_ids),)

    def _expected(self, action: CreateSubjectLineTest, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"status": self._campaign(snapshot).status, "type": "split"}

    def finalize_rollback_plan(self, plan: RollbackPlan, result: ApplyResult) -> RollbackPlan:
        """Record the created message ids in the inverse: the rollback deletes exactly these."""
        ids = detail_ids(result, DETAIL_MESSAGE_IDS)
        if not ids:
            return plan
        inverse = tuple(op.model_copy(update={"message_ids": ids}) if isinstance(op, DeleteSubjectLineTestOp)
                        else op for op in plan.inverse_ops)
        return append_note(plan.model_copy(update={"inverse_ops": inverse}),
                           f"Split-test messages created: {', '.join(ids)}.")

    def details_from_state(self, action: Action, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        """The variant messages, read back for an action whose answer was lost: every attached message but
        the oldest (the control) of the split campaign — the test was built on a single-message campaign."""
        campaign, tag = snapshot.email_campaign, split_test_tag(action_id)
        if campaign is None:
            return {}
        ids = list(campaign.test_message_ids.get(tag, ()))  # the sandbox keeps tags
        if not ids and campaign.type == "split":
            ids = list(campaign.message_ids[1:])
        return {DETAIL_MESSAGE_IDS: ids, "split_test_tags": [tag]} if ids else {}

    def rollback_refusal(self, action: Action, plan: RollbackPlan, snapshot: Snapshot, now: datetime) -> str | None:
        campaign = snapshot.email_campaign
        if campaign is None or campaign.status in UNDOABLE:
            return None
        return (f"email campaign {self.own(action).target.campaign_id} is {status_text(campaign.status)}: the "
                "split test can no longer be removed (emails sent to the test group stay sent)")


# --------------------------------------------------------------------------- adjust_send_time


class AdjustSendTimeSpec(_EmailCampaignSpec[AdjustSendTime]):
    note: ClassVar = UNSENT_NOTE

    def __init__(self, model: type[AdjustSendTime], margin: timedelta) -> None:
        super().__init__(model)
        self.margin = margin  # a send time closer than this to now is racing the sending engine

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is not None:
            return reason
        campaign = self._campaign(snapshot)
        reason = self._unsent_reason(own, campaign, "only a draft or scheduled campaign's send time can change")
        if reason is not None:
            return reason
        minutes = int(self.margin.total_seconds() // 60)
        if own.params.send_at <= now + self.margin:
            return f"send_at {when(own.params.send_at)} is in the past or within {minutes} minutes of now"
        if campaign.status == 1 and campaign.scheduled_at is not None and campaign.scheduled_at <= now + self.margin:
            return f"the campaign is about to send (scheduled for {when(campaign.scheduled_at)}): too late to move it"
        if when(campaign.scheduled_at) == when(own.params.send_at):
            return f"the campaign is already scheduled for {when(campaign.scheduled_at)}: nothing to do"
        return None

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        state = self._state(snapshot)
        return {"status": state["status"], "scheduled_at": state["scheduled_at"]}

    def _op(self, action: AdjustSendTime, send_at: datetime | None) -> SetSendTime:
        return SetSendTime(account_id=action.target.account_id, campaign_id=action.target.campaign_id,
                           send_at=send_at)

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        return (self._op(own, own.params.send_at),)

    def _inverse(self, action: AdjustSendTime, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        return (self._op(action, self._campaign(snapshot).scheduled_at),)

    def _expected(self, action: AdjustSendTime, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"status": self._campaign(snapshot).status, "scheduled_at": when(action.params.send_at)}

    def rollback_refusal(self, action: Action, plan: RollbackPlan, snapshot: Snapshot, now: datetime) -> str | None:
        campaign = snapshot.email_campaign
        if campaign is not None and campaign.status not in UNDOABLE:
            return f"the campaign is {status_text(campaign.status)}: its old send time can no longer be restored"
        old = plan.before_state.get("scheduled_at")
        if old is not None and datetime.fromisoformat(old) <= now + self.margin:
            return (f"the original send time {old} has passed (or is within the margin): restoring it would send "
                    "at once; reschedule the campaign by hand")
        return None


# --------------------------------------------------------------------------- trigger_automation


AUTOMATION_IRREVERSIBLE = ("emails already sent by the automation stay sent",)


class TriggerAutomationSpec(BaseSpec[TriggerAutomation]):
    parts: ClassVar = frozenset({SnapshotPart.AUTOMATION})
    reversibility: ClassVar = Reversibility.PARTIAL
    irreversible_parts: ClassVar = AUTOMATION_IRREVERSIBLE
    note: ClassVar = "Unenrolling stops future steps only."

    def entity_key(self, action: Action) -> str:
        target = self.own(action).target
        return f"activecampaign:{target.account_id}:automation:{target.automation_id}"

    def _request_fields(self, action: TriggerAutomation) -> dict[str, Any]:
        return {"automation_id": action.target.automation_id, "contact_ids": action.params.contact_ids,
                "contact_emails": tuple(str(e) for e in action.params.contact_emails)}

    def _resolve(self, action: TriggerAutomation, automation: AutomationState
                 ) -> tuple[tuple[ContactState, ...], tuple[str, ...]]:
        """The target contacts found in the snapshot (emails resolved to ids), and the unknown ones."""
        by_id = {c.contact_id: c for c in automation.contacts}
        by_email = {c.email.casefold(): c for c in automation.contacts}
        found: list[ContactState] = []
        unknown: list[str] = []
        asked = [(i, by_id.get(i)) for i in action.params.contact_ids]
        asked += [(str(e), by_email.get(str(e).casefold())) for e in action.params.contact_emails]
        for name, contact in asked:
            if contact is None:
                unknown.append(name)
            else:
                found.append(contact)
        return tuple(found), tuple(unknown)

    def _targets(self, action: TriggerAutomation, snapshot: Snapshot) -> tuple[ContactState, ...]:
        return self._resolve(action, require(snapshot.automation, "automation"))[0]

    def _to_enroll(self, action: TriggerAutomation, snapshot: Snapshot) -> tuple[str, ...]:
        """Contacts without a run in progress: a contact is never enrolled twice."""
        return tuple(c.contact_id for c in self._targets(action, snapshot) if not c.active_run_ids)

    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        name = f"automation {own.target.automation_id}"
        reason = missing_reason(snapshot, snapshot.automation, name)
        if reason is not None or snapshot.automation is None:
            return reason
        if snapshot.automation.status != 1:
            return f"{name} is inactive (status {snapshot.automation.status})"
        unknown = sorted({*self._resolve(own, snapshot.automation)[1], *snapshot.automation.missing_contacts})
        if unknown:
            shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            return f"{len(unknown)} contacts are unknown to the account: {shown}"
        if not self._to_enroll(own, snapshot):
            return f"every contact is already in {name}: nothing to do"
        return None

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        own = self.own(action)
        count = (len(self._to_enroll(own, snapshot)) if snapshot.automation is not None
                 else len(own.params.contact_ids) + len(own.params.contact_emails))
        return ChangeFacts(entity_key=self.entity_key(action), reversibility=self.reversibility,
                           irreversible_parts=self.irreversible_parts, contact_count=count)

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        if snapshot.automation is None:
            return {"enrolled_contacts": []}
        targets = self._resolve(self.own(action), snapshot.automation)[0]
        return {"enrolled_contacts": sorted(c.contact_id for c in targets if c.active_run_ids)}

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        own = self.own(action)
        return (EnrollContacts(account_id=own.target.account_id, automation_id=own.target.automation_id,
                               contact_ids=self._to_enroll(own, snapshot)),)

    def _inverse(self, action: TriggerAutomation, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        targets = self._targets(action, snapshot)
        keep = sorted(run for c in targets for run in c.active_run_ids)
        return (UnenrollContacts(account_id=action.target.account_id, automation_id=action.target.automation_id,
                                 contact_ids=tuple(c.contact_id for c in targets), keep_run_ids=tuple(keep)),)

    def _expected(self, action: TriggerAutomation, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"enrolled_contacts": sorted(c.contact_id for c in self._targets(action, snapshot))}

    def finalize_rollback_plan(self, plan: RollbackPlan, result: ApplyResult) -> RollbackPlan:
        ids = detail_ids(result, DETAIL_CONTACT_AUTOMATION_IDS)
        return append_note(plan, f"Automation runs started: {', '.join(ids)}.") if ids else plan


# --------------------------------------------------------------------------- pause_email_campaign


class PauseEmailCampaignSpec(_EmailCampaignSpec[PauseEmailCampaign]):
    def validate_against(self, action: Action, snapshot: Snapshot, now: datetime) -> str | None:
        own = self.own(action)
        reason = self._campaign_reason(own, snapshot)
        if reason is not None:
            return reason
        campaign = self._campaign(snapshot)
        if campaign.series_id != "0":
            return (f"email campaign {own.target.campaign_id} belongs to automation series {campaign.series_id}: "
                    "its status cannot be changed as a campaign")
        if campaign.status != SENDING:
            return (f"email campaign {own.target.campaign_id} is {status_text(campaign.status)}: "
                    "only a sending campaign can be paused")
        return None

    def facts(self, action: Action, snapshot: Snapshot) -> ChangeFacts:
        key = self.entity_key(action)
        return ChangeFacts(entity_key=key, campaign_key=key, is_pause=True)

    def observed_state(self, action: Action, snapshot: Snapshot) -> dict[str, Any]:
        return {"status": self._state(snapshot)["status"]}

    def _op(self, action: PauseEmailCampaign, status: Literal["paused", "sending"]) -> SetEmailCampaignStatus:
        return SetEmailCampaignStatus(account_id=action.target.account_id, campaign_id=action.target.campaign_id,
                                      status=status)

    def operations(self, action: Action, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        return (self._op(self.own(action), "paused"),)

    def _inverse(self, action: PauseEmailCampaign, snapshot: Snapshot, action_id: str) -> tuple[Operation, ...]:
        return (self._op(action, "sending"),)  # resume; never "stop" (permanent)

    def _expected(self, action: PauseEmailCampaign, snapshot: Snapshot, action_id: str) -> dict[str, Any]:
        return {"status": PAUSED}

    def rollback_refusal(self, action: Action, plan: RollbackPlan, snapshot: Snapshot, now: datetime) -> str | None:
        campaign = snapshot.email_campaign
        if campaign is not None and campaign.status in (4, 5):
            return f"the campaign is {status_text(campaign.status)}: it can no longer be resumed"
        return None


def activecampaign_specs(send_time_margin: timedelta) -> tuple[BaseSpec[Any], ...]:
    return (
        CreateSubjectLineTestSpec(CreateSubjectLineTest),
        AdjustSendTimeSpec(AdjustSendTime, send_time_margin),
        TriggerAutomationSpec(TriggerAutomation),
        PauseEmailCampaignSpec(PauseEmailCampaign),
    )
