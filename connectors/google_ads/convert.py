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


def set_scheme(client: Any, campaign: Any, scheme: BiddingScheme) -> list[str]:
    """Write the scheme into a Campaign update and return its mask paths.

    Given fields are masked by their sub-path. A member with nothing set is an *empty message*, which a
    generated field mask cannot see: its path is added by hand, or the API would silently change nothing.
    """
    member = scheme.strategy
    paths = []
    for field in _MEMBER_FIELDS[member]:
        value = getattr(scheme, field)
        if value is None:
            continue
        sub = _SCHEME_FIELDS[field]
        if field == "target_roas":
            converted: Any = float(value)
        elif field == "enhanced_cpc_enabled":
            converted = bool(value)
        else:
            converted = to_micros(value, field)
        setattr(getattr(campaign, member), sub, converted)
        paths.append(f"{member}.{sub}")
    if not paths:
        setattr(campaign, member, client.get_type(SCHEME_TYPES[member]))
        paths.append(member)
    return paths
