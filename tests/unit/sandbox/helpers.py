"""Builders for snapshot requests and op batches against the bundled sandbox fixture."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.sandbox import ActiveCampaignSandbox, GoogleAdsSandbox
from schemas.common import Platform
from schemas.operations import OpBatch
from schemas.snapshots import Snapshot, SnapshotPart, SnapshotRequest
from tests.unit.sandbox.conftest import NOW

ACME_ADS = "1234567890"
GLOBEX_ADS = "9876543210"
ACME_AC = "acme-mail"
GLOBEX_AC = "globex-mail"
ACME = "org-acme"
GLOBEX = "org-globex"

GOOGLE_PARTS = frozenset({SnapshotPart.ACCOUNT, SnapshotPart.CAMPAIGN, SnapshotPart.BUDGET,
                          SnapshotPart.PERFORMANCE, SnapshotPart.NEGATIVES, SnapshotPart.SEARCH_TERMS,
                          SnapshotPart.KEYWORD})


def gads_request(key: str = "k", *, org: str = ACME, account: str = ACME_ADS, parts=GOOGLE_PARTS,
                 **fields: Any) -> SnapshotRequest:
    return SnapshotRequest(key=key, organization_id=org, platform=Platform.GOOGLE_ADS, account_id=account,
                           parts=frozenset(parts), **fields)


def ac_request(key: str = "k", *, org: str = ACME, account: str = ACME_AC, parts=None, **fields: Any) -> SnapshotRequest:
    parts = parts or {SnapshotPart.ACCOUNT, SnapshotPart.EMAIL_CAMPAIGN, SnapshotPart.AUTOMATION}
    return SnapshotRequest(key=key, organization_id=org, platform=Platform.ACTIVECAMPAIGN, account_id=account,
                           parts=frozenset(parts), **fields)


def read_gads(ads: GoogleAdsSandbox, now: datetime = NOW, **fields: Any) -> Snapshot:
    request = gads_request(**fields)
    return ads.snapshot(request.account_id, [request], now)[request.key]


def read_ac(ac: ActiveCampaignSandbox, now: datetime = NOW, **fields: Any) -> Snapshot:
    request = ac_request(**fields)
    return ac.snapshot(request.account_id, [request], now)[request.key]


def gads_batch(*ops: Any, key: str = "act-1", org: str = ACME, account: str = ACME_ADS) -> OpBatch:
    return OpBatch(key=key, organization_id=org, platform=Platform.GOOGLE_ADS, account_id=account, ops=ops)


def ac_batch(*ops: Any, key: str = "act-1", org: str = ACME, account: str = ACME_AC) -> OpBatch:
    return OpBatch(key=key, organization_id=org, platform=Platform.ACTIVECAMPAIGN, account_id=account, ops=ops)
