"""Outside changes for ActiveCampaign: the nearest thing to Google Ads' change history that AC offers.

AC keeps no change log and names no author. What the v3 campaign object does carry is its last-modified
time (`mdate`; `updated_timestamp` where an account answers it) and its status, which every snapshot
re-reads. So one campaign yields at most one change: "modified at T by someone" — the latest one only.
It feeds the same places as Google Ads' `change_event`: `Snapshot.outside_changes` (the cooldown rule: a
change the Operator did not make needs a person) and a metric reading's `changes` (the measurement's
confounders), with `changes_known=False` because earlier modifications are overwritten and invisible.
The Operator's own writes also move `mdate`; they come before the log row that records the execution, so
the cooldown rule (which prefers the later of the two) treats them as the Operator's.
"""

from __future__ import annotations

from datetime import datetime

from schemas.changes import OutsideChange
from schemas.common import Platform
from schemas.metrics import EntityChange
from schemas.snapshots import EmailCampaignState

ACTOR = "unknown (ActiveCampaign does not report who)"
CLIENT = "UNKNOWN"


def campaign_change(account_id: str, campaign: EmailCampaignState) -> tuple[OutsideChange, ...]:
    """The campaign's last modification as an outside change (none when AC gives no modification time)."""
    if campaign.updated_at is None:
        return ()
    return (OutsideChange(platform=Platform.ACTIVECAMPAIGN, account_id=account_id,
                          entity_key=f"activecampaign:{account_id}:campaign:{campaign.campaign_id}",
                          resource_type="CAMPAIGN", resource_name=f"campaigns/{campaign.campaign_id}",
                          changed_at=campaign.updated_at, client_type=CLIENT, actor=ACTOR, operation="UPDATE",
                          changed_fields=()),)


def metric_changes(campaign_id: str, modified: datetime | None, start: datetime,
                   end: datetime) -> tuple[EntityChange, ...]:
    """The last modification if it falls inside [start, end): a possible confounder of a measurement."""
    if modified is None or not start <= modified < end:
        return ()
    return (EntityChange(entity_id=campaign_id, changed_at=modified, kind="other", actor=ACTOR, source="platform",
                         detail="campaign modified (AC mdate: the latest modification only, no author)"),)
