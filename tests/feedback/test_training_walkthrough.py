"""The issue's "done when": one course walked from sessions and attendance through the
post-course, 3-month and 6-month evaluations, emailed over real SMTP and answered through the
respondent pages with time moved on, to a dashboard and an API summary whose numbers match scipy
computed here; with the catch-up and exactly-once behaviour of the timeline proven."""

import re
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from scipy import stats as scipy_stats

from feedback import clock
from feedback.models import EvaluationStage
from feedback.services import training
from feedback.services import training_dashboard as dashboards
from forms import library
from tests.conftest import CSRF_RE, Auth
from tests.feedback.helpers import run_due, subject, token_from

ENDS = datetime(2027, 1, 29, 16, 0, tzinfo=UTC)
THREE_MONTHS = datetime(2027, 4, 29, 16, 0, tzinfo=UTC)
SIX_MONTHS = datetime(2027, 7, 29, 16, 0, tzinfo=UTC)
OUTCOMES = [
    "Recognise the signs and impact of neglect",
    "Use the Graded Care Profile 2 with families",
    "Know when and how to escalate concerns",
]
POST, THREE, SIX = EvaluationStage

# Twelve attended (a thirteenth was booked and did not come). Person i's answers for the first
# learning outcome; None: did not answer that stage. Person 11 skips the post-course evaluation
# but answers at 3 months, so has nothing to be paired with.
BEFORE = [1, 2, 2, 3, 1, 2, 4, 3, 2, 1, 3, None]
NOW = [3, 4, 2, 5, 3, 3, 4, 5, 4, 2, 4, None]
AT_3 = [3, 3, 2, 4, 3, 4, 3, 4, 3, None, None, 4]
AT_6 = [2, 3, 3, 4, 2, 3, 4, 4, None, None, None, None]
USED_3 = [4, 5, 4, 2, 4, 5, 3, 4, 4, None, None, 5]
USED_6 = [4, 4, 5, 2, 3, 4, 4, 5, None, None, None, None]


@pytest.fixture(autouse=True)
def course_time():
    clock.set_now(ENDS - timedelta(days=14))
    yield
    clock.set_now(None)


@pytest.fixture
def course_by_api(api, make_user):
    """A course, a session with its trainer, and a marked register, all through the API."""
    admin, headers = api("admin")
    trainer = make_user("trainer")
    people = []
    for i in range(13):
        made = admin.post(
            "/api/v1/people",
            json={"name": f"Practitioner {i}", "email": f"p{i}@example.org", "agency_id": None},
            headers=headers,
        )
        assert made.status_code == 201, made.get_json()
        people.append(made.get_json())
    course = admin.post(
        "/api/v1/courses",
        json={"title": "Neglect: recognising and responding", "learning_outcomes": OUTCOMES},
        headers=headers,
    ).get_json()
    session = admin.post(
        f"/api/v1/courses/{course['id']}/sessions",
        json={
            "starts_at": (ENDS - timedelta(hours=6)).isoformat(),
            "ends_at": ENDS.isoformat(),
            "venue": "Northshire House",
            "trainer_id": trainer.id,
        },
        headers=headers,
    ).get_json()
    # The register is marked during the session (the API refuses it before the start).
    with clock.frozen_at(ENDS - timedelta(hours=1)):
        for ids, attended in (([p["id"] for p in people[:12]], True), ([people[12]["id"]], False)):
            marked = admin.post(
                f"/api/v1/sessions/{session['id']}/attendance",
                json={"person_ids": ids, "attended": attended},
                headers=headers,
            )
            assert marked.status_code == 200
    return {
        "admin": admin,
        "headers": headers,
        "trainer": trainer,
        "people": people,
        "course": course,
        "session": session,
    }


def invitations(smtp, stage):
    """Each first email (not a reminder) for this stage, by address. The subject names the
    stage's survey ("Training follow-up: three months on: <course>...")."""
    survey = library.load(stage.library_key)["title"]
    found = {}
    for message in smtp.messages:
        if subject(message).startswith(f"{survey}: "):
            assert message["To"] not in found, f"{message['To']} got the {stage.label} twice"
            found[message["To"]] = message
    return found


def answer_through_the_pages(app, token, data, number):
    """Answer the way a practitioner does on their own phone: each page of /r/<token> posted
    with the CSRF token from the form, until the confirmation page."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"  # one phone each
    url = f"/r/{token}"
    csrf = CSRF_RE.search(browser.get(url).get_data(as_text=True)).group(1)
    for _ in range(6):
        response = browser.post(url, data={**data, "csrf_token": csrf})
        page = response.get_data(as_text=True)
        assert response.status_code == 302, re.findall(r'govuk-error-message">([^<]+)', page)
        if response.headers["Location"].endswith("/done"):
            done = browser.get(response.headers["Location"]).get_data(as_text=True)
            assert "Response submitted" in done
            return
    raise AssertionError("the evaluation never reached its last page")


def post_course_form(i):
    data = {"relevant": "4", "intend_to_use": "5", "pace": "about_right"}
    for key in ("lo1", "lo2", "lo3"):
        # The second outcome rose by one step for everyone; the others as in NOW.
        now = min(5, BEFORE[i] + 1) if key == "lo2" else NOW[i]
        data[f"outcome_confidence-{key}-before"] = str(BEFORE[i])
        data[f"outcome_confidence-{key}-now"] = str(now)
    data["most_useful"] = "The case studies about neglect were really helpful"
    return data


def follow_up_form(confidence, used, six=False):
    data = {
        "used_learning": str(used),
        "barriers": ["caseload", "time"] if used < 4 else ["caseload"],
        "discussed_in_supervision": "yes",
        **{f"confidence_now-{key}": str(confidence) for key in ("lo1", "lo2", "lo3")},
    }
    if used >= 4:
        data["practice_example"] = "I used the Graded Care Profile with a family"
    if six:
        data["still_using"] = str(used)
    return data


def test_one_course_from_register_to_a_dashboard_and_api_that_match_scipy(
    app, partnership, make_user, smtp, course_by_api
):
    people = course_by_api["people"]
    email = [p["email"] for p in people]

    # -- The session ends: the post-course evaluation goes to the twelve who attended --------
    run_due(ENDS + timedelta(minutes=2))
    post_emails = invitations(smtp, POST)
    assert sorted(post_emails) == sorted(email[:12])
    sent_so_far = len(smtp.messages)
    run_due(ENDS + timedelta(minutes=2, seconds=5))  # a second run sends nothing more
    assert len(smtp.messages) == sent_so_far
    clock.set_now(ENDS + timedelta(hours=3))
    for i in range(12):
        if NOW[i] is not None:
            answer_through_the_pages(app, token_from(post_emails[email[i]]), post_course_form(i), i)

    # -- Three calendar months on: the 3-month follow-up, to everyone who attended -----------
    run_due(THREE_MONTHS - timedelta(minutes=1))
    assert invitations(smtp, THREE) == {}
    run_due(THREE_MONTHS + timedelta(minutes=2))
    three_emails = invitations(smtp, THREE)
    assert sorted(three_emails) == sorted(email[:12])
    sent_so_far = len(smtp.messages)
    run_due(THREE_MONTHS + timedelta(minutes=2, seconds=5))
    assert len(smtp.messages) == sent_so_far
    clock.set_now(THREE_MONTHS + timedelta(days=1))
    for i in range(12):
        if AT_3[i] is not None:
            form = follow_up_form(AT_3[i], USED_3[i])
            answer_through_the_pages(app, token_from(three_emails[email[i]]), form, i)

    # -- Six calendar months on ----------------------------------------------------------------
    run_due(SIX_MONTHS + timedelta(minutes=2))
    six_emails = invitations(smtp, SIX)
    assert sorted(six_emails) == sorted(email[:12])
    clock.set_now(SIX_MONTHS + timedelta(days=2))
    for i in range(12):
        if AT_6[i] is not None:
            form = follow_up_form(AT_6[i], USED_6[i], six=True)
            answer_through_the_pages(app, token_from(six_emails[email[i]]), form, i)
    sent_so_far = len(smtp.messages)
    run_due(SIX_MONTHS + timedelta(days=2, seconds=5))
    assert len([m for m in smtp.messages[sent_so_far:] if "Reminder" not in subject(m)]) == 0

    # -- What scipy says, computed here from the answers given ---------------------------------
    post = [i for i in range(12) if NOW[i] is not None]
    before, now = [BEFORE[i] for i in post], [NOW[i] for i in post]
    differences = [n - b for b, n in zip(before, now, strict=True)]
    ranks = scipy_stats.rankdata([abs(d) for d in differences])
    effect = (
        sum(r for r, d in zip(ranks, differences, strict=True) if d > 0)
        - sum(r for r, d in zip(ranks, differences, strict=True) if d < 0)
    ) / ranks.sum()
    p_post = scipy_stats.wilcoxon(now, before, zero_method="pratt").pvalue
    paired_3 = [i for i in post if AT_3[i] is not None]
    p_held_3 = scipy_stats.wilcoxon(
        [AT_3[i] for i in paired_3], [NOW[i] for i in paired_3], zero_method="pratt"
    ).pvalue
    paired_6 = [i for i in post if AT_6[i] is not None]
    change_6 = statistics.median(AT_6[i] - NOW[i] for i in paired_6)
    used = [u for u in USED_3 + USED_6 if u is not None]

    # -- The API summary -----------------------------------------------------------------------
    admin, headers = course_by_api["admin"], course_by_api["headers"]
    course_id = course_by_api["course"]["id"]
    summary = admin.get(f"/api/v1/courses/{course_id}/evaluation", headers=headers).get_json()
    assert summary["stages"] == {
        "post_course": {"invited": 12, "responded": 11},
        "followup_3_month": {"invited": 12, "responded": 10},
        "followup_6_month": {"invited": 12, "responded": 8},
    }
    first = summary["outcomes"][0]
    assert first["outcome"] == OUTCOMES[0] and first["n_pairs"] == 11
    assert first["median_before"] == statistics.median(before)
    assert first["median_now"] == statistics.median(now)
    assert first["median_change"] == statistics.median(differences)
    assert first["wilcoxon_p"] == pytest.approx(p_post)
    assert first["effect_size"] == pytest.approx(effect)
    assert summary["follow_up"]["applied_pct"] == pytest.approx(
        100 * sum(u >= 4 for u in used) / len(used)
    )

    # -- The dashboard, as the partnership team sees it ---------------------------------------
    reader = app.test_client()
    Auth(reader, make_user).sign_in_as("admin")
    page = reader.get(f"/courses/{course_id}/dashboard").get_data(as_text=True)
    assert f"{p_post:.3f}" in page and f"{effect:.2f}" in page
    assert f"{p_held_3:.3f}" in page
    dashboard = dashboards.course_dashboard(training.get_course(partnership, course_id), "admin")
    held = {
        t.title: t for t in dashboard.tables() if t.title.startswith("Confidence straight after")
    }
    at_3 = held["Confidence straight after the course and 3 months on, the same people"].rows[0]
    at_6 = held["Confidence straight after the course and 6 months on, the same people"].rows[0]
    assert (at_3[1], at_6[1]) == (len(paired_3), len(paired_6))
    assert dashboards.download_value(at_3[5]) == pytest.approx(p_held_3, abs=5e-5)
    assert dashboards.download_value(at_6[4]) == change_6
    attrition = [t for t in dashboard.tables() if t.title == "Who answered each stage (attrition)"]
    assert [r[1] for r in attrition[0].rows] == [11, 9, 8, 8]

    # -- The trainer's view: de-identified, and the small 6-month group withheld --------------
    trainer = app.test_client()
    Auth(trainer, make_user).sign_in(course_by_api["trainer"].email)
    session_id = course_by_api["session"]["id"]
    seen = trainer.get(f"/sessions/{session_id}/dashboard").get_data(as_text=True)
    assert f"{p_post:.3f}" in seen  # 11 pairs: shown
    assert "Fewer than 10 responses" in seen  # 9 and 8 pairs: not shown
    assert f"{p_held_3:.3f}" not in seen
    assert "Practitioner 3" not in seen and "p3@example.org" not in seen


def test_a_scheduler_down_through_both_follow_ups_catches_up_in_one_run_sending_each_once(
    smtp, course_by_api
):
    run_due(ENDS + timedelta(minutes=2))
    # Down from two months after the session until seven months after: one run sends both.
    results = run_due(SIX_MONTHS + timedelta(days=31))
    assert "3-month follow-up" in results["training_timeline"]
    assert "6-month follow-up" in results["training_timeline"]
    for stage in (THREE, SIX):
        assert len(invitations(smtp, stage)) == 12
    sent = len(smtp.messages)
    again = run_due(SIX_MONTHS + timedelta(days=31, seconds=10))
    assert again.get("training_timeline") is None
    assert len(smtp.messages) == sent


def test_a_week_long_outage_over_the_3_month_date_sends_it_once_on_the_next_run(
    smtp, course_by_api
):
    run_due(ENDS + timedelta(minutes=2))
    run_due(THREE_MONTHS - timedelta(days=2))
    assert invitations(smtp, THREE) == {}
    run_due(THREE_MONTHS + timedelta(days=5))  # a week after the last run
    assert len(invitations(smtp, THREE)) == 12
    run_due(THREE_MONTHS + timedelta(days=5, minutes=1))
    assert len(invitations(smtp, THREE)) == 12  # and invitations() refuses any duplicate


def test_a_session_cancelled_after_its_evaluation_gets_no_follow_ups(smtp, course_by_api):
    admin, headers = course_by_api["admin"], course_by_api["headers"]
    run_due(ENDS + timedelta(minutes=2))
    assert len(invitations(smtp, POST)) == 12
    session = training.get_session(
        course_by_api["trainer"].partnership, course_by_api["session"]["id"]
    )
    training.cancel_session(session, None)
    sent_before = len(smtp.messages)
    run_due(ENDS + timedelta(days=8))  # past the post-course evaluation's first reminder day
    run_due(SIX_MONTHS + timedelta(days=1))
    assert invitations(smtp, THREE) == {} and invitations(smtp, SIX) == {}
    # Nobody is reminded about the cancelled session's evaluation either: it closed with it.
    assert len(smtp.messages) == sent_before
    (evaluation,) = session.evaluations
    assert evaluation.campaign.status.value == "closed"
    summary = admin.get(
        f"/api/v1/sessions/{course_by_api['session']['id']}/evaluation", headers=headers
    ).get_json()
    assert summary["stages"]["followup_3_month"] == {"invited": 0, "responded": 0}


def test_someone_who_opts_out_from_the_email_gets_no_follow_up(app, smtp, course_by_api):
    run_due(ENDS + timedelta(minutes=2))
    leaving = course_by_api["people"][4]["email"]
    token = token_from(invitations(smtp, POST)[leaving])
    browser = app.test_client()
    page = browser.get(f"/r/{token}/opt-out").get_data(as_text=True)
    csrf = CSRF_RE.search(page).group(1)
    done = browser.post(f"/r/{token}/opt-out", data={"csrf_token": csrf})
    assert "You have opted out" in done.get_data(as_text=True)
    run_due(THREE_MONTHS + timedelta(minutes=2))
    run_due(SIX_MONTHS + timedelta(minutes=2))
    for stage in (THREE, SIX):
        sent = invitations(smtp, stage)
        assert len(sent) == 11 and leaving not in sent
