"""The small GAQL subset the fake answers: SELECT fields FROM resource [WHERE c AND c ...] [LIMIT n].

Conditions: =, !=, >, <, >=, <=, IN (...), NOT IN (...), BETWEEN a AND b, on any selectable field of the
row. `segments.date` filters the metric days (rows of entities with no day in range are omitted, as the
API omits rows without activity); `metrics.*` conditions apply to the totals. Only the selected fields
are returned, and only from resources the FROM resource may select (attributed resources), so a query
that asks for the wrong thing fails here as it would at Google.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from google.ads.googleads.v26.resources.types import change_event as change_event_types
from google.ads.googleads.v26.resources.types import customer as customer_types
from google.ads.googleads.v26.services.types import google_ads_service
from google.protobuf import field_mask_pb2
from google.protobuf.descriptor import FieldDescriptor

from .state import Account, Day

GoogleAdsRow = google_ads_service.GoogleAdsRow.pb()
Customer = customer_types.Customer.pb()
ChangeEvent = change_event_types.ChangeEvent.pb()

SELECTABLE = {
    "customer": {"customer"},
    "campaign": {"campaign", "campaign_budget", "customer", "metrics", "segments"},
    "campaign_label": {"campaign_label", "campaign", "label", "customer"},
    "campaign_criterion": {"campaign_criterion", "campaign", "customer"},
    "ad_group_criterion": {"ad_group_criterion", "ad_group", "campaign", "customer"},
    "keyword_view": {"keyword_view", "ad_group_criterion", "ad_group", "campaign", "customer", "metrics", "segments"},
    "search_term_view": {"search_term_view", "ad_group", "campaign", "customer", "metrics", "segments"},
    "change_event": {"change_event", "campaign", "ad_group", "customer"},
}
CHANGE_EVENT_DAYS = 30  # "Changes made through the UI or API in the past 30 days are included"
CHANGE_EVENT_LIMIT = 10_000
_TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>!=|>=|<=|=|>|<)"
                    r"|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))")


class GaqlError(ValueError):
    """A query the fake (or Google) refuses: `code` is the QueryError name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Condition:
    field: str
    op: str
    values: list[Any]


@dataclass
class Query:
    fields: list[str]
    resource: str
    conditions: list[Condition]
    limit: int | None


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise GaqlError("BAD_SYMBOL", f"cannot read GAQL at {text[pos:pos + 20]!r}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            out.append(("value", value[1:-1]))
        elif kind == "num":
            out.append(("value", float(value) if "." in value else int(value)))
        elif kind == "word" and value.upper() in {"TRUE", "FALSE"}:
            out.append(("value", value.upper() == "TRUE"))
        elif kind == "word" and value.upper() in {"SELECT", "FROM", "WHERE", "AND", "IN", "NOT", "BETWEEN", "LIMIT"}:
            out.append(("kw", value.upper()))
        else:
            out.append((kind or "", value))
        pos = match.end()
    return out


def parse(text: str) -> Query:
    tokens = _tokens(text)
    pos = 0

    def take(kind: str, value: Any = None) -> Any:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos][0] != kind or (value is not None and tokens[pos][1] != value):
            raise GaqlError("UNEXPECTED_INPUT", f"expected {value or kind} at token {pos} of {text!r}")
        pos += 1
        return tokens[pos - 1][1]

    def at(kind: str, value: Any = None) -> bool:
        return pos < len(tokens) and tokens[pos][0] == kind and (value is None or tokens[pos][1] == value)

    def literal() -> Any:  # a bare word on the right of an operator is an enum constant
        if at("word"):
            return take("word")
        return take("value")

    take("kw", "SELECT")
    fields = [take("word")]
    while at("punct", ","):
        take("punct", ",")
        fields.append(take("word"))
    take("kw", "FROM")
    resource = take("word")
    conditions = []
    if at("kw", "WHERE"):
        take("kw", "WHERE")
        while True:
            name = take("word")
            if at("kw", "NOT") or at("kw", "IN"):
                negate = at("kw", "NOT")
                if negate:
                    take("kw", "NOT")
                take("kw", "IN")
                take("punct", "(")
                values = [literal()]
                while at("punct", ","):
                    take("punct", ",")
                    values.append(literal())
                take("punct", ")")
                conditions.append(Condition(name, "NOT IN" if negate else "IN", values))
            elif at("kw", "BETWEEN"):
                take("kw", "BETWEEN")
                low = literal()
                take("kw", "AND")
                conditions.append(Condition(name, "BETWEEN", [low, literal()]))
            else:
                conditions.append(Condition(name, take("op"), [literal()]))
            if not at("kw", "AND"):
                break
            take("kw", "AND")
    limit = None
    if at("kw", "LIMIT"):
        take("kw", "LIMIT")
        limit = int(take("value"))
    if pos != len(tokens):
        raise GaqlError("UNEXPECTED_INPUT", f"unexpected input after token {pos} of {text!r}")
    if resource not in SELECTABLE:
        raise GaqlError("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", f"the fake does not serve FROM {resource}")
    for name in fields + [c.field for c in conditions]:
        if name.split(".")[0] not in SELECTABLE[resource]:
            raise GaqlError("PROHIBITED_FIELD_IN_SELECT_CLAUSE", f"{name} cannot be used with FROM {resource}")
    return Query(fields, resource, conditions, limit)


class ChangeEventError(GaqlError):
    """A change_event query without its required date range or LIMIT (ChangeEventError)."""


def check_change_event_query(query: Query, now: datetime) -> None:
    """The API's rules: a finite `change_event.change_date_time` range starting within the last 30 days, and
    a LIMIT of at most 10,000 (get_change_details.py: "The LIMIT clause is required ... The WHERE clause on
    change_date_time is also required. It must specify a window within the past 30 days.")."""
    ranges = [c for c in query.conditions if c.field == "change_event.change_date_time"]
    lows = [c.values[0] for c in ranges if c.op in (">", ">=")] + [c.values[0] for c in ranges if c.op == "BETWEEN"]
    highs = [c.values[0] for c in ranges if c.op in ("<", "<=")] + [c.values[1] for c in ranges if c.op == "BETWEEN"]
    if not lows or not highs:
        raise ChangeEventError("CHANGE_DATE_RANGE_INFINITE", "change_event needs a finite change_date_time range")
    low, high = (datetime.fromisoformat(str(v)) for v in (max(lows), min(highs)))
    if high < low:
        raise ChangeEventError("CHANGE_DATE_RANGE_NEGATIVE", "the change_date_time range ends before it starts")
    if low < now - timedelta(days=CHANGE_EVENT_DAYS):
        raise ChangeEventError("START_DATE_TOO_OLD", f"change_event keeps {CHANGE_EVENT_DAYS} days")
    if query.limit is None:
        raise ChangeEventError("LIMIT_NOT_SPECIFIED", "change_event queries need a LIMIT")
    if not 0 < query.limit <= CHANGE_EVENT_LIMIT:
        raise ChangeEventError("INVALID_LIMIT_CLAUSE", f"the LIMIT must be at most {CHANGE_EVENT_LIMIT}")


# ---------------------------------------------------------------------------------------------- evaluation


def pb_path(message_descriptor: Any, path: str) -> str:
    """GAQL names → protobuf names (proto-plus renames fields like `type` to `type_`)."""
    out, descriptor = [], message_descriptor
    for part in path.split("."):
        if descriptor is None:
            raise GaqlError("BAD_FIELD_NAME", f"unknown field {path}")
        field = descriptor.fields_by_name.get(part) or descriptor.fields_by_name.get(part + "_")
        if field is None:
            raise GaqlError("BAD_FIELD_NAME", f"unknown field {path}")
        out.append(field.name)
        descriptor = field.message_type
    return ".".join(out)


def value_of(row: Any, path: str) -> Any:
    """A field's value for comparisons: enums by name, absent optional fields as None."""
    message = row
    parts = pb_path(row.DESCRIPTOR, path).split(".")
    for part in parts[:-1]:
        if not message.HasField(part):
            return None
        message = getattr(message, part)
    field = message.DESCRIPTOR.fields_by_name[parts[-1]]
    if field.has_presence and not message.HasField(parts[-1]):
        return None
    value = getattr(message, parts[-1])
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values_by_number[value].name
    return value


def _matches(value: Any, condition: Condition) -> bool:
    values = [date.fromisoformat(v) if isinstance(value, date) else v for v in condition.values]
    if condition.op == "IN":
        return value in values
    if condition.op == "NOT IN":
        return value not in values
    if condition.op == "BETWEEN":
        return value is not None and values[0] <= value <= values[1]
    if condition.op == "=":
        return bool(value == values[0])
    if condition.op == "!=":
        return bool(value != values[0])
    if value is None:
        return False
    return bool({">": value > values[0], "<": value < values[0], ">=": value >= values[0],
                 "<=": value <= values[0]}[condition.op])


def _candidates(account: Account, resource: str) -> list[tuple[Any, dict[date, Day] | None]]:
    """Every full row of the FROM resource, with the metric days of its entity (None: no metrics)."""
    customer = Customer(resource_name=account.prefix, id=int(account.customer_id), currency_code=account.currency,
                        time_zone=account.time_zone)
    rows: list[tuple[Any, dict[date, Day] | None]] = []

    def row(**parts: Any) -> Any:
        full = GoogleAdsRow()
        full.customer.CopyFrom(customer)
        for name, message in parts.items():
            getattr(full, name).CopyFrom(message)
        return full

    if resource == "customer":
        rows.append((row(), None))
    elif resource in ("campaign", "campaign_label"):
        for campaign_id in account.campaigns:
            campaign = account.campaign_view(campaign_id)
            if resource == "campaign":
                budget = account.budget_view(campaign.campaign_budget)
                rows.append((row(campaign=campaign, campaign_budget=budget), account.campaign_days.get(campaign_id, {})))
                continue
            for index, label in enumerate(account.labels.get(campaign_id, []), start=1):
                full = row(campaign=campaign)
                full.label.name, full.label.resource_name = label, f"{account.prefix}/labels/{campaign_id}{index}"
                full.campaign_label.campaign = campaign.resource_name
                rows.append((full, None))
    elif resource == "campaign_criterion":
        for criterion in account.negatives.values():
            campaign_id = int(criterion.campaign.rsplit("/", 1)[1])
            rows.append((row(campaign_criterion=criterion, campaign=account.campaign_view(campaign_id)), None))
    elif resource in ("ad_group_criterion", "keyword_view"):
        for name in account.keywords:
            keyword = account.keyword_view(name)
            group = account.ad_groups[int(keyword.ad_group.rsplit("/", 1)[1])]
            campaign = account.campaign_view(account.campaign_of_group(keyword.ad_group))
            full = row(ad_group_criterion=keyword, ad_group=group, campaign=campaign)
            if resource == "keyword_view":
                full.keyword_view.resource_name = name.replace("/adGroupCriteria/", "/keywordViews/")
                rows.append((full, account.keyword_days.get(name, {})))
            else:
                rows.append((full, None))
    elif resource == "change_event":
        for index, change in enumerate(account.changes):
            event = ChangeEvent(
                resource_name=f"{account.prefix}/changeEvents/{int(change.at.timestamp() * 1e6)}~{index}~0",
                change_date_time=change.at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                change_resource_type=change.resource_type, change_resource_name=change.resource_name,
                client_type=change.client_type, user_email=change.user_email,
                resource_change_operation=change.operation)
            event.changed_fields.paths.extend(change.changed_fields)
            if change.campaign:
                event.campaign = change.campaign
            full = row()
            full.change_event.CopyFrom(event)
            if change.campaign:
                full.campaign.resource_name = change.campaign
                full.campaign.id = int(change.campaign.rsplit("/", 1)[1])
            rows.append((full, None))
    elif resource == "search_term_view":
        for (campaign_id, ad_group_id, term), days in account.term_days.items():
            group = {"ad_group": account.ad_groups[ad_group_id]} if ad_group_id in account.ad_groups else {}
            full = row(campaign=account.campaign_view(campaign_id), **group)
            full.search_term_view.search_term = term
            full.search_term_view.resource_name = f"{account.prefix}/searchTermViews/{campaign_id}~{ad_group_id}~{term}"
            rows.append((full, days))
    return rows


def _with_totals(full: Any, days: dict[date, Day], date_conditions: list[Condition]) -> bool:
    picked = [d for day, d in days.items() if all(_matches(day, c) for c in date_conditions)]
    if not picked:
        return False
    _total(full, picked)
    return True


def _daily(full: Any, days: dict[date, Day], date_conditions: list[Condition]) -> list[Any]:
    """One row per day with activity (`segments.date` selected), as the API segments rows."""
    out = []
    for day, metrics in sorted(days.items()):
        if all(_matches(day, c) for c in date_conditions):
            row = type(full)()
            row.CopyFrom(full)
            row.segments.date = day.isoformat()
            _total(row, [metrics])
            out.append(row)
    return out


def _total(full: Any, picked: list[Day]) -> None:
    metrics = full.metrics
    metrics.cost_micros = sum(d.cost_micros for d in picked)
    metrics.conversions = sum(d.conversions for d in picked)
    metrics.conversions_value = sum(d.value for d in picked)
    metrics.clicks = sum(d.clicks for d in picked)
    metrics.impressions = sum(d.impressions for d in picked)


def run(account: Account, text: str, now: datetime | None = None) -> list[Any]:
    query = parse(text)
    if query.resource == "change_event":
        check_change_event_query(query, now or account.local_now())
    wants_metrics = any(f.startswith("metrics.") for f in query.fields)
    by_day = "segments.date" in query.fields
    date_conditions = [c for c in query.conditions if c.field == "segments.date"]
    other = [c for c in query.conditions if c.field != "segments.date"]
    mask = field_mask_pb2.FieldMask(paths=[pb_path(GoogleAdsRow.DESCRIPTOR, f) for f in query.fields])
    out = []
    for full, days in _candidates(account, query.resource):
        if by_day:
            expanded = _daily(full, days, date_conditions) if days is not None else []
        elif wants_metrics or date_conditions:
            expanded = [full] if days is not None and _with_totals(full, days, date_conditions) else []
        else:
            expanded = [full]
        for candidate in expanded:
            if not all(_matches(value_of(candidate, c.field), c) for c in other):
                continue
            projected = GoogleAdsRow()
            mask.MergeMessage(candidate, projected)
            out.append(projected)
    return out[:query.limit] if query.limit is not None else out
