"""Subject access (everything held about a practitioner) and erasure (their details gone, their
answers kept without them)."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Attendance,
    AuditEvent,
    Course,
    CourseSession,
    Invitation,
    OutboxMessage,
    Partnership,
    Person,
    Response,
)
from feedback.services import respond
from tests.conftest import SURVEY, csrf_token, post_form
from tests.feedback.helpers import START, answer_all, count, run_due, token_from

OFFICER = "officer0@example.org"


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START)
    yield
    clock.set_now(None)


def campaign(partnership, people, mode, title, version=None):
    from feedback.services import campaigns as campaign_service
    from tests.conftest import published_version

    version = version or published_version(partnership, SURVEY)
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title=title,
        mode=mode,
        opens_at=START,
        closes_at=START + timedelta(days=21),
        audience={"person_ids": [p.id for p in people]},
    )
    made = campaign_service.create_campaign(partnership, spec, None)
    campaign_service.launch(made, None)
    return made


@pytest.fixture
def history(partnership, people, smtp):
    """The officer answered a confidential survey and an anonymous one, has a second survey
    waiting unanswered, and attended a course."""
    confidential = campaign(partnership, people, "confidential", "Spring staff survey")
    version = confidential.instrument_version
    anonymous = campaign(partnership, people, "anonymous", "Anonymous pulse", version)
    run_due(START)
    for message in smtp.to(OFFICER):
        token = token_from(message)
        mode = respond.find(token).campaign.mode.value
        answer_all(token, helps="Anonymous words" if mode == "anonymous" else "Named words")
    assert count(Response, Response.answers["helps"].as_string() == "Anonymous words") == 1
    waiting = campaign(partnership, people, "confidential", "Summer staff survey", version)
    course = Course(
        partnership_id=partnership.id,
        title="Neglect and GCP2",
        learning_outcomes=["Spot neglect", "Use GCP2", "Refer"],
        format="face_to_face",
    )
    db.session.add(course)
    db.session.flush()
    session = CourseSession(
        partnership_id=partnership.id,
        course_id=course.id,
        starts_at=START - timedelta(days=30),
        ends_at=START - timedelta(days=30) + timedelta(hours=3),
    )
    db.session.add(session)
    db.session.flush()
    db.session.add(Attendance(session_id=session.id, person_id=people[0].id, attended=True))
    db.session.commit()
    return {"confidential": confidential, "anonymous": anonymous, "waiting": waiting}


def test_an_admin_reads_everything_held_about_a_practitioner(client, auth, people, history):
    auth.sign_in_as("admin")
    officer = people[0]
    html = client.get(f"/admin/people/{officer.id}/subject-access").get_data(as_text=True)
    assert officer.name in html and OFFICER in html
    assert "Spring staff survey" in html and "Summer staff survey" in html
    assert "Named words" in html
    assert "I know the thresholds and how to refer" in html  # questions in their own words
    assert "Anonymous words" not in html  # an anonymous answer cannot be found, by design
    assert "Neglect and GCP2" in html
    assert "Child and family voice records are never linked to a person" in html


def test_the_json_download_holds_the_same_and_both_are_audited(client, auth, people, history):
    admin = auth.sign_in_as("admin")
    officer = people[0]
    client.get(f"/admin/people/{officer.id}/subject-access")
    response = client.get(f"/admin/people/{officer.id}/subject-access.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["person"]["email"] == OFFICER
    assert data["controller"] == "Testshire Safeguarding Children Partnership"
    assert [r["campaign"] for r in data["responses"]] == ["Spring staff survey"]
    answers = {a["question"]: a["answer"] for a in data["responses"][0]["answers"]}
    assert answers["What helps you most?"] == "Named words"
    assert {i["campaign"] for i in data["invitations"]} == {
        "Spring staff survey",
        "Anonymous pulse",
        "Summer staff survey",
    }
    assert data["training_attendance"][0]["course"] == "Neglect and GCP2"
    assert any(e["subject"] for e in data["emails"])
    assert any("voice records are never linked" in line.lower() for line in data["not_included"])
    assert "Anonymous words" not in response.get_data(as_text=True)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.subject_access")
    ).all()
    assert [(e.user_id, e.record_id, e.detail["format"]) for e in events] == [
        (admin.id, str(officer.id), "page"),
        (admin.id, str(officer.id), "json"),
    ]


def test_another_partnerships_practitioner_is_not_found(client, auth):
    other = Partnership(name="Elsewhere Safeguarding Children Partnership")
    db.session.add(other)
    db.session.flush()
    stranger = Person(partnership_id=other.id, name="Sam Stranger", email="sam@elsewhere.example")
    db.session.add(stranger)
    db.session.commit()
    auth.sign_in_as("admin")
    for url in ("subject-access", "subject-access.json", "erase"):
        assert client.get(f"/admin/people/{stranger.id}/{url}").status_code == 404
    response = client.post(
        f"/admin/people/{stranger.id}/erase",
        data={"csrf_token": csrf_token(client, "/"), "confirm": "y"},
    )
    assert response.status_code == 404
    assert db.session.get(Person, stranger.id) is not None


def test_the_practitioners_list_links_to_the_information_held(client, auth, people):
    auth.sign_in_as("admin")
    html = client.get("/people").get_data(as_text=True)
    assert f'href="/admin/people/{people[0].id}/subject-access"' in html


def test_erasure_asks_for_confirmation_first(client, auth, people, history):
    auth.sign_in_as("admin")
    officer = people[0]
    page = client.get(f"/admin/people/{officer.id}/erase").get_data(as_text=True)
    assert "This cannot be undone" in page
    assert "keep their 1 response " in page
    html = post_form(client, f"/admin/people/{officer.id}/erase", {}).get_data(as_text=True)
    assert "Confirm that you understand this cannot be undone" in html
    assert db.session.get(Person, officer.id) is not None


def test_erasing_a_practitioner_keeps_their_answers_without_them(
    app, client, auth, people, history, smtp
):
    admin = auth.sign_in_as("admin")
    officer = people[0]
    officer_id, agency_id, name = officer.id, officer.agency_id, officer.name
    # The waiting survey's email to them is queued and not yet sent.
    assert count(
        OutboxMessage, OutboxMessage.to_address == OFFICER, OutboxMessage.status == "pending"
    )
    smtp.messages.clear()
    response = post_form(
        client, f"/admin/people/{officer_id}/erase", {"confirm": "y"}, follow_redirects=True
    )
    assert "details are erased. 1 response kept without their name" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Person, officer_id) is None
    assert count(Person, Person.email == OFFICER) == 0
    named = db.session.scalar(
        sa.select(Response).where(Response.answers["helps"].as_string() == "Named words")
    )
    assert named.person_id is None
    assert named.job_role is None and named.submitted_at is None
    assert named.agency_id == agency_id and named.submitted_on == START.date()
    assert count(Response) == 2  # the anonymous answer is untouched too
    assert count(OutboxMessage, OutboxMessage.to_address == OFFICER) == 0
    assert count(Attendance, Attendance.person_id == officer_id) == 0
    assert count(Invitation, Invitation.person_id == officer_id) == 0
    # Their answered invitations still count as answered; the unanswered one is gone.
    assert count(Invitation, Invitation.person_id.is_(None), Invitation.responded) == 2
    run_due(START + timedelta(minutes=5))
    assert smtp.to("officer1@example.org")  # the others' invitations went out ...
    assert not smtp.to(OFFICER)  # ... and nothing went to them
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.erase"))
    assert event.user_id == admin.id and event.record_id == str(officer_id)
    assert event.detail["responses"] == 1 and event.detail["emails_cancelled"] == 1
    recorded = json.dumps(event.detail)
    assert OFFICER not in recorded and name not in recorded
    assert app.test_client().get(f"/admin/people/{officer_id}/subject-access").status_code == 302
