"""Retention: a campaign's identifiable links go once its type's period has passed; answers stay."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import AuditEvent, Campaign, Invitation, OutboxMessage, Response
from feedback.services import campaigns as campaign_service
from tests.conftest import post_form
from tests.feedback.helpers import START, answer_all, count, make_campaign, run_due, token_from

CLOSED = START + timedelta(days=21)  # make_campaign's campaigns close three weeks in


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START)
    yield
    clock.set_now(None)


def answered_campaign(partnership, people, smtp, purpose="survey"):
    """A confidential campaign two officers answered, closed by the schedule."""
    if purpose == "survey":
        campaign = make_campaign(partnership, people)
    else:
        first = db.session.scalar(sa.select(Campaign).order_by(Campaign.id))
        spec = campaign_service.CampaignSpec(
            instrument_version_id=first.instrument_version_id,
            title=f"A {purpose} campaign",
            mode="confidential",
            opens_at=START,
            closes_at=CLOSED,
            audience={"person_ids": [p.id for p in people]},
            purpose=purpose,
        )
        campaign = campaign_service.create_campaign(partnership, spec, None)
        campaign_service.launch(campaign, None)
    smtp.messages.clear()
    run_due(START)
    for address in ("officer0@example.org", "officer1@example.org"):
        (message,) = smtp.to(address)  # this campaign's invitation only: the list was cleared
        answer_all(token_from(message), helps=f"Reflective supervision ({address})")
    return campaign


def linked(campaign):
    return {
        "responses": count(
            Response, Response.campaign_id == campaign.id, Response.person_id.is_not(None)
        ),
        "timed": count(
            Response, Response.campaign_id == campaign.id, Response.submitted_at.is_not(None)
        ),
        "invitations": count(
            Invitation, Invitation.campaign_id == campaign.id, Invitation.person_id.is_not(None)
        ),
        "emails": count(OutboxMessage, OutboxMessage.campaign_id == campaign.id),
    }


def test_links_go_24_months_after_closing_and_the_answers_stay(partnership, people, smtp):
    campaign = answered_campaign(partnership, people, smtp)
    before = {r.id: r.answers for r in db.session.scalars(sa.select(Response))}
    run_due(CLOSED)
    assert db.session.get(Campaign, campaign.id).status.value == "closed"
    assert "retention" not in run_due(CLOSED + timedelta(days=729))  # 23.9 months: kept
    assert linked(campaign) == {"responses": 2, "timed": 2, "invitations": 4, "emails": 4}

    report = run_due(CLOSED + timedelta(days=731))  # a day past 24 months
    assert report["retention"] == "de-identified 1 campaign(s) past their retention period"
    db.session.expire_all()
    assert linked(campaign) == {"responses": 0, "timed": 0, "invitations": 0, "emails": 0}
    after = {r.id: r for r in db.session.scalars(sa.select(Response))}
    assert {rid: r.answers for rid, r in after.items()} == before
    assert all(r.agency_id is not None and r.submitted_on for r in after.values())
    assert count(Invitation, Invitation.campaign_id == campaign.id, Invitation.responded) == 2
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "retention.deidentify")
    )
    assert event.record_id == str(campaign.id)
    assert event.detail == {"months": 24, "responses": 2, "invitations": 4, "emails": 4}
    assert "retention" not in run_due(CLOSED + timedelta(days=800))  # nothing left to do
    table = campaign_service.rates(db.session.get(Campaign, campaign.id), disclose_small=True,
                                   threshold=10)  # fmt: skip
    assert [(name, row["invited"]) for name, row in table.by_agency] == [
        ("No longer linked to a person", 4)
    ]  # not mistaken for visitors from an open link


def test_each_campaign_type_keeps_its_own_period_set_by_an_admin(
    client, auth, partnership, people, smtp
):
    survey = answered_campaign(partnership, people, smtp)
    course = answered_campaign(partnership, people, smtp, purpose="post_course")
    run_due(CLOSED)
    auth.sign_in_as("admin")
    response = post_form(
        client,
        "/admin/retention",
        {
            "months_survey": "6",
            "months_post_course": "36",
            "months_followup_3_month": "24",
            "months_followup_6_month": "24",
        },
        follow_redirects=True,
    )
    assert "Retention periods saved" in response.get_data(as_text=True)
    run_due(CLOSED + timedelta(days=186))  # six months and a few days
    db.session.expire_all()
    assert linked(survey)["responses"] == 0
    assert linked(course)["responses"] == 2
    run_due(CLOSED + timedelta(days=731))  # 24 months: the default no longer applies
    assert linked(course)["responses"] == 2
    run_due(CLOSED + timedelta(days=1097))  # 36 months
    assert linked(course)["responses"] == 0
    change = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "partnership.retention")
    )
    assert change.detail == {"months": {"survey": 6, "post_course": 36}}


def test_jobs_run_due_with_a_later_date_shows_the_removal(runner, partnership, people, smtp):
    campaign = answered_campaign(partnership, people, smtp)
    run_due(CLOSED)
    clock.set_now(None)
    result = runner.invoke(args=["jobs", "run-due", "--now", "2029-03-23T10:00:00Z"])
    assert "retention: de-identified 1 campaign(s)" in result.output
    assert linked(campaign)["responses"] == 0


def test_a_period_out_of_range_is_refused_beside_its_box(client, auth, partnership):
    auth.sign_in_as("admin")
    html = post_form(
        client,
        "/admin/retention",
        {
            "months_survey": "0",
            "months_post_course": "twelve",
            "months_followup_3_month": "24",
            "months_followup_6_month": "",
        },
    ).get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#months_survey"' in html
    assert "Months for staff surveys must be between 1 and 120" in html
    assert "Months for post-course evaluations must be a whole number, like 24" in html
    assert "Enter how many months to keep 6-month training follow-ups identifiable" in html
    db.session.expire_all()
    assert partnership.retention_months is None


def test_the_retention_page_says_when_each_closed_campaign_loses_its_links(
    client, auth, partnership, people, smtp
):
    answered_campaign(partnership, people, smtp)
    run_due(CLOSED)
    auth.sign_in_as("admin")
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "Spring staff survey" in html
    assert "22 March 2029" in html


def test_the_standard_notice_tells_respondents_the_periods_set(client, auth, partnership):
    auth.sign_in_as("admin")
    post_form(
        client,
        "/admin/retention",
        {
            "months_survey": "18",
            "months_post_course": "24",
            "months_followup_3_month": "24",
            "months_followup_6_month": "24",
        },
    )
    html = client.get(f"/privacy?partnership={partnership.id}").get_data(as_text=True)
    assert "Staff surveys: 18 months after the survey closes" in html


def test_the_job_looks_at_a_partnership_at_most_hourly(partnership, people, smtp):
    campaign = answered_campaign(partnership, people, smtp)
    run_due(CLOSED)
    due = CLOSED.replace(year=CLOSED.year + 2)  # 24 months on
    assert "retention" not in run_due(due - timedelta(minutes=30))
    assert "retention" not in run_due(due + timedelta(minutes=10))  # looked 40 minutes ago
    assert linked(campaign)["responses"] == 2
    assert "retention" in run_due(due + timedelta(minutes=31))
    assert linked(campaign)["responses"] == 0
