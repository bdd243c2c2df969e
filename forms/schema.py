"""Validation of a whole instrument definition, reporting every problem and never raising."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from forms.conditions import Earlier, check_condition
from forms.problems import Problem, join, shown
from forms.questions import IDENTIFIER_HELP, QUESTION_TYPES, is_identifier

SCHEMA_VERSION = 1
INSTRUMENT_FIELDS = frozenset({"schema_version", "key", "title", "intro", "pages", "meta"})
PAGE_FIELDS = frozenset({"key", "title", "intro", "questions"})
COMMON_FIELDS = frozenset(
    {"key", "type", "label", "hint", "required", "limits", "themes", "show_if"}
)


def validate(
    definition: Any,
    themes: Iterable[str] | None = None,
    *,
    allow_placeholders: bool = True,
) -> list[Problem]:
    """Every problem in an instrument definition; an empty list means it can be used.

    themes, when given, is the codebook's list of theme keys, and questions tagged with any
    other key are reported. With allow_placeholders=False, a "from_course" placeholder not yet
    filled by with_learning_outcomes is a problem, as it must be before a campaign starts.
    """
    try:
        codebook = None if themes is None else {t for t in themes if isinstance(t, str)}
    except TypeError:
        codebook = None
    try:
        return _Validator(codebook, allow_placeholders).instrument(definition)
    except RecursionError:
        # Only a pathologically nested condition can get here; say so rather than fail.
        return [Problem("", "the definition is nested too deeply to check")]


class _Validator:
    """One pass over a definition, collecting problems as it goes."""

    def __init__(self, codebook: set[str] | None, allow_placeholders: bool) -> None:
        self.codebook = codebook
        self.allow_placeholders = allow_placeholders
        self.problems: list[Problem] = []
        self.known: dict[str, Earlier] = {}
        self.order = 0

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def instrument(self, definition: Any) -> list[Problem]:
        if not isinstance(definition, Mapping):
            self.add(
                "", "the definition must be an object with schema_version, key, title and pages"
            )
            return self.problems
        version = definition.get("schema_version")
        if "schema_version" not in definition:
            self.add("schema_version", f"missing; this library reads version {SCHEMA_VERSION}")
        elif isinstance(version, bool) or version != SCHEMA_VERSION:
            self.add("schema_version", f"must be {SCHEMA_VERSION}, found {shown(version)}")
        self.key(definition, "", "form")
        self.text(definition, "title", "", required=True)
        self.text(definition, "intro", "", required=False)
        if "meta" in definition and not isinstance(definition["meta"], Mapping):
            self.add("meta", "must be an object")
        self.unknown_fields(definition, INSTRUMENT_FIELDS, "")

        pages = definition.get("pages")
        if "pages" not in definition:
            self.add("pages", "missing; a form needs at least one page")
        elif not isinstance(pages, list):
            self.add("pages", "must be a list of pages")
        elif not pages:
            self.add("pages", "must contain at least one page")
        else:
            self.collect_keys(pages)
            page_keys: set[str] = set()
            for index, page in enumerate(pages):
                self.page(page, join("pages", index), page_keys)
        return self.problems

    def collect_keys(self, pages: list[Any]) -> None:
        """Note where each question key first appears, so conditions can tell earlier from later."""
        order = 0
        for page in pages:
            questions = page.get("questions") if isinstance(page, Mapping) else None
            for question in questions if isinstance(questions, list) else []:
                order += 1
                key = question.get("key") if isinstance(question, Mapping) else None
                if isinstance(key, str) and key not in self.known:
                    self.known[key] = Earlier(order, question)

    def page(self, page: Any, path: str, page_keys: set[str]) -> None:
        if not isinstance(page, Mapping):
            self.add(path, "each page must be an object with key, title and questions")
            return
        key = self.key(page, path, "page")
        if key is not None:
            if key in page_keys:
                self.add(join(path, "key"), f"{shown(key)} is used by another page")
            page_keys.add(key)
        self.text(page, "title", path, required=True)
        self.text(page, "intro", path, required=False)
        self.unknown_fields(page, PAGE_FIELDS, path)
        questions = page.get("questions")
        where = join(path, "questions")
        if "questions" not in page:
            self.add(where, "missing; a page needs at least one question")
        elif not isinstance(questions, list):
            self.add(where, "must be a list of questions")
        elif not questions:
            self.add(where, "must contain at least one question")
        else:
            for index, question in enumerate(questions):
                self.order += 1
                self.question(question, join(where, index))

    def question(self, question: Any, path: str) -> None:
        if not isinstance(question, Mapping):
            self.add(path, "each question must be an object with key, type and label")
            return
        key = self.key(question, path, "question")
        if (
            key is not None
            and self.known.get(key, Earlier(self.order, question)).order != self.order
        ):
            self.add(join(path, "key"), f"{shown(key)} is used by another question")

        name = question.get("type")
        qtype = QUESTION_TYPES.get(name) if isinstance(name, str) else None
        if "type" not in question:
            self.add(join(path, "type"), f"missing; use one of {', '.join(QUESTION_TYPES)}")
        elif qtype is None:
            self.add(
                join(path, "type"),
                f"{shown(name)} is not a question type; use one of {', '.join(QUESTION_TYPES)}",
            )

        self.text(question, "label", path, required=True)
        if "hint" in question and not isinstance(question["hint"], str):
            self.add(join(path, "hint"), "must be text")
        if "required" in question and not isinstance(question["required"], bool):
            self.add(join(path, "required"), "must be true or false")
        self.themes(question, path)
        if "show_if" in question:
            self.problems += check_condition(
                question["show_if"],
                join(path, "show_if"),
                here=key,
                order=self.order,
                known=self.known,
            )
        if qtype is None:
            return

        self.unknown_fields(question, COMMON_FIELDS | qtype.fields, path, qtype.name)
        if "limits" in question:
            limits = question["limits"]
            if not qtype.limit_keys:
                self.add(join(path, "limits"), f"{qtype.name} questions take no limits")
            elif not isinstance(limits, Mapping):
                self.add(join(path, "limits"), "must be an object")
            else:
                for name in limits:
                    if name not in qtype.limit_keys:
                        allowed = ", ".join(sorted(qtype.limit_keys))
                        message = f"{shown(str(name))} is not a limit of {qtype.name} questions"
                        self.add(join(path, "limits"), f"{message} ({allowed})")
        self.problems += qtype.check(question, path)
        if not self.allow_placeholders:
            for field in qtype.placeholders(question):
                self.add(
                    join(path, field),
                    "still holds the course placeholder; fill it with with_learning_outcomes",
                )

    def themes(self, question: Mapping[str, Any], path: str) -> None:
        if "themes" not in question:
            return
        themes = question["themes"]
        where = join(path, "themes")
        if not isinstance(themes, list):
            self.add(where, "must be a list of theme keys")
            return
        seen: set[str] = set()
        for index, theme in enumerate(themes):
            if not isinstance(theme, str):
                self.add(join(where, index), "must be a theme key")
            elif theme in seen:
                self.add(join(where, index), f"{shown(theme)} is listed twice")
            elif self.codebook is not None and theme not in self.codebook:
                self.add(join(where, index), f"{shown(theme)} is not a theme in the codebook")
            else:
                seen.add(theme)

    def key(self, item: Mapping[str, Any], path: str, noun: str) -> str | None:
        """Check an item's key, returning it when it is usable."""
        where = join(path, "key")
        if "key" not in item:
            self.add(where, f"missing; every {noun} needs a key")
            return None
        key = item["key"]
        if not is_identifier(key):
            self.add(where, f"{shown(key)} is not usable as a key; {IDENTIFIER_HELP}")
            return None
        return key

    def text(self, item: Mapping[str, Any], field: str, path: str, *, required: bool) -> None:
        where = join(path, field)
        if field not in item:
            if required:
                self.add(where, "missing")
            return
        value = item[field]
        if not isinstance(value, str) or not value.strip():
            self.add(where, "must be non-empty text")

    def unknown_fields(
        self, item: Mapping[str, Any], allowed: frozenset[str], path: str, kind: str | None = None
    ) -> None:
        for name in item:
            if name not in allowed:
                where = f"{kind} questions" if kind else "here"
                self.add(join(path, str(name)), f"is not a field used {where}")
