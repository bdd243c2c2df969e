"""Recording child and family voice: consent rules, no identifying details, text segments."""

import re

import pytest
import sqlalchemy as sa
from marshmallow import fields as ma_fields

from feedback.extensions import db
from feedback.models import SourceType, TextSegment
from feedback.models.voice import ConsentBy, VoiceCollection, VoiceRecord
from feedback.services import ServiceError, voice
from feedback.services.segments import for_source
from tests.conftest import csrf_token
from tests.feedback.voice_helpers import (
    DREAM,
    GATHERED,
    GOOD,
    WORRY,
    audit_events,
    frozen_clock,  # noqa: F401
    make_agency,
    page_data,
    spec,
)

NEW = "/voice/new?form=child_voice_8_12"


def post_record(client, data, url=NEW):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def only_record() -> VoiceRecord:
    [record] = db.session.scalars(sa.select(VoiceRecord)).all()
    return record


def test_a_practitioner_records_a_childs_words_and_each_becomes_a_text_segment(
    app, client, auth, partnership
):
    trainer = auth.sign_in_as("trainer")
    school = make_agency(partnership)
    response = post_record(client, page_data(school, local_reference="CIN-4821"))
    assert response.status_code == 302
    record = only_record()
    assert response.headers["Location"].endswith(f"/voice/{record.id}")
    assert record.recorded_by_id == trainer.id
    assert record.age_band.value == "8_12" and record.respondent.value == "child"
    assert record.local_reference == "CIN-4821"
    assert record.consented and record.sharing.value == "quotes"
    assert record.answers["worries"] == WORRY
    segments = for_source(SourceType.VOICE, record.id)
    assert {(s.field, s.text) for s in segments} == {
        ("good_things", GOOD),
        ("worries", WORRY),
        ("dreams", DREAM),
    }
    assert all(
        s.occurred_on == GATHERED
        and s.agency_id == school.id
        and s.respondent_key == str(record.id)
        and s.field_label
        for s in segments
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Voice record saved" in page and WORRY in page


def test_without_consent_the_words_are_dropped_not_stored_and_the_recorder_is_told(
    app, client, auth, partnership
):
    auth.sign_in_as("scrutineer")
    school = make_agency(partnership)
    data = page_data(school, consent_by="nobody", sharing=None, **{"who_listens-other": "My nan"})
    data["who_listens"] = ["teacher", "other"]
    response = post_record(client, data)
    assert response.status_code == 302
    record = only_record()
    assert not record.consented and record.text_dropped and record.sharing is None
    assert record.answers == {
        "feel_at_home": 4,
        "feel_at_school": 5,
        "who_listens": {"selected": ["teacher", "other"]},
    }
    assert for_source(SourceType.VOICE, record.id) == []
    # Nothing they said is anywhere in the database: not the record, segments or audit log.
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                assert WORRY not in str(row) and "My nan" not in str(row), table.name
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Consent was not given, so what was written has not been kept" in page
    assert WORRY not in page


def test_a_child_who_does_not_assent_keeps_no_words_even_with_a_parents_consent(
    app, partnership, make_user
):
    trainer = make_user("trainer")
    outcome = voice.record_voice(partnership, spec(make_agency(partnership), assent=False), trainer)
    assert not outcome.record.consented and outcome.text_dropped
    assert "worries" not in outcome.record.answers
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TextSegment)) == 0


@pytest.mark.parametrize(
    ("consent_by", "consented"),
    [("parent_carer", True), ("child", True), ("local_authority", True), ("nobody", False)],
)
def test_who_gave_consent_for_a_child_is_recorded(
    app, partnership, make_user, consent_by, consented
):
    outcome = voice.record_voice(
        partnership, spec(make_agency(partnership), consent_by=consent_by), make_user("admin")
    )
    assert outcome.record.consent_by == ConsentBy(consent_by)
    assert outcome.record.assent is True
    assert outcome.record.consented is consented


def test_a_parent_consents_for_themselves_and_cannot_be_recorded_as_a_childs_consent(
    app, partnership, make_user
):
    admin = make_user("admin")
    agency = make_agency(partnership)
    answers = {"listened_to": 4, "what_helped": "The family support worker came every week"}
    with pytest.raises(ServiceError) as refused:
        voice.record_voice(
            partnership,
            spec(agency, form_key="family_voice", consent_by="parent_carer", answers=answers),
            admin,
        )
    assert refused.value.field == "consent_by"
    outcome = voice.record_voice(
        partnership,
        spec(agency, form_key="family_voice", consent_by="self", assent=None, answers=answers),
        admin,
    )
    record = outcome.record
    assert record.respondent.value == "parent_carer" and record.age_band is None
    assert record.assent is None and record.consented
    assert [s.text for s in for_source(SourceType.VOICE, record.id)] == [answers["what_helped"]]


def test_consent_without_saying_what_may_be_shared_is_refused_where_it_is(
    app, partnership, make_user
):
    with pytest.raises(voice.VoiceInputError) as refused:
        voice.record_voice(
            partnership, spec(make_agency(partnership), sharing=None), make_user("trainer")
        )
    assert [d["path"] for d in refused.value.details] == ["sharing"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


@pytest.mark.parametrize(
    "reference",
    [
        "JS 12/03/2015",
        "JS 12.3.15",
        "2015-03-12",
        "Jay 12 March 2015",
        "B Mar2015",
        "JS120315",
        "ref 20150312",
        "Jayden Smith",
        "jayden smith 4",
        "Ayesha (Y5)",
    ],
)
def test_a_local_reference_with_a_date_or_a_name_is_refused_with_the_reason(app, reference):
    with pytest.raises(ServiceError) as refused:
        voice.check_local_reference(reference)
    assert refused.value.field == "local_reference"
    assert re.search(r"date|name|letters, numbers", refused.value.message)


@pytest.mark.parametrize("reference", ["CIN-4821", "Group A", "Y5 B", "LA/2027/0412", "123456", ""])
def test_a_local_reference_from_the_practitioners_own_system_is_accepted(app, reference):
    assert voice.check_local_reference(reference) == (reference or None)


def test_a_reference_holding_a_date_of_birth_is_refused_on_the_page_and_nothing_is_saved(
    app, client, auth, partnership
):
    auth.sign_in_as("trainer")
    response = post_record(client, page_data(make_agency(partnership), local_reference="JS 120315"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Local reference must not contain a date" in page
    assert 'href="#local_reference"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_a_form_with_nothing_filled_in_says_what_is_missing_for_each_field(
    app, client, auth, partnership
):
    auth.sign_in_as("admin")
    make_agency(partnership)
    response = post_record(client, {})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("govuk-error-message") >= 6
    for message in (
        "Enter the date you gathered it",
        "Choose your agency from the list",
        "Choose the kind of setting",
        "Choose how you gathered the child&#39;s voice",
        "Say whether the child agreed to share their views",
        "Say who gave consent, or that nobody did",
    ):
        assert message in page, message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoiceRecord)) == 0


def test_a_date_in_the_future_or_that_does_not_exist_is_refused(app, client, auth, partnership):
    auth.sign_in_as("trainer")
    school = make_agency(partnership)
    page = post_record(client, page_data(school, occurred_on=["1", "4", "2027"])).get_data(
        as_text=True
    )
    assert "The date must be today or in the past" in page
    page = post_record(client, page_data(school, occurred_on=["31", "2", "2027"])).get_data(
        as_text=True
    )
    assert "Enter a real date, for example 27 3 2027" in page


def test_an_answer_the_question_cannot_take_is_refused_at_that_question(
    app, partnership, make_user
):
    answers = {"feel_at_home": 9, "favourite_colour": "blue", "worries": "x" * 501}
    with pytest.raises(voice.VoiceInputError) as refused:
        voice.record_voice(
            partnership, spec(make_agency(partnership), answers=answers), make_user("trainer")
        )
    paths = {d["path"] for d in refused.value.details}
    assert paths == {"answers.feel_at_home", "answers.favourite_colour", "answers.worries"}


def test_an_agency_from_another_partnership_is_refused(app, partnership, make_user):
    from feedback.models import Agency, Partnership

    other = Partnership(name="Elsewhere SCP")
    db.session.add(other)
    db.session.flush()
    theirs = Agency(partnership_id=other.id, name="Elsewhere Police", sector="police")
    db.session.add(theirs)
    db.session.commit()
    with pytest.raises(voice.VoiceInputError) as refused:
        voice.record_voice(partnership, spec(theirs), make_user("admin"))
    assert [d["path"] for d in refused.value.details] == ["agency_id"]


def test_withdrawing_consent_on_a_change_drops_the_words_and_their_segments(
    app, client, auth, partnership
):
    auth.sign_in_as("trainer")
    school = make_agency(partnership)
    post_record(client, page_data(school))
    record = only_record()
    assert len(for_source(SourceType.VOICE, record.id)) == 3
    edit = f"/voice/{record.id}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert WORRY in form and 'value="CIN' not in form
    response = post_record(client, page_data(school, consent_by="nobody", sharing=None), edit)
    assert response.status_code == 302
    record = only_record()
    assert not record.consented and record.text_dropped
    assert "worries" not in record.answers
    assert for_source(SourceType.VOICE, record.id) == []
    assert [e.detail["consented"] for e in audit_events("voice.updated")] == [False]


def test_changing_the_words_replaces_their_segments(app, partnership, make_user):
    trainer = make_user("trainer")
    school = make_agency(partnership)
    record = voice.record_voice(partnership, spec(school), trainer).record
    answers = {**record.answers, "worries": "Tests at school make me nervous"}
    voice.update_voice(record, spec(school, answers=answers), trainer)
    texts = {s.field: s.text for s in for_source(SourceType.VOICE, record.id)}
    assert texts["worries"] == "Tests at school make me nervous"
    assert texts["good_things"] == GOOD


IDENTIFYING = re.compile(r"(^|_)(name|surname|forename|dob|birth|address|postcode|nhs)(_|$)")


def test_nothing_anywhere_asks_for_or_stores_a_childs_name_or_date_of_birth(
    app, client, auth, partnership
):
    for table in (VoiceRecord.__table__, VoiceCollection.__table__):
        assert not [c.name for c in table.columns if IDENTIFYING.search(c.name)]
    from feedback.api.voice import VoiceCreateSchema, VoiceRecordSchema

    for schema in (VoiceCreateSchema(), VoiceRecordSchema()):
        names = set(schema.fields)
        for f in schema.fields.values():
            if isinstance(f, ma_fields.Nested):
                names |= set(f.schema.fields)
        assert not [n for n in names if IDENTIFYING.search(n)]
    auth.sign_in_as("trainer")
    make_agency(partnership)
    for key in voice.FORMS:
        page = client.get(f"/voice/new?form={key}").get_data(as_text=True)
        inputs = set(re.findall(r'name="([^"]+)"', page))
        assert inputs and not [n for n in inputs if IDENTIFYING.search(n)], key
        questions = re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", page, re.S)
        asked = [re.sub(r"<[^>]+>", "", q).strip().lower() for q in questions]
        assert asked and not [q for q in asked if "name" in q or "birth" in q], key
