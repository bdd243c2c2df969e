"""Campaigns end to end below the web pages: launching, the outbox and a real SMTP server,
reminders, closing, exactly-once submission and what anonymity leaves behind."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import (
    CampaignStatus,
    DeliveryStatus,
    Invitation,
    OutboxMessage,
    Response,
)
from feedback.services import ServiceError, outbox, respond
from feedback.services import campaigns as campaign_service
from tests.conftest import SURVEY, published_version
from tests.feedback.helpers import (  # noqa: F401 - other test modules import these from here
    LINK,
    START,
    answer_all,
    count,
    make_campaign,
    run_due,
    subject,
    token_from,
)


@pytest.fixture(autouse=True)
def campaign_time():
    """Every test here happens on the campaign's first morning unless it moves the clock."""
    clock.set_now(START)
    yield
    clock.set_now(None)


def test_launch_writes_an_invitation_and_an_email_for_each_person(partnership, people):
    people[3].opted_out_at = START
    db.session.commit()
    campaign = make_campaign(partnership, people)
    assert campaign.status == CampaignStatus.LIVE
    assert count(Invitation) == 3  # the opted-out teacher is not invited
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 3


def test_launch_with_nobody_in_the_audience_is_refused_and_writes_nothing(partnership):
    version = published_version(partnership, SURVEY)
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title="Empty",
        mode="anonymous",
        opens_at=START,
        closes_at=START + timedelta(days=7),
        audience={"agency_ids": [999]},
    )
    with clock.frozen_at(START):
        campaign = campaign_service.create_campaign(partnership, spec, None)
        with pytest.raises(ServiceError, match="Nobody is in the audience"):
            campaign_service.launch(campaign, None)
    assert campaign.status == CampaignStatus.DRAFT
    assert count(Invitation) == 0


def test_a_campaign_refuses_moves_that_make_no_sense(partnership, people):
    campaign = make_campaign(partnership, people)
    with clock.frozen_at(START), pytest.raises(ServiceError, match="cannot be launched"):
        campaign_service.launch(campaign, None)
    with clock.frozen_at(START):
        campaign_service.change_state(campaign, "close", None)
        with pytest.raises(ServiceError, match="cannot be extended"):
            campaign_service.change_state(
                campaign, "extend", None, closes_at=START + timedelta(days=60)
            )


def test_invitations_arrive_by_smtp_with_a_working_link_and_an_opt_out(partnership, people, smtp):
    make_campaign(partnership, people)
    assert run_due(START)["dispatch"] == "sent 4, will retry 0, failed 0"
    assert len(smtp.messages) == 4
    message = smtp.to("officer0@example.org")[0]
    body = message.get_body(("plain",)).get_content()
    assert "Dear Officer," in body
    assert subject(message).startswith("Staff pulse survey")
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<http") and unsubscribe.endswith("/opt-out>")
    assert respond.find(token_from(message)).gate == respond.Gate.OPEN
    sent = db.session.scalars(sa.select(OutboxMessage)).all()
    assert all(m.status == DeliveryStatus.SENT and m.body_text is None for m in sent)
    assert run_due(START + timedelta(minutes=1)).get("dispatch") is None  # nothing sent twice


def test_smtp_down_then_back_delivers_everything_once(partnership, people, smtp):
    make_campaign(partnership, people)
    smtp.stop()
    assert "will retry 4" in run_due(START)["dispatch"]
    smtp.start()
    assert run_due(START + timedelta(seconds=10)).get("dispatch") is None  # backing off
    run_due(START + timedelta(minutes=5))
    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)


def test_a_permanent_refusal_fails_only_that_recipient(partnership, people, smtp):
    smtp.refuse["officer1@example.org"] = "550 5.1.1 No such mailbox"
    make_campaign(partnership, people)
    assert run_due(START)["dispatch"] == "sent 3, will retry 0, failed 1"
    failed = db.session.scalars(
        sa.select(Invitation).where(Invitation.delivery == DeliveryStatus.FAILED)
    ).all()
    assert [i.person.email for i in failed] == ["officer1@example.org"]
    assert "550" in db.session.scalar(
        sa.select(OutboxMessage.last_error).where(OutboxMessage.status == DeliveryStatus.FAILED)
    )


def test_a_temporary_refusal_is_retried_later(partnership, people, smtp):
    smtp.data_reply = "451 4.3.0 Mailbox busy"
    make_campaign(partnership, people)
    assert run_due(START)["dispatch"] == "sent 0, will retry 4, failed 0"
    smtp.data_reply = None
    run_due(START + timedelta(minutes=5))
    assert len(smtp.messages) == 4


def test_a_connection_dropped_mid_batch_loses_nothing(partnership, people, smtp):
    smtp.drop_at = 2
    make_campaign(partnership, people)
    first = run_due(START)["dispatch"]
    assert first.startswith("sent 1,")
    run_due(START + timedelta(minutes=5))
    delivered = sorted(m["To"] for m in smtp.messages)
    assert sorted(set(delivered)) == sorted(p.email for p in people)
    assert len(delivered) <= len(people) + 1  # at most the one in flight twice


def test_messages_claimed_by_a_dispatcher_that_died_are_taken_over(app, partnership, people, smtp):
    make_campaign(partnership, people)
    with clock.frozen_at(START):
        claimed = outbox.claim(START, 10, worker="crashed-worker")
    assert len(claimed) == 4
    assert run_due(START + timedelta(seconds=30)).get("dispatch") is None  # still theirs
    timeout = app.config["OUTBOX_CLAIM_TIMEOUT_SECONDS"]
    run_due(START + timedelta(seconds=timeout + 1))
    assert len(smtp.messages) == 4


def test_reminders_go_only_to_non_responders_and_never_after_closing(partnership, people, smtp):
    make_campaign(partnership, people, reminder_days=(7, 14), days=10)
    run_due(START)
    token = token_from(smtp.to("officer0@example.org")[0])
    with clock.frozen_at(START + timedelta(days=1)):
        assert answer_all(token)
    run_due(START + timedelta(days=7, hours=1))
    reminders = [m for m in smtp.messages if subject(m).startswith("Reminder:")]
    assert sorted(m["To"] for m in reminders) == sorted(
        p.email for p in people if p.email != "officer0@example.org"
    )
    results = run_due(START + timedelta(days=15))
    assert results["close_campaigns"] == "closed 1 campaign(s)"
    assert len([m for m in smtp.messages if subject(m).startswith("Reminder:")]) == 3


def test_after_a_long_outage_only_one_reminder_goes(partnership, people, smtp):
    make_campaign(partnership, people, reminder_days=(3, 6), days=30)
    run_due(START)
    run_due(START + timedelta(days=8))  # both reminder days have passed
    reminders = smtp.to("teacher@example.org")
    assert [subject(m).startswith("Reminder:") for m in reminders] == [False, True]


def test_submitting_twice_creates_one_response(partnership, people, smtp):
    make_campaign(partnership, people)
    run_due(START)
    token = token_from(smtp.to("officer2@example.org")[0])
    with clock.frozen_at(START + timedelta(hours=2)):
        assert answer_all(token) is True
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.token_hash == respond.messages.hash_token(token))
        )
        assert respond.submit(invitation) is False
        assert respond.find(token).gate == respond.Gate.RESPONDED
    assert count(Response) == 1


def test_answers_are_saved_page_by_page_and_the_link_reopens_where_they_left(
    partnership, people, smtp
):
    make_campaign(partnership, people)
    run_due(START)
    token = token_from(smtp.to("officer0@example.org")[0])
    visit = respond.find(token)
    respond.save_page(
        visit.invitation, {"thresholds": 2, "supervision": False, "why_not": "No time"}, 1
    )
    db.session.expire_all()
    again = respond.find(token).invitation
    assert again.current_page == 1
    assert again.draft_answers["why_not"] == "No time"


def test_an_opted_out_person_is_never_invited_again(partnership, people, smtp):
    make_campaign(partnership, people)
    run_due(START)
    token = token_from(smtp.to("teacher@example.org")[0])
    respond.opt_out(respond.find(token).invitation, START)
    assert respond.find(token).gate == respond.Gate.OPTED_OUT
    version = published_version(partnership, {**SURVEY, "key": "autumn"})
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title="Autumn",
        mode="anonymous",
        opens_at=START,
        closes_at=START + timedelta(days=7),
        audience={"person_ids": [p.id for p in people]},
    )
    with clock.frozen_at(START):
        autumn = campaign_service.create_campaign(partnership, spec, None)
        assert campaign_service.launch(autumn, None) == 3


def test_closed_and_paused_campaigns_and_unknown_links_are_refused(partnership, people, smtp):
    campaign = make_campaign(partnership, people)
    run_due(START)
    token = token_from(smtp.messages[0])
    assert respond.find("not-a-real-token").gate == respond.Gate.UNKNOWN
    with clock.frozen_at(START):
        campaign_service.change_state(campaign, "pause", None)
        assert respond.find(token).gate == respond.Gate.PAUSED
        campaign_service.change_state(campaign, "resume", None)
        assert respond.find(token).gate == respond.Gate.OPEN
        campaign_service.change_state(campaign, "close", None)
        assert respond.find(token).gate == respond.Gate.CLOSED


def test_anonymous_responses_cannot_be_linked_to_who_gave_them(partnership, people, smtp):
    make_campaign(partnership, people, mode="anonymous")
    run_due(START)
    first = token_from(smtp.to("officer0@example.org")[0])
    second = token_from(smtp.to("officer1@example.org")[0])
    with clock.frozen_at(START + timedelta(hours=1)):
        answer_all(first, helps="first answer")
    with clock.frozen_at(START + timedelta(hours=3)):
        answer_all(second, helps="second answer")
    responses = db.session.scalars(sa.select(Response)).all()
    assert len(responses) == 2
    for response in responses:
        assert response.person_id is None
        assert response.submitted_at is None
        assert response.submitted_on == START.date()
        assert not any("invitation" in column.key for column in Response.__table__.columns)
    # The invitations only say that they were used: no time, no answers.
    used = db.session.scalars(sa.select(Invitation).where(Invitation.responded)).all()
    assert len(used) == 2
    assert all(i.completed_at is None and i.draft_answers is None for i in used)
    # Both responses share the police agency, so that is no help either.
    assert {r.agency_id for r in responses} == {people[0].agency_id}


def test_jobs_run_due_closes_campaigns_at_the_time_given(runner, partnership, people):
    campaign = make_campaign(partnership, people, days=5)
    result = runner.invoke(args=["jobs", "run-due", "--now", "2027-03-07T00:00:00Z"])
    assert "close_campaigns: closed 1 campaign(s)" in result.output
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.CLOSED


def test_rates_count_each_stage_and_hide_small_agency_counts_from_non_admins(
    partnership, people, smtp
):
    campaign = make_campaign(partnership, people)
    smtp.refuse["officer2@example.org"] = "550 5.1.1 No such mailbox"
    run_due(START)
    answer_all(token_from(smtp.to("officer0@example.org")[0]))
    full = campaign_service.rates(campaign, disclose_small=True, threshold=3)
    assert full.overall == {
        "invited": 4,
        "sent": 3,
        "failed": 1,
        "opened": 0,
        "started": 1,
        "completed": 1,
        "opted_out": 0,
    }
    assert dict(full.by_agency)["Hilltop School"]["invited"] == 1
    hidden = campaign_service.rates(campaign, disclose_small=False, threshold=3)
    school = dict(hidden.by_agency)["Hilltop School"]
    police = dict(hidden.by_agency)["Testshire Police"]
    assert str(school["invited"]) == "[c]"
    # The police figure would give the school's away (4 - 3), so it is hidden too.
    assert str(police["invited"]) == "[c]"
    assert hidden.overall["invited"] == 4


def test_a_course_evaluation_with_unfilled_outcomes_cannot_be_sent_as_a_survey(partnership):
    from forms import library

    version = published_version(partnership, library.load("post_course_evaluation"))
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title="Not like this",
        mode="confidential",
        opens_at=START,
        closes_at=START + timedelta(days=7),
        audience={"agency_ids": [1]},
    )
    with pytest.raises(ServiceError, match="training timeline"):
        campaign_service.create_campaign(partnership, spec, None)


def test_a_page_save_that_loses_a_race_with_submission_leaves_no_answers_behind(
    partnership, people, smtp
):
    make_campaign(partnership, people, mode="anonymous")
    run_due(START)
    token = token_from(smtp.to("officer0@example.org")[0])
    stale = respond.find(token).invitation  # the second tab's copy, loaded before submission
    assert answer_all(token) is True
    assert respond.save_page(stale, {"thresholds": 1}, 1) is False
    db.session.expire_all()
    invitation = db.session.get(Invitation, stale.id)
    assert invitation.draft_answers is None
    assert count(Invitation, Invitation.draft_answers.is_(None), Invitation.responded) == 1


def test_a_reminder_cancelled_by_a_response_is_not_reported_as_a_delivery_failure(
    partnership, people, smtp
):
    campaign = make_campaign(partnership, people)
    run_due(START)
    later = START + timedelta(days=7, hours=1)
    assert campaign_service.send_reminders(later) == "queued 4 reminder(s)"
    with clock.frozen_at(later):
        assert answer_all(token_from(smtp.to("officer0@example.org")[0]))
    assert campaign_service.delivery_failures(campaign) == []
    pending = count(
        OutboxMessage,
        OutboxMessage.kind == "reminder",
        OutboxMessage.status == DeliveryStatus.PENDING,
    )
    assert pending == 3
