"""Who sees what: records for admins and their recorder only (audited), counts for everyone."""

import re

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Partnership, Role, SourceType, TextSegment
from feedback.models.codebook import CodeStatus, SegmentCode
from feedback.models.voice import VoiceRecord
from feedback.services import ServiceError, voice
from tests.conftest import csrf_token, post_form
from tests.feedback.voice_helpers import (
    WORRY,
    audit_events,
    frozen_clock,  # noqa: F401
    make_agency,
    sign_out,
    spec,
)


def recorded_by(partnership, user, agency, **changes):
    return voice.record_voice(partnership, spec(agency, **changes), user).record


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("trainer", 404), ("scrutineer", 404), ("analyst", 403), ("viewer", 403)],
)
def test_only_admins_and_the_practitioner_who_recorded_it_see_a_record(
    app, client, auth, partnership, make_user, role, status
):
    author = make_user("trainer", "author@testshire.example")
    record = recorded_by(partnership, author, make_agency(partnership))
    auth.sign_in_as(role)
    response = client.get(f"/voice/{record.id}")
    assert response.status_code == status
    assert (WORRY in response.get_data(as_text=True)) is (status == 200)


def test_every_view_of_a_record_is_audited_on_the_page_and_the_api(
    app, client, auth, api, partnership, make_user
):
    author = make_user("scrutineer", "author@testshire.example")
    record = recorded_by(partnership, author, make_agency(partnership))
    auth.sign_in("author@testshire.example")
    assert client.get(f"/voice/{record.id}").status_code == 200
    assert client.get(f"/voice/{record.id}").status_code == 200
    api_client, headers = api("admin")
    assert api_client.get(f"/api/v1/voice/{record.id}", headers=headers).status_code == 200
    assert api_client.get("/api/v1/voice", headers=headers).status_code == 200
    views = audit_events("voice.viewed")
    assert [(e.user_id, e.record_id, e.detail["via"]) for e in views] == [
        (author.id, str(record.id), "page"),
        (author.id, str(record.id), "page"),
        (views[2].user_id, str(record.id), "api"),
        (views[2].user_id, str(record.id), "api"),
    ]
    assert views[2].user_id != author.id


def test_a_refused_look_at_someone_elses_record_is_not_audited_as_a_view(
    app, client, auth, partnership, make_user
):
    record = recorded_by(
        partnership, make_user("trainer", "a@testshire.example"), make_agency(partnership)
    )
    auth.sign_in_as("trainer", "b@testshire.example")
    assert client.get(f"/voice/{record.id}").status_code == 404
    assert client.get(f"/voice/{record.id}/edit").status_code == 404
    assert audit_events("voice.viewed") == []


def test_recorders_list_their_own_records_admins_list_all_and_others_only_counts(
    app, client, auth, partnership, make_user
):
    school = make_agency(partnership)
    mine = recorded_by(
        partnership, make_user("trainer", "me@testshire.example"), school, local_reference="MINE-1"
    )
    recorded_by(
        partnership,
        make_user("scrutineer", "you@testshire.example"),
        school,
        local_reference="YOURS-1",
    )
    auth.sign_in("me@testshire.example")
    page = client.get("/voice").get_data(as_text=True)
    assert "MINE-1" in page and "YOURS-1" not in page and f"/voice/{mine.id}" in page
    sign_out(client)
    auth.sign_in_as("admin")
    page = client.get("/voice").get_data(as_text=True)
    assert "MINE-1" in page and "YOURS-1" in page
    sign_out(client)
    auth.sign_in_as("viewer")
    page = client.get("/voice").get_data(as_text=True)
    assert "MINE-1" not in page and "/voice/" + str(mine.id) not in page
    assert "Records by age band" in page


def age_band_counts(page: str) -> dict[str, str]:
    table = page.split('id="voice-age_band-table"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<t[hd][^>]*>\s*(.*?)\s*</t[hd]>", table, re.S)
    return dict(zip(cells[2::2], cells[3::2], strict=False))


def test_counts_under_the_threshold_are_hidden_from_everyone_but_admins(
    app, client, auth, partnership, make_user
):
    partnership.disclosure_threshold = 5
    db.session.commit()
    trainer = make_user("trainer", "t@testshire.example")
    school = make_agency(partnership)
    for _ in range(7):
        recorded_by(partnership, trainer, school, answers={})
    for _ in range(2):
        recorded_by(partnership, trainer, school, form_key="child_voice_13_17", answers={})
    for _ in range(3):
        recorded_by(partnership, trainer, school, form_key="child_voice_4_7", answers={})
    auth.sign_in_as("viewer")
    hidden = age_band_counts(client.get("/voice").get_data(as_text=True))
    assert hidden == {
        "Age 4 to 7": "[c]",
        "Age 8 to 12": "7",
        "Age 13 to 17": "[c]",
        "Parent or carer": "0",
        "All records": "12",
    }
    sign_out(client)
    auth.sign_in_as("admin")
    shown = age_band_counts(client.get("/voice").get_data(as_text=True))
    assert shown["Age 4 to 7"] == "3" and shown["Age 13 to 17"] == "2"


def test_a_lone_small_count_is_hidden_with_another_so_it_cannot_be_worked_out(
    app, partnership, make_user
):
    partnership.disclosure_threshold = 3
    db.session.commit()
    trainer = make_user("trainer")
    school = make_agency(partnership)
    for _ in range(4):
        recorded_by(partnership, trainer, school, answers={})
    for _ in range(3):
        recorded_by(
            partnership,
            trainer,
            school,
            form_key="family_voice",
            consent_by="self",
            assent=None,
            answers={},
        )
    recorded_by(partnership, trainer, school, form_key="child_voice_4_7", answers={})
    result = voice.summary(partnership, Role.ANALYST)
    bands = dict(next(t for t in result.tables if t.key == "age_band").rows)
    assert str(bands["Age 4 to 7"]) == "[c]"
    assert str(bands["Parent or carer"]) == "[c]"  # else 8 - 4 - 3 gives the 1 away
    assert bands["Age 8 to 12"] == 4


def test_with_fewer_records_than_the_threshold_nothing_is_counted_for_non_admins(
    app, partnership, make_user
):
    recorded_by(partnership, make_user("trainer"), make_agency(partnership))
    result = voice.summary(partnership, Role.VIEWER)
    assert str(result.total) == "[c]"
    assert all(not isinstance(c, int) or c == 0 for t in result.tables for _, c in t.rows)
    assert voice.summary(partnership, Role.ADMIN).total == 1


def test_confirmed_themes_are_counted_once_per_record_and_suggestions_are_not(
    app, partnership, make_user
):
    partnership.disclosure_threshold = 1
    db.session.commit()
    trainer = make_user("trainer")
    school = make_agency(partnership)
    records = [recorded_by(partnership, trainer, school) for _ in range(2)]
    segments = db.session.scalars(
        sa.select(TextSegment).where(TextSegment.source_type == SourceType.VOICE)
    ).all()
    for segment in segments:
        db.session.add(
            SegmentCode(
                segment_id=segment.id, theme_key="voice_of_child", status=CodeStatus.CONFIRMED
            )
        )
        db.session.add(
            SegmentCode(segment_id=segment.id, theme_key="neglect", status=CodeStatus.SUGGESTED)
        )
    db.session.commit()
    themes = dict(voice.summary(partnership, Role.VIEWER).themes.rows)
    assert themes == {"Voice of child": len(records)}


def test_flags_reach_the_partnership_teams_home_page_and_are_followed_up_with_a_note(
    app, client, auth, partnership, make_user
):
    trainer = make_user("trainer", "t@testshire.example")
    school = make_agency(partnership)
    record = recorded_by(partnership, trainer, school, answers={"worries": "Dad hits me"})
    recorded_by(partnership, trainer, school)
    admin = auth.sign_in_as("admin")
    home = client.get("/").get_data(as_text=True)
    assert "Child and family voice: flags to follow up" in home
    assert f"/voice/{record.id}/follow-up" in home
    flags = client.get("/voice/flags").get_data(as_text=True)
    assert "Awaiting follow-up" in flags and "being hurt or hit" in flags
    url = f"/voice/{record.id}/follow-up"
    refused = post_form(client, url, {"note": "  "})
    assert "Enter what was done to follow up the flag" in refused.get_data(as_text=True)
    done = post_form(client, url, {"note": "DSL confirmed a referral to children's social care"})
    assert done.status_code == 302
    db.session.refresh(record)
    assert record.followed_up_by_id == admin.id and record.followed_up_at is not None
    [event] = audit_events("voice.followed_up")
    assert event.user_id == admin.id and event.detail is None
    home = client.get("/").get_data(as_text=True)
    assert f"/voice/{record.id}/follow-up" not in home
    assert "No voice records are waiting for follow-up" in home
    shown = client.get(f"/voice/{record.id}").get_data(as_text=True)
    assert "Followed up" in shown and "DSL confirmed a referral" in shown
    assert "This platform is not a referral route" not in shown


def test_a_flag_cannot_be_followed_up_twice_or_by_anyone_but_an_admin(app, partnership, make_user):
    trainer, admin = make_user("trainer"), make_user("admin")
    record = recorded_by(
        partnership, trainer, make_agency(partnership), answers={"worries": "He hits me"}
    )
    with pytest.raises(ServiceError):
        voice.follow_up(record, "Checked", trainer)
    voice.follow_up(record, "Checked with the DSL", admin)
    with pytest.raises(ServiceError, match="already been followed up"):
        voice.follow_up(record, "Again", admin)


def test_recorders_are_pointed_to_recording_on_their_home_page(app, client, auth, partnership):
    auth.sign_in_as("scrutineer")
    home = client.get("/").get_data(as_text=True)
    assert "Record a child&#39;s or family&#39;s voice" in home
    assert "Voice records you made" in home


def test_a_record_in_another_partnership_is_not_found_even_for_an_admin(
    app, client, auth, partnership, make_user
):
    record = recorded_by(partnership, make_user("trainer"), make_agency(partnership))
    other = Partnership(name="Elsewhere SCP")
    db.session.add(other)
    db.session.commit()
    from feedback.services import accounts

    accounts.create_user(other, "admin@elsewhere.example", "admin", "correct-horse-battery")
    auth.sign_in("admin@elsewhere.example")
    assert client.get(f"/voice/{record.id}").status_code == 404
    assert client.get(f"/voice/{record.id}/follow-up").status_code == 404
    url = f"/voice/{record.id}/follow-up"
    response = client.post(url, data={"csrf_token": csrf_token(client, "/voice"), "note": "x"})
    assert response.status_code == 404
    assert db.session.get(VoiceRecord, record.id).follow_up_note is None
