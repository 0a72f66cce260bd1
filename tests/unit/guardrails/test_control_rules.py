"""kill_switch, autonomy, rollout_phase, approval_only_type, confidence, target_allowlist."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guardrails.context import GuardrailContext
from guardrails.rules.control import (
    approval_only_type,
    autonomy,
    confidence,
    kill_switch,
    rollout_phase,
    target_allowlist,
)
from schemas.common import AutonomyMode, Outcome, RolloutPhase
from tests.unit.guardrails import factories as f

ALLOW, APPROVE, BLOCK = Outcome.ALLOW, Outcome.NEEDS_APPROVAL, Outcome.BLOCK


# --------------------------------------------------------------------------- kill_switch


def test_kill_switch_off_allows() -> None:
    assert kill_switch(f.context()).outcome == ALLOW


@pytest.mark.parametrize("scope", ["global", "org-acme"])
def test_kill_switch_on_blocks_naming_who_when_why(scope: str) -> None:
    result = kill_switch(f.context(kill_switch=f.kill_switch(scope)))
    assert result.outcome == BLOCK
    assert "sam@acme.example" in result.message and "runaway spend" in result.message
    assert f.NOW.isoformat() in result.message
    assert result.observed == {
        "scope": scope,
        "set_by": "sam@acme.example",
        "set_at": f.NOW.isoformat(),
        "reason": "runaway spend",
    }


def test_inactive_kill_switch_allows() -> None:
    assert kill_switch(f.context(kill_switch=f.kill_switch(active=False))).outcome == ALLOW


# --------------------------------------------------------------------------- autonomy


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(AutonomyMode.ADVISORY, BLOCK), (AutonomyMode.SUPERVISED, APPROVE), (AutonomyMode.AUTONOMOUS, ALLOW)],
)
def test_autonomy_modes(mode: AutonomyMode, expected: Outcome) -> None:
    result = autonomy(f.context(org=f.policy(autonomy=mode)))
    assert result.outcome == expected
    assert result.observed == {"autonomy": mode.value}


def test_advisory_message_says_dry_run() -> None:
    result = autonomy(f.context(org=f.policy(autonomy=AutonomyMode.ADVISORY)))
    assert result.message == "advisory mode: nothing executes; recorded as a dry run"


def test_new_org_policy_defaults_to_supervised_safe() -> None:
    org = f.policy()
    default = type(org)(organization_id="org-new")
    assert autonomy(f.context(org=default)).outcome == APPROVE
    assert rollout_phase(f.context(org=default)).outcome == APPROVE  # a budget change is not a `safe` type


# --------------------------------------------------------------------------- rollout_phase


def test_sandbox_phase_blocks_everything_as_dry_run() -> None:
    result = rollout_phase(f.pause_ctx(org=f.policy(rollout_phase=RolloutPhase.SANDBOX)))
    assert result.outcome == BLOCK
    assert result.message == "sandbox phase: recorded as a dry run"


@pytest.mark.parametrize(
    ("phase", "ctx_factory", "expected"),
    [
        (RolloutPhase.SAFE, f.pause_ctx, ALLOW),
        (RolloutPhase.SAFE, lambda **kw: f.budget_ctx(100, 110, **kw), APPROVE),
        (RolloutPhase.EXPANDED, lambda **kw: f.budget_ctx(100, 110, **kw), ALLOW),
        (RolloutPhase.EXPANDED, lambda **kw: f.context(f.strategy_action(), f.facts(), **kw), APPROVE),
        (RolloutPhase.FULL, lambda **kw: f.context(f.strategy_action(), f.facts(), **kw), ALLOW),
        (RolloutPhase.SAFE, lambda **kw: f.automation_ctx(3, **kw), APPROVE),
        (RolloutPhase.EXPANDED, lambda **kw: f.automation_ctx(3, **kw), ALLOW),
    ],
)
def test_rollout_phase_enables_types(
    phase: RolloutPhase, ctx_factory: Callable[..., GuardrailContext], expected: Outcome
) -> None:
    result = rollout_phase(ctx_factory(org=f.policy(rollout_phase=phase)))
    assert result.outcome == expected
    assert result.observed["phase"] == phase.value


# --------------------------------------------------------------------------- approval_only_type


def test_bid_strategy_change_always_needs_approval() -> None:
    result = approval_only_type(f.context(f.strategy_action(), f.facts()))
    assert result.outcome == APPROVE
    assert "change_bid_strategy" in result.message


def test_approval_only_kind_needs_approval() -> None:
    result = approval_only_type(f.context(approval_only_kind=True))
    assert result.outcome == APPROVE
    assert "approval-only action type" in result.message


@pytest.mark.parametrize(
    ("name", "labels", "expected"),
    [
        ("Brand – Acme", (), APPROVE),
        ("brand exact", (), APPROVE),
        ("Generic – Brandish widgets", (), ALLOW),  # the pattern is anchored: ^brand\b
        ("Generic – Widgets", ("Brand",), APPROVE),  # labels match case-insensitively
        ("Generic – Widgets", ("seasonal",), ALLOW),
    ],
)
def test_any_change_to_a_brand_campaign_needs_approval(name: str, labels: tuple[str, ...], expected: Outcome) -> None:
    snap = f.snapshot(campaign=f.campaign(name=name, labels=labels))
    result = approval_only_type(f.budget_ctx(100, 110, snap=snap))
    assert result.outcome == expected
    assert result.observed["brand_campaign"] is (expected == APPROVE)


def test_ordinary_change_is_not_approval_only() -> None:
    assert approval_only_type(f.context()).outcome == ALLOW


# --------------------------------------------------------------------------- confidence


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, BLOCK),
        (0.49, BLOCK),
        (0.4999, BLOCK),
        (0.5, APPROVE),
        (0.51, APPROVE),
        (0.84, APPROVE),
        (0.8499, APPROVE),
        (0.85, ALLOW),
        (0.86, ALLOW),
        (1.0, ALLOW),
    ],
)
def test_confidence_boundaries(value: float, expected: Outcome) -> None:
    result = confidence(f.context(confidence=value))
    assert result.outcome == expected
    assert result.observed["confidence"] == str(value)


def test_confidence_reads_tightened_limits() -> None:
    lim = f.limits(confidence_approval_below="0.9", confidence_block_below="0.6")
    assert confidence(f.context(confidence=0.89, lim=lim)).outcome == APPROVE
    assert confidence(f.context(confidence=0.59, lim=lim)).outcome == BLOCK
    assert confidence(f.context(confidence=0.9, lim=lim)).outcome == ALLOW


def test_confidence_nan_blocks() -> None:
    assert confidence(f.context(confidence=float("nan"))).outcome == BLOCK


# --------------------------------------------------------------------------- target_allowlist


def test_connected_google_ads_account_allowed() -> None:
    assert target_allowlist(f.context()).outcome == ALLOW


def test_unconnected_google_ads_account_blocked() -> None:
    org = f.policy(connected=f.connected(google_ads_customer_ids=("9999999999",)))
    result = target_allowlist(f.context(org=org))
    assert result.outcome == BLOCK
    assert result.observed["account_id"] == f.CUSTOMER


@pytest.mark.parametrize(("allowed", "expected"), [((f.CAMPAIGN, "5"), ALLOW), (("5",), BLOCK), ((), BLOCK)])
def test_campaign_allowlist(allowed: tuple[str, ...], expected: Outcome) -> None:
    org = f.policy(connected=f.connected(google_ads_campaign_ids=allowed))
    assert target_allowlist(f.context(org=org)).outcome == expected


@pytest.mark.parametrize(("allowed", "expected"), [((f.CAMPAIGN,), ALLOW), (("5",), BLOCK)])
def test_campaign_allowlist_for_keyword_uses_snapshot(allowed: tuple[str, ...], expected: Outcome) -> None:
    org = f.policy(connected=f.connected(google_ads_campaign_ids=allowed))
    ctx = f.bid_ctx("1.00", "1.10", org=org, snap=f.snapshot(campaign=None, keyword=f.keyword()))
    result = target_allowlist(ctx)
    assert result.outcome == expected
    assert result.observed["campaign_id"] == f.CAMPAIGN


def test_campaign_allowlist_with_unknown_campaign_blocks() -> None:
    org = f.policy(connected=f.connected(google_ads_campaign_ids=(f.CAMPAIGN,)))
    ctx = f.bid_ctx("1.00", "1.10", org=org, snap=None)
    assert target_allowlist(ctx).outcome == BLOCK


def test_activecampaign_account_must_be_connected() -> None:
    assert target_allowlist(f.automation_ctx(3)).outcome == ALLOW
    other = f.context(f.automation_action(3, account_id="other"), f.facts(contact_count=3))
    assert target_allowlist(other).outcome == BLOCK


def test_topic_only_brief_passes() -> None:
    result = target_allowlist(f.content_ctx(f.brief_action(topic="widgets")))
    assert result.outcome == ALLOW
    assert result.observed["urls"] == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.example/blog/widgets", ALLOW),
        ("https://ACME.example./x", ALLOW),
        ("https://blog.acme.example/x", ALLOW),
        ("https://acme.example:8443/x", ALLOW),
        ("https://evil.example/x", BLOCK),
        ("https://acme.example.evil.example/x", BLOCK),
        ("https://notacme.example/x", BLOCK),
        ("https://acme.example@evil.example/x", BLOCK),
    ],
)
def test_content_url_must_be_on_a_connected_site(url: str, expected: Outcome) -> None:
    assert target_allowlist(f.content_ctx(f.brief_action(url=url))).outcome == expected


def test_internal_link_ends_must_be_on_connected_sites() -> None:
    page = "https://acme.example/a"
    ok = f.links_action(page, (page, "https://acme.example/b"))
    assert target_allowlist(f.content_ctx(ok)).outcome == ALLOW
    bad = f.links_action(page, (page, "https://spam.example/b"))
    result = target_allowlist(f.content_ctx(bad))
    assert result.outcome == BLOCK
    assert result.observed["outside"] == ["https://spam.example/b"]


def test_content_with_no_sites_connected_blocks() -> None:
    org = f.policy(connected=f.connected(content_sites=()))
    assert target_allowlist(f.content_ctx(f.brief_action(url="https://acme.example/a"), org=org)).outcome == BLOCK
