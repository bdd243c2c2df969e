"""Working with a validated definition: finding questions, visibility, answers and outcomes."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from forms.conditions import evaluate_show_if
from forms.questions import FROM_COURSE, QuestionType, question_type

Definition = Mapping[str, Any]
Question = Mapping[str, Any]


def pages(definition: Definition) -> list[Mapping[str, Any]]:
    """The pages of a definition."""
    return list(definition["pages"])


def iter_questions(definition: Definition) -> Iterator[tuple[int, Question]]:
    """(page index, question) for every question, in the order respondents meet them."""
    for page_index, page in enumerate(definition["pages"]):
        for question in page["questions"]:
            yield page_index, question


def find_question(definition: Definition, key: str) -> Question:
    """The question with this key; KeyError if there is none."""
    for _, question in iter_questions(definition):
        if question["key"] == key:
            return question
    raise KeyError(key)


def type_of(question: Question) -> QuestionType:
    """The question type object that knows how to handle this question."""
    return question_type(question["type"])


def effective_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answers that still count: those to questions shown given earlier answers.

    A respondent who goes back and changes an answer can hide a question answered before; its
    answer, and the answers to anything that depended on it, no longer count.
    """
    kept: dict[str, Any] = {}
    for _, question in iter_questions(definition):
        key = question["key"]
        if key in answers and evaluate_show_if(question.get("show_if"), kept):
            kept[key] = answers[key]
    return kept


def visible_questions(
    definition: Definition, page_index: int, answers: Mapping[str, Any]
) -> list[Question]:
    """The questions of a page to show, given the stored answers so far."""
    counted = effective_answers(definition, answers)
    return [
        question
        for question in definition["pages"][page_index]["questions"]
        if evaluate_show_if(question.get("show_if"), counted)
    ]


def visible_pages(definition: Definition, answers: Mapping[str, Any]) -> list[int]:
    """Indexes of the pages with at least one question to show, given the answers so far."""
    return [
        index
        for index in range(len(definition["pages"]))
        if visible_questions(definition, index, answers)
    ]


def page_position(
    definition: Definition, page_index: int, answers: Mapping[str, Any]
) -> tuple[int, int]:
    """(page number, page count) for "Page 2 of 4", skipping pages that will not be shown."""
    shown = visible_pages(definition, answers)
    number = sum(1 for index in shown if index < page_index) + 1
    count = len(shown) + (0 if page_index in shown else 1)
    return number, max(count, number)


def next_page(definition: Definition, page_index: int, answers: Mapping[str, Any]) -> int | None:
    """The index of the next page to show after page_index, or None at the end."""
    later = [i for i in visible_pages(definition, answers) if i > page_index]
    return later[0] if later else None


def previous_page(
    definition: Definition, page_index: int, answers: Mapping[str, Any]
) -> int | None:
    """The index of the page shown before page_index, or None at the start."""
    earlier = [i for i in visible_pages(definition, answers) if i < page_index]
    return earlier[-1] if earlier else None


def clean_answer(question: Question, raw: Any, *, today: date | None = None) -> Any:
    """Validate and normalise one answer; raises AnswerError with a GOV.UK message."""
    return type_of(question).clean(question, raw, today=today)


def to_storage(question: Question, value: Any) -> Any:
    """The JSON value to store for a cleaned answer."""
    return type_of(question).to_storage(question, value)


def from_storage(question: Question, stored: Any) -> Any:
    """A cleaned answer back from its stored JSON value."""
    return type_of(question).from_storage(question, stored)


def summarise(question: Question) -> dict[str, Any]:
    """What kind of data a question collects: its kind, and its levels where it has them."""
    return type_of(question).summary(question)


def answer_texts(question: Question, stored: Any) -> list[str]:
    """The free text in a stored answer, for the analysis pipeline's text segments."""
    return type_of(question).texts(question, stored)


def with_learning_outcomes(
    definition: Definition, outcomes: Sequence[str | Mapping[str, str]]
) -> dict[str, Any]:
    """A copy of the definition with a course's learning outcomes in place of the placeholder.

    outcomes is the course's list, as plain text or as {"key", "label"} items. Plain outcomes
    are keyed lo1, lo2, ... in order, so the same course gives the same keys in the evaluation
    and in its follow-ups, and answers can be compared outcome by outcome.
    """
    items = []
    for number, outcome in enumerate(outcomes, start=1):
        if isinstance(outcome, str):
            item = {"key": f"lo{number}", "label": outcome.strip()}
        elif isinstance(outcome, Mapping):
            item = {"key": str(outcome.get("key", f"lo{number}")), "label": outcome.get("label")}
        else:
            raise TypeError(f"learning outcome {number} must be text or a {{key, label}} object")
        if not isinstance(item["label"], str) or not item["label"].strip():
            raise ValueError(f"learning outcome {number} has no text")
        items.append(item)
    if not items:
        raise ValueError("a course needs at least one learning outcome to fill this form")
    filled = copy.deepcopy(dict(definition))
    for page in filled["pages"]:
        for question in page["questions"]:
            for field in ("outcomes", "rows"):
                if question.get(field) == FROM_COURSE:
                    question[field] = copy.deepcopy(items)
    return filled
