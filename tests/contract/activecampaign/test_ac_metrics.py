"""read_metrics against the fake: a campaign's running totals (unique opens and clicks), what is not read
(per-message opens, an account baseline), and the allowlist before anything is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ac_support import ACCOUNT, ACME, NOW, OTHER, SENDING

from connectors.base import MetricReader, NotConnectedError
from schemas.common import Platform
from schemas.metrics import MetricEntity, MetricRequest


def request(entity_id: str, entity: MetricEntity = MetricEntity.EMAIL_CAMPAIGN, *, key: str = "m", org: str = ACME,
            account: str = ACCOUNT) -> MetricRequest:
    return MetricRequest(key=key, organization_id=org, platform=Platform.ACTIVECAMPAIGN, account_id=account,
                         entity=entity, entity_id=entity_id, start=NOW - timedelta(days=1), end=NOW)


def test_a_campaigns_running_totals(fake, connector):
    assert isinstance(connector, MetricReader)
    fake.account.campaigns[SENDING]["split_winner_messageid"] = "0"
    reading = connector.read_metrics(ACCOUNT, [request(SENDING)], NOW)["m"]
    assert reading.measurable and reading.cumulative and reading.email is not None
    assert (reading.email.sends, reading.email.opens, reading.email.clicks) == (1200, 31, 7)  # unique counts
    assert reading.attributes == {"status": "2", "total": "5000"}
    fake.account.campaigns[SENDING]["split_winner_messageid"] = "77"
    again = connector.read_metrics(ACCOUNT, [request(SENDING)], NOW)["m"]
    assert again.attributes["split_winner_message_id"] == "77"


def test_what_is_not_read_says_why(fake, connector):
    answers = connector.read_metrics(ACCOUNT, [request("999", key="gone"),
                                               request("1", MetricEntity.EMAIL_MESSAGE, key="msg"),
                                               request(ACCOUNT, MetricEntity.EMAIL_ACCOUNT, key="base"),
                                               request("1", MetricEntity.CAMPAIGN, key="ads")], NOW)
    assert not answers["gone"].measurable and "does not exist" in (answers["gone"].reason or "")
    assert not answers["msg"].measurable and "per-message" in (answers["msg"].reason or "")
    assert not answers["base"].measurable and not answers["ads"].measurable


def test_the_allowlist_is_checked_before_anything_is_sent(fake, connector):
    with pytest.raises(NotConnectedError):
        connector.read_metrics(ACCOUNT, [request(SENDING, org=OTHER)], NOW)
    with pytest.raises(NotConnectedError):
        connector.read_metrics("someone-else", [request(SENDING)], NOW)
    assert fake.calls() == [] and connector.read_metrics(ACCOUNT, [], NOW) == {}
