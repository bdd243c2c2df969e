"""The campaigns API: create, launch, pause, resume, close and extend; response rates with small
counts hidden from all but admins; responses that honour the campaign's mode; exports."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Invitation, Person
from feedback.services import messages
from tests.conftest import SURVEY, published_version
from tests.feedback.test_campaigns import answer_all

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START)
    yield
    clock.set_now(None)


@pytest.fixture
def setting(partnership):
    """A published survey and 12 officers of one agency plus 2 teachers of another."""
    police = Agency(partnership_id=partnership.id, name="Testshire Police", sector="police")
    school = Agency(partnership_id=partnership.id, name="Hilltop School", sector="education")
    db.session.add_all([police, school])
    db.session.flush()
    people = [
        Person(
            partnership_id=partnership.id,
            name=f"Officer {i}",
            email=f"officer{i}@example.org",
            agency_id=police.id,
            job_role="Police Constable",
        )
        for i in range(12)
    ] + [
        Person(
            partnership_id=partnership.id,
            name=f"Teacher {i}",
            email=f"teacher{i}@example.org",
            agency_id=school.id,
            job_role="Teacher",
        )
        for i in range(2)
    ]
    db.session.add_all(people)
    db.session.commit()
    version = published_version(partnership, SURVEY)
    return {"version": version, "people": people, "police": police, "school": school}


def body(setting, **overrides):
    data = {
        "instrument_id": setting["version"].instrument_id,
        "title": "Spring staff survey",
        "mode": "confidential",
        "audience": {"agency_ids": [setting["police"].id, setting["school"].id]},
        "opens_at": START.isoformat(),
        "closes_at": (START + timedelta(days=21)).isoformat(),
        "reminder_days": [7, 14],
    }
    data.update(overrides)
    return data


def create_and_launch(api, setting, **overrides):
    client, headers = api("admin")
    created = client.post("/api/v1/campaigns", json=body(setting, **overrides), headers=headers)
    assert created.status_code == 201, created.get_json()
    campaign_id = created.get_json()["id"]
    launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=headers)
    assert launched.status_code == 200, launched.get_json()
    return client, headers, launched.get_json()


def answer_everyone():
    for invitation in db.session.scalars(sa.select(Invitation)).all():
        answer_all(messages.token_for("invitation", invitation.token_nonce), thresholds=4)


def test_create_launch_stats_and_responses(api, setting):
    client, headers, campaign = create_and_launch(api, setting)
    assert campaign["status"] == "live"
    assert campaign["invited"] == 14
    assert campaign["version"] == 1
    answer_everyone()
    stats = client.get(f"/api/v1/campaigns/{campaign['id']}/stats", headers=headers).get_json()
    assert stats["overall"]["invited"] == 14 and stats["overall"]["completed"] == 14
    assert stats["suppressed"] is False
    assert {r["agency"]: r["completed"] for r in stats["by_agency"]} == {
        "Hilltop School": 2,
        "Testshire Police": 12,
    }
    page = client.get(
        f"/api/v1/campaigns/{campaign['id']}/responses?per_page=10", headers=headers
    ).get_json()
    assert page["total"] == 14 and len(page["items"]) == 10
    assert page["items"][0]["answers"]["thresholds"] == 4
    assert page["items"][0]["person"]["email"].endswith("@example.org")  # admin, confidential
    second = client.get(
        f"/api/v1/campaigns/{campaign['id']}/responses?page=2&per_page=10", headers=headers
    ).get_json()
    assert len(second["items"]) == 4
    assert not {i["id"] for i in page["items"]} & {i["id"] for i in second["items"]}


def test_a_viewer_gets_small_counts_as_null_with_a_flag(api, setting):
    _client, _headers, campaign = create_and_launch(api, setting)
    answer_everyone()
    client, headers = api("viewer")
    stats = client.get(f"/api/v1/campaigns/{campaign['id']}/stats", headers=headers).get_json()
    assert stats["suppressed"] is True
    school = next(r for r in stats["by_agency"] if r["agency"] == "Hilltop School")
    assert school["invited"] is None and school["completed"] is None
    assert school["suppressed"] is True
    assert stats["disclosure_threshold"] == 10


@pytest.mark.parametrize(
    ("mode", "role", "people"),
    [
        ("confidential", "admin", True),
        ("confidential", "analyst", False),
        ("identified", "viewer", False),
        ("anonymous", "admin", False),
    ],
)
def test_responses_show_people_only_to_admins_and_never_when_anonymous(
    api, setting, mode, role, people
):
    client, headers, campaign = create_and_launch(api, setting, mode=mode)
    answer_everyone()
    if role != "admin":
        client, headers = api(role)
    campaign_id = campaign["id"]
    items = client.get(f"/api/v1/campaigns/{campaign_id}/responses", headers=headers).get_json()[
        "items"
    ]
    assert len(items) == 14
    assert all(("person" in i) is people for i in items)
    assert all(("submitted_at" in i) is people for i in items)
    if not people:
        # Two teachers are a small group: their agency and role are hidden.
        assert sum(i["job_role"] == "[c]" for i in items) == 2


def test_bad_input_gets_422_saying_where(api, setting):
    client, headers = api("admin")
    wrong_order = body(setting, closes_at=(START - timedelta(days=1)).isoformat())
    response = client.post("/api/v1/campaigns", json=wrong_order, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["path"] == "closes_at"
    response = client.post(
        "/api/v1/campaigns", json=body(setting, instrument_id=999_999), headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["path"] == "instrument_id"
    response = client.post(
        "/api/v1/campaigns",
        json=body(setting, mode="secret", opens_at="yesterday", audience={"pets": [1]}),
        headers=headers,
    )
    assert response.status_code == 422
    paths = {d["path"] for d in response.get_json()["error"]["details"]}
    assert {"mode", "opens_at", "audience.pets"} <= paths


def test_pause_resume_extend_and_close(api, setting):
    client, headers, campaign = create_and_launch(api, setting)
    url = f"/api/v1/campaigns/{campaign['id']}"
    assert client.post(f"{url}/pause", headers=headers).get_json()["status"] == "paused"
    assert client.post(f"{url}/pause", headers=headers).status_code == 422
    assert client.post(f"{url}/resume", headers=headers).get_json()["status"] == "live"
    later = (START + timedelta(days=40)).isoformat()
    extended = client.post(f"{url}/extend", json={"closes_at": later}, headers=headers)
    assert extended.status_code == 200
    assert extended.get_json()["closes_at"].startswith("2027-04-10")
    assert client.post(f"{url}/close", headers=headers).get_json()["status"] == "closed"
    refused = client.post(f"{url}/launch", headers=headers)
    assert refused.status_code == 422
    assert "cannot be launched" in refused.get_json()["error"]["message"]


def test_another_partnerships_campaign_is_404(api, setting):
    client, headers = api("admin")
    assert client.get("/api/v1/campaigns/424242/stats", headers=headers).status_code == 404
    assert client.post("/api/v1/campaigns/abc/launch", headers=headers).status_code == 404


def test_export_endpoints_honour_the_mode(api, setting):
    client, headers, campaign = create_and_launch(api, setting, mode="anonymous")
    answer_everyone()
    campaign_id = campaign["id"]
    response = client.get(f"/api/v1/campaigns/{campaign_id}/export.csv", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 15
    assert "Name" not in rows[0] and "Email" not in rows[0]
    keyed = client.get(
        f"/api/v1/campaigns/{campaign_id}/export.csv?header=keys", headers=headers
    ).get_data(as_text=True)
    assert keyed.lstrip("\ufeff").startswith("response_id,submitted_on,agency,sector,job_role")
    xlsx = client.get(f"/api/v1/campaigns/{campaign_id}/export.xlsx", headers=headers)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    xlsx.close()
    bad = client.get(f"/api/v1/campaigns/{campaign_id}/export.csv?header=x", headers=headers)
    assert bad.status_code == 422
