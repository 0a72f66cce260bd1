"""Every call the connector makes is in the verification registry, under the operation that makes it: the
registry (and so `operator verify` and the `verified_operations` rule) cannot miss a guessed path."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ac_support import ACCOUNT, ACME, ANN, DEE, SCHEDULED, SENDING, TRIAL, apply

from schemas.operations import (
    CreateSubjectLineTestOp,
    DeleteSubjectLineTestOp,
    EnrollContacts,
    SetEmailCampaignStatus,
    SetSendTime,
    UnenrollContacts,
)
from schemas.verification import calls_of

SEND_AT = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[a-z_]+\\\}", r"[^/]+", re.escape(path.split("?")[0])) + "/?")


def made_by(op_kind: str, method: str, path: str) -> bool:
    return any(call.method == method and _pattern(call.path).fullmatch(path) for call in calls_of(op_kind))


def test_every_call_of_every_operation_is_registered_under_it(fake, connector):
    control = next(link["messageid"] for link in fake.account.links.values() if link["campaignid"] == SCHEDULED)
    create = CreateSubjectLineTestOp(account_id=ACCOUNT, campaign_id=SCHEDULED, variants=("New A", "New B"),
                                     split_type="read", test_percentage=30, winner_wait_hours=4, tag="op:act-r",
                                     existing_message_ids=(control,))
    fake.account.v3_status_endpoints = False  # the v1 fallback too
    plan = [
        (create, "create_subject_line_test"),
        (DeleteSubjectLineTestOp(account_id=ACCOUNT, campaign_id=SCHEDULED, tag="op:act-r",
                                 keep_message_ids=(control,)), "delete_subject_line_test"),
        (SetSendTime(account_id=ACCOUNT, campaign_id=SCHEDULED, send_at=SEND_AT), "set_send_time"),
        (EnrollContacts(account_id=ACCOUNT, automation_id=TRIAL, contact_ids=(ANN,)), "enroll_contacts"),
        (UnenrollContacts(account_id=ACCOUNT, automation_id=TRIAL, contact_ids=(ANN, DEE),
                          keep_run_ids=(fake.seeded["dee"],)), "unenroll_contacts"),
        (SetEmailCampaignStatus(account_id=ACCOUNT, campaign_id=SENDING, status="paused"), "set_email_campaign_status"),
    ]
    for op, kind in plan:
        seen = len(fake.calls())
        assert apply(connector, op, org=ACME).outcome.value == "applied", kind
        strays = [(c.method, c.path) for c in fake.calls()[seen:] if not made_by(kind, c.method, c.path)]
        assert strays == [], (kind, strays)
