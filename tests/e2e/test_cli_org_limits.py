"""Issue 13 (domain core) through the installed `operator` console script: what an organization is judged
on — its spend across every connected account, its whole policy's history — and the records that say so.

Each test is one installation (OPERATOR_HOME in a scratch directory) with its own samples directory
(orgs, opportunities, sandbox fixture), driven by a few commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from operator_ai.settings import SAMPLES_DIR
from tests.e2e.harness import START, opportunity

OPERATOR = Path(sys.executable).with_name("operator")
OK, ERROR = 0, 1
ACME_ADS, ACME_ADS_2 = "1234567890", "2223334440"

Cli = Callable[..., subprocess.CompletedProcess[str]]


def _samples(root: Path, opportunities: list[dict[str, Any]], *, acme_limits: dict[str, str],
             second_account: bool = False) -> Path:
    """The bundled samples with other opportunities, org-acme's limits replaced, and (optionally) a
    second Google Ads account for org-acme: budgets 2,900 (shared by two enabled campaigns) and 1,000
    (its only campaign paused, so it spends nothing)."""
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    orgs = yaml.safe_load((SAMPLES_DIR / "orgs.yaml").read_text(encoding="utf-8"))
    acme = next(o for o in orgs["organizations"] if o["organization_id"] == "org-acme")
    acme["limits"] = acme_limits
    fixture = json.loads((SAMPLES_DIR / "sandbox.json").read_text(encoding="utf-8"))
    if second_account:
        acme["connected"]["google_ads_customer_ids"] = [ACME_ADS, ACME_ADS_2]
        metrics = {"cost": "1000.00", "conversions": "40", "conversion_value": "4000.00", "clicks": 900,
                   "impressions": 9000}
        fixture["google_ads"].append({
            "customer_id": ACME_ADS_2, "organization_id": "org-acme", "name": "Acme – Display", "currency": "USD",
            "min_daily_budget": "1.00",
            "budgets": [{"budget_id": "801", "amount": "2900.00", "explicitly_shared": True},
                        {"budget_id": "802", "amount": "1000.00"}],
            "campaigns": [
                {"campaign_id": "411", "name": "Display North", "budget_id": "801", "started_days_ago": 90,
                 "metrics": metrics},
                {"campaign_id": "412", "name": "Display South", "budget_id": "801", "started_days_ago": 90,
                 "metrics": metrics},
                {"campaign_id": "413", "name": "Display Paused", "budget_id": "802", "started_days_ago": 90,
                 "status": "PAUSED", "metrics": metrics},
            ]})
    (root / "orgs.yaml").write_text(yaml.safe_dump(orgs), encoding="utf-8")
    (root / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
    (root / "opportunities.jsonl").write_text("\n".join(json.dumps(o) for o in opportunities) + "\n",
                                              encoding="utf-8")
    return root


def _cli(home: Path, samples: Path, **extra: str) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    env.update(OPERATOR_HOME=str(home), OPERATOR_USER="ops@acme.example", OPERATOR_SAMPLES_DIR=str(samples),
               **extra)

    def run(*args: str, code: int = OK) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(OPERATOR), *args], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == code, (args, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr
        return done

    return run


def _latest(cli: Cli) -> dict[str, dict[str, Any]]:
    return {r["opportunity_id"] or r["action_id"]: r for r in json.loads(cli("log", "--json").stdout)}


def _rule(row: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in row["verdict"]["rules"] if r["rule_id"] == rule_id)


RAISE_117 = {"type": "adjust_campaign_budget", "target": {"customer_id": ACME_ADS, "campaign_id": "117"},
             "params": {"change_pct": "15"}}  # 250.00 -> 287.50: strong campaign, allowed on its own


@pytest.mark.parametrize(("cap", "expected"), [("5650", "BLOCKED"), ("5700", "EXECUTED")])
def test_org_cap_counts_every_connected_account(scratch: Path, cap: str, expected: str) -> None:
    """Issue 13.1: org-acme's budgets are 2,740 on its first account and 2,900 on the second (a budget
    shared by two campaigns counts once; a paused campaign's budget not at all): 5,640 in all. A +37.50
    increase on the first account takes the org to 5,677.50 — above a 5,650 cap, within a 5,700 one.
    Counting only the account with the action (2,777.50) let it through both."""
    samples = _samples(scratch / "samples", [opportunity("opp-cap-1", RAISE_117, now=START)],
                       acme_limits={"org_daily_budget_cap": cap}, second_account=True)
    cli = _cli(scratch / "home", samples)
    cli("run", "--org", "org-acme")
    row = _latest(cli)["opp-cap-1"]
    assert row["status"] == expected, row["error_message"]
    observed = _rule(row, "daily_spend_cap")["observed"]
    assert observed["org_total_before"] == "5640.00" and observed["org_total_after"] == "5677.50"
    assert observed["org_worst_case_day"] == "11355.00"  # Google may bill up to twice the daily budgets
    assert observed["org_projected_month"] == "172596.000"  # 30.4 days
    assert observed["org_budgets_counted"] == 10  # 9 active on the first account, 1 (shared) on the second


def test_projected_monthly_spend_above_the_org_limit_needs_a_person(scratch: Path) -> None:
    """Issue 13.1: an org limit on projected monthly spend (its daily budgets x 30.4) asks for approval."""
    samples = _samples(scratch / "samples", [opportunity("opp-month-1", RAISE_117, now=START)],
                       acme_limits={"org_monthly_spend_approval_above": "84000"})
    cli = _cli(scratch / "home", samples)
    cli("run", "--org", "org-acme")
    row = _latest(cli)["opp-month-1"]
    assert row["status"] == "PENDING_APPROVAL"  # 2,777.50 x 30.4 = 84,436 > 84,000
    assert "a month" in _rule(row, "daily_spend_cap")["message"]


PAUSE_111 = {"type": "pause_campaign", "target": {"customer_id": ACME_ADS, "campaign_id": "111"}, "params": {}}


def test_bad_money_in_the_evidence_is_rejected_input(scratch: Path) -> None:
    """Issue 13.7: money is a non-negative decimal — in every money field of the opportunity."""
    evidence = {"window_days": 14, "conversions": 0, "conversion_value": "0"}
    opportunities = [
        opportunity("opp-negative", PAUSE_111, evidence={**evidence, "spend": "-612.40"}),
        opportunity("opp-trailing", PAUSE_111, evidence={**evidence, "spend": "612.40abc"}),
        opportunity("opp-nested", PAUSE_111, evidence={**evidence, "spend": "612.40",
                                                       "search_terms": [{"text": "widgets", "cost": "-1"}]}),
    ]
    samples = _samples(scratch / "samples", opportunities, acme_limits={})
    cli = _cli(scratch / "home", samples)
    cli("run")
    rows = _latest(cli)
    for opp, field in (("opp-negative", "evidence.spend"), ("opp-trailing", "evidence.spend"),
                       ("opp-nested", "evidence.search_terms[0].cost")):
        assert rows[opp]["status"] == "REJECTED_INPUT", rows[opp]
        assert field in rows[opp]["error_message"] and "non-negative decimal" in rows[opp]["error_message"]
    assert not [r for r in rows.values() if r["status"] == "EXECUTED"]


def test_an_account_connected_to_two_organizations_is_refused_at_load(scratch: Path) -> None:
    """Issue 13.7: one Google Ads customer in two organizations — in one file, or in a second file naming an
    account a stored organization already has — is refused with a clear error; nothing runs."""
    import yaml

    rogue = {"organization_id": "org-rogue", "autonomy": "autonomous", "rollout_phase": "full",
             "connected": {"google_ads_customer_ids": [ACME_ADS]}}
    samples = _samples(scratch / "samples", [opportunity("opp-pause", PAUSE_111)], acme_limits={})
    orgs_file = scratch / "rogue.yaml"
    orgs_file.write_text(yaml.safe_dump({"organizations": [rogue]}), encoding="utf-8")
    cli = _cli(scratch / "home", samples, OPERATOR_ORGS_FILE=str(orgs_file))
    done = cli("run", code=ERROR)
    said = done.stdout + done.stderr
    assert f"Google Ads customer {ACME_ADS} is already connected to org-acme" in said, said

    both = yaml.safe_load((samples / "orgs.yaml").read_text(encoding="utf-8"))
    both["organizations"].append(rogue)
    (samples / "orgs.yaml").write_text(yaml.safe_dump(both), encoding="utf-8")
    fresh = _cli(scratch / "home2", samples)
    done = fresh("run", code=ERROR)
    assert f"Google Ads customer {ACME_ADS} is already connected to org-acme" in done.stdout + done.stderr


def test_pause_min_runtime_counts_from_the_end_of_the_start_date(scratch: Path) -> None:
    """Issue 13.7: a campaign whose start date is three days ago has run at most 72 h + the time of day
    since 00:00 UTC of that date, but possibly only 48 h + the time of day (it may have started just
    before midnight): the pause must wait. Counted from 00:00 UTC it was allowed."""
    samples = _samples(scratch / "samples", [opportunity("opp-young", {**PAUSE_111, "target": {
        "customer_id": ACME_ADS, "campaign_id": "131"}})], acme_limits={})
    fixture = json.loads((samples / "sandbox.json").read_text(encoding="utf-8"))
    fixture["google_ads"][0]["campaigns"].append({
        "campaign_id": "131", "name": "Widgets – New", "budget_id": "510", "started_days_ago": 3,
        "metrics": {"cost": "600.00", "conversions": "0", "conversion_value": "0", "clicks": 700,
                    "impressions": 9000}})
    (samples / "sandbox.json").write_text(json.dumps(fixture), encoding="utf-8")
    cli = _cli(scratch / "home", samples)
    cli("run", "--org", "org-acme")
    row = _latest(cli)["opp-young"]
    assert row["status"] == "BLOCKED" and _rule(row, "pause_min_runtime")["outcome"] == "block", row


def test_runs_starting_together_on_a_brand_new_home_all_work(scratch: Path) -> None:
    """Issue 13.7: processes creating the same new database queue on its write lock, never "database is
    locked" (a race: two at once on a new home)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    for round_no in range(1):
        home = scratch / f"home-{round_no}"
        procs = [subprocess.Popen([str(OPERATOR), "run", "--json"], env={**env, "OPERATOR_HOME": str(home)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, (out[-500:], err[-1000:])
            assert "database is locked" not in out + err
        cli = _cli(home, SAMPLES_DIR)
        executed = [r for r in _latest(cli).values() if r["status"] == "EXECUTED"]
        assert len(executed) == len({r["action_id"] for r in executed}) > 0
