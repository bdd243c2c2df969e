"""Campaign results pages: summaries that match analysis.stats, small numbers hidden from all but
admins, names only where the campaign's mode allows, escaping, filters, charts and downloads."""

import csv
import html
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis import stats
from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Campaign, Partnership, Person, Response
from feedback.services import campaigns as campaign_service
from tests.conftest import SURVEY, published_version

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

#: A survey with a question of each family the results page summarises.
RICH = {
    "schema_version": 1,
    "key": "practice_survey",
    "title": "Practice survey",
    "pages": [
        {
            "key": "all",
            "title": "Your practice",
            "questions": [
                {
                    "key": "confident",
                    "type": "likert",
                    "label": "I feel confident to challenge other agencies",
                    "dont_know": True,
                },
                {
                    "key": "culture",
                    "type": "matrix",
                    "label": "In my team",
                    "rows": [
                        {"key": "listened", "label": "I am listened to"},
                        {"key": "supported", "label": "I am supported"},
                    ],
                },
                {
                    "key": "supervised",
                    "type": "yes_no",
                    "label": "Do you get regular safeguarding supervision?",
                },
                {
                    "key": "training",
                    "type": "multi_choice",
                    "label": "Which training have you done?",
                    "other": True,
                    "options": [
                        {"value": "neglect", "label": "Neglect"},
                        {"value": "cse", "label": "Exploitation"},
                        {"value": "dv", "label": "Domestic abuse"},
                    ],
                },
                {"key": "workload", "type": "rating", "label": "How manageable is your workload?"},
                {"key": "caseload", "type": "number", "label": "How many cases do you hold?"},
                {"key": "comment", "type": "long_text", "label": "What would help?"},
            ],
        }
    ],
}


def make_agency(partnership, name, sector="police"):
    agency = Agency(partnership_id=partnership.id, name=name, sector=sector)
    db.session.add(agency)
    db.session.commit()
    return agency


def draft_campaign(partnership, version, mode="confidential", title="Staff survey", opens=START):
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title=title,
        mode=mode,
        opens_at=opens,
        closes_at=opens + timedelta(days=21),
        audience={"agency_ids": []},
    )
    return campaign_service.create_campaign(partnership, spec, None)


def add_responses(campaign, answers_list, agency=None, job_role="Social Worker", person=None):
    """Submitted responses written straight to the table, as respond.submit leaves them."""
    anonymous = campaign.mode.value == "anonymous"
    for answers in answers_list:
        db.session.add(
            Response(
                id=uuid.uuid4().hex,
                campaign_id=campaign.id,
                instrument_version_id=campaign.instrument_version_id,
                person_id=None if anonymous or person is None else person.id,
                agency_id=agency.id if agency else None,
                job_role=job_role,
                submitted_on=date(2027, 3, 2),
                submitted_at=None if anonymous else START,
                answers=answers,
            )
        )
    db.session.commit()


def pulse(thresholds, supervision=True, helps=None):
    return {"thresholds": thresholds, "supervision": supervision, "why_not": None, "helps": helps}


@pytest.fixture
def police(partnership):
    return make_agency(partnership, "Testshire Police")


@pytest.fixture
def school(partnership):
    return make_agency(partnership, "Hilltop School", "education")


@pytest.fixture
def pulse_campaign(partnership, police, school):
    """30 police answers (spread over the scale) and 3 school answers."""
    version = published_version(partnership, SURVEY)
    campaign = draft_campaign(partnership, version)
    police_scores = [1] * 2 + [2] * 4 + [3] * 6 + [4] * 12 + [5] * 6
    add_responses(campaign, [pulse(s, s > 2) for s in police_scores], police, "Police Constable")
    add_responses(campaign, [pulse(5), pulse(4), pulse(4)], school, "Teacher")
    return campaign


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def text_of(markup):
    """The page's visible text with tags removed and whitespace squeezed, as a reader sees it."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_likert_summary_on_the_page_matches_analysis_stats(client, auth, pulse_campaign):
    auth.sign_in_as("admin")
    shown = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results"))
    scores = [1] * 2 + [2] * 4 + [3] * 6 + [4] * 12 + [5] * 6 + [5, 4, 4]
    expected = stats.likert_summary(scores, [1, 2, 3, 4, 5])
    assert "33 responses" in shown
    for level, label in zip(expected.levels, SCALE_LABELS, strict=True):
        assert f"{label} {level.count} {level.percent:.1f}" in shown
    assert f"Median answer {SCALE_LABELS[int(expected.median) - 1]}" in shown
    low, high = expected.agree_interval
    assert f"{expected.percent_agree:.1f}% (95% confidence interval {low:.1f}% to {high:.1f}%)" in (
        shown
    )
    yes = sum(1 for s in scores if s > 2) - 3 + 3  # school answers were all "yes"
    assert f"Yes {yes} {100 * yes / 33:.1f}" in shown


SCALE_LABELS = [
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
]


def test_a_viewer_sees_small_counts_hidden(client, auth, pulse_campaign):
    auth.sign_in_as("viewer")
    viewer = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results"))
    # 2 strongly disagree is under the threshold of 10: hidden, with a second count beside it.
    assert "Strongly disagree [c]" in viewer
    assert "Disagree [c]" in viewer
    assert "Strongly disagree 2 " not in viewer
    # "No" (6 of 33) is hidden too, and so is "Yes", which would give it away.
    assert "No [c]" in viewer and "Yes [c]" in viewer
    assert "counts under 10 are shown as [c]" in viewer


def test_an_admin_sees_every_count_however_small(client, auth, pulse_campaign):
    auth.sign_in_as("admin")
    shown = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results"))
    assert "Strongly disagree 2 6.1" in shown
    assert "No 6 18.2" in shown
    assert "[c]" not in shown.split("33 responses")[1]


def test_a_small_filtered_view_says_fewer_than_n_responses(client, auth, pulse_campaign, school):
    auth.sign_in_as("analyst")
    shown = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results?agency={school.id}"))
    assert "Fewer than 10 responses" in shown
    assert "Strongly agree" not in shown.split("Fewer than 10 responses")[1]


def test_a_filtered_view_that_would_give_away_the_rest_is_withheld(
    client, auth, pulse_campaign, police
):
    auth.sign_in_as("viewer")
    shown = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results?agency={police.id}"))
    # 30 police answers are plenty, but the whole campaign minus them is the 3 school answers.
    assert "would give away the answers of fewer than 10 other people" in shown


def test_an_admin_sees_a_small_filtered_view(client, auth, pulse_campaign, school):
    auth.sign_in_as("admin")
    shown = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results?agency={school.id}"))
    assert "3 responses in this selection" in shown
    assert "Strongly agree 1 33.3" in shown


def test_filters_by_sector_and_role_work_without_javascript(client, auth, pulse_campaign):
    auth.sign_in_as("admin")
    markup = page(client, f"/campaigns/{pulse_campaign.id}/results?sector=education&role=Teacher")
    assert '<form method="get"' in markup
    assert '<option value="education" selected>' in markup
    assert "3 responses in this selection" in text_of(markup)


def test_a_question_answered_by_too_few_shows_no_numbers(
    client, auth, partnership, police, pulse_campaign
):
    add_responses(pulse_campaign, [pulse(4, helps=f"Comment {i}") for i in range(4)], police)
    auth.sign_in_as("viewer")
    shown = text_of(page(client, f"/campaigns/{pulse_campaign.id}/results"))
    helps = shown.split("What helps you most?")[1]
    assert helps.strip().startswith("Fewer than 10 responses")
    assert "Comment 1" not in shown


def test_bad_filters_get_a_located_message_not_a_500(client, auth, pulse_campaign):
    auth.sign_in_as("viewer")
    response = client.get(f"/campaigns/{pulse_campaign.id}/results?agency=abc&sector=space")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'href="#agency"' in body and "Select an agency from the list" in body
    assert "Select a sector from the list" in body
    assert client.get(f"/campaigns/{pulse_campaign.id}/results.csv?agency=abc").status_code == 400


def test_another_partnerships_campaign_is_not_found(client, auth, partnership):
    other = Partnership(name="Elsewhere SCP")
    db.session.add(other)
    db.session.commit()
    version = published_version(other, SURVEY)
    campaign = draft_campaign(other, version)
    auth.sign_in_as("admin")
    for suffix in ("results", "results.csv", "trend", "export.csv", "export.xlsx"):
        assert client.get(f"/campaigns/{campaign.id}/{suffix}").status_code == 404


def test_free_text_is_shown_as_text_never_run(client, auth, partnership, police):
    version = published_version(partnership, SURVEY)
    campaign = draft_campaign(partnership, version, mode="anonymous")
    attack = "<script>alert('x')</script> & more"
    add_responses(campaign, [pulse(4, helps=attack) for _ in range(10)], police)
    auth.sign_in_as("viewer")
    markup = page(client, f"/campaigns/{campaign.id}/results")
    assert "<script>alert" not in markup
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in markup


def _with_people(partnership, police, mode):
    version = published_version(partnership, SURVEY)
    campaign = draft_campaign(partnership, version, mode=mode)
    for i in range(10):
        person = Person(
            partnership_id=partnership.id,
            name=f"Officer Named{i}",
            email=f"o{i}@example.org",
            agency_id=police.id,
        )
        db.session.add(person)
        db.session.flush()
        add_responses(campaign, [pulse(4, helps=f"Said by {i}")], police, person=person)
    return campaign


@pytest.mark.parametrize(
    ("mode", "role", "names"),
    [
        ("identified", "admin", True),
        ("identified", "viewer", False),
        ("confidential", "admin", True),
        ("confidential", "analyst", False),
        ("anonymous", "admin", False),
    ],
)
def test_names_beside_free_text_only_for_admins_and_never_when_anonymous(
    client, auth, partnership, police, mode, role, names
):
    campaign = _with_people(partnership, police, mode)
    auth.sign_in_as(role)
    markup = page(client, f"/campaigns/{campaign.id}/results")
    assert "Said by 3" in markup
    assert ("Officer Named3" in markup) is names


def test_charts_are_svg_images_with_a_title_a_description_and_a_table(client, auth, pulse_campaign):
    auth.sign_in_as("admin")
    markup = page(client, f"/campaigns/{pulse_campaign.id}/results")
    svg = re.search(r'<svg class="app-chart__svg" role="img"[^>]*>.*?</svg>', markup, re.S)
    assert svg, "no chart"
    assert re.search(r'aria-labelledby="q-thresholds-chart-title q-thresholds-chart-desc"', svg[0])
    assert '<title id="q-thresholds-chart-title">I know the thresholds' in svg[0]
    assert "Agree 42%" in svg[0]  # 12 + 2 of 33, in the description
    assert 'class="govuk-table' in markup
    assert 'style="' not in svg[0]  # the Content-Security-Policy forbids inline styles


def _rich_answers(i):
    return {
        "confident": "dont_know" if i % 7 == 0 else 1 + i % 5,
        "culture": {"listened": 1 + i % 5, "supported": 1 + (i * 3) % 5},
        "supervised": i % 3 != 0,
        "training": {"selected": ["neglect", "other"], "other": "Self-harm"}
        if i % 2
        else {"selected": ["cse"]},
        "workload": i % 11,
        "caseload": 10 + i,
        "comment": f"Comment {i}",
    }


@pytest.fixture
def rich_campaign(partnership, police):
    version = published_version(partnership, RICH)
    campaign = draft_campaign(partnership, version, mode="anonymous")
    add_responses(campaign, [_rich_answers(i) for i in range(40)], police)
    return campaign


def test_every_question_type_is_summarised_as_it_needs(client, auth, rich_campaign):
    auth.sign_in_as("admin")
    shown = text_of(page(client, f"/campaigns/{rich_campaign.id}/results"))
    workload = stats.numeric_summary([i % 11 for i in range(40)])
    assert f"Median {workload.median:g}" in shown
    assert f"Middle half of answers {workload.q1:g} to {workload.q3:g}" in shown
    caseload = stats.numeric_summary([10 + i for i in range(40)])
    assert f"Median {caseload.median:g}" in shown
    listened = stats.likert_summary([1 + i % 5 for i in range(40)], [1, 2, 3, 4, 5])
    assert f"I am listened to {' '.join(str(lv.count) for lv in listened.levels)} 40" in shown
    assert "Don't know (not in the percentages) 6" in shown
    assert "People could choose more than one answer" in shown
    assert "Neglect 20 50.0" in shown and "Exploitation 20 50.0" in shown
    assert "Self-harm" in shown and "Comment 39" in shown


def test_every_table_downloads_as_csv_and_xlsx(client, auth, rich_campaign):
    auth.sign_in_as("viewer")
    response = client.get(f"/campaigns/{rich_campaign.id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Answer", "Count", "Percent"] in rows
    titles = [r[0] for r in rows if len(r) == 1]
    assert "I feel confident to challenge other agencies" in titles
    assert "In my team: counts" in titles
    xlsx = client.get(f"/campaigns/{rich_campaign.id}/results.xlsx")
    assert xlsx.status_code == 200
    data = xlsx.data
    xlsx.close()
    workbook = load_workbook(io.BytesIO(data))
    assert len(workbook.sheetnames) >= 8
    sheet = workbook[workbook.sheetnames[1]]
    assert [c.value for c in sheet[1]] == ["Answer", "Count", "Percent"]


def test_no_responses_yet_is_said_plainly(client, auth, partnership):
    campaign = draft_campaign(partnership, published_version(partnership, SURVEY))
    auth.sign_in_as("admin")
    assert "No responses yet" in page(client, f"/campaigns/{campaign.id}/results")


# -- Year on year --------------------------------------------------------------------------------


def _second_round(partnership, first: Campaign, scores, agency):
    later = draft_campaign(
        partnership,
        first.instrument_version,
        title="Staff survey 2028",
        opens=START + timedelta(days=365),
    )
    add_responses(later, [pulse(s) for s in scores], agency)
    return later


def test_trend_compares_with_the_previous_campaign_by_mann_whitney(
    client, auth, partnership, pulse_campaign, police
):
    later_scores = [4] * 10 + [5] * 15 + [3] * 5
    later = _second_round(partnership, pulse_campaign, later_scores, police)
    auth.sign_in_as("analyst")
    shown = text_of(page(client, f"/campaigns/{later.id}/trend"))
    first_scores = [1] * 2 + [2] * 4 + [3] * 6 + [4] * 12 + [5] * 6 + [5, 4, 4]
    expected = stats.mann_whitney(later_scores, first_scores)
    assert f"Mann-Whitney U {expected.statistic:.2f}" in shown
    assert "Staff survey 2028" in shown and "Staff survey" in shown
    p = f"p = {expected.p:.3f}" if expected.p >= 0.001 else "p = < 0.001"
    assert p in shown


def test_trend_tests_agencies_within_the_campaign_by_kruskal_wallis(
    client, auth, partnership, police, school
):
    version = published_version(partnership, SURVEY)
    campaign = draft_campaign(partnership, version)
    police_scores = [2, 3, 3, 4, 4, 4, 5, 5, 2, 3, 4, 4]
    school_scores = [4, 5, 5, 5, 4, 5, 5, 3, 5, 4, 5]
    add_responses(campaign, [pulse(s) for s in police_scores], police)
    add_responses(campaign, [pulse(s) for s in school_scores], school)
    auth.sign_in_as("viewer")
    shown = text_of(page(client, f"/campaigns/{campaign.id}/trend"))
    expected = stats.kruskal_wallis(
        {"Hilltop School": school_scores, "Testshire Police": police_scores}
    )
    assert f"Kruskal-Wallis H {expected.statistic:.2f}" in shown
    assert "There is no earlier campaign of this instrument to compare with" in shown


def test_trend_hides_a_small_round_from_a_viewer(client, auth, partnership, pulse_campaign, police):
    later = _second_round(partnership, pulse_campaign, [4, 5, 3], police)
    auth.sign_in_as("viewer")
    shown = text_of(page(client, f"/campaigns/{later.id}/trend"))
    assert "Fewer than 10 responses" in shown
    assert "Not compared: a round has fewer than 10 answers" in shown
    csv_text = client.get(f"/campaigns/{later.id}/trend.csv").get_data(as_text=True)
    assert "Fewer than 10 responses" in csv_text


def test_results_and_campaign_flow_end_to_end(client, auth, partnership):
    """Answers given through real invitation links appear on the results page."""
    from tests.feedback.test_campaigns import answer_all, make_campaign

    police = make_agency(partnership, "Testshire Police")
    people = []
    for i in range(10):
        person = Person(
            partnership_id=partnership.id, name=f"P {i}", email=f"p{i}@x.org", agency_id=police.id
        )
        db.session.add(person)
        people.append(person)
    db.session.commit()
    clock.set_now(START)
    try:
        campaign = make_campaign(partnership, people, mode="anonymous")
        from feedback.models import Invitation
        from feedback.services import messages

        invitations = db.session.scalars(sa.select(Invitation)).all()
        for invitation in invitations:
            token = messages.token_for("invitation", invitation.token_nonce)
            answer_all(token, thresholds=5)
    finally:
        clock.set_now(None)
    auth.sign_in_as("viewer")
    shown = text_of(page(client, f"/campaigns/{campaign.id}/results"))
    assert "10 responses" in shown
    assert "Strongly agree 10 100.0" in shown


def test_the_trend_follows_a_number_question_too(client, auth, rich_campaign):
    # A number question has no levels; the trend page once failed with a 500 on one.
    auth.sign_in_as("admin")
    shown = text_of(page(client, f"/campaigns/{rich_campaign.id}/trend"))
    caseload = stats.numeric_summary([10 + i for i in range(40)])
    assert "How many cases do you hold?" in shown
    assert f"{caseload.median:g}" in shown
