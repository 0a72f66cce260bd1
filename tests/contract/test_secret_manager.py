"""`sm:` references resolved through the real Secret Manager client against a local AccessSecretVersion
server (tests/servers/secret_manager.py): reference forms, caching for a short time, errors that name
the reference but never a value, and no secret value in the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from connectors.secrets import SecretResolver
from tests.servers.secret_manager import FakeSecretManager

TOKEN = "ac-tok-7b1e0c9f2d4a"  # a recognisable fake secret


@pytest.fixture
def fake() -> Iterator[FakeSecretManager]:
    server = FakeSecretManager(project="acme-operator").start()
    yield server
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reference_forms_resolve_to_the_right_version(fake: FakeSecretManager) -> None:
    fake.add("acme-ac-api-token", "old-value")
    fake.add("acme-ac-api-token", TOKEN)
    fake.add("shared", "from-elsewhere", project="other-project")
    resolve = SecretResolver("acme-operator", endpoint=fake.endpoint, ttl_s=0)

    assert resolve("sm:acme-ac-api-token") == TOKEN  # latest
    assert resolve("sm:acme-ac-api-token/versions/1") == "old-value"
    assert resolve("sm:projects/other-project/secrets/shared") == "from-elsewhere"
    assert resolve("sm:projects/acme-operator/secrets/acme-ac-api-token/versions/2") == TOKEN
    assert [r["name"] for r in fake.requests] == [
        "projects/acme-operator/secrets/acme-ac-api-token/versions/latest",
        "projects/acme-operator/secrets/acme-ac-api-token/versions/1",
        "projects/other-project/secrets/shared/versions/latest",
        "projects/acme-operator/secrets/acme-ac-api-token/versions/2",
    ]


def test_values_are_cached_for_a_short_time(fake: FakeSecretManager) -> None:
    fake.add("acme-ac-api-token", TOKEN)
    clock = Clock()
    resolve = SecretResolver("acme-operator", endpoint=fake.endpoint, ttl_s=300, monotonic=clock)
    assert [resolve("sm:acme-ac-api-token") for _ in range(5)] == [TOKEN] * 5
    assert fake.calls() == 1
    fake.add("acme-ac-api-token", "rotated")
    clock.now = 301
    assert resolve("sm:acme-ac-api-token") == "rotated"  # a rotation is picked up after the TTL
    assert fake.calls() == 2


def test_errors_name_the_reference_never_a_value(fake: FakeSecretManager, caplog: pytest.LogCaptureFixture) -> None:
    fake.add("acme-ac-api-token", TOKEN)
    fake.add("disabled", TOKEN, enabled=False)
    fake.denied_projects.add("forbidden")
    resolve = SecretResolver("acme-operator", endpoint=fake.endpoint, ttl_s=0)
    caplog.set_level(logging.DEBUG)
    cases = {"sm:missing": "no such secret", "sm:acme-ac-api-token/versions/9": "no such secret",
             "sm:projects/forbidden/secrets/x": "permission denied", "sm:disabled/versions/1": "FailedPrecondition",
             "sm:bad name": "not a Secret Manager reference", "vault:x": "unknown secret reference scheme"}
    for ref, expected in cases.items():
        with pytest.raises(LookupError) as refused:
            resolve(ref)
        assert expected in str(refused.value) and ref.split(":", 1)[1].split("/")[0] in str(refused.value)
        assert TOKEN not in str(refused.value)
    assert resolve("sm:acme-ac-api-token") == TOKEN
    assert TOKEN not in caplog.text


def test_a_reference_without_a_project_is_refused_before_any_call(fake: FakeSecretManager) -> None:
    resolve = SecretResolver(None, endpoint=fake.endpoint)
    with pytest.raises(LookupError, match="OPERATOR_GCP_PROJECT"):
        resolve("sm:acme-ac-api-token")
    assert fake.calls() == 0


def test_env_references_still_resolve_from_the_environment() -> None:
    resolve = SecretResolver("p", env={"ACME_AC_API_TOKEN": TOKEN})
    assert resolve("env:ACME_AC_API_TOKEN") == TOKEN
    with pytest.raises(LookupError, match="GLOBEX_AC_API_TOKEN is not set"):
        resolve("env:GLOBEX_AC_API_TOKEN")


def test_live_wiring_resolves_org_credentials_through_secret_manager(fake: FakeSecretManager, tmp_path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The composition root hands the Secret Manager resolver to the live connectors and the live-mode
    configuration check: an org whose `sm:` secrets exist passes, a missing one is named."""
    from operator_ai.deployment import live_problems
    from operator_ai.settings import Settings
    from operator_ai.wiring import build_services
    from schemas.policy import OrgPolicy

    fake.add("acme-ac-api-token", TOKEN)
    fake.add("acme-google-ads", "developer_token: dev\nrefresh_token: r\nclient_id: c\nclient_secret: s\n")
    for name in ("OPERATOR_ORGS_FILE", "OPERATOR_OPPORTUNITIES_FILE", "OPERATOR_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    services = build_services(Settings(home=tmp_path, platforms="live", gcp_project="acme-operator",
                                       secret_manager_endpoint=fake.endpoint))
    try:
        def org(ac_ref: str) -> OrgPolicy:
            return OrgPolicy.model_validate({
                "organization_id": "org-acme", "google_ads_credentials_ref": "sm:acme-google-ads",
                "connected": {"google_ads_customer_ids": ["1234567890"], "activecampaign": [
                    {"account_id": "acme-mail", "base_url": "https://acme.api-us1.com", "token_ref": ac_ref}]}})

        resolve = services.extras["secrets"]
        assert live_problems(org("sm:acme-ac-api-token"), resolve) == []
        problems = live_problems(org("sm:globex-ac-api-token"), resolve)
        assert problems == ["ActiveCampaign account acme-mail: sm:globex-ac-api-token cannot be resolved "
                            "(sm:globex-ac-api-token: no such secret or version in Secret Manager)"]
        assert fake.calls("projects/acme-operator/secrets/acme-google-ads/versions/latest") == 1  # cached
    finally:
        services.close()
