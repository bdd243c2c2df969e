"""Course and session pages: an admin sets up a course and its sessions, people are booked, the
trainer marks the register or imports it, and sends the post-course evaluation early, once."""

import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import url_for

from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Attendance,
    AuditEvent,
    Campaign,
    Course,
    CourseSession,
    Partnership,
    Person,
    SessionEvaluation,
)
from feedback.services import training
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.feedback.helpers import run_due

#: 1 March 2027 is in Greenwich Mean Time, so UK time and UTC agree.
BEFORE = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
STARTS = datetime(2027, 3, 2, 9, 30, tzinfo=UTC)
ENDS = datetime(2027, 3, 2, 16, 0, tzinfo=UTC)
DURING = STARTS + timedelta(hours=3)
OUTCOMES = [
    "Recognise the signs of neglect",
    "Use the Graded Care Profile 2",
    "Know how to escalate when worried",
]


@pytest.fixture(autouse=True)
def before_the_session():
    clock.set_now(BEFORE)
    yield
    clock.set_now(None)


def signed_in(app, user):
    """A client of its own, signed in as the user."""
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def text(response) -> str:
    """The page's words without markup, whitespace squeezed, for reading sentences."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(response))))


def audited(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", name="Tara Trainer")


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Ada Admin")


@pytest.fixture
def course(partnership):
    return training.create_course(
        partnership,
        training.CourseSpec(
            title="Neglect: recognising and responding",
            learning_outcomes=OUTCOMES,
            themes=["neglect"],
        ),
        None,
    )


@pytest.fixture
def session(partnership, course, trainer):
    return training.add_session(
        partnership,
        course,
        starts_at=STARTS,
        ends_at=ENDS,
        venue="Northshire House",
        trainer=trainer,
        capacity=12,
    )


def marks(session):
    rows = db.session.execute(
        sa.select(Person.email, Attendance.attended)
        .join(Attendance, Attendance.person_id == Person.id)
        .where(Attendance.session_id == session.id)
    ).all()
    return dict(rows)


# -- Courses ---------------------------------------------------------------------------------


def test_an_admin_creates_a_course_after_a_located_error_for_two_outcomes(app, admin, make_user):
    client = signed_in(app, admin)
    form = {
        "title": "Voice of the child",
        "description": "For all practitioners.",
        "learning_outcomes": "Hear the child\nRecord what they say\n",
        "themes": ["voice_of_child", "recording"],
        "level": "Level 1: foundation",
        "format": "virtual",
        "active": "y",
    }
    refused = post_form(client, "/courses/new", form)
    assert refused.status_code == 200
    assert "Enter between 3 and 8 learning outcomes, one on each line; you entered 2" in page(
        refused
    )
    assert 'href="#learning_outcomes"' in page(refused)  # the error summary points at the box
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0

    form["learning_outcomes"] += "- Act on what they tell you\n\n"
    created = post_form(client, "/courses/new", form)
    assert created.status_code == 302
    course = db.session.scalar(sa.select(Course))
    assert created.headers["Location"].endswith(f"/courses/{course.id}")
    assert course.learning_outcomes == [
        "Hear the child",
        "Record what they say",
        "Act on what they tell you",
    ]
    assert (course.format.value, course.themes, course.active) == (
        "virtual",
        ["voice_of_child", "recording"],
        True,
    )
    assert [e.user_id for e in audited("course.create")] == [admin.id]

    shown = text(client.get(f"/courses/{course.id}"))
    assert "Act on what they tell you" in shown
    assert "Voice of the child, Recording" in shown  # theme labels, not keys
    listed = text(client.get("/courses"))
    assert "Voice of the child Virtual (live online) Level 1: foundation Active 0" in listed
    assert "Add a course" in listed
    viewer = signed_in(app, make_user("viewer"))
    assert "Add a course" not in page(viewer.get("/courses"))
    assert viewer.get("/courses/new").status_code == 403


def test_the_courses_list_counts_sessions_and_shows_the_next_one(app, partnership, course, admin):
    for day, cancel in ((-10, False), (5, False), (3, True), (20, False)):
        s = training.add_session(
            partnership,
            course,
            starts_at=BEFORE + timedelta(days=day),
            ends_at=BEFORE + timedelta(days=day, hours=3),
            venue="Town hall",
        )
        if cancel:
            training.cancel_session(s, None)
    listed = text(signed_in(app, admin).get("/courses"))
    # three not cancelled; the cancelled one on 4 March is not the next session
    assert "Face to face – Active 3 6 March 2027" in listed


def test_outcomes_are_fixed_once_an_evaluation_has_been_sent(
    app, admin, course, session, people, smtp
):
    client = signed_in(app, admin)
    url = f"/courses/{course.id}/edit"
    form = {
        "title": course.title,
        "themes": ["neglect"],
        "learning_outcomes": "\n".join([*OUTCOMES, "Use the escalation policy"]),
        "format": "face_to_face",
        "active": "y",
    }
    assert post_form(client, url, form).status_code == 302  # nothing sent yet: allowed
    assert len(db.session.get(Course, course.id).learning_outcomes) == 4

    training.record_attendance(session, [people[0].id], True, None)
    clock.set_now(DURING)
    training.send_now(session, None)
    assert "the outcomes cannot be changed" in page(client.get(url))
    form["learning_outcomes"] = "\n".join(OUTCOMES)
    refused = post_form(client, url, form)
    assert refused.status_code == 200
    assert "You cannot change the learning outcomes" in page(refused)
    assert len(db.session.get(Course, course.id).learning_outcomes) == 4

    form["learning_outcomes"] = "\n".join([*OUTCOMES, "Use the escalation policy"])
    form["title"] = "Neglect: the essentials"
    assert post_form(client, url, form).status_code == 302  # other details may change
    assert db.session.get(Course, course.id).title == "Neglect: the essentials"
    assert [e.detail for e in audited("course.edit")] == [
        {"changed": ["learning_outcomes"]},
        {"changed": ["title"]},
    ]


# -- Sessions --------------------------------------------------------------------------------


def test_an_admin_adds_a_session_with_a_trainer_after_located_errors(
    app, admin, course, trainer, make_user
):
    client = signed_in(app, admin)
    url = f"/courses/{course.id}/sessions/new"
    assert "Tara Trainer (trainer@testshire.example)" in page(client.get(url))
    good = {
        "starts_on": ["2", "3", "2027"],
        "starts_time": "9:30",
        "ends_time": "4pm",
        "delivery": "venue",
        "venue": "Northshire House",
        "trainer_id": str(trainer.id),
        "capacity": "20",
    }
    analyst = make_user("analyst")
    for change, message, field in (
        ({"ends_time": "09:00"}, "The session must end after it starts", "ends_time"),
        ({"capacity": "0"}, "Capacity must be 1 or more", "capacity"),
        ({"capacity": "twenty"}, "Capacity must be a whole number", "capacity"),
        ({"starts_time": "25:00"}, "Enter the start time like 09:30 or 2pm", "starts_time"),
        ({"venue": ""}, "Enter the venue, or choose Online", "venue"),
        (
            {"trainer_id": str(analyst.id)},
            "The trainer must be an account with the trainer role",
            "trainer_id",
        ),
    ):
        refused = post_form(client, url, {**good, **change})
        assert refused.status_code == 200, change
        assert message in page(refused), change
        assert f'href="#{field}"' in page(refused), change
    assert db.session.scalar(sa.select(sa.func.count(CourseSession.id))) == 0

    added = post_form(client, url, good)
    assert added.status_code == 302
    session = db.session.scalar(sa.select(CourseSession))
    assert (session.starts_at, session.ends_at) == (STARTS, ENDS)
    assert (session.trainer_id, session.capacity, session.online) == (trainer.id, 20, False)
    assert len(audited("session.create")) == 1
    listed = text(client.get(f"/courses/{course.id}"))
    assert "2 March 2027, 9:30am to 4pm" in listed and "Tara Trainer" in listed

    # In British Summer Time the wall-clock time is an hour ahead of UTC.
    edited = post_form(
        client,
        f"/sessions/{session.id}/edit",
        {**good, "starts_on": ["10", "6", "2027"], "delivery": "online", "venue": ""},
    )
    assert edited.status_code == 302
    db.session.refresh(session)
    assert session.starts_at == datetime(2027, 6, 10, 8, 30, tzinfo=UTC)
    assert (session.online, session.venue) == (True, None)
    assert audited("session.edit")[0].detail == {
        "changed": ["ends_at", "online", "starts_at", "venue"]
    }


def test_cancelling_asks_first_and_a_cancelled_session_is_never_evaluated(
    app, admin, session, people, smtp
):
    training.record_attendance(session, [people[0].id], True, None)
    client = signed_in(app, admin)
    confirm = text(client.get(f"/sessions/{session.id}/cancel"))
    assert "Are you sure you want to cancel the session on 2 March 2027" in confirm
    assert "1 person is booked on it" in confirm
    assert db.session.get(CourseSession, session.id).cancelled_at is None  # only asked

    done = post_form(client, f"/sessions/{session.id}/cancel", {})
    assert done.status_code == 302
    assert db.session.get(CourseSession, session.id).cancelled_at == BEFORE
    assert len(audited("session.cancel")) == 1
    shown = text(client.get(f"/sessions/{session.id}"))
    assert "This session was cancelled on 1 March 2027" in shown
    assert "Not sent: the session was cancelled" in shown
    assert client.get(f"/sessions/{session.id}/edit").status_code == 302
    run_due(ENDS + timedelta(minutes=5))
    assert db.session.scalar(sa.select(sa.func.count(SessionEvaluation.id))) == 0
    assert smtp.messages == []


# -- Booking and the register -----------------------------------------------------------------


def test_people_are_booked_and_the_trainer_ticks_the_register(app, admin, trainer, session, people):
    client = signed_in(app, admin)
    found = page(client.get(f"/sessions/{session.id}?q=OFFICER"))
    assert all(f"officer{i}@example.org" in found for i in range(3))
    assert "teacher@example.org" not in found
    url = f"/sessions/{session.id}"
    booked = client.post(
        f"/sessions/{session.id}/attendees",
        data={"csrf_token": csrf_token(client, url), "person_id": [p.id for p in people[:3]]},
    )
    assert booked.status_code == 302
    assert "3 people booked" in page(client.get(url))
    unknown = post_form(
        client, f"/sessions/{session.id}/attendees", {"emails": "nobody@example.org"}
    )
    assert unknown.status_code == 422
    assert "Line 1: nobody with the email nobody@example.org is listed" in page(unknown)
    pasted = post_form(
        client,
        f"/sessions/{session.id}/attendees",
        {"emails": "teacher@example.org, officer0@example.org"},
    )
    assert pasted.status_code == 302
    assert "1 person booked; 1 already booked" in page(client.get(url))
    assert set(marks(session).values()) == {None}

    ticker = signed_in(app, trainer)
    everyone = [p.id for p in people]
    early = ticker.post(
        f"/sessions/{session.id}/attendance",
        data={"csrf_token": csrf_token(ticker, url), "on_register": everyone, "attended": [1]},
    )
    assert early.status_code == 302
    assert "You can mark the register once the session has started" in page(ticker.get(url))
    assert set(marks(session).values()) == {None}

    clock.set_now(DURING)
    register = page(ticker.get(url))
    assert 'name="attended" type="checkbox"' in register and "officer2@example.org" in register
    saved = ticker.post(
        f"/sessions/{session.id}/attendance",
        data={
            "csrf_token": csrf_token(ticker, url),
            "on_register": everyone,
            "attended": [people[0].id, people[1].id],
        },
    )
    assert saved.status_code == 302
    assert "Register saved: 2 attended (4 changes)" in page(ticker.get(url))
    assert marks(session) == {
        "officer0@example.org": True,
        "officer1@example.org": True,
        "officer2@example.org": False,
        "teacher@example.org": False,
    }
    [event] = audited("session.register")
    assert event.user_id == trainer.id and event.detail["changed"] == 4


def test_the_trainers_home_page_asks_for_the_register_until_it_is_marked(
    app, trainer, session, people
):
    training.record_attendance(session, [p.id for p in people[:2]], None, None)
    client = signed_in(app, trainer)
    assert "Mark the register" not in page(client.get("/"))  # not started yet
    clock.set_now(DURING)
    home = text(client.get("/"))
    assert "Mark the register for Neglect: recognising and responding, 2 March 2027" in home
    assert "2 of 2 not yet marked" in home
    training.save_register(session, [p.id for p in people[:2]], {people[0].id}, trainer)
    assert "Mark the register" not in page(client.get("/"))


def test_a_trainer_cannot_change_another_trainers_session(
    app, partnership, session, people, make_user
):
    training.record_attendance(session, [people[0].id], None, None)
    clock.set_now(DURING)
    other = signed_in(app, make_user("trainer", "other.trainer@testshire.example"))
    url = f"/sessions/{session.id}"
    shown = page(other.get(url))
    assert "Northshire House" in shown  # they may read it ...
    assert "officer0@example.org" not in shown  # ... but not who is booked
    token = csrf_token(other, url)
    for target, data in (
        ("/attendance", {"on_register": [people[0].id], "attended": [people[0].id]}),
        ("/attendees", {"person_id": [people[1].id]}),
        ("/evaluations/send", {}),
        ("/attendance/import", {}),
    ):
        response = other.post(url + target, data={"csrf_token": token, **data})
        assert response.status_code == 403, target
    assert other.get(url + "/attendance/import").status_code == 403
    assert marks(session) == {"officer0@example.org": None}

    analyst = signed_in(app, make_user("analyst"))
    read = text(analyst.get(url))
    assert "1 booked: 0 attended, 0 did not attend, 1 not yet marked" in read
    assert "officer0@example.org" not in read
    token = csrf_token(analyst, url)
    assert analyst.post(url + "/attendance", data={"csrf_token": token}).status_code == 403
    scrutineer = signed_in(app, make_user("scrutineer"))
    assert scrutineer.get(url).status_code == 403
    assert scrutineer.get("/courses").status_code == 403


def test_another_partnerships_courses_and_sessions_are_not_found(app, admin):
    elsewhere = Partnership(name="Elsewhere Safeguarding Children Partnership")
    db.session.add(elsewhere)
    db.session.commit()
    course = training.create_course(elsewhere, training.CourseSpec("Theirs", OUTCOMES), None)
    session = training.add_session(elsewhere, course, starts_at=STARTS, ends_at=ENDS)
    client = signed_in(app, admin)
    for url in (
        f"/courses/{course.id}",
        f"/courses/{course.id}/edit",
        f"/courses/{course.id}/sessions/new",
        f"/sessions/{session.id}",
        f"/sessions/{session.id}/edit",
        f"/sessions/{session.id}/cancel",
        f"/sessions/{session.id}/attendance/import",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/courses")
    response = client.post(f"/sessions/{session.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.get(CourseSession, session.id).cancelled_at is None


# -- Importing attendance ---------------------------------------------------------------------


def upload(client, session, content: bytes):
    url = f"/sessions/{session.id}/attendance/import"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(content), "sheet.csv")},
        content_type="multipart/form-data",
    )


def report_rows(response) -> list[tuple[str, str, str]]:
    """(row, result, why) for each row of the import report table."""
    body = page(response).split("What happened to each row", 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", body, re.S):
        cells = [
            html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c))).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells:
            rows.append((cells[0], cells[2], cells[3]))
    return rows


def test_a_csv_import_reports_what_happened_to_each_row(app, trainer, session, people):
    training.record_attendance(session, [people[3].id], None, None)  # the teacher is booked
    clock.set_now(DURING)
    sheet = (
        "\ufeffName,Email,Agency,Attended\n"
        "Officer 0,officer0@example.org,Testshire Police,yes\n"
        "Nia Nurse,Nia.Nurse@Example.org,hilltop school,Yes\n"
        "Sam Someone,sam@example.org,Nowhere Agency,yes\n"
        "Officer 1,officer1@example.org,Testshire Police,maybe\n"
        "Officer 0 again,OFFICER0@example.org,Testshire Police,no\n"
        "Bad Address,not-an-email,Testshire Police,yes\n"
        "\n"
        "Teacher One,teacher@example.org,,no\n"
        "Pat Unknown,pat@example.org,,yes\n"
    ).encode()
    client = signed_in(app, trainer)
    response = upload(client, session, sheet)
    assert response.status_code == 200
    assert report_rows(response) == [
        ("2", "Added", "booked (attended)"),
        ("3", "Added", "added as a practitioner and booked (attended)"),
        ("4", "Skipped", "agency 'Nowhere Agency' is not one of the partnership's agencies"),
        ("5", "Skipped", "attended must be yes or no, not 'maybe'"),
        ("6", "Skipped", "officer0@example.org is a duplicate of row 2"),
        (
            "7",
            "Skipped",
            "'not-an-email' is not a valid email address (for example name@agency.gov.uk)",
        ),
        ("9", "Updated", "marked did not attend (was not yet marked)"),
        (
            "10",
            "Skipped",
            "pat@example.org is not listed as a practitioner, so the agency is needed",
        ),
    ]
    summary = text(response)
    assert "2 added 1 updated 0 unchanged 5 skipped" in summary
    assert marks(session) == {
        "officer0@example.org": True,
        "nia.nurse@example.org": True,
        "teacher@example.org": False,
    }
    nurse = db.session.scalar(sa.select(Person).where(Person.email == "nia.nurse@example.org"))
    assert nurse.name == "Nia Nurse" and nurse.agency.name == "Hilltop School"
    [event] = audited("session.attendance_import")
    assert event.user_id == trainer.id
    assert event.detail == {"added": 2, "updated": 1, "unchanged": 0, "skipped": 5}

    again = upload(client, session, sheet)  # the same file twice books nobody twice
    assert [r[1] for r in report_rows(again)][:2] == ["No change", "No change"]
    assert len(marks(session)) == 3


@pytest.mark.parametrize(
    "content, message",
    [
        (b"name,email,agency,attended\nZo\xe9,zoe@example.org,Testshire Police,yes\n", "not UTF-8"),
        (b"name,email,agency\nZoe,zoe@example.org,Testshire Police\n", "missing the column"),
        (b"", "The file is empty"),
        (
            b"name,email,agency,attended\nZoe,zoe@example.org,Testshire Police,yes\n"
            + b'"'
            + b"x" * 200_000
            + b'",a@example.org,Testshire Police,yes\n',
            "Row 3: the file is not readable CSV",
        ),
    ],
    ids=["not-utf8", "no-attended-column", "empty", "unreadable-row-after-a-good-one"],
)
def test_an_unreadable_file_writes_nothing(app, admin, session, people, content, message):
    clock.set_now(DURING)
    response = upload(signed_in(app, admin), session, content)
    assert response.status_code == 200
    assert message in page(response)
    assert "There is a problem" in page(response)
    assert marks(session) == {}
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == len(people)
    assert audited("session.attendance_import") == []


def test_before_the_session_an_import_books_people_but_marks_nobody(app, admin, session, people):
    sheet = b"name,email,agency,attended\nA,officer0@example.org,,\nB,officer1@example.org,,yes\n"
    response = upload(signed_in(app, admin), session, sheet)
    assert report_rows(response) == [
        ("2", "Added", "booked (not yet marked)"),
        (
            "3",
            "Skipped",
            "the session has not started, so nobody can be marked yet: leave attended empty to "
            "book them",
        ),
    ]
    assert marks(session) == {"officer0@example.org": None}


# -- Sending the post-course evaluation early ----------------------------------------------------


def test_send_now_sends_the_post_course_evaluation_exactly_once(
    app, trainer, session, people, smtp
):
    training.record_attendance(session, [p.id for p in people[:3]], None, None)
    clock.set_now(DURING)
    client = signed_in(app, trainer)
    url = f"/sessions/{session.id}"
    training.save_register(
        session, [p.id for p in people[:3]], {people[0].id, people[1].id}, trainer
    )
    assert "Send the post-course evaluation now" in page(client.get(url))

    sent = client.post(url + "/evaluations/send", data={"csrf_token": csrf_token(client, url)})
    assert sent.status_code == 302
    shown = text(client.get(url))
    assert "The post-course evaluation is on its way to 2 people" in shown
    assert "Post-course evaluation Sent on 2 March 2027 2 0" in shown
    assert "Send the post-course evaluation now" not in shown
    assert "anyone marked as attended from now on receives only the 3- and 6-month" in shown
    run_due(DURING + timedelta(minutes=1))
    assert sorted(m["To"] for m in smtp.messages) == [
        "officer0@example.org",
        "officer1@example.org",
    ]

    again = client.post(url + "/evaluations/send", data={"csrf_token": csrf_token(client, url)})
    assert again.status_code == 302
    assert "already sent on 2 March 2027: it goes out once only" in text(client.get(url))
    run_due(ENDS + timedelta(minutes=5))  # the timeline does not send it again either
    assert len(smtp.messages) == 2
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1
    [event] = audited("session.evaluation_send")
    assert event.user_id == trainer.id
    assert event.detail["early"] is True and event.detail["invited"] == 2


def test_send_now_explains_why_it_cannot_send_yet(app, admin, session, people, smtp):
    client = signed_in(app, admin)
    url = f"/sessions/{session.id}"
    not_started = client.post(
        url + "/evaluations/send", data={"csrf_token": csrf_token(client, url)}
    )
    assert not_started.status_code == 302
    assert "The session has not started yet" in text(client.get(url))
    clock.set_now(DURING)
    training.record_attendance(session, [people[0].id], None, None)
    client.post(url + "/evaluations/send", data={"csrf_token": csrf_token(client, url)})
    assert "Nobody is marked as attended" in text(client.get(url))
    assert db.session.scalar(sa.select(sa.func.count(SessionEvaluation.id))) == 0


def test_the_session_page_links_to_its_dashboard_and_the_course_page_to_the_course_dashboard(
    app, admin, course, session
):
    with app.test_request_context():
        session_dashboard = url_for("dashboards.session", session_id=session.id)
        course_dashboard = url_for("dashboards.course", course_id=course.id)
    client = signed_in(app, admin)
    assert f'href="{session_dashboard}"' in page(client.get(f"/sessions/{session.id}"))
    course_page = page(client.get(f"/courses/{course.id}"))
    assert f'href="{course_dashboard}"' in course_page
    assert f'href="{session_dashboard}"' in course_page
