"""The Learning Needs Analysis: needs ranked by weighted evidence with their sources, the method
explained, the previous period, training reach, priorities, print and XLSX, and the API."""

import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

import forms.library
from feedback import clock
from feedback.extensions import db
from feedback.models import Attendance, Course, CourseFormat, CourseSession, SourceType
from feedback.models.records import LnaPriority
from feedback.services import lna
from feedback.services import records as record_service
from tests.conftest import csrf_token, post_form
from tests.feedback.records_support import coded, survey_with_answers

FROM, TO = date(2027, 1, 1), date(2027, 12, 31)
PERIOD = "from=2027-01-01&to=2027-12-31"
LABELS = {
    "information_sharing": "Information sharing",
    "neglect": "Neglect",
    "online_safety": "Online safety",
    "recording": "Recording",
    "thresholds_referrals": "Thresholds and referrals",
}


@pytest.fixture
def evidence(partnership, people):
    """Information sharing: low agreement in the staff survey and a recommendation tagged to
    training. Neglect: named as a further learning need by three people after training. Online
    safety: mentioned by two people only, fewer than the threshold of three."""
    partnership.disclosure_threshold = 3
    db.session.commit()
    survey_with_answers(
        partnership,
        people,
        [
            {"others_share": 1, "know_how_to_refer": 4},
            {"others_share": 2, "know_how_to_refer": 4},
            {"others_share": 2, "know_how_to_refer": 3},
            {"others_share": 3, "know_how_to_refer": 4},
        ],
        on=date(2027, 3, 10),
    )
    spec = record_service.ReviewSpec(
        review_type="lcspr",
        title="Child J",
        end_on=date(2027, 2, 1),
        recommendations=[
            record_service.RecommendationSpec(
                "Brief all staff on sharing without consent", True, "information_sharing"
            ),
            record_service.RecommendationSpec("Agree an ED protocol", False, "information_sharing"),
        ],
    )
    record_service.create_review(partnership, spec, None)
    for i in range(3):
        coded(partnership.id, SourceType.POST_COURSE, f"More on neglect please ({i})", "neglect",
              on=date(2027, 5, 1), respondent=f"pc{i}", field="further_learning")  # fmt: skip
    for i in range(2):
        coded(partnership.id, SourceType.STAFF_SURVEY, f"Online harms ({i})", "online_safety",
              on=date(2027, 5, 1), respondent=f"os{i}")  # fmt: skip
    return partnership


def test_needs_are_ranked_by_the_weighted_sum_of_their_evidence(evidence):
    report = lna.report(evidence, LABELS, FROM, TO, "viewer")

    ranked = [(n.theme_key, n.score) for n in report.needs]
    # Neglect: training text 1 x 2, front-line text 1 x 1, rising 1 x 2, reach 1 x 1 = 6.
    # Information sharing: survey (75% not agreeing) 0.75 x 3, one recommendation 1/3 x 3,
    # reach 1 x 1 = 4.25. Online safety rests on two people: not counted at all.
    assert ranked == [("neglect", 6.0), ("information_sharing", 4.25)]
    sharing = report.needs[1]
    assert [(i.key, round(i.percent_agree)) for i in sharing.survey_items] == [("others_share", 25)]
    assert [r.text for r in sharing.recommendations] == [
        "Brief all staff on sharing without consent"
    ]
    for need in report.needs:
        assert need.score == pytest.approx(
            sum(w.weight * need.components[w.key] for w in lna.WEIGHTS), abs=0.01
        )


def test_the_page_shows_each_need_with_its_sources_and_explains_the_ranking(evidence, client, auth):
    auth.sign_in_as("viewer")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)

    assert "1 January 2027" in page and "31 December 2027" in page
    assert page.index("1. Neglect") < page.index("2. Information sharing")
    assert "Other agencies share information with me when I need it" in page
    assert "Brief all staff on sharing without consent" in page
    assert "How the ranking works" in page
    for weight in lna.WEIGHTS:
        assert weight.title in page
    assert "weighted" in page or "multiplied by its weight" in page
    assert "Online safety" not in page.split("How the ranking works")[0]


def test_the_previous_period_is_compared(evidence):
    for i in range(3):
        coded(evidence.id, SourceType.STAFF_SURVEY, f"Records are poor ({i})", "recording",
              on=date(2026, 6, 1), respondent=f"rec{i}")  # fmt: skip
        coded(evidence.id, SourceType.POST_COURSE, f"Neglect again ({i})", "neglect",
              on=date(2026, 6, 1), respondent=f"old{i}", field="further_learning")  # fmt: skip

    report = lna.report(evidence, LABELS, FROM, TO, "admin")

    assert (report.previous_from, report.previous_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert [n.theme_key for n in report.previous_needs] == ["neglect", "recording"]
    needs = {n.theme_key: n for n in report.needs}
    neglect, sharing = needs["neglect"], needs["information_sharing"]
    assert (neglect.rank, neglect.previous_rank, neglect.movement) == (2, 1, "Down 1 place")
    assert (sharing.previous_rank, sharing.movement) == (None, "New")
    assert neglect.components["rising"] == 0.0  # three comments then, three now


def test_training_reach_counts_who_attended_by_agency_against_the_workforce(
    evidence, people, client, auth
):
    course = Course(partnership_id=evidence.id, title="Neglect: recognising and responding",
                    learning_outcomes=["a", "b", "c"], themes=["neglect"],
                    format=CourseFormat.FACE_TO_FACE)  # fmt: skip
    session = CourseSession(
        partnership_id=evidence.id,
        course=course,
        starts_at=datetime(2027, 4, 1, 9, tzinfo=UTC),
        ends_at=datetime(2027, 4, 1, 16, tzinfo=UTC),
    )
    db.session.add_all([course, session])
    db.session.flush()
    for person in people[:2]:  # two of the three police officers
        db.session.add(Attendance(session_id=session.id, person_id=person.id, attended=True))
    db.session.add(Attendance(session_id=session.id, person_id=people[3].id, attended=False))
    db.session.commit()

    admin = lna.report(evidence, LABELS, FROM, TO, "admin")
    assert [(r.agency, r.workforce, r.reached) for r in admin.reach] == [
        ("Hilltop School", 1, 0),
        ("Testshire Police", 3, 2),
    ]
    neglect = next(n for n in admin.needs if n.theme_key == "neglect")
    assert (neglect.reached, neglect.workforce, neglect.components["reach"]) == (2, 4, 0.5)
    assert [(c.title, c.sessions, c.attended) for c in admin.courses] == [
        ("Neglect: recognising and responding", 1, 2)
    ]

    viewer = lna.report(evidence, LABELS, FROM, TO, "viewer")
    assert str(dict((r.agency, r.reached) for r in viewer.reach)["Testshire Police"]) == "[c]"


def test_barriers_from_follow_ups_are_counted(evidence, people):
    follow_up = forms.library.load("followup_3_month")
    survey_with_answers(
        evidence,
        people,
        [{"barriers": {"selected": ["time", "caseload"]}} for _ in range(3)]
        + [{"barriers": {"selected": ["time"]}}],
        on=date(2027, 6, 1),
        definition=follow_up,
        purpose="followup_3_month",
    )

    report = lna.report(evidence, LABELS, FROM, TO, "viewer")

    assert report.barriers == [("Not enough time", 4), ("My caseload or workload", 3)]
    assert report.barriers_answered == 4


def test_admins_set_the_priorities_for_next_year_and_others_cannot(evidence, client, auth):
    auth.sign_in_as("admin")
    with clock.frozen_at(datetime(2027, 11, 20, 9, tzinfo=UTC)):
        page = client.get("/lna").get_data(as_text=True)
        assert "Priorities for April 2028 to March 2029" in page
        token = csrf_token(client, "/lna")
        missing = client.post("/lna/priorities", data={"csrf_token": token, "year": "2028"})
        assert missing.status_code == 422
        assert "Write the priority" in missing.get_data(as_text=True)
        for text in ("Neglect: GCP2 training for health", "Information sharing briefings"):
            added = client.post(
                "/lna/priorities",
                data={"csrf_token": token, "year": "2028", "text": text, "theme_key": "neglect"},
            )
            assert added.status_code == 302
        first, second = db.session.scalars(
            sa.select(LnaPriority).order_by(LnaPriority.position)
        ).all()
        assert (first.year, first.text) == (2028, "Neglect: GCP2 training for health")
        moved = client.post(
            f"/lna/priorities/{second.id}/move", data={"csrf_token": token, "direction": "up"}
        )
        assert moved.status_code == 302
        page = client.get("/lna").get_data(as_text=True)
        assert page.index("Information sharing briefings") < page.index("Neglect: GCP2 training")
        edited = post_form(
            client, f"/lna/priorities/{first.id}/edit", {"text": "Neglect for all", "theme_key": ""}
        )
        assert edited.status_code == 302
        db.session.refresh(first)
        assert (first.text, first.theme_key) == ("Neglect for all", None)

        client.post("/sign-out", data={"csrf_token": token})
        auth.sign_in_as("viewer")
        page = client.get("/lna").get_data(as_text=True)
        assert "Neglect for all" in page and "Add a priority" not in page
        token = csrf_token(client, "/lna")
        refused = client.post(
            f"/lna/priorities/{first.id}/remove", data={"csrf_token": token}
        )  # fmt: skip
        assert refused.status_code == 403


def test_the_report_prints_without_navigation_and_downloads_as_a_workbook(evidence, client, auth):
    auth.sign_in_as("analyst")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)
    assert "records.css" in page
    stylesheet = client.get("/static/records.css")
    css = stylesheet.get_data(as_text=True)
    stylesheet.close()
    print_rules = css.split("@media print", 1)[1]
    assert ".govuk-service-navigation" in print_rules and "display: none" in print_rules

    response = client.get(f"/lna.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert (
        "learning-needs-analysis-2027-01-01-to-2027-12-31.xlsx"
        in response.headers["Content-Disposition"]
    )
    data = response.data
    response.close()
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames[:2] == ["Learning needs", "Method"]
    rows = list(book["Learning needs"].iter_rows(values_only=True))
    assert rows[1][:3] == (1, "Neglect", 6)
    book.close()
    assert client.get("/lna.xlsx?from=2027-13-01").status_code == 400


def test_a_bad_period_is_explained_not_a_crash(evidence, client, auth):
    auth.sign_in_as("viewer")
    page = client.get("/lna?from-day=31&from-month=2&from-year=2027")
    assert page.status_code == 200
    assert "Enter a real date" in page.get_data(as_text=True)
    backwards = client.get("/lna?from=2027-06-01&to=2027-01-01").get_data(as_text=True)
    assert "The end of the period must be on or after its start" in backwards


def test_lna_api_reports_needs_with_their_sources_and_refuses_bad_periods(evidence, api):
    client, headers = api("viewer")
    body = client.get(f"/api/v1/reports/lna?{PERIOD}", headers=headers).get_json()

    assert (body["from"], body["to"]) == ("2027-01-01", "2027-12-31")
    assert body["previous"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert [w["weight"] for w in body["method"]["weights"]] == [w.weight for w in lna.WEIGHTS]
    sharing = next(n for n in body["needs"] if n["theme"]["key"] == "information_sharing")
    assert sharing["rank"] == 2
    assert sharing["sources"]["survey_items"][0]["percent_agree"] == 25.0
    assert sharing["sources"]["recommendations"][0]["record_title"] == "Child J"

    backwards = client.get("/api/v1/reports/lna?from=2027-06-01&to=2027-01-01", headers=headers)
    assert backwards.status_code == 422
    assert backwards.get_json()["error"]["details"][0]["path"] == "to"
    too_long = client.get("/api/v1/reports/lna?from=2010-01-01&to=2027-01-01", headers=headers)
    assert too_long.status_code == 422
    assert too_long.get_json()["error"]["details"][0]["path"] == "from"
    scrutineer, scrutineer_headers = api("scrutineer")
    refused = scrutineer.get("/api/v1/reports/lna", headers=scrutineer_headers)
    assert refused.status_code == 403


def test_home_pages_show_overdue_actions_to_admins_and_the_lna_headline_to_viewers(
    evidence, client, auth
):
    from feedback.services import actions

    review = record_service.list_reviews(evidence.id)[0]
    with clock.frozen_at(datetime(2027, 3, 1, tzinfo=UTC)):
        actions.add_to_record(
            evidence.id,
            SourceType.REVIEW,
            review.id,
            "Agree the ED protocol",
            owner_agency_id=None,
            due_on=date(2027, 4, 1),
            actor=None,
        )
    with clock.frozen_at(datetime(2027, 6, 1, 9, tzinfo=UTC)):
        auth.sign_in_as("admin")
        page = client.get("/").get_data(as_text=True)
        assert "Overdue actions" in page and "Agree the ED protocol" in page
        assert "61 days overdue" in page
        token = csrf_token(client, "/")
        client.post("/sign-out", data={"csrf_token": token})

        auth.sign_in_as("viewer")
        main = client.get("/").get_data(as_text=True).split("<main")[1]  # not the menu
        assert "Learning Needs Analysis" in main
        assert "Neglect" in main.split("Learning Needs Analysis")[1]


def _neglect_course(partnership, attendees):
    course = Course(partnership_id=partnership.id, title="Neglect: recognising and responding",
                    learning_outcomes=["a", "b", "c"], themes=["neglect"],
                    format=CourseFormat.FACE_TO_FACE)  # fmt: skip
    session = CourseSession(
        partnership_id=partnership.id,
        course=course,
        starts_at=datetime(2027, 4, 1, 9, tzinfo=UTC),
        ends_at=datetime(2027, 4, 1, 16, tzinfo=UTC),
    )
    db.session.add_all([course, session])
    db.session.flush()
    for person in attendees:
        db.session.add(Attendance(session_id=session.id, person_id=person.id, attended=True))
    db.session.commit()


def _switch_to(client, auth, role):
    with client.session_transaction() as session:
        session.clear()
    auth.sign_in_as(role)


def _workbook_rows(client, sheet):
    response = client.get(f"/lna.xlsx?{PERIOD}")
    data = response.data
    response.close()
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    return rows


def test_a_small_training_reach_is_not_given_away_by_its_score(evidence, people, client, auth):
    # Two of a workforce of four reached, threshold 3: the reach part (1 - 2/4) and the score
    # (the other parts plus it) would tell a viewer the hidden 2.
    _neglect_course(evidence, people[:2])

    admin = lna.report(evidence, LABELS, FROM, TO, "admin")
    viewer = lna.report(evidence, LABELS, FROM, TO, "viewer")
    assert [n.theme_key for n in viewer.needs] == [n.theme_key for n in admin.needs]
    admin_neglect = next(n for n in admin.needs if n.theme_key == "neglect")
    assert admin_neglect.shown_part("reach") == 0.5
    assert admin_neglect.shown_score == admin_neglect.score
    neglect = next(n for n in viewer.needs if n.theme_key == "neglect")
    assert str(neglect.shown_part("reach")) == "[c]" and str(neglect.shown_score) == "[c]"
    body = next(n for n in viewer.as_dict()["needs"] if n["theme"]["key"] == "neglect")
    assert body["components"]["reach"] is None and body["score"] is None
    assert body["score_suppressed"] is True
    admin_body = next(n for n in admin.as_dict()["needs"] if n["theme"]["key"] == "neglect")
    assert admin_body["components"]["reach"] == 0.5 and admin_body["score"] == admin_neglect.score

    auth.sign_in_as("viewer")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)
    section = page.split('id="need-neglect"', 1)[1].split("</section>", 1)[0]
    assert '<span class="app-lna-score">[c]</span>' in section
    assert f"{admin_neglect.score:.2f}" not in page
    assert "the need keeps its place in the ranking" in page
    row = next(r for r in _workbook_rows(client, "Learning needs") if r[1] == "Neglect")
    assert row[2] == "[c]" and "[c]" in row[3:9]
    with clock.frozen_at(datetime(TO.year, TO.month, TO.day, 12, tzinfo=UTC)):
        home = client.get("/").get_data(as_text=True).split("<main")[1]
    assert "Neglect" in home and f"{admin_neglect.score:.1f})" not in home

    _switch_to(client, auth, "admin")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)
    assert f'<span class="app-lna-score">{admin_neglect.score:.2f}</span>' in page


def test_a_rise_from_a_hidden_previous_count_is_hidden(evidence):
    # Two neglect comments last period, three now: rising (3 - 2) / 2 with "now" shown would
    # give away the hidden 2.
    for i in range(2):
        coded(evidence.id, SourceType.POST_COURSE, f"Neglect then ({i})", "neglect",
              on=date(2026, 6, 1), respondent=f"then{i}", field="further_learning")  # fmt: skip

    admin = next(n for n in lna.report(evidence, LABELS, FROM, TO, "admin").needs
                 if n.theme_key == "neglect")  # fmt: skip
    assert admin.shown_part("rising") == 0.5 and admin.comments_before == 2
    viewer = next(n for n in lna.report(evidence, LABELS, FROM, TO, "viewer").needs
                  if n.theme_key == "neglect")  # fmt: skip
    assert str(viewer.shown_part("rising")) == "[c]" and str(viewer.shown_score) == "[c]"
    assert viewer.rank == admin.rank


def test_course_attendance_and_evaluations_are_hidden_when_small(evidence, people, client, auth):
    _neglect_course(evidence, people[:2])

    admin = lna.report(evidence, LABELS, FROM, TO, "admin")
    assert [(c.attended, c.evaluations_invited, c.evaluations_answered) for c in admin.courses] == [
        (2, 0, 0)
    ]
    viewer = lna.report(evidence, LABELS, FROM, TO, "viewer")
    assert str(viewer.courses[0].attended) == "[c]"

    auth.sign_in_as("viewer")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)
    courses = page.split('id="courses"', 1)[1].split('id="priorities"', 1)[0]
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">[c]</td>' in courses
    row = _workbook_rows(client, "Courses")[1]
    assert row[0] == "Neglect: recognising and responding" and row[2] == "[c]"

    _switch_to(client, auth, "admin")
    assert _workbook_rows(client, "Courses")[1][2] == 2


def test_a_hidden_count_of_people_is_never_called_one_person(evidence, client, auth):
    coded(evidence.id, SourceType.POST_COURSE, "Sharing without consent, please",
          "information_sharing", on=date(2027, 5, 1), respondent="one",
          field="further_learning")  # fmt: skip

    auth.sign_in_as("viewer")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)
    assert "[c] person" not in page
    assert "evaluations and follow-ups: [c] people" in page

    _switch_to(client, auth, "admin")
    page = client.get(f"/lna?{PERIOD}").get_data(as_text=True)
    assert "evaluations and follow-ups: 1 person" in page
