"""Micros ↔ Decimal and bidding schemes ↔ Campaign messages: the only place Google Ads units appear.

Works on proto-plus messages handed in by the caller, so this module imports nothing from `google.ads`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import PermanentError
from schemas.actions import BiddingScheme

MICROS = Decimal(1_000_000)
CENT = Decimal("0.01")

# Our strategy names are the Campaign oneof member names; each has at most one field we model.
SCHEME_TYPES = {
    "manual_cpc": "ManualCpc",
    "maximize_conversions": "MaximizeConversions",
    "maximize_conversion_value": "MaximizeConversionValue",
    "target_cpa": "TargetCpa",
    "target_roas": "TargetRoas",
    "target_spend": "TargetSpend",
}
_SCHEME_FIELDS = {  # BiddingScheme field -> sub-field of the oneof member
    "target_cpa": "target_cpa_micros",
    "target_roas": "target_roas",
    "cpc_bid_ceiling": "cpc_bid_ceiling_micros",
    "enhanced_cpc_enabled": "enhanced_cpc_enabled",
}
_MEMBER_FIELDS = {
    "manual_cpc": ("enhanced_cpc_enabled",),
    "maximize_conversions": ("target_cpa",),
    "maximize_conversion_value": ("target_roas",),
    "target_cpa": ("target_cpa",),
    "target_roas": ("target_roas",),
    "target_spend": ("cpc_bid_ceiling",),
}


def from_micros(micros: int) -> Decimal:
    """Account-currency micros as a Decimal: whole cents keep two places (`50.00`), finer amounts stay
    exact (`0.015`)."""
    value = Decimal(int(micros)) / MICROS
    cents = value.quantize(CENT)
    return cents if cents == value else value.normalize()


def to_micros(amount: Decimal, what: str) -> int:
    """Refuse amounts finer than a micro rather than rounding money silently."""
    micros = amount * MICROS
    if micros != micros.to_integral_value():
        raise PermanentError(f"{what} {amount} has more precision than Google Ads micros allow",
                             code="precision")
    return int(micros)


def ratio(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _member(campaign: Any) -> str | None:
    return type(campaign).pb(campaign).WhichOneof("campaign_bidding_strategy")  # type: ignore[no-any-return]


def scheme_from_campaign(campaign: Any) -> tuple[BiddingScheme | None, str]:
    """The campaign's standard bidding scheme, or None with the name of what we cannot represent
    (portfolio strategies and the schemes the Operator does not support)."""
    if campaign.bidding_strategy:
        return None, "portfolio bidding strategy"
    type_name = campaign.bidding_strategy_type.name
    strategy = type_name.lower() if type_name not in ("UNSPECIFIED", "UNKNOWN") else (_member(campaign) or "")
    if strategy not in SCHEME_TYPES:
        return None, strategy or "no bidding scheme"
    member = getattr(campaign, strategy)
    values: dict[str, Any] = {}
    for field in _MEMBER_FIELDS[strategy]:
        sub = _SCHEME_FIELDS[field]
        raw = getattr(member, sub)
        if field == "enhanced_cpc_enabled":
            values[field] = True if raw else None  # eCPC off reads as "not set": one spelling of off
        elif raw:
            values[field] = ratio(raw) if field == "target_roas" else from_micros(raw)
    try:
        return BiddingScheme(strategy=strategy, **values), strategy
    except ValueError:
        return None, f"{strategy} without its target"


def normalized(scheme: BiddingScheme) -> BiddingScheme:
    """A requested scheme as it will read back (eCPC off is "not set")."""
    if scheme.enhanced_cpc_enabled is False:
        return scheme.model_copy(update={"enhanced_cpc_enabled": None})
    return scheme


def set_scheme(campaign: Any, scheme: BiddingScheme) -> list[str]:
    """Write the scheme into a Campaign update and return its mask paths.

    Every modelled field is masked by its sub-field path (`maximize_conversions.target_cpa_micros`): a
    given value is set, an absent one is cleared by the path without a value (the documented way to clear a
    field). The parent path is never used: a field with sub-fields "may be cleared, but not updated" by it
    (`FieldMaskError.FIELD_HAS_SUBFIELDS`). The member message is marked present so it becomes the
    campaign's strategy even when every field is cleared.

    Enhanced CPC is never switched on: it is no longer selectable for Search and Display campaigns
    (Google Ads Help 2390590), so such a request is refused here, before anything is sent.
    """
    if scheme.enhanced_cpc_enabled:
        raise PermanentError("Enhanced CPC can no longer be switched on (Google Ads Help 2390590)",
                             code="enhanced_cpc_unavailable")
    member = scheme.strategy
    getattr(type(campaign).pb(campaign), member).SetInParent()
    paths = []
    for field in _MEMBER_FIELDS[member]:
        value = getattr(scheme, field)
        sub = _SCHEME_FIELDS[field]
        paths.append(f"{member}.{sub}")
        if value is None:
            continue
        if field == "target_roas":
            converted: Any = float(value)
        elif field == "enhanced_cpc_enabled":
            converted = bool(value)
        else:
            converted = to_micros(value, field)
        setattr(getattr(campaign, member), sub, converted)
    return paths
