"""From a raw Scout opportunity to a typed action (or a clear reason why not).

The planner only proposes: whatever it (or Claude) produces is validated by pydantic here and then judged
by the guardrails exactly like a structured action from Scout.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import ValidationError

from connectors.base import ActionProposer, SubjectLineWriter
from connectors.llm.client import LlmUnavailable
from schemas.actions import APPROVAL_ONLY_KINDS, Action, parse_action
from schemas.common import canonical_json, stable_hash
from schemas.opportunity import Opportunity, OpportunityError, describe_validation_error, parse_opportunity
from schemas.policy import OrgPolicy

PlanKind = Literal["action", "rejected", "expired", "approval_only", "skip"]


class PlannerUnavailable(Exception):
    """A proposer could not be reached (e.g. the model is overloaded): not the opportunity's fault, so
    it is skipped this run and planned again on the next one."""


@dataclass(frozen=True)
class PlannedOpportunity:
    kind: PlanKind
    action_id: str
    organization_id: str
    opportunity_id: str | None
    opportunity: Opportunity | None = None
    action: Action | None = None
    reason: str | None = None
    approval_only_kind: str | None = None
    proposed_by: str = "scout"  # scout | rules | claude
    proposal: dict[str, Any] | None = None  # the raw proposed action (kept for expired/rejected rows)

    @property
    def action_type(self) -> str:
        if self.action is not None:
            return self.action.type
        proposed = (self.proposal or {}).get("type")
        return self.approval_only_kind or (proposed if isinstance(proposed, str) else "unknown")


def action_id_for(organization_id: str, opportunity_id: str, action_type: str, target: Any, params: Any) -> str:
    """Deterministic: the same opportunity and action always hash to the same id (idempotency key)."""
    return "act-" + stable_hash([organization_id, opportunity_id, action_type, target, params], 24)


def _input_id(organization_id: str, raw: Any) -> str:
    text = canonical_json(raw) if _jsonable(raw) else reprlib.repr(raw)  # reprlib: bounded, even for deep values
    return "act-" + stable_hash([organization_id, "input", text], 24)


def _jsonable(raw: Any) -> bool:
    try:
        canonical_json(raw)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


class RulesProposer:
    """Deterministic planning of free-text opportunities for the few shapes we can read safely."""

    _PAUSE = re.compile(r"^\s*pause\b", re.IGNORECASE)
    _REFRESH = re.compile(r"\b(refresh|outdated|stale)\b", re.IGNORECASE)

    def propose(self, opportunity: Any, policy: OrgPolicy) -> dict[str, Any] | None:
        evidence = opportunity.evidence
        if self._PAUSE.search(opportunity.title) and {"customer_id", "campaign_id"} <= evidence.keys():
            return {
                "type": "pause_campaign",
                "target": {"customer_id": str(evidence["customer_id"]), "campaign_id": str(evidence["campaign_id"])},
                "params": {},
            }
        if self._REFRESH.search(opportunity.title) and isinstance(evidence.get("url"), str):
            return {"type": "flag_content_refresh", "target": {"url": evidence["url"]},
                    "params": {"reason": opportunity.title}}
        return None


class Planner:
    def __init__(self, proposers: list[tuple[str, ActionProposer]] | None = None,
                 subject_writer: SubjectLineWriter | None = None):
        self._proposers = proposers if proposers is not None else [("rules", RulesProposer())]
        self._subject_writer = subject_writer

    def plan(self, raw: Any, policy: OrgPolicy, now: datetime) -> PlannedOpportunity:
        org = policy.organization_id
        try:
            opportunity = parse_opportunity(raw)
        except OpportunityError as error:
            return PlannedOpportunity("rejected", _input_id(org, raw), org, error.opportunity_id, reason=error.reason)
        opp_id = opportunity.opportunity_id

        def reject(reason: str, proposal: dict[str, Any] | None = None) -> PlannedOpportunity:
            key = proposal or {"input": canonical_json(raw)}
            return PlannedOpportunity("rejected", action_id_for(org, opp_id, "rejected", key, None), org, opp_id,
                                      opportunity, reason=reason, proposal=proposal)

        if opportunity.organization_id != org:
            return reject(f"opportunity belongs to {opportunity.organization_id!r}, not {org!r}")
        if opportunity.status != "approved":
            return PlannedOpportunity("skip", _input_id(org, raw), org, opp_id, opportunity,
                                      reason=f"status {opportunity.status}")
        proposed_by = "scout"
        if opportunity.action is not None:
            proposal: dict[str, Any] | None = opportunity.action.model_dump()
        else:
            try:
                proposal, proposed_by, reason = self._propose(opportunity, policy)
            except PlannerUnavailable as error:
                return PlannedOpportunity("skip", _input_id(org, raw), org, opp_id, opportunity, reason=str(error))
            if proposal is None:
                return reject(reason or "no structured action and no planner could produce one")
        if not isinstance(proposal, dict) or not isinstance(proposal.get("type"), str):
            return reject("the proposed action is not an object with a type")
        action_type = proposal["type"]
        proposal_id = action_id_for(org, opp_id, action_type, proposal.get("target"), proposal.get("params"))
        if opportunity.expires_at <= now:
            return PlannedOpportunity("expired", proposal_id, org, opp_id, opportunity, proposal=proposal,
                                      reason=f"expired at {opportunity.expires_at.isoformat()}")
        if action_type in APPROVAL_ONLY_KINDS:
            return PlannedOpportunity("approval_only", proposal_id, org, opp_id, opportunity, proposal=proposal,
                                      reason="approval-only action type", approval_only_kind=action_type,
                                      proposed_by=proposed_by)
        proposal = _fill_account(proposal, policy)
        try:
            proposal = self._fill_subject_lines(proposal, opportunity)
        except ValueError as error:
            return reject(f"could not write subject-line variants: {error}", proposal)
        try:
            action = parse_action({k: proposal.get(k, {}) for k in ("type", "target", "params")})
        except ValidationError as error:
            return reject(f"invalid {action_type} action: {describe_validation_error(error)}", proposal)
        if opportunity.platform is not None and opportunity.platform != action.platform:
            return reject(f"platform {opportunity.platform.value} does not match action type {action.type}", proposal)
        problem = account_problem(action, policy)
        if problem:
            return reject(problem, proposal)
        dumped = action.model_dump(mode="json")
        return PlannedOpportunity("action", action_id_for(org, opp_id, action.type, dumped["target"], dumped["params"]),
                                  org, opp_id, opportunity, action, proposed_by=proposed_by)

    def _fill_subject_lines(self, proposal: dict[str, Any], opportunity: Opportunity) -> dict[str, Any]:
        """A subject-line test without variants gets written ones (checked for length and banned patterns)."""
        params = proposal.get("params")
        if proposal.get("type") != "create_subject_line_test" or not isinstance(params, dict) or params.get("variants"):
            return proposal
        if self._subject_writer is None:
            raise ValueError("no subject-line writer is configured")
        brief = f"{opportunity.title}\n{opportunity.rationale}"
        variants = self._subject_writer.variants(params.get("current_subject"), brief, 3)
        clean = {k: v for k, v in params.items() if k != "current_subject"}
        return {**proposal, "params": {**clean, "variants": variants}}

    def _propose(self, opportunity: Opportunity, policy: OrgPolicy) -> tuple[dict[str, Any] | None, str, str | None]:
        reasons = []
        for name, proposer in self._proposers:
            try:
                proposal = proposer.propose(opportunity, policy)
            except LlmUnavailable as error:
                raise PlannerUnavailable(f"{name}: {error}") from error
            except Exception as error:  # a proposer's failure is a reason to reject, never a crash
                reasons.append(f"{name}: {error}")
                continue
            if proposal is not None:
                return proposal, name, None
            reasons.append(f"{name}: {getattr(proposer, 'last_reason', None) or 'no proposal'}")
        return None, "", "could not plan an action from the opportunity text (" + "; ".join(reasons) + ")"


def _fill_account(proposal: dict[str, Any], policy: OrgPolicy) -> dict[str, Any]:
    """ActiveCampaign targets may omit account_id when the org has exactly one connected AC account."""
    target = proposal.get("target")
    accounts = policy.connected.activecampaign_ids()
    if (isinstance(target, dict) and "account_id" not in target and len(accounts) == 1
            and ("automation_id" in target or ("campaign_id" in target and "customer_id" not in target))):
        return {**proposal, "target": {**target, "account_id": accounts[0]}}
    return proposal


def account_problem(action: Action, policy: OrgPolicy) -> str | None:
    """Cross-tenant input: the target account must be one of the org's connected accounts."""
    connected = policy.connected
    account = action.account_id()
    owned: tuple[str, ...]
    if action.platform.value == "google_ads":
        owned = connected.google_ads_customer_ids
    elif action.platform.value == "activecampaign":
        owned = connected.activecampaign_ids()
    else:
        url = getattr(action.target, "url", None)
        if url is None:
            return None
        host = urlparse(url).hostname or ""
        if host in connected.content_sites:
            return None
        return f"page host {host!r} is not a site of organization {policy.organization_id}"
    if account in owned:
        return None
    return f"target account {account} does not belong to organization {policy.organization_id}"
