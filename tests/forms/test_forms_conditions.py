"""show_if evaluation, which questions and pages are shown, and page numbering."""

import pytest

from forms import (
    effective_answers,
    evaluate_show_if,
    next_page,
    page_position,
    previous_page,
    validate,
    visible_pages,
    visible_questions,
)

ROLE_IS_MANAGER = {"question": "role", "equals": "manager"}
TIME_CHOSEN = {"barriers": {"selected": ["time"]}}
HAS_HOURS = {"question": "hours", "answered": True}


@pytest.mark.parametrize(
    ("condition", "answers", "shown"),
    [
        (None, {}, True),
        (ROLE_IS_MANAGER, {"role": "manager"}, True),
        (ROLE_IS_MANAGER, {"role": "practitioner"}, False),
        (ROLE_IS_MANAGER, {}, False),
        ({"question": "role", "not_equals": "manager"}, {"role": "practitioner"}, True),
        ({"question": "role", "not_equals": "manager"}, {"role": "manager"}, False),
        ({"question": "role", "not_equals": "manager"}, {}, True),
        ({"question": "score", "in": [4, 5]}, {"score": 5}, True),
        ({"question": "score", "in": [4, 5]}, {"score": 3}, False),
        ({"question": "score", "in": [4, 5]}, {"score": None}, False),
        (HAS_HOURS, {"hours": 0}, True),
        (HAS_HOURS, {"hours": None}, False),
        ({"question": "hours", "answered": False}, {}, True),
        ({"question": "notes", "answered": True}, {"notes": ""}, False),
        ({"question": "supervised", "equals": False}, {"supervised": False}, True),
        ({"question": "supervised", "equals": False}, {"supervised": 0}, False),
        ({"question": "score", "equals": 1}, {"score": True}, False),
        ({"question": "score", "equals": 4}, {"score": "4"}, False),
        ({"question": "barriers", "equals": "time"}, TIME_CHOSEN, True),
        (
            {"question": "barriers", "in": ["caseload", "time"]},
            {"barriers": {"selected": ["time"]}},
            True,
        ),
        (
            {"question": "barriers", "not_equals": "time"},
            {"barriers": {"selected": ["time"]}},
            False,
        ),
        ({"question": "order", "equals": "b"}, {"order": ["a", "b"]}, True),
        ({"all": [ROLE_IS_MANAGER, HAS_HOURS]}, {"role": "manager", "hours": 3}, True),
        ({"all": [ROLE_IS_MANAGER, HAS_HOURS]}, {"role": "manager"}, False),
        ({"any": [ROLE_IS_MANAGER, HAS_HOURS]}, {"hours": 3}, True),
        ({"any": [ROLE_IS_MANAGER, HAS_HOURS]}, {}, False),
        (
            {"any": [{"all": [ROLE_IS_MANAGER, HAS_HOURS]}, {"question": "role", "equals": "dsl"}]},
            {"role": "dsl"},
            True,
        ),
        (
            {"all": [{"any": [ROLE_IS_MANAGER, {"question": "role", "equals": "dsl"}]}, HAS_HOURS]},
            {"role": "dsl"},
            False,
        ),
    ],
)
def test_show_if_combinations_evaluate_against_stored_answers(condition, answers, shown):
    assert evaluate_show_if(condition, answers) is shown


@pytest.mark.parametrize(
    "condition", ["role", {"question": "role"}, {"all": "x"}, {"equals": 1}, {"question": [1]}]
)
def test_malformed_condition_raises_value_error_rather_than_guessing(condition):
    with pytest.raises(ValueError):
        evaluate_show_if(condition, {"role": "manager"})


def definition():
    return {
        "schema_version": 1,
        "key": "branching",
        "title": "Branching",
        "pages": [
            {"key": "one", "title": "One", "questions": [
                {"key": "role", "type": "single_choice", "label": "Role", "options": [
                    {"value": "manager", "label": "Manager"},
                    {"value": "practitioner", "label": "Practitioner"},
                ]},
                {"key": "supervises", "type": "yes_no", "label": "Do you supervise others?",
                 "show_if": ROLE_IS_MANAGER},
            ]},
            {"key": "managers", "title": "For managers", "questions": [
                {"key": "team_size", "type": "number", "label": "Team size",
                 "show_if": {"question": "supervises", "equals": True}},
            ]},
            {"key": "end", "title": "End", "questions": [
                {"key": "notes", "type": "long_text", "label": "Anything else?"},
            ]},
        ],
    }  # fmt: skip


def test_branching_definition_is_valid():
    assert validate(definition()) == []


def test_visible_questions_follow_the_answers_so_far():
    keys = [q["key"] for q in visible_questions(definition(), 0, {})]
    assert keys == ["role"]
    keys = [q["key"] for q in visible_questions(definition(), 0, {"role": "manager"})]
    assert keys == ["role", "supervises"]


def test_answer_to_a_question_that_no_longer_applies_stops_counting():
    stale = {"role": "practitioner", "supervises": True, "team_size": 8, "notes": "x"}
    assert effective_answers(definition(), stale) == {"role": "practitioner", "notes": "x"}
    assert visible_questions(definition(), 1, stale) == []


def test_page_with_nothing_to_show_is_skipped_in_numbering_and_navigation():
    practitioner = {"role": "practitioner"}
    assert visible_pages(definition(), practitioner) == [0, 2]
    assert page_position(definition(), 2, practitioner) == (2, 2)
    assert next_page(definition(), 0, practitioner) == 2
    assert previous_page(definition(), 2, practitioner) == 0
    assert next_page(definition(), 2, practitioner) is None
    assert previous_page(definition(), 0, practitioner) is None


def test_page_numbering_counts_pages_that_answers_open_up():
    manager = {"role": "manager", "supervises": True}
    assert page_position(definition(), 0, manager) == (1, 3)
    assert page_position(definition(), 1, manager) == (2, 3)
    assert page_position(definition(), 2, manager) == (3, 3)
