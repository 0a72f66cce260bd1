"""The benchmark's world: N organizations, each with a Google Ads account, an ActiveCampaign account and a
content site, and K opportunities that the guardrails allow (so every one of them executes).

Written in the formats the embedded default seeds from (docs/formats.md): `orgs.yaml`, `sandbox.json`
and `opportunities.jsonl` in one samples directory. Per organization the K actions are, in turn: pause a
wasteful campaign, add a negative keyword, raise a healthy campaign's budget by 10 %, pause a sending
email campaign, flag a stale page for a refresh — each on its own entity.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

Action = Callable[[int, int, "Org"], dict[str, Any]]


class Org:
    def __init__(self, n: int) -> None:
        self.n = n
        self.id = f"org-b{n:05d}"
        self.customer = f"{8000000000 + n}"
        self.mail = f"mail-b{n:05d}"
        self.site = f"b{n}.example"


def _pause(i: int, k: int, org: Org) -> dict[str, Any]:
    return {"type": "pause_campaign", "target": {"customer_id": org.customer, "campaign_id": str(1000 + i)},
            "params": {}}


def _negatives(i: int, k: int, org: Org) -> dict[str, Any]:
    return {"type": "add_negative_keywords", "target": {"customer_id": org.customer, "campaign_id": str(2000 + i)},
            "params": {"keywords": [{"text": f"free stuff {i}", "match_type": "EXACT"}]}}


def _budget(i: int, k: int, org: Org) -> dict[str, Any]:
    return {"type": "adjust_campaign_budget", "target": {"customer_id": org.customer, "campaign_id": str(3000 + i)},
            "params": {"change_pct": "10"}}


def _email(i: int, k: int, org: Org) -> dict[str, Any]:
    return {"type": "pause_email_campaign", "target": {"account_id": org.mail, "campaign_id": str(40 + i)},
            "params": {}}


def _refresh(i: int, k: int, org: Org) -> dict[str, Any]:
    return {"type": "flag_content_refresh", "target": {"url": f"https://{org.site}/page-{i}"},
            "params": {"reason": "last updated two years ago"}}


KINDS: list[tuple[str, Action]] = [("google_ads", _pause), ("google_ads", _negatives), ("google_ads", _budget),
                                   ("activecampaign", _email), ("content", _refresh)]


def plan(k: int) -> list[tuple[int, str, Action]]:
    """(index within its kind, platform, builder) for the org's K actions, kinds taken in turn."""
    counts: dict[str, int] = {}
    chosen = []
    for j in range(k):
        platform, build = KINDS[j % len(KINDS)]
        index = counts.get(build.__name__, 0)
        counts[build.__name__] = index + 1
        chosen.append((index, platform, build))
    return chosen


def _ads_account(org: Org, k: int) -> dict[str, Any]:
    budgets, campaigns = [], []
    count = k // len(KINDS) + 1
    for i in range(count):
        for base, metrics, terms in (
                (1000, {"cost": "900.00", "conversions": "0", "conversion_value": "0"}, []),  # wasteful: pause
                (2000, {"cost": "700.00", "conversions": "12", "conversion_value": "2100.00"},
                 [{"text": f"free stuff {i}", "cost": "80.00", "conversions": "0", "clicks": 60}]),
                (3000, {"cost": "1000.00", "conversions": "30", "conversion_value": "3500.00"}, [])):  # ROAS 3.5
            campaign_id = str(base + i)
            budgets.append({"budget_id": campaign_id, "amount": "100.00"})
            campaigns.append({"campaign_id": campaign_id, "name": f"Generic {campaign_id}", "budget_id": campaign_id,
                              "started_days_ago": 90, "metrics": {**metrics, "clicks": 500, "impressions": 9000},
                              "search_terms": terms})
    return {"customer_id": org.customer, "organization_id": org.id, "budgets": budgets, "campaigns": campaigns}


def _ac_account(org: Org, k: int) -> dict[str, Any]:
    campaigns = [{"campaign_id": str(40 + i), "name": f"Blast {i}", "status": 2, "subject": f"Sale {i}",
                  "send_amt": 500, "total_amt": 5000, "opens": 20} for i in range(k // len(KINDS) + 1)]
    return {"account_id": org.mail, "organization_id": org.id, "base_url": f"https://{org.mail}.api-us1.com",
            "campaigns": campaigns}


def _policy(org: Org) -> dict[str, Any]:
    return {"organization_id": org.id, "name": f"Bench {org.n}", "autonomy": "autonomous", "rollout_phase": "full",
            "connected": {"google_ads_customer_ids": [org.customer],
                          "activecampaign": [{"account_id": org.mail, "base_url": f"https://{org.mail}.api-us1.com"}],
                          "content_sites": [org.site]}}


def _opportunity(org: Org, j: int, action: dict[str, Any], platform: str, now: datetime) -> dict[str, Any]:
    return {"schema_version": 1, "opportunity_id": f"opp-b{org.n:05d}-{j:03d}", "organization_id": org.id,
            "status": "approved", "created_at": (now - timedelta(hours=3)).isoformat(),
            "expires_at": (now + timedelta(days=30)).isoformat(), "approved_by": "bench@example.com",
            "approved_at": (now - timedelta(hours=2)).isoformat(), "title": f"{action['type']} #{j}",
            "rationale": "benchmark", "confidence": 0.95, "platform": platform, "action": action, "evidence": {}}


def write_world(root: Path, orgs: int, k: int, now: datetime) -> Path:
    """A samples directory with `orgs` organizations and `k` executable opportunities each."""
    root.mkdir(parents=True, exist_ok=True)
    all_orgs = [Org(n) for n in range(orgs)]
    (root / "orgs.yaml").write_text(json.dumps({"organizations": [_policy(o) for o in all_orgs]}), encoding="utf-8")
    fixture = {"version": 1, "window_days": 14, "google_ads": [_ads_account(o, k) for o in all_orgs],
               "activecampaign": [_ac_account(o, k) for o in all_orgs],
               "content": [{"site": o.site, "organization_id": o.id,
                            "pages": [{"url": f"https://{o.site}/page-{i}", "title": f"Page {i}",
                                       "last_updated_days_ago": 700} for i in range(k // len(KINDS) + 1)]}
                           for o in all_orgs]}
    (root / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
    with (root / "opportunities.jsonl").open("w", encoding="utf-8") as out:
        for org in all_orgs:
            for j, (index, platform, build) in enumerate(plan(k)):
                out.write(json.dumps(_opportunity(org, j, build(index, k, org), platform, now)) + "\n")
    return root
