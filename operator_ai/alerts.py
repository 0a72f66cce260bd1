"""The log events the deploy guide's alert policies count (docs/deploy.md §11): one line per FAILED or
UNCERTAIN action, and one per approval that expires soon. Labels come from the fields (operator_ai/logs.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

log = logging.getLogger("operator.alerts")

ALERT_STATUSES = frozenset({"FAILED", "UNCERTAIN"})
EXPIRING_WITHIN = timedelta(hours=1)


def log_action_failures(lines: Iterable[dict[str, Any]], run_id: str) -> None:
    for line in lines:
        if line.get("status") in ALERT_STATUSES:
            log.error(json.dumps({"event": "action_failed", "status": line["status"], "run_id": run_id,
                                  "organization_id": line.get("organization_id"), "action_id": line.get("action_id"),
                                  "type": line.get("type"), "detail": line.get("detail")}, default=str))


def warn_expiring_approvals(services: Any, run_id: str, within: timedelta = EXPIRING_WITHIN) -> None:
    now = services.clock()
    for approval in services.state.list_pending():
        left = approval.expires_at - now
        if timedelta(0) < left <= within:
            log.warning(json.dumps({"event": "approval_expiring", "run_id": run_id,
                                    "organization_id": approval.organization_id, "action_id": approval.action_id,
                                    "expires_at": approval.expires_at.isoformat(),
                                    "minutes_left": int(left.total_seconds() // 60)}))
