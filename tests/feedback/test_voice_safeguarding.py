"""The safeguarding prompt: shown at once and the record flagged when words suggest a risk."""

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models.voice import VoiceRecord
from feedback.services import voice
from tests.conftest import csrf_token
from tests.feedback.voice_helpers import (
    NOW,
    audit_events,
    frozen_clock,  # noqa: F401
    make_agency,
    page_data,
    spec,
)

NEW = "/voice/new?form=child_voice_8_12"
NOT_A_REFERRAL_ROUTE = "This platform is not a referral route"

#: What children and parents actually say, in the box where they say it.
AT_RISK = [
    ("worries", "Dad hits me when he has been drinking"),
    ("worries", "I don't feel safe at home when mum's boyfriend is there"),
    ("worries", "I'm scared of my stepdad"),
    ("dreams", "I don't want to go home after school"),
    ("worries", "He touched me and said it was our secret"),
    ("worries", "sometimes I cut myself when I'm sad"),
    ("good_things", "nothing, there's never any food in the house"),
    ("worries", "mum's boyfriend shouts and throws things at us"),
]
SAFE = [
    ("worries", "I feel safe at home and at school"),
    ("worries", "Nobody hurts me"),
    ("worries", "I'm not scared of anything at home"),
    ("dreams", "I want to go home at home time to see my cat"),
    ("good_things", "We hit the ball really far in PE"),
    ("worries", "I'm scared of spiders"),
]


def post_record(client, data, url=NEW):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


@pytest.mark.parametrize(("field", "words"), AT_RISK)
def test_words_suggesting_risk_show_the_prompt_at_once_and_flag_the_record(
    app, client, auth, partnership, field, words
):
    trainer = auth.sign_in_as("trainer")
    response = post_record(client, page_data(make_agency(partnership), **{field: words}))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert NOT_A_REFERRAL_ROUTE in page
    assert "Follow your agency&#39;s safeguarding procedures now" in page
    assert 'role="alert"' in page
    record = db.session.scalars(sa.select(VoiceRecord)).one()
    assert record.flagged and record.flagged_at == NOW and record.risk_categories
    [flagged] = audit_events("voice.flagged")
    assert flagged.user_id == trainer.id and flagged.record_id == str(record.id)
    assert words not in str(flagged.detail)


@pytest.mark.parametrize(("field", "words"), SAFE)
def test_safe_or_ordinary_words_and_denials_do_not_prompt_or_flag(
    app, client, auth, partnership, field, words
):
    auth.sign_in_as("scrutineer")
    response = post_record(client, page_data(make_agency(partnership), **{field: words}))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert NOT_A_REFERRAL_ROUTE not in page
    record = db.session.scalars(sa.select(VoiceRecord)).one()
    assert not record.flagged and record.risk_categories is None
    assert audit_events("voice.flagged") == []


def test_words_without_consent_are_read_for_risk_before_they_are_dropped(
    app, partnership, make_user
):
    answers = {"worries": "My uncle hurts me", "feel_at_home": 1}
    outcome = voice.record_voice(
        partnership,
        spec(make_agency(partnership), consent_by="nobody", sharing=None, answers=answers),
        make_user("trainer"),
    )
    record = outcome.record
    assert outcome.prompt == voice.SAFEGUARDING_PROMPT
    assert record.flagged and record.risk_categories == ["physical_harm"]
    assert record.answers == {"feel_at_home": 1} and record.text_dropped


def test_the_prompt_shows_on_the_form_when_it_comes_back_with_errors(
    app, client, auth, partnership
):
    auth.sign_in_as("admin")
    data = page_data(make_agency(partnership), worries="He hits me", method=None)
    page = post_record(client, data).get_data(as_text=True)
    assert "Choose how you gathered" in page
    assert NOT_A_REFERRAL_ROUTE in page and "being hurt or hit" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_a_change_never_clears_a_flag_and_a_new_concern_reopens_a_followed_up_one(
    app, partnership, make_user
):
    trainer, admin = make_user("trainer"), make_user("admin", "team@testshire.example")
    school = make_agency(partnership)
    record = voice.record_voice(
        partnership, spec(school, answers={"worries": "I'm scared of my uncle"}), trainer
    ).record
    voice.update_voice(record, spec(school, answers={"worries": "All fine now"}), trainer)
    assert record.flagged and record.risk_categories == ["fear"]
    voice.follow_up(record, "DSL confirmed a referral was made", admin)
    with clock.frozen_at(NOW.replace(day=12)):
        voice.update_voice(
            record, spec(school, answers={"worries": "I don't want to go home"}), trainer
        )
    assert record.followed_up_at is None and record.risk_categories == ["fear", "home"]
    assert record.flagged_at == NOW.replace(day=12)
    assert [e.detail["categories"] for e in audit_events("voice.flagged")] == [["fear"], ["home"]]


def test_the_api_returns_the_flag_and_the_prompt_so_integrators_show_it(app, api, partnership):
    client, headers = api("scrutineer")
    school = make_agency(partnership)
    body = {
        "form_key": "child_voice_13_17",
        "setting_type": "youth",
        "agency_id": school.id,
        "method": "conversation",
        "occurred_on": "2027-03-09",
        "consent": {"given_by": "child", "assent": True, "sharing": "themes_only"},
        "answers": {"worries": "I've been self-harming again", "how_things_are": 2},
    }
    created = client.post("/api/v1/voice", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    safeguarding = created.get_json()["safeguarding"]
    assert safeguarding["flagged"] is True
    assert safeguarding["prompt"].startswith(NOT_A_REFERRAL_ROUTE)
    assert safeguarding["signals"] == [
        {"category": "self_harm", "label": "self-harm or suicidal thoughts"}
    ]
    body["answers"] = {"worries": "I feel safe where I live now"}
    calm = client.post("/api/v1/voice", json=body, headers=headers).get_json()
    assert calm["safeguarding"] == {"flagged": False, "signals": [], "prompt": None}
