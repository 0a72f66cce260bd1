"""The console's reads: the SQLite store answers them with indexed queries (`connectors.local.console`);
any other backend (BigQuery + Firestore) is read through the ports and filtered here, bounded to the
newest `FALLBACK_ROWS` actions. The audit trail is kept where the store can keep it and always logged.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from operator_ai.wiring import Services
from schemas.common import ActionStatus
from schemas.records import ActionRecord

log = logging.getLogger("operator.http.console")
FALLBACK_ROWS = 5000
ROLLBACK_STATUSES = {"EXECUTED", "MEASURED", "ROLLED_BACK", "ROLLBACK_FAILED", "ROLLING_BACK"}


def _fast(services: Services) -> Any:
    store = services.log
    return store if hasattr(store, "history_page") else None


def _campaign(record: ActionRecord) -> str | None:
    payload = record.payload or {}
    target = (payload.get("action") or {}).get("target") or {}
    snapshot = payload.get("snapshot") or {}
    campaign = snapshot.get("campaign") if isinstance(snapshot, dict) else None
    return target.get("campaign_id") or (campaign or {}).get("name")


def _title(record: ActionRecord) -> str:
    return str(((record.payload or {}).get("opportunity") or {}).get("title") or "")


def _keep(record: ActionRecord, filters: dict[str, Any]) -> bool:
    checks = (("status", record.status.value), ("action_type", record.action_type),
              ("platform", str(record.platform)), ("campaign", _campaign(record)))
    if any(filters.get(name) and filters[name] != value for name, value in checks):
        return False
    if filters.get("since") and record.event_time < filters["since"]:
        return False
    if filters.get("until") and record.event_time >= filters["until"]:
        return False
    q = filters.get("q")
    return not q or q.casefold() in _title(record).casefold() or q in (record.action_id, record.opportunity_id)


def history(services: Services, org: str, filters: dict[str, Any], offset: int,
            limit: int) -> tuple[list[ActionRecord], int]:
    fast = _fast(services)
    if fast is not None:
        rows, total = fast.history_page(org, filters, offset, limit)
        return rows, total
    matching = [r for r in services.log.query(organization_id=org, limit=FALLBACK_ROWS) if _keep(r, filters)]
    return matching[offset:offset + limit], len(matching)


def facets() -> dict[str, list[str]]:
    """What the filter menus offer: every known status, action type and platform (no query: constant)."""
    from schemas.actions import ACTION_TYPES, APPROVAL_ONLY_KINDS
    from schemas.common import Platform

    return {"status": [s.value for s in ActionStatus],
            "action_type": sorted({*ACTION_TYPES, *APPROVAL_ONLY_KINDS}),
            "platform": [p.value for p in Platform]}


def recent_runs(services: Services, org: str, runs: int = 3) -> list[dict[str, Any]]:
    fast = _fast(services)
    if fast is not None:
        found: list[dict[str, Any]] = fast.recent_runs(org, runs)
        return found
    by_run: dict[str, dict[str, Any]] = {}
    for record in services.log.query(organization_id=org, limit=FALLBACK_ROWS):
        run = by_run.setdefault(record.run_id, {"run_id": record.run_id, "at": record.event_time.isoformat(),
                                                "actions": {}})
        run["actions"].setdefault(record.action_id, record.status.value)
    return sorted(by_run.values(), key=lambda r: str(r["at"]), reverse=True)[:runs]


def account_calls(services: Services, org: str, limit: int = 300) -> list[dict[str, Any]]:
    """The org's newest log rows as {platform, account, status, error, at} (account: customer id, account
    id or page URL of the action's target)."""
    fast = _fast(services)
    if fast is not None:
        rows: list[dict[str, Any]] = fast.account_calls(org, limit)
        return rows
    found = []
    for record in services.log.query(organization_id=org, limit=limit):
        target = ((record.payload or {}).get("action") or {}).get("target") or {}
        found.append({"platform": str(record.platform), "status": record.status.value, "error": record.error_message,
                      "at": record.event_time,
                      "account": target.get("customer_id") or target.get("account_id") or target.get("url")})
    return found


def impact(services: Services, org: str, since: datetime) -> dict[str, int]:
    fast = _fast(services)
    if fast is not None:
        counts: dict[str, int] = fast.impact_counts(org, since)
        return counts
    from operator_ai.measurement.summary import verdict_counts

    records = [r for r in services.log.query(organization_id=org, since=since, limit=FALLBACK_ROWS)
               if r.status.value in ROLLBACK_STATUSES]
    counts = {k: v for k, v in verdict_counts(records).items() if k != "not_measurable"}
    counts["executed"] = len(records)
    counts["rolled_back"] = sum(1 for r in records if r.status == ActionStatus.ROLLED_BACK)
    return counts


def audit(services: Services, *, at: datetime, person: str, organization_id: str, what: str,
          action_id: str | None = None, **detail: Any) -> None:
    """Record who did what: a JSON log line always, and a row where the store keeps an audit trail."""
    log.info(json.dumps({"event": "console_" + what, "person": person, "organization_id": organization_id,
                         "action_id": action_id, "at": at.isoformat(), **detail}, default=str))
    keeper = getattr(services.state, "append_audit", None)
    if keeper is not None:
        keeper(at=at, person=person, organization_id=organization_id, what=what, action_id=action_id,
               detail=detail)


def audit_trail(services: Services, org_ids: list[str], limit: int = 50) -> list[dict[str, Any]]:
    reader = getattr(services.state, "list_audit", None)
    return reader(org_ids, limit) if reader is not None else []
