"""A link children and parents answer from, on their own device or one shared in a session."""

import hashlib
import re
from datetime import UTC, datetime

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import AuditEvent, SourceType
from feedback.models.voice import VoiceCollection, VoiceRecord
from feedback.services import ServiceError, voice
from feedback.services.segments import for_source
from tests.conftest import csrf_token, post_form
from tests.feedback.voice_helpers import (
    NOW,
    frozen_clock,  # noqa: F401
    make_agency,
)

PATH = re.compile(r"/v/([A-Za-z0-9_-]+)")


def make_link(client, auth, partnership, form_key="child_voice_8_12", consent_by="parent_carer"):
    """An admin creates a link through the pages; returns (collection, its path)."""
    auth.sign_in_as("admin")
    school = make_agency(partnership)
    response = post_form(
        client,
        "/voice/collections/new",
        {
            "title": "Year 5 three houses, spring term",
            "form_key": form_key,
            "setting_type": "school",
            "setting_detail": "Hilltop Primary School",
            "agency_id": str(school.id),
            "consent_by": consent_by,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    path = PATH.search(page).group(0)
    collection = db.session.scalars(sa.select(VoiceCollection)).one()
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    return collection, path


def without_nonce(page: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", page)


def answer(client, path, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_the_link_token_is_kept_only_as_a_hash(app, client, auth, partnership):
    collection, path = make_link(client, auth, partnership)
    token = path.removeprefix("/v/")
    assert collection.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with db.engine.connect() as conn:
        for row in conn.execute(sa.select(VoiceCollection.__table__)):
            assert token not in str(row)
    assert client.get(path[:-1] + ("A" if path[-1] != "A" else "B")).status_code == 404


def test_a_child_answers_with_no_account_and_the_next_child_gets_a_fresh_form(
    app, client, auth, partnership
):
    collection, path = make_link(client, auth, partnership)
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    form = first.get_data(as_text=True)
    assert 'autocomplete="off"' in form
    assert "Are you happy for us to use your answers" in form
    notice = f'href="/privacy?partnership={partnership.id}"'
    assert f"{partnership.name} holds what you tell us" in form and notice in form
    words = "Swimming on Saturdays with my cousin"
    sent = answer(client, path, feel_at_home="5", good_things=words, agree="yes", may_quote="yes")
    assert sent.status_code == 303 and sent.headers["Location"].endswith(path + "/thanks")
    thanks = client.get(sent.headers["Location"])
    assert thanks.headers["Cache-Control"] == "no-store"
    assert "Start again for the next person" in thanks.get_data(as_text=True)
    assert notice in thanks.get_data(as_text=True)
    fresh = client.get(path).get_data(as_text=True)
    assert words not in fresh and "checked" not in fresh
    record = db.session.scalars(sa.select(VoiceRecord)).one()
    assert record.channel.value == "self_completed" and record.recorded_by_id is None
    assert record.collection_id == collection.id and record.agency_id == collection.agency_id
    assert record.consent_by.value == "parent_carer" and record.assent is True
    assert record.sharing.value == "quotes"
    assert [s.text for s in for_source(SourceType.VOICE, record.id)] == [words]


def test_only_the_day_of_a_childs_answer_is_kept_and_it_is_not_audited(
    app, client, auth, partnership
):
    _, path = make_link(client, auth, partnership)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    answer(client, path, feel_at_home="3", agree="yes")
    record = db.session.scalars(sa.select(VoiceRecord)).one()
    midnight = datetime(2027, 3, 10, tzinfo=UTC)
    assert record.created_at == midnight and record.updated_at == midnight
    assert record.flagged_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_a_child_who_says_no_has_no_words_kept(app, client, auth, partnership):
    _, path = make_link(client, auth, partnership, form_key="child_voice_4_7")
    page = client.get(path).get_data(as_text=True)
    assert "Is it OK for grown-ups to use what you told us" in page
    answer(client, path, feel_today="1", worries="The big kids at the park", agree="no")
    record = db.session.scalars(sa.select(VoiceRecord)).one()
    assert not record.consented and record.text_dropped and record.sharing is None
    assert record.answers == {"feel_today": 1}
    assert for_source(SourceType.VOICE, record.id) == []


def test_the_child_must_say_yes_or_no_and_keeps_what_they_wrote_while_they_fix_it(
    app, client, auth, partnership
):
    _, path = make_link(client, auth, partnership)
    response = answer(client, path, dreams="A dog of my own")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Choose yes or no" in page
    assert 'href="#agree"' in page and "A dog of my own" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_a_flagged_answer_shows_the_same_thank_you_page_with_childline_and_flags_the_record(
    app, client, auth, partnership
):
    _, path = make_link(client, auth, partnership)
    calm = answer(client, path, worries="Spelling tests", agree="yes", may_quote="no")
    calm_page = client.get(calm.headers["Location"]).get_data(as_text=True)
    worried = answer(client, path, worries="My stepdad hits me", agree="no")
    worried_page = client.get(worried.headers["Location"]).get_data(as_text=True)
    assert without_nonce(worried_page) == without_nonce(calm_page)
    assert "Childline" in worried_page and "0800 1111" in worried_page
    assert "tell an adult you trust" in worried_page
    flagged = db.session.scalars(sa.select(VoiceRecord).where(VoiceRecord.flagged)).one()
    assert flagged.risk_categories == ["physical_harm"] and flagged.flagged_at == NOW
    assert flagged.answers == {} and flagged.text_dropped
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "voice.flagged")
    ).all()
    assert event.user_id is None and event.record_id == str(flagged.id)


def test_the_help_message_suits_the_age_of_the_child_and_parents_get_their_own(
    app, client, auth, partnership
):
    _, path = make_link(client, auth, partnership, form_key="child_voice_4_7")
    answer(client, path, feel_today="2", agree="yes")
    page = client.get(path + "/thanks").get_data(as_text=True)
    assert "tell a grown-up you trust" in page and "0800 1111" in page


def test_parents_answer_the_family_form_and_consent_for_themselves(app, client, auth, partnership):
    collection, path = make_link(client, auth, partnership, form_key="family_voice", consent_by="")
    assert collection.consent_by.value == "self"
    page = client.get(path).get_data(as_text=True)
    assert "agree_to_take_part" not in page  # consent is asked once, our way
    answer(client, path, what_helped="Having the same worker all the way through", agree="yes")
    record = db.session.scalars(sa.select(VoiceRecord)).one()
    assert record.respondent.value == "parent_carer" and record.consent_by.value == "self"
    assert record.sharing.value == "themes_only"
    thanks = client.get(path + "/thanks").get_data(as_text=True)
    assert "NSPCC" in thanks and "0808 800 5000" in thanks


def test_a_closed_link_takes_no_more_answers(app, client, auth, partnership):
    collection, path = make_link(client, auth, partnership)
    auth.sign_in("admin@testshire.example")
    url = f"/voice/collections/{collection.id}"
    closed = client.post(url + "/close", data={"csrf_token": csrf_token(client, url)})
    assert closed.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "This has closed" in page
    answer(client, path, feel_at_home="4", agree="yes")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent)).all()][-1] == (
        "voice_collection.closed"
    )


def _close(collection):
    collection.closed_at = datetime.now(UTC)
    db.session.commit()


def test_a_link_closed_after_the_form_was_loaded_says_it_has_closed(app, client, auth, partnership):
    collection, path = make_link(client, auth, partnership)
    token = csrf_token(client, path)  # the child has the form open
    _close(collection)
    sent = client.post(path, data={"csrf_token": token, "feel_at_home": "4", "agree": "yes"})
    assert sent.status_code == 200
    assert "This has closed" in sent.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_a_link_closed_while_the_answer_is_sent_says_it_has_closed_not_a_bare_400(
    app, client, auth, partnership, monkeypatch
):
    collection, path = make_link(client, auth, partnership)
    real = voice.record_from_collection

    def closed_just_now(found, *args):
        _close(found)  # the admin closes the link after the page checked it was open
        return real(found, *args)

    monkeypatch.setattr(voice, "record_from_collection", closed_just_now)
    sent = answer(client, path, feel_at_home="4", agree="yes")
    assert sent.status_code == 200
    assert sent.headers["Cache-Control"] == "no-store"
    assert "This has closed" in sent.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_an_answer_the_service_refuses_shows_the_form_again_with_the_reason(
    app, client, auth, partnership, monkeypatch
):
    _, path = make_link(client, auth, partnership)

    def refuse(*args):
        raise ServiceError("We could not save your answers. Please try again.")

    monkeypatch.setattr(voice, "record_from_collection", refuse)
    sent = answer(client, path, feel_at_home="4", agree="yes")
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200
    assert "There is a problem" in page and "We could not save your answers" in page
    assert "Are you happy for us to use your answers" in page


def test_creating_a_link_says_what_is_missing(app, client, auth, partnership):
    auth.sign_in_as("admin")
    make_agency(partnership)
    page = post_form(client, "/voice/collections/new", {"title": ""}).get_data(as_text=True)
    for message in (
        "Enter a title for the collection",
        "Choose who will answer",
        "Choose the kind of setting",
        "Choose the agency running it",
    ):
        assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceCollection)) == 0


def test_the_link_has_a_qr_code_and_its_page_lists_no_answers(app, client, auth, partnership):
    collection, path = make_link(client, auth, partnership)
    answer(client, path, good_things="My guinea pig", agree="yes")
    auth.sign_in("admin@testshire.example")
    svg = client.get(f"/voice/collections/{collection.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    page = client.get(f"/voice/collections/{collection.id}").get_data(as_text=True)
    assert path in page and "My guinea pig" not in page
    listing = client.get("/voice/collections").get_data(as_text=True)
    assert "Year 5 three houses, spring term" in listing


def test_the_service_confirms_tokens_in_constant_time_and_refuses_junk(app, partnership, make_user):
    admin = make_user("admin")
    school = make_agency(partnership)
    collection = voice.create_collection(
        partnership,
        voice.CollectionSpec("Drop-in", "child_voice_13_17", "youth", school.id, "child"),
        admin,
    )
    token = voice.collection_path(collection).removeprefix("/v/")
    assert voice.find_collection(token) == collection
    assert voice.find_collection("") is None
    assert voice.find_collection("x" * 500) is None
    assert voice.find_collection(token.upper() if token != token.upper() else token.lower()) is None


def test_guessing_link_tokens_is_rate_limited(app, client):
    guesser = {"REMOTE_ADDR": "203.0.113.77"}  # an address of its own: limits are per address
    statuses = [client.get(f"/v/guess-{n}", environ_base=guesser).status_code for n in range(121)]
    assert set(statuses[:120]) == {404}
    assert statuses[120] == 429
