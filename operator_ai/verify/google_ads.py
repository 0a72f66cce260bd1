"""Google Ads side of `operator verify`: `validate_only` mutations for every action type on a real entity
of each of the org's customers (see connectors/google_ads/verify.py). Google validates them and changes
nothing. With several customers, an action type is refused if any customer refuses it, supported if one
supports it, else unverified."""

from __future__ import annotations

from typing import Any

from connectors.base import PlatformError
from operator_ai.verify import NotConnected, VerifyContext, VerifyRow, VerifyStatus

_RANK = {VerifyStatus.REFUSED: 0, VerifyStatus.SUPPORTED: 1, VerifyStatus.UNVERIFIED: 2}


def verify(ctx: VerifyContext) -> list[VerifyRow]:
    customers = ctx.policy.connected.google_ads_customer_ids
    if not customers:
        raise NotConnected(f"organization {ctx.policy.organization_id} has no Google Ads account connected")
    found: dict[str, VerifyRow] = {}
    for customer in customers:
        try:
            rows: list[dict[str, Any]] = ctx.connector.verify(ctx.policy.organization_id, customer)
        except PlatformError as error:  # not allowlisted, no credentials, permission denied: never reached
            raise NotConnected(f"{customer}: {error.message}") from None
        for raw in rows:
            row = VerifyRow(raw["action_type"], VerifyStatus(raw["status"]), f"{customer}: {raw['reason']}",
                            entity=f"{customer}: {raw['entity']}" if raw["entity"] else None,
                            operations=tuple(raw["operations"]))
            kept = found.get(row.action_type)
            if kept is None or _RANK[row.status] < _RANK[kept.status]:
                found[row.action_type] = row
    return list(found.values())
