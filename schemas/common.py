"""Shared value types: money, zoned timestamps, identifiers and the small enums everyone speaks."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

MONEY_MAX = Decimal("1000000000")


def _finite_money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("money must be a finite number (NaN and infinity are refused)")
    if value < 0:
        raise ValueError("money must not be negative")
    if value > MONEY_MAX:
        raise ValueError(f"money must not exceed {MONEY_MAX}")
    return value


def _plain_number(value: Any) -> Any:
    """Decimal() would read full-width or Arabic-Indic digits and `5_000`: numbers in text must be plain."""
    if isinstance(value, str) and (not value.isascii() or "_" in value):
        raise ValueError("write numbers with ASCII digits and no separators")
    return value


def _finite_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("number must be finite (NaN and infinity are refused)")
    return value


# Money is always Decimal in the account currency; floats are refused so no binary rounding sneaks in.
Money = Annotated[Decimal, BeforeValidator(_plain_number), Field(allow_inf_nan=False), AfterValidator(_finite_money)]
FiniteDecimal = Annotated[Decimal, BeforeValidator(_plain_number), Field(allow_inf_nan=False),
                          AfterValidator(_finite_decimal)]
Percent = Annotated[Decimal, BeforeValidator(_plain_number),
                    Field(allow_inf_nan=False, ge=Decimal("-100"), le=Decimal("1000"))]
ZonedDatetime = AwareDatetime

# Identifier shapes. Google Ads ids are digits; customer ids are exactly 10 digits without dashes.
# ASCII digits only: `\d` would also take full-width or Arabic-Indic digits (look-alike ids).
CustomerId = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
NumericId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,19}$")]
OrgId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$")]
OpportunityId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
ActionId = Annotated[str, StringConstraints(pattern=r"^act-[0-9a-f]{24}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s<>\"']{1,2000}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=20000)]


class Platform(StrEnum):
    GOOGLE_ADS = "google_ads"
    ACTIVECAMPAIGN = "activecampaign"
    CONTENT = "content"


class ActionStatus(StrEnum):
    PLANNED = "PLANNED"
    BLOCKED = "BLOCKED"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    DRY_RUN = "DRY_RUN"
    EXECUTING = "EXECUTING"
    EXECUTED = "EXECUTED"
    FAILED = "FAILED"
    UNCERTAIN = "UNCERTAIN"
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    REJECTED_INPUT = "REJECTED_INPUT"
    MANUAL = "MANUAL"
    MEASURED = "MEASURED"


# A change sent (or about to be) whose outcome is not known yet: settled by reading the entity.
IN_FLIGHT: frozenset[ActionStatus] = frozenset({ActionStatus.EXECUTING, ActionStatus.UNCERTAIN})


class Outcome(StrEnum):
    """A rule's decision. Ordered: the verdict is the strictest outcome of all rules."""

    ALLOW = "allow"
    NEEDS_APPROVAL = "needs_approval"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return {"allow": 0, "needs_approval": 1, "block": 2}[self.value]


class AutonomyMode(StrEnum):
    ADVISORY = "advisory"
    SUPERVISED = "supervised"
    AUTONOMOUS = "autonomous"


class RolloutPhase(StrEnum):
    SANDBOX = "sandbox"
    SAFE = "safe"
    EXPANDED = "expanded"
    FULL = "full"


class FrozenModel(BaseModel):
    """Immutable, strict-about-extras base for every contract model."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, Decimals as strings. Used for hashes."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def stable_hash(value: Any, length: int = 64) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]
