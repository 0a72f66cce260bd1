"""End to end: the bundled Google Ads sample opportunities through the orchestrator with the real client
against the fake (seeded from the same sandbox fixture), then `operator rollback` restores the fake.

The same samples run on the sandbox connector too: both must reach the same verdict for every
opportunity, so the live connector reads the platform the way the rules were written against.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gads_fake import Account, FakeGoogleAds
from gads_fake.state import Change
from gads_seed import NOW
from gads_support import FAST, client_factory

from connectors.google_ads import AdsIdentity, GoogleAdsConnector
from connectors.sandbox.fixture import load_fixture
from operator_ai import wiring
from operator_ai.orchestrator import Orchestrator
from operator_ai.settings import SAMPLES_DIR, Settings
from operator_ai.wiring import Services, build_services
from schemas.actions import BiddingScheme
from schemas.common import ActionStatus, Platform
from schemas.operations import SetBudgetAmount

_SCHEME_FIELDS = {"target_cpa": "target_cpa_micros", "target_roas": "target_roas",
                  "cpc_bid_ceiling": "cpc_bid_ceiling_micros", "enhanced_cpc_enabled": "enhanced_cpc_enabled"}


def _scheme_fields(scheme: BiddingScheme) -> dict[str, Any]:
    values = {}
    for name, field in _SCHEME_FIELDS.items():
        value = getattr(scheme, name)
        if value is not None:
            values[field] = value if isinstance(value, bool) else (
                float(value) if name == "target_roas" else int(value * 1_000_000))
    return values


# orgs.yaml: acme and globex reach their customers through manager 1112223330; initech names no manager
SAMPLE_MANAGERS = {"1234567890": "1112223330", "9876543210": "1112223330"}


def fake_accounts(fixture: Path, today: date) -> list[Account]:
    """The sandbox fixture's Google Ads accounts as fake accounts (window totals land on yesterday)."""
    accounts = []
    yesterday = today - timedelta(days=1)
    for spec in load_fixture(fixture).google_ads:
        manager = SAMPLE_MANAGERS.get(spec.customer_id)  # no manager: the user has direct access
        account = Account(spec.customer_id, currency=spec.currency, time_zone="UTC", manager_id=manager,
                          clock=datetime.combine(today, time(12)))
        for budget in spec.budgets:
            account.add_budget(int(budget.budget_id), str(budget.amount), shared=budget.explicitly_shared)
        for c in spec.campaigns:
            start = c.start_date or today - timedelta(days=c.started_days_ago or 0)
            account.add_campaign(int(c.campaign_id), c.name, budget=int(c.budget_id), status=c.status,
                                 scheme=c.bidding.strategy, start=start.isoformat(), **_scheme_fields(c.bidding))
            for label in c.labels:
                account.add_label(int(c.campaign_id), label)
            m = c.metrics
            account.add_campaign_day(int(c.campaign_id), yesterday, cost=str(m.cost), conversions=float(m.conversions),
                                     value=float(m.conversion_value), clicks=m.clicks, impressions=m.impressions)
            for negative in c.negatives:
                account.add_negative(int(c.campaign_id), negative.text, negative.match_type)
            for term in c.search_terms:  # the fixture names no ad group for its search terms
                account.add_term_day(int(c.campaign_id), 0, term.text, yesterday, cost=str(term.cost),
                                     conversions=float(term.conversions), clicks=term.clicks)
        for group in spec.ad_groups:
            account.add_ad_group(int(group.ad_group_id), int(group.campaign_id), cpc_bid=str(group.cpc_bid))
            for k in group.keywords:
                name = account.add_keyword(int(group.ad_group_id), int(k.criterion_id), k.text, k.match_type,
                                           None if k.cpc_bid is None else str(k.cpc_bid), status=k.status)
                m = k.metrics
                account.add_keyword_day(name, yesterday, cost=str(m.cost), conversions=float(m.conversions),
                                        value=float(m.conversion_value), clicks=m.clicks, impressions=m.impressions)
        accounts.append(account)
    return accounts


def google_ads_samples(target: Path) -> Path:
    """The bundled orgs and fixture with only the Google Ads opportunities (other platforms stay out)."""
    target.mkdir()
    for name in ("orgs.yaml", "sandbox.json"):
        shutil.copy(SAMPLES_DIR / name, target / name)
    kept = []
    for line in (SAMPLES_DIR / "opportunities.jsonl").read_text().splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("platform") == "google_ads":
            kept.append(line)
    (target / "opportunities.jsonl").write_text("\n".join(kept) + "\n")
    return target


def with_fake(services: Services, endpoint: str) -> Services:
    """The real connector on the fake, each org called as its own identity (its manager from orgs.yaml)."""
    def allowed(org: str) -> set[str]:
        policy = services.state.get_org(org)
        return set(policy.connected.google_ads_customer_ids) if policy else set()

    def identity(org: str) -> AdsIdentity:
        policy = services.state.get_org(org)
        return AdsIdentity(policy.connected.google_ads_login_customer_id if policy else None)

    services.connectors[Platform.GOOGLE_ADS] = GoogleAdsConnector(
        allowed_customers=allowed, client_factory=client_factory(endpoint, login_customer_id=None), settings=FAST,
        identity_for=identity)
    return services


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    return google_ads_samples(tmp_path / "samples")


@pytest.fixture
def live(tmp_path: Path, samples: Path, fake: FakeGoogleAds) -> Iterator[Callable[..., Services]]:
    fake.reset(fake_accounts(samples / "sandbox.json", NOW.date()))
    settings = Settings(home=tmp_path / "live", samples_dir=samples)
    opened: list[Services] = []

    def open_services(at: datetime = NOW) -> Services:
        opened.append(with_fake(build_services(settings, clock=lambda: at), fake.endpoint))
        return opened[-1]

    yield open_services
    for services in opened:
        services.close()


def verdicts(services: Services) -> dict[str, str]:
    return {r.opportunity_id or r.action_id: r.status.value for r in services.log.query(limit=1000)}


def test_samples_execute_on_the_fake_and_operator_rollback_restores_it(
        live: Callable[[], Services], samples: Path, tmp_path: Path, fake: FakeGoogleAds,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = {cid: account.fingerprint() for cid, account in fake.accounts.items()}
    services = live()

    summary = Orchestrator(services).run()
    assert summary.errors == ()
    executed = [r for r in services.log.query(limit=1000) if r.status == ActionStatus.EXECUTED]
    assert {r.opportunity_id for r in executed} >= {"opp-acme-001", "opp-acme-002", "opp-acme-003",
                                                      "opp-globex-001", "opp-globex-002"}
    for record in executed:
        assert record.platform == Platform.GOOGLE_ADS
        assert record.rollback_plan is not None and record.rollback_plan.inverse_ops
        assert record.result is not None and record.result.get("request_ids")
    assert fake.account("1234567890").status(111) == "PAUSED"
    assert any(c.method.startswith("Mutate") for c in fake.calls)

    sandbox_settings = Settings(home=tmp_path / "sandbox", samples_dir=samples)
    sandbox = build_services(sandbox_settings, clock=lambda: NOW)
    try:
        Orchestrator(sandbox).run()
        assert set(verdicts(services).values()) >= {"EXECUTED", "BLOCKED", "PENDING_APPROVAL", "REJECTED_INPUT"}
        assert verdicts(services) == verdicts(sandbox)  # same rules, same platform facts, same decisions
    finally:
        sandbox.close()

    monkeypatch.setattr(wiring, "build_services", lambda *args, **kwargs: live())
    from operator_ai.cli import admin_cmds, approval_cmds, cli, register, run_cmds

    register(run_cmds.add, approval_cmds.add, admin_cmds.add)
    rolled_back = []
    for org in ("org-acme", "org-globex"):
        outcome = CliRunner().invoke(cli, ["rollback", "--org", org, "--since", "24h", "--actor", "e2e", "--json"])
        assert outcome.exit_code == 0, outcome.output
        rolled_back += [item for item in json.loads(outcome.output) if item["status"] == "rolled_back"]
    assert sorted(item["action_id"] for item in rolled_back) == sorted(r.action_id for r in executed)
    assert {cid: account.fingerprint() for cid, account in fake.accounts.items()} == seeded
    after = live().log.latest([r.action_id for r in executed])
    assert {record.status for record in after.values()} == {ActionStatus.ROLLED_BACK}


def test_operator_rollback_refuses_after_drift_unless_forced(live: Callable[[], Services], fake: FakeGoogleAds,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    services = live()
    Orchestrator(services).run()
    [raised] = [r for r in services.log.query(limit=1000) if r.opportunity_id == "opp-acme-002"]  # budget +15 %
    assert raised.status == ActionStatus.EXECUTED and raised.rollback_plan is not None
    [inverse] = raised.rollback_plan.inverse_ops
    assert isinstance(inverse, SetBudgetAmount)
    account = fake.account("1234567890")
    budget = int(inverse.budget_id)
    raised_to = account.budget_amount(budget)
    account.budgets[budget].amount_micros += 5_000_000  # someone edits the budget in the Google Ads UI

    monkeypatch.setattr(wiring, "build_services", lambda *args, **kwargs: live())
    from operator_ai.cli import admin_cmds, approval_cmds, cli, register, run_cmds

    register(run_cmds.add, approval_cmds.add, admin_cmds.add)
    refused = CliRunner().invoke(cli, ["rollback", raised.action_id, "--actor", "e2e", "--json"])

    assert refused.exit_code == 4, refused.output
    [outcome] = json.loads(refused.output)
    assert outcome["status"] == "refused" and outcome["diff"]
    assert account.budget_amount(budget) == raised_to + 5  # nothing was sent

    forced = CliRunner().invoke(cli, ["rollback", raised.action_id, "--actor", "e2e", "--force", "--json"])

    assert forced.exit_code == 0, forced.output
    assert account.budget_amount(budget) == inverse.amount


def test_a_change_made_outside_the_operator_counts_as_drift(live: Callable[..., Services], fake: FakeGoogleAds,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone renames the paused campaign in the UI: the state we observe is as expected, but change_event
    shows the person's change, so an automatic rollback is refused and names them (force still works)."""
    services = live()
    Orchestrator(services).run()
    [paused] = [r for r in services.log.query(limit=1000) if r.opportunity_id == "opp-acme-001"]
    assert paused.status == ActionStatus.EXECUTED
    account = fake.account("1234567890")
    account.record_change(Change(datetime(2026, 11, 20, 17, 30), "CAMPAIGN", f"customers/1234567890/campaigns/"
                                 f"{paused.payload['action']['target']['campaign_id']}", "UPDATE",
                                 "GOOGLE_ADS_WEB_CLIENT", "jane@acme.example", ("name",)))
    later = NOW + timedelta(hours=1)
    monkeypatch.setattr(wiring, "build_services", lambda *args, **kwargs: live(later))
    from operator_ai.cli import admin_cmds, approval_cmds, cli, register, run_cmds

    register(run_cmds.add, approval_cmds.add, admin_cmds.add)
    refused = CliRunner().invoke(cli, ["rollback", paused.action_id, "--actor", "e2e", "--json"])
    forced = CliRunner().invoke(cli, ["rollback", paused.action_id, "--actor", "e2e", "--force", "--json"])

    assert refused.exit_code == 4, refused.output
    [outcome] = json.loads(refused.output)
    assert "changed outside the Operator by jane@acme.example (GOOGLE_ADS_WEB_CLIENT)" in outcome["message"]
    assert forced.exit_code == 0, forced.output


def test_a_persons_recent_change_holds_the_action_for_approval_and_is_recorded(
        live: Callable[..., Services], fake: FakeGoogleAds) -> None:
    account = fake.account("1234567890")
    account.record_change(Change(datetime(2026, 11, 20, 9, 0), "CAMPAIGN", "customers/1234567890/campaigns/111",
                                 "UPDATE", "GOOGLE_ADS_WEB_CLIENT", "jane@acme.example", ("status",)))
    services = live()

    Orchestrator(services).run()
    Orchestrator(live()).run()  # a second run sees the same change: it is recorded once

    [pause] = [r for r in services.log.query(limit=1000) if r.opportunity_id == "opp-acme-001"]
    assert pause.status == ActionStatus.PENDING_APPROVAL  # the cooldown: someone changed it 8 h ago
    assert account.status(111) == "ENABLED"
    recorded = services.state.outside_changes("org-acme", NOW - timedelta(days=1))
    assert [(c.entity_key, c.actor, c.client_type) for c in recorded] == [
        ("google_ads:1234567890:campaign:111", "jane@acme.example", "GOOGLE_ADS_WEB_CLIENT")]
