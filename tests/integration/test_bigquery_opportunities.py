"""BigQueryOpportunitySource on bqemulator: approved opportunities (expired ones and bad input
included), the status re-read before execution, and the Operator's marks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.bigquery import BigQueryOpportunitySource
from tests.integration.gcp import TEST_POLICY

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def opportunity(opp_id: str, *, org: str = "org-acme", status: str = "approved", expires: datetime | None = None,
                **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": 1, "opportunity_id": opp_id, "organization_id": org, "status": status,
        "created_at": "2026-11-20T09:12:00Z", "expires_at": (expires or NOW + timedelta(days=5)).isoformat(),
        "approved_by": "jane@acme.example", "approved_at": "2026-11-20T10:00:00Z", "title": f"Pause {opp_id}",
        "confidence": 0.92, "platform": "google_ads",
        "action": {"type": "pause_campaign", "target": {"customer_id": "1234567890", "campaign_id": "111"},
                   "params": {}},
        "evidence": {"window_days": 14, "spend": "612.40", "conversions": 0},
        **extra,
    }


@pytest.fixture
def source(bq_client, bigquery_emulator, bq_dataset) -> BigQueryOpportunitySource:
    return BigQueryOpportunitySource(bq_client, bigquery_emulator.project, bq_dataset, policy=TEST_POLICY)


def test_pull_returns_approved_raw_documents_in_load_order_expired_included(source):
    expired = opportunity("opp-3", expires=NOW - timedelta(hours=1))
    raws = [opportunity("opp-2"), opportunity("opp-1", status="pending"), expired,
            opportunity("opp-4", status="dismissed"), opportunity("opp-5", org="org-beta")]
    assert source.load_opportunities(raws) == 5

    assert source.pull_approved(None, NOW) == [raws[0], expired, raws[4]]
    assert source.pull_approved("org-acme", NOW) == [raws[0], expired]
    assert source.pull_approved("org-nobody", NOW) == []


def test_bad_input_is_pulled_back_unchanged_so_it_gets_a_log_row(source, tmp_path):
    no_status = opportunity("opp-9")
    del no_status["status"]
    path = tmp_path / "scout.jsonl"
    path.write_text("\n".join([json.dumps(opportunity("opp-1")), "this is not json",
                               json.dumps(no_status), json.dumps([1, 2])]) + "\n")

    assert source.load_opportunities(path) == 4

    pulled = source.pull_approved(None, NOW)
    assert pulled == [opportunity("opp-1"), "this is not json", no_status, [1, 2]]
    assert source.pull_approved("org-acme", NOW) == pulled
    assert source.pull_approved("org-beta", NOW) == ["this is not json", [1, 2]]  # they belong to nobody


def test_rows_naming_no_valid_organization_are_pulled_for_every_organization(source):
    bad_org = opportunity("opp-1", org="ORG WITH SPACES")
    numeric_org = {**opportunity("opp-2"), "organization_id": 42}
    source.load_opportunities([bad_org, numeric_org, opportunity("opp-3", org="org-beta")])
    assert source.pull_approved("org-acme", NOW) == [bad_org, numeric_org]
    assert source.pull_approved("org-beta", NOW) == [bad_org, numeric_org, opportunity("opp-3", org="org-beta")]


def test_non_finite_numbers_do_not_stop_the_load(source, tmp_path):
    path = tmp_path / "scout.jsonl"
    path.write_text('{"opportunity_id": "opp-nan", "organization_id": "org-acme", "status": "approved", '
                    '"confidence": NaN, "evidence": {"spend": Infinity}}\n')
    assert source.load_opportunities(path) == 1
    assert source.pull_approved("org-acme", NOW) == [{"opportunity_id": "opp-nan", "organization_id": "org-acme",
                                                      "status": "approved", "confidence": "nan",
                                                      "evidence": {"spend": "inf"}}]


def test_current_status_rereads_status_and_expiry(source):
    source.load_opportunities([opportunity("opp-1", expires=NOW + timedelta(hours=2))])
    assert source.current_status("opp-1") == ("approved", NOW + timedelta(hours=2))
    assert source.current_status("opp-unknown") is None

    source.load_opportunities([opportunity("opp-1", status="dismissed", expires=NOW + timedelta(hours=2))])
    assert source.current_status("opp-1") == ("dismissed", NOW + timedelta(hours=2))
    assert source.pull_approved(None, NOW) == []


def test_a_mark_supersedes_the_status_until_scout_writes_again(source):
    source.load_opportunities([opportunity("opp-1"), opportunity("opp-2")])
    source.mark("opp-1", "actioned")
    source.mark("opp-unknown", "actioned")  # changes nothing visible

    assert source.current_status("opp-1")[0] == "actioned"
    assert [o["opportunity_id"] for o in source.pull_approved(None, NOW)] == ["opp-2"]

    source.load_opportunities([opportunity("opp-1")])  # Scout re-approves it later
    assert source.current_status("opp-1")[0] == "approved"
    assert source.current_status("opp-unknown") is None


def test_the_last_row_of_one_load_wins(source):
    source.load_opportunities([opportunity("opp-1"), opportunity("opp-1", status="expired")])
    assert source.current_status("opp-1")[0] == "expired"
