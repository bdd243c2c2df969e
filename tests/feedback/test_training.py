"""The training timeline: a session's post-course, 3-month and 6-month evaluations go out by
themselves, once each, to those who attended, with time moved on in seconds."""

import statistics
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import forms
from feedback import clock
from feedback.extensions import db
from feedback.models import Campaign, EvaluationStage, Invitation, SessionEvaluation
from feedback.services import ServiceError, training
from tests.feedback.helpers import run_due

ENDS = datetime(2027, 1, 31, 16, 0, tzinfo=UTC)
OUTCOMES = [
    "Recognise the signs of neglect",
    "Use the Graded Care Profile 2",
    "Know how to escalate when worried",
]


@pytest.fixture(autouse=True)
def course_time():
    clock.set_now(ENDS - timedelta(days=1))
    yield
    clock.set_now(None)


@pytest.fixture
def session(partnership, people, make_user):
    course = training.create_course(
        partnership,
        training.CourseSpec(
            title="Neglect: recognising and responding",
            learning_outcomes=OUTCOMES,
            themes=["neglect"],
        ),
        None,
    )
    trainer = make_user("trainer")
    session = training.add_session(
        partnership,
        course,
        starts_at=ENDS - timedelta(hours=6),
        ends_at=ENDS,
        venue="Northshire House",
        trainer=trainer,
    )
    # Three officers attended, the teacher was booked but did not come.
    training.record_attendance(session, [p.id for p in people[:3]], True, None)
    training.record_attendance(session, [people[3].id], False, None)
    return session


def stages_sent():
    return sorted(e.stage.value for e in db.session.scalars(sa.select(SessionEvaluation)))


def test_nothing_goes_before_the_session_ends(session, smtp):
    run_due(ENDS - timedelta(minutes=5))
    assert stages_sent() == []
    assert smtp.messages == []


def test_the_post_course_evaluation_goes_to_attendees_when_the_session_ends(session, people, smtp):
    results = run_due(ENDS + timedelta(minutes=1))
    assert "Post-course evaluation for session" in results["training_timeline"]
    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people[:3])
    assert "Neglect: recognising and responding" in str(smtp.messages[0]["Subject"])
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.mode.value == "confidential" and campaign.purpose == "post_course"
    # The evaluation asks about this course's own learning outcomes.
    definition = campaign.instrument_version.definition
    retro = [
        q for _, q in forms.iter_questions(definition) if q["type"] == "retrospective_confidence"
    ]
    assert [o["label"] for o in retro[0]["outcomes"]] == OUTCOMES


def test_follow_ups_go_three_and_six_calendar_months_later_once_each(session, smtp):
    run_due(ENDS + timedelta(minutes=1))
    run_due(datetime(2027, 4, 30, 15, 0, tzinfo=UTC))  # 31 Jan + 3 months is 30 April
    assert stages_sent() == ["post_course"]
    run_due(datetime(2027, 4, 30, 16, 1, tzinfo=UTC))
    assert stages_sent() == ["followup_3_month", "post_course"]
    run_due(datetime(2027, 5, 1, 9, 0, tzinfo=UTC))
    run_due(datetime(2027, 7, 31, 16, 1, tzinfo=UTC))
    run_due(datetime(2027, 8, 1, 9, 0, tzinfo=UTC))
    assert stages_sent() == ["followup_3_month", "followup_6_month", "post_course"]
    subjects = [
        str(m["Subject"]).strip() for m in smtp.messages if m["To"] == "officer0@example.org"
    ]
    assert len([s for s in subjects if not s.startswith("Reminder:")]) == 3


def test_a_scheduler_that_was_down_catches_up_and_sends_each_stage_once(session, smtp):
    late = ENDS + timedelta(days=7)
    run_due(late)
    run_due(late + timedelta(seconds=5))
    assert stages_sent() == ["post_course"]
    first_emails = [m for m in smtp.messages if not str(m["Subject"]).strip().startswith("Rem")]
    assert len(first_emails) == 3


def test_two_processes_sending_the_same_stage_send_it_once(session, smtp):
    clock.set_now(ENDS + timedelta(minutes=1))
    first = training.send_evaluation(session, EvaluationStage.POST_COURSE)
    second = training.send_evaluation(session, EvaluationStage.POST_COURSE)
    assert first is not None and second is None
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1


def test_the_trainer_can_send_it_early_and_the_timeline_does_not_send_it_again(session, smtp):
    clock.set_now(ENDS - timedelta(hours=1))
    assert training.send_evaluation(session, EvaluationStage.POST_COURSE) is not None
    run_due(ENDS + timedelta(minutes=1))
    assert stages_sent() == ["post_course"]
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 3


def test_a_cancelled_session_is_never_evaluated(session, smtp):
    training.cancel_session(session, None)
    run_due(ENDS + timedelta(days=200))
    assert stages_sent() == []
    assert smtp.messages == []


def test_someone_who_opted_out_gets_no_follow_up(session, people, smtp):
    run_due(ENDS + timedelta(minutes=1))
    people[0].opted_out_at = ENDS + timedelta(days=1)
    db.session.commit()
    run_due(datetime(2027, 4, 30, 16, 1, tzinfo=UTC))
    follow_up = db.session.scalar(
        sa.select(SessionEvaluation).where(
            SessionEvaluation.stage == EvaluationStage.FOLLOWUP_3_MONTH
        )
    )
    invited = db.session.scalars(
        sa.select(Invitation.person_id).where(Invitation.campaign_id == follow_up.campaign_id)
    ).all()
    assert sorted(invited) == sorted(p.id for p in people[1:3])


def test_changed_outcomes_make_a_new_version_and_leave_earlier_answers_on_theirs(
    partnership, session, people, smtp
):
    run_due(ENDS + timedelta(minutes=1))
    course = session.course
    course.learning_outcomes = [*OUTCOMES, "Record the child's lived experience"]
    db.session.commit()
    later = training.add_session(
        partnership,
        course,
        starts_at=ENDS + timedelta(days=30),
        ends_at=ENDS + timedelta(days=30, hours=6),
    )
    training.record_attendance(later, [people[3].id], True, None)
    run_due(ENDS + timedelta(days=30, hours=7))
    first, second = (
        db.session.scalar(
            sa.select(SessionEvaluation).where(
                SessionEvaluation.session_id == s.id,
                SessionEvaluation.stage == EvaluationStage.POST_COURSE,
            )
        )
        for s in (session, later)
    )
    v1, v2 = first.campaign.instrument_version, second.campaign.instrument_version
    assert v1.instrument_id == v2.instrument_id
    assert (v1.number, v2.number) == (1, 2)

    def outcomes(version):
        [retro] = [
            q
            for _, q in forms.iter_questions(version.definition)
            if q["type"] == "retrospective_confidence"
        ]
        return len(retro["outcomes"])

    assert (outcomes(v1), outcomes(v2)) == (3, 4)


def test_a_course_needs_three_to_eight_learning_outcomes(partnership):
    with pytest.raises(ServiceError, match="between 3 and 8 learning outcomes"):
        training.create_course(partnership, training.CourseSpec("Short", ["One", "Two"]), None)
    with pytest.raises(ServiceError, match="this has 9"):
        training.create_course(
            partnership, training.CourseSpec("Long", [f"Outcome {i}" for i in range(9)]), None
        )


def test_month_arithmetic_keeps_to_the_calendar():
    assert training.add_months(datetime(2027, 1, 31, tzinfo=UTC), 1).day == 28
    assert training.add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(
        2028, 2, 29, tzinfo=UTC
    )
    assert training.add_months(datetime(2027, 11, 15, tzinfo=UTC), 3) == datetime(
        2028, 2, 15, tzinfo=UTC
    )


def test_jobs_run_due_moves_through_six_months_from_the_command_line(runner, session, smtp):
    for moment in ("2027-01-31T16:05:00Z", "2027-04-30T16:05:00Z", "2027-07-31T16:05:00Z"):
        result = runner.invoke(args=["jobs", "run-due", "--now", moment])
        assert "training_timeline: sent" in result.output
    assert stages_sent() == ["followup_3_month", "followup_6_month", "post_course"]


def test_a_trainer_sees_their_sessions_and_each_stage_on_their_home_page(client, session, smtp):
    from tests.conftest import post_form

    run_due(ENDS + timedelta(minutes=1))
    post_form(
        client,
        "/sign-in",
        {"email": "trainer@testshire.example", "password": "correct-horse-battery"},
    )
    home = client.get("/").get_data(as_text=True)
    assert "Neglect: recognising and responding" in home
    assert "Sent: 0 of 3 answered" in home
    assert "Goes out by itself on 30 April 2027" in home


def test_the_evaluation_summary_matches_scipy_and_hides_small_numbers_from_non_admins(
    partnership, people, make_user, api, smtp
):
    from scipy.stats import rankdata, wilcoxon

    from feedback.models import Agency, Person
    from feedback.services import respond
    from tests.feedback.helpers import token_from

    agency = db.session.get(Agency, people[0].agency_id)
    crowd = [
        Person(
            partnership_id=partnership.id,
            name=f"Attendee {i}",
            agency_id=agency.id,
            email=f"attendee{i}@example.org",
        )
        for i in range(8)
    ]
    db.session.add_all(crowd)
    db.session.commit()
    course = training.create_course(partnership, training.CourseSpec("Neglect", OUTCOMES), None)
    session = training.add_session(
        partnership, course, starts_at=ENDS - timedelta(hours=6), ends_at=ENDS
    )
    training.record_attendance(session, [p.id for p in crowd], True, None)
    run_due(ENDS + timedelta(minutes=1))
    befores = [1, 2, 2, 3, 1, 2, 4, 3]
    nows = [3, 4, 2, 5, 3, 3, 4, 5]
    clock.set_now(ENDS + timedelta(hours=2))
    for person, before, now in zip(crowd, befores, nows, strict=True):
        visit = respond.find(token_from(smtp.to(person.email)[0]))
        confidence = {key: {"before": before, "now": now} for key in ("lo1", "lo2", "lo3")}
        assert respond.submit(
            visit.invitation, {"relevant": 4, "intend_to_use": 5, "outcome_confidence": confidence}
        )

    admin_client, admin = api("admin")
    summary = admin_client.get(f"/api/v1/sessions/{session.id}/evaluation", headers=admin)
    body = summary.get_json()
    assert body["stages"]["post_course"] == {"invited": 8, "responded": 8}
    first = body["outcomes"][0]
    assert first["outcome"] == OUTCOMES[0] and first["n_pairs"] == 8
    differences = [n - b for b, n in zip(befores, nows, strict=True)]
    expected_p = wilcoxon(nows, befores, zero_method="pratt").pvalue
    assert first["wilcoxon_p"] == pytest.approx(expected_p)
    ranks = rankdata([abs(d) for d in differences])
    rises = sum(r for r, d in zip(ranks, differences, strict=True) if d > 0)
    falls = sum(r for r, d in zip(ranks, differences, strict=True) if d < 0)
    assert first["effect_size"] == pytest.approx((rises - falls) / ranks.sum())
    assert first["median_change"] == pytest.approx(statistics.median(differences))
    assert first["suppressed"] is False

    viewer_client, viewer = api("viewer")
    hidden = viewer_client.get(f"/api/v1/courses/{course.id}/evaluation", headers=viewer).get_json()
    assert hidden["outcomes"][0]["suppressed"] is True  # 8 pairs, threshold 10
    assert hidden["outcomes"][0]["wilcoxon_p"] is None
