"""Theme coding: lemmatised indicators, abbreviations, confidence and an editable codebook."""

import dataclasses

import pytest

from analysis.text import (
    SEED_CODEBOOK,
    Theme,
    analyse,
    code_text,
    codebook_from_dicts,
    codebook_to_dicts,
    compile_codebook,
    lemmatise,
    theme_from_dict,
)

SEED_KEYS = {
    "neglect",
    "child_exploitation",
    "child_sexual_abuse",
    "domestic_abuse",
    "emotional_wellbeing",
    "thresholds_referrals",
    "escalation_challenge",
    "information_sharing",
    "multi_agency_working",
    "voice_of_child",
    "professional_curiosity",
    "supervision_support",
    "workload_capacity",
    "policies_procedures",
    "assessment_planning",
    "recording",
    "online_safety",
    "training_delivery",
    "training_access",
    "confidence_application",
}


def keys(text, codebook=SEED_CODEBOOK):
    return {code.key for code in code_text(text, codebook)}


def test_seed_codebook_holds_the_twenty_agreed_themes():
    assert {t.key for t in SEED_CODEBOOK} == SEED_KEYS
    for theme in SEED_CODEBOOK:
        assert theme.label and theme.description and theme.indicators
        assert theme.priority in (1, 2, 3)


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("referrals", "referral"),
        ("referring", "refer"),
        ("referred", "refer"),
        ("policies", "policy"),
        ("sharing", "share"),
        ("visiting", "visit"),
        ("approaches", "approach"),
        ("children", "child"),
        ("felt", "feel"),
        ("meeting", "meeting"),
        ("focus", "focus"),
    ],
)
def test_lemmatiser_reduces_plurals_and_verb_forms(word, lemma):
    assert lemmatise(word) == lemma


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("We keep referring families but nobody picks them up.", "thresholds_referrals"),
        ("Two referrals were made this week.", "thresholds_referrals"),
        ("The policies are hard to find.", "policies_procedures"),
        ("Chronologies were out of date.", "recording"),
        ("Staff escalated their disagreement.", "escalation_challenge"),
        ("Caseloads are far too high.", "workload_capacity"),
    ],
)
def test_inflected_forms_match_base_form_indicators(text, theme):
    assert theme in keys(text)


@pytest.mark.parametrize(
    ("text", "theme", "shown"),
    [
        ("Waited two hours for the MASH to answer.", "thresholds_referrals", "MASH"),
        ("The CP plan had no timescales.", "assessment_planning", "CP plan"),
        ("Worried about CCE in year 9.", "child_exploitation", "CCE"),
        ("Signs of CSE were missed.", "child_exploitation", "CSE"),
        ("We completed an EHA with mum.", "thresholds_referrals", "EHA"),
        ("Used the GCP2 on a home visit.", "neglect", "GCP2"),
        ("Presented the case at MARAC.", "domestic_abuse", "MARAC"),
        ("The family were known for DA.", "domestic_abuse", "DA"),
        ("A s.47 enquiry was started.", "thresholds_referrals", "section 47"),
        ("Attended the ICPC as the school rep.", "multi_agency_working", "ICPC"),
        ("The case was stepped down to CIN.", "thresholds_referrals", "CIN"),
    ],
)
def test_abbreviations_are_recognised(text, theme, shown):
    codes = {code.key: code for code in code_text(text)}
    assert theme in codes
    assert shown in codes[theme].matched


def test_expansion_in_text_matches_an_abbreviated_indicator():
    codebook = [Theme("risk_conferences", "Risk conferences", "", 1, ("MARAC",))]
    assert keys("Referred to the multi-agency risk assessment conference.", codebook) == {
        "risk_conferences"
    }


def test_edited_codebook_recognises_abbreviations_of_its_own_phrases():
    codebook = [
        Theme(
            "allegations",
            "Allegations",
            "Allegations against staff",
            1,
            ("local authority designated officer",),
        ),
        Theme("dsl_role", "DSL role", "", 2, ("designated safeguarding lead",)),
    ]
    assert keys("Rang the LADO about a supply teacher.", codebook) == {"allegations"}
    assert keys("As the only DSL I feel isolated.", codebook) == {"dsl_role"}


def test_hyphenated_and_spaced_forms_meet():
    assert "emotional_wellbeing" in keys("Two pupils disclosed self harm.")
    assert "emotional_wellbeing" in keys("Two pupils disclosed self-harm.")
    assert "multi_agency_working" in keys("Good multi agency working on this case.")


def test_confidence_is_within_zero_and_one_and_grows_with_evidence():
    one = code_text("Supervision was cancelled.")
    more = code_text(
        "Supervision was cancelled, my supervisor left and there is no reflective practice."
    )
    [single] = [c for c in one if c.key == "supervision_support"]
    [several] = [c for c in more if c.key == "supervision_support"]
    assert 0.0 <= single.confidence < several.confidence <= 1.0
    for text in ("", "a", "neglect " * 200, "MASH MASH MASH referral referral threshold"):
        for code in code_text(text):
            assert 0.0 <= code.confidence <= 1.0


def test_one_weak_indicator_is_not_enough_but_two_are():
    # "police" and "housing" only suggest multi-agency working on their own.
    assert "multi_agency_working" not in keys("I rang the police.")
    assert "multi_agency_working" in keys("Police and housing met with us.")


def test_a_negated_topic_is_still_coded_while_sentiment_flips():
    [result] = analyse(["No issues with information sharing, not helpful at all though."])
    assert "information_sharing" in {c.key for c in result.themes}
    assert result.sentiment.label == "negative"


def test_analyse_returns_themes_and_sentiment_for_each_text_in_order():
    texts = ["The session on neglect was excellent.", "", "Caseloads are unmanageable."]
    results = analyse(texts)
    assert len(results) == 3
    assert "neglect" in {c.key for c in results[0].themes}
    assert results[0].sentiment.label == "positive"
    assert results[1].themes == () and results[1].sentiment.label == "neutral"
    assert "workload_capacity" in {c.key for c in results[2].themes}
    assert results[2].sentiment.label == "negative"


def test_codes_are_sorted_most_confident_first():
    codes = code_text("Referral to MASH after a strategy meeting; thresholds unclear; GP involved.")
    assert [c.confidence for c in codes] == sorted((c.confidence for c in codes), reverse=True)


def test_codebook_round_trips_through_plain_dicts():
    stored = codebook_to_dicts(SEED_CODEBOOK)
    assert all(isinstance(row["indicators"], list) for row in stored)
    assert codebook_from_dicts(stored) == SEED_CODEBOOK


def test_an_edited_codebook_from_the_database_is_used_for_coding():
    stored = codebook_to_dicts(SEED_CODEBOOK)
    stored.append(
        {
            "key": "cost_of_living",
            "label": "Cost of living",
            "description": "Poverty and household costs",
            "priority": 2,
            "indicators": ["cost of living", "food bank", "energy bill"],
        }
    )
    edited = codebook_from_dicts(stored)
    assert "cost_of_living" in keys(
        "Families rely on food banks and cannot pay energy bills.", edited
    )
    assert "cost_of_living" not in keys("Families rely on food banks.")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"key": "x", "label": "X", "priority": 4, "indicators": ["a"]},
            "priority must be 1, 2 or 3",
        ),
        ({"key": "Bad Key", "label": "X", "priority": 1, "indicators": ["a"]}, "key 'Bad Key'"),
        ({"key": "x", "label": "X", "priority": 1, "indicators": []}, "at least one indicator"),
        ({"key": "x", "label": "X", "priority": 1, "indicators": "neglect"}, "list of phrases"),
        ({"label": "X", "priority": 1, "indicators": ["a"]}, "missing key"),
    ],
)
def test_invalid_stored_theme_is_refused_with_where_and_what(row, message):
    with pytest.raises(ValueError, match=message):
        theme_from_dict(row, where="theme 3")


def test_duplicate_keys_are_refused():
    row = {"key": "x", "label": "X", "priority": 1, "indicators": ["a"]}
    with pytest.raises(ValueError, match="theme 2: key 'x' is used twice"):
        codebook_from_dicts([row, row])


def test_themes_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SEED_CODEBOOK[0].priority = 3


def test_compiling_the_same_codebook_twice_reuses_the_first():
    assert compile_codebook(SEED_CODEBOOK) is compile_codebook(list(SEED_CODEBOOK))
