"""The instruments API: listing, creating, reading versions, publishing, roles and partnerships."""

import copy

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Instrument, InstrumentVersion, Partnership
from feedback.services import instruments
from forms import library


def small_definition(key="team_check", title="Team check"):
    return {
        "schema_version": 1,
        "key": key,
        "title": title,
        "pages": [
            {
                "key": "one",
                "title": "About you",
                "questions": [
                    {
                        "key": "role",
                        "type": "single_choice",
                        "label": "What is your role?",
                        "options": [
                            {"value": "manager", "label": "Manager"},
                            {"value": "practitioner", "label": "Practitioner"},
                        ],
                    },
                    {"key": "supported", "type": "likert", "label": "I feel supported"},
                ],
            }
        ],
    }


def test_list_shows_standard_instruments_not_yet_copied_without_copying_them(api):
    client, headers = api("viewer")
    listed = client.get("/api/v1/instruments", headers=headers).get_json()
    assert {item["key"] for item in listed} == set(library.keys())
    assert all(item["origin"] == "library" and item["id"] is None for item in listed)
    assert db.session.scalar(sa.select(sa.func.count(Instrument.id))) == 0


def test_an_admin_creates_an_instrument_and_gets_its_id_and_version(api):
    client, headers = api("admin")
    response = client.post(
        "/api/v1/instruments", json={"definition": small_definition()}, headers=headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["version"] == 1 and body["status"] == "draft"
    listed = client.get("/api/v1/instruments", headers=headers).get_json()
    mine = next(item for item in listed if item["key"] == "team_check")
    assert mine["id"] == body["id"] and mine["origin"] == "custom"
    assert mine["latest_version"]["number"] == 1
    assert mine["latest_published_version"] is None


def test_an_invalid_definition_is_refused_with_each_problem_located(api):
    client, headers = api("admin")
    definition = small_definition()
    question = definition["pages"][0]["questions"][1]
    question["type"] = "likart"
    question["themes"] = ["not_a_theme"]
    definition["pages"][0]["questions"][0]["options"] = []
    response = client.post("/api/v1/instruments", json={"definition": definition}, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "problem" in error["message"]
    paths = {d["path"]: d["message"] for d in error["details"]}
    assert "pages[0].questions[1].type" in paths
    assert "likart" in paths["pages[0].questions[1].type"]
    assert "pages[0].questions[1].themes[0]" in paths
    assert "pages[0].questions[0].options" in paths
    assert db.session.scalar(sa.select(sa.func.count(Instrument.id))) == 0


def test_a_key_already_used_is_refused_on_the_key(api):
    client, headers = api("admin")
    client.post("/api/v1/instruments", json={"definition": small_definition()}, headers=headers)
    again = client.post(
        "/api/v1/instruments", json={"definition": small_definition()}, headers=headers
    )
    assert again.status_code == 422
    assert again.get_json()["error"]["details"][0]["path"] == "key"


def test_sending_neither_or_both_a_definition_and_library_key_is_refused(api):
    client, headers = api("admin")
    for body in ({}, {"definition": small_definition(), "library_key": "staff_survey"}):
        response = client.post("/api/v1/instruments", json=body, headers=headers)
        assert response.status_code == 422
        assert response.get_json()["error"]["details"][0]["path"] == "definition"


def test_a_standard_instrument_is_copied_in_published_and_read_by_version(api):
    client, headers = api("admin")
    created = client.post(
        "/api/v1/instruments", json={"library_key": "staff_survey"}, headers=headers
    ).get_json()
    instrument_id = created["id"]
    published = client.post(f"/api/v1/instruments/{instrument_id}/publish", headers=headers)
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"

    detail = client.get(f"/api/v1/instruments/{instrument_id}", headers=headers).get_json()
    assert detail["origin"] == "copy" and detail["library_key"] == "staff_survey"
    assert detail["version"]["number"] == 1
    assert detail["version"]["status"] == "published"
    assert detail["version"]["definition"] == library.load("staff_survey")
    listed = client.get("/api/v1/instruments", headers=headers).get_json()
    assert [i["origin"] for i in listed if i["key"] == "staff_survey"] == ["copy"]


def test_publishing_twice_says_there_is_no_draft(api):
    client, headers = api("admin")
    created = client.post(
        "/api/v1/instruments",
        json={"definition": small_definition(), "publish": True},
        headers=headers,
    ).get_json()
    assert created["status"] == "published"
    again = client.post(f"/api/v1/instruments/{created['id']}/publish", headers=headers)
    assert again.status_code == 422
    assert "no draft" in again.get_json()["error"]["message"]


def test_a_new_version_is_read_by_number_and_the_old_one_is_unchanged(api, partnership):
    client, headers = api("admin")
    created = client.post(
        "/api/v1/instruments",
        json={"definition": small_definition(), "publish": True},
        headers=headers,
    ).get_json()
    instruments.update_details(partnership, created["id"], "Team check 2027", None, None)
    latest = client.get(f"/api/v1/instruments/{created['id']}", headers=headers).get_json()
    assert latest["version"]["number"] == 2
    assert latest["version"]["status"] == "draft"
    assert latest["version"]["definition"]["title"] == "Team check 2027"
    assert [v["status"] for v in latest["versions"]] == ["published", "draft"]
    first = client.get(f"/api/v1/instruments/{created['id']}?version=1", headers=headers).get_json()
    assert first["version"]["definition"]["title"] == "Team check"


def test_unknown_instruments_and_versions_are_404(api):
    client, headers = api("admin")
    assert client.get("/api/v1/instruments/999", headers=headers).status_code == 404
    created = client.post(
        "/api/v1/instruments", json={"definition": small_definition()}, headers=headers
    ).get_json()
    missing = client.get(f"/api/v1/instruments/{created['id']}?version=7", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/instruments/999/publish", headers=headers).status_code == 404


def test_publishing_an_invalid_draft_is_refused_with_located_problems(api, partnership):
    client, headers = api("admin")
    created = client.post(
        "/api/v1/instruments", json={"definition": small_definition()}, headers=headers
    ).get_json()
    broken = copy.deepcopy(small_definition())
    broken["pages"][0]["questions"][1]["show_if"] = {"question": "nowhere", "equals": 1}

    def change(definition):
        definition.clear()
        definition.update(broken)

    instruments.edit(partnership, created["id"], change, None, what="test")
    response = client.post(f"/api/v1/instruments/{created['id']}/publish", headers=headers)
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details[0]["path"] == "pages[0].questions[1].show_if"
    assert "nowhere" in details[0]["message"]
    version = db.session.scalar(sa.select(InstrumentVersion))
    db.session.refresh(version)
    assert version.status == "draft"


def test_another_partnerships_instrument_is_a_404(api, partnership):
    other = Partnership(name="Otherton Safeguarding Children Partnership")
    db.session.add(other)
    db.session.commit()
    theirs = instruments.copy_from_library(other, "staff_survey", None, publish=True)
    client, headers = api("admin")
    url = f"/api/v1/instruments/{theirs.instrument_id}"
    assert client.get(url, headers=headers).status_code == 404
    assert client.post(f"{url}/publish", headers=headers).status_code == 404
    listed = client.get("/api/v1/instruments", headers=headers).get_json()
    assert all(item["id"] != theirs.instrument_id for item in listed)
    # Their copy does not stop us copying the same standard instrument.
    ours = client.post("/api/v1/instruments", json={"library_key": "staff_survey"}, headers=headers)
    assert ours.status_code == 201


def test_non_admins_read_but_cannot_create_or_publish(api, partnership):
    version = instruments.copy_from_library(partnership, "staff_survey", None)
    client, headers = api("trainer")
    assert client.get(f"/api/v1/instruments/{version.instrument_id}", headers=headers).status_code
    assert (
        client.post(
            "/api/v1/instruments", json={"library_key": "staff_survey"}, headers=headers
        ).status_code
        == 403
    )
    refused = client.post(f"/api/v1/instruments/{version.instrument_id}/publish", headers=headers)
    assert refused.status_code == 403


def test_the_demo_seed_publishes_every_standard_instrument_once(app, partnership):
    from feedback.seed import seed_instruments

    assert seed_instruments(partnership) == len(library.keys())
    assert seed_instruments(partnership) == 0
    for instrument in instruments.list_instruments(partnership):
        assert [(v.number, v.status.value) for v in instrument.versions] == [(1, "published")]
        assert instrument.versions[0].definition == library.load(instrument.source)
