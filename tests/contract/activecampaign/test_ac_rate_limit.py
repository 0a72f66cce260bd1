"""AC allows 5 requests/second per account, shared by everyone using it: held under concurrent use."""

from __future__ import annotations

import threading

import pytest
from ac_fake_server import FakeActiveCampaign
from ac_support import ACCOUNT, ACME, BETA, BETA_ACCOUNT, TOKENS, FakeClock, Resolver, new_fake, orgs_for, seed

from connectors.activecampaign import ActiveCampaignConnector, ClientSettings
from connectors.activecampaign.throttle import AccountThrottle, account_key, throttle_for

CALLS_PER_THREAD = 3
THREADS_PER_ORG = 3


@pytest.fixture
def strict_fake():
    server = new_fake(enforce_rate_limit=True)  # the fake answers 429 itself past 5 requests/second
    seed(server)
    yield server
    server.close()


def test_two_orgs_sharing_one_account_stay_within_five_per_second(strict_fake: FakeActiveCampaign):
    orgs = orgs_for(strict_fake)
    settings = ClientSettings(read_timeout_s=2.0)  # AC's real limit: the defaults
    acme = ActiveCampaignConnector(orgs.__getitem__, Resolver(), settings=settings)
    beta = ActiveCampaignConnector(orgs.__getitem__, Resolver(), settings=settings)  # another instance, same account
    errors: list[BaseException] = []

    def work(connector: ActiveCampaignConnector, org: str, account: str) -> None:
        try:
            for _ in range(CALLS_PER_THREAD):
                connector.check_connection(account, org)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=args)
               for args in [(acme, ACME, ACCOUNT), (beta, BETA, BETA_ACCOUNT)] * THREADS_PER_ORG]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    calls = strict_fake.calls()
    assert len(calls) == 2 * THREADS_PER_ORG * CALLS_PER_THREAD
    assert {c.token for c in calls} == set(TOKENS.values())  # both orgs' keys really were in use
    assert all(c.status == 200 for c in calls)  # the fake never had to answer 429
    assert strict_fake.max_in_window(1.0) == 5  # measured at the server: the limit is reached, never passed


def test_one_throttle_per_account_url():
    assert throttle_for("https://Acme.api-us1.com/") is throttle_for("https://acme.api-us1.com")
    assert throttle_for("https://acme.api-us1.com") is not throttle_for("https://other.api-us1.com")
    assert account_key("https://Acme.api-us1.com/") == "https://acme.api-us1.com"


def test_permits_come_back_a_window_after_completion():
    clock = FakeClock()
    throttle = AccountThrottle(limit=5, window_s=1.0)
    start = clock.monotonic()
    for _ in range(5):
        with throttle.permit(clock):
            pass
    assert clock.sleeps == []  # five at once
    with throttle.permit(clock):
        sixth = clock.monotonic()
    assert sixth - start >= 1.0  # the sixth waits for the first to age out


def test_retry_after_holds_the_whole_account_back():
    clock = FakeClock()
    throttle = AccountThrottle(limit=5, window_s=1.0)
    start = clock.monotonic()
    throttle.hold_off(7.0, clock)
    with throttle.permit(clock):
        assert clock.monotonic() - start >= 7.0
