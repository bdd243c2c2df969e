"""The training API: courses, sessions and attendance, with located errors."""

from datetime import UTC, datetime

from feedback import clock
from feedback.extensions import db
from feedback.models import Attendance, CourseSession


def test_an_admin_creates_a_course_a_session_and_marks_attendance(api, people, make_user):
    client, headers = api("admin")
    course = client.post(
        "/api/v1/courses",
        json={
            "title": "Child exploitation",
            "learning_outcomes": ["Spot CCE", "Use the NRM", "Share information"],
        },
        headers=headers,
    )
    assert course.status_code == 201, course.get_json()
    trainer = make_user("trainer", "trainer2@testshire.example")
    session = client.post(
        f"/api/v1/courses/{course.get_json()['id']}/sessions",
        json={
            "starts_at": "2027-02-01T09:30:00+00:00",
            "ends_at": "2027-02-01T16:00:00+00:00",
            "venue": "Town hall",
            "trainer_id": trainer.id,
        },
        headers=headers,
    )
    assert session.status_code == 201, session.get_json()
    session_id = session.get_json()["id"]
    attendance = f"/api/v1/sessions/{session_id}/attendance"
    two = [p.id for p in people[:2]]
    with clock.frozen_at(datetime(2027, 1, 20, 12, tzinfo=UTC)):
        early = client.post(attendance, json={"person_ids": two, "attended": True}, headers=headers)
        assert early.status_code == 422
        assert early.get_json()["error"]["details"][0]["path"] == "attended"
        booked = client.post(
            attendance, json={"person_ids": two, "attended": None}, headers=headers
        )
        assert booked.get_json() == {"changed": 2}
    with clock.frozen_at(datetime(2027, 2, 1, 16, 30, tzinfo=UTC)):
        marked = client.post(
            attendance, json={"person_ids": two, "attended": True}, headers=headers
        )
    assert marked.get_json() == {"changed": 2}
    assert db.session.get(CourseSession, session_id).trainer_id == trainer.id
    assert db.session.query(Attendance).filter_by(attended=True).count() == 2


def test_bad_training_input_gets_located_422s(api, people):
    client, headers = api("admin")
    too_few = client.post(
        "/api/v1/courses", json={"title": "X", "learning_outcomes": ["a"]}, headers=headers
    )
    assert too_few.status_code == 422
    assert too_few.get_json()["error"]["details"][0]["path"] == "learning_outcomes"
    course = client.post(
        "/api/v1/courses",
        json={"title": "X", "learning_outcomes": ["a", "b", "c"]},
        headers=headers,
    ).get_json()
    backwards = client.post(
        f"/api/v1/courses/{course['id']}/sessions",
        json={"starts_at": "2027-02-01T16:00:00+00:00", "ends_at": "2027-02-01T09:00:00+00:00"},
        headers=headers,
    )
    assert backwards.status_code == 422
    assert backwards.get_json()["error"]["details"][0]["path"] == "ends_at"
    assert (
        client.post(
            "/api/v1/courses/999/sessions",
            json={"starts_at": "2027-02-01T09:00:00+00:00", "ends_at": "2027-02-01T16:00:00+00:00"},
            headers=headers,
        ).status_code
        == 404
    )
    unknown = client.post(
        "/api/v1/sessions/999/attendance",
        json={"person_ids": [1], "attended": True},
        headers=headers,
    )
    assert unknown.status_code == 404
