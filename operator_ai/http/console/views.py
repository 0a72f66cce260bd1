"""Each console page's context: a small frozen dataclass, built from the stores, rendered by a template
or returned as JSON. Builders read; they never change anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from guardrails.limits import APPROVAL_ONLY_TYPES, PHASE_TYPES, resolve_limits
from operator_ai.http.console import reads
from operator_ai.http.console.access import Grant
from operator_ai.http.console.explain import person_of
from operator_ai.http.view import time_left
from operator_ai.wiring import Services
from schemas.policy import KillSwitch, OrgPolicy

IMPACT_DAYS = 30
PAGE_SIZE = 50
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Switch:
    scope: str
    by: str
    at: str
    reason: str


@dataclass(frozen=True)
class StopState:
    """The emergency stop as every page shows it: on for this org, globally, or off."""

    on: bool
    org: Switch | None
    global_: Switch | None


@dataclass(frozen=True)
class Layout:
    title: str
    email: str
    mode: str
    org: Grant | None
    grants: tuple[Grant, ...]
    stop: StopState | None
    csrf_token: str
    base: str  # the console's URL, ending in /console/
    nav: str
    approvals_url: str


def _switch(switch: KillSwitch | None) -> Switch | None:
    if switch is None or not switch.active:
        return None
    return Switch(switch.scope, switch.set_by, switch.set_at.isoformat(timespec="seconds"), switch.reason)


def stop_state(services: Services, org: str) -> StopState:
    switches = services.state.kill_switches(org)
    own, everywhere = _switch(switches.org_switch), _switch(switches.global_switch)
    return StopState(on=own is not None or everywhere is not None, org=own, global_=everywhere)


# --------------------------------------------------------------------------- overview


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    at: str
    counts: dict[str, int]


@dataclass(frozen=True)
class PendingItem:
    action_id: str
    title: str
    action_type: str | None
    summary: str
    time_left: str
    seconds_left: int
    plan_hash: str


@dataclass(frozen=True)
class AccountHealth:
    platform: str
    account_id: str
    state: str  # "ok", "failing" or "no recent calls"
    last_error: str | None
    last_seen: str | None


@dataclass(frozen=True)
class Overview:
    organization_id: str
    name: str
    autonomy: str
    rollout_phase: str
    runs: tuple[RunSummary, ...]
    pending: tuple[PendingItem, ...]
    impact_days: int
    impact: dict[str, int]
    health: tuple[AccountHealth, ...]
    activity: tuple[dict[str, Any], ...]
    global_admin: bool = False  # the person may also stop everything
    cannot_run_now: str | None = None  # why an approval now would be refused up front, and from when it could run


def pending_items(services: Services, org: str, now: datetime) -> tuple[PendingItem, ...]:
    from operator_ai.approvals import list_pending

    items = []
    for pending, record in list_pending(services, org):
        seconds = max(0, int((pending.expires_at - now).total_seconds()))
        title = ((record.payload.get("opportunity") or {}).get("title") if record else None) or pending.action_id
        items.append(PendingItem(pending.action_id, str(title), record.action_type if record else None,
                                 pending.summary, time_left(seconds), seconds, pending.plan_hash))
    return tuple(sorted(items, key=lambda i: i.seconds_left))


def _accounts(policy: OrgPolicy) -> list[tuple[str, str]]:
    connected = policy.connected
    return ([("google_ads", c) for c in connected.google_ads_customer_ids]
            + [("activecampaign", a) for a in connected.activecampaign_ids()]
            + [("content", site) for site in connected.content_sites])


def account_health(services: Services, policy: OrgPolicy) -> tuple[AccountHealth, ...]:
    """Per connected account, from the org's most recent log rows: the newest call's outcome decides."""
    seen: dict[tuple[str, str], AccountHealth] = {}
    for call in reads.account_calls(services, policy.organization_id):
        account = call["account"]
        if call["platform"] == "content":
            account = _site(account)
        key = (str(call["platform"]), str(account))
        if not account or key in seen or call["status"] not in {"EXECUTED", "FAILED", "UNCERTAIN", "ROLLED_BACK",
                                                                  "ROLLBACK_FAILED", "MEASURED"}:
            continue
        failing = call["status"] in {"FAILED", "ROLLBACK_FAILED"}
        seen[key] = AccountHealth(key[0], key[1], "failing" if failing else "ok",
                                  call["error"] if failing else None, call["at"].isoformat(timespec="seconds"))
    return tuple(seen.get(key) or AccountHealth(key[0], key[1], "no recent calls", None, None)
                 for key in _accounts(policy))


def _site(url: Any) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    return url.split("://", 1)[1].split("/", 1)[0]


def cannot_run_now(services: Services, policy: OrgPolicy) -> str | None:
    """The approval refusal `approvals.decide` would give now (operator_ai.readiness), shown before a click."""
    from operator_ai.readiness import not_now

    limits = resolve_limits(policy.limits, campaign_cap_ceiling=services.settings.campaign_cap_ceiling)
    return not_now(services.state, policy.organization_id, limits, services.clock())


def overview(services: Services, policy: OrgPolicy, global_admin: bool = False) -> Overview:
    org, now = policy.organization_id, services.clock()
    runs = []
    for run in reads.recent_runs(services, org):
        counts: dict[str, int] = {}
        for status in run["actions"].values():
            counts[status] = counts.get(status, 0) + 1
        runs.append(RunSummary(run["run_id"], str(run["at"])[:19].replace("T", " "), dict(sorted(counts.items()))))
    activity = tuple({**a, "at": a["at"].isoformat(timespec="seconds")}
                     for a in reads.audit_trail(services, [org, "global"], 10))
    return Overview(org, policy.name or org, policy.autonomy.value, policy.rollout_phase.value, tuple(runs),
                    pending_items(services, org, now), IMPACT_DAYS,
                    reads.impact(services, org, now - timedelta(days=IMPACT_DAYS)),
                    account_health(services, policy), activity, global_admin, cannot_run_now(services, policy))


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryRow:
    action_id: str
    title: str
    status: str
    action_type: str
    platform: str
    at: str
    by: str | None
    detail: str


@dataclass(frozen=True)
class History:
    filters: dict[str, str]
    rows: tuple[HistoryRow, ...]
    total: int
    page: int
    pages: int
    facets: dict[str, list[str]] = field(default_factory=dict)
    more: bool = False  # more than `total` match (counting stops at COUNT_CAP)


def history(services: Services, org: str, filters: dict[str, Any], shown: dict[str, str], page: int) -> History:
    records, total = reads.history(services, org, filters, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    rows = tuple(HistoryRow(r.action_id, str(((r.payload or {}).get("opportunity") or {}).get("title")
                                             or r.action_type), r.status.value, r.action_type, str(r.platform),
                            r.event_time.isoformat(timespec="seconds"), person_of(r),
                            (r.error_message or (r.verdict.summary() if r.verdict else ""))[:160])
                 for r in records)
    more = total > COUNT_CAP  # counted up to the cap: "more than 10,000", and the pages up to there
    total = min(total, COUNT_CAP)
    return History(shown, rows, total, page, max(1, -(-total // PAGE_SIZE)), reads.facets(), more)


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class LimitLine:
    name: str
    in_force: str
    default: str
    tightened: bool


@dataclass(frozen=True)
class PolicyView:
    organization_id: str
    autonomy: str
    rollout_phase: str
    rules_decide: tuple[str, ...]
    always_a_person: tuple[str, ...]
    limits: tuple[LimitLine, ...]
    viewers: tuple[str, ...]
    approvers: tuple[str, ...]
    admins: tuple[str, ...]
    auto_rollback: bool
    how_to_change: str


def policy_view(services: Services, policy: OrgPolicy) -> PolicyView:
    """The limits as `operator orgs show` states them (operator_ai.orgs.limits_in_force), in words."""
    from operator_ai.orgs import limits_in_force

    rows = limits_in_force(policy, campaign_cap_ceiling=services.settings.campaign_cap_ceiling)
    lines = tuple(LimitLine(r["limit"], "none" if r["in_force"] is None else str(r["in_force"]),
                            "none" if r["default"] is None else str(r["default"]), bool(r["tightened"]))
                  for r in sorted(rows, key=lambda r: str(r["limit"])))
    return PolicyView(policy.organization_id, policy.autonomy.value, policy.rollout_phase.value,
                      tuple(sorted(PHASE_TYPES[policy.rollout_phase] - APPROVAL_ONLY_TYPES)),
                      tuple(sorted(APPROVAL_ONLY_TYPES)), lines, policy.viewers, policy.approvers, policy.admins,
                      policy.auto_rollback,
                      "Policies are not edited in the browser: change the organization's file in version control "
                      "and load it with `operator orgs import FILE` (embedded default: OPERATOR_ORGS_FILE). A "
                      "policy may only tighten the defaults; a file that loosens one is refused.")
