"""Opportunities and org policies for the LLM contract tests."""

from __future__ import annotations

from typing import Any

from schemas.common import AutonomyMode, RolloutPhase
from schemas.opportunity import Opportunity, parse_opportunity
from schemas.policy import ActiveCampaignAccount, ConnectedAccounts, OrgPolicy

TEST_KEY = "sk-ant-test-SECRET-0123456789"  # recognisable: tests assert it never leaks
ORG = "org-acme"
CUSTOMER = "1234567890"
AC_ACCOUNT = "acme"
SITE = "acme.example"


def raw_opportunity(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "schema_version": 1,
        "opportunity_id": "opp-free-1",
        "organization_id": ORG,
        "status": "approved",
        "created_at": "2026-11-20T08:00:00Z",
        "expires_at": "2026-11-27T08:00:00Z",
        "approved_by": "sam@acme.example",
        "approved_at": "2026-11-20T09:00:00Z",
        "title": "Generic Widgets campaign is wasting spend",
        "rationale": "Campaign 111 spent 612.40 in 14 days with no conversions.",
        "confidence": 0.93,
        "evidence": {"customer_id": CUSTOMER, "campaign_id": "111", "spend": "612.40", "conversions": 0},
    }
    raw.update(overrides)
    return raw


def opportunity(**overrides: Any) -> Opportunity:
    return parse_opportunity(raw_opportunity(**overrides))


def policy(**connected: Any) -> OrgPolicy:
    accounts: dict[str, Any] = {
        "google_ads_customer_ids": (CUSTOMER,),
        "google_ads_login_customer_id": "9999999999",
        "activecampaign": (ActiveCampaignAccount(account_id=AC_ACCOUNT, base_url="https://acme.api-us1.com",
                                                 token_ref="env:ACME_AC_TOKEN"),),
        "content_sites": (SITE,),
    }
    accounts.update(connected)
    return OrgPolicy(organization_id=ORG, autonomy=AutonomyMode.AUTONOMOUS, rollout_phase=RolloutPhase.FULL,
                     connected=ConnectedAccounts(**accounts), google_ads_credentials_ref="sm:acme/google-ads")
