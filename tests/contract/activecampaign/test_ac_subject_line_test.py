"""create_subject_line_test against the fake: snapshot, execute, verify, roll back, drift, failures."""

from __future__ import annotations

from ac_support import COMPLETED, SCHEDULED, SENDING, SERIES, apply, campaign_request, read

from schemas.operations import ApplyOutcome, CreateSubjectLineTestOp, DeleteSubjectLineTestOp

TAG = "op:act-0123456789abcdef01234567"


def create_op(campaign_id: str = SCHEDULED, variants: tuple[str, ...] = ("Spring sale starts now", "Last call: 20% off",
                                                                          "Your spring picks"), **changes: object
              ) -> CreateSubjectLineTestOp:
    fields: dict[str, object] = {"account_id": "acme-main", "campaign_id": campaign_id, "variants": variants,
                                 "split_type": "read", "test_percentage": 30, "winner_wait_hours": 4, "tag": TAG}
    return CreateSubjectLineTestOp.model_validate({**fields, **changes})


def delete_op(campaign_id: str = SCHEDULED) -> DeleteSubjectLineTestOp:
    return DeleteSubjectLineTestOp(account_id="acme-main", campaign_id=campaign_id, tag=TAG)


def test_snapshot_reads_campaign_in_ac_shapes(fake, connector):
    state = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert state is not None
    assert (state.status, state.type, state.series_id, state.subject) == (1, "single", "0", "Spring sale starts now")
    assert state.total_amt == 5000 and state.opens == 31 and state.clicks == 7  # AC's string numbers, unique counts
    assert state.scheduled_at is not None and state.scheduled_at.utcoffset() is not None
    assert len(state.message_ids) == 1 and state.test_tags == () and state.split_percentages == {}


def test_snapshot_of_unknown_campaign_names_it_missing(connector):
    snapshot = read(connector, campaign_request("999"))
    assert snapshot.email_campaign is None and snapshot.missing == ("campaign 999",)


def test_execute_verify_and_roll_back(fake, connector):
    before = read(connector, campaign_request(SCHEDULED)).email_campaign
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    created = result.details["message_ids"]
    assert len(created) == 2  # the control keeps its subject; two new subjects become new messages
    assert result.details["reversibility"] == "full"

    after = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert after.type == "split" and after.test_tags == (TAG,)
    assert after.test_message_ids == {TAG: tuple(created)}  # what a settlement by reading recovers
    assert set(after.message_ids) == {*before.message_ids, *created}
    assert sum(after.split_percentages.values()) == 30 and min(after.split_percentages.values()) == 10
    subjects = {fake.account.messages[m]["subject"] for m in created}
    assert subjects == {"Last call: 20% off", "Your spring picks"}
    assert all(fake.account.messages[m]["name"].startswith(TAG) for m in created)
    assert fake.account.campaigns[SCHEDULED]["split_offset"] == "4"

    undone = apply(connector, delete_op(), key="act-1-rollback")
    assert undone.outcome == ApplyOutcome.APPLIED, undone.error
    assert sorted(undone.details["deleted_message_ids"]) == sorted(created)
    restored = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert restored.model_dump(exclude={"scheduled_at"}) == before.model_dump(exclude={"scheduled_at"})
    assert restored.scheduled_at == before.scheduled_at
    assert not set(created) & set(fake.account.messages)


def test_retried_create_finds_its_test_and_creates_nothing(fake, connector):
    assert apply(connector, create_op()).outcome == ApplyOutcome.APPLIED
    writes = len(fake.writes())
    again = apply(connector, create_op())
    assert again.outcome == ApplyOutcome.APPLIED and again.details["already_applied"] is True
    assert len(again.details["message_ids"]) == 2
    assert len(fake.writes()) == writes


def test_validate_only_writes_nothing(fake, connector):
    result = apply(connector, create_op(), validate_only=True)
    assert result.outcome == ApplyOutcome.VALIDATED and result.details["shares"] == [10, 10, 10]
    assert fake.writes() == []


def test_refusals_before_anything_is_sent(fake, connector):
    sending = apply(connector, create_op(SENDING))
    series = apply(connector, create_op(SERIES))
    too_many = apply(connector, create_op(variants=("a", "b", "c", "d", "e")))
    assert [r.outcome for r in (sending, series, too_many)] == [ApplyOutcome.FAILED] * 3
    assert [r.error.code for r in (sending, series, too_many)] == ["too_late", "automation_campaign",
                                                                     "too_many_versions"]
    assert fake.writes() == []


def test_rollback_refused_once_the_campaign_sends_and_reread_shows_the_drift(fake, connector):
    assert apply(connector, create_op()).outcome == ApplyOutcome.APPLIED
    expected = {"status": 1, "test_tags": [TAG]}
    fake.account.campaigns[SCHEDULED]["status"] = "2"  # the sending engine started meanwhile
    now = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert {"status": now.status, "test_tags": list(now.test_tags)} != expected
    writes = len(fake.writes())
    undone = apply(connector, delete_op())
    assert undone.outcome == ApplyOutcome.FAILED and undone.error.code == "too_late"
    assert len(fake.writes()) == writes  # nothing was detached from a sending campaign


def test_failure_half_way_is_cleaned_up_and_reported_failed(fake, connector):
    before = read(connector, campaign_request(SCHEDULED)).email_campaign
    fake.fault("PUT", r"/api/3/campaign/\d+/messages/percentages", status=400,
               body={"errors": ["Percentages must be given for every message of the campaign"]})
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.FAILED
    assert "Percentages must be given" in result.error.message and result.details["cleaned_up"] is True
    after = read(connector, campaign_request(SCHEDULED)).email_campaign
    assert after.model_dump() == before.model_dump()
    assert not any(m.get("name", "").startswith(TAG) for m in fake.account.messages.values())


def test_timed_out_message_create_is_uncertain_and_leaves_no_orphan(fake, connector):
    fake.fault("POST", r"/api/3/messages", delay_s=0.8)  # lands, but answers after the client gave up
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error.kind == "uncertain"
    assert len(fake.calls("POST", r"/api/3/messages")) == 1  # never re-sent blindly
    assert result.details["cleaned_up"] is True and len(result.details["deleted_message_ids"]) == 1
    assert not any(m.get("name", "").startswith(TAG) for m in fake.account.messages.values())
    assert read(connector, campaign_request(SCHEDULED)).email_campaign.test_tags == ()


def test_completed_campaign_cannot_get_a_test(connector):
    result = apply(connector, create_op(COMPLETED))
    assert result.outcome == ApplyOutcome.FAILED and "completed" in result.error.message
