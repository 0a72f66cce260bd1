"""The GAQL the connector runs: one query per entity kind, for every target of a run at once.

Ids are interpolated into queries, so every id is checked to be digits first (GAQL has no bind
parameters); resource names are built only from checked ids.
"""

# ruff: noqa: S608 - GAQL, not SQL; every interpolated value is a checked id, resource name or date

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from connectors.base import PermanentError

# GAQL has no documented IN-list maximum, but queries are capped in size: keep lists modest.
IN_LIST_CHUNK = 1000

BIDDING_FIELDS = (
    "campaign.bidding_strategy_type",
    "campaign.bidding_strategy",
    "campaign.manual_cpc.enhanced_cpc_enabled",
    "campaign.maximize_conversions.target_cpa_micros",
    "campaign.maximize_conversion_value.target_roas",
    "campaign.target_cpa.target_cpa_micros",
    "campaign.target_roas.target_roas",
    "campaign.target_spend.cpc_bid_ceiling_micros",
)
METRIC_FIELDS = ("metrics.cost_micros", "metrics.conversions", "metrics.conversions_value",
                 "metrics.clicks", "metrics.impressions")


def digits(value: str | None, what: str) -> str:
    if value is None or not value.isdigit() or len(value) > 19:
        raise PermanentError(f"{what} must be a numeric Google Ads id, got {value!r}")
    return value


def keyword_resource_name(customer_id: str, ad_group_id: str, criterion_id: str) -> str:
    return (f"customers/{digits(customer_id, 'customer id')}/adGroupCriteria/"
            f"{digits(ad_group_id, 'ad group id')}~{digits(criterion_id, 'criterion id')}")


def chunks(values: Iterable[str]) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[i:i + IN_LIST_CHUNK] for i in range(0, len(ordered), IN_LIST_CHUNK)]


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(digits(i, "id") for i in ids)


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _during(start: date, end: date) -> str:
    return f"segments.date BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'"


def check_query() -> str:
    return "SELECT customer.id FROM customer LIMIT 1"


def customer_query() -> str:
    return "SELECT customer.id, customer.currency_code, customer.time_zone FROM customer"


def campaigns_query(campaign_ids: Iterable[str]) -> str:
    """Campaign state and its budget (an attributed resource, so one query covers both)."""
    fields = (
        "campaign.resource_name", "campaign.id", "campaign.name", "campaign.status", "campaign.start_date_time",
        "campaign.campaign_budget", "campaign.advertising_channel_type", "campaign.bidding_strategy_system_status",
        *BIDDING_FIELDS,
        "campaign_budget.id", "campaign_budget.amount_micros", "campaign_budget.explicitly_shared",
        "campaign_budget.reference_count", "campaign_budget.period", "campaign_budget.total_amount_micros",
    )
    return f"SELECT {', '.join(fields)} FROM campaign WHERE campaign.id IN ({_ids(campaign_ids)})"


def labels_query(campaign_ids: Iterable[str]) -> str:
    return f"SELECT campaign.id, label.name FROM campaign_label WHERE campaign.id IN ({_ids(campaign_ids)})"


def enabled_budgets_query() -> str:
    """Budgets of every enabled campaign: the account's total daily budget (shared budgets count once;
    custom-period budgets have no daily amount)."""
    return ("SELECT campaign.id, campaign_budget.id, campaign_budget.amount_micros, campaign_budget.period "
            "FROM campaign WHERE campaign.status = 'ENABLED'")


def campaign_metrics_query(campaign_ids: Iterable[str], start: date, end: date) -> str:
    """Totals over the window: `segments.date` filters but is not selected, so rows are not split by day."""
    return (f"SELECT campaign.id, {', '.join(METRIC_FIELDS)} FROM campaign "
            f"WHERE campaign.id IN ({_ids(campaign_ids)}) AND {_during(start, end)}")


def negatives_query(campaign_ids: Iterable[str]) -> str:
    return ("SELECT campaign.id, campaign_criterion.resource_name, campaign_criterion.keyword.text, "
            "campaign_criterion.keyword.match_type FROM campaign_criterion "
            f"WHERE campaign.id IN ({_ids(campaign_ids)}) AND campaign_criterion.type = 'KEYWORD' "
            "AND campaign_criterion.negative = TRUE AND campaign_criterion.status != 'REMOVED'")


def search_terms_query(campaign_ids: Iterable[str], start: date, end: date) -> str:
    """Converting search terms only: the negatives rule protects converters; the rest is noise."""
    return ("SELECT campaign.id, search_term_view.search_term, metrics.conversions, metrics.cost_micros, "
            f"metrics.clicks FROM search_term_view WHERE campaign.id IN ({_ids(campaign_ids)}) "
            f"AND {_during(start, end)} AND metrics.conversions > 0")


def keywords_query(resource_names: Iterable[str]) -> str:
    fields = (
        "campaign.id", "campaign.bidding_strategy_type", "ad_group.id", "ad_group.cpc_bid_micros",
        "ad_group_criterion.resource_name", "ad_group_criterion.criterion_id", "ad_group_criterion.status",
        "ad_group_criterion.keyword.text", "ad_group_criterion.keyword.match_type",
        "ad_group_criterion.cpc_bid_micros", "ad_group_criterion.effective_cpc_bid_micros",
        "ad_group_criterion.effective_cpc_bid_source",
    )
    return (f"SELECT {', '.join(fields)} FROM ad_group_criterion "
            f"WHERE ad_group_criterion.resource_name IN ({_names(resource_names)})")


def keyword_metrics_query(resource_names: Iterable[str], start: date, end: date) -> str:
    return (f"SELECT ad_group_criterion.resource_name, {', '.join(METRIC_FIELDS)} FROM keyword_view "
            f"WHERE ad_group_criterion.resource_name IN ({_names(resource_names)}) AND {_during(start, end)}")
