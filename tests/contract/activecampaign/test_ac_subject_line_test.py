"""create_subject_line_test against the strict fake: documented order, ids not names, honest rollback.

The fake keeps only documented body fields (a message has no `name`), holds a second message only in a split
campaign and takes shares only as positive integers. Each test below failed on the connector that tagged
messages by name and attached them to a still-single campaign.
"""

from __future__ import annotations

from ac_support import COMPLETED, SCHEDULED, SENDING, SERIES, apply, campaign_request, new_fake, read, seed

from connectors.activecampaign import ActiveCampaignConnector
from schemas.operations import ApplyOutcome, CreateSubjectLineTestOp, DeleteSubjectLineTestOp

TAG = "op:act-0123456789abcdef01234567"
VARIANTS = ("Spring sale starts now", "Last call: 20% off", "Your spring picks")


def control_id(fake) -> str:
    [link] = [link for link in fake.account.links.values() if link["campaignid"] == SCHEDULED]
    return link["messageid"]


def create_op(campaign_id: str = SCHEDULED, variants: tuple[str, ...] = VARIANTS, **changes: object
              ) -> CreateSubjectLineTestOp:
    fields: dict[str, object] = {"account_id": "acme-main", "campaign_id": campaign_id, "variants": variants,
                                 "split_type": "read", "test_percentage": 30, "winner_wait_hours": 4, "tag": TAG}
    return CreateSubjectLineTestOp.model_validate({**fields, **changes})


def delete_op(**fields: object) -> DeleteSubjectLineTestOp:
    return DeleteSubjectLineTestOp.model_validate({"account_id": "acme-main", "campaign_id": SCHEDULED, "tag": TAG,
                                                   **fields})


def state(connector, campaign_id: str = SCHEDULED):
    return read(connector, campaign_request(campaign_id)).email_campaign


def test_snapshot_reads_campaign_in_ac_shapes(fake, connector):
    now = state(connector)
    assert now is not None
    assert (now.status, now.type, now.series_id, now.subject) == (1, "single", "0", "Spring sale starts now")
    assert now.total_amt == 5000 and now.opens == 31 and now.clicks == 7  # AC's string numbers, unique counts
    assert now.scheduled_at is not None and now.scheduled_at.utcoffset() is not None
    assert len(now.message_ids) == 1 and now.split_percentages == {} and now.updated_at is not None


def test_snapshot_of_unknown_campaign_names_it_missing(connector):
    snapshot = read(connector, campaign_request("999"))
    assert snapshot.email_campaign is None and snapshot.missing == ("campaign 999",)


def test_documented_order_copies_the_control_and_rolls_back_exactly_what_it_created(fake, connector):
    before = state(connector)
    control = control_id(fake)
    result = apply(connector, create_op(existing_message_ids=(control,)))
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    created = result.details["message_ids"]
    assert len(created) == 2 and control not in created and result.details["reversibility"] == "full"

    # split first, then attach: the first write makes the campaign a split campaign
    writes = fake.writes()
    assert (writes[0].method, writes[0].path, writes[0].body["type"]) == ("PUT", f"/api/3/campaigns/{SCHEDULED}/edit",
                                                                          "split")
    # only documented fields are sent: no `name`, the sender field is `email`
    for call in fake.calls("PUT", r"/api/3/messages/\d+"):
        assert set(call.body["message"]) <= {"fromname", "email", "reply2", "subject", "preheader_text"}
        assert "email" in call.body["message"]
    [shares] = fake.calls("PUT", r"/api/3/campaign/\d+/messages/percentages")
    assert all(isinstance(row["messageid"], int) and isinstance(row["percentage"], int)
               for row in shares.body["messages"])
    # the variants are copies of the control (same body), with their own subjects
    subjects = {fake.account.messages[m]["subject"] for m in created}
    assert subjects == {"Last call: 20% off", "Your spring picks"}
    assert all(fake.account.messages[m]["html"] == "<p>Hello</p>" for m in created)
    after = state(connector)
    assert after.type == "split" and set(after.message_ids) == {control, *created}
    assert sum(after.split_percentages.values()) == 30 and min(after.split_percentages.values()) == 10

    undone = apply(connector, delete_op(message_ids=tuple(created), keep_message_ids=(control,)),
                   key="act-1-rollback")
    assert undone.outcome == ApplyOutcome.APPLIED, undone.error
    assert sorted(undone.details["deleted_message_ids"]) == sorted(created)
    restored = state(connector)
    assert restored.model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
    assert not set(created) & set(fake.account.messages) and control in fake.account.messages


def test_retried_create_recognises_its_own_messages_by_id_and_creates_nothing(fake, connector):
    op = create_op(existing_message_ids=(control_id(fake),))
    first = apply(connector, op)
    assert first.outcome == ApplyOutcome.APPLIED, first.error
    writes = len(fake.writes())
    again = apply(connector, op)
    assert again.outcome == ApplyOutcome.APPLIED and again.details["already_applied"] is True
    assert sorted(again.details["message_ids"]) == sorted(first.details["message_ids"])
    assert len(fake.writes()) == writes


def test_someone_elses_message_makes_the_plan_stale(fake, connector):
    op = create_op(existing_message_ids=(control_id(fake),))
    fake.account.campaigns[SCHEDULED]["type"] = "split"
    other = next(m for m in fake.account.messages if m != control_id(fake))
    fake.account._link(SCHEDULED, other, 0)  # a person added a version meanwhile
    result = apply(connector, op)
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "stale"


def test_validate_only_writes_nothing(fake, connector):
    result = apply(connector, create_op(), validate_only=True)
    assert result.outcome == ApplyOutcome.VALIDATED and result.details["shares"] == [10, 10, 10]
    assert fake.writes() == []


def test_refusals_before_anything_is_sent(fake, connector):
    sending = apply(connector, create_op(SENDING))
    series = apply(connector, create_op(SERIES))
    too_many = apply(connector, create_op(variants=("a", "b", "c", "d", "e")))
    too_thin = apply(connector, create_op(variants=("a", "b", "c", "d"), test_percentage=4))
    results = (sending, series, too_many, too_thin)
    assert [r.outcome for r in results] == [ApplyOutcome.FAILED] * 4
    assert [r.error.code for r in results] == ["too_late", "automation_campaign", "too_many_versions",
                                               "share_too_small"]
    assert fake.writes() == []


def test_rollback_refused_once_the_campaign_sends(fake, connector):
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.APPLIED
    fake.account.campaigns[SCHEDULED]["status"] = "2"  # the sending engine started meanwhile
    writes = len(fake.writes())
    undone = apply(connector, delete_op(message_ids=tuple(result.details["message_ids"])))
    assert undone.outcome == ApplyOutcome.FAILED and undone.error.code == "too_late"
    assert len(fake.writes()) == writes  # nothing was detached from a sending campaign


def test_failure_half_way_is_cleaned_up_by_id_and_reported_failed(fake, connector):
    before = state(connector)
    fake.fault("PUT", r"/api/3/campaign/\d+/messages/percentages", status=400,
               body={"errors": ["Percentages must be given for every message of the campaign"]})
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.FAILED
    assert "Percentages must be given" in result.error.message and result.details["cleaned_up"] is True
    assert sorted(result.details["deleted_message_ids"]) == sorted(result.details["created_before_failure"])
    assert state(connector).model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
    assert set(fake.account.messages) == {control_id(fake), *(m for m in fake.account.messages
                                                              if m != control_id(fake) and
                                                              fake.account.messages[m]["subject"] in
                                                              {"This week", "Welcome", "October", "Draft subject"})}


def test_timed_out_attach_is_settled_by_reading_the_new_attachment_never_resent(fake, connector):
    fake.fault("POST", r"/api/3/campaign/\d+/messages", delay_s=0.8)  # lands, answers after the client gave up
    messages_before = set(fake.account.messages)
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    assert len(fake.calls("POST", r"/api/3/campaign/\d+/messages")) == 2  # one per new subject, none re-sent
    created = set(result.details["message_ids"])
    assert len(created) == 2 and not created & messages_before  # the lost answer's copy found by id difference
    assert {fake.account.messages[m]["subject"] for m in created} == {"Last call: 20% off", "Your spring picks"}


def test_attach_that_did_not_land_is_uncertain_and_cleaned_up(fake, connector):
    fake.fault("POST", r"/api/3/campaign/\d+/messages", status=504, body={"message": "Gateway Timeout"})
    messages_before = set(fake.account.messages)
    result = apply(connector, create_op())
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error.kind == "uncertain"
    assert len(fake.calls("POST", r"/api/3/campaign/\d+/messages")) == 1  # never re-sent blindly
    assert result.details["created_before_failure"] == [] and result.details["cleaned_up"] is True
    assert set(fake.account.messages) == messages_before and state(connector).type == "single"


def test_rollback_when_the_create_answer_was_lost_deletes_only_what_was_not_there_before(fake, connector):
    control = control_id(fake)
    result = apply(connector, create_op(existing_message_ids=(control,)))
    assert result.outcome == ApplyOutcome.APPLIED
    undone = apply(connector, delete_op(keep_message_ids=(control,)))  # the plan as written ahead
    assert undone.outcome == ApplyOutcome.APPLIED, undone.error
    assert sorted(undone.details["deleted_message_ids"]) == sorted(result.details["message_ids"])
    assert control in fake.account.messages and state(connector).type == "single"


def test_rollback_never_deletes_the_control_and_refuses_without_ids(fake, connector):
    control = control_id(fake)
    guarded = apply(connector, delete_op(message_ids=(control,), keep_message_ids=(control,)))
    assert guarded.outcome == ApplyOutcome.APPLIED and guarded.details["deleted_message_ids"] == []
    blind = apply(connector, delete_op())  # a plan with no ids at all: it cannot tell the test apart
    assert blind.outcome == ApplyOutcome.FAILED and blind.error.code == "no_ids"
    assert control in fake.account.messages and fake.writes() == []


def test_rollback_reports_what_it_could_not_remove(fake, connector):
    result = apply(connector, create_op())
    created = tuple(result.details["message_ids"])
    fake.fault("DELETE", r"/api/3/campaign/\d+/messages/\d+", status=409,
               body={"errors": [{"title": "Conflict", "detail": "The campaign's messages can no longer change"}]})
    undone = apply(connector, delete_op(message_ids=created))
    assert undone.outcome == ApplyOutcome.FAILED  # never "applied" while a variant is still attached
    assert set(created) & {link["messageid"] for link in fake.account.links.values()}


def test_a_wrong_path_guess_fails_cleanly_and_leaves_nothing_behind():
    fake = new_fake(serve_guessed=False)  # the inferred attach/percentages paths do not exist
    seed(fake)
    connector: ActiveCampaignConnector = __import__("ac_support").make_connector(fake)
    try:
        before = state(connector)
        result = apply(connector, create_op())
        assert result.outcome == ApplyOutcome.FAILED and "404" in result.error.message
        assert result.details["cleaned_up"] is True and result.details["created_before_failure"] == []
        assert state(connector).model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
    finally:
        connector.close()
        fake.close()


def test_completed_campaign_cannot_get_a_test(connector):
    result = apply(connector, create_op(COMPLETED))
    assert result.outcome == ApplyOutcome.FAILED and "completed" in result.error.message


def test_a_lost_answer_is_recovered_from_the_campaign_by_id(fake, connector):
    """Settlement by reading (the run died after the create landed): the spec recovers the variants as the
    split campaign's messages after the control, and the rollback plan then names exactly those ids."""
    from rollback.registry import spec_for
    from schemas.actions import parse_action
    from schemas.operations import ApplyResult

    action = parse_action({"type": "create_subject_line_test", "target": {"account_id": "acme-main",
                                                                          "campaign_id": SCHEDULED},
                           "params": {"variants": list(VARIANTS), "split_type": "read", "test_percentage": 30,
                                      "winner_wait_hours": 4}})
    spec = spec_for(action)
    before = read(connector, campaign_request(SCHEDULED))
    plan = spec.rollback_plan(action, before, "act-x")
    [op] = spec.operations(action, before, "act-x")
    result = apply(connector, op)
    assert result.outcome == ApplyOutcome.APPLIED
    after = read(connector, campaign_request(SCHEDULED))
    assert spec.observed_state(action, after) == plan.expected_state
    recovered = spec.details_from_state(action, after, "act-x")
    assert sorted(recovered["message_ids"]) == sorted(result.details["message_ids"])
    final = spec.finalize_rollback_plan(plan, ApplyResult(key="act-x", outcome=ApplyOutcome.APPLIED, details=recovered))
    [inverse] = final.inverse_ops
    undone = apply(connector, inverse, key="act-x-rollback")
    assert undone.outcome == ApplyOutcome.APPLIED and spec.observed_state(action, read(
        connector, campaign_request(SCHEDULED))) == plan.before_state
