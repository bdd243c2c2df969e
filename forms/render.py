"""One page of an instrument as a WTForms form with GOV.UK widgets, validated by question type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    Form,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs and has no SelectChoice
    SelectChoice = None

from forms.conditions import evaluate_show_if, referenced_keys
from forms.instrument import effective_answers, page_position, type_of
from forms.questions import (
    MOMENTS,
    OTHER,
    SCALES,
    AnswerError,
    EmojiScale,
    MultiChoice,
    Rating,
    TextType,
    item_list,
    option_labels,
    scale_choices,
)

__all__ = ["PageForm", "QuestionGroup", "page_form_class", "page_position"]

Definition = Mapping[str, Any]
Question = Mapping[str, Any]


class CharacterCount(GovCharacterCount):
    """A GOV.UK character count that takes its limit from the field, so templates need not."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("maxlength", getattr(field, "max_length", None))
        return params


class Radios(GovRadioInput):
    """GOV.UK radios that leave out the hint block when there is no hint to show."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        if not field.description:
            params.pop("hint", None)
        return params


class Checkboxes(GovCheckboxesInput):
    """GOV.UK checkboxes that leave out the hint block when there is no hint to show."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        if not field.description:
            params.pop("hint", None)
        return params


class LimitedTextAreaField(TextAreaField):
    """A text area that knows its character limit, for the GOV.UK character count."""

    def __init__(self, label=None, validators=None, max_length: int | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.max_length = max_length


class DatePartsField(Field):
    """Day, month and year boxes posted under one name, left for the date question to judge."""

    widget = GovDateInput()

    def process_data(self, value):
        self.data = value if isinstance(value, date) else None

    def process_formdata(self, valuelist):
        # The widget unpacks exactly three values, so a tampered post must not change that.
        parts = [str(v) for v in valuelist[:3]]
        self.raw_data = parts + [""] * (3 - len(parts))
        self.data = None

    def _value(self):
        return ""


@dataclass
class QuestionGroup:
    """A question on the page with the fields that answer it, in order, for the template."""

    question: Question
    fields: list[Field]
    #: True when whether it applies depends on an answer on this same page.
    conditional: bool = False

    @property
    def key(self) -> str:
        return self.question["key"]

    @property
    def kind(self) -> str:
        return self.question["type"]


@dataclass
class Binding:
    """How one question type maps onto form fields and back."""

    #: Build (name, unbound field) pairs for a question, given its stored answer.
    fields: Callable[[Question, str, Any], list[tuple[str, Any]]]
    #: Read the raw answer back out of the bound fields.
    raw: Callable[[Form, Question, str], Any]
    #: Name of the field that shows an error about part of the question.
    part_field: Callable[[Question, str, str | None], str] = field(
        default=lambda question, base, part: base
    )


BINDINGS: dict[str, Binding] = {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _choices(pairs) -> list[Any]:
    # WTForms 3.3 deprecates tuples in favour of SelectChoice; earlier versions only know tuples.
    if SelectChoice is None:
        return [(str(value), label) for value, label in pairs]
    return [SelectChoice(str(value), label) for value, label in pairs]


def _radios(label, description, pairs, default) -> Any:
    return RadioField(
        label,
        choices=_choices(pairs),
        description=description or "",
        validate_choice=False,
        widget=Radios(),
        default=_text(default),
    )


def _single_field_raw(form: Form, question: Question, base: str) -> Any:
    return form[base].data


def _level_pairs(question: Question) -> list[tuple[Any, str]]:
    qtype = type_of(question)
    if isinstance(qtype, EmojiScale):
        return [(v, f"{emoji} {text}") for v, emoji, text in qtype.faces(question)]
    if isinstance(qtype, Rating):
        return [(level["value"], level["label"]) for level in qtype.summary(question)["levels"]]
    return scale_choices(question)


def _scale_fields(question, base, stored):
    return [
        (base, _radios(question["label"], question.get("hint"), _level_pairs(question), stored))
    ]


for _name in ("likert", "rating", "safety_scale", "emoji_scale"):
    BINDINGS[_name] = Binding(_scale_fields, _single_field_raw)


def _single_choice_fields(question, base, stored):
    pairs = list(option_labels(question).items())
    if question.get("display") == "select":
        unbound = SelectField(
            question["label"],
            choices=_choices([("", "Choose an option"), *pairs]),
            description=question.get("hint") or "",
            validate_choice=False,
            widget=GovSelect(),
            default=_text(stored) or "",
        )
        return [(base, unbound)]
    return [(base, _radios(question["label"], question.get("hint"), pairs, stored))]


BINDINGS["single_choice"] = Binding(_single_choice_fields, _single_field_raw)


def _yes_no_fields(question, base, stored):
    default = None if stored is None else ("yes" if stored else "no")
    pairs = [("yes", "Yes"), ("no", "No")]
    return [(base, _radios(question["label"], question.get("hint"), pairs, default))]


BINDINGS["yes_no"] = Binding(_yes_no_fields, _single_field_raw)


def _consent_fields(question, base, stored):
    unbound = BooleanField(
        question["label"],
        description=question.get("hint") or "",
        widget=GovCheckboxInput(),
        default=stored is True,
    )
    return [(base, unbound)]


BINDINGS["consent"] = Binding(_consent_fields, _single_field_raw)


def _multi_fields(question, base, stored):
    qtype = type_of(question)
    assert isinstance(qtype, MultiChoice)
    stored = stored if isinstance(stored, Mapping) else {}
    fields = [
        (
            base,
            SelectMultipleField(
                question["label"],
                choices=_choices(qtype.choices(question).items()),
                description=question.get("hint") or "",
                validate_choice=False,
                widget=Checkboxes(),
                default=list(stored.get("selected") or []),
            ),
        )
    ]
    if question.get("other") is True:
        other = StringField(
            "Please specify",
            widget=GovTextInput(),
            default=stored.get("other") or "",
        )
        fields.append((f"{base}-{OTHER}", other))
    return fields


def _multi_raw(form, question, base):
    other = form._fields.get(f"{base}-{OTHER}")
    return {"selected": form[base].data or [], "other": other.data if other else None}


BINDINGS["multi_choice"] = Binding(
    _multi_fields, _multi_raw, lambda question, base, part: f"{base}-{part}" if part else base
)


def _text_fields(question, base, stored):
    qtype = type_of(question)
    assert isinstance(qtype, TextType)
    if question["type"] == "long_text":
        unbound = LimitedTextAreaField(
            question["label"],
            description=question.get("hint") or "",
            max_length=qtype.max_length(question),
            widget=CharacterCount(),
            default=stored or "",
        )
    else:
        unbound = StringField(
            question["label"],
            description=question.get("hint") or "",
            widget=GovTextInput(),
            default=stored or "",
        )
    return [(base, unbound)]


BINDINGS["short_text"] = Binding(_text_fields, _single_field_raw)
BINDINGS["long_text"] = Binding(_text_fields, _single_field_raw)


def _number_text(stored: Any) -> str:
    if stored is None:
        return ""
    if isinstance(stored, float):
        return format(Decimal(repr(stored)).normalize(), "f")
    return str(stored)


def _number_fields(question, base, stored):
    integer = type_of(question).integer(question)
    unbound = StringField(
        question["label"],
        description=question.get("hint") or "",
        widget=GovTextInput(),
        default=_number_text(stored),
        render_kw={"inputmode": "numeric" if integer else "decimal", "spellcheck": "false"},
    )
    return [(base, unbound)]


BINDINGS["number"] = Binding(_number_fields, _single_field_raw)


def _date_fields(question, base, stored):
    default = date.fromisoformat(stored) if isinstance(stored, str) else None
    unbound = DatePartsField(
        question["label"], description=question.get("hint") or "", default=default
    )
    return [(base, unbound)]


def _date_raw(form, question, base):
    bound = form[base]
    if bound.raw_data:
        return list(bound.raw_data)
    return bound.data


BINDINGS["date"] = Binding(_date_fields, _date_raw)


def _matrix_fields(question, base, stored):
    stored = stored if isinstance(stored, Mapping) else {}
    pairs = scale_choices(question)
    return [
        (f"{base}-{row}", _radios(label, None, pairs, stored.get(row)))
        for row, label in item_list(question, "rows")
    ]


def _matrix_raw(form, question, base):
    return {row: form[f"{base}-{row}"].data for row, _ in item_list(question, "rows")}


def _first_row(question: Question, field_name: str) -> str:
    items = item_list(question, field_name)
    return items[0][0] if items else ""


BINDINGS["matrix"] = Binding(
    _matrix_fields,
    _matrix_raw,
    lambda question, base, part: f"{base}-{part or _first_row(question, 'rows')}",
)


def _ranking_fields(question, base, stored):
    labels = option_labels(question)
    ranks = [(str(n), str(n)) for n in range(1, len(labels) + 1)]
    order = list(stored) if isinstance(stored, list) else []
    fields = []
    for value, label in labels.items():
        default = str(order.index(value) + 1) if value in order else ""
        unbound = SelectField(
            label,
            choices=_choices([("", "Choose a rank"), *ranks]),
            validate_choice=False,
            widget=GovSelect(),
            default=default,
        )
        fields.append((f"{base}-{value}", unbound))
    return fields


def _ranking_raw(form, question, base):
    return {value: form[f"{base}-{value}"].data for value in option_labels(question)}


def _first_option(question: Question) -> str:
    labels = list(option_labels(question))
    return labels[0] if labels else ""


BINDINGS["ranking"] = Binding(
    _ranking_fields,
    _ranking_raw,
    lambda question, base, part: f"{base}-{part or _first_option(question)}",
)

MOMENT_LABELS = {"before": "Before the course", "now": "Now"}


def _retro_fields(question, base, stored):
    stored = stored if isinstance(stored, Mapping) else {}
    pairs = list(enumerate(SCALES["confidence_5"], start=1))
    fields = []
    for key, label in item_list(question, "outcomes"):
        answered = stored.get(key) if isinstance(stored.get(key), Mapping) else {}
        for moment in MOMENTS:
            radios = _radios(
                f"{label}: {MOMENT_LABELS[moment].lower()}", None, pairs, answered.get(moment)
            )
            fields.append((f"{base}-{key}-{moment}", radios))
    return fields


def _retro_raw(form, question, base):
    return {
        key: {moment: form[f"{base}-{key}-{moment}"].data for moment in MOMENTS}
        for key, _ in item_list(question, "outcomes")
    }


def _retro_part(question, base, part):
    if part and "." in part:
        key, moment = part.split(".", 1)
        return f"{base}-{key}-{moment}"
    return f"{base}-{_first_row(question, 'outcomes')}-{MOMENTS[0]}"


BINDINGS["retrospective_confidence"] = Binding(_retro_fields, _retro_raw, _retro_part)
BINDINGS["info"] = Binding(lambda question, base, stored: [], lambda form, question, base: None)


class PageForm(Form):
    """A page of an instrument; page_form_class makes one subclass per page and answers so far.

    After validate(), answers holds the stored JSON answer for every question on the page, None
    where a question was left blank or no longer applies, ready to save.
    """

    definition: ClassVar[Definition]
    page_index: ClassVar[int]
    page: ClassVar[Mapping[str, Any]]
    answers_so_far: ClassVar[Mapping[str, Any]]
    today: ClassVar[date | None]
    #: (question, field base name, field names, applies only if a same-page answer says so)
    included: ClassVar[list[tuple[Question, str, list[str], bool]]]

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        formdata = self.meta.wrap_formdata(self, formdata)
        if formdata:
            # A submission replaces the saved answers outright: a radio or select left empty
            # must read as empty, not fall back to what was saved before.
            blank = {name: None for _, _, names, _ in self.included for name in names}
            kwargs = blank | kwargs
        super().process(formdata, obj, data, extra_filters, **kwargs)
        self.answers: dict[str, Any] = {}

    @property
    def groups(self) -> list[QuestionGroup]:
        """The page's questions with their bound fields, in the order to show them."""
        return [
            QuestionGroup(question, [self[n] for n in names], conditional)
            for question, _, names, conditional in self.included
        ]

    @staticmethod
    def binding(question: Question) -> Binding:
        return BINDINGS[question["type"]]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        # Question fields are judged by their question type alone, in GOV.UK wording; any other
        # field's checks still count (a CSRF token mixed in by Flask-WTF is one).
        question_fields = {name for _, _, names, _ in self.included for name in names}
        for name in question_fields:
            self[name].errors = []
        valid = not any(
            bound.errors for name, bound in self._fields.items() if name not in question_fields
        )
        page_keys = {q["key"] for q in self.page["questions"]}
        counted = effective_answers(
            self.definition,
            {k: v for k, v in self.answers_so_far.items() if k not in page_keys},
        )
        bases = {question["key"]: base for question, base, _, _ in self.included}
        self.answers = {}
        for question in self.page["questions"]:
            key = question["key"]
            self.answers[key] = None
            if key not in bases or not evaluate_show_if(question.get("show_if"), counted):
                continue
            binding = self.binding(question)
            raw = binding.raw(self, question, bases[key])
            try:
                value = type_of(question).clean(question, raw, today=self.today)
            except AnswerError as error:
                valid = False
                for part, message in error.errors:
                    self[binding.part_field(question, bases[key], part)].errors.append(message)
                continue
            stored = type_of(question).to_storage(question, value)
            self.answers[key] = stored
            if stored is not None:
                counted[key] = stored
        return valid

    def error_summary(self) -> list[dict[str, str]]:
        """GOV.UK error summary items: each message with a link to the field it belongs to."""
        items = []
        for name, bound in self._fields.items():
            anchor = f"{name}-day" if isinstance(bound, DatePartsField) else bound.id
            for message in bound.errors or []:
                items.append({"text": message, "href": f"#{anchor}"})
        return items

    def position(self) -> tuple[int, int]:
        """(page number, page count) for "Page 2 of 4"."""
        return page_position(self.definition, self.page_index, self.answers_so_far)


RESERVED = frozenset(dir(PageForm)) | frozenset(PageForm.__annotations__) | {"answers"}


def _base_name(key: str) -> str:
    # A question keyed "data" or "page" would hide the form's own attribute of that name;
    # keys never contain "-", so the suffix cannot collide with another question's field.
    return f"{key}-answer" if key in RESERVED else key


def page_form_class(
    definition: Definition,
    page_index: int,
    answers: Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
    base: type[Form] = PageForm,
) -> type[PageForm]:
    """A Form class for one page of a validated definition, given the stored answers so far.

    It holds the questions whose show_if is true on the answers so far, plus those that depend
    on an answer on this same page (marked conditional; validate decides whether they apply).
    today is passed to date checks so that the caller's clock decides what "the future" is.
    """
    answers = dict(answers or {})
    page = definition["pages"][page_index]
    page_keys = {q["key"] for q in page["questions"]}
    counted = effective_answers(definition, answers)
    attributes: dict[str, Any] = {}
    included: list[tuple[Question, str, list[str], bool]] = []
    for question in page["questions"]:
        condition = question.get("show_if")
        conditional = bool(referenced_keys(condition) & page_keys)
        if not conditional and not evaluate_show_if(condition, counted):
            continue
        name = _base_name(question["key"])
        stored = answers.get(question["key"])
        fields = BINDINGS[question["type"]].fields(question, name, stored)
        attributes.update(fields)
        included.append((question, name, [field_name for field_name, _ in fields], conditional))
    attributes.update(
        definition=definition,
        page_index=page_index,
        page=page,
        answers_so_far=answers,
        today=today,
        included=included,
    )
    parents = (base,) if issubclass(base, PageForm) else (base, PageForm)
    return type(f"Page{page_index + 1}Form", parents, attributes)
