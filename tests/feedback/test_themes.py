"""The codebook pages, the coding workbench, the themes API and free text on the results page."""

import html
import re
from datetime import date

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import AuditEvent, Partnership, SourceType
from feedback.models.codebook import CodebookTheme, CodeStatus, ThemeChange, ThemeStatus
from feedback.services import codebook, text_analysis
from feedback.services.codebook import ThemeSpec
from tests.conftest import csrf_token, post_form
from tests.feedback.themes_helpers import (
    add_response,
    add_segments,
    agreed_codes,
    code_row,
    confirm,
    make_agency,
    run_jobs,
    survey_campaign,
)

NEGLECT = "The home conditions were poor and the children had head lice: clear neglect."
MASH = "Referral to the MASH took three days and nobody told us the outcome."


def text_of(markup):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def theme(partnership, key):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(CodebookTheme).where(
            CodebookTheme.partnership_id == partnership.id, CodebookTheme.key == key
        )
    )


# -- The codebook ------------------------------------------------------------------------------


def test_a_partnership_starts_with_the_twenty_standard_themes(client, auth, partnership):
    auth.sign_in_as("analyst")

    page = text_of(client.get("/themes/codebook").get_data(as_text=True))

    assert "20 themes" in page
    for label in ("Neglect", "Child exploitation", "Voice of the child", "Recording"):
        assert label in page
    assert codebook.ensure_codebook(partnership.id) is False  # seeded once


def test_an_analyst_adds_a_theme_and_the_text_is_coded_again(client, auth, partnership):
    analyst = auth.sign_in_as("analyst")
    [seg] = add_segments(partnership, ["The food bank was the only help they had."])
    run_jobs("text_analysis")
    version = codebook.version(partnership.id)

    response = post_form(
        client,
        "/themes/codebook/new",
        {
            "label": "Food poverty",
            "description": "Families going without food",
            "priority": "1",
            "indicators": "food bank\nfood poverty\nfood bank",
            "weak_indicators": "hungry",
        },
    )

    assert response.status_code == 302
    added = theme(partnership, "food_poverty")
    assert (added.label, added.priority, added.indicators) == (
        "Food poverty",
        1,
        ["food bank", "food poverty"],
    )
    change = db.session.scalar(
        sa.select(ThemeChange).where(ThemeChange.theme_key == "food_poverty")
    )
    assert (change.change, change.user_id) == ("added", analyst.id)
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "codebook.added")
        ).user_id
        == analyst.id
    )
    assert codebook.version(partnership.id) == version + 1
    run_jobs("text_analysis")
    assert agreed_codes(seg.id) == {"food_poverty": CodeStatus.SUGGESTED}


def test_a_theme_without_indicators_is_refused_with_a_located_message(client, auth, partnership):
    auth.sign_in_as("analyst")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ThemeChange))

    response = post_form(
        client, "/themes/codebook/new", {"label": "Vague", "priority": "2", "indicators": ""}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#indicators"' in page
    assert "Enter at least one indicator" in page
    assert theme(partnership, "vague") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThemeChange)) == before


def test_a_key_already_in_the_codebook_is_refused(client, auth, partnership):
    auth.sign_in_as("analyst")

    response = post_form(
        client,
        "/themes/codebook/new",
        {"label": "Neglect again", "key": "neglect", "priority": "2", "indicators": "hunger"},
    )

    assert "already has a theme with the key" in text_of(response.get_data(as_text=True))
    assert theme(partnership, "neglect").label == "Neglect"


def test_renaming_a_theme_keeps_its_key_and_does_not_recode(client, auth, partnership):
    auth.sign_in_as("analyst")
    add_segments(partnership, [NEGLECT])
    run_jobs("text_analysis")
    version = codebook.version(partnership.id)
    neglect = theme(partnership, "neglect")

    post_form(
        client,
        "/themes/codebook/neglect",
        {
            "label": "Neglect and cumulative harm",
            "description": neglect.description,
            "priority": str(neglect.priority),
            "indicators": "\n".join(neglect.indicators),
            "weak_indicators": "\n".join(neglect.weak_indicators),
        },
    )

    assert theme(partnership, "neglect").label == "Neglect and cumulative harm"
    assert codebook.version(partnership.id) == version
    assert text_analysis.pending_by_partnership() == {}
    [change] = codebook.history(partnership.id, "neglect")
    assert change.change == "renamed"
    assert change.before == {"label": "Neglect"}


def test_editing_indicators_records_before_and_after_and_recodes(client, auth, partnership):
    auth.sign_in_as("admin")
    neglect = theme(partnership, "neglect") or (
        codebook.ensure_codebook(partnership.id) and theme(partnership, "neglect")
    )
    version = codebook.version(partnership.id)

    post_form(
        client,
        "/themes/codebook/neglect",
        {
            "label": "Neglect",
            "description": neglect.description,
            "priority": "1",
            "indicators": "neglect\nhome conditions",
            "weak_indicators": "",
        },
    )

    [change] = codebook.history(partnership.id, "neglect")
    assert change.change == "edited"
    assert change.after["indicators"] == ["neglect", "home conditions"]
    assert len(change.before["indicators"]) > 2
    assert codebook.version(partnership.id) == version + 1


def test_merging_moves_confirmed_codes_and_keeps_the_history(client, auth, partnership):
    analyst = auth.sign_in_as("analyst")
    codebook.add_theme(
        partnership.id, ThemeSpec(label="Food poverty", indicators=("food bank",)), analyst
    )
    both, only_source, suggested = add_segments(
        partnership,
        [
            "Neglect: the food bank was the only help.",
            "The food bank was the only help.",
            "Another visit to the food bank.",
        ],
    )
    run_jobs("text_analysis")
    confirm(both.id, "food_poverty", analyst)
    confirm(only_source.id, "food_poverty", analyst)
    assert agreed_codes(both.id)["neglect"] == CodeStatus.SUGGESTED

    response = post_form(
        client,
        "/themes/codebook/food_poverty/merge",
        {"target": "neglect", "keep_indicators": "y"},
    )

    assert response.status_code == 302
    source, target = theme(partnership, "food_poverty"), theme(partnership, "neglect")
    assert (source.status, source.merged_into_key) == (ThemeStatus.MERGED, "neglect")
    assert "food bank" in target.indicators
    assert agreed_codes(both.id) == {"neglect": CodeStatus.CONFIRMED}
    assert agreed_codes(only_source.id) == {"neglect": CodeStatus.CONFIRMED}
    assert code_row(only_source.id, "neglect").decided_by_id == analyst.id
    assert "food_poverty" not in agreed_codes(suggested.id)
    changes = [c.change for c in codebook.history(partnership.id, "food_poverty")]
    assert changes[:2] == ["merged", "added"]
    run_jobs("text_analysis")
    # The merged theme's indicators now suggest the theme it went into.
    assert agreed_codes(suggested.id) == {"neglect": CodeStatus.SUGGESTED}
    page = text_of(client.get("/themes/codebook").get_data(as_text=True))
    assert "merged into Neglect" in page


def test_a_theme_cannot_be_merged_into_itself_or_into_a_retired_one(client, auth, partnership):
    analyst = auth.sign_in_as("analyst")
    codebook.ensure_codebook(partnership.id)
    codebook.retire_theme(theme(partnership, "recording"), analyst)

    itself = post_form(client, "/themes/codebook/neglect/merge", {"target": "neglect"})
    retired = post_form(client, "/themes/codebook/neglect/merge", {"target": "recording"})

    assert "Not a valid choice" in text_of(itself.get_data(as_text=True))
    assert "Not a valid choice" in text_of(retired.get_data(as_text=True))
    assert theme(partnership, "neglect").status == ThemeStatus.ACTIVE


def test_retiring_and_restoring_a_theme(client, auth, partnership):
    auth.sign_in_as("analyst")
    codebook.ensure_codebook(partnership.id)

    token = csrf_token(client, "/themes/codebook")
    client.post("/themes/codebook/recording/retire", data={"csrf_token": token})
    assert theme(partnership, "recording").status == ThemeStatus.RETIRED
    again = client.post(
        "/themes/codebook/recording/retire", data={"csrf_token": token}, follow_redirects=True
    )
    assert "is not in use, so it cannot be retired" in text_of(again.get_data(as_text=True))
    client.post("/themes/codebook/recording/restore", data={"csrf_token": token})

    assert theme(partnership, "recording").status == ThemeStatus.ACTIVE
    assert [c.change for c in codebook.history(partnership.id, "recording")] == [
        "restored",
        "retired",
    ]


def test_another_partnerships_theme_is_not_found(client, auth, partnership):
    other = Partnership(name="Otherfield Partnership")
    db.session.add(other)
    db.session.commit()
    codebook.add_theme(other.id, ThemeSpec(label="Their own theme", indicators=("x y",)), None)
    auth.sign_in_as("analyst")

    assert client.get("/themes/codebook/their_own_theme").status_code == 404
    token = csrf_token(client, "/themes/codebook")
    response = client.post("/themes/codebook/their_own_theme/retire", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.expire_all()
    assert codebook.get_theme(other.id, "their_own_theme").status == ThemeStatus.ACTIVE


# -- The workbench -----------------------------------------------------------------------------


def test_the_workbench_shows_suggestions_with_confidence_and_sentiment(client, auth, partnership):
    add_segments(partnership, [NEGLECT, MASH], agency=make_agency(partnership))
    run_jobs("text_analysis")
    auth.sign_in_as("analyst")

    page = text_of(client.get("/themes").get_data(as_text=True))

    assert "2 of 2 text segments analysed" in page
    assert "2 text segments" in page
    assert NEGLECT in page
    assert re.search(r"Suggested Neglect confidence \d+%", page)
    assert "Sentiment:" in page
    assert "Testshire Police" in page


def test_progress_says_when_analysis_is_still_running(client, auth, partnership):
    add_segments(partnership, [NEGLECT, MASH])
    auth.sign_in_as("analyst")

    page = text_of(client.get("/themes").get_data(as_text=True))

    assert "0 of 2 text segments analysed" in page
    assert "being analysed in the background" in page


def test_confirming_a_suggestion_keeps_the_filters(client, auth, partnership):
    analyst = auth.sign_in_as("analyst")
    [seg] = add_segments(partnership, [NEGLECT])
    run_jobs("text_analysis")
    url = "/themes?source=scrutiny_visit&coding=waiting"
    token = csrf_token(client, url)

    response = client.post(
        f"/themes/segments/{seg.id}",
        data={"csrf_token": token, "decision": "confirm:neglect", "next": url + "&page=1"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}&page=1#segment-{seg.id}")
    code = code_row(seg.id, "neglect")
    assert (code.status, code.decided_by_id) == (CodeStatus.CONFIRMED, analyst.id)
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "coding.confirm")
    ).record_id == str(seg.id)


def test_rejecting_adding_and_undoing_themes(client, auth, partnership):
    auth.sign_in_as("analyst")
    [seg] = add_segments(partnership, [MASH])
    run_jobs("text_analysis")
    token = csrf_token(client, "/themes")

    def post(**data):
        return client.post(
            f"/themes/segments/{seg.id}", data={"csrf_token": token, **data}, follow_redirects=True
        )

    post(decision="reject:thresholds_referrals")
    post(decision="add", theme="information_sharing")
    assert agreed_codes(seg.id)["thresholds_referrals"] == CodeStatus.REJECTED
    assert agreed_codes(seg.id)["information_sharing"] == CodeStatus.CONFIRMED
    assert code_row(seg.id, "information_sharing").confidence is None

    post(decision="undo:thresholds_referrals")
    page = text_of(post(decision="undo:information_sharing").get_data(as_text=True))

    assert agreed_codes(seg.id)["thresholds_referrals"] == CodeStatus.SUGGESTED
    assert "information_sharing" not in agreed_codes(seg.id)
    assert "Removed Information sharing" in page


def test_a_bad_decision_says_what_is_wrong_and_changes_nothing(client, auth, partnership):
    auth.sign_in_as("analyst")
    [seg] = add_segments(partnership, [MASH])
    run_jobs("text_analysis")
    token = csrf_token(client, "/themes")
    before = agreed_codes(seg.id)

    for data in (
        {"decision": "add", "theme": ""},
        {"decision": "add", "theme": "no_such_theme"},
        {"decision": "confirm:neglect"},
        {"decision": "explode:neglect"},
    ):
        response = client.post(
            f"/themes/segments/{seg.id}", data={"csrf_token": token, **data}, follow_redirects=True
        )
        assert response.status_code == 200
        assert f"Comment {seg.id}:" in text_of(response.get_data(as_text=True))
    assert agreed_codes(seg.id) == before


def test_a_redirect_after_a_decision_never_leaves_the_workbench(client, auth, partnership):
    auth.sign_in_as("analyst")
    [seg] = add_segments(partnership, [NEGLECT])
    run_jobs("text_analysis")
    token = csrf_token(client, "/themes")

    response = client.post(
        f"/themes/segments/{seg.id}",
        data={"csrf_token": token, "decision": "confirm:neglect", "next": "//evil.example/"},
    )

    assert response.headers["Location"].startswith("/themes#segment-")


def test_another_partnerships_segment_cannot_be_coded(client, auth, partnership):
    other = Partnership(name="Otherfield Partnership")
    db.session.add(other)
    db.session.commit()
    [theirs] = add_segments(other, [NEGLECT])
    run_jobs("text_analysis")
    auth.sign_in_as("analyst")
    token = csrf_token(client, "/themes")

    response = client.post(
        f"/themes/segments/{theirs.id}", data={"csrf_token": token, "decision": "confirm:neglect"}
    )

    assert response.status_code == 404
    assert agreed_codes(theirs.id) == {"neglect": CodeStatus.SUGGESTED}
    assert NEGLECT not in client.get("/themes").get_data(as_text=True)


def test_filters_narrow_the_workbench(client, auth, partnership):
    police = make_agency(partnership)
    add_segments(partnership, [NEGLECT], agency=police, on=date(2027, 3, 2))
    add_segments(partnership, [MASH], source=SourceType.VOICE, on=date(2027, 5, 2))
    add_segments(partnership, ["A lovely, helpful and excellent session."], on=date(2027, 4, 2))
    run_jobs("text_analysis")
    auth.sign_in_as("analyst")

    def shown(query):
        page = client.get(f"/themes?{query}").get_data(as_text=True)
        return {t for t in (NEGLECT, MASH, "lovely") if html.escape(t) in page or t in page}

    assert shown("theme=neglect") == {NEGLECT}
    assert shown("source=voice") == {MASH}
    assert shown(f"agency={police.id}") == {NEGLECT}
    assert shown("sentiment=positive") == {"lovely"}
    assert shown("coding=uncoded") == {"lovely"}
    assert shown("from=2027-04-01&to=2027-04-30") == {"lovely"}
    assert shown("coding=waiting") == {NEGLECT, MASH}


def test_bad_filters_get_located_messages_not_a_500(client, auth, partnership):
    auth.sign_in_as("analyst")

    response = client.get("/themes?campaign=999999&source=gossip&from=31-02-2027&theme=nope")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for anchor in ("#campaign", "#source", "#from", "#theme"):
        assert f'href="{anchor}"' in page
    assert "Enter a real date" in page


def test_the_workbench_is_paginated(client, auth, partnership):
    add_segments(partnership, [f"Comment number {i} about neglect." for i in range(25)])
    auth.sign_in_as("analyst")

    first = client.get("/themes?source=scrutiny_visit").get_data(as_text=True)
    second = client.get("/themes?source=scrutiny_visit&page=2").get_data(as_text=True)

    assert first.count('class="govuk-summary-card"') == 20
    assert second.count('class="govuk-summary-card"') == 5
    assert "page=2" in first and "source=scrutiny_visit" in first


# -- Emerging themes ---------------------------------------------------------------------------


def test_emerging_themes_offer_a_new_phrase_with_examples(client, auth, partnership):
    add_segments(partnership, ["The cost of living crisis hits families."] * 1, on=date(2027, 1, 5))
    add_segments(
        partnership,
        [
            "The cost of living crisis means families skip meals.",
            "Again the cost of living crisis came up on the visit.",
            "Parents talk about the cost of living crisis all the time.",
        ],
        on=date(2027, 5, 5),
    )
    auth.sign_in_as("analyst")

    page = client.get("/themes/emerging?from=2027-04-01&to=2027-06-30").get_data(as_text=True)

    text = text_of(page)
    assert "cost of living crisis" in text
    assert "In 3 text segments in this period and 1 before it" in text
    # "Add as a theme" opens the new-theme form filled in with the phrase.
    assert re.search(r'href="/themes/codebook/new\?label=[^"&]+&amp;indicators=[^"]*crisis"', page)


# -- The API -----------------------------------------------------------------------------------


def test_the_themes_api_counts_confirmed_codes_and_hides_small_ones(api, partnership):
    segs = add_segments(partnership, [NEGLECT] * 12 + [MASH] * 2)
    run_jobs("text_analysis")
    for seg in segs[:11]:
        confirm(seg.id, "neglect")
    for seg in segs[12:]:
        confirm(seg.id, "thresholds_referrals")

    viewer, headers = api("viewer")
    body = viewer.get("/api/v1/themes", headers=headers).get_json()
    admin, admin_headers = api("admin")
    full = admin.get("/api/v1/themes?status=active", headers=admin_headers).get_json()

    by_key = {t["key"]: t for t in body["themes"]}
    assert len(body["themes"]) == 20
    assert by_key["neglect"]["confirmed_count"] == 11
    assert by_key["thresholds_referrals"] == {
        **by_key["thresholds_referrals"],
        "confirmed_count": None,
        "suppressed": True,
    }
    assert by_key["recording"]["confirmed_count"] == 0
    assert {t["key"]: t["confirmed_count"] for t in full["themes"]}["thresholds_referrals"] == 2
    assert full["disclosure_threshold"] == 10


def test_the_themes_api_refuses_an_unknown_status(api, partnership):
    client, headers = api("analyst")

    response = client.get("/api/v1/themes?status=deleted", headers=headers)

    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["path"].endswith("status")


# -- Free text on the campaign results page ----------------------------------------------------


def _answered_campaign(partnership, answers):
    police = make_agency(partnership)
    campaign = survey_campaign(partnership)
    for why in answers:
        add_response(campaign, {"thresholds": 2, "supervision": False, "why_not": why}, police)
    return campaign


def test_results_show_sentiment_and_top_themes_of_free_text(client, auth, partnership):
    campaign = _answered_campaign(
        partnership, [MASH] * 10 + [NEGLECT] * 3 + ["Excellent support from my manager."] * 2
    )
    auth.sign_in_as("admin")

    page = text_of(client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True))

    assert "Sentiment and themes in these answers" in page
    assert "Top themes" in page
    assert re.search(r"Thresholds and referrals 10 66\.7%", page)
    assert re.search(r"Neglect 3 20\.0%", page)


def test_results_hide_small_theme_counts_from_non_admins(client, auth, partnership):
    campaign = _answered_campaign(partnership, [MASH] * 10 + [NEGLECT] * 3)
    auth.sign_in_as("viewer")

    page = text_of(client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True))

    assert re.search(r"Thresholds and referrals 10 76\.9%", page)
    assert "Neglect 3" not in page
    assert "other theme came up in fewer than 10 answers" in page or (
        "other themes came up in fewer than 10 answers" in page
    )
    assert "[c]" in page  # small sentiment counts are hidden too


def test_free_text_summary_counts_answers_with_the_partnerships_codebook(partnership):
    from feedback.services.results import TextAnswer
    from feedback.services.results import text_analysis as hook

    codebook.add_theme(
        partnership.id, ThemeSpec(label="Food poverty", indicators=("food bank",)), None
    )
    summary = hook({"key": "q"}, [TextAnswer("The food bank helps.")] * 4 + [TextAnswer(" ")])

    report = summary.report(partnership.id, threshold=3, suppressing=True)

    assert report.n == 4
    assert report.themes == [("Food poverty", 4, 100.0)]
    assert hook({"key": "q"}, []) is None
