"""Random worlds for invariant runs and the benchmark's shape: organizations with their own sandbox
accounts (Google Ads, ActiveCampaign, a content site) and opportunities aimed at them.

Everything is drawn from one `random.Random`, so a seed reproduces a world exactly. Values are drawn
around the guardrail thresholds (ROAS near 2 and 5, spend near 500, budget changes near 20 % and 50 %,
confidence near 0.85), and some targets do not exist, so every verdict shows up.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

PATTERN = "brand"


@dataclass
class World:
    """What one organization owns, as the generator remembers it (to aim opportunities)."""

    index: int
    org: str
    customer: str
    mail: str
    site: str
    campaigns: list[str] = field(default_factory=list)
    keywords: list[tuple[str, str]] = field(default_factory=list)  # (ad group, criterion)
    terms: dict[str, list[str]] = field(default_factory=dict)  # campaign -> search term texts
    email_campaigns: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)
    serial: int = 0

    def next_opportunity_id(self) -> str:
        self.serial += 1
        return f"opp-s{self.index:05d}-{self.serial:03d}"


def _money(rng: random.Random, low: float, high: float) -> str:
    return str(Decimal(str(round(rng.uniform(low, high), 2))))


def _campaign(rng: random.Random, w: World, n: int, budget_id: str) -> dict[str, Any]:
    cost = rng.choice([0.0, rng.uniform(50, 480), rng.uniform(500, 3000), rng.uniform(500, 3000)])
    roas = rng.choice([0.0, rng.uniform(0.5, 2.5), rng.uniform(1.8, 5.5), rng.uniform(2.2, 4.8), rng.uniform(5.0, 9.0)])
    conversions = 0 if roas == 0 else rng.choice([rng.randint(0, 6), rng.randint(5, 90)])
    value = cost * roas if conversions else 0.0
    brand = rng.random() < 0.2
    started = rng.choice([1, 2, 5, 30, 200, 200])
    metrics = {"cost": f"{cost:.2f}", "conversions": str(conversions), "conversion_value": f"{value:.2f}",
               "clicks": int(cost), "impressions": int(cost * 20)}
    campaign_id = str(1000 + n)
    w.campaigns.append(campaign_id)
    terms = [{"text": f"term {n} {t}", "cost": _money(rng, 1, 80), "conversions": str(rng.choice([0, 0, 1, 3])),
              "clicks": rng.randint(1, 90)} for t in range(rng.randint(0, 3))]
    w.terms[campaign_id] = [t["text"] for t in terms]
    return {"campaign_id": campaign_id, "name": f"{'Brand' if brand else 'Generic'} campaign {n}",
            "labels": ["brand"] if brand and rng.random() < 0.5 else [], "budget_id": budget_id,
            "started_days_ago": started, "status": rng.choice(["ENABLED"] * 6 + ["PAUSED"]),
            "bidding": {"strategy": "manual_cpc"} if rng.random() < 0.8 else {"strategy": "maximize_conversions"},
            "metrics": metrics, "search_terms": terms}


def _google_ads(rng: random.Random, w: World) -> dict[str, Any]:
    budgets, campaigns, groups = [], [], []
    for n in range(rng.randint(2, 5)):
        budget_id = str(500 + n)
        budgets.append({"budget_id": budget_id, "amount": rng.choice([_money(rng, 20, 400), _money(rng, 3000, 4900)]),
                        "explicitly_shared": False})
        campaigns.append(_campaign(rng, w, n, budget_id))
    if rng.random() < 0.3:  # a second campaign on the first budget: shared
        budgets[0]["explicitly_shared"] = True
        campaigns.append(_campaign(rng, w, len(campaigns), budgets[0]["budget_id"]))
    for n, campaign in enumerate(campaigns[:2]):
        group_id = str(2000 + n)
        keywords = []
        for k in range(rng.randint(1, 3)):
            criterion = str(3000 + 10 * n + k)
            w.keywords.append((group_id, criterion))
            keywords.append({"criterion_id": criterion, "text": f"keyword {n} {k}",
                             "cpc_bid": rng.choice([None, _money(rng, 0.3, 3)]),
                             "metrics": {"cost": _money(rng, 0, 600), "conversions": str(rng.randint(0, 20)),
                                         "conversion_value": _money(rng, 0, 3000), "clicks": 100,
                                         "impressions": 1000}})
        groups.append({"ad_group_id": group_id, "campaign_id": campaign["campaign_id"],
                       "cpc_bid": _money(rng, 0.5, 2), "keywords": keywords})
    return {"customer_id": w.customer, "organization_id": w.org, "name": f"Sequence {w.index}", "budgets": budgets,
            "campaigns": campaigns, "ad_groups": groups}


def _activecampaign(rng: random.Random, w: World) -> dict[str, Any]:
    campaigns = []
    for n in range(rng.randint(1, 3)):
        status = rng.choice([0, 1, 2, 5])
        campaign_id = str(20 + n)
        w.email_campaigns.append(campaign_id)
        campaigns.append({"campaign_id": campaign_id, "name": f"Email {n}", "status": status,
                          "scheduled_in_hours": 48 if status == 1 else None, "subject": f"Subject {n}",
                          "send_amt": 100 if status in (2, 5) else 0, "total_amt": 1000,
                          "opens": 10 if status in (2, 5) else 0})
    contacts = []
    for n in range(rng.randint(1, 4)):
        contact_id = str(100 + n)
        w.contacts.append(contact_id)
        contacts.append({"contact_id": contact_id, "email": f"c{n}@s{w.index}.example",
                         "subscribed": rng.random() < 0.85})
    return {"account_id": w.mail, "organization_id": w.org, "base_url": f"https://s{w.index}.api-us1.com",
            "campaigns": campaigns, "automations": [{"automation_id": "7", "name": "Welcome", "status": 1}],
            "contacts": contacts}


def _policy(rng: random.Random, w: World) -> dict[str, Any]:
    limits: dict[str, str] = {}
    if rng.random() < 0.3:
        limits["hourly_action_limit"] = str(rng.choice([2, 3, 5]))
    if rng.random() < 0.3:
        limits["org_daily_budget_cap"] = str(rng.choice([500, 3000, 9000]))
    return {"organization_id": w.org, "name": f"Sequence {w.index}",
            "autonomy": rng.choice(["autonomous"] * 6 + ["supervised", "advisory"]),
            "rollout_phase": rng.choice(["safe", "expanded", "full", "full"]), "limits": limits,
            "brand_patterns": [PATTERN], "brand_labels": ["brand"],
            "connected": {"google_ads_customer_ids": [w.customer],
                          "activecampaign": [{"account_id": w.mail, "base_url": f"https://s{w.index}.api-us1.com"}],
                          "content_sites": [w.site]}}


def make_world(rng: random.Random, index: int) -> tuple[World, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One organization: (world, policy, Google Ads account, ActiveCampaign account) in fixture format."""
    w = World(index, f"org-s{index:05d}", f"{7000000000 + index}", f"mail-s{index:05d}", f"s{index}.example")
    w.pages = [f"https://{w.site}/page-{n}" for n in range(2)]
    w.policy = _policy(rng, w)
    return w, w.policy, _google_ads(rng, w), _activecampaign(rng, w)


def write_samples(root: Path, worlds: list[tuple[World, dict[str, Any], dict[str, Any], dict[str, Any]]]) -> Path:
    """A samples directory for these organizations (no bundled samples): orgs, sandbox fixture, and an
    empty opportunity file (opportunities arrive during the runs)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "orgs.yaml").write_text(json.dumps({"organizations": [p for _, p, _, _ in worlds]}), encoding="utf-8")
    fixture = {"version": 1, "window_days": 14, "google_ads": [g for _, _, g, _ in worlds],
               "activecampaign": [a for _, _, _, a in worlds],
               "content": [{"site": w.site, "organization_id": w.org,
                            "pages": [{"url": u, "title": u, "last_updated_days_ago": 400} for u in w.pages]}
                           for w, _, _, _ in worlds]}
    (root / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
    (root / "opportunities.jsonl").write_text("", encoding="utf-8")
    return root


def _pct(rng: random.Random) -> str:
    return str(rng.choice([rng.randint(-95, -1), rng.randint(-30, -1), rng.randint(1, 20), rng.randint(1, 25),
                           rng.randint(15, 60), rng.randint(45, 150)]))


def random_action(rng: random.Random, w: World, now: datetime) -> dict[str, Any]:
    """A raw action aimed (mostly) at something the organization owns."""
    campaign = rng.choice(w.campaigns) if rng.random() < 0.95 else "999999"
    customer = w.customer if rng.random() < 0.97 else "7999999999"  # now and then: someone else's account
    kind = rng.choices(["pause", "budget", "bid", "negatives", "strategy", "email", "send_time", "automation",
                        "subject", "content"], weights=[5, 6, 3, 2, 1, 1, 1, 1, 1, 1])[0]
    target: dict[str, Any] = {"customer_id": customer, "campaign_id": campaign}
    if kind == "pause":
        return {"type": "pause_campaign", "target": target, "params": {}}
    if kind == "budget":
        params = {"change_pct": _pct(rng)} if rng.random() < 0.8 else {"new_daily_budget": _money(rng, 1, 6000)}
        return {"type": "adjust_campaign_budget", "target": target, "params": params}
    if kind == "bid" and w.keywords:
        group, criterion = rng.choice(w.keywords)
        return {"type": "adjust_keyword_bid",
                "target": {"customer_id": customer, "ad_group_id": group, "criterion_id": criterion},
                "params": {"change_pct": _pct(rng)}}
    if kind == "negatives":
        texts = w.terms.get(campaign) or [f"junk {rng.randint(0, 9)}"]
        return {"type": "add_negative_keywords", "target": target,
                "params": {"keywords": [{"text": t, "match_type": "EXACT"} for t in rng.sample(texts, 1)]}}
    if kind == "strategy":
        return {"type": "change_bid_strategy", "target": target,
                "params": {"strategy": "maximize_conversions", "target_cpa": _money(rng, 5, 50)}}
    mail = {"account_id": w.mail, "campaign_id": rng.choice(w.email_campaigns)}
    if kind == "email":
        return {"type": "pause_email_campaign", "target": mail, "params": {}}
    if kind == "send_time":
        when = now + timedelta(hours=rng.choice([-1, 0.1, 30, 100]))
        return {"type": "adjust_send_time", "target": mail, "params": {"send_at": when.isoformat()}}
    if kind == "automation":
        return {"type": "trigger_automation", "target": {"account_id": w.mail, "automation_id": "7"},
                "params": {"contact_ids": rng.sample(w.contacts, rng.randint(1, len(w.contacts)))}}
    if kind == "subject":
        return {"type": "create_subject_line_test", "target": mail,
                "params": {"variants": [f"Variant A {rng.randint(0, 99)}", f"Variant B {rng.randint(0, 99)}"]}}
    return {"type": "flag_content_refresh", "target": {"url": rng.choice(w.pages)}, "params": {"reason": "old"}}


def random_opportunity(rng: random.Random, w: World, now: datetime) -> dict[str, Any]:
    action = random_action(rng, w, now)
    platform = {"pause_email_campaign": "activecampaign", "adjust_send_time": "activecampaign",
                "trigger_automation": "activecampaign", "create_subject_line_test": "activecampaign",
                "flag_content_refresh": "content"}.get(action["type"], "google_ads")
    return {
        "schema_version": 1, "opportunity_id": w.next_opportunity_id(), "organization_id": w.org,
        "status": "approved", "created_at": (now - timedelta(hours=2)).isoformat(),
        "expires_at": (now + timedelta(hours=rng.choice([1, 48, 48, 48]))).isoformat(),
        "approved_by": "jane@acme.example", "approved_at": (now - timedelta(hours=1)).isoformat(),
        "title": f"{action['type']} for sequence {w.index}", "rationale": "random invariant run",
        "confidence": rng.choice([0.3, 0.6, 0.84, 0.86, 0.9, 0.95, 0.95, 0.99, 0.99]), "platform": platform,
        "action": action,
        "evidence": {},
    }
