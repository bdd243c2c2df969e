"""Each question type accepts good answers, refuses bad ones in GOV.UK words and round-trips."""

from datetime import date
from decimal import Decimal

import pytest

import forms
from forms import AnswerError, clean_answer, from_storage, summarise, to_storage

LABEL = "The training was relevant to my role"


def question(type_, **extra):
    return {"key": "q1", "type": type_, "label": LABEL, **extra}


OUTCOMES = [{"key": "lo1", "label": "Recognise neglect"}, {"key": "lo2", "label": "Escalate"}]
ROWS = [{"key": "clear", "label": "It was clear"}, {"key": "useful", "label": "It was useful"}]
OPTIONS = [
    {"value": "red", "label": "Red"},
    {"value": "amber", "label": "Amber"},
    {"value": "green", "label": "Green"},
]

# (question, raw answer as posted or sent as JSON, stored JSON value)
GOOD = [
    (question("likert"), "4", 4),
    (question("likert"), 1, 1),
    (question("likert", scale="agree_4", dont_know=True), "dont_know", "dont_know"),
    (question("likert", labels=["Never", "Sometimes", "Always"]), "3", 3),
    (question("rating"), "0", 0),
    (question("rating", limits={"min": 1, "max": 5}), 5, 5),
    (question("safety_scale"), "10", 10),
    (question("emoji_scale", faces=5), "5", 5),
    (question("emoji_scale"), 2, 2),
    (question("single_choice", options=OPTIONS), "amber", "amber"),
    (question("single_choice", options=OPTIONS, display="select"), " green ", "green"),
    (question("multi_choice", options=OPTIONS), ["green", "red"], {"selected": ["red", "green"]}),
    (question("multi_choice", options=OPTIONS), "red", {"selected": ["red"]}),
    (
        question("multi_choice", options=OPTIONS, other=True),
        {"selected": ["other"], "other": " Purple "},
        {"selected": ["other"], "other": "Purple"},
    ),
    (question("short_text"), "  Health visitor ", "Health visitor"),
    (
        question("long_text", limits={"max_length": 20}),
        "line one\r\nline two",
        "line one\nline two",
    ),
    (question("number"), "1,200", 1200),
    (question("number", limits={"integer": False, "min": 0}), "2.5", 2.5),
    (question("number", suffix="hours"), "12 hours", 12),
    (question("date"), ["1", "3", "2024"], "2024-03-01"),
    (question("date"), "2024-03-01", "2024-03-01"),
    (question("date"), {"day": "29", "month": "2", "year": "2024"}, "2024-02-29"),
    (question("yes_no"), "yes", True),
    (question("yes_no"), False, False),
    (question("consent"), "y", True),
    (question("matrix", rows=ROWS), {"clear": "5", "useful": 2}, {"clear": 5, "useful": 2}),
    (question("matrix", rows=ROWS), {"clear": "3"}, {"clear": 3}),
    (question("ranking", options=OPTIONS), ["green", "red", "amber"], ["green", "red", "amber"]),
    (
        question("ranking", options=OPTIONS),
        {"red": "2", "amber": "3", "green": "1"},
        ["green", "red", "amber"],
    ),
    (
        question("retrospective_confidence", outcomes=OUTCOMES),
        {"lo1": {"before": "2", "now": "4"}, "lo2": {"before": 1, "now": 5}},
        {"lo1": {"before": 2, "now": 4}, "lo2": {"before": 1, "now": 5}},
    ),
]


@pytest.mark.parametrize(("q", "raw", "stored"), GOOD)
def test_good_answer_is_accepted_and_round_trips_through_storage(q, raw, stored):
    value = clean_answer(q, raw)
    assert to_storage(q, value) == stored
    assert from_storage(q, stored) == value
    assert to_storage(q, from_storage(q, stored)) == stored


def test_every_answerable_type_has_a_good_answer_case():
    tested = {q["type"] for q, _, _ in GOOD}
    answerable = {name for name, t in forms.QUESTION_TYPES.items() if t.answerable}
    assert answerable <= tested


# (question, bad raw answer, the GOV.UK message expected)
BAD = [
    (question("likert", required=True), None, f"Select how much you agree with '{LABEL}'"),
    (question("likert"), "6", f"Select how much you agree with '{LABEL}'"),
    (question("likert"), "dont_know", f"Select how much you agree with '{LABEL}'"),
    (question("likert"), True, f"Select how much you agree with '{LABEL}'"),
    (
        question("likert", labels=["No", "Yes"], required=True),
        "",
        f"Select an answer for '{LABEL}'",
    ),
    (
        question("likert", scale="confidence_5", required=True),
        " ",
        f"Select how confident you feel about '{LABEL}'",
    ),
    (question("rating", required=True), None, f"Select a score between 0 and 10 for '{LABEL}'"),
    (question("rating"), "11", "Enter a number between 0 and 10"),
    (question("rating"), "seven", "Enter a number between 0 and 10"),
    (question("safety_scale"), "-1", "Enter a number between 0 and 10"),
    (
        question("safety_scale", required=True),
        None,
        f"Select a number between 0 and 10 for '{LABEL}'",
    ),
    (question("emoji_scale"), "4", f"Choose a face for '{LABEL}'"),
    (question("single_choice", options=OPTIONS), "blue", f"Select an answer for '{LABEL}'"),
    (
        question("single_choice", options=OPTIONS, required=True),
        "",
        f"Select an answer for '{LABEL}'",
    ),
    (
        question("multi_choice", options=OPTIONS, required=True),
        [],
        f"Select at least one option for '{LABEL}'",
    ),
    (
        question("multi_choice", options=OPTIONS),
        ["red", "blue"],
        f"Select only the options listed for '{LABEL}'",
    ),
    (
        question("multi_choice", options=OPTIONS, other=True),
        {"selected": ["other"], "other": ""},
        f"Enter your other answer for '{LABEL}'",
    ),
    (
        question("multi_choice", options=OPTIONS, limits={"max_selected": 1}),
        ["red", "green"],
        f"Select no more than 1 option for '{LABEL}'",
    ),
    (question("short_text", required=True), "   ", f"Enter your answer to '{LABEL}'"),
    (
        question("long_text", limits={"max_length": 5}),
        "too long",
        f"Your answer to '{LABEL}' must be 5 characters or fewer",
    ),
    (
        question("long_text"),
        "x" * 2001,
        f"Your answer to '{LABEL}' must be 2,000 characters or fewer",
    ),
    (question("number", required=True), "", f"Enter a number for '{LABEL}'"),
    (question("number"), "ten", f"'{LABEL}' must be a number"),
    (question("number"), "1e9999", f"'{LABEL}' must be a number"),
    (question("number"), float("nan"), f"'{LABEL}' must be a number"),
    (question("number"), "2.5", f"'{LABEL}' must be a whole number"),
    (question("number", limits={"min": 0, "max": 10}), "11", "Enter a number between 0 and 10"),
    (question("number", limits={"min": 18}), "17", "Enter a number of 18 or more"),
    (question("number", limits={"max": 1000}), "1001", "Enter a number of 1,000 or less"),
    (question("date", required=True), ["", "", ""], f"Enter the date for '{LABEL}'"),
    (question("date"), ["1", "", "2024"], f"'{LABEL}' must include a month"),
    (question("date"), ["", "", "2024"], f"'{LABEL}' must include a day and month"),
    (question("date"), ["31", "2", "2024"], f"'{LABEL}' must be a real date"),
    (question("date"), ["1", "2", "24"], f"The year for '{LABEL}' must include 4 numbers"),
    (question("date"), "yesterday", f"'{LABEL}' must be a real date"),
    (
        question("date", limits={"min": "2024-01-01"}),
        "2023-12-31",
        f"'{LABEL}' must be the same as or after 1 January 2024",
    ),
    (
        question("date", limits={"max": "2024-01-01"}),
        "2024-01-02",
        f"'{LABEL}' must be the same as or before 1 January 2024",
    ),
    (question("yes_no", required=True), None, f"Select yes or no for '{LABEL}'"),
    (question("yes_no"), "maybe", f"Select yes or no for '{LABEL}'"),
    (question("consent"), None, f"Select the box to confirm you agree with '{LABEL}'"),
    (question("consent"), "no", f"Select the box to confirm you agree with '{LABEL}'"),
    (
        question("matrix", rows=ROWS, required=True),
        {"clear": "4"},
        "Select how much you agree with 'It was useful'",
    ),
    (
        question("matrix", rows=ROWS),
        {"clear": "9"},
        "Select how much you agree with 'It was clear'",
    ),
    (question("matrix", rows=ROWS), "4", f"Answer every statement in '{LABEL}'"),
    (question("ranking", options=OPTIONS), ["red", "green"], f"Rank every option for '{LABEL}'"),
    (
        question("ranking", options=OPTIONS),
        ["red", "red", "green"],
        f"Give each option a different rank for '{LABEL}'",
    ),
    (
        question("ranking", options=OPTIONS),
        {"red": "1", "amber": "1", "green": "2"},
        f"Give each option a different rank for '{LABEL}'",
    ),
    (
        question("ranking", options=OPTIONS),
        {"red": "1", "amber": "", "green": "2"},
        f"Give every option a rank from 1 to 3 for '{LABEL}'",
    ),
    (question("ranking", options=OPTIONS, required=True), None, f"Rank the options for '{LABEL}'"),
    (
        question("retrospective_confidence", outcomes=OUTCOMES),
        {"lo1": {"before": "2"}},
        "Select how confident you feel now about 'Recognise neglect'",
    ),
    (
        question("retrospective_confidence", outcomes=OUTCOMES, required=True),
        None,
        "Select how confident you were before the course about 'Recognise neglect'",
    ),
]


@pytest.mark.parametrize(("q", "raw", "message"), BAD)
def test_bad_answer_is_refused_with_a_gov_uk_message(q, raw, message):
    with pytest.raises(AnswerError) as caught:
        clean_answer(q, raw)
    assert caught.value.message == message


def test_every_answerable_type_has_a_bad_answer_case():
    tested = {q["type"] for q, _, _ in BAD}
    answerable = {name for name, t in forms.QUESTION_TYPES.items() if t.answerable}
    assert answerable <= tested


def test_optional_question_left_blank_is_not_answered():
    for name, qtype in forms.QUESTION_TYPES.items():
        if name == "consent":
            continue
        q = (
            question(name, options=OPTIONS)
            if name in {"multi_choice", "ranking"}
            else question(name)
        )
        assert qtype.clean(q, None) is None
        assert qtype.clean(q, "  ") is None


def test_required_grid_reports_every_missing_row_with_its_location():
    q = question("matrix", rows=ROWS, required=True)
    with pytest.raises(AnswerError) as caught:
        clean_answer(q, {})
    assert [part for part, _ in caught.value.errors] == ["clear", "useful"]


def test_retrospective_confidence_errors_name_the_outcome_and_moment():
    q = question("retrospective_confidence", outcomes=OUTCOMES, required=True)
    with pytest.raises(AnswerError) as caught:
        clean_answer(q, {"lo1": {"before": "2", "now": "3"}})
    assert [part for part, _ in caught.value.errors] == ["lo2.before", "lo2.now"]


def test_other_text_error_is_located_at_the_other_box():
    q = question("multi_choice", options=OPTIONS, other=True)
    with pytest.raises(AnswerError) as caught:
        clean_answer(q, ["other"])
    assert caught.value.part == "other"


def test_date_missing_part_is_located_at_that_part():
    with pytest.raises(AnswerError) as caught:
        clean_answer(question("date"), ["12", "", "2024"])
    assert caught.value.part == "month"


def test_date_in_the_future_is_refused_against_the_callers_today():
    q = question("date", not_in_future=True)
    assert clean_answer(q, "2024-05-01", today=date(2024, 5, 1)) == date(2024, 5, 1)
    with pytest.raises(AnswerError) as caught:
        clean_answer(q, "2024-05-02", today=date(2024, 5, 1))
    assert caught.value.message == f"'{LABEL}' must be today or in the past"


def test_decimal_number_is_exact_in_memory_and_a_json_number_in_storage():
    q = question("number", limits={"integer": False})
    value = clean_answer(q, "0.1")
    assert value == Decimal("0.1")
    assert to_storage(q, value) == 0.1
    assert from_storage(q, 0.1) == Decimal("0.1")


def test_text_answer_loses_nul_characters_that_the_database_would_refuse():
    assert clean_answer(question("short_text"), "a\x00b") == "ab"


def test_info_collects_no_answer():
    assert clean_answer(question("info"), "anything") is None


def test_likert_summary_lists_its_levels_and_dont_know_apart():
    summary = summarise(question("likert", scale="agree_4", dont_know=True))
    assert summary["kind"] == "ordinal"
    assert [level["label"] for level in summary["levels"]] == [
        "Strongly disagree",
        "Disagree",
        "Agree",
        "Strongly agree",
    ]
    assert summary["not_applicable"] == [{"value": "dont_know", "label": "Don't know"}]


@pytest.mark.parametrize(
    ("q", "kind"),
    [
        (question("likert"), "ordinal"),
        (question("rating"), "ordinal"),
        (question("safety_scale"), "ordinal"),
        (question("emoji_scale"), "ordinal"),
        (question("single_choice", options=OPTIONS), "categorical"),
        (question("yes_no"), "categorical"),
        (question("consent"), "categorical"),
        (question("multi_choice", options=OPTIONS), "multi_categorical"),
        (question("short_text"), "text"),
        (question("long_text"), "text"),
        (question("number"), "number"),
        (question("date"), "date"),
        (question("matrix", rows=ROWS), "ordinal_grid"),
        (question("ranking", options=OPTIONS), "ranking"),
        (question("retrospective_confidence", outcomes=OUTCOMES), "paired_ordinal"),
        (question("info"), "none"),
    ],
)
def test_every_type_summarises_what_kind_of_data_it_collects(q, kind):
    assert summarise(q)["kind"] == kind


def test_emoji_scale_summary_gives_a_text_equivalent_for_every_face():
    levels = summarise(question("emoji_scale", faces=5))["levels"]
    assert [level["label"] for level in levels] == [
        "Very sad",
        "Sad",
        "Okay",
        "Happy",
        "Very happy",
    ]
    assert all(level["emoji"] for level in levels)


def test_rating_summary_labels_its_end_points():
    levels = summarise(question("rating", min_label="Very poor", max_label="Excellent"))["levels"]
    assert levels[0]["label"] == "0 - Very poor"
    assert levels[-1]["label"] == "10 - Excellent"
    assert len(levels) == 11


def test_free_text_is_picked_out_for_analysis():
    long_q = question("long_text")
    multi_q = question("multi_choice", options=OPTIONS, other=True)
    assert forms.answer_texts(long_q, "More time") == ["More time"]
    assert forms.answer_texts(multi_q, {"selected": ["other"], "other": "Rota"}) == ["Rota"]
    assert forms.answer_texts(question("likert"), 3) == []


def test_a_new_question_type_can_be_registered():
    @forms.register
    class Postcode(forms.QuestionType):
        name = "test_postcode"
        kind = "text"

        def parse(self, question, raw, today):
            return raw.strip().upper()

    try:
        q = {"key": "pc", "type": "test_postcode", "label": "Postcode"}
        assert clean_answer(q, " so14 7lp ") == "SO14 7LP"
        definition = {
            "schema_version": 1,
            "key": "t",
            "title": "T",
            "pages": [{"key": "p", "title": "P", "questions": [q]}],
        }
        assert forms.validate(definition) == []
    finally:
        del forms.QUESTION_TYPES["test_postcode"]
