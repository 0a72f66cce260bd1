"""trigger_automation against the fake: snapshot, enrol, verify, unenrol, refusals, no double enrolment."""

from __future__ import annotations

from ac_support import ANN, BOB, CY, DEE, EVE, TRIAL, WINBACK, apply, automation_request, read

from schemas.operations import ApplyOutcome, EnrollContacts, UnenrollContacts


def enrol(*contacts: str, automation: str = TRIAL) -> EnrollContacts:
    return EnrollContacts(account_id="acme-main", automation_id=automation, contact_ids=contacts)


def unenrol(*contacts: str, keep: tuple[str, ...] = ()) -> UnenrollContacts:
    return UnenrollContacts(account_id="acme-main", automation_id=TRIAL, contact_ids=contacts, keep_run_ids=keep)


def test_snapshot_resolves_emails_subscription_and_runs(fake, connector):
    state = read(connector, automation_request(TRIAL, [ANN, "404"], ["CY@example.com", "dee@example.com",
                                                                       "nobody@example.com"])).automation
    assert (state.name, state.status) == ("Trial activation", 1)
    by_id = {c.contact_id: c for c in state.contacts}
    assert set(by_id) == {ANN, CY, DEE}
    assert by_id[ANN].subscribed and not by_id[CY].subscribed and by_id[CY].email == "cy@example.com"
    assert by_id[DEE].active_run_ids == (fake.seeded["dee"],) and by_id[ANN].active_run_ids == ()
    assert state.missing_contacts == ("404", "nobody@example.com")


def test_snapshot_of_unknown_automation_names_it_missing(connector):
    snapshot = read(connector, automation_request("77", [ANN]))
    assert snapshot.automation is None and snapshot.missing == ("automation 77",)


def test_enrol_verify_and_unenrol_keeping_earlier_runs(fake, connector):
    before = read(connector, automation_request(TRIAL, [ANN, BOB, DEE])).automation
    keep = tuple(run for c in before.contacts for run in c.active_run_ids)

    result = apply(connector, enrol(ANN, BOB))
    assert result.outcome == ApplyOutcome.APPLIED, result.error
    runs = result.details["contact_automation_ids"]
    assert len(runs) == 2 and set(result.details["enrolled"]) == {ANN, BOB}
    assert result.details["reversibility"] == "partial"
    assert "emails already sent cannot be recalled" in result.details["irreversible_parts"]
    [post, _] = fake.calls("POST", r"/api/3/contactAutomations")
    assert post.body == {"contactAutomation": {"contact": ANN, "automation": TRIAL}}

    after = read(connector, automation_request(TRIAL, [ANN, BOB, DEE])).automation
    assert {c.contact_id: len(c.active_run_ids) for c in after.contacts} == {ANN: 1, BOB: 1, DEE: 1}

    undone = apply(connector, unenrol(ANN, BOB, DEE, keep=keep), key="act-1-rollback")
    assert undone.outcome == ApplyOutcome.APPLIED
    assert sorted(undone.details["removed_run_ids"]) == sorted(runs)
    assert fake.account.active_runs(DEE, TRIAL) == [fake.seeded["dee"]]  # the earlier run survives
    restored = read(connector, automation_request(TRIAL, [ANN, BOB, DEE])).automation
    assert restored == before


def test_unsubscribed_contact_refuses_the_whole_batch(fake, connector):
    result = apply(connector, enrol(ANN, CY))
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "unsubscribed"
    assert CY in result.error.message and fake.writes() == []


def test_already_enrolled_contact_is_skipped(fake, connector):
    result = apply(connector, enrol(ANN, DEE))
    assert result.outcome == ApplyOutcome.APPLIED
    assert set(result.details["enrolled"]) == {ANN} and result.details["already_enrolled"] == {DEE: [fake.seeded["dee"]]}
    assert len(fake.calls("POST")) == 1


def test_timed_out_post_is_settled_by_reading_without_double_enrolment(fake, connector):
    fake.fault("POST", r"/api/3/contactAutomations", delay_s=0.8)  # lands, answers too late
    result = apply(connector, enrol(ANN))
    assert result.outcome == ApplyOutcome.APPLIED and result.details["settled_by_read"] == [ANN]
    assert result.details["contact_automation_ids"] == fake.account.active_runs(ANN, TRIAL)
    again = apply(connector, enrol(ANN))  # a retried run of the same action
    assert again.outcome == ApplyOutcome.APPLIED and again.details["enrolled"] == {}
    assert len(fake.calls("POST")) == 1 and len(fake.account.active_runs(ANN, TRIAL)) == 1


def test_post_that_never_landed_stays_uncertain_and_stops(fake, connector):
    fake.fault("POST", r"/api/3/contactAutomations", status=503, body={"message": "Service Unavailable"})
    result = apply(connector, enrol(ANN, BOB))
    assert result.outcome == ApplyOutcome.UNCERTAIN and result.error.kind == "uncertain"
    assert result.details["unsettled"] == [ANN] and result.details["not_attempted"] == [BOB]
    assert len(fake.calls("POST")) == 1  # a 503 on a POST is never retried blindly
    assert fake.account.active_runs(ANN, TRIAL) == []


def test_refusal_half_way_removes_the_runs_already_started(fake, connector):
    fake.fault("POST", r"/api/3/contactAutomations", skip=1, status=403,
               body={"message": "Could not create SubscriberSeries"})  # ANN goes in, BOB is refused
    result = apply(connector, enrol(ANN, BOB))
    assert result.outcome == ApplyOutcome.FAILED and result.error.kind == "auth"
    assert "Could not create SubscriberSeries" in result.error.message
    assert len(result.details["compensated_run_ids"]) == 1 and result.details["contact_automation_ids"] == []
    assert fake.account.active_runs(ANN, TRIAL) == [] and fake.account.active_runs(BOB, TRIAL) == []


def test_inactive_automation_is_refused(fake, connector):
    result = apply(connector, enrol(ANN, automation=WINBACK))
    assert result.outcome == ApplyOutcome.FAILED and result.error.code == "automation_inactive"
    assert fake.writes() == []


def test_unenrol_reports_completed_runs_it_cannot_remove(fake, connector):
    assert apply(connector, enrol(ANN)).outcome == ApplyOutcome.APPLIED
    run = fake.account.active_runs(ANN, TRIAL)[0]
    fake.account.runs[run]["status"] = "2"  # drift: the run finished before the rollback
    undone = apply(connector, unenrol(ANN, EVE))
    assert undone.outcome == ApplyOutcome.APPLIED and undone.details["removed_run_ids"] == []
    assert sorted(undone.details["completed_run_ids"]) == sorted([run, fake.seeded["eve_done"]])
    assert fake.calls("DELETE") == []


def test_unenrol_of_a_run_removed_meanwhile_is_done(fake, connector):
    assert apply(connector, enrol(ANN)).outcome == ApplyOutcome.APPLIED
    run = fake.account.active_runs(ANN, TRIAL)[0]
    fake.fault("DELETE", rf"/api/3/contactAutomations/{run}", status=403,
               body={"message": f"No Result found for SubscriberSeries with id {run}"})
    undone = apply(connector, unenrol(ANN))
    assert undone.outcome == ApplyOutcome.APPLIED and undone.details["already_gone"] == [run]
