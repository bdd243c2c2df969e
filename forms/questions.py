"""Question types: each checks its own definition, cleans an answer, stores it and summarises it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from forms.problems import Problem, join, shown

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,63}")
IDENTIFIER_HELP = "use lower-case letters, digits and underscores, starting with a letter"

#: The placeholder a library instrument holds where a course's learning outcomes go.
FROM_COURSE = "from_course"

DONT_KNOW = "dont_know"
DONT_KNOW_LABEL = "Don't know"
OTHER = "other"
OTHER_LABEL = "Other, please specify"
OTHER_MAX_LENGTH = 200

SCALES: dict[str, tuple[str, ...]] = {
    "agree_5": (
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ),
    "agree_4": ("Strongly disagree", "Disagree", "Agree", "Strongly agree"),
    "confidence_5": (
        "Not at all confident",
        "Slightly confident",
        "Somewhat confident",
        "Fairly confident",
        "Very confident",
    ),
}
DEFAULT_SCALE = "agree_5"

FACES: dict[int, tuple[tuple[str, str], ...]] = {
    3: (("\U0001f641", "Sad"), ("\U0001f610", "Okay"), ("\U0001f600", "Happy")),
    5: (
        ("\U0001f622", "Very sad"),
        ("\U0001f641", "Sad"),
        ("\U0001f610", "Okay"),
        ("\U0001f642", "Happy"),
        ("\U0001f604", "Very happy"),
    ),
}

MOMENTS = ("before", "now")

# Numbers are typed by people; anything longer than this is a mistake or an attack, and keeping
# it short stops a huge integer being built from a hostile string.
NUMBER_PATTERN = re.compile(r"-?\d{1,15}(\.\d{1,6})?")


class AnswerError(ValueError):
    """An answer that cannot be accepted, with GOV.UK-style messages located by part.

    ``errors`` holds (part, message) pairs; part is None for the question as a whole, or names a
    piece of it such as a matrix row key, "lo1.before" or "other".
    """

    def __init__(self, message: str, part: str | None = None, *, errors=None) -> None:
        self.errors: list[tuple[str | None, str]] = list(errors or [(part, message)])
        super().__init__(self.errors[0][1])

    @property
    def message(self) -> str:
        return self.errors[0][1]

    @property
    def part(self) -> str | None:
        return self.errors[0][0]


def is_identifier(value: object) -> bool:
    """Whether a value is a usable key: a short lower-case identifier."""
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None


def is_blank(raw: object) -> bool:
    """Whether a submitted answer holds nothing at all (so 'required' decides what happens)."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, Mapping):
        return all(is_blank(v) for v in raw.values())
    if isinstance(raw, list | tuple | set | frozenset):
        return all(is_blank(v) for v in raw)
    return False


def quoted(question: Mapping[str, Any]) -> str:
    """The question's label in quotes, for error messages that must say which question."""
    label = question.get("label")
    if not isinstance(label, str) or not label.strip():
        label = question.get("key") if isinstance(question.get("key"), str) else "this question"
    return f"'{label.strip()}'"


def format_number(value: int | float | Decimal) -> str:
    """A number as GOV.UK writes it: thousands separated by commas, no trailing zeros."""
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral_value():
            return f"{int(value):,}"
        return f"{value:,f}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}"


def plural(count: int, noun: str) -> str:
    """'1 option', '2 options'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_date(value: date) -> str:
    """A date as GOV.UK writes it: 1 March 2024."""
    return f"{value.day} {value:%B %Y}"


def clean_text(raw: str) -> str:
    """Normalise typed text before it is measured and stored."""
    # Browsers post CRLF, which would count twice against a character limit; PostgreSQL refuses
    # NUL in text columns, so one would turn a typing accident into a server error.
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def as_int(raw: object) -> int | None:
    """An integer from a JSON number or a posted string, or None if it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,15}\s*", raw):
        return int(raw)
    return None


def same_value(a: object, b: object) -> bool:
    """Equality that does not confuse True with 1 or "3" with 3."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


class QuestionType:
    """The behaviour shared by every question type; subclasses fill in the specifics."""

    #: The name used in definitions: {"type": name}.
    name: ClassVar[str] = ""
    #: What kind of data the answers are, for the analysis layer.
    kind: ClassVar[str] = ""
    #: Whether the question collects an answer at all (info does not).
    answerable: ClassVar[bool] = True
    #: Whether show_if may test its answers with equals / not_equals / in.
    comparable: ClassVar[bool] = False
    #: Definition fields this type accepts beyond the common ones.
    fields: ClassVar[frozenset[str]] = frozenset()
    #: Keys this type accepts inside "limits".
    limit_keys: ClassVar[frozenset[str]] = frozenset()

    # -- the definition -------------------------------------------------------------------------

    def check(self, question: Mapping[str, Any], path: str) -> list[Problem]:
        """Problems with the type-specific parts of a question's definition."""
        return []

    def placeholders(self, question: Mapping[str, Any]) -> list[str]:
        """Names of fields still holding a placeholder to be filled before use."""
        return []

    # -- answers ---------------------------------------------------------------------------------

    def is_required(self, question: Mapping[str, Any]) -> bool:
        return question.get("required") is True

    def missing_message(self, question: Mapping[str, Any]) -> str:
        return f"Answer {quoted(question)}"

    def clean(self, question: Mapping[str, Any], raw: Any, *, today: date | None = None) -> Any:
        """Validate and normalise a submitted answer; None means not answered.

        Raises AnswerError with a GOV.UK-style message when the answer cannot be accepted.
        """
        if is_blank(raw):
            if self.is_required(question):
                raise AnswerError(self.missing_message(question))
            return None
        return self.parse(question, raw, today)

    def parse(self, question: Mapping[str, Any], raw: Any, today: date | None) -> Any:
        raise NotImplementedError

    def to_storage(self, question: Mapping[str, Any], value: Any) -> Any:
        """The JSON value kept in the database for a cleaned answer."""
        return value

    def from_storage(self, question: Mapping[str, Any], stored: Any) -> Any:
        """The cleaned answer back from its stored JSON value."""
        return stored

    def texts(self, question: Mapping[str, Any], stored: Any) -> list[str]:
        """Free text in a stored answer, which becomes text segments for analysis."""
        return []

    def summary(self, question: Mapping[str, Any]) -> dict[str, Any]:
        """What kind of data the question collects, for choosing statistics."""
        return {"kind": self.kind}

    def condition_value_problem(self, question: Mapping[str, Any], value: Any) -> str | None:
        """Why a show_if value can never match an answer to this question, or None if it can."""
        if not self.comparable:
            return f"answers to {self.name} questions can only be tested with 'answered'"
        try:
            cleaned = None if is_blank(value) else self.parse(question, value, None)
        except AnswerError:
            cleaned = None
        if cleaned is None or not same_value(self.to_storage(question, cleaned), value):
            return f"{shown(value)} is not a possible answer to {shown(question.get('key'))}"
        return None


QUESTION_TYPES: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Add a question type to the registry under its name."""
    QUESTION_TYPES[cls.name] = cls()
    return cls


def question_type(name: str) -> QuestionType:
    """The registered type called name; KeyError if there is none."""
    return QUESTION_TYPES[name]


# -- checking pieces of definitions ---------------------------------------------------------------


def check_bool(question: Mapping[str, Any], field: str, path: str) -> list[Problem]:
    if field in question and not isinstance(question[field], bool):
        return [Problem(join(path, field), "must be true or false")]
    return []


def check_text(question: Mapping[str, Any], field: str, path: str) -> list[Problem]:
    if field in question and not (isinstance(question[field], str) and question[field].strip()):
        return [Problem(join(path, field), "must be non-empty text")]
    return []


def check_items(
    items: Any, path: str, *, key_field: str, noun: str, allowed: frozenset[str]
) -> list[Problem]:
    """Problems in a list of {key_field, label} items: options, matrix rows or outcomes."""
    if not isinstance(items, list):
        return [Problem(path, f"must be a list of {noun}s")]
    if not items:
        return [Problem(path, f"must list at least one {noun}")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = join(path, index)
        if not isinstance(item, dict):
            problems.append(
                Problem(where, f"each {noun} must be an object with {key_field} and label")
            )
            continue
        key = item.get(key_field)
        if key_field not in item:
            problems.append(Problem(where, f"missing '{key_field}'"))
        elif not is_identifier(key):
            problems.append(
                Problem(join(where, key_field), f"{shown(key)} is not usable; {IDENTIFIER_HELP}")
            )
        elif key in seen:
            problems.append(Problem(join(where, key_field), f"{shown(key)} is used twice"))
        else:
            seen.add(key)
        label = item.get("label")
        if not (isinstance(label, str) and label.strip()):
            problems.append(Problem(join(where, "label"), "must be non-empty text"))
        if "hint" in item and not isinstance(item["hint"], str):
            problems.append(Problem(join(where, "hint"), "must be text"))
        for extra in sorted(str(k) for k in item if k not in allowed):
            problems.append(Problem(join(where, extra), "is not a recognised field"))
    return problems


def check_options(question: Mapping[str, Any], path: str, *, minimum: int = 2) -> list[Problem]:
    if "options" not in question:
        return [Problem(join(path, "options"), f"{question.get('type')} questions need options")]
    options = question["options"]
    problems = check_items(
        options,
        join(path, "options"),
        key_field="value",
        noun="option",
        allowed=frozenset({"value", "label", "hint"}),
    )
    if not problems and len(options) < minimum:
        problems.append(Problem(join(path, "options"), f"must list at least {minimum} options"))
    return problems


def option_values(question: Mapping[str, Any]) -> list[str]:
    options = question.get("options")
    if not isinstance(options, list):
        return []
    return [o["value"] for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)]


def option_labels(question: Mapping[str, Any]) -> dict[str, str]:
    options = question.get("options") if isinstance(question.get("options"), list) else []
    return {
        o["value"]: str(o.get("label", o["value"]))
        for o in options
        if isinstance(o, dict) and isinstance(o.get("value"), str)
    }


def check_number_limit(limits: Mapping[str, Any], key: str, path: str) -> list[Problem]:
    value = limits.get(key)
    if key in limits and (isinstance(value, bool) or not isinstance(value, int | float)):
        return [Problem(join(path, key), "must be a number")]
    return []


def check_min_max(limits: Any, path: str, *, integers: bool = False) -> list[Problem]:
    if not isinstance(limits, Mapping):
        return []
    problems = check_number_limit(limits, "min", path) + check_number_limit(limits, "max", path)
    if problems:
        return problems
    if integers:
        for key in ("min", "max"):
            if key in limits and not float(limits[key]).is_integer():
                problems.append(Problem(join(path, key), "must be a whole number"))
    low, high = limits.get("min"), limits.get("max")
    if low is not None and high is not None and low > high:
        problems.append(
            Problem(path, f"min ({format_number(low)}) is greater than max ({format_number(high)})")
        )
    return problems


def limits_of(question: Mapping[str, Any]) -> Mapping[str, Any]:
    limits = question.get("limits")
    return limits if isinstance(limits, Mapping) else {}


# -- ordinal scales -------------------------------------------------------------------------------


def check_scale(question: Mapping[str, Any], path: str) -> list[Problem]:
    """Problems with a scale given by name ("scale") or by custom labels ("labels")."""
    problems = check_bool(question, "dont_know", path)
    if "scale" in question and "labels" in question:
        problems.append(Problem(path, "give either 'scale' or 'labels', not both"))
    scale = question.get("scale")
    if "scale" in question and not (isinstance(scale, str) and scale in SCALES):
        names = ", ".join(SCALES)
        problems.append(
            Problem(join(path, "scale"), f"{shown(question['scale'])} is not a scale ({names})")
        )
    if "labels" in question:
        labels = question["labels"]
        if not isinstance(labels, list) or not 2 <= len(labels) <= 11:
            problems.append(Problem(join(path, "labels"), "must be a list of 2 to 11 labels"))
        elif not all(isinstance(x, str) and x.strip() for x in labels):
            problems.append(Problem(join(path, "labels"), "each label must be non-empty text"))
    return problems


def scale_levels(question: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The (value, label) levels of a scale, lowest first; values count from 1."""
    labels = question.get("labels")
    if isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels):
        return list(enumerate(labels, start=1))
    scale = question.get("scale")
    labels = SCALES.get(scale) if isinstance(scale, str) else None
    return list(enumerate(labels or SCALES[DEFAULT_SCALE], start=1))


def scale_choices(question: Mapping[str, Any]) -> list[tuple[int | str, str]]:
    """Every answer a scale offers, including "Don't know" when the question allows it."""
    choices: list[tuple[int | str, str]] = list(scale_levels(question))
    if question.get("dont_know") is True:
        choices.append((DONT_KNOW, DONT_KNOW_LABEL))
    return choices


def scale_prompt(question: Mapping[str, Any], subject: str) -> str:
    """The GOV.UK 'Select ...' message for a scale, worded for the kind of scale."""
    if "labels" in question:
        return f"Select an answer for {subject}"
    scale = question.get("scale", DEFAULT_SCALE)
    if scale == "confidence_5":
        return f"Select how confident you feel about {subject}"
    return f"Select how much you agree with {subject}"


def parse_scale(question: Mapping[str, Any], raw: Any, message: str) -> int | str:
    if raw == DONT_KNOW and question.get("dont_know") is True:
        return DONT_KNOW
    number = as_int(raw)
    if number is None or not 1 <= number <= len(scale_levels(question)):
        raise AnswerError(message)
    return number


def scale_summary(question: Mapping[str, Any], kind: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "kind": kind,
        "levels": [{"value": v, "label": label} for v, label in scale_levels(question)],
    }
    if question.get("dont_know") is True:
        summary["not_applicable"] = [{"value": DONT_KNOW, "label": DONT_KNOW_LABEL}]
    return summary


def check_items_or_placeholder(
    question: Mapping[str, Any], field: str, path: str, noun: str
) -> list[Problem]:
    if field not in question:
        return [Problem(join(path, field), f"{question.get('type')} questions need {field}")]
    if question[field] == FROM_COURSE:
        return []
    return check_items(
        question[field],
        join(path, field),
        key_field="key",
        noun=noun,
        allowed=frozenset({"key", "label", "hint"}),
    )


def item_list(question: Mapping[str, Any], field: str) -> list[tuple[str, str]]:
    """(key, label) pairs of matrix rows or learning outcomes; empty while a placeholder."""
    items = question.get(field)
    if not isinstance(items, list):
        return []
    return [
        (item["key"], str(item.get("label", item["key"])))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    ]


# -- the types ------------------------------------------------------------------------------------


@register
class Likert(QuestionType):
    """An agreement (or custom) ordinal scale, answered with one of its levels."""

    name = "likert"
    kind = "ordinal"
    comparable = True
    fields = frozenset({"scale", "labels", "dont_know"})

    def check(self, question, path):
        return check_scale(question, path)

    def missing_message(self, question):
        return scale_prompt(question, quoted(question))

    def parse(self, question, raw, today):
        return parse_scale(question, raw, self.missing_message(question))

    def summary(self, question):
        return scale_summary(question, self.kind)


@register
class Rating(QuestionType):
    """A score on a numbered scale, 0 to 10 unless limits say otherwise."""

    name = "rating"
    kind = "ordinal"
    comparable = True
    fields = frozenset({"min_label", "max_label"})
    limit_keys = frozenset({"min", "max"})
    default_min = 0
    default_max = 10

    def bounds(self, question: Mapping[str, Any]) -> tuple[int, int]:
        limits = limits_of(question)
        low, high = limits.get("min", self.default_min), limits.get("max", self.default_max)
        if as_int(low) is None or as_int(high) is None:
            return self.default_min, self.default_max
        return int(low), int(high)

    def check(self, question, path):
        problems = check_text(question, "min_label", path) + check_text(question, "max_label", path)
        limits = question.get("limits")
        problems += check_min_max(limits, join(path, "limits"), integers=True)
        if not problems and isinstance(limits, Mapping):
            low, high = self.bounds(question)
            if high - low > 20:
                problems.append(
                    Problem(join(path, "limits"), "a rating can have at most 21 points")
                )
            elif low == high:
                problems.append(Problem(join(path, "limits"), "min and max must differ"))
        return problems

    def missing_message(self, question):
        low, high = self.bounds(question)
        return f"Select a score between {low} and {high} for {quoted(question)}"

    def parse(self, question, raw, today):
        low, high = self.bounds(question)
        number = as_int(raw)
        if number is None or not low <= number <= high:
            raise AnswerError(f"Enter a number between {low} and {high}")
        return number

    def anchors(self, question: Mapping[str, Any]) -> tuple[str | None, str | None]:
        return question.get("min_label"), question.get("max_label")

    def summary(self, question):
        low, high = self.bounds(question)
        levels = [{"value": v, "label": str(v)} for v in range(low, high + 1)]
        min_label, max_label = self.anchors(question)
        if min_label:
            levels[0]["label"] = f"{low} - {min_label}"
        if max_label:
            levels[-1]["label"] = f"{high} - {max_label}"
        return {"kind": self.kind, "levels": levels}


@register
class SafetyScale(Rating):
    """A Signs of Safety scale: 0 (harm is certain) to 10 (everyone agrees the child is safe)."""

    name = "safety_scale"
    limit_keys = frozenset()
    default_min_label = "Things are so bad that the child must be protected now"
    default_max_label = "Everyone agrees the child is safe enough"

    def bounds(self, question):
        return 0, 10

    def check(self, question, path):
        return check_text(question, "min_label", path) + check_text(question, "max_label", path)

    def missing_message(self, question):
        return f"Select a number between 0 and 10 for {quoted(question)}"

    def anchors(self, question):
        return (
            question.get("min_label") or self.default_min_label,
            question.get("max_label") or self.default_max_label,
        )


@register
class EmojiScale(QuestionType):
    """Three or five faces, each with a text equivalent, for children to say how they feel."""

    name = "emoji_scale"
    kind = "ordinal"
    comparable = True
    fields = frozenset({"faces", "labels"})

    def faces(self, question: Mapping[str, Any]) -> list[tuple[int, str, str]]:
        """(value, emoji, text) for each face, saddest first."""
        count = question.get("faces", 3)
        faces = FACES.get(count, FACES[3]) if type(count) is int else FACES[3]
        labels = question.get("labels")
        if isinstance(labels, list) and len(labels) == len(faces):
            faces = tuple(
                (emoji, str(text)) for (emoji, _), text in zip(faces, labels, strict=True)
            )
        return [(i, emoji, text) for i, (emoji, text) in enumerate(faces, start=1)]

    def check(self, question, path):
        problems: list[Problem] = []
        count = question.get("faces", 3)
        if type(count) is not int or count not in FACES:
            problems.append(Problem(join(path, "faces"), "must be 3 or 5"))
            return problems
        if "labels" in question:
            labels = question["labels"]
            if not isinstance(labels, list) or len(labels) != count:
                problems.append(
                    Problem(
                        join(path, "labels"),
                        f"must give one text equivalent for each of the {count} faces",
                    )
                )
            elif not all(isinstance(x, str) and x.strip() for x in labels):
                problems.append(Problem(join(path, "labels"), "each label must be non-empty text"))
        return problems

    def missing_message(self, question):
        return f"Choose a face for {quoted(question)}"

    def parse(self, question, raw, today):
        number = as_int(raw)
        if number is None or not 1 <= number <= len(self.faces(question)):
            raise AnswerError(self.missing_message(question))
        return number

    def summary(self, question):
        return {
            "kind": self.kind,
            "levels": [
                {"value": v, "label": text, "emoji": emoji}
                for v, emoji, text in self.faces(question)
            ],
        }


@register
class SingleChoice(QuestionType):
    """One option from a list, shown as radios or, for long lists, a select."""

    name = "single_choice"
    kind = "categorical"
    comparable = True
    fields = frozenset({"options", "display"})

    def check(self, question, path):
        problems = check_options(question, path)
        if "display" in question and question["display"] not in ("radios", "select"):
            problems.append(Problem(join(path, "display"), "must be 'radios' or 'select'"))
        return problems

    def missing_message(self, question):
        return f"Select an answer for {quoted(question)}"

    def parse(self, question, raw, today):
        if not isinstance(raw, str) or raw.strip() not in option_values(question):
            raise AnswerError(self.missing_message(question))
        return raw.strip()

    def summary(self, question):
        labels = option_labels(question)
        return {"kind": self.kind, "levels": [{"value": v, "label": t} for v, t in labels.items()]}


@register
class YesNo(QuestionType):
    """A yes or no answer, stored as true or false."""

    name = "yes_no"
    kind = "categorical"
    comparable = True

    def missing_message(self, question):
        return f"Select yes or no for {quoted(question)}"

    def parse(self, question, raw, today):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("yes", "true"):
            return True
        if isinstance(raw, str) and raw.strip().lower() in ("no", "false"):
            return False
        raise AnswerError(self.missing_message(question))

    def summary(self, question):
        return {
            "kind": self.kind,
            "levels": [{"value": True, "label": "Yes"}, {"value": False, "label": "No"}],
        }


@register
class Consent(QuestionType):
    """A statement the respondent must agree to before going on."""

    name = "consent"
    kind = "categorical"
    comparable = True
    agreeing = ("y", "yes", "true", "on", "agree", "agreed", "1")

    def check(self, question, path):
        if question.get("required") is False:
            return [
                Problem(
                    join(path, "required"),
                    "a consent statement must be agreed, so it cannot be optional",
                )
            ]
        return []

    def is_required(self, question):
        return True

    def missing_message(self, question):
        return f"Select the box to confirm you agree with {quoted(question)}"

    def parse(self, question, raw, today):
        if raw is True or (isinstance(raw, str) and raw.strip().lower() in self.agreeing):
            return True
        raise AnswerError(self.missing_message(question))

    def summary(self, question):
        return {"kind": self.kind, "levels": [{"value": True, "label": "Agreed"}]}


@register
class MultiChoice(QuestionType):
    """Any number of options from a list, with an optional "Other, please specify"."""

    name = "multi_choice"
    kind = "multi_categorical"
    comparable = True
    fields = frozenset({"options", "other"})
    limit_keys = frozenset({"min_selected", "max_selected"})

    def check(self, question, path):
        problems = check_options(question, path) + check_bool(question, "other", path)
        if question.get("other") is True and OTHER in option_values(question):
            problems.append(
                Problem(join(path, "options"), "do not list 'other'; \"other\": true adds it")
            )
        limits = question.get("limits")
        if isinstance(limits, Mapping):
            where = join(path, "limits")
            for key in ("min_selected", "max_selected"):
                number = as_int(limits[key]) if key in limits else None
                if key in limits and (number is None or number < 1 or isinstance(limits[key], str)):
                    problems.append(
                        Problem(join(where, key), "must be a whole number of 1 or more")
                    )
            low, high = limits.get("min_selected"), limits.get("max_selected")
            low, high = as_int(low), as_int(high)
            if low is not None and high is not None and low > high:
                problems.append(
                    Problem(where, f"min_selected ({low}) is greater than max_selected ({high})")
                )
        return problems

    def choices(self, question: Mapping[str, Any]) -> dict[str, str]:
        labels = option_labels(question)
        if question.get("other") is True:
            labels[OTHER] = OTHER_LABEL
        return labels

    def missing_message(self, question):
        return f"Select at least one option for {quoted(question)}"

    def parse(self, question, raw, today):
        other_text: Any = None
        if isinstance(raw, Mapping):
            selected, other_text = raw.get("selected"), raw.get("other")
        else:
            selected = raw
        if isinstance(selected, str):
            selected = [selected]
        if selected is None:
            selected = []
        if not isinstance(selected, list | tuple) or not all(isinstance(s, str) for s in selected):
            raise AnswerError(self.missing_message(question))
        choices = self.choices(question)
        picked = {s.strip() for s in selected if s.strip()}
        if picked - choices.keys():
            raise AnswerError(f"Select only the options listed for {quoted(question)}")
        if not picked:
            if self.is_required(question):
                raise AnswerError(self.missing_message(question))
            return None
        limits = limits_of(question)
        low, high = as_int(limits.get("min_selected")), as_int(limits.get("max_selected"))
        if low is not None and len(picked) < low:
            raise AnswerError(f"Select at least {plural(low, 'option')} for {quoted(question)}")
        if high is not None and len(picked) > high:
            message = f"Select no more than {plural(high, 'option')} for {quoted(question)}"
            raise AnswerError(message)
        value: dict[str, Any] = {"selected": [v for v in choices if v in picked]}
        if OTHER in picked:
            text = clean_text(other_text) if isinstance(other_text, str) else ""
            if not text:
                raise AnswerError(f"Enter your other answer for {quoted(question)}", OTHER)
            if len(text) > OTHER_MAX_LENGTH:
                raise AnswerError(
                    f"Your other answer must be {OTHER_MAX_LENGTH} characters or fewer", OTHER
                )
            value["other"] = text
        return value

    def texts(self, question, stored):
        if isinstance(stored, Mapping) and isinstance(stored.get("other"), str):
            return [stored["other"]]
        return []

    def condition_value_problem(self, question, value):
        if not isinstance(value, str) or value not in self.choices(question):
            return f"{shown(value)} is not one of the options of {shown(question.get('key'))}"
        return None

    def summary(self, question):
        return {
            "kind": self.kind,
            "levels": [{"value": v, "label": t} for v, t in self.choices(question).items()],
            "free_text": question.get("other") is True,
        }


class TextType(QuestionType):
    """Typed text, measured against a character limit."""

    kind = "text"
    limit_keys = frozenset({"max_length"})
    default_max_length = 200
    ceiling = 500

    def max_length(self, question: Mapping[str, Any]) -> int:
        value = as_int(limits_of(question).get("max_length"))
        return (
            value if value is not None and 1 <= value <= self.ceiling else self.default_max_length
        )

    def check(self, question, path):
        limits = question.get("limits")
        if isinstance(limits, Mapping) and "max_length" in limits:
            value = as_int(limits["max_length"])
            if value is None or not 1 <= value <= self.ceiling:
                return [
                    Problem(
                        join(join(path, "limits"), "max_length"),
                        f"must be a whole number from 1 to {format_number(self.ceiling)}",
                    )
                ]
        return []

    def missing_message(self, question):
        return f"Enter your answer to {quoted(question)}"

    def parse(self, question, raw, today):
        if not isinstance(raw, str):
            raise AnswerError(self.missing_message(question))
        text = clean_text(raw)
        if not text:
            if self.is_required(question):
                raise AnswerError(self.missing_message(question))
            return None
        limit = self.max_length(question)
        if len(text) > limit:
            raise AnswerError(
                f"Your answer to {quoted(question)} must be "
                f"{format_number(limit)} characters or fewer"
            )
        return text

    def texts(self, question, stored):
        return [stored] if isinstance(stored, str) and stored else []

    def summary(self, question):
        return {"kind": self.kind, "max_length": self.max_length(question)}


@register
class ShortText(TextType):
    """A line of text, such as a job title."""

    name = "short_text"


@register
class LongText(TextType):
    """A paragraph or more of free text, which analysis codes into themes."""

    name = "long_text"
    default_max_length = 2000
    ceiling = 10000


@register
class Number(QuestionType):
    """A typed number, whole unless limits say "integer": false, within optional bounds."""

    name = "number"
    kind = "number"
    comparable = True
    fields = frozenset({"prefix", "suffix"})
    limit_keys = frozenset({"min", "max", "integer"})

    def integer(self, question: Mapping[str, Any]) -> bool:
        return limits_of(question).get("integer", True) is not False

    def check(self, question, path):
        problems = check_text(question, "prefix", path) + check_text(question, "suffix", path)
        limits = question.get("limits")
        problems += check_min_max(limits, join(path, "limits"))
        if isinstance(limits, Mapping):
            problems += check_bool(limits, "integer", join(path, "limits"))
        return problems

    def missing_message(self, question):
        return f"Enter a number for {quoted(question)}"

    def parse(self, question, raw, today):
        if isinstance(raw, bool):
            raise AnswerError(f"{quoted(question)} must be a number")
        if isinstance(raw, int | float | Decimal):
            number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
            if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
                raise AnswerError(f"{quoted(question)} must be a number")
        elif isinstance(raw, str):
            text = raw.strip().replace(",", "").replace(" ", "")
            for extra in (question.get("prefix"), question.get("suffix")):
                if isinstance(extra, str) and extra:
                    text = text.replace(extra.replace(" ", ""), "")
            if not NUMBER_PATTERN.fullmatch(text):
                raise AnswerError(f"{quoted(question)} must be a number")
            number = Decimal(text)
        else:
            raise AnswerError(f"{quoted(question)} must be a number")
        if self.integer(question) and number != number.to_integral_value():
            raise AnswerError(f"{quoted(question)} must be a whole number")
        limits = limits_of(question)
        low, high = limits.get("min"), limits.get("max")
        low = None if isinstance(low, bool) or not isinstance(low, int | float) else low
        high = None if isinstance(high, bool) or not isinstance(high, int | float) else high
        too_low = low is not None and number < Decimal(repr(low))
        too_high = high is not None and number > Decimal(repr(high))
        if too_low or too_high:
            if low is not None and high is not None:
                message = f"Enter a number between {format_number(low)} and {format_number(high)}"
            elif low is not None:
                message = f"Enter a number of {format_number(low)} or more"
            else:
                message = f"Enter a number of {format_number(high)} or less"
            raise AnswerError(message)
        if self.integer(question):
            return int(number)
        return number

    def to_storage(self, question, value):
        if value is None or isinstance(value, int):
            return value
        return float(value)

    def from_storage(self, question, stored):
        if stored is None or isinstance(stored, int):
            return stored
        if self.integer(question):
            return int(stored)
        return Decimal(repr(stored))

    def summary(self, question):
        limits = limits_of(question)
        summary = {"kind": self.kind, "integer": self.integer(question)}
        summary.update({k: limits[k] for k in ("min", "max") if k in limits})
        return summary


@register
class DateQuestion(QuestionType):
    """A calendar date, entered as day, month and year."""

    name = "date"
    kind = "date"
    fields = frozenset({"not_in_future"})
    limit_keys = frozenset({"min", "max"})

    def bound(self, question: Mapping[str, Any], key: str) -> date | None:
        value = limits_of(question).get(key)
        try:
            return date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def check(self, question, path):
        problems = check_bool(question, "not_in_future", path)
        limits = question.get("limits")
        if isinstance(limits, Mapping):
            for key in ("min", "max"):
                if key in limits and self.bound(question, key) is None:
                    problems.append(
                        Problem(
                            join(join(path, "limits"), key), "must be a date written YYYY-MM-DD"
                        )
                    )
            low, high = self.bound(question, "min"), self.bound(question, "max")
            if low and high and low > high:
                problems.append(Problem(join(path, "limits"), f"min ({low}) is after max ({high})"))
        return problems

    def missing_message(self, question):
        return f"Enter the date for {quoted(question)}"

    def parse(self, question, raw, today):
        subject = quoted(question)
        if isinstance(raw, datetime):
            raw = raw.date()
        if isinstance(raw, date):
            value = raw
        elif isinstance(raw, str):
            try:
                value = date.fromisoformat(raw.strip())
            except ValueError as error:
                raise AnswerError(f"{subject} must be a real date") from error
        elif isinstance(raw, Mapping):
            value = self.from_parts(subject, [raw.get("day"), raw.get("month"), raw.get("year")])
        elif isinstance(raw, list | tuple) and len(raw) == 3:
            value = self.from_parts(subject, list(raw))
        else:
            raise AnswerError(f"{subject} must be a real date")
        low, high = self.bound(question, "min"), self.bound(question, "max")
        if low and value < low:
            raise AnswerError(f"{subject} must be the same as or after {format_date(low)}")
        if high and value > high:
            raise AnswerError(f"{subject} must be the same as or before {format_date(high)}")
        # The caller passes today so that feedback.clock stays the one source of time.
        if question.get("not_in_future") is True and value > (today or date.today()):
            raise AnswerError(f"{subject} must be today or in the past")
        return value

    def from_parts(self, subject: str, parts: list[Any]) -> date:
        """A date from day, month and year as typed into three boxes."""
        parts = [p.strip() if isinstance(p, str) else p for p in parts]
        names = ("day", "month", "year")
        missing = [n for n, p in zip(names, parts, strict=True) if p is None or p == ""]
        if missing:
            wanted = " and ".join(missing) if len(missing) < 3 else "day, month and year"
            raise AnswerError(f"{subject} must include a {wanted}", missing[0])
        numbers = [as_int(p) for p in parts]
        if any(n is None for n in numbers):
            raise AnswerError(f"{subject} must be a real date")
        day, month, year = numbers
        if not 1000 <= year <= 9999:
            raise AnswerError(f"The year for {subject} must include 4 numbers", "year")
        try:
            return date(year, month, day)
        except ValueError as error:
            raise AnswerError(f"{subject} must be a real date") from error

    def to_storage(self, question, value):
        return value.isoformat() if isinstance(value, date) else value

    def from_storage(self, question, stored):
        return date.fromisoformat(stored) if isinstance(stored, str) else stored

    def summary(self, question):
        return {"kind": self.kind}


@register
class Matrix(QuestionType):
    """Several statements answered on one shared scale; the answer maps row keys to levels."""

    name = "matrix"
    kind = "ordinal_grid"
    fields = frozenset({"rows", "scale", "labels", "dont_know"})

    def check(self, question, path):
        return check_scale(question, path) + check_items_or_placeholder(
            question, "rows", path, "row"
        )

    def placeholders(self, question):
        return ["rows"] if question.get("rows") == FROM_COURSE else []

    def missing_message(self, question):
        return f"Answer every statement in {quoted(question)}"

    def clean(self, question, raw, *, today=None):
        # A required grid left empty is reported row by row, so each row shows its own error.
        if is_blank(raw) and not self.is_required(question):
            return None
        return self.parse(question, raw if raw is not None else {}, today)

    def row_message(self, question: Mapping[str, Any], label: str) -> str:
        return scale_prompt(question, f"'{label}'")

    def parse(self, question, raw, today):
        if not isinstance(raw, Mapping):
            raise AnswerError(self.missing_message(question))
        value: dict[str, int | str] = {}
        errors: list[tuple[str | None, str]] = []
        for key, label in item_list(question, "rows"):
            cell = raw.get(key)
            message = self.row_message(question, label)
            if is_blank(cell):
                if self.is_required(question):
                    errors.append((key, message))
                continue
            try:
                value[key] = parse_scale(question, cell, message)
            except AnswerError:
                errors.append((key, message))
        if errors:
            raise AnswerError("", errors=errors)
        return value or None

    def summary(self, question):
        summary = scale_summary(question, self.kind)
        summary["rows"] = [{"key": k, "label": t} for k, t in item_list(question, "rows")]
        return summary


@register
class Ranking(QuestionType):
    """Options put in order of importance; the answer lists option values, first to last."""

    name = "ranking"
    kind = "ranking"
    fields = frozenset({"options"})

    def check(self, question, path):
        return check_options(question, path)

    def missing_message(self, question):
        return f"Rank the options for {quoted(question)}"

    def parse(self, question, raw, today):
        values = option_values(question)
        subject = quoted(question)
        if isinstance(raw, Mapping):
            ranks: dict[str, int] = {}
            for value in values:
                rank = as_int(raw.get(value))
                if rank is None or not 1 <= rank <= len(values):
                    raise AnswerError(
                        f"Give every option a rank from 1 to {len(values)} for {subject}", value
                    )
                ranks[value] = rank
            if len(set(ranks.values())) != len(values):
                raise AnswerError(f"Give each option a different rank for {subject}")
            return sorted(values, key=ranks.__getitem__)
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise AnswerError(self.missing_message(question))
        if len(set(raw)) != len(raw):
            raise AnswerError(f"Give each option a different rank for {subject}")
        if set(raw) != set(values):
            raise AnswerError(f"Rank every option for {subject}")
        return list(raw)

    def summary(self, question):
        labels = option_labels(question)
        return {"kind": self.kind, "levels": [{"value": v, "label": t} for v, t in labels.items()]}


@register
class RetrospectiveConfidence(QuestionType):
    """Confidence before the course and now, 1 to 5, for each learning outcome."""

    name = "retrospective_confidence"
    kind = "paired_ordinal"
    fields = frozenset({"outcomes"})

    def check(self, question, path):
        return check_items_or_placeholder(question, "outcomes", path, "outcome")

    def placeholders(self, question):
        return ["outcomes"] if question.get("outcomes") == FROM_COURSE else []

    def missing_message(self, question):
        return f"Select how confident you feel about each learning outcome in {quoted(question)}"

    def clean(self, question, raw, *, today=None):
        # As with matrix: a required grid left empty is reported outcome by outcome.
        if is_blank(raw) and not self.is_required(question):
            return None
        return self.parse(question, raw if raw is not None else {}, today)

    def moment_message(self, label: str, moment: str) -> str:
        if moment == "before":
            return f"Select how confident you were before the course about '{label}'"
        return f"Select how confident you feel now about '{label}'"

    def parse(self, question, raw, today):
        if not isinstance(raw, Mapping):
            raise AnswerError(self.missing_message(question))
        value: dict[str, dict[str, int]] = {}
        errors: list[tuple[str | None, str]] = []
        for key, label in item_list(question, "outcomes"):
            pair = raw.get(key)
            pair = pair if isinstance(pair, Mapping) else {}
            if is_blank(pair) and not self.is_required(question):
                continue
            answered: dict[str, int] = {}
            for moment in MOMENTS:
                number = as_int(pair.get(moment))
                if number is None or not 1 <= number <= 5:
                    errors.append((f"{key}.{moment}", self.moment_message(label, moment)))
                else:
                    answered[moment] = number
            if len(answered) == len(MOMENTS):
                value[key] = answered
        if errors:
            raise AnswerError("", errors=errors)
        return value or None

    def summary(self, question):
        return {
            "kind": self.kind,
            "levels": [
                {"value": v, "label": t} for v, t in enumerate(SCALES["confidence_5"], start=1)
            ],
            "moments": list(MOMENTS),
            "items": [{"key": k, "label": t} for k, t in item_list(question, "outcomes")],
        }


@register
class Info(QuestionType):
    """Text for the respondent to read, such as a privacy notice; it collects no answer."""

    name = "info"
    kind = "none"
    answerable = False

    def check(self, question, path):
        if question.get("required") is True:
            return [
                Problem(
                    join(path, "required"),
                    "an info item collects no answer, so it cannot be required",
                )
            ]
        return []

    def clean(self, question, raw, *, today=None):
        return None

    def condition_value_problem(self, question, value):
        return "info items collect no answer"


def iter_types() -> Iterable[QuestionType]:
    """Every registered question type."""
    return QUESTION_TYPES.values()
