"""A theme's front-line evidence: confirmed codes only, small sources hidden, the trend since a
link, and the triangulation of themes across sources."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Role, SourceType, TextSegment
from feedback.models.codebook import CodeStatus, SegmentCode
from feedback.services import evidence, voice
from tests.feedback.records_support import coded
from tests.feedback.voice_helpers import DREAM, GOOD, WORRY, make_agency, spec

ON = date(2027, 3, 10)


@pytest.fixture
def threshold_3(partnership):
    partnership.disclosure_threshold = 3
    db.session.commit()
    return partnership


def _survey_comments(partnership, n, *, on=ON, sentiment="negative", prefix="staff"):
    for i in range(n):
        coded(
            partnership.id,
            SourceType.STAFF_SURVEY,
            f"We are not told what happened after we share information ({prefix} {i})",
            "information_sharing",
            on=on,
            respondent=f"{prefix}-{i}",
            sentiment=sentiment,
        )


def test_only_confirmed_agreed_codes_count_as_evidence(threshold_3, make_user):
    p = threshold_3
    coder = make_user("analyst")
    _survey_comments(p, 3)
    coded(p.id, SourceType.STAFF_SURVEY, "A suggestion only", "information_sharing", on=ON,
          respondent="s1", status=CodeStatus.SUGGESTED)  # fmt: skip
    coded(p.id, SourceType.STAFF_SURVEY, "Rejected by an analyst", "information_sharing", on=ON,
          respondent="s2", status=CodeStatus.REJECTED)  # fmt: skip
    coded(p.id, SourceType.STAFF_SURVEY, "One coder's blind code", "information_sharing", on=ON,
          respondent="s3", coder_id=coder.id)  # fmt: skip

    found = evidence.theme_evidence(p, "information_sharing", "Information sharing", role="admin")

    assert [(s.source, s.segments, s.respondents) for s in found.sources] == [
        (SourceType.STAFF_SURVEY, 3, 3)
    ]
    quoted = {q.text for q in found.sources[0].quotes}
    assert not quoted & {"A suggestion only", "Rejected by an analyst", "One coder's blind code"}


def test_a_source_below_the_threshold_is_hidden_and_never_quoted_except_for_admins(threshold_3):
    p = threshold_3
    _survey_comments(p, 4)
    for i in range(5):
        coded(p.id, SourceType.SCRUTINY_VISIT, f"Visit note {i}: no feedback after referrals",
              "information_sharing", on=ON, respondent=f"visit:{i}")  # fmt: skip
    coded(p.id, SourceType.VOICE, "Nobody told my mum what the school said", "information_sharing",
          on=ON, respondent="voice:1")  # fmt: skip

    viewer = evidence.theme_evidence(p, "information_sharing", "Information sharing", role="viewer")
    by_source = {s.source: s for s in viewer.sources}
    voice = by_source[SourceType.VOICE]
    assert voice.hidden and str(voice.segments) == "[c]" and voice.quotes == []
    assert [s.source for s in viewer.sources if s.hidden] == [SourceType.VOICE]
    # A total beside the hidden count would give it away: the totals are hidden with it.
    assert str(viewer.total_segments) == str(viewer.total_respondents) == "[c]"
    assert by_source[SourceType.SCRUTINY_VISIT].respondents == 5
    assert by_source[SourceType.SCRUTINY_VISIT].quotes

    admin = evidence.theme_evidence(p, "information_sharing", "Information sharing", role="admin")
    voice = {s.source: s for s in admin.sources}[SourceType.VOICE]
    assert voice.respondents == 1


def test_a_child_who_agreed_to_themes_only_is_counted_but_never_quoted(threshold_3, make_user):
    p = threshold_3
    agency = make_agency(p)
    recorder = make_user("scrutineer")
    with clock.frozen_at(datetime(2027, 3, 10, 12, tzinfo=UTC)):
        quotable = voice.record_voice(p, spec(agency, sharing="quotes"), recorder).record
        themes_only = voice.record_voice(
            p,
            spec(agency, sharing="themes_only", answers={"worries": "Nobody asks me what I think"}),
            recorder,
        ).record
    for segment in db.session.scalars(
        sa.select(TextSegment).where(TextSegment.source_type == SourceType.VOICE)
    ):
        db.session.add(
            SegmentCode(segment_id=segment.id, theme_key="voice_of_child", confidence=0.9,
                        status=CodeStatus.CONFIRMED)
        )  # fmt: skip
    db.session.commit()

    found = evidence.theme_evidence(p, "voice_of_child", "Voice of the child", role="admin")

    by_source = {s.source: s for s in found.sources}
    assert by_source[SourceType.VOICE].respondents == 2
    quoted = {q.text for q in by_source[SourceType.VOICE].quotes}
    assert quoted and quoted <= {GOOD, WORRY, DREAM}, (quotable.id, quoted)
    assert "Nobody asks me what I think" not in quoted, themes_only.id


def test_quotes_are_one_per_person_and_never_the_same_words_twice(threshold_3):
    p = threshold_3
    for i in range(4):
        coded(p.id, SourceType.STAFF_SURVEY, "Same words from everyone", "information_sharing",
              on=ON, respondent=f"r{i}")  # fmt: skip
    coded(p.id, SourceType.STAFF_SURVEY, "Different words", "information_sharing", on=ON,
          respondent="r9", sentiment="positive")  # fmt: skip

    found = evidence.theme_evidence(p, "information_sharing", "Information sharing", role="admin")

    texts = [q.text for q in found.sources[0].quotes]
    assert sorted(texts) == ["Different words", "Same words from everyone"]


def test_the_trend_says_whether_the_theme_got_better_since_the_link(threshold_3):
    p = threshold_3
    _survey_comments(p, 4, on=date(2027, 1, 15), prefix="before")
    _survey_comments(p, 1, on=date(2027, 6, 15), prefix="after-neg")
    _survey_comments(p, 3, on=date(2027, 6, 20), sentiment="positive", prefix="after-pos")

    found = evidence.theme_evidence(
        p,
        "information_sharing",
        "Information sharing",
        role="viewer",
        linked_at=datetime(2027, 4, 1, 9, tzinfo=UTC),
    )

    assert found.comparison.verdict == "better"
    assert found.comparison.before_negative == 100.0
    assert found.comparison.after_negative == 25.0
    assert [(q.label, q.after_link) for q in found.quarters] == [
        ("Jan to Mar 2027", False),
        ("Apr to Jun 2027", True),
    ]


def test_a_trend_on_too_few_people_says_there_is_not_enough_evidence_yet(threshold_3):
    p = threshold_3
    _survey_comments(p, 4, on=date(2027, 1, 15))
    _survey_comments(p, 1, on=date(2027, 6, 15), prefix="after")

    found = evidence.theme_evidence(
        p, "information_sharing", "x", role="viewer", linked_at=datetime(2027, 4, 1, tzinfo=UTC)
    )

    assert found.comparison.verdict == "not enough evidence yet"
    assert found.comparison.after_negative is None  # one person's comment is not shown


def test_the_evidence_period_leaves_out_comments_outside_it(threshold_3):
    p = threshold_3
    _survey_comments(p, 3, on=date(2026, 5, 1), prefix="old")
    _survey_comments(p, 4, on=date(2027, 5, 1), prefix="new")

    found = evidence.theme_evidence(
        p,
        "information_sharing",
        "x",
        role="admin",
        from_on=date(2027, 1, 1),
        to_on=date(2027, 6, 30),
    )

    assert found.total_segments == 4


def test_triangulation_counts_confirmed_codes_by_theme_and_source_and_hides_small_cells(
    threshold_3, client, auth
):
    p = threshold_3
    _survey_comments(p, 6)
    for i in range(4):
        coded(p.id, SourceType.PRACTITIONER_FORUM, f"Forum {i}", "information_sharing", on=ON,
              respondent=f"forum:{i}")  # fmt: skip
    coded(p.id, SourceType.VOICE, "One child's words", "voice_of_child", on=ON, respondent="v1")
    for i in range(5):
        coded(p.id, SourceType.STAFF_SURVEY, f"Neglect {i}", "neglect", on=ON, respondent=f"n{i}")

    admin_table = evidence.triangulation(
        p, {"information_sharing": "Information sharing"}, role=Role.ADMIN
    )
    assert admin_table.cells["information_sharing"] == {
        "staff_survey": 6,
        "practitioner_forum": 4,
        "voice": 0,
    }
    assert admin_table.cells["voice_of_child"]["voice"] == 1

    viewer_table = evidence.triangulation(p, {}, role=Role.VIEWER)
    assert str(viewer_table.cells["voice_of_child"]["voice"]) == "[c]"

    auth.sign_in_as("viewer")
    page = client.get("/records/triangulation").get_data(as_text=True)
    assert "[c]" in page
    assert 'role="img"' in page  # the heat map, with the same numbers in the table below
    assert "Confirmed theme codes by source" in page


def test_theme_page_shows_the_evidence_and_refuses_an_unknown_theme(threshold_3, client, auth):
    _survey_comments(threshold_3, 3)
    auth.sign_in_as("analyst")

    page = client.get("/records/themes/information_sharing")
    assert page.status_code == 200
    assert "We are not told what happened after we share information" in page.get_data(True)
    assert client.get("/records/themes/not_a_theme").status_code == 404
    bad = client.get("/records/themes/information_sharing?from=2027-05-01&to=2027-01-01")
    assert bad.status_code == 200
    assert "The end of the period must be on or after its start" in bad.get_data(True)


def test_evidence_api_shows_sources_and_hides_small_counts_for_viewers(threshold_3, api):
    p = threshold_3
    _survey_comments(p, 3)
    coded(p.id, SourceType.VOICE, "Nobody listened", "information_sharing", on=ON, respondent="v")

    client, headers = api("viewer")
    response = client.get("/api/v1/themes/information_sharing/evidence", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    voice = next(s for s in body["sources"] if s["source"] == "voice")
    assert voice["suppressed"] is True and voice["segments"] is None and voice["quotes"] == []

    admin_client, admin_headers = api("admin")
    body = admin_client.get(
        "/api/v1/themes/information_sharing/evidence?from=2027-01-01&to=2027-12-31",
        headers=admin_headers,
    ).get_json()
    assert {s["source"]: s["segments"] for s in body["sources"]} == {"staff_survey": 3, "voice": 1}

    missing = client.get("/api/v1/themes/no_such_theme/evidence", headers=headers)
    assert missing.status_code == 404
    backwards = client.get(
        "/api/v1/themes/information_sharing/evidence?from=2027-05-01&to=2027-01-01",
        headers=headers,
    )
    assert backwards.status_code == 422
    assert backwards.get_json()["error"]["details"][0]["path"] == "to"


def test_the_trend_cannot_be_used_to_work_out_a_hidden_source(threshold_3):
    p = threshold_3
    _survey_comments(p, 4)
    coded(p.id, SourceType.VOICE, "Nobody told my mum", "information_sharing", on=ON,
          respondent="voice:1")  # fmt: skip
    coded(p.id, SourceType.VOICE, "Nobody told me either", "information_sharing", on=ON,
          respondent="voice:1", sentiment="positive")  # fmt: skip

    viewer = evidence.theme_evidence(p, "information_sharing", "x", role="viewer")
    shown = sum(s.segments for s in viewer.sources if not s.hidden)
    assert shown == 4
    # The quarters add up to the sources shown, not to them and the hidden voice record.
    assert sum(q.segments for q in viewer.quarters) == shown
    assert viewer.quarters[0].negative_pct == 100.0  # the hidden record's tone leaves no trace
    assert viewer.trend_note and "[c]" in viewer.trend_note
    assert viewer.as_dict()["trend"]["note"] == viewer.trend_note

    admin = evidence.theme_evidence(p, "information_sharing", "x", role="admin")
    assert [q.segments for q in admin.quarters] == [6] and admin.trend_note is None


def test_one_small_quarter_cannot_be_worked_out_from_the_others(threshold_3):
    p = threshold_3
    _survey_comments(p, 4, on=date(2027, 1, 15), prefix="q1")
    _survey_comments(p, 1, on=date(2027, 5, 15), prefix="q2")

    viewer = evidence.theme_evidence(
        p, "information_sharing", "x", role="viewer", linked_at=datetime(2027, 4, 1, tzinfo=UTC)
    )
    assert viewer.total_segments == 5
    # Q1 shown as 4 beside a total of 5 would give Q2 away.
    assert [str(q.segments) for q in viewer.quarters] == ["[c]", "[c]"]
    assert str(viewer.comparison.before_n) == str(viewer.comparison.after_n) == "[c]"

    admin = evidence.theme_evidence(
        p, "information_sharing", "x", role="admin", linked_at=datetime(2027, 4, 1, tzinfo=UTC)
    )
    assert [q.segments for q in admin.quarters] == [4, 1]
    assert (admin.comparison.before_n, admin.comparison.after_n) == (4, 1)


def test_triangulation_hides_cells_on_the_people_behind_them_not_the_comments(
    threshold_3, client, auth
):
    p = threshold_3
    _survey_comments(p, 6)
    for i in range(4):  # one child's record, four coded lines
        coded(p.id, SourceType.VOICE, f"Line {i} of one record", "information_sharing", on=ON,
              respondent="voice:1")  # fmt: skip
    for i in range(3):
        coded(p.id, SourceType.VOICE, f"Child {i}", "voice_of_child", on=ON, respondent=f"c{i}")

    admin = evidence.triangulation(p, {}, role=Role.ADMIN)
    assert admin.cells["information_sharing"]["voice"] == 4

    viewer = evidence.triangulation(p, {}, role=Role.VIEWER)
    assert str(viewer.cells["information_sharing"]["voice"]) == "[c]"

    auth.sign_in_as("viewer")
    page = client.get("/records/triangulation").get_data(as_text=True)
    assert "count of comments from fewer than 3 people or records" in page
