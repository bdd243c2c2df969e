"""The voice API: the same rules as the pages, and bad input refused with located errors."""

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import SourceType
from feedback.models.voice import VoiceRecord
from feedback.services.segments import for_source
from tests.feedback.voice_helpers import (
    audit_events,
    frozen_clock,  # noqa: F401
    make_agency,
)


def body(agency, **changes):
    data = {
        "form_key": "child_voice_8_12",
        "setting_type": "family_hub",
        "agency_id": agency.id,
        "local_reference": "EH-2291",
        "method": "wishes_feelings",
        "occurred_on": "2027-03-08",
        "consent": {"given_by": "parent_carer", "assent": True, "sharing": "quotes"},
        "answers": {
            "feel_at_home": 4,
            "good_things": "Going to the family hub on Fridays",
            "who_listens": {"selected": ["family", "other"], "other": "My youth worker"},
            "know_who_to_tell": True,
        },
    }
    data.update(changes)
    return data


def test_a_trainer_records_voice_and_reads_it_back(app, api, partnership):
    client, headers = api("trainer")
    hub = make_agency(partnership, "Oakfield Family Hub")
    created = client.post("/api/v1/voice", json=body(hub), headers=headers)
    assert created.status_code == 201, created.get_json()
    result = created.get_json()
    record = result["record"]
    assert result["notice"] is None and result["safeguarding"]["prompt"] is None
    assert record["age_band"] == "8_12" and record["respondent"] == "child"
    assert record["consent"] == {
        "given_by": "parent_carer",
        "assent": True,
        "consented": True,
        "sharing": "quotes",
    }
    assert record["answers"]["who_listens"]["other"] == "My youth worker"
    texts = sorted(s.text for s in for_source(SourceType.VOICE, record["id"]))
    assert texts == ["Going to the family hub on Fridays", "My youth worker"]
    again = client.get(f"/api/v1/voice/{record['id']}", headers=headers)
    assert again.status_code == 200 and again.get_json() == record
    listed = client.get("/api/v1/voice", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == record["id"]


def test_without_consent_the_api_keeps_no_words_and_says_so(app, api, partnership):
    client, headers = api("admin")
    data = body(make_agency(partnership), consent={"given_by": "nobody", "assent": True})
    result = client.post("/api/v1/voice", json=data, headers=headers).get_json()
    assert result["notice"].startswith("Consent was not given")
    assert result["record"]["answers"] == {
        "feel_at_home": 4,
        "who_listens": {"selected": ["family", "other"]},
        "know_who_to_tell": True,
    }
    assert result["record"]["text_dropped"] is True
    assert for_source(SourceType.VOICE, result["record"]["id"]) == []


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"local_reference": "AB 03/04/2016"}, {"local_reference"}),
        ({"occurred_on": "2027-04-01"}, {"occurred_on"}),
        ({"agency_id": 999999}, {"agency_id"}),
        ({"consent": {"given_by": "self", "assent": True}}, {"consent.given_by"}),
        ({"consent": {"given_by": "child"}}, {"consent.assent"}),
        (
            {"answers": {"feel_at_home": 7, "pet_name": "Rex"}},
            {"answers.feel_at_home", "answers.pet_name"},
        ),
        ({"form_key": "staff_survey"}, {"form_key"}),
        ({"child_name": "Jayden"}, {"child_name"}),
        ({"date_of_birth": "2016-04-03"}, {"date_of_birth"}),
        ({"method": None, "setting_type": "moon"}, {"method", "setting_type"}),
    ],
)
def test_bad_input_is_refused_with_every_problem_located(app, api, partnership, changes, paths):
    client, headers = api("scrutineer")
    response = client.post(
        "/api/v1/voice", json=body(make_agency(partnership), **changes), headers=headers
    )
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert {d["path"] for d in error["details"]} == paths
    assert all(d["message"] for d in error["details"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_practitioners_list_only_their_own_records_and_each_one_returned_is_audited(
    app, api, partnership
):
    hub = make_agency(partnership)
    trainer_client, trainer = api("trainer")
    scrutineer_client, scrutineer = api("scrutineer")
    mine = trainer_client.post("/api/v1/voice", json=body(hub), headers=trainer).get_json()
    theirs = scrutineer_client.post("/api/v1/voice", json=body(hub), headers=scrutineer).get_json()
    listed = trainer_client.get("/api/v1/voice", headers=trainer).get_json()
    assert [r["id"] for r in listed["items"]] == [mine["record"]["id"]]
    other = trainer_client.get(f"/api/v1/voice/{theirs['record']['id']}", headers=trainer)
    assert other.status_code == 404
    assert [e.record_id for e in audit_events("voice.viewed")] == [str(mine["record"]["id"])]
    admin_client, admin = api("admin")
    assert admin_client.get("/api/v1/voice", headers=admin).get_json()["total"] == 2


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_analysts_and_viewers_get_counts_not_records(app, api, partnership, role):
    client, headers = api(role)
    assert client.get("/api/v1/voice", headers=headers).status_code == 403
    assert client.post("/api/v1/voice", json={}, headers=headers).status_code == 403
    summary = client.get("/api/v1/voice/summary", headers=headers)
    assert summary.status_code == 200 and summary.get_json()["suppressing"] is True


def test_the_summary_hides_small_counts_as_null_for_non_admins(app, api, partnership):
    partnership.disclosure_threshold = 2
    db.session.commit()
    hub = make_agency(partnership)
    recorder, headers = api("trainer")
    for form, consent in (
        ("child_voice_8_12", {"given_by": "nobody", "assent": False}),
        ("child_voice_8_12", {"given_by": "nobody", "assent": False}),
        ("child_voice_4_7", {"given_by": "nobody", "assent": False}),
    ):
        data = body(hub, form_key=form, consent=consent, answers={})
        assert recorder.post("/api/v1/voice", json=data, headers=headers).status_code == 201
    viewer, viewer_headers = api("viewer")
    summary = viewer.get("/api/v1/voice/summary", headers=viewer_headers).get_json()
    bands = {
        r["label"]: r for r in next(t for t in summary["tables"] if t["key"] == "age_band")["rows"]
    }
    assert bands["Age 4 to 7"] == {"label": "Age 4 to 7", "count": None, "suppressed": True}
    assert summary["total"] == 3


def test_an_admin_follows_up_a_flag_through_the_api(app, api, partnership):
    hub = make_agency(partnership)
    recorder, headers = api("trainer")
    data = body(hub, answers={"worries": "I don't want to go home"})
    record = recorder.post("/api/v1/voice", json=data, headers=headers).get_json()["record"]
    admin, admin_headers = api("admin")
    url = f"/api/v1/voice/{record['id']}/follow-up"
    empty = admin.post(url, json={"note": ""}, headers=admin_headers)
    assert empty.status_code == 422 and empty.get_json()["error"]["details"][0]["path"] == "note"
    done = admin.post(url, json={"note": "Referral confirmed with the DSL"}, headers=admin_headers)
    assert done.status_code == 200 and done.get_json()["followed_up_at"]
    twice = admin.post(url, json={"note": "Again"}, headers=admin_headers)
    assert twice.status_code == 422
    assert (
        admin.post(
            "/api/v1/voice/abc/follow-up", json={"note": "x"}, headers=admin_headers
        ).status_code
        == 404
    )
