"""Training dashboards: a course's and a session's evaluation figures match scipy, follow-ups are
paired with the same people's own answers, small numbers are hidden from all but admins, no name
is ever shown, courses are compared, and every table downloads."""

import csv
import io
import re
import statistics
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from scipy import stats as scipy_stats

from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Agency,
    AuditEvent,
    EvaluationStage,
    Invitation,
    Partnership,
    Person,
    SessionEvaluation,
)
from feedback.services import respond, training
from feedback.services import training_dashboard as dashboards
from tests.conftest import Auth

ENDS = datetime(2027, 1, 29, 16, 0, tzinfo=UTC)
OUTCOMES = [
    "Recognise the signs of neglect",
    "Use the Graded Care Profile 2",
    "Know how to escalate when worried",
]
POST, THREE, SIX = EvaluationStage


@pytest.fixture(autouse=True)
def course_time():
    clock.set_now(ENDS - timedelta(days=1))
    yield
    clock.set_now(None)


@pytest.fixture
def crowd(partnership):
    """Fourteen practitioners from one agency, each with a name no page may show."""
    agency = Agency(partnership_id=partnership.id, name="Northshire Health", sector="health")
    db.session.add(agency)
    db.session.flush()
    people = [
        Person(
            partnership_id=partnership.id,
            name=f"Zebedee Practitioner{i}",
            email=f"practitioner{i}@example.org",
            agency_id=agency.id,
        )
        for i in range(14)
    ]
    db.session.add_all(people)
    db.session.commit()
    return people


def make_session(partnership, people, title="Neglect: recognising and responding", ends=ENDS):
    course = training.create_course(
        partnership, training.CourseSpec(title=title, learning_outcomes=OUTCOMES), None
    )
    return add_session(partnership, course, people, ends)


def add_session(partnership, course, people, ends=ENDS, trainer=None):
    session = training.add_session(
        partnership, course, starts_at=ends - timedelta(hours=6), ends_at=ends, trainer=trainer
    )
    training.record_attendance(session, [p.id for p in people], True, None)
    return session


def evaluate(session, stage, answers_by_person):
    """Send the stage when it falls due and submit each person's answers (stored form)."""
    clock.set_now(training.due_at(session, stage) + timedelta(minutes=1))
    evaluation = training.send_evaluation(session, stage)
    assert evaluation is not None
    clock.set_now(training.due_at(session, stage) + timedelta(hours=2))
    for person, answers in answers_by_person.items():
        invitation = db.session.scalar(
            sa.select(Invitation).where(
                Invitation.campaign_id == evaluation.campaign_id,
                Invitation.person_id == person.id,
            )
        )
        assert respond.submit(invitation, answers)
    return evaluation


def post_answers(before, now, **extra):
    confidence = {f"lo{i}": {"before": before, "now": now} for i in (1, 2, 3)}
    return {"relevant": 4, "intend_to_use": 5, "outcome_confidence": confidence, **extra}


def follow_answers(confidence, used=4, barriers=("time",), **extra):
    return {
        "used_learning": used,
        "confidence_now": {f"lo{i}": confidence for i in (1, 2, 3)},
        "barriers": {"selected": list(barriers), "other": None},
        **extra,
    }


def table(dashboard, title):
    found = [t for t in dashboard.tables() if t.title == title]
    assert found, f"no table {title!r} in {[t.title for t in dashboard.tables()]}"
    return found[0]


def row(found, first):
    return next(r for r in found.rows if r[0] == first)


def value(cell):
    return dashboards.download_value(cell)


BEFORES = [1, 2, 2, 3, 1, 2, 4, 3, 2, 1, 3, 2]
NOWS = [3, 4, 2, 5, 3, 3, 4, 5, 4, 2, 3, 4]


def test_the_before_and_now_confidence_change_matches_scipy(partnership, crowd):
    session = make_session(partnership, crowd[:12])
    evaluate(
        session,
        POST,
        {p: post_answers(b, n) for p, b, n in zip(crowd, BEFORES, NOWS, strict=False)},
    )
    dashboard = dashboards.session_dashboard(session, "viewer")
    found = row(table(dashboard, "Change in confidence, outcome by outcome"), OUTCOMES[0])
    differences = [n - b for b, n in zip(BEFORES, NOWS, strict=True)]
    ranks = scipy_stats.rankdata([abs(d) for d in differences])
    rises = sum(r for r, d in zip(ranks, differences, strict=True) if d > 0)
    falls = sum(r for r, d in zip(ranks, differences, strict=True) if d < 0)
    expected_p = scipy_stats.wilcoxon(NOWS, BEFORES, zero_method="pratt").pvalue
    assert found[1] == 12
    assert value(found[2]) == statistics.median(BEFORES)
    assert value(found[3]) == statistics.median(NOWS)
    assert value(found[4]) == statistics.median(differences)
    assert value(found[5]) == pytest.approx(expected_p, abs=5e-5)
    assert value(found[6]) == pytest.approx((rises - falls) / ranks.sum(), abs=5e-4)
    # The page says the same, in words.
    assert str(found[5]) == (f"{expected_p:.3f}" if expected_p >= 0.001 else "< 0.001")


def test_follow_ups_are_paired_with_the_same_persons_answer_straight_after(partnership, crowd):
    """Half the group lose confidence and half gain: only pairing each person with their own
    earlier answer gives the changes below; pairing by position would not."""
    people = crowd[:12]
    session = make_session(partnership, people)
    just_after = [2, 5, 3, 5, 2, 4, 3, 5, 2, 4, 3, 5]
    evaluate(
        session, POST, {p: post_answers(1, n) for p, n in zip(people, just_after, strict=True)}
    )
    later = {p: n + (1 if n < 4 else -2) for p, n in zip(people, just_after, strict=True)}
    # Submitted in reverse order, so the responses are not in the post-course order either.
    evaluate(session, THREE, {p: follow_answers(later[p]) for p in reversed(people[:11])})
    evaluate(session, SIX, {p: follow_answers(later[p]) for p in people[:10]})

    dashboard = dashboards.session_dashboard(session, "admin")
    three = row(
        table(
            dashboard,
            "Confidence straight after the course and 3 months on, the same people",
        ),
        OUTCOMES[0],
    )
    paired = people[:11]
    before = [just_after[people.index(p)] for p in paired]
    after = [later[p] for p in paired]
    assert three[1] == 11
    assert value(three[2]) == statistics.median(before)
    assert value(three[3]) == statistics.median(after)
    assert value(three[4]) == statistics.median([a - b for a, b in zip(after, before, strict=True)])
    assert value(three[5]) == pytest.approx(
        scipy_stats.wilcoxon(after, before, zero_method="pratt").pvalue, abs=5e-5
    )
    attrition = table(dashboard, "Who answered each stage (attrition)")
    assert [r[1] for r in attrition.rows] == [12, 11, 10, 10]
    assert value(attrition.rows[1][2]) == pytest.approx(100 * 11 / 12, abs=0.05)


def test_people_who_skipped_the_post_course_evaluation_are_not_paired(partnership, crowd):
    people = crowd[:12]
    session = make_session(partnership, people)
    evaluate(session, POST, {p: post_answers(2, 4) for p in people[:10]})
    evaluate(session, THREE, {p: follow_answers(4) for p in people})  # two new voices
    dashboard = dashboards.session_dashboard(session, "admin")
    three = table(
        dashboard, "Confidence straight after the course and 3 months on, the same people"
    )
    assert three.rows[0][1] == 10
    assert table(dashboard, "Response rate by stage").rows[1][3] == 12


def test_a_viewer_sees_fewer_than_n_responses_where_an_admin_sees_numbers(
    client, auth, partnership, crowd
):
    session = make_session(partnership, crowd[:12])
    evaluate(session, POST, {p: post_answers(2, 4) for p in crowd[:12]})
    evaluate(session, THREE, {p: follow_answers(4) for p in crowd[:8]})  # under 10
    auth.sign_in_as("viewer")
    page = client.get(f"/sessions/{session.id}/dashboard").get_data(as_text=True)
    assert "Fewer than 10 responses" in page
    viewer = dashboards.session_dashboard(session, "viewer")
    three = table(viewer, "Confidence straight after the course and 3 months on, the same people")
    assert three.rows[0][1:3] == ["Fewer than 10 responses", None]
    assert row(table(viewer, "Response rate by stage"), THREE.label)[3] == (
        "Fewer than 10 responses"
    )
    admin = dashboards.session_dashboard(session, "admin")
    assert row(table(admin, "Response rate by stage"), THREE.label)[3] == 8
    assert (
        table(admin, "Confidence straight after the course and 3 months on, the same people").rows[
            0
        ][1]
        == 8
    )


def test_a_small_count_and_the_count_that_would_give_it_away_are_both_hidden(partnership, crowd):
    session = make_session(partnership, crowd[:12])
    # Eleven people's confidence rose; one person's stayed the same.
    answers = {p: post_answers(2, 4) for p in crowd[:11]}
    answers[crowd[11]] = post_answers(3, 3)
    evaluate(session, POST, answers)
    viewer = dashboards.session_dashboard(session, "viewer")
    rose_same_fell = row(
        table(viewer, "How many people's confidence rose, stayed the same or fell"), OUTCOMES[0]
    )
    assert [str(c) for c in rose_same_fell[1:4]] == ["[c]", "[c]", "0"]
    assert rose_same_fell[4] == 12
    admin = dashboards.session_dashboard(session, "admin")
    assert row(
        table(admin, "How many people's confidence rose, stayed the same or fell"), OUTCOMES[0]
    )[1:4] == [11, 1, 0]


def test_free_text_has_sentiment_and_themes_but_never_a_name(client, make_user, partnership, crowd):
    session = make_session(partnership, crowd[:12])
    comment = "The neglect case studies were excellent and really helpful"
    evaluate(
        session,
        POST,
        {p: post_answers(2, 4, most_useful=f"{comment} ({i})") for i, p in enumerate(crowd[:12])},
    )
    for role in ("trainer", "admin"):
        reader = client.application.test_client()
        Auth(reader, make_user).sign_in_as(role)
        page = reader.get(f"/sessions/{session.id}/dashboard").get_data(as_text=True)
        assert f"{comment} (3)" in page
        assert "Positive" in page and re.search(r"Themes: [^<]*Neglect", page)
        assert "Zebedee" not in page and "practitioner3@example.org" not in page


def test_free_text_waits_for_the_stage_to_reach_the_threshold(client, auth, partnership, crowd):
    session = make_session(partnership, crowd[:9])
    evaluate(session, POST, {p: post_answers(2, 4, most_useful="Hidden words") for p in crowd[:9]})
    auth.sign_in_as("trainer")
    page = client.get(f"/sessions/{session.id}/dashboard").get_data(as_text=True)
    assert "Hidden words" not in page
    assert "Fewer than 10 responses" in page


def test_barriers_are_ranked_most_chosen_first(partnership, crowd):
    session = make_session(partnership, crowd[:12])
    evaluate(session, POST, {p: post_answers(2, 4) for p in crowd[:12]})
    picks = [("caseload", "time")] * 6 + [("caseload",)] * 6
    evaluate(
        session,
        THREE,
        {p: follow_answers(4, barriers=b) for p, b in zip(crowd[:12], picks, strict=True)},
    )
    ranked = table(
        dashboards.session_dashboard(session, "admin"), "Barriers at the 3-month follow-up"
    )
    assert [r[0] for r in ranked.rows[:2]] == ["My caseload or workload", "Not enough time"]
    assert [r[1:3] for r in ranked.rows[:2]] == [[1, 12], [2, 6]]


def test_percent_applying_their_learning_has_its_wilson_interval(partnership, crowd):
    session = make_session(partnership, crowd[:12])
    evaluate(session, POST, {p: post_answers(2, 4) for p in crowd[:12]})
    used = [5, 4, 4, 4, 5, 4, 2, 3, 4, 4, 2, 3]
    evaluate(
        session, THREE, {p: follow_answers(4, used=u) for p, u in zip(crowd, used, strict=False)}
    )
    applied = table(
        dashboards.session_dashboard(session, "admin"), "Percent who have applied their learning"
    )
    agree = sum(u >= 4 for u in used)
    low, high = (
        scipy_stats.binomtest(agree, len(used)).proportion_ci(method="wilson").low,
        scipy_stats.binomtest(agree, len(used)).proportion_ci(method="wilson").high,
    )
    assert value(applied.rows[0][3]) == pytest.approx(100 * agree / 12, abs=0.05)
    assert applied.rows[0][4] == f"{100 * low:.1f}% to {100 * high:.1f}%"


def test_a_session_not_yet_run_says_when_each_stage_goes_out(client, auth, partnership, crowd):
    session = make_session(partnership, crowd[:3], ends=datetime(2027, 3, 31, 16, tzinfo=UTC))
    auth.sign_in_as("trainer")
    page = client.get(f"/sessions/{session.id}/dashboard").get_data(as_text=True)
    assert "Goes out on 31 March 2027" in page
    assert "Goes out on 30 June 2027" in page
    assert "Goes out on 30 September 2027" in page
    assert "The post-course evaluation has not been sent yet" in page


def test_the_course_dashboard_compares_its_sessions(partnership, crowd):
    first = make_session(partnership, crowd[:12])
    second = add_session(partnership, first.course, crowd[2:14], ends=ENDS + timedelta(days=7))
    evaluate(first, POST, {p: post_answers(2, 4) for p in crowd[:12]})
    small_rise = [3, 3, 3, 2, 3, 3, 2, 3, 3, 3, 2, 3]
    evaluate(
        second,
        POST,
        {p: post_answers(2, n) for p, n in zip(crowd[2:14], small_rise, strict=True)},
    )
    dashboard = dashboards.course_dashboard(first.course, "viewer")
    compared = table(dashboard, "Sessions compared")
    assert [value(r[5]) for r in compared.rows] == [2, statistics.median(n - 2 for n in small_rise)]
    test = table(dashboard, "Test of the difference in confidence change")
    expected = scipy_stats.mannwhitneyu([2.0] * 12, [n - 2.0 for n in small_rise])
    assert row(test, "Test")[1] == "Mann-Whitney U"
    assert value(row(test, "p-value")[1]) == pytest.approx(expected.pvalue, abs=5e-5)


def test_courses_are_compared_by_kruskal_wallis_on_each_persons_change(
    client, auth, partnership, crowd
):
    rises = {"Neglect": (2, 4), "Exploitation": (2, 3), "Domestic abuse": (3, 3)}
    changes = {}
    for number, (title, (before, now)) in enumerate(rises.items()):
        session = make_session(partnership, crowd[:12], title=title, ends=ENDS + timedelta(number))
        answers = {p: post_answers(before, now) for p in crowd[:11]}
        answers[crowd[11]] = post_answers(1, 5)  # one keen person on every course
        evaluate(session, POST, answers)
        changes[title] = [float(now - before)] * 11 + [4.0]
    comparison = dashboards.compare_courses(partnership, "viewer")
    expected = scipy_stats.kruskal(*changes.values())
    assert comparison.test.test == "Kruskal-Wallis H"
    assert value(comparison.test.p) == pytest.approx(expected.pvalue, abs=5e-5)
    auth.sign_in_as("viewer")
    page = client.get("/training/compare").get_data(as_text=True)
    assert "Kruskal-Wallis" in page and "by more than chance would explain" in page
    assert "Domestic abuse" in page


def test_too_few_people_on_a_course_leaves_it_out_of_the_test_for_non_admins(partnership, crowd):
    for number, title in enumerate(("Neglect", "Exploitation")):
        session = make_session(partnership, crowd[:12], title=title, ends=ENDS + timedelta(number))
        evaluate(session, POST, {p: post_answers(2, 4 - number) for p in crowd[: 12 - 4 * number]})
    viewer = dashboards.compare_courses(partnership, "viewer")
    assert viewer.test.test is None
    assert "1 course with fewer than 10 people left out." in viewer.test.notes
    assert dashboards.compare_courses(partnership, "admin").test.test == "Mann-Whitney U"


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    data = response.data
    response.close()  # send_file's temporary workbook
    return data


def test_every_table_downloads_as_csv_and_xlsx_and_the_download_is_audited(
    client, auth, partnership, crowd
):
    session = make_session(partnership, crowd[:12])
    evaluate(
        session,
        POST,
        {p: post_answers(b, n) for p, b, n in zip(crowd, BEFORES, NOWS, strict=False)},
    )
    auth.sign_in_as("trainer")
    response = client.get(f"/courses/{session.course_id}/dashboard.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    titles = {r[0] for r in rows if len(r) == 1}
    assert {"Response rate by stage", "Change in confidence, outcome by outcome"} <= titles
    first = next(r for r in rows if r and r[0] == OUTCOMES[0] and len(r) == 7)
    expected_p = scipy_stats.wilcoxon(NOWS, BEFORES, zero_method="pratt").pvalue
    assert float(first[5]) == pytest.approx(expected_p, abs=5e-5)  # the number, not "0.002"
    workbook = load_workbook(io.BytesIO(download(client, f"/sessions/{session.id}/dashboard.xlsx")))
    assert workbook.sheetnames[:3] == ["Summary", "Response rates", "Confidence change"]
    cells = [c for r in workbook["Confidence change"].iter_rows(values_only=True) for c in r]
    assert "Change in confidence, outcome by outcome" in cells
    compare = load_workbook(io.BytesIO(download(client, "/training/compare.xlsx")))
    assert compare.sheetnames == ["Courses compared"]
    audited = db.session.scalars(
        sa.select(AuditEvent.detail).where(AuditEvent.action == "training.dashboard_export")
    ).all()
    assert [d["format"] for d in audited] == ["csv", "xlsx", "xlsx"]


def test_another_partnerships_course_and_session_are_not_found(client, auth, crowd):
    other = Partnership(name="Elsewhere Safeguarding Children Partnership")
    db.session.add(other)
    db.session.commit()
    session = make_session(other, [])
    auth.sign_in_as("admin")
    for url in (
        f"/courses/{session.course_id}/dashboard",
        f"/sessions/{session.id}/dashboard",
        f"/sessions/{session.id}/dashboard.csv",
    ):
        assert client.get(url).status_code == 404


def test_a_trainers_home_page_links_to_their_session_dashboards(
    client, auth, partnership, crowd, make_user
):
    trainer = make_user("trainer")
    course = training.create_course(
        partnership, training.CourseSpec(title="Neglect", learning_outcomes=OUTCOMES), None
    )
    session = add_session(partnership, course, crowd[:3], trainer=trainer)
    evaluate(session, POST, {crowd[0]: post_answers(2, 4)})
    auth.sign_in(trainer.email)
    home = client.get("/").get_data(as_text=True)
    assert f"/sessions/{session.id}/dashboard" in home
    assert "/training/compare" in home


def test_charts_are_accessible_svg_with_the_numbers_in_a_table(client, auth, partnership, crowd):
    session = make_session(partnership, crowd[:12])
    evaluate(session, POST, {p: post_answers(2, 4) for p in crowd[:12]})
    auth.sign_in_as("analyst")
    page = client.get(f"/sessions/{session.id}/dashboard").get_data(as_text=True)
    assert page.count('role="img"') >= 3
    assert '<title id="response-chart-title">Response rate at each stage</title>' in page
    assert "Post-course evaluation: 12 of 12 (100%)" in page  # the chart's description
    assert "<caption" in page and "Response rate by stage" in page


def test_evaluations_sent_to_a_cancelled_session_stay_out_of_the_course_dashboard(
    partnership, crowd
):
    first = make_session(partnership, crowd[:12])
    evaluate(first, POST, {p: post_answers(2, 4) for p in crowd[:12]})
    second = add_session(partnership, first.course, crowd[:12], ends=ENDS + timedelta(days=3))
    evaluate(second, POST, {p: post_answers(2, 3) for p in crowd[:12]})
    training.cancel_session(second, None)
    dashboard = dashboards.course_dashboard(first.course, "admin")
    assert row(table(dashboard, "Response rate by stage"), POST.label)[2] == 12
    assert db.session.scalar(sa.select(sa.func.count(SessionEvaluation.id))) == 2


def test_a_course_with_nothing_sent_yet_says_so_plainly(client, auth, partnership):
    auth.sign_in_as("viewer")
    assert "There are no courses yet" in client.get("/training/compare").get_data(as_text=True)
    course = training.create_course(
        partnership, training.CourseSpec(title="Neglect", learning_outcomes=OUTCOMES), None
    )
    page = client.get(f"/courses/{course.id}/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "The post-course evaluation has not been sent yet" in text
    assert "No follow-up has been sent yet" in text
    assert client.get(f"/courses/{course.id}/dashboard.csv").status_code == 200
