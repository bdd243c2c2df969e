"""The standard instruments load, validate, take a course's outcomes and are written for the UK."""

import json
import re
from pathlib import Path

import pytest

import forms
import forms.library
from forms import AnswerError, iter_questions, validate, with_learning_outcomes

EXPECTED = {
    "post_course_evaluation",
    "followup_3_month",
    "followup_6_month",
    "staff_survey",
    "scrutiny_visit",
    "safeguarding_conversation",
    "practitioner_forum",
    "child_voice_4_7",
    "child_voice_8_12",
    "child_voice_13_17",
    "family_voice",
}
OUTCOMES = ["Recognise the signs of neglect", "Use the escalation procedure"]


def test_library_holds_every_standard_instrument():
    assert set(forms.library.keys()) == EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_library_instrument_passes_validation_against_the_codebook(key):
    definition = forms.library.load(key)
    assert definition["key"] == key
    assert validate(definition, forms.THEMES) == []


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_library_instrument_is_ready_to_use_once_a_course_fills_its_outcomes(key):
    filled = with_learning_outcomes(forms.library.load(key), OUTCOMES)
    assert validate(filled, forms.THEMES, allow_placeholders=False) == []


@pytest.mark.parametrize("key", ["post_course_evaluation", "followup_3_month", "followup_6_month"])
def test_course_instruments_hold_the_outcomes_placeholder_until_filled(key):
    problems = validate(forms.library.load(key), allow_placeholders=False)
    assert problems
    assert all("with_learning_outcomes" in p.message for p in problems)


def test_outcome_keys_match_between_evaluation_and_follow_ups_so_answers_compare():
    evaluation = with_learning_outcomes(forms.library.load("post_course_evaluation"), OUTCOMES)
    follow_up = with_learning_outcomes(forms.library.load("followup_3_month"), OUTCOMES)
    before_and_now = forms.find_question(evaluation, "outcome_confidence")["outcomes"]
    now = forms.find_question(follow_up, "confidence_now")["rows"]
    assert [o["key"] for o in before_and_now] == [r["key"] for r in now] == ["lo1", "lo2"]
    assert before_and_now[0]["label"] == OUTCOMES[0]


def test_with_learning_outcomes_leaves_the_original_untouched():
    original = forms.library.load("post_course_evaluation")
    with_learning_outcomes(original, OUTCOMES)
    assert forms.find_question(original, "outcome_confidence")["outcomes"] == "from_course"


def test_with_learning_outcomes_keeps_keys_given_by_the_course():
    filled = with_learning_outcomes(
        forms.library.load("post_course_evaluation"),
        [{"key": "neglect", "label": "Recognise neglect"}],
    )
    outcomes = forms.find_question(filled, "outcome_confidence")["outcomes"]
    assert outcomes == [{"key": "neglect", "label": "Recognise neglect"}]


@pytest.mark.parametrize("outcomes", [[], ["  "], [3]])
def test_with_learning_outcomes_refuses_a_course_with_no_usable_outcomes(outcomes):
    with pytest.raises((ValueError, TypeError)):
        with_learning_outcomes(forms.library.load("post_course_evaluation"), outcomes)


def test_load_gives_a_fresh_copy_each_time():
    first = forms.library.load("staff_survey")
    first["title"] = "Changed"
    assert forms.library.load("staff_survey")["title"] != "Changed"


def test_load_of_an_unknown_instrument_is_a_key_error():
    with pytest.raises(KeyError):
        forms.library.load("nonexistent")


def test_follow_ups_ask_about_applying_learning_and_barriers():
    for key in ("followup_3_month", "followup_6_month"):
        definition = forms.library.load(key)
        used = forms.find_question(definition, "used_learning")
        assert used["label"] == "I have used learning from this course in my work"
        barriers = forms.find_question(definition, "barriers")
        values = {o["value"] for o in barriers["options"]}
        assert {"time", "manager_support", "systems", "caseload", "no_opportunity"} <= values
        assert barriers["other"] is True


def test_scrutiny_visit_rates_every_topic_red_amber_green():
    definition = forms.library.load("scrutiny_visit")
    rag = [q for _, q in iter_questions(definition) if q["key"].endswith("_rag")]
    assert len(rag) == 6
    for question in rag:
        assert [o["value"] for o in question["options"]] == ["red", "amber", "green"]


def test_staff_survey_questions_are_tagged_with_themes():
    definition = forms.library.load("staff_survey")
    scales = [q for _, q in iter_questions(definition) if q["type"] in ("likert", "ranking")]
    assert scales and all(q.get("themes") for q in scales)


def test_child_voice_instruments_use_faces_and_the_three_houses():
    for key in ("child_voice_4_7", "child_voice_8_12", "child_voice_13_17"):
        definition = forms.library.load(key)
        types = {q["type"] for _, q in iter_questions(definition)}
        keys = {q["key"] for _, q in iter_questions(definition)}
        assert "emoji_scale" in types
        assert {"good_things", "worries", "dreams", "who_listens"} <= keys


# American spellings that must not reach users; UK English is the house style.
US_SPELLINGS = re.compile(
    r"\b(organiz\w*|color\w*|summariz\w*|behavior\w*|center|favor\w*|program|analyz\w*|"
    r"recogniz\w*|prioritiz\w*|practicing|licensing|enroll\b|fulfill\b|judgment)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_library_text_is_in_uk_english(key):
    text = json.dumps(forms.library.load(key), ensure_ascii=False)
    assert US_SPELLINGS.findall(text) == []


GARBAGE = [None, True, -1, 2.5, float("nan"), "", "x", "dont_know", [], [None], {}, [{}],
           {"selected": {}}, {"lo1": {"before": []}}, ["1", "2"], 10**20, object()]  # fmt: skip


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_library_questions_refuse_garbage_answers_only_with_answer_errors(key):
    definition = with_learning_outcomes(forms.library.load(key), OUTCOMES)
    for _, question in iter_questions(definition):
        for raw in GARBAGE:
            try:
                value = forms.clean_answer(question, raw)
            except AnswerError as error:
                assert error.message
                continue
            stored = forms.to_storage(question, value)
            json.dumps(stored)
            assert forms.to_storage(question, forms.from_storage(question, stored)) == stored


def test_readme_example_is_a_valid_definition():
    readme = (Path(forms.__file__).parent / "README.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)```", readme, re.DOTALL).group(1))
    assert validate(example, forms.THEMES) == []
    filled = with_learning_outcomes(example, OUTCOMES)
    assert validate(filled, forms.THEMES, allow_placeholders=False) == []
    used = {q["type"] for _, q in iter_questions(example)}
    assert used == set(forms.QUESTION_TYPES)
