"""Survey definitions: the schema and its validation, show_if conditions and question types."""

from forms.conditions import evaluate_show_if
from forms.instrument import (
    answer_texts,
    clean_answer,
    effective_answers,
    find_question,
    from_storage,
    iter_questions,
    next_page,
    page_position,
    previous_page,
    summarise,
    to_storage,
    visible_pages,
    visible_questions,
    with_learning_outcomes,
)
from forms.problems import Problem
from forms.questions import (
    FROM_COURSE,
    QUESTION_TYPES,
    AnswerError,
    QuestionType,
    question_type,
    register,
)
from forms.schema import SCHEMA_VERSION, validate
from forms.themes import THEMES

__all__ = [
    "FROM_COURSE",
    "QUESTION_TYPES",
    "SCHEMA_VERSION",
    "THEMES",
    "AnswerError",
    "Problem",
    "QuestionType",
    "answer_texts",
    "clean_answer",
    "effective_answers",
    "evaluate_show_if",
    "find_question",
    "from_storage",
    "iter_questions",
    "next_page",
    "page_position",
    "previous_page",
    "question_type",
    "register",
    "summarise",
    "to_storage",
    "validate",
    "visible_pages",
    "visible_questions",
    "with_learning_outcomes",
]
