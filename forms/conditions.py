"""show_if conditions: checking them in a definition and evaluating them against answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.problems import Problem, join, shown
from forms.questions import QUESTION_TYPES, same_value

OPERATORS = ("equals", "not_equals", "in", "answered")
COMBINATORS = ("all", "any")
EXAMPLE = '{"question": "role", "equals": "manager"}'


@dataclass(frozen=True)
class Earlier:
    """What a condition needs to know about a question it may refer to."""

    order: int
    question: Mapping[str, Any]


def check_condition(
    condition: Any, path: str, *, here: str | None, order: int, known: Mapping[str, Earlier]
) -> list[Problem]:
    """Problems in a show_if condition on the question keyed here, at position order."""
    if not isinstance(condition, Mapping):
        return [Problem(path, f"must be a condition such as {EXAMPLE}")]
    combos = [c for c in COMBINATORS if c in condition]
    if combos:
        if len(condition) > 1:
            return [
                Problem(path, "use one of 'all' or 'any' on its own, with a list of conditions")
            ]
        items = condition[combos[0]]
        where = join(path, combos[0])
        if not isinstance(items, list) or not items:
            return [Problem(where, "must be a non-empty list of conditions")]
        problems: list[Problem] = []
        for index, item in enumerate(items):
            problems += check_condition(
                item, join(where, index), here=here, order=order, known=known
            )
        return problems

    problems = []
    operators = [k for k in condition if k in OPERATORS]
    for name in condition:
        if name != "question" and name not in OPERATORS:
            problems.append(
                Problem(
                    path,
                    f"{shown(str(name))} is not a recognised operator; "
                    "use equals, not_equals, in, answered, all or any",
                )
            )
    if len(operators) != 1:
        problems.append(Problem(path, "give exactly one of equals, not_equals, in or answered"))
    if "question" not in condition:
        problems.append(Problem(path, "missing 'question': the key of an earlier question"))
        return problems
    ref = condition["question"]
    if not isinstance(ref, str):
        problems.append(Problem(join(path, "question"), "must be the key of an earlier question"))
        return problems
    if ref == here:
        problems.append(Problem(path, f"refers to {shown(ref)}, which is this question itself"))
        return problems
    if ref not in known:
        message = f"refers to {shown(ref)}, which is not a question in this form"
        problems.append(Problem(path, message))
        return problems
    if known[ref].order > order:
        problems.append(Problem(path, f"refers to {shown(ref)}, which comes later"))
        return problems
    if len(operators) == 1:
        problems += check_operand(condition, operators[0], path, known[ref].question)
    return problems


def check_operand(
    condition: Mapping[str, Any], operator: str, path: str, target: Mapping[str, Any]
) -> list[Problem]:
    """Problems with the value a condition compares the referenced answer with."""
    where = join(path, operator)
    operand = condition[operator]
    name = target.get("type")
    qtype = QUESTION_TYPES.get(name) if isinstance(name, str) else None
    if qtype is not None and not qtype.answerable:
        return [Problem(path, f"refers to {shown(target.get('key'))}, which collects no answer")]
    if operator == "answered":
        return [] if isinstance(operand, bool) else [Problem(where, "must be true or false")]
    if qtype is None:
        return []
    if operator == "in":
        if not isinstance(operand, list) or not operand:
            return [Problem(where, "must be a non-empty list of answers")]
        values = operand
    else:
        values = [operand]
    problems = []
    for value in values:
        reason = qtype.condition_value_problem(target, value)
        if reason:
            problems.append(Problem(where, reason))
    return problems


def is_answered(value: Any) -> bool:
    """Whether a stored answer counts as given."""
    return value is not None and value != "" and value != [] and value != {}


def matches(stored: Any, wanted: Any) -> bool:
    """Whether a stored answer equals a condition's value; a multi-choice answer matches any
    option it selected."""
    if isinstance(stored, Mapping) and isinstance(stored.get("selected"), list):
        return any(same_value(s, wanted) for s in stored["selected"])
    if isinstance(stored, list):
        return any(same_value(s, wanted) for s in stored)
    return same_value(stored, wanted)


def evaluate_show_if(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a question with this show_if is shown, given stored answers keyed by question.

    No condition means always shown. An unanswered question equals nothing, so "equals" and "in"
    are false and "not_equals" is true. Raises ValueError on a malformed condition: definitions
    are checked with forms.validate before they are used.
    """
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        raise ValueError(f"a show_if condition must be an object, not {type(condition).__name__}")
    if "all" in condition:
        return all(evaluate_show_if(c, answers) for c in _conditions(condition["all"]))
    if "any" in condition:
        return any(evaluate_show_if(c, answers) for c in _conditions(condition["any"]))
    key = condition.get("question")
    if not isinstance(key, str):
        raise ValueError("a show_if condition needs the key of a question")
    stored = answers.get(key)
    if "answered" in condition:
        return is_answered(stored) == bool(condition["answered"])
    if "equals" in condition:
        return is_answered(stored) and matches(stored, condition["equals"])
    if "not_equals" in condition:
        return not (is_answered(stored) and matches(stored, condition["not_equals"]))
    if "in" in condition and isinstance(condition["in"], list):
        return is_answered(stored) and any(matches(stored, v) for v in condition["in"])
    raise ValueError(f"show_if has no recognised operator: {dict(condition)!r}")


def _conditions(items: Any) -> list[Any]:
    if not isinstance(items, list):
        raise ValueError("'all' and 'any' take a list of conditions")
    return items


def referenced_keys(condition: Any) -> set[str]:
    """Every question key a condition mentions, however deeply nested."""
    if not isinstance(condition, Mapping):
        return set()
    keys = {condition["question"]} if isinstance(condition.get("question"), str) else set()
    for combo in COMBINATORS:
        if isinstance(condition.get(combo), list):
            for item in condition[combo]:
                keys |= referenced_keys(item)
    return keys
