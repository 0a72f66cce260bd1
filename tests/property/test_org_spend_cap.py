"""Property (issue 13.1): random organizations with several Google Ads accounts never end a run with
their active daily budgets above the org cap — whichever accounts the run's actions touch, however many
increases one run executes, with budgets shared between campaigns and campaigns paused.

Each example is a fresh embedded default seeded with a random sandbox fixture for one autonomous org.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from connectors.base import ApprovalError
from operator_ai.approvals import decide, list_pending
from schemas.common import ActionStatus, Outcome, Platform
from tests.e2e.harness import APPROVER, RAM_DISK, START, Clock, build_env, opportunity, samples_dir

ORG = "org-multi"
ORGS_YAML = """organizations:
  - organization_id: org-multi
    autonomy: autonomous
    rollout_phase: full
    limits: {{org_daily_budget_cap: "{cap}"}}
    connected:
      google_ads_customer_ids: [{accounts}]
"""
STRONG = {"cost": "1000.00", "conversions": "40", "conversion_value": "4000.00", "clicks": 900, "impressions": 9000}

amount = st.integers(10, 3000).map(lambda n: Decimal(n))
# (budget, status, shares the previous campaign's budget?)
campaign = st.tuples(amount, st.sampled_from(("ENABLED",) * 5 + ("PAUSED",)), st.sampled_from((False,) * 7 + (True,)))
account = st.lists(campaign, min_size=1, max_size=6)
change = st.one_of(st.integers(1, 20).map(lambda p: {"change_pct": str(p)}),
                   st.integers(1, 20).map(lambda p: {"change_pct": str(p)}),
                   st.integers(10, 3600).map(lambda n: {"new_daily_budget": f"{n}.00"}))
increases = st.lists(st.tuples(st.integers(0, 30), change), min_size=1, max_size=8)


def _fixture(accounts: list[list[tuple[Decimal, str, bool]]]) -> tuple[dict[str, Any], list[str]]:
    ads, campaigns = [], []
    for a, camps in enumerate(accounts):
        customer = f"{a + 1}000000001"
        budgets: list[dict[str, Any]] = []
        entries = []
        for c, (value, status, shared) in enumerate(camps):
            if not (shared and budgets):
                budgets.append({"budget_id": f"{a + 1}0{c}", "amount": str(value)})
            entries.append({"campaign_id": f"{a + 1}1{c}", "name": f"C{a}{c}", "status": status,
                            "budget_id": budgets[-1]["budget_id"], "started_days_ago": 60, "metrics": STRONG})
            campaigns.append(f"{customer}/{a + 1}1{c}")
        ads.append({"customer_id": customer, "organization_id": ORG, "budgets": budgets, "campaigns": entries})
    return {"version": 1, "window_days": 14, "google_ads": ads, "activecampaign": [], "content": []}, campaigns


def _active_total(fixture_accounts: list[dict[str, Any]], read: Any) -> Decimal:
    total = Decimal(0)
    for acc in fixture_accounts:
        customer = acc["customer_id"]
        budgets = {c["budget_id"] for c in read(customer, "campaign") if c["status"] == "ENABLED"}
        total += sum((Decimal(b["amount"]) for b in read(customer, "budget") if b["budget_id"] in budgets),
                     Decimal(0))
    return total


@contextmanager
def _fresh_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="operator-cap-", dir=RAM_DISK if RAM_DISK.is_dir() else None))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@given(st.lists(account, min_size=1, max_size=3), increases, st.sampled_from((90, 100, 101, 102, 105, 110, 130)))
def test_multi_account_orgs_never_exceed_the_org_cap(accounts: Any, wanted: Any, cap_pct: int) -> None:
    fixture, campaigns = _fixture(accounts)
    initial = _active_total(fixture["google_ads"], lambda customer, kind: [
        {**c} for acc in fixture["google_ads"] if acc["customer_id"] == customer
        for c in acc["campaigns" if kind == "campaign" else "budgets"]])
    cap = max(Decimal(1), (initial * cap_pct / 100).quantize(Decimal("0.01")))
    opportunities = []
    for n, (index, params) in enumerate(wanted):
        customer, campaign_id = campaigns[index % len(campaigns)].split("/")
        action = {"type": "adjust_campaign_budget", "target": {"customer_id": customer, "campaign_id": campaign_id},
                  "params": params}
        opportunities.append(opportunity(f"opp-{n}", action, org=ORG, now=START))
    with _fresh_dir() as root:
        samples = samples_dir(root / "samples", opportunities, orgs_yaml=ORGS_YAML.format(
            cap=cap, accounts=", ".join(f'"{a["customer_id"]}"' for a in fixture["google_ads"])))
        (samples / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
        env = build_env(root / "home", Clock(), samples=samples)
        try:
            env.run([ORG])
            for pending, _ in list_pending(env.services, ORG):  # a person approves whatever asks (a block stays)
                with suppress(ApprovalError):
                    decide(env.services, pending.action_id, approve=True, approver=APPROVER)
            rows = env.log.query(organization_id=ORG, limit=1000)
            executed = [r for r in rows if r.status == ActionStatus.EXECUTED]
            for r in rows:
                event(f"{r.status.value}: {(r.verdict.rule_ids(Outcome.BLOCK) + r.verdict.rule_ids(Outcome.NEEDS_APPROVAL)) if r.verdict else r.error_message}")
            final = _active_total(fixture["google_ads"],
                                  lambda customer, kind: env.world.entities(Platform.GOOGLE_ADS, customer, kind))
        finally:
            env.close()
    event(f"{len(executed)} increase(s) executed")
    event("started over the cap" if initial > cap else "started within the cap")
    assert final <= max(cap, initial), (final, cap, initial, [r.action_id for r in executed])
