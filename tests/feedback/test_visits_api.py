"""The visits API: the same records, rules and located errors as the pages."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, Agency, SourceType
from feedback.models.visits import Visit
from feedback.services import accounts
from feedback.services import segments as segment_service

TODAY = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
TOPICS = ["leadership", "policies", "training", "forums", "thresholds", "commissioned"]


@pytest.fixture(autouse=True)
def frozen_today():
    clock.set_now(TODAY)
    yield
    clock.set_now(None)


@pytest.fixture
def school(partnership):
    agency = Agency(partnership_id=partnership.id, name="Hilltop School", sector="education")
    db.session.add(agency)
    db.session.commit()
    return agency


@pytest.fixture
def clients(app, make_user):
    """A client and headers for each role, plus a second scrutineer."""
    out = {}
    for role, email in (
        ("admin", "admin@testshire.example"),
        ("scrutineer", "sam@testshire.example"),
        ("other", "olu@testshire.example"),
        ("viewer", "vic@testshire.example"),
        ("analyst", "ann@testshire.example"),
    ):
        user = make_user("scrutineer" if role == "other" else role, email)
        headers = {"Authorization": f"Bearer {accounts.issue_token(user)}"}
        out[role] = (app.test_client(), headers, user)
    return out


def call(clients, role, method, url, body=None):
    client, headers, _ = clients[role]
    return client.open(url, method=method, headers=headers, json=body)


def plan(clients, school, role="admin", **extra):
    body = {
        "kind": "scrutiny_visit",
        "occurred_on": "2027-03-01",
        "agency_id": school.id,
        "setting": "Hilltop School",
        **extra,
    }
    if role == "admin":
        body.setdefault("lead_id", clients["scrutineer"][2].id)
    response = call(clients, role, "POST", "/api/v1/visits", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_visit_is_planned_written_up_submitted_reviewed_and_published_by_api(clients, school):
    visit = plan(clients, school)
    assert visit["status"] == "planned" and [t["key"] for t in visit["topics"]] == TOPICS
    url = f"/api/v1/visits/{visit['id']}"
    patched = call(
        clients,
        "scrutineer",
        "PATCH",
        url,
        {
            "topics": [
                {"key": k, "rag": "green", "strengths": f"Good {k}", "development": None}
                for k in TOPICS
            ],
            "people_by_role": {"safeguarding_lead": 1, "front_line_staff": 5},
            "notes": {"overall_summary": "A safe school."},
        },
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["status"] == "draft" and body["topics"][0]["rag"] == "green"
    assert body["people_by_role"] == {"safeguarding_lead": 1, "front_line_staff": 5}
    action = call(
        clients,
        "scrutineer",
        "POST",
        f"{url}/actions",
        {"description": "Brief lunchtime staff on neglect", "due_on": "2027-01-31"},
    )
    assert action.status_code == 201 and action.get_json()["rag"] == "red"  # already overdue
    assert call(clients, "scrutineer", "POST", f"{url}/submit").get_json()["status"] == "submitted"
    reviewed = call(clients, "admin", "POST", f"{url}/review", {"outcome": "reviewed"})
    assert reviewed.get_json()["status"] == "reviewed"
    published = call(clients, "admin", "POST", f"{url}/publish")
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    seen = call(clients, "viewer", "GET", url).get_json()
    assert seen["actions"][0]["description"] == "Brief lunchtime staff on neglect"
    assert seen["people_by_role"] == {"safeguarding_lead": None, "front_line_staff": None}
    assert seen["reviews"] == []  # review comments are for the team and the partnership team
    texts = segment_service.for_source(SourceType.SCRUTINY_VISIT, visit["id"])
    assert len(texts) == len(TOPICS) + 1
    assert db.session.scalar(sa.select(Action.source_type)) == SourceType.SCRUTINY_VISIT


def test_bad_input_gets_422s_located_by_path(clients, school):
    missing = call(
        clients,
        "admin",
        "POST",
        "/api/v1/visits",
        {"kind": "scrutiny_visit", "occurred_on": "2027-03-01", "agency_id": school.id},
    )
    assert missing.status_code == 422
    paths = {d["path"] for d in missing.get_json()["error"]["details"]}
    assert paths == {"setting", "lead_id"}
    unknown_kind = call(
        clients, "admin", "POST", "/api/v1/visits", {"kind": "inspection", "occurred_on": "x"}
    )
    assert unknown_kind.status_code == 422
    assert {d["path"] for d in unknown_kind.get_json()["error"]["details"]} == {
        "kind",
        "occurred_on",
    }
    visit = plan(clients, school)
    url = f"/api/v1/visits/{visit['id']}"
    bad_rag = call(
        clients,
        "scrutineer",
        "PATCH",
        url,
        {"topics": [{"key": "leadership", "rag": "red"}, {"key": "policies", "rag": "blue"}]},
    )
    assert bad_rag.status_code == 422
    assert bad_rag.get_json()["error"]["details"][0]["path"] == "topics.1.rag"
    unknown_topic = call(clients, "scrutineer", "PATCH", url, {"topics": [{"key": "catering"}]})
    assert unknown_topic.get_json()["error"]["details"][0]["path"] == "topics.0.key"
    a_name = call(clients, "scrutineer", "PATCH", url, {"people_by_role": {"Mrs Jones": 1}})
    assert a_name.status_code == 422
    assert a_name.get_json()["error"]["details"][0]["path"] == "people_by_role.Mrs Jones"
    # Nothing of a refused PATCH is kept: the good topic in the same request was not saved.
    assert db.session.get(Visit, visit["id"]).topics[0]["rag"] is None
    incomplete = call(clients, "scrutineer", "POST", f"{url}/submit")
    assert incomplete.status_code == 422
    assert incomplete.get_json()["error"]["message"].startswith("Nothing has been written")
    call(clients, "scrutineer", "PATCH", url, {"notes": {"overall_summary": "Started"}})
    still = call(clients, "scrutineer", "POST", f"{url}/submit").get_json()["error"]["details"]
    assert [d["path"] for d in still] == [f"topics.{i}.rag" for i in range(6)] + ["people_by_role"]
    not_lead = call(clients, "scrutineer", "PATCH", url, {"lead_id": clients["other"][2].id})
    assert not_lead.get_json()["error"]["details"][0]["path"] == "lead_id"


def test_a_bad_move_is_refused_with_a_located_message(clients, school):
    visit = plan(clients, school)
    url = f"/api/v1/visits/{visit['id']}"
    publish = call(clients, "admin", "POST", f"{url}/publish")
    assert publish.status_code == 422
    assert publish.get_json()["error"]["details"] == [
        {
            "path": "status",
            "message": "Only a reviewed record can be published; this one is planned",
        }
    ]
    review = call(clients, "admin", "POST", f"{url}/review", {"outcome": "sent_back"})
    assert (
        review.status_code == 422
        and "Only a submitted record" in review.get_json()["error"]["message"]
    )


def test_scrutineers_see_only_their_visits_and_readers_only_published_ones(clients, school):
    mine = plan(clients, school)
    theirs = plan(clients, school, lead_id=clients["other"][2].id, setting="Hilltop Nursery")
    listed = call(clients, "scrutineer", "GET", "/api/v1/visits").get_json()
    assert [v["id"] for v in listed["items"]] == [mine["id"]] and listed["total"] == 1
    assert call(clients, "scrutineer", "GET", f"/api/v1/visits/{theirs['id']}").status_code == 404
    patch = call(clients, "scrutineer", "PATCH", f"/api/v1/visits/{theirs['id']}", {"notes": {}})
    assert patch.status_code == 404
    assert call(clients, "viewer", "GET", "/api/v1/visits").get_json()["total"] == 0
    assert call(clients, "analyst", "GET", f"/api/v1/visits/{mine['id']}").status_code == 404
    assert call(clients, "viewer", "POST", "/api/v1/visits", {}).status_code == 403
    everything = call(clients, "admin", "GET", "/api/v1/visits?status=planned").get_json()
    assert everything["total"] == 2
    assert call(clients, "admin", "GET", "/api/v1/visits?kind=nonsense").status_code == 422
    assert call(clients, "admin", "GET", "/api/v1/visits/abc").status_code == 404


def test_a_scrutineer_starts_a_visit_they_lead_but_not_one_for_someone_else(clients, school):
    own = plan(clients, school, role="scrutineer")
    assert own["lead_id"] == clients["scrutineer"][2].id
    other = call(
        clients,
        "scrutineer",
        "POST",
        "/api/v1/visits",
        {
            "kind": "scrutiny_visit",
            "occurred_on": "2027-03-01",
            "agency_id": school.id,
            "setting": "Hilltop",
            "lead_id": clients["other"][2].id,
        },
    )
    assert other.status_code == 422
    assert other.get_json()["error"]["details"][0]["path"] == "lead_id"


def test_only_scrutineers_can_join_a_team(clients, school):
    response = call(
        clients,
        "admin",
        "POST",
        "/api/v1/visits",
        {
            "kind": "scrutiny_visit",
            "occurred_on": "2027-03-01",
            "agency_id": school.id,
            "setting": "Hilltop",
            "lead_id": clients["scrutineer"][2].id,
            "team_ids": [clients["other"][2].id, clients["viewer"][2].id],
        },
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"path": "team_ids.1", "message": "Choose scrutineers from the list"}
    ]
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0


def test_a_conversation_by_api_carries_its_action_plan(clients, school):
    lead = clients["scrutineer"][2].id
    first = call(
        clients,
        "admin",
        "POST",
        "/api/v1/visits",
        {
            "kind": "safeguarding_conversation",
            "occurred_on": "2026-03-01",
            "agency_id": school.id,
            "lead_id": lead,
        },
    ).get_json()
    item = call(
        clients,
        "admin",
        "POST",
        f"/api/v1/visits/{first['id']}/action-plan-items",
        {"standard": "childs_views", "description": "Pupil voice in the safeguarding policy"},
    )
    assert item.status_code == 201
    item_id = item.get_json()["item_id"]
    call(
        clients,
        "admin",
        "PATCH",
        f"/api/v1/visits/{first['id']}",
        {"action_plan": [{"item_id": item_id, "status": "in_progress", "narrative": "Begun"}]},
    )
    second = call(
        clients,
        "admin",
        "POST",
        "/api/v1/visits",
        {
            "kind": "safeguarding_conversation",
            "occurred_on": "2027-03-01",
            "agency_id": school.id,
            "lead_id": lead,
        },
    ).get_json()
    assert second["action_plan"] == [
        {
            "item_id": item_id,
            "standard": "childs_views",
            "description": "Pupil voice in the safeguarding policy",
            "status": "in_progress",
            "narrative": None,
        }
    ]
    wrong = call(
        clients,
        "admin",
        "PATCH",
        f"/api/v1/visits/{second['id']}",
        {"topics": [{"key": "leadership", "rag": "red"}]},
    )
    assert wrong.status_code == 422 and wrong.get_json()["error"]["details"][0]["path"] == "topics"


def test_users_of_another_partnership_never_see_a_visit(clients, school, app):
    from feedback.models import Partnership

    visit = plan(clients, school)
    elsewhere = Partnership(name="Elsewhere SCP")
    db.session.add(elsewhere)
    db.session.commit()
    outsider = accounts.create_user(elsewhere, "out@elsewhere.example", "admin", "x" * 20)
    headers = {"Authorization": f"Bearer {accounts.issue_token(outsider)}"}
    response = app.test_client().get(f"/api/v1/visits/{visit['id']}", headers=headers)
    assert response.status_code == 404
    listed = app.test_client().get("/api/v1/visits", headers=headers).get_json()
    assert listed["total"] == 0
