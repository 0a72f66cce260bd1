"""Injected failures come back with the same taxonomy real connectors use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    QuotaExhaustedError,
    RateLimitedError,
    RetryableError,
    UncertainError,
)
from connectors.sandbox import FAULTS_ENV_VAR, FaultPlan, FaultRule
from schemas.operations import ApplyOutcome, ErrorKind, SetCampaignStatus
from tests.unit.sandbox.conftest import NOW
from tests.unit.sandbox.helpers import ACME_ADS, gads_batch, gads_request, read_gads

PAUSE_111 = SetCampaignStatus(customer_id=ACME_ADS, campaign_id="111", status="PAUSED")
ROOT = Path(__file__).resolve().parents[3]


def _plan(faults: FaultPlan, **rule) -> None:
    """Arm a rule on the fixture's (initially empty) plan, which the connectors share."""
    assert faults.add(rule) == FaultRule.model_validate(rule)


@pytest.mark.parametrize(("kind", "error"), [
    ("retryable", RetryableError), ("rate_limited", RateLimitedError), ("quota", QuotaExhaustedError),
    ("permanent", PermanentError), ("auth", AuthError), ("not_found", NotFoundError),
    ("timeout", RetryableError), ("reset", RetryableError), ("uncertain", UncertainError),
])
def test_snapshot_faults_raise_the_taxonomy(ads, faults, kind, error):
    _plan(faults, phase="snapshot", kind=kind, platform="google_ads")
    with pytest.raises(error) as raised:
        ads.snapshot(ACME_ADS, [gads_request(campaign_id="111")], NOW)
    if kind == "rate_limited":
        assert raised.value.retry_after_s == 30.0
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"  # count 1: the next read works


@pytest.mark.parametrize(("kind", "outcome", "error_kind"), [
    ("retryable", ApplyOutcome.FAILED, ErrorKind.RETRYABLE),
    ("rate_limited", ApplyOutcome.FAILED, ErrorKind.RATE_LIMITED),
    ("quota", ApplyOutcome.FAILED, ErrorKind.QUOTA),
    ("permanent", ApplyOutcome.FAILED, ErrorKind.PERMANENT),
    ("timeout", ApplyOutcome.UNCERTAIN, ErrorKind.UNCERTAIN),
    ("reset", ApplyOutcome.UNCERTAIN, ErrorKind.UNCERTAIN),
    ("uncertain", ApplyOutcome.UNCERTAIN, ErrorKind.UNCERTAIN),
])
def test_failures_before_anything_lands(ads, faults, kind, outcome, error_kind):
    _plan(faults, phase="apply_before", kind=kind)
    [result] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111)])
    assert (result.outcome, result.error.kind) == (outcome, error_kind)
    assert result.error.request_id in result.request_ids
    assert read_gads(ads, campaign_id="111").campaign.status == "ENABLED"  # nothing landed


@pytest.mark.parametrize("kind", ["timeout", "reset", "uncertain", "retryable"])
def test_a_lost_response_after_the_change_landed_is_uncertain(ads, faults, kind):
    _plan(faults, phase="apply_after", kind=kind)
    [result] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111)])
    assert (result.outcome, result.error.kind, result.details) == (ApplyOutcome.UNCERTAIN, ErrorKind.UNCERTAIN, {})
    assert read_gads(ads, campaign_id="111").campaign.status == "PAUSED"  # it landed: settle by reading


def test_rules_match_op_action_key_and_platform_and_count_down(ads, ac, faults):
    _plan(faults, phase="apply_before", kind="permanent", op="set_budget_amount")
    _plan(faults, phase="apply_before", kind="retryable", action_key="act-target", count=2)
    _plan(faults, phase="apply_before", kind="permanent", platform="activecampaign")
    first = ads.apply(ACME_ADS, [gads_batch(PAUSE_111, key="act-other")])[0]
    assert first.outcome == ApplyOutcome.APPLIED  # no rule matches this op, key or platform
    outcomes = [ads.apply(ACME_ADS, [gads_batch(PAUSE_111, key="act-target")])[0].outcome for _ in range(3)]
    assert outcomes == [ApplyOutcome.FAILED, ApplyOutcome.FAILED, ApplyOutcome.APPLIED]
    assert [(f.phase, f.keys) for f in faults.fired] == [("apply_before", ("act-target",))] * 2


def test_validate_only_calls_skip_faults_unless_asked(ads, faults):
    _plan(faults, phase="apply_before", kind="permanent")
    [checked] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111)], validate_only=True)
    assert checked.outcome == ApplyOutcome.VALIDATED
    _plan(faults, phase="apply_before", kind="retryable", on_validate=True)
    [refused] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111)], validate_only=True)
    assert refused.error.kind == ErrorKind.RETRYABLE
    [real] = ads.apply(ACME_ADS, [gads_batch(PAUSE_111)])
    assert real.error.kind == ErrorKind.PERMANENT  # the first rule was waiting for a real call


def test_an_observer_reads_through_suspended_faults_without_using_them_up(ads, faults):
    _plan(faults, phase="snapshot", kind="retryable", count=1)
    with faults.suspended():
        assert read_gads(ads, campaign_id="111").campaign is not None
    assert faults.fired == []
    seen: list[BaseException] = []
    other = threading.Thread(target=_read_catching, args=(ads, seen))
    with faults.suspended():  # only the suspending thread is spared
        other.start()
        other.join()
    assert [type(e) for e in seen] == [RetryableError] and len(faults.fired) == 1


def _read_catching(ads, seen: list[BaseException]) -> None:
    try:
        read_gads(ads, campaign_id="111")
    except RetryableError as error:
        seen.append(error)


def test_connection_faults(ads, faults):
    _plan(faults, phase="connect", kind="auth", count=None)
    for _ in range(2):
        with pytest.raises(AuthError):
            ads.check_connection(ACME_ADS)


def test_plans_load_from_json_and_the_environment():
    rules = [{"phase": "apply_after", "kind": "timeout", "op": "set_campaign_status", "count": 1}]
    assert FaultPlan.from_json(json.dumps(rules)).rules[0].op == "set_campaign_status"
    assert len(FaultPlan.from_json(json.dumps({"rules": rules})).rules) == 1
    assert FaultPlan.from_env({FAULTS_ENV_VAR: json.dumps(rules)}).rules[0].kind == "timeout"
    assert FaultPlan.from_env({}).rules == ()
    with pytest.raises(ValueError):
        FaultPlan.from_json(json.dumps({"rules": [{"phase": "sometimes", "kind": "timeout"}]}))


_CHILD = """
import sys
import threading
from datetime import UTC, datetime
from connectors.local import LocalStore
from connectors.sandbox import SandboxWorld
from schemas.common import Platform
from schemas.operations import OpBatch, SetCampaignStatus
store = LocalStore.open(sys.argv[1])
ads = SandboxWorld(store).google_ads()
op = SetCampaignStatus(customer_id="1234567890", campaign_id="111", status="PAUSED")
batch = OpBatch(key="act-1", organization_id="org-acme", platform=Platform.GOOGLE_ADS, account_id="1234567890", ops=(op,))
print(ads.apply("1234567890", [batch])[0].outcome.value)
"""


def test_a_separate_process_picks_up_faults_from_the_environment(store, ads):
    env = {**os.environ, FAULTS_ENV_VAR: json.dumps([{"phase": "apply_after", "kind": "reset"}])}
    child = subprocess.run([sys.executable, "-c", _CHILD, str(store.path)], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=60, check=True)
    assert child.stdout.strip() == "uncertain"
    assert read_gads(ads, campaign_id="111").campaign.status == "PAUSED"  # seen across processes
