"""Audit and review records: recorded by admins, read by analysts and viewers, their findings
coded like front-line text, recommendations tagged to training, themes linked with evidence."""

from datetime import date

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Agency, AuditEvent, Partnership, SourceType, TextSegment
from feedback.models.records import Audit, LinkedRecord, Review, ThemeLink
from feedback.services import records as record_service
from tests.conftest import csrf_token, post_form
from tests.feedback.records_support import coded

AUDIT_FORM = {
    "audit_type": "multi_agency_thematic",
    "title": "Thematic audit: neglect",
    "scope": "Twelve children on plans for neglect",
    "start_on": ["2", "2", "2027"],
    "end_on": ["29", "5", "2027"],
    "status": "complete",
    "findings": "Neglect was known for a year before referral\n- GCP2 used in only 3 cases\n\n",
}


def _segments(source, record_id):
    return list(
        db.session.scalars(
            sa.select(TextSegment.text)
            .where(TextSegment.source_type == source, TextSegment.source_id == str(record_id))
            .order_by(TextSegment.id)
        )
    )


def test_an_admin_records_an_audit_and_each_finding_becomes_a_text_segment(
    partnership, client, auth
):
    police = Agency(partnership_id=partnership.id, name="Testshire Police", sector="police")
    db.session.add(police)
    db.session.commit()
    auth.sign_in_as("admin")

    response = post_form(client, "/records/audits/new", {**AUDIT_FORM, "agency_ids": [police.id]})

    assert response.status_code == 302
    audit = db.session.scalar(sa.select(Audit))
    assert [a.name for a in audit.agencies] == ["Testshire Police"]
    assert (audit.start_on, audit.end_on) == (date(2027, 2, 2), date(2027, 5, 29))
    assert _segments(SourceType.AUDIT, audit.id) == [
        "Neglect was known for a year before referral",
        "GCP2 used in only 3 cases",
    ]
    kept = db.session.scalar(sa.select(TextSegment.id).where(TextSegment.text.like("Neglect%")))

    edited = post_form(
        client,
        f"/records/audits/{audit.id}/edit",
        {
            **AUDIT_FORM,
            "agency_ids": [police.id],
            "findings": "Neglect was known for a year before referral\nPlans drifted",
        },
    )
    assert edited.status_code == 302
    assert _segments(SourceType.AUDIT, audit.id) == [
        "Neglect was known for a year before referral",
        "Plans drifted",
    ]
    # An unchanged finding keeps its segment, and so whatever coding it already had.
    assert db.session.scalar(
        sa.select(TextSegment.id).where(TextSegment.text.like("Neglect%"))
    ) == (kept)
    page = client.get(f"/records/audits/{audit.id}").get_data(as_text=True)
    assert "Plans drifted" in page and "Testshire Police" in page
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert {"audit.create", "audit.edit"} <= set(actions)


def test_the_audit_form_says_what_is_missing_and_where(partnership, client, auth):
    auth.sign_in_as("admin")
    response = post_form(
        client,
        "/records/audits/new",
        {"title": "", "start_on": ["1", "6", "2027"], "end_on": ["1", "5", "2027"]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Choose the type of audit" in page
    assert "Enter a title" in page
    assert "The end date must be on or after the start date" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Audit)) == 0


def test_a_review_keeps_recommendations_tagged_to_training(partnership, client, auth):
    auth.sign_in_as("admin")
    response = post_form(
        client,
        "/records/reviews/new",
        {
            "review_type": "lcspr",
            "title": "Child J",
            "status": "complete",
            "learning_points": "Information was not brought together\nNo escalation",
        },
    )
    review = db.session.scalar(sa.select(Review))
    assert response.status_code == 302
    assert _segments(SourceType.REVIEW, review.id) == [
        "Information was not brought together",
        "No escalation",
    ]
    url = f"/records/reviews/{review.id}"
    token = csrf_token(client, url)
    added = client.post(
        f"/records/reviews/{review.id}/recommendations",
        data={
            "csrf_token": token,
            "text": "Train staff on professional curiosity",
            "training": "y",
            "theme_key": "professional_curiosity",
        },
    )
    assert added.status_code == 302
    unknown = client.post(
        f"/records/reviews/{review.id}/recommendations",
        data={"csrf_token": token, "text": "Something", "theme_key": "made_up"},
    )
    assert unknown.status_code == 422
    assert "Choose a theme from the codebook" in unknown.get_data(as_text=True)

    db.session.refresh(review)
    (recommendation,) = review.recommendations
    assert (recommendation.training, recommendation.theme_key) == (True, "professional_curiosity")
    page = client.get(url).get_data(as_text=True)
    assert "Train staff on professional curiosity" in page and ">Training<" in page

    removed = client.post(
        f"/records/recommendations/{recommendation.id}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 302
    db.session.refresh(review)
    assert review.recommendations == []


def test_analysts_and_viewers_read_records_but_only_admins_record_them(partnership, client, auth):
    review = record_service.create_review(
        partnership, record_service.ReviewSpec(review_type="rapid_review", title="Baby M"), None
    )
    for role in ("analyst", "viewer"):
        auth.sign_in_as(role)
        assert "Baby M" in client.get("/records").get_data(as_text=True)
        page = client.get(f"/records/reviews/{review.id}").get_data(as_text=True)
        assert "Baby M" in page and "Edit the review" not in page
        token = csrf_token(client, "/records")
        assert client.post("/records/reviews/new", data={"csrf_token": token}).status_code == 403
        client.post("/sign-out", data={"csrf_token": token})
    auth.sign_in_as("scrutineer")
    assert client.get(f"/records/reviews/{review.id}").status_code == 403


def test_a_record_of_another_partnership_is_not_found(partnership, client, auth):
    other = Partnership(name="Elsewhere Partnership")
    db.session.add(other)
    db.session.commit()
    theirs = record_service.create_audit(
        other, record_service.AuditSpec(audit_type="section_11", title="Their audit"), None
    )
    auth.sign_in_as("admin")
    assert client.get(f"/records/audits/{theirs.id}").status_code == 404
    assert client.get(f"/records/audits/{theirs.id}/edit").status_code == 404
    token = csrf_token(client, "/records")
    linked = client.post(
        f"/records/audits/{theirs.id}/themes", data={"csrf_token": token, "theme_key": "neglect"}
    )
    assert linked.status_code == 404
    assert "Their audit" not in client.get("/records").get_data(as_text=True)


def test_linking_a_theme_shows_its_front_line_evidence_on_the_record(partnership, client, auth):
    partnership.disclosure_threshold = 3
    db.session.commit()
    review = record_service.create_review(
        partnership, record_service.ReviewSpec(review_type="lcspr", title="Child J"), None
    )
    for i in range(3):
        coded(partnership.id, SourceType.STAFF_SURVEY, f"Nobody tells us the outcome ({i})",
              "information_sharing", on=date(2027, 1, 5), respondent=f"r{i}")  # fmt: skip
    auth.sign_in_as("analyst")
    url = f"/records/reviews/{review.id}"
    token = csrf_token(client, url)

    nothing = client.post(f"{url}/themes", data={"csrf_token": token, "theme_key": ""})
    assert nothing.status_code == 422
    assert "Choose a theme to link" in nothing.get_data(as_text=True)

    linked = client.post(
        f"{url}/themes", data={"csrf_token": token, "theme_key": "information_sharing"}
    )
    assert linked.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Information sharing" in page and "Linked on" in page
    assert "Nobody tells us the outcome" in page
    again = client.post(
        f"{url}/themes", data={"csrf_token": token, "theme_key": "information_sharing"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Information sharing was already linked." in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThemeLink)) == 1

    unlinked = client.post(
        f"/records/reviews/{review.id}/themes/information_sharing/remove",
        data={"csrf_token": token},
    )
    assert unlinked.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThemeLink)) == 0


def test_records_api_creates_and_lists_audits_and_reviews_with_located_errors(partnership, api):
    client, headers = api("admin")
    created = client.post(
        "/api/v1/audits",
        headers=headers,
        json={
            "audit_type": "section_11",
            "title": "Section 11 self-assessment 2027",
            "findings": "Supervision not monitored\nInformation sharing guidance unclear",
            "recommendations": [
                {"text": "Brief staff on sharing without consent", "training": True,
                 "theme_key": "information_sharing"},
            ],
        },
    )  # fmt: skip
    assert created.status_code == 201
    body = created.get_json()
    assert body["recommendations"][0]["training"] is True
    assert len(_segments(SourceType.AUDIT, body["id"])) == 2

    listed = client.get("/api/v1/audits", headers=headers).get_json()
    assert [a["title"] for a in listed] == ["Section 11 self-assessment 2027"]

    bad = client.post(
        "/api/v1/reviews",
        headers=headers,
        json={
            "review_type": "rapid_review",
            "title": "Backwards",
            "start_on": "2027-05-01",
            "end_on": "2027-04-01",
            "recommendations": [{"text": "x", "theme_key": "not_in_codebook"}],
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"][0]["path"] == "end_on"
    unknown = client.post(
        "/api/v1/reviews",
        headers=headers,
        json={
            "review_type": "rapid_review",
            "title": "Unknown theme",
            "recommendations": [{"text": "x", "theme_key": "not_in_codebook"}],
        },
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"] == [
        {"path": "recommendations.0.theme_key", "message": "Choose a theme from the codebook"}
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0

    viewer, viewer_headers = api("viewer")
    assert viewer.get(f"/api/v1/audits/{body['id']}", headers=viewer_headers).status_code == 200
    assert viewer.get("/api/v1/audits/999999", headers=viewer_headers).status_code == 404


def test_theme_links_api_links_once_and_says_where_a_record_is_missing(partnership, api):
    review = record_service.create_review(
        partnership, record_service.ReviewSpec(review_type="lcspr", title="Child J"), None
    )
    client, headers = api("analyst")
    url = "/api/v1/themes/information_sharing/links"
    first = client.post(
        url, headers=headers, json={"record_type": "review", "record_id": review.id}
    )
    assert first.status_code == 201
    again = client.post(
        url, headers=headers, json={"record_type": "review", "record_id": review.id}
    )
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert record_service.links_for(LinkedRecord.REVIEW, review.id)[0].theme_key == (
        "information_sharing"
    )
    missing = client.post(url, headers=headers, json={"record_type": "audit", "record_id": 4242})
    assert missing.status_code == 422
    assert missing.get_json()["error"]["details"][0]["path"] == "record_id"
    no_theme = client.post(
        "/api/v1/themes/not_a_theme/links",
        headers=headers,
        json={"record_type": "review", "record_id": review.id},
    )
    assert no_theme.status_code == 404
    viewer, viewer_headers = api("viewer")
    refused = viewer.post(
        url, headers=viewer_headers, json={"record_type": "review", "record_id": review.id}
    )
    assert refused.status_code == 403


def test_a_date_with_the_day_left_empty_is_not_quietly_dropped(partnership, client, auth):
    auth.sign_in_as("admin")
    response = post_form(
        client, "/records/audits/new", {**AUDIT_FORM, "start_on": ["", "2", "2027"]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<a href="#start_on">Enter the day, month and year, for example 27 3 2027' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Audit)) == 0
