"""The Scout opportunity: versioned JSON input contract (spec §1, `schema_version: 1`)."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from schemas.actions import ACTION_TYPES, APPROVAL_ONLY_KINDS
from schemas.common import FrozenModel, LongText, OpportunityId, OrgId, Platform, ZonedDatetime

MAX_OPPORTUNITY_BYTES = 64 * 1024
MAX_OPPORTUNITY_DEPTH = 32  # nesting of objects/arrays; real opportunities use about 4


class ActionProposal(FrozenModel):
    """The structured action inside an opportunity, validated loosely here and strictly by the planner
    (so a bad target or param becomes a REJECTED_INPUT record with the reason, not a lost row)."""

    type: Annotated[str, StringConstraints(max_length=64)]
    target: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ACTION_TYPES and value not in APPROVAL_ONLY_KINDS:
            raise ValueError(f"unknown action type {value!r}")
        return value


def _no_bad_numbers(value: Any, path: str = "evidence") -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path} contains a non-finite number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{path} contains a non-finite number")
    if isinstance(value, str) and value.strip().lower() in {"nan", "inf", "-inf", "infinity", "-infinity"}:
        raise ValueError(f"{path} contains a non-finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            _no_bad_numbers(item, f"{path}.{key}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _no_bad_numbers(item, f"{path}[{index}]")


# Evidence fields that hold money (at any depth): a non-negative decimal, as a string or a JSON number.
EVIDENCE_MONEY_KEYS = frozenset({"spend", "cost", "conversion_value", "conversions_value", "revenue", "value",
                                 "budget", "daily_budget", "cpa", "cpc", "avg_cpc", "bid", "cpc_bid"})
EVIDENCE_MONEY_SUFFIXES = ("_spend", "_cost", "_value", "_revenue", "_budget", "_cpa", "_cpc", "_bid")
_PLAIN_DECIMAL = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,9})?$")


def _is_money_key(key: str) -> bool:
    name = key.lower()
    return name in EVIDENCE_MONEY_KEYS or name.endswith(EVIDENCE_MONEY_SUFFIXES)


def _money_problems(value: Any, path: str = "evidence") -> list[str]:
    """Every money field in the evidence that is not a plain non-negative decimal (spec §1: money is a
    decimal string or number; negative, NaN/infinity and trailing text are refused)."""
    problems: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if _is_money_key(str(key)) and not isinstance(item, dict | list) and item is not None:
                number = item if isinstance(item, str) else repr(item)
                if isinstance(item, bool) or not isinstance(item, str | int | float | Decimal) \
                        or not _PLAIN_DECIMAL.match(number.strip() if isinstance(item, str) else str(item)):
                    problems.append(f"{where} must be a non-negative decimal amount, got {number[:40]!r}")
                continue
            problems += _money_problems(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += _money_problems(item, f"{path}[{index}]")
    return problems


class Opportunity(FrozenModel):
    schema_version: Literal[1]
    opportunity_id: OpportunityId
    organization_id: OrgId
    status: Literal["approved", "pending", "dismissed", "expired", "actioned"]
    created_at: ZonedDatetime
    expires_at: ZonedDatetime
    approved_by: Annotated[str, StringConstraints(max_length=320)] | None = None
    approved_at: ZonedDatetime | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    rationale: LongText = ""
    confidence: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    platform: Platform | None = None
    action: ActionProposal | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)

    @field_validator("evidence")
    @classmethod
    def _finite_evidence(cls, value: dict[str, Any]) -> dict[str, Any]:
        _no_bad_numbers(value)
        problems = _money_problems(value)
        if problems:
            raise ValueError("; ".join(problems[:5]))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Opportunity:
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        if self.status == "approved" and not self.approved_by:
            raise ValueError("an approved opportunity names approved_by")
        return self


class OpportunityError(ValueError):
    """Raised for input that is not a valid opportunity; `reason` is safe to log and show."""

    def __init__(self, reason: str, opportunity_id: str | None, organization_id: str | None):
        super().__init__(reason)
        self.reason = reason
        self.opportunity_id = opportunity_id
        self.organization_id = organization_id


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: `field.path: message` (input values are left out: they may be hostile)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


def _depth(raw: Any) -> int:
    """How deeply objects and arrays nest (iterative: hostile input cannot exhaust the stack)."""
    deepest, stack = 0, [(raw, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list | tuple):
            level += 1
            deepest = max(deepest, level)
            if level > MAX_OPPORTUNITY_DEPTH:
                break
            stack.extend((item, level) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _size_problem(raw: Any) -> str | None:
    """Why the raw input is too big (or too deep) to judge, or None. Checked before anything else reads it."""
    if _depth(raw) > MAX_OPPORTUNITY_DEPTH:
        return f"the opportunity nests more than {MAX_OPPORTUNITY_DEPTH} levels deep"
    try:
        size = len(json.dumps(raw, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError):
        return None  # not JSON at all: the shape checks below say so
    if size > MAX_OPPORTUNITY_BYTES:
        return f"the opportunity is {size:,} bytes; the limit is {MAX_OPPORTUNITY_BYTES:,} bytes"
    return None


def parse_opportunity(raw: Any) -> Opportunity:
    """Validate one raw opportunity (a dict from JSON). Raises `OpportunityError` with a clear reason.
    Oversized (more than MAX_OPPORTUNITY_BYTES of JSON) or deeply nested input is refused first."""
    opp_id = raw.get("opportunity_id") if isinstance(raw, dict) else None
    org_id = raw.get("organization_id") if isinstance(raw, dict) else None
    opp_id = opp_id if isinstance(opp_id, str) and len(opp_id) <= 128 else None
    org_id = org_id if isinstance(org_id, str) and len(org_id) <= 63 else None
    too_big = _size_problem(raw)
    if too_big:
        raise OpportunityError(too_big, opp_id, org_id)
    if not isinstance(raw, dict):
        raise OpportunityError("an opportunity must be a JSON object", None, None)
    if raw.get("schema_version") != 1:
        raise OpportunityError(
            f"unsupported schema_version {raw.get('schema_version')!r} (this Operator reads version 1)",
            opp_id,
            org_id,
        )
    try:
        return Opportunity.model_validate(raw)
    except ValidationError as error:
        raise OpportunityError(describe_validation_error(error), opp_id, org_id) from None
