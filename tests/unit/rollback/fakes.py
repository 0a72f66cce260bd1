"""Small in-memory fakes of the ports for rollback unit tests.

`FakeWorld` is a dict-backed platform that answers snapshots and applies the operation vocabulary the
way the real platforms do (creating negatives returns resource names, enrolling returns run ids, ...).
`FakeLog` and `FakeState` are minimal append-only log and state store.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from connectors.base import PlatformError, StoreError
from schemas.actions import BiddingScheme
from schemas.common import ActionStatus, Platform
from schemas.operations import ApplyOutcome, ApplyResult, ErrorInfo, ErrorKind, OpBatch
from schemas.policy import KillSwitch, KillSwitchState
from schemas.records import ActionRecord
from schemas.snapshots import (
    AccountState,
    AutomationState,
    BudgetState,
    CampaignState,
    ContactState,
    ContentState,
    EmailCampaignState,
    KeywordState,
    NegativeKeywordState,
    Performance,
    SearchTermState,
    Snapshot,
    SnapshotPart,
    SnapshotRequest,
)


@dataclass
class Keyword:
    campaign_id: str
    text: str
    cpc_bid: Decimal | None
    ad_group_default: Decimal
    strategy: str = "manual_cpc"
    status: str = "ENABLED"


@dataclass
class FakeWorld:
    """The state of all three fake platforms."""

    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)  # campaign_id -> fields
    budgets: dict[str, Decimal] = field(default_factory=dict)
    negatives: dict[str, list[NegativeKeywordState]] = field(default_factory=dict)
    search_terms: dict[str, list[SearchTermState]] = field(default_factory=dict)
    keywords: dict[tuple[str, str], Keyword] = field(default_factory=dict)
    email_campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    automations: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> status, runs{contact: [ids]}
    contacts: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (email, subscribed)
    content: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> flag, reason, artifacts{id: live}
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(900))

    def next_id(self) -> str:
        return str(next(self.ids))


class FakePlatform:
    """A `PlatformConnector` over a `FakeWorld`; `fail_with` / `uncertain` inject apply failures."""

    mode: Literal["SANDBOX", "LIVE"] = "SANDBOX"

    def __init__(self, world: FakeWorld, platform: Platform) -> None:
        self.world = world
        self.platform = platform
        self.fail_with: ErrorKind | None = None  # next apply fails (nothing lands)
        self.uncertain: bool | None = None  # next apply is UNCERTAIN; True: it landed anyway
        self.read_error: PlatformError | None = None
        self.apply_calls: list[OpBatch] = []
        self.snapshot_calls = 0

    def check_connection(self, account_id: str) -> None:
        return None

    # ------------------------------------------------------------------ reads

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        self.snapshot_calls += 1
        if self.read_error is not None:
            raise self.read_error
        return {r.key: self._one(r, now) for r in requests}

    def _one(self, r: SnapshotRequest, now: datetime) -> Snapshot:
        w = self.world
        parts: dict[str, Any] = {}
        missing: list[str] = []
        if SnapshotPart.ACCOUNT in r.parts:
            parts["account"] = AccountState(account_id=r.account_id, total_daily_budget=sum(w.budgets.values()))
        if r.campaign_id and {SnapshotPart.CAMPAIGN, SnapshotPart.BUDGET} & r.parts and r.platform == Platform.GOOGLE_ADS:
            c = w.campaigns.get(r.campaign_id)
            if c is None:
                missing.append(f"campaign {r.campaign_id}")
            else:
                parts["campaign"] = CampaignState(campaign_id=r.campaign_id, name=c["name"], status=c["status"],
                                                  bidding=c["bidding"], budget_id=c.get("budget_id"))
                if SnapshotPart.BUDGET in r.parts and c.get("budget_id"):
                    parts["budget"] = BudgetState(budget_id=c["budget_id"], amount=w.budgets[c["budget_id"]])
        if SnapshotPart.PERFORMANCE in r.parts:
            parts["performance"] = Performance(window_days=r.window_days, cost=Decimal("700"), conversions=Decimal(3))
        if SnapshotPart.NEGATIVES in r.parts and r.campaign_id in w.campaigns:
            parts["negatives"] = tuple(w.negatives.get(r.campaign_id, ()))
        if SnapshotPart.SEARCH_TERMS in r.parts and r.campaign_id in w.campaigns:
            parts["search_terms"] = tuple(w.search_terms.get(r.campaign_id, ()))
        if SnapshotPart.KEYWORD in r.parts:
            parts.update(self._keyword(r, missing))
        if SnapshotPart.EMAIL_CAMPAIGN in r.parts:
            e = w.email_campaigns.get(r.campaign_id or "")
            if e is None:
                missing.append(f"email campaign {r.campaign_id}")
            else:
                parts["email_campaign"] = EmailCampaignState(campaign_id=r.campaign_id or "", name="News", **e)
        if SnapshotPart.AUTOMATION in r.parts:
            parts.update(self._automation(r, missing))
        if SnapshotPart.CONTENT in r.parts:
            key = r.url or r.topic or ""
            c = w.content.get(key, {"flag": False, "reason": None, "artifacts": {}})
            parts["content"] = ContentState(key=key, refresh_flagged=c["flag"], refresh_reason=c["reason"],
                                            artifact_ids=tuple(i for i, live in c["artifacts"].items() if live))
        return Snapshot(key=r.key, platform=r.platform, account_id=r.account_id, read_at=now, source="fake",
                        missing=tuple(missing), **parts)

    def _keyword(self, r: SnapshotRequest, missing: list[str]) -> dict[str, Any]:
        k = self.world.keywords.get((r.ad_group_id or "", r.criterion_id or ""))
        if k is None:
            missing.append(f"keyword {r.ad_group_id}~{r.criterion_id}")
            return {}
        return {"keyword": KeywordState(
            ad_group_id=r.ad_group_id or "", criterion_id=r.criterion_id or "", campaign_id=k.campaign_id,
            text=k.text, match_type="EXACT", status=k.status, cpc_bid=k.cpc_bid,
            effective_cpc_bid=k.cpc_bid if k.cpc_bid is not None else k.ad_group_default,
            bid_source="CRITERION" if k.cpc_bid is not None else "AD_GROUP",
            campaign_bidding_strategy=k.strategy)}

    def _automation(self, r: SnapshotRequest, missing: list[str]) -> dict[str, Any]:
        a = self.world.automations.get(r.automation_id or "")
        if a is None:
            missing.append(f"automation {r.automation_id}")
            return {}
        by_email = {email.casefold(): cid for cid, (email, _) in self.world.contacts.items()}
        asked = [(c, c) for c in r.contact_ids] + [(e, by_email.get(e.casefold())) for e in r.contact_emails]
        contacts, unknown = [], []
        for name, cid in asked:
            if cid is None or cid not in self.world.contacts:
                unknown.append(name)
                continue
            email, subscribed = self.world.contacts[cid]
            contacts.append(ContactState(contact_id=cid, email=email, subscribed=subscribed,
                                         active_run_ids=tuple(a["runs"].get(cid, ()))))
        return {"automation": AutomationState(automation_id=r.automation_id or "", name="Welcome",
                                              status=a["status"], contacts=tuple(contacts),
                                              missing_contacts=tuple(unknown))}

    # ------------------------------------------------------------------ writes

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        results = []
        for batch in batches:
            self.apply_calls.append(batch)
            if self.fail_with is not None:
                kind, self.fail_with = self.fail_with, None
                results.append(ApplyResult(key=batch.key, outcome=ApplyOutcome.FAILED,
                                           error=ErrorInfo(kind=kind, message="platform said no")))
                continue
            details: dict[str, Any] = {}
            if self.uncertain is not False:
                for op in batch.ops:
                    self._op(op.model_dump(), details)
            if self.uncertain is not None:
                self.uncertain = None
                results.append(ApplyResult(key=batch.key, outcome=ApplyOutcome.UNCERTAIN,
                                           error=ErrorInfo(kind=ErrorKind.UNCERTAIN, message="timeout after send")))
                continue
            results.append(ApplyResult(key=batch.key, outcome=ApplyOutcome.APPLIED, details=details,
                                       request_ids=("req-1",)))
        return results

    def _op(self, op: dict[str, Any], details: dict[str, Any]) -> None:
        w, kind = self.world, op["op"]
        if kind == "set_campaign_status":
            w.campaigns[op["campaign_id"]]["status"] = op["status"]
        elif kind == "set_budget_amount":
            w.budgets[op["budget_id"]] = op["amount"]
        elif kind == "add_negative_keywords":
            for kw in op["keywords"]:
                name = f"customers/{op['customer_id']}/campaignCriteria/{op['campaign_id']}~{w.next_id()}"
                w.negatives.setdefault(op["campaign_id"], []).append(
                    NegativeKeywordState(text=kw["text"], match_type=kw["match_type"], resource_name=name))
                details.setdefault("resource_names", []).append(name)
        elif kind == "remove_negative_keywords":
            names = set(op["resource_names"])
            texts = {(k["text"].casefold(), k["match_type"]) for k in op["keywords"]}
            w.negatives[op["campaign_id"]] = [
                n for n in w.negatives.get(op["campaign_id"], [])
                if not (n.resource_name in names if names else (n.text.casefold(), n.match_type) in texts)]
        elif kind == "set_keyword_bid":
            w.keywords[(op["ad_group_id"], op["criterion_id"])].cpc_bid = op["cpc_bid"]
        elif kind == "set_bidding_scheme":
            w.campaigns[op["campaign_id"]]["bidding"] = BiddingScheme.model_validate(op["scheme"])
        elif kind == "create_subject_line_test":  # like AC: split first, one copy per variant, ids answered
            c = w.email_campaigns[op["campaign_id"]]
            details["message_ids"] = [w.next_id() for _ in op["variants"]]
            c["type"], c["message_ids"] = "split", (*c["message_ids"], *details["message_ids"])
        elif kind == "delete_subject_line_test":  # exactly the given ids, else what was not there before
            c = w.email_campaigns[op["campaign_id"]]
            doomed = set(op["message_ids"]) or {m for m in c["message_ids"] if m not in op["keep_message_ids"]}
            c["message_ids"] = tuple(m for m in c["message_ids"] if m not in doomed or m in op["keep_message_ids"])
            c["type"] = "single" if len(c["message_ids"]) == 1 else c["type"]
        elif kind == "set_send_time":
            w.email_campaigns[op["campaign_id"]]["scheduled_at"] = op["send_at"]
        elif kind == "enroll_contacts":
            runs = w.automations[op["automation_id"]]["runs"]
            for cid in op["contact_ids"]:
                run = w.next_id()
                runs.setdefault(cid, []).append(run)
                details.setdefault("contact_automation_ids", []).append(run)
        elif kind == "unenroll_contacts":
            runs = w.automations[op["automation_id"]]["runs"]
            for cid in op["contact_ids"]:
                runs[cid] = [r for r in runs.get(cid, []) if r in op["keep_run_ids"]]
        elif kind == "set_email_campaign_status":
            w.email_campaigns[op["campaign_id"]]["status"] = {"paused": 3, "sending": 2}[op["status"]]
        elif kind == "store_artifact":
            w.content.setdefault(op["key"], {"flag": False, "reason": None, "artifacts": {}})["artifacts"][
                op["artifact_id"]] = True
        elif kind == "archive_artifact":
            for page in w.content.values():
                if op["artifact_id"] in page["artifacts"]:
                    page["artifacts"][op["artifact_id"]] = False
        elif kind == "set_refresh_flag":
            page = w.content.setdefault(op["url"], {"flag": False, "reason": None, "artifacts": {}})
            page["flag"], page["reason"] = op["flagged"], op["reason"]
        else:  # pragma: no cover - a new operation needs a fake
            raise AssertionError(f"fake platform cannot apply {kind}")


def connectors_for(world: FakeWorld) -> dict[Platform, FakePlatform]:
    return {p: FakePlatform(world, p) for p in Platform}


class FakeLog:
    """Append-only rows; latest = highest seq per action."""

    def __init__(self) -> None:
        self.rows: list[ActionRecord] = []
        self.down = False  # appends raise StoreError (store unavailable)

    def append(self, records: Sequence[ActionRecord]) -> None:
        if self.down:
            raise StoreError("log store unavailable")
        self.rows.extend(records)

    def latest(self, action_ids: Sequence[str]) -> dict[str, ActionRecord]:
        out: dict[str, ActionRecord] = {}
        for row in self.rows:
            if row.action_id in action_ids and (row.action_id not in out or row.seq > out[row.action_id].seq):
                out[row.action_id] = row
        return out

    def events(self, action_id: str) -> list[ActionRecord]:
        return sorted((r for r in self.rows if r.action_id == action_id), key=lambda r: r.seq)

    def query(self, *, organization_id: str | None = None, since: datetime | None = None,
              statuses: Sequence[ActionStatus] | None = None, opportunity_id: str | None = None,
              limit: int = 1000) -> list[ActionRecord]:
        latest = self.latest(sorted({r.action_id for r in self.rows}))
        rows = [r for r in latest.values()
                if (organization_id is None or r.organization_id == organization_id)
                and (since is None or r.event_time >= since)
                and (statuses is None or r.status in statuses)]
        return sorted(rows, key=lambda r: r.event_time, reverse=True)[:limit]

    def flush_outbox(self) -> int:
        return 0


class FakeState:
    """Only what the rollback executor uses: kill switches and claims."""

    def __init__(self) -> None:
        self.switches: dict[str, KillSwitch] = {}
        self.claims: dict[str, str] = {}
        self.claim_calls = 0

    def kill_switches(self, organization_id: str) -> KillSwitchState:
        return KillSwitchState(global_switch=self.switches.get("global"),
                               org_switch=self.switches.get(organization_id))

    def set_kill_switch(self, switch: KillSwitch) -> None:
        self.switches[switch.scope] = switch

    def claim(self, action_id: str, run_id: str, now: datetime, lease_s: float) -> bool:
        self.claim_calls += 1
        if action_id in self.claims:
            return False
        self.claims[action_id] = run_id
        return True

    def release(self, action_id: str, run_id: str, *, done: bool) -> None:
        if self.claims.get(action_id) == run_id:
            del self.claims[action_id]
