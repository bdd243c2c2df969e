"""One theme, information sharing, followed the whole way: practitioners say it in a staff survey
and a scrutiny visit notes it; the analysis suggests it and an analyst confirms it; a review is
recorded, linked to the theme and given a recommendation tagged to training and an action; the
action goes red when it is late and is completed with evidence of impact; a later survey shows
whether things got better; and the Learning Needs Analysis ranks it with its sources."""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, Agency, SourceType, TextSegment
from feedback.models.codebook import CodeStatus, SegmentCode
from feedback.models.records import Review
from feedback.services import campaigns as campaign_service
from feedback.services import coding, respond
from feedback.services import visits as visit_service
from tests.conftest import csrf_token, post_form, published_version
from tests.feedback.helpers import START, run_due, token_from
from tests.feedback.records_support import SHARING_SURVEY, survey_with_answers

THEME = "information_sharing"
SAYINGS = [
    "We never hear back after a referral; information sharing with social care is poor.",
    "Health do not share information about the family with school until it is too late.",
    "Information sharing with the police is slow and we are not told the outcome.",
    "Supervision with my DSL helps me think things through.",
]


def _survey_answers(partnership, people, smtp):
    """The spring staff survey, sent by email and answered from the links in it."""
    version = published_version(partnership, SHARING_SURVEY)
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title="Spring staff survey 2027",
        mode="confidential",
        opens_at=START,
        closes_at=START + timedelta(days=21),
        audience={"person_ids": [p.id for p in people]},
    )
    with clock.frozen_at(START):
        campaign = campaign_service.create_campaign(partnership, spec, None)
        campaign_service.launch(campaign, None)
    run_due(START)
    assert len(smtp.messages) == len(people)
    agreement = [1, 2, 2, 4]  # "Other agencies share information with me": 1 in 4 agree
    with clock.frozen_at(START + timedelta(days=2)):
        for message, agree, saying in zip(smtp.messages, agreement, SAYINGS, strict=True):
            visit = respond.find(token_from(message))
            answers = {
                "others_share": agree,
                "know_how_to_refer": 4,
                "what_gets_in_the_way": saying,
            }
            assert respond.submit(visit.invitation, answers)
    return campaign


def _visit_notes(partnership, admin, lead, agency):
    """A scrutiny visit whose summary says the same thing, written through the visits service."""
    with clock.frozen_at(START + timedelta(days=4)):
        visit = visit_service.create(
            admin,
            visit_service.VisitSpec(
                kind="scrutiny_visit",
                occurred_on=date(2027, 3, 5),
                agency_id=agency.id,
                setting="Neighbourhood policing team",
                lead_id=lead.id,
            ),
        )
        visit_service.update(
            admin,
            visit,
            visit_service.Changes(
                notes={
                    "overall_summary": "Officers said information sharing with health is poor "
                    "and they are rarely told the outcome of a referral."
                },
                topics=[
                    visit_service.TopicChange(key=topic["key"], rag="green")
                    for topic in visit.topics
                ],
                people_by_role={"front_line_staff": 4},
            ),
        )
        # Its words enter the learning pipeline once it is reviewed and published.
        visit_service.submit(lead, visit)
        visit_service.review(admin, visit, "reviewed", None)
        visit_service.publish(admin, visit)
    return visit


def test_a_theme_goes_from_survey_answers_and_visit_notes_to_a_review_an_action_and_the_lna(
    partnership, people, smtp, make_user, client, auth, api
):
    partnership.disclosure_threshold = 3
    db.session.commit()
    admin = make_user("admin", "journey-admin@testshire.example")
    analyst = make_user("analyst", "journey-analyst@testshire.example")
    scrutineer = make_user("scrutineer", "journey-scrutineer@testshire.example")
    police = db.session.scalar(sa.select(Agency).where(Agency.name == "Testshire Police"))

    # 1. Front-line words: survey answers and visit notes become text segments.
    _survey_answers(partnership, people, smtp)
    visit = _visit_notes(partnership, admin, scrutineer, police)
    run_due(START + timedelta(days=3))  # the jobs turn answers into segments and analyse them
    survey_segments = db.session.scalars(
        sa.select(TextSegment).where(TextSegment.source_type == SourceType.STAFF_SURVEY)
    ).all()
    assert sorted(s.text for s in survey_segments) == sorted(SAYINGS)
    assert all(s.analysed_at is not None and s.sentiment for s in survey_segments)
    visit_segment = db.session.scalar(
        sa.select(TextSegment).where(
            TextSegment.source_type == SourceType.SCRUTINY_VISIT,
            TextSegment.source_id == str(visit.id),
        )
    )
    assert "information sharing with health" in visit_segment.text

    # 2. The analysis suggests the theme; an analyst confirms it where it fits.
    run_due(START + timedelta(days=5))
    suggested = db.session.scalars(
        sa.select(SegmentCode.segment_id).where(
            SegmentCode.theme_key == THEME,
            SegmentCode.status == CodeStatus.SUGGESTED,
            SegmentCode.coder_id.is_(None),
        )
    ).all()
    assert suggested, "the analysis suggests information sharing for these comments"
    about_sharing = [s for s in survey_segments if "shar" in s.text.lower()] + [visit_segment]
    for segment in about_sharing:
        coding.decide(segment, "add", THEME, analyst)

    # 3. A review is recorded, with a recommendation tagged to training.
    with clock.frozen_at(datetime(2027, 4, 1, 9, tzinfo=UTC)):
        auth.sign_in(admin.email)
        post_form(
            client,
            "/records/reviews/new",
            {
                "review_type": "lcspr",
                "title": "Child J: local child safeguarding practice review",
                "start_on": ["1", "10", "2026"],
                "end_on": ["25", "3", "2027"],
                "status": "complete",
                "learning_points": "Information held by health, school and police was not "
                "brought together",
            },
        )
        review = db.session.scalar(sa.select(Review))
        url = f"/records/reviews/{review.id}"
        token = csrf_token(client, url)
        client.post(
            f"{url}/recommendations",
            data={
                "csrf_token": token,
                "text": "Multi-agency training on sharing information without consent",
                "training": "y",
                "theme_key": THEME,
            },
        )
        post_form(
            client,
            f"{url}/actions/new",
            {
                "description": "Agree an information-sharing protocol between the Emergency "
                "Department and schools",
                "owner_agency_id": str(police.id),
                "due_on": ["30", "6", "2027"],
            },
        )
        action = db.session.scalar(sa.select(Action).where(Action.source_id == str(review.id)))
        client.post("/sign-out", data={"csrf_token": token})

        # 4. The analyst links the theme: the review now shows what the front line said.
        auth.sign_in(analyst.email)
        token = csrf_token(client, url)
        client.post(f"{url}/themes", data={"csrf_token": token, "theme_key": THEME})
        page = client.get(url).get_data(as_text=True)
        assert "Information sharing" in page and "Linked on 1 April 2027" in page
        assert "We never hear back after a referral" in page  # a quote from the staff survey
        assert "Scrutiny visits" in page
        analyst_client, analyst_headers = api("analyst")
        linked = analyst_client.post(
            f"/api/v1/themes/{THEME}/links",
            headers=analyst_headers,
            json={"record_type": "action", "record_id": action.id},
        )
        assert linked.status_code == 201

    # 5. The action is late, so it is red; then it is done, with evidence of impact.
    with clock.frozen_at(datetime(2027, 7, 5, 9, tzinfo=UTC)):
        tracker = client.get("/actions?rag=red").get_data(as_text=True)
        assert "Agree an information-sharing protocol" in tracker
        assert "Overdue by 5 days" in tracker
        token = csrf_token(client, f"/actions/{action.id}")
        client.post(
            f"/actions/{action.id}/updates",
            data={
                "csrf_token": token,
                "status": "complete",
                "text": "Protocol signed by the trust and all secondary schools.",
                "evidence_of_impact": "Schools now hear about ED attendances within a day.",
            },
        )
        assert "Green" in client.get(f"/actions/{action.id}").get_data(as_text=True)

    # 6. The autumn survey: more staff now say other agencies share information with them.
    survey_with_answers(
        partnership,
        people,
        [{"others_share": 3}, {"others_share": 4}, {"others_share": 3}, {"others_share": 2}],
        on=date(2027, 10, 4),
    )
    admin_client, admin_headers = api("admin")
    evidence = admin_client.get(
        f"/api/v1/themes/{THEME}/evidence", headers=admin_headers
    ).get_json()
    sources = {s["source"]: s for s in evidence["sources"]}
    assert sources["staff_survey"]["segments"] == 3
    assert sources["staff_survey"]["respondents"] == 3
    assert sources["scrutiny_visit"]["segments"] == 1
    assert {(link["record_type"], link["record_id"]) for link in evidence["links"]} == {
        ("review", review.id),
        ("action", action.id),
    }
    rounds = evidence["trend"]["survey_rounds"]
    assert [(r["agree_percent"], r["after_link"]) for r in rounds] == [(25.0, False), (75.0, True)]
    assert evidence["trend"]["survey"]["verdict"] == "better"

    # 7. The Learning Needs Analysis for the first half of the year ranks the theme, with its
    # staff-survey statement, its front-line comments and the review's recommendation.
    viewer_client, viewer_headers = api("viewer")
    report = viewer_client.get(
        "/api/v1/reports/lna?from=2027-01-01&to=2027-06-30", headers=viewer_headers
    ).get_json()
    need = next(n for n in report["needs"] if n["theme"]["key"] == THEME)
    assert need["rank"] == 1
    assert need["sources"]["survey_items"] == [
        {
            "survey": "Spring staff survey 2027",
            "statement": "Other agencies share information with me when I need it",
            "answered": 4,
            "percent_agree": 25.0,
        }
    ]
    assert need["sources"]["front_line_people"] == 4  # three practitioners and one visit
    assert [r["record_title"] for r in need["sources"]["recommendations"]] == [
        "Child J: local child safeguarding practice review"
    ]
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    auth.sign_in_as("viewer")
    page = client.get("/lna?from=2027-01-01&to=2027-06-30").get_data(as_text=True)
    assert "1. Information sharing" in page
    assert "Multi-agency training on sharing information without consent" in page
