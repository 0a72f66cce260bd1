"""`read_metrics` for ActiveCampaign: a campaign's running totals (`send_amt`, `uniqueopens`,
`uniquelinkclicks`) from `GET /api/3/campaigns/{id}`. The platform keeps no time series, so a reading is
cumulative as of the read. Per-message opens (split-test variants) and an account-wide baseline are
not read in this version: the v3 campaign object reports totals per campaign only, and the platform
picks a split test's winner itself (`split_winner_messageid`, reported as an attribute).
"""

from __future__ import annotations

from datetime import datetime

from connectors.activecampaign import parsing
from connectors.activecampaign.changes import metric_changes
from connectors.activecampaign.reads import Reader
from schemas.metrics import EmailCounts, MetricEntity, MetricReading, MetricRequest, not_measurable

_NOT_READ = {
    MetricEntity.EMAIL_MESSAGE: "per-message opens are not read from ActiveCampaign in this version (v3 reports "
                                "totals per campaign; the platform picks the split-test winner itself)",
    MetricEntity.EMAIL_ACCOUNT: "an account-wide baseline is not read from ActiveCampaign in this version",
}


def reading(reader: Reader, request: MetricRequest, now: datetime) -> MetricReading:
    if request.entity != MetricEntity.EMAIL_CAMPAIGN:
        reason = _NOT_READ.get(request.entity, f"ActiveCampaign has no {request.entity.value} metrics")
        return not_measurable(request.key, now, reason)
    campaign = reader.campaign(request.entity_id)
    if campaign is None:
        return not_measurable(request.key, now, f"campaign {request.entity_id} does not exist")
    counts = EmailCounts(sends=parsing.as_int(campaign.get("send_amt")),
                         opens=parsing.as_int(campaign.get("uniqueopens", campaign.get("opens"))),
                         clicks=parsing.as_int(campaign.get("uniquelinkclicks", campaign.get("linkclicks"))))
    attributes = {"status": str(parsing.as_int(campaign.get("status"))),
                  "total": str(parsing.as_int(campaign.get("total_amt")))}
    winner = parsing.as_id(campaign.get("split_winner_messageid"))
    if winner and winner != "0":
        attributes["split_winner_message_id"] = winner
    modified = parsing.as_datetime(campaign.get("updated_timestamp") or campaign.get("mdate"))
    changes = metric_changes(request.entity_id, modified, request.start, request.end)
    return MetricReading(key=request.key, read_at=now, cumulative=True, email=counts, attributes=attributes,
                         changes=changes, changes_known=False)  # only the latest modification is visible
