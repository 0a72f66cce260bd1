"""Every Google Ads action type through the registry and the real client against the fake: snapshot,
execute, verify (from the response and by re-reading), roll back, drift, and a validate-only dry run."""

from __future__ import annotations

import pytest
from gads_fake import FakeGoogleAds
from gads_flow import SCENARIOS, Scenario, batch, observe, plan_and_apply
from gads_seed import CUSTOMER

from connectors.google_ads import GoogleAdsConnector
from schemas.operations import ApplyOutcome

pytestmark = pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])


def test_execute_verify_and_roll_back(scenario: Scenario, connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    account = fake.account(CUSTOMER)
    scenario.before(account)

    executed = plan_and_apply(connector, scenario.action)

    assert executed.result.outcome == ApplyOutcome.APPLIED, executed.result.error
    assert executed.result.request_ids, "request ids are recorded for the log"
    landed = [r for entry in executed.result.details["operations"] for r in entry["results"]]
    assert landed and all(r["verified"] is True for r in landed), landed  # MUTABLE_RESOURCE shows the change
    scenario.after(account)
    assert observe(connector, scenario.action) == executed.plan.expected_state  # a re-read agrees

    [undo] = connector.apply(CUSTOMER, [batch("rollback-1", executed.plan.inverse_ops)])

    assert undo.outcome == ApplyOutcome.APPLIED, undo.error
    scenario.before(account)
    assert observe(connector, scenario.action) == executed.plan.before_state


def test_drift_is_visible_in_a_re_read(scenario: Scenario, connector: GoogleAdsConnector, fake: FakeGoogleAds) -> None:
    executed = plan_and_apply(connector, scenario.action)
    assert observe(connector, scenario.action) == executed.plan.expected_state

    scenario.drift(fake.account(CUSTOMER))  # someone changes the entity outside the Operator

    found = observe(connector, scenario.action)
    assert found != executed.plan.expected_state
    assert found != executed.plan.before_state


def test_validate_only_dry_run_changes_nothing(scenario: Scenario, connector: GoogleAdsConnector,
                                               fake: FakeGoogleAds) -> None:
    account = fake.account(CUSTOMER)
    untouched = account.fingerprint()

    executed = plan_and_apply(connector, scenario.action, validate_only=True)

    assert executed.result.outcome == ApplyOutcome.VALIDATED, executed.result.error
    assert executed.result.details["validate_only"] is True
    mutates = [c for c in fake.calls if c.method.startswith("Mutate")]
    assert mutates and all(c.request.validate_only for c in mutates)
    assert account.fingerprint() == untouched
    scenario.before(account)
