"""The action tracker: RAG by itself from the due date, overdue first, filters, progress updates
with evidence of impact, and who may change what."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, ActionStatus, Agency, AuditEvent, Partnership, SourceType
from feedback.services import actions as action_service
from feedback.services import records as record_service
from tests.conftest import csrf_token, post_form

TODAY = datetime(2027, 3, 10, 9, tzinfo=UTC)


@pytest.fixture
def review(partnership, make_user):
    admin = make_user("admin", "records-admin@testshire.example")
    spec = record_service.ReviewSpec(review_type="rapid_review", title="Rapid review: Baby K")
    return record_service.create_review(partnership, spec, admin)


@pytest.fixture
def agencies(partnership):
    police = Agency(partnership_id=partnership.id, name="Testshire Police", sector="police")
    health = Agency(partnership_id=partnership.id, name="Testshire Health", sector="health")
    db.session.add_all([police, health])
    db.session.commit()
    return police, health


def _action(partnership, review, text, due_on, *, owner=None, status=None):
    action = action_service.add_to_record(
        partnership.id,
        SourceType.REVIEW,
        review.id,
        text,
        owner_agency_id=owner.id if owner else None,
        due_on=due_on,
        actor=None,
    )
    if status is not None:
        action.status = status
        db.session.commit()
    return action


def test_an_unfinished_action_turns_red_by_itself_once_its_due_date_passes(
    partnership, review, client, auth
):
    with clock.frozen_at(TODAY):
        action = _action(
            partnership, review, "Brief GPs on the bruising protocol", date(2027, 3, 12)
        )
    auth.sign_in_as("scrutineer")

    with clock.frozen_at(datetime(2027, 3, 12, 9, tzinfo=UTC)):
        assert action_service.rag(action) == "amber"
        page = client.get("/actions").get_data(as_text=True)
        assert "Amber" in page and "Overdue by" not in page
    with clock.frozen_at(datetime(2027, 3, 15, 9, tzinfo=UTC)):
        assert action_service.rag(action) == "red"
        page = client.get(f"/actions/{action.id}").get_data(as_text=True)
        assert "Red" in page and "Overdue by 3 days" in page
        action.status = ActionStatus.COMPLETE
        db.session.commit()
        assert action_service.rag(action) == "green"
        assert "Green" in client.get(f"/actions/{action.id}").get_data(as_text=True)


def test_the_tracker_lists_overdue_actions_first_and_filters(
    partnership, review, agencies, client, auth
):
    police, health = agencies
    with clock.frozen_at(TODAY):
        later = _action(partnership, review, "Later action", date(2027, 6, 1), owner=health)
        done = _action(partnership, review, "Done action", date(2027, 1, 1), owner=police,
                       status=ActionStatus.COMPLETE)  # fmt: skip
        late = _action(partnership, review, "Late action", date(2027, 3, 1), owner=police)
        later_still = _action(partnership, review, "Most overdue", date(2027, 2, 1), owner=health)

    with clock.frozen_at(TODAY):
        order = [a.id for a in action_service.tracker(partnership.id)]
        assert order == [later_still.id, late.id, later.id, done.id]

        auth.sign_in_as("viewer")
        page = client.get("/actions").get_data(as_text=True)
        assert page.index("Most overdue") < page.index("Late action") < page.index("Done action")

        red = client.get("/actions?rag=red").get_data(as_text=True)
        assert "Most overdue" in red and "Later action" not in red
        owned = client.get(f"/actions?owner={police.id}").get_data(as_text=True)
        assert "Late action" in owned and "Most overdue" not in owned
        complete = client.get("/actions?status=complete").get_data(as_text=True)
        assert "Done action" in complete and "Late action" not in complete
        from_visits = client.get("/actions?source=scrutiny_visit").get_data(as_text=True)
        assert "No actions match these filters." in from_visits
        bad = client.get("/actions?rag=purple&owner=999999")
        assert bad.status_code == 200
        assert "Choose red, amber or green" in bad.get_data(as_text=True)
        assert "Choose an agency from the list" in bad.get_data(as_text=True)


def test_an_analyst_records_progress_and_evidence_of_impact(partnership, review, client, auth):
    action = _action(partnership, review, "Relaunch the escalation policy", date(2027, 9, 30))
    analyst = auth.sign_in_as("analyst")
    url = f"/actions/{action.id}"

    token = csrf_token(client, url)
    missing = client.post(f"{url}/updates", data={"csrf_token": token, "status": "in_progress"})
    assert missing.status_code == 422
    assert "Write what has happened since the last update" in missing.get_data(as_text=True)

    response = client.post(
        f"{url}/updates",
        data={
            "csrf_token": token,
            "status": "complete",
            "text": "Briefings delivered in 9 of 11 agencies.",
            "evidence_of_impact": "Escalations logged rose from 3 to 11 a quarter.",
        },
    )
    assert response.status_code == 302
    db.session.refresh(action)
    assert action.status == ActionStatus.COMPLETE
    assert action.evidence_of_impact == "Escalations logged rose from 3 to 11 a quarter."
    assert [(u.status, u.author_id) for u in action.updates] == [
        (ActionStatus.COMPLETE, analyst.id)
    ]
    page = client.get(url).get_data(as_text=True)
    assert "Briefings delivered in 9 of 11 agencies." in page
    assert "Escalations logged rose from 3 to 11 a quarter." in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "action.update"))
    assert event.detail == {"from": "not_started", "to": "complete", "impact": True}


def test_viewers_scrutineers_and_trainers_read_actions_but_cannot_change_them(
    partnership, review, client, auth
):
    action = _action(partnership, review, "Refresh the protocol", date(2027, 9, 30))
    for role in ("viewer", "scrutineer", "trainer"):
        auth.sign_in_as(role)
        page = client.get(f"/actions/{action.id}").get_data(as_text=True)
        assert "Refresh the protocol" in page
        assert "Add update" not in page
        token = csrf_token(client, f"/actions/{action.id}")
        refused = client.post(
            f"/actions/{action.id}/updates",
            data={"csrf_token": token, "status": "complete", "text": "Done"},
        )
        assert refused.status_code == 403
        client.post("/sign-out", data={"csrf_token": token})
    db.session.refresh(action)
    assert action.status == ActionStatus.NOT_STARTED


def test_admin_adds_an_action_to_a_review_and_edits_it(partnership, review, agencies, client, auth):
    police, _ = agencies
    auth.sign_in_as("admin")
    url = f"/records/reviews/{review.id}/actions/new"

    bad = post_form(client, url, {"description": "", "due_on": ["31", "2", "2027"]})
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "Describe the action" in text and "Enter a real date" in text

    response = post_form(
        client,
        url,
        {"description": "Share the learning at the GP forum", "owner_agency_id": str(police.id),
         "due_on": ["30", "4", "2027"]},
    )  # fmt: skip
    assert response.status_code == 302
    action = db.session.scalar(sa.select(Action))
    assert (action.source_type, action.source_id) == (SourceType.REVIEW, str(review.id))
    assert (action.owner_agency_id, action.due_on) == (police.id, date(2027, 4, 30))
    assert "Share the learning at the GP forum" in client.get(f"/records/reviews/{review.id}").text

    other = Partnership(name="Elsewhere Partnership")
    db.session.add(other)
    db.session.flush()
    foreign = Agency(partnership_id=other.id, name="Elsewhere Police", sector="police")
    db.session.add(foreign)
    db.session.commit()
    refused = post_form(
        client,
        f"/actions/{action.id}/edit",
        {"description": "Share it", "owner_agency_id": str(foreign.id), "due_on": ["", "", ""]},
    )
    assert "Choose the agency that owns the action from the list" in refused.get_data(True)
    db.session.refresh(action)
    assert action.owner_agency_id == police.id


def test_an_action_of_another_partnership_is_not_found(partnership, client, auth):
    other = Partnership(name="Elsewhere Partnership")
    db.session.add(other)
    db.session.commit()
    spec = record_service.ReviewSpec(review_type="lcspr", title="Elsewhere review")
    their_review = record_service.create_review(other, spec, None)
    theirs = _action(other, their_review, "Their action", None)
    auth.sign_in_as("admin")
    assert client.get(f"/actions/{theirs.id}").status_code == 404
    assert "Their action" not in client.get("/actions").get_data(as_text=True)


def test_actions_api_lists_the_tracker_and_adds_actions_with_located_errors(
    partnership, review, api
):
    with clock.frozen_at(TODAY):
        _action(partnership, review, "Late one", date(2027, 1, 1))
        _action(partnership, review, "On time", date(2027, 12, 1))
    client, headers = api("admin")

    with clock.frozen_at(TODAY):
        red = client.get("/api/v1/actions?rag=red", headers=headers).get_json()
        assert [(a["description"], a["rag"], a["overdue"]) for a in red] == [
            ("Late one", "red", True)
        ]
        created = client.post(
            "/api/v1/actions",
            headers=headers,
            json={"source_type": "review", "source_id": review.id, "description": "New one",
                  "due_on": "2027-05-01"},
        )  # fmt: skip
        assert created.status_code == 201
        assert created.get_json()["rag"] == "amber"

    missing = client.post(
        "/api/v1/actions",
        headers=headers,
        json={"source_type": "audit", "source_id": 999999, "description": "Nowhere"},
    )
    assert missing.status_code == 422
    assert missing.get_json()["error"]["details"] == [
        {"path": "source_id", "message": "There is no audit 999999"}
    ]
    bad = client.post("/api/v1/actions", headers=headers, json={"source_type": "review"})
    assert bad.status_code == 422
    paths = {d["path"] for d in bad.get_json()["error"]["details"]}
    assert {"source_id", "description"} <= paths
    assert client.get("/api/v1/actions?status=nearly", headers=headers).status_code == 422

    viewer, viewer_headers = api("trainer")
    assert viewer.get("/api/v1/actions", headers=viewer_headers).status_code == 200
    refused = viewer.post("/api/v1/actions", headers=viewer_headers, json={})
    assert refused.status_code == 403
