"""What an organization is judged on — its `OrgFrame` and the batched reads behind it — built in one
place for the scheduled run, `operator plan` and the re-check of an approval, so all three judge the same
history with the same limits.

The history reaches back as far as the org's longest time-based limit (`Limits.history_hours`): a policy
that tightens `similar_failure_hours` or `cooldown_hours` past the default is honoured everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from connectors.base import ChangeStore, PlatformError, StoreError
from guardrails.limits import resolve_limits
from operator_ai.journal import past_action
from operator_ai.measurement.breaker import active_holds
from operator_ai.planning import OrgFrame, budget_accounts, read_snapshots
from operator_ai.wiring import Services
from schemas.actions import Action
from schemas.policy import OrgPolicy
from schemas.snapshots import Snapshot

_log = logging.getLogger(__name__)

# Rows of history read at most (latest row per action): far above what the rate limits let an org do.
HISTORY_ROWS = 20_000


def load_frame(services: Services, policy: OrgPolicy, now: datetime, *, excluding: str | None = None) -> OrgFrame:
    """The org's limits, emergency stop, history and execution counters at `now`. `excluding` leaves one
    action out of the history (the approved action being re-checked is not its own precedent)."""
    org = policy.organization_id
    limits = resolve_limits(policy.limits, campaign_cap_ceiling=services.settings.campaign_cap_ceiling)
    since = now - timedelta(hours=float(limits.history_hours()))
    recent = services.log.query(organization_id=org, since=since, limit=HISTORY_ROWS)
    return OrgFrame(policy=policy, limits=limits, now=now, kill_switch=services.state.kill_switches(org),
                    history=[past_action(r) for r in recent if r.action_id != excluding],
                    executed_last_hour=services.state.count_executions(org, now - timedelta(hours=1)),
                    executed_last_24h=services.state.count_executions(org, now - timedelta(hours=24)),
                    tracking_holds=active_holds(services.state, org))


def read_for_frame(services: Services, frame: OrgFrame,
                   actions: Sequence[tuple[str, Action]]) -> dict[str, Snapshot | PlatformError]:
    """One batched read per account for `actions`, plus the org's budgets on every connected Google Ads
    account when an action changes a budget (taken into `frame` for the org-wide rules)."""
    accounts = budget_accounts(frame.policy, [action for _, action in actions])
    snapshots = read_snapshots(services.connectors, actions, frame.policy.organization_id,
                               int(frame.limits.window_days), frame.now, budget_accounts=accounts)
    frame.take_budgets(snapshots, accounts)
    record_outside_changes(services, frame.policy.organization_id, snapshots.values(), frame.now)
    return snapshots


def record_outside_changes(services: Services, organization_id: str,
                           snapshots: Iterable[Snapshot | PlatformError], now: datetime) -> None:
    """Keep the outside changes the reads reported (each once) where the store can. It is the record, not an
    input of any decision (rules and measurement read the platform), so a failure to store is logged only."""
    store = services.state
    if not isinstance(store, ChangeStore):
        return
    seen = {(c.entity_key, c.resource_name, c.changed_at, c.actor): c for snap in snapshots
            if isinstance(snap, Snapshot) for c in snap.outside_changes or ()}
    if not seen:
        return
    try:
        store.record_outside_changes(organization_id, list(seen.values()), now)
    except StoreError as error:
        _log.warning("could not record %d outside change(s) for %s: %s", len(seen), organization_id, error)
