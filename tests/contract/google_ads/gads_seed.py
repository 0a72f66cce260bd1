"""The seeded fake accounts and the ids the contract tests talk about.

Customer 1234567890 (under manager 1112223333, New York time, USD):
- budgets 1001 (50.00), 1002 (80.00, explicitly shared by 222 and 333), 1003 (20.00)
- 111 "Generic – Widgets": ENABLED, manual CPC, 612.36 spent over the last 14 days, no conversions;
  ad group 5001 (default bid 1.00) with keyword 7001 "blue widgets" (own bid 1.20) and 7002 "widgets"
  (inherits the ad group bid); negative "free" (PHRASE); converting search terms
- 222 "Brand – Acme": ENABLED, target spend (ceiling 2.50), label "brand", strong ROAS
- 333 "Shoes": ENABLED, maximize conversions (target CPA 20.00)
- 444 "Old": PAUSED, target ROAS 3.5
Customer 2223334444: another account under the same manager, never on the test org's allowlist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gads_fake import Account

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 12:00 in New York
TODAY = date(2026, 11, 20)
LOCAL_NOW = datetime(2026, 11, 20, 12, 0)  # NOW in the account's zone, as change_event reports times
ORG = "org-acme"
CUSTOMER = "1234567890"
MANAGER = "1112223333"
OTHER_CUSTOMER = "2223334444"
KEYWORD_OWN_BID = f"customers/{CUSTOMER}/adGroupCriteria/5001~7001"
KEYWORD_INHERITED = f"customers/{CUSTOMER}/adGroupCriteria/5001~7002"


def main_account() -> Account:
    account = Account(CUSTOMER, manager_id=MANAGER, clock=LOCAL_NOW)
    account.add_budget(1001, "50.00")
    account.add_budget(1002, "80.00", shared=True)
    account.add_budget(1003, "20.00")
    account.add_campaign(111, "Generic – Widgets", budget=1001, scheme="manual_cpc", start="2025-01-10")
    account.add_campaign(222, "Brand – Acme", budget=1002, scheme="target_spend", cpc_bid_ceiling_micros=2_500_000)
    account.add_campaign(333, "Shoes", budget=1002, scheme="maximize_conversions", target_cpa_micros=20_000_000,
                         start="2026-11-19")
    account.add_campaign(444, "Old", budget=1003, status="PAUSED", scheme="target_roas", target_roas=3.5)
    account.add_label(222, "brand")
    account.add_ad_group(5001, 111, cpc_bid="1.00")
    account.add_keyword(5001, 7001, "blue widgets", "EXACT", cpc_bid="1.20")
    account.add_keyword(5001, 7002, "widgets", "BROAD")
    account.add_negative(111, "free", "PHRASE")
    for back in range(14):
        day = TODAY - timedelta(days=back)
        account.add_campaign_day(111, day, cost="43.74", clicks=30, impressions=900)
        account.add_campaign_day(222, day, cost="40.00", conversions=3, value=600.0, clicks=50, impressions=800)
        account.add_keyword_day(KEYWORD_OWN_BID, day, cost="5.00", conversions=1, value=30.0, clicks=10,
                                impressions=100)
    account.add_campaign_day(111, TODAY - timedelta(days=20), cost="1000.00")  # outside a 14-day window
    account.add_term_day(111, 5001, "cheap widgets", TODAY - timedelta(days=1), cost="30.00", conversions=2, clicks=12)
    account.add_term_day(111, 5001, "free widgets", TODAY - timedelta(days=1), cost="15.00", clicks=9)
    account.add_term_day(111, 5001, "widget repair", TODAY - timedelta(days=2), cost="5.00", conversions=1, clicks=2)
    account.add_term_day(111, 5001, "old converter", TODAY - timedelta(days=40), cost="9.00", conversions=5)
    return account


def other_account() -> Account:
    account = Account(OTHER_CUSTOMER, manager_id=MANAGER, clock=LOCAL_NOW)
    account.add_budget(2001, "10.00")
    account.add_campaign(555, "Elsewhere", budget=2001)
    return account
