"""Two analysts code the same stored sample blind; the agreement page gives Cohen's kappa."""

import html
import random
import re

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Partnership, SourceType
from feedback.models.codebook import CodeStatus, CodingSample, SegmentCode
from feedback.services import ServiceError, coding
from tests.conftest import csrf_token, post_form
from tests.feedback.themes_helpers import add_segments, agreed_codes, run_jobs

TEXTS = [
    "Neglect at home: the children had head lice.",
    "Referral to the MASH took days.",
    "Supervision with my manager helps.",
    "Nothing to add.",
]


def text_of(markup):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def sign_in(client, auth, user):
    auth.sign_in(user.email)


@pytest.fixture
def sample_setup(partnership, make_user):
    segments = add_segments(partnership, TEXTS)
    add_segments(partnership, ["A voice record."], source=SourceType.VOICE)
    run_jobs("text_analysis")
    first = make_user("analyst", "ana@testshire.example", name="Ana Lyst")
    second = make_user("analyst", "bo@testshire.example", name="Bo Coder")
    sample = coding.draw_sample(
        partnership.id,
        "Visits check",
        5,  # more than there are: the sample takes all four
        coding.SegmentFilters(source=SourceType.SCRUTINY_VISIT),
        first,
        rng=random.Random(1),
    )
    return sample, segments, first, second


def test_a_sample_is_drawn_at_random_from_the_filter_and_stored(client, auth, partnership):
    add_segments(partnership, TEXTS + [f"Visit note {i}." for i in range(6)])
    [voice] = add_segments(partnership, ["A voice record."], source=SourceType.VOICE)
    auth.sign_in_as("analyst")

    response = post_form(
        client, "/themes/samples", {"name": "Visits check", "size": "5", "source": "scrutiny_visit"}
    )

    assert response.status_code == 302
    sample = db.session.scalar(sa.select(CodingSample))
    members = [m.segment_id for m in sample.members]
    assert len(set(members)) == 5 and voice.id not in members
    assert sample.drawn_from == "Scrutiny visits"
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Visits check" in page and "You have coded 0 of 5" in page


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "size": "10"}, "name", "Enter a name for the sample"),
        ({"name": "S", "size": "4"}, "size", "Enter a sample size from 5 to 500"),
        ({"name": "S", "size": "lots"}, "size", "Enter a sample size from 5 to 500"),
        ({"name": "S", "size": "10", "source": "gossip"}, "source", "Select a source"),
        ({"name": "S", "size": "10", "source": "voice"}, "size", "No text segments match"),
    ],
)
def test_a_bad_sample_request_is_refused_with_a_located_message(
    client, auth, partnership, form, field, message
):
    add_segments(partnership, TEXTS)
    auth.sign_in_as("analyst")

    response = post_form(client, "/themes/samples", form)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="#{field}"' in page
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CodingSample)) == 0


def test_a_sample_name_is_used_once(partnership, make_user):
    add_segments(partnership, TEXTS)
    user = make_user("analyst")
    coding.draw_sample(partnership.id, "Check", 5, coding.SegmentFilters(), user)

    with pytest.raises(ServiceError, match="already a sample called"):
        coding.draw_sample(partnership.id, "Check", 5, coding.SegmentFilters(), user)


def test_blind_coding_shows_neither_suggestions_nor_the_other_coders_themes(
    client, auth, sample_setup
):
    sample, segments, first, second = sample_setup
    neglect = segments[0]
    coding.record_blind_coding(sample, neglect.id, first, ["neglect", "recording"])
    sign_in(client, auth, second)

    page = client.get(f"/themes/samples/{sample.id}/code?segment={neglect.id}").get_data(
        as_text=True
    )

    assert TEXTS[0] in page
    assert not re.search(r"confidence \d+%", page) and "Suggested" not in page
    assert re.search(r'value="neglect"(?![^>]*checked)', page)
    assert not re.search(r"checked", page.split('name="themes"', 1)[1].split("</form>")[0])


def test_each_coder_saves_only_their_own_codes_and_moves_to_the_next(client, auth, sample_setup):
    sample, segments, first, second = sample_setup
    sign_in(client, auth, first)
    start = client.get(f"/themes/samples/{sample.id}/code").get_data(as_text=True)
    segment_id = int(re.search(r'name="segment_id" value="(\d+)"', start).group(1))
    before = agreed_codes(segment_id)

    response = client.post(
        f"/themes/samples/{sample.id}/code",
        data={
            "csrf_token": csrf_token(client, f"/themes/samples/{sample.id}/code"),
            "segment_id": str(segment_id),
            "themes": ["neglect", "voice_of_child"],
        },
    )

    assert response.status_code == 302
    mine = set(
        db.session.scalars(
            sa.select(SegmentCode.theme_key).where(
                SegmentCode.segment_id == segment_id, SegmentCode.coder_id == first.id
            )
        )
    )
    assert mine == {"neglect", "voice_of_child"}
    assert agreed_codes(segment_id) == before  # the agreed codes are untouched
    following = client.get(f"/themes/samples/{sample.id}/code").get_data(as_text=True)
    assert f'name="segment_id" value="{segment_id}"' not in following
    assert "You have coded 1 of 4" in text_of(following)


def test_an_unknown_theme_in_blind_coding_is_refused(client, auth, sample_setup):
    sample, segments, first, _ = sample_setup
    sign_in(client, auth, first)
    member = sample.members[0]

    response = client.post(
        f"/themes/samples/{sample.id}/code",
        data={
            "csrf_token": csrf_token(client, f"/themes/samples/{sample.id}/code"),
            "segment_id": str(member.segment_id),
            "themes": ["neglect", "made_up"],
        },
    )

    assert response.status_code == 200
    assert "There is no theme &#39;made_up&#39; in use" in response.get_data(as_text=True)
    assert not coding.coded_by(sample, first)


def test_agreement_is_hidden_from_a_coder_until_they_finish(client, auth, sample_setup):
    sample, segments, first, second = sample_setup
    for member in sample.members:
        coding.record_blind_coding(sample, member.segment_id, second, ["neglect"])
    coding.record_blind_coding(sample, sample.members[0].segment_id, first, ["neglect"])
    sign_in(client, auth, first)

    page = text_of(client.get(f"/themes/samples/{sample.id}/agreement").get_data(as_text=True))

    assert "the comparison is shown once you have coded all 4" in page
    assert "Cohen's kappa by theme" not in page


def test_kappa_per_theme_matches_a_hand_count(client, auth, sample_setup, make_user):
    sample, segments, first, second = sample_setup
    by_text = {s.id: s.text for s in segments}
    # neglect: both on 2, only Ana on 1, neither on 1. po = 3/4; Ana yes 3/4, Bo yes 2/4,
    # so pe = 3/4 x 2/4 + 1/4 x 2/4 = 1/2 and kappa = (3/4 - 1/2) / (1 - 1/2) = 0.5
    # thresholds_referrals: both on 1, neither on 3 -> kappa 1
    ana = {
        TEXTS[0]: ["neglect"],
        TEXTS[1]: ["neglect", "thresholds_referrals"],
        TEXTS[2]: ["neglect"],
        TEXTS[3]: [],
    }
    bo = {
        TEXTS[0]: ["neglect"],
        TEXTS[1]: ["neglect", "thresholds_referrals"],
        TEXTS[2]: [],
        TEXTS[3]: [],
    }
    for member in sample.members:
        text = by_text[member.segment_id]
        coding.record_blind_coding(sample, member.segment_id, first, ana[text])
        coding.record_blind_coding(sample, member.segment_id, second, bo[text])
    auth.sign_in_as("admin")

    page = text_of(client.get(f"/themes/samples/{sample.id}/agreement").get_data(as_text=True))

    print(page[page.find("Coder A") : page.find("Not defined")])
    assert "Coder A is Ana Lyst , coder B Bo Coder : 4 text segments coded by both" in page
    assert re.search(r"Neglect 2 1 0 1 75% 50% 0\.50 moderate", page)
    assert re.search(r"Thresholds and referrals 1 0 0 3 100% 62% 1\.00 almost perfect", page)
    assert re.search(r"Recording 0 0 0 4 100% 100% not defined not defined", page)
    result = coding.agreement(sample, first, second)
    assert result.overall.n == 4 * len(result.themes)


def test_agreement_needs_two_coders(client, auth, sample_setup):
    sample, segments, first, second = sample_setup
    auth.sign_in_as("admin")

    page = text_of(client.get(f"/themes/samples/{sample.id}/agreement").get_data(as_text=True))

    assert "Agreement needs two coders: 0 have coded this sample so far" in page


def test_another_partnerships_sample_is_not_found(client, auth, sample_setup):
    sample, *_ = sample_setup
    other = Partnership(name="Otherfield Partnership")
    db.session.add(other)
    db.session.commit()
    from feedback.services import accounts

    outsider = accounts.create_user(
        other, "out@otherfield.example", "analyst", "correct-horse-battery"
    )
    auth.sign_in(outsider.email)

    for url in ("", "/code", "/agreement"):
        assert client.get(f"/themes/samples/{sample.id}{url}").status_code == 404


def test_blind_codes_never_count_as_confirmed_evidence(sample_setup, partnership):
    from feedback.services import codebook

    sample, segments, first, second = sample_setup
    for member in sample.members:
        coding.record_blind_coding(sample, member.segment_id, first, ["recording"])

    assert codebook.confirmed_counts(partnership.id).get("recording", 0) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                SegmentCode.coder_id.is_(None), SegmentCode.status == CodeStatus.CONFIRMED
            )
        )
        == 0
    )
