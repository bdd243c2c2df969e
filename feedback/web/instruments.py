"""The instrument designer (admins): instruments, versions, pages, questions, preview, XLSForm."""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp

import forms
from feedback import clock
from feedback.models import Instrument, InstrumentVersion, Role
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError
from feedback.services import instruments as service
from forms.problems import Problem
from forms.questions import SCALES
from forms.render import page_form_class

bp = Blueprint("instruments", __name__, url_prefix="/instruments")

KEY_HELP = "Lower-case letters, digits and underscores, starting with a letter"
KEY_RE = r"^[a-z][a-z0-9_]{0,63}$"

TYPE_LABELS: dict[str, tuple[str, str]] = {
    "likert": ("Agreement scale", "Strongly disagree to strongly agree, or your own levels"),
    "rating": ("Rating", "A number on a scale, 0 to 10 unless you change it"),
    "safety_scale": ("Safety scale", "Signs of Safety 0 to 10"),
    "emoji_scale": ("Faces", "3 or 5 faces, for children and young people"),
    "single_choice": ("One answer from a list", "Radios, or a drop-down list"),
    "multi_choice": ("Several answers from a list", "Checkboxes, with an optional 'Other'"),
    "short_text": ("Short text", "A line of text such as a job title"),
    "long_text": ("Long text", "A comment box with a character count"),
    "number": ("Number", "A whole number or a decimal, with limits"),
    "date": ("Date", "Day, month and year"),
    "yes_no": ("Yes or no", ""),
    "consent": ("Consent", "A box to tick; always required"),
    "matrix": ("Grid of statements", "Several statements on one agreement scale"),
    "ranking": ("Ranking", "Put options in order"),
    "retrospective_confidence": (
        "Confidence before and now",
        "For each learning outcome, confidence before the course and now",
    ),
    "info": ("Information", "Text to read; no answer"),
}

#: Which type-specific form fields each question type uses.
TYPE_FIELDS: dict[str, set[str]] = {
    "likert": {"scale", "labels", "dont_know"},
    "rating": {"min_label", "max_label", "limit_min", "limit_max"},
    "safety_scale": {"min_label", "max_label"},
    "emoji_scale": {"faces"},
    "single_choice": {"options", "display"},
    "multi_choice": {"options", "other", "limit_min_selected", "limit_max_selected"},
    "short_text": {"limit_max_length"},
    "long_text": {"limit_max_length"},
    "number": {"prefix", "suffix", "limit_min", "limit_max", "limit_integer"},
    "date": {"not_in_future", "limit_min", "limit_max"},
    "yes_no": set(),
    "consent": set(),
    "matrix": {"rows", "from_course", "scale", "labels", "dont_know"},
    "ranking": {"options"},
    "retrospective_confidence": {"rows", "from_course"},
    "info": set(),
}
#: Definition fields the question form controls; anything else on a question is kept as it was.
CONTROLLED = {
    "key",
    "type",
    "label",
    "hint",
    "required",
    "themes",
    "show_if",
    "limits",
    "scale",
    "labels",
    "dont_know",
    "min_label",
    "max_label",
    "faces",
    "options",
    "display",
    "other",
    "prefix",
    "suffix",
    "not_in_future",
    "rows",
    "outcomes",
}
OPERATORS = [
    ("equals", "is"),
    ("not_equals", "is not"),
    ("in", "is one of (separate with commas)"),
    ("answered", "has been answered (value true) or not (value false)"),
]
PREVIEW_KEY = "instrument_preview"


# -- Forms --------------------------------------------------------------------------------------


class NewInstrumentForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="Respondents see this at the top of every page",
        validators=[
            InputRequired(message="Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
    )
    key = StringField(
        "Key",
        widget=GovTextInput(),
        description=f"A short name that never changes, for example staff_survey_2026. {KEY_HELP}.",
        validators=[
            InputRequired(message="Enter a key"),
            Regexp(KEY_RE, message=f"Key must use only: {KEY_HELP.lower()}"),
        ],
    )
    submit = SubmitField("Create instrument", widget=GovSubmitInput())


class CopyForm(FlaskForm):
    library_key = RadioField(
        "Which standard instrument do you want to copy?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a standard instrument to copy")],
    )
    submit = SubmitField("Copy instrument", widget=GovSubmitInput())


class DetailsForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
    )
    intro = TextAreaField(
        "Introduction (optional)",
        widget=GovTextArea(),
        description="Shown before the first page: why we ask and how long it takes",
        validators=[Length(max=2000, message="Introduction must be 2,000 characters or fewer")],
    )
    submit = SubmitField("Save details", widget=GovSubmitInput())


class PageDetailsForm(FlaskForm):
    key = StringField(
        "Page key",
        widget=GovTextInput(),
        description=KEY_HELP,
        validators=[
            InputRequired(message="Enter a page key"),
            Regexp(KEY_RE, message=f"Page key must use only: {KEY_HELP.lower()}"),
        ],
    )
    title = StringField(
        "Page title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a page title"),
            Length(max=200, message="Page title must be 200 characters or fewer"),
        ],
    )
    intro = TextAreaField(
        "Introduction (optional)",
        widget=GovTextArea(),
        validators=[Length(max=2000, message="Introduction must be 2,000 characters or fewer")],
    )
    submit = SubmitField("Save page", widget=GovSubmitInput())


class ChooseTypeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses what the next page shows

    type = RadioField(
        "What kind of question is it?",
        widget=GovRadioInput(),
        choices=[(name, label) for name, (label, _) in TYPE_LABELS.items()],
        validators=[InputRequired(message="Select the kind of question")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    type = SelectField(
        "Kind of question",
        widget=GovSelect(),
        choices=[(name, label) for name, (label, _) in TYPE_LABELS.items()],
        description="Changing the kind keeps the label, hint and condition; set its options again",
    )
    key = StringField(
        "Question key",
        widget=GovTextInput(),
        description=f"Answers are stored under this key. {KEY_HELP}.",
        validators=[
            InputRequired(message="Enter a question key"),
            Regexp(KEY_RE, message=f"Question key must use only: {KEY_HELP.lower()}"),
        ],
    )
    label = TextAreaField(
        "Question (or text to show)",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter the question"),
            Length(max=1000, message="Question must be 1,000 characters or fewer"),
        ],
    )
    hint = TextAreaField(
        "Hint (optional)",
        widget=GovTextArea(),
        validators=[Length(max=1000, message="Hint must be 1,000 characters or fewer")],
    )
    required = BooleanField("An answer is required", widget=GovCheckboxInput())
    options = TextAreaField(
        "Options, one per line",
        widget=GovTextArea(),
        description="Write 'value | Label' to choose the stored value, or just the label",
    )
    display = SelectField(
        "Show options as",
        widget=GovSelect(),
        validate_choice=False,
        choices=[("radios", "Radios"), ("select", "Drop-down list")],
    )
    other = BooleanField("Offer 'Other, please specify'", widget=GovCheckboxInput())
    scale = SelectField(
        "Scale",
        widget=GovSelect(),
        validate_choice=False,
        choices=[("", "Standard agreement (5 levels)")]
        + [(name, " / ".join(levels)) for name, levels in SCALES.items()],
    )
    labels = TextAreaField(
        "Your own scale levels, lowest first, one per line (optional)",
        widget=GovTextArea(),
        description="Leave empty to use the scale above",
    )
    dont_know = BooleanField("Offer \u201cDon't know\u201d", widget=GovCheckboxInput())
    rows = TextAreaField(
        "Statements or learning outcomes, one per line",
        widget=GovTextArea(),
        description="Write 'key | Text' to choose the key, or just the text",
    )
    from_course = BooleanField(
        "Use the course's learning outcomes (filled in when a campaign starts)",
        widget=GovCheckboxInput(),
    )
    min_label = StringField("Label for the lowest end (optional)", widget=GovTextInput())
    max_label = StringField("Label for the highest end (optional)", widget=GovTextInput())
    faces = SelectField(
        "Number of faces",
        widget=GovSelect(),
        validate_choice=False,
        choices=[("3", "3 faces"), ("5", "5 faces")],
    )
    prefix = StringField("Prefix (optional)", widget=GovTextInput(), description="Such as £")
    suffix = StringField("Suffix (optional)", widget=GovTextInput(), description="Such as hours")
    not_in_future = BooleanField("The date cannot be in the future", widget=GovCheckboxInput())
    limit_min = StringField(
        "Lowest allowed (optional)",
        widget=GovTextInput(),
        description="A number, or for dates YYYY-MM-DD",
    )
    limit_max = StringField(
        "Highest allowed (optional)",
        widget=GovTextInput(),
        description="A number, or for dates YYYY-MM-DD",
    )
    limit_integer = BooleanField("Whole numbers only", widget=GovCheckboxInput(), default=True)
    limit_max_length = StringField("Most characters allowed (optional)", widget=GovTextInput())
    limit_min_selected = StringField("Fewest options to select (optional)", widget=GovTextInput())
    limit_max_selected = StringField("Most options to select (optional)", widget=GovTextInput())
    themes = SelectMultipleField(
        "Themes (optional)",
        widget=GovCheckboxesInput(),
        choices=list(forms.THEMES.items()),
        description="Tag the question with the codebook themes it tells us about",
    )
    show_if_question = SelectField(
        "Only show this question when", widget=GovSelect(), validate_choice=False
    )
    show_if_operator = SelectField(
        "Condition", widget=GovSelect(), validate_choice=False, choices=OPERATORS
    )
    show_if_value = StringField(
        "Value",
        widget=GovTextInput(),
        description="An option's value, a scale number, yes or no",
    )
    show_if_json = TextAreaField(
        "Advanced condition as JSON (optional)",
        widget=GovTextArea(),
        description='Overrides the simple condition, for example {"any": [{"question": "role", '
        '"equals": "manager"}, {"question": "years", "in": [4, 5]}]}',
    )
    submit = SubmitField("Save question", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField(
        "Upload an XLSForm workbook (.xlsx)",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select an .xlsx file to upload")],
    )
    submit = SubmitField("Upload workbook", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """The small POST forms behind move, delete, publish and archive buttons."""

    expected = HiddenField()
    direction = HiddenField(validators=[Optional()])


# -- Helpers ------------------------------------------------------------------------------------


def _partnership() -> Any:
    return current_user.partnership


def _instrument(instrument_id: int) -> Instrument:
    try:
        return service.get_instrument(_partnership(), instrument_id)
    except NotFound:
        abort(404)


def _version(instrument_id: int, number: int | None = None) -> InstrumentVersion:
    try:
        return service.get_version(_partnership(), instrument_id, number)
    except NotFound:
        abort(404)


def _designer(instrument_id: int, anchor: str | None = None) -> Response:
    url = url_for("instruments.show", instrument_id=instrument_id)
    return redirect(f"{url}#{anchor}" if anchor else url)


def _refused(exc: ServiceError, instrument_id: int) -> Response:
    if isinstance(exc, NotFound):
        abort(404)
    flash(exc.message, "error")
    return _designer(instrument_id)


PROBLEM_PATH = re.compile(r"^pages\[(\d+)\](?:\.questions\[(\d+)\])?\.?")


@dataclass
class Located:
    """One problem with where it belongs in the designer."""

    problem: Problem
    page: int | None = None
    question: int | None = None

    @property
    def where(self) -> str:
        """The rest of the path, inside the question or page ("options[0].value")."""
        match = PROBLEM_PATH.match(self.problem.path)
        rest = self.problem.path[match.end() :] if match else self.problem.path
        return rest

    @property
    def anchor(self) -> str:
        if self.question is not None:
            return f"question-{self.page}-{self.question}"
        if self.page is not None:
            return f"page-{self.page}"
        return "details"

    @property
    def text(self) -> str:
        return f"{self.where}: {self.problem.message}" if self.where else self.problem.message


@dataclass
class ProblemMap:
    """forms.validate problems sorted to the instrument, page or question they belong to."""

    items: list[Located] = field(default_factory=list)

    @classmethod
    def of(cls, problems: list[Problem]) -> "ProblemMap":
        located = []
        for problem in problems:
            match = PROBLEM_PATH.match(problem.path)
            if match is None:
                located.append(Located(problem))
            else:
                question = int(match.group(2)) if match.group(2) is not None else None
                located.append(Located(problem, int(match.group(1)), question))
        return cls(located)

    def instrument(self) -> list[Located]:
        return [item for item in self.items if item.page is None]

    def page(self, index: int) -> list[Located]:
        return [item for item in self.items if item.page == index and item.question is None]

    def question(self, page: int, index: int) -> list[Located]:
        return [item for item in self.items if item.page == page and item.question == index]

    def summary(self, definition: dict[str, Any]) -> list[dict[str, str]]:
        """govukErrorSummary items, each saying where in words and linking there."""
        out = []
        for item in self.items:
            if item.question is not None:
                key = _question_key(definition, item.page or 0, item.question)
                where = f"Page {(item.page or 0) + 1}, question {item.question + 1}"
                where += f" ({key})" if key else ""
            elif item.page is not None:
                where = f"Page {item.page + 1}"
            else:
                where = "The instrument"
            out.append({"text": f"{where}: {item.text}", "href": f"#{item.anchor}"})
        return out

    def __bool__(self) -> bool:
        return bool(self.items)


def _question_key(definition: dict[str, Any], page: int, index: int) -> str | None:
    try:
        key = definition["pages"][page]["questions"][index].get("key")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return key if isinstance(key, str) else None


def _pages(definition: dict[str, Any]) -> list[dict[str, Any]]:
    pages = definition.get("pages") if isinstance(definition, dict) else None
    return [p for p in pages if isinstance(p, dict)] if isinstance(pages, list) else []


def _earlier_questions(
    definition: dict[str, Any], page_index: int, question_index: int | None
) -> list[dict[str, Any]]:
    """Questions a show_if here may refer to: those before this one (info items excluded)."""
    earlier = []
    for p, page in enumerate(_pages(definition)):
        questions = page.get("questions") if isinstance(page.get("questions"), list) else []
        for q, question in enumerate(questions):
            if p > page_index or (
                p == page_index and question_index is not None and q >= question_index
            ):
                return earlier
            if isinstance(question, dict) and question.get("type") != "info":
                earlier.append(question)
    return earlier


# -- Question form <-> definition -----------------------------------------------------------------

SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str, used: set[str]) -> str:
    base = SLUG.sub("_", text.lower()).strip("_")[:50] or "item"
    if not base[0].isalpha():
        base = f"o_{base}"[:50]
    key, n = base, 2
    while key in used:
        key, n = f"{base}_{n}", n + 1
    used.add(key)
    return key


def _items_to_text(items: Any, key_field: str) -> str:
    if not isinstance(items, list):
        return ""
    lines = []
    for item in items:
        if isinstance(item, dict):
            lines.append(f"{item.get(key_field, '')} | {item.get('label', '')}")
    return "\n".join(lines)


def _text_to_items(text: str, key_field: str, existing: Any) -> list[dict[str, Any]]:
    """'value | Label' or 'Label' lines as items, keeping hints of items whose value is kept."""
    hints = {}
    if isinstance(existing, list):
        hints = {
            i.get(key_field): i["hint"] for i in existing if isinstance(i, dict) and "hint" in i
        }
    used: set[str] = set()
    items = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
            used.add(value)
        else:
            value, label = "", line
        items.append({key_field: value, "label": label})
    for item in items:
        if not item[key_field]:
            item[key_field] = _slug(item["label"], used)
        if item[key_field] in hints:
            item["hint"] = hints[item[key_field]]
    return items


def _number(text: str) -> int | float | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def _literal(text: str, ref: dict[str, Any] | None) -> Any:
    """A typed show_if value: yes/no for yes_no questions, numbers for scales, else text."""
    text = text.strip()
    if ref is not None and ref.get("type") in ("yes_no", "consent"):
        if text.lower() in ("yes", "true", "y"):
            return True
        if text.lower() in ("no", "false", "n"):
            return False
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, bool | int | float) else text


def fill_question_form(form: QuestionForm, question: dict[str, Any]) -> None:
    """Show an existing question in the form."""
    form.type.data = question.get("type")
    form.key.data = question.get("key", "")
    form.label.data = question.get("label", "")
    form.hint.data = question.get("hint", "")
    form.required.data = question.get("required") is True
    form.options.data = _items_to_text(question.get("options"), "value")
    form.display.data = question.get("display", "radios")
    form.other.data = question.get("other") is True
    form.scale.data = question.get("scale", "")
    labels = question.get("labels")
    form.labels.data = "\n".join(str(x) for x in labels) if isinstance(labels, list) else ""
    form.dont_know.data = question.get("dont_know") is True
    items = question.get("rows", question.get("outcomes"))
    form.from_course.data = items == forms.FROM_COURSE
    form.rows.data = _items_to_text(items, "key")
    form.min_label.data = question.get("min_label", "")
    form.max_label.data = question.get("max_label", "")
    form.faces.data = str(question.get("faces", 3))
    form.prefix.data = question.get("prefix", "")
    form.suffix.data = question.get("suffix", "")
    form.not_in_future.data = question.get("not_in_future") is True
    limits = question.get("limits") if isinstance(question.get("limits"), dict) else {}
    for name in ("min", "max", "max_length", "min_selected", "max_selected"):
        value = limits.get(name)
        getattr(form, f"limit_{name}").data = "" if value is None else str(value)
    form.limit_integer.data = limits.get("integer", True) is not False
    themes = question.get("themes")
    form.themes.data = [t for t in themes if isinstance(t, str)] if isinstance(themes, list) else []
    condition = question.get("show_if")
    form.show_if_question.data = ""
    form.show_if_json.data = ""
    simple = (
        isinstance(condition, dict)
        and len(condition) == 2
        and isinstance(condition.get("question"), str)
        and any(op in condition for op, _ in OPERATORS)
    )
    if simple:
        operator = next(op for op, _ in OPERATORS if op in condition)
        value = condition[operator]
        form.show_if_question.data = condition["question"]
        form.show_if_operator.data = operator
        if isinstance(value, list):
            form.show_if_value.data = ", ".join(json.dumps(v).strip('"') for v in value)
        elif isinstance(value, bool):
            form.show_if_value.data = "true" if value else "false"
        else:
            form.show_if_value.data = str(value)
    elif condition is not None:
        form.show_if_json.data = json.dumps(condition, indent=2)


def question_from_form(
    form: QuestionForm, existing: dict[str, Any], earlier: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The question the form describes, or None with errors set on the fields at fault."""
    qtype = form.type.data if form.type.data in TYPE_LABELS else existing.get("type")
    qtype = qtype if qtype in TYPE_LABELS else "short_text"
    uses = TYPE_FIELDS.get(qtype, set())
    question: dict[str, Any] = {
        k: v for k, v in existing.items() if k not in CONTROLLED and existing.get("type") == qtype
    }
    question.update(key=(form.key.data or "").strip(), type=qtype, label=form.label.data.strip())
    if (form.hint.data or "").strip():
        question["hint"] = form.hint.data.strip()
    if form.required.data and qtype not in ("info", "consent"):
        question["required"] = True
    ok = True

    def fail(field: Any, message: str) -> None:
        nonlocal ok
        field.errors = [*field.errors, message]
        ok = False

    if "options" in uses:
        question["options"] = _text_to_items(form.options.data, "value", existing.get("options"))
        if not question["options"]:
            fail(form.options, "Enter the options, one per line")
    if "display" in uses and form.display.data == "select":
        question["display"] = "select"
    if "other" in uses and form.other.data:
        question["other"] = True
    if "labels" in uses and (form.labels.data or "").strip():
        question["labels"] = [x.strip() for x in form.labels.data.splitlines() if x.strip()]
    elif "scale" in uses and form.scale.data in SCALES:
        question["scale"] = form.scale.data
    if "dont_know" in uses and form.dont_know.data:
        question["dont_know"] = True
    if "rows" in uses:
        name = "outcomes" if qtype == "retrospective_confidence" else "rows"
        if form.from_course.data:
            question[name] = forms.FROM_COURSE
        else:
            previous = existing.get("rows", existing.get("outcomes"))
            question[name] = _text_to_items(form.rows.data, "key", previous)
            if not question[name]:
                fail(form.rows, "Enter the statements, one per line, or use the course's outcomes")
    for name in ("min_label", "max_label", "prefix", "suffix"):
        if name in uses and (getattr(form, name).data or "").strip():
            question[name] = getattr(form, name).data.strip()
    if "faces" in uses and form.faces.data == "5":
        question["faces"] = 5
    if "not_in_future" in uses and form.not_in_future.data:
        question["not_in_future"] = True

    limits: dict[str, Any] = {}
    for name in ("min", "max", "max_length", "min_selected", "max_selected"):
        bound = getattr(form, f"limit_{name}")
        text = (bound.data or "").strip()
        if f"limit_{name}" not in uses or not text:
            continue
        if qtype == "date":
            limits[name] = text
            continue
        try:
            value = _number(text)
        except ValueError:
            fail(bound, f"'{bound.label.text}' must be a number")
            continue
        if name in ("max_length", "min_selected", "max_selected") and not isinstance(value, int):
            fail(bound, f"'{bound.label.text}' must be a whole number")
            continue
        limits[name] = value
    if "limit_integer" in uses and not form.limit_integer.data:
        limits["integer"] = False
    if limits:
        question["limits"] = limits
    if form.themes.data:
        question["themes"] = list(form.themes.data)

    raw = (form.show_if_json.data or "").strip()
    if raw:
        try:
            question["show_if"] = json.loads(raw)
        except ValueError as exc:
            fail(form.show_if_json, f"The advanced condition is not valid JSON: {exc.msg}")
    elif form.show_if_question.data:
        ref_key = form.show_if_question.data
        ref = next((q for q in earlier if q.get("key") == ref_key), None)
        operator = form.show_if_operator.data
        if operator not in dict(OPERATORS):
            operator = "equals"
        text = (form.show_if_value.data or "").strip()
        if operator == "answered":
            question["show_if"] = {
                "question": ref_key,
                "answered": text.lower() not in ("false", "no", "n"),
            }
        elif not text:
            fail(form.show_if_value, "Enter the value the condition compares with")
        elif operator == "in":
            values = [_literal(v, ref) for v in text.split(",") if v.strip()]
            question["show_if"] = {"question": ref_key, "in": values}
        else:
            question["show_if"] = {"question": ref_key, operator: _literal(text, ref)}
    return question if ok else None


def _question_form(
    definition: dict[str, Any], page_index: int, question_index: int | None
) -> tuple[QuestionForm, list[dict[str, Any]]]:
    form = QuestionForm()
    earlier = _earlier_questions(definition, page_index, question_index)
    form.show_if_question.choices = [("", "Always show it")] + [
        (q.get("key", ""), f"{q.get('key')}: {str(q.get('label', ''))[:60]}") for q in earlier
    ]
    return form, earlier


def _apply_problems(form: QuestionForm, located: list[Located]) -> None:
    """Show a saved question's problems beside the form fields they concern."""
    fields = {
        "options": form.options,
        "rows": form.rows,
        "outcomes": form.rows,
        "labels": form.labels,
        "scale": form.scale,
        "themes": form.themes,
        "show_if": form.show_if_json if form.show_if_json.data else form.show_if_value,
        "key": form.key,
        "label": form.label,
        "hint": form.hint,
        "type": form.type,
        "limits": form.limit_min,
        "min_label": form.min_label,
        "max_label": form.max_label,
    }
    for item in located:
        head = re.split(r"[.\[]", item.where, maxsplit=1)[0]
        target = fields.get(head, form.label)
        target.errors = [*(target.errors or []), item.text]


# -- Conditions in words ------------------------------------------------------------------------


def _answer_label(question: dict[str, Any] | None, value: Any) -> str:
    if question is None:
        return str(value)
    if question.get("type") in ("yes_no", "consent") and isinstance(value, bool):
        return "Yes" if value else "No"
    options = question.get("options")
    if isinstance(options, list):
        for option in options:
            if isinstance(option, dict) and option.get("value") == value:
                return str(option.get("label", value))
    try:
        for level in forms.summarise(question).get("levels", []):
            if level["value"] == value:
                return str(level["label"])
    except (KeyError, TypeError, AttributeError, ValueError):
        pass
    return str(value)


def describe_condition(definition: dict[str, Any], condition: Any) -> str:
    """A show_if condition in the respondent's words: "you answered 'Manager' to 'Role'"."""
    if not isinstance(condition, dict):
        return ""
    for combinator, joiner in (("all", " and "), ("any", " or ")):
        if isinstance(condition.get(combinator), list):
            return joiner.join(describe_condition(definition, c) for c in condition[combinator])
    key = condition.get("question")
    try:
        question = dict(forms.find_question(definition, key)) if isinstance(key, str) else None
    except (KeyError, TypeError):
        question = None
    label = f"\u2018{question.get('label', key)}\u2019" if question else f"\u2018{key}\u2019"
    if "answered" in condition:
        return f"you answered {label}" if condition["answered"] else f"you did not answer {label}"
    if "in" in condition and isinstance(condition["in"], list):
        values = " or ".join(f"\u2018{_answer_label(question, v)}\u2019" for v in condition["in"])
        return f"you answered {values} to {label}"
    if "not_equals" in condition:
        return (
            f"you did not answer \u2018{_answer_label(question, condition['not_equals'])}\u2019"
            f" to {label}"
        )
    if "equals" in condition:
        return f"you answered \u2018{_answer_label(question, condition['equals'])}\u2019 to {label}"
    return ""


def display_answer(question: dict[str, Any], stored: Any) -> str:
    """A stored answer as text for a check-your-answers list."""
    if stored is None:
        return "Not answered"
    qtype = question.get("type")
    if qtype == "multi_choice" and isinstance(stored, dict):
        chosen = [_answer_label(question, v) for v in stored.get("selected", [])]
        if stored.get("other"):
            chosen.append(f"Other: {stored['other']}")
        return ", ".join(chosen)
    if qtype == "ranking" and isinstance(stored, list):
        return ", ".join(f"{n}. {_answer_label(question, v)}" for n, v in enumerate(stored, 1))
    if isinstance(stored, dict):
        return "; ".join(f"{k}: {v}" for k, v in stored.items())
    return _answer_label(question, stored)


bp.add_app_template_global(describe_condition, "describe_condition")
bp.add_app_template_global(display_answer, "display_answer")


# -- Instruments ----------------------------------------------------------------------------------


@bp.route("")
@roles_required(Role.ADMIN)
def index() -> str:
    partnership = _partnership()
    return render_template(
        "instruments/index.html",
        instruments=service.list_instruments(partnership),
        library=service.library_not_copied(partnership),
        xlsform=service.xlsform_available(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new() -> str | Response:
    form = NewInstrumentForm()
    if form.validate_on_submit():
        try:
            version = service.create_blank(
                _partnership(), form.key.data or "", form.title.data or "", current_user
            )
        except ServiceError as exc:
            getattr(form, exc.field or "title").errors = [exc.message]
        else:
            flash(f"{version.instrument.title} created. Add its questions.", "success")
            return _designer(version.instrument_id)
    return render_template("instruments/new.html", form=form)


@bp.route("/copy", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def copy() -> str | Response:
    form = CopyForm()
    available = service.library_not_copied(_partnership())
    form.library_key.choices = available
    if request.method == "GET" and request.args.get("key"):
        form.library_key.data = request.args["key"]
    if form.validate_on_submit():
        try:
            version = service.copy_from_library(
                _partnership(), form.library_key.data or "", current_user
            )
        except ServiceError as exc:
            form.library_key.errors = [exc.message]
        else:
            flash(
                f"{version.instrument.title} copied as a draft. Change what you need, then "
                "publish it.",
                "success",
            )
            return _designer(version.instrument_id)
    return render_template("instruments/copy.html", form=form, available=available)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def upload() -> str | Response:
    if not service.xlsform_available():
        abort(404)
    form = UploadForm()
    problems: list[Problem] = []
    if form.validate_on_submit():
        try:
            result = service.import_xlsform(_partnership(), form.file.data.read(), current_user)
        except service.InvalidDefinition as exc:
            form.file.errors = [exc.message]
            problems = exc.problems
        except ServiceError as exc:
            form.file.errors = [exc.message]
        else:
            version = result.version
            action = "created" if result.created else f"saved as draft version {version.number}"
            message = f"{version.instrument.title} {action}."
            if result.warnings:
                message += " " + "; ".join(str(w) for w in result.warnings[:5])
            flash(message, "success")
            return _designer(version.instrument_id)
    return render_template("instruments/upload.html", form=form, problems=problems)


@bp.route("/<int:instrument_id>")
@roles_required(Role.ADMIN)
def show(instrument_id: int) -> str:
    instrument = _instrument(instrument_id)
    version = instrument.latest
    if version is None:
        abort(404)
    definition = version.definition
    problems = ProblemMap.of(service.check(definition))
    return render_template(
        "instruments/show.html",
        instrument=instrument,
        version=version,
        definition=definition,
        pages=_pages(definition),
        problems=problems,
        problem_summary=problems.summary(definition),
        type_labels=TYPE_LABELS,
        action=ActionForm(),
        xlsform=service.xlsform_available(),
        editable=not instrument.archived,
    )


@bp.route("/<int:instrument_id>/details", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def details(instrument_id: int) -> str | Response:
    version = _version(instrument_id)
    form = DetailsForm()
    if request.method == "GET":
        form.title.data = version.definition.get("title", "")
        form.intro.data = version.definition.get("intro", "")
    if form.validate_on_submit():
        try:
            service.update_details(
                _partnership(), instrument_id, form.title.data or "", form.intro.data, current_user
            )
        except ServiceError as exc:
            getattr(form, exc.field or "title").errors = [exc.message]
        else:
            flash("Details saved.", "success")
            return _designer(instrument_id, "details")
    return render_template("instruments/details.html", form=form, version=version)


@bp.route("/<int:instrument_id>/publish", methods=["POST"])
@roles_required(Role.ADMIN)
def publish(instrument_id: int) -> str | Response:
    instrument = _instrument(instrument_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = service.publish(_partnership(), instrument_id, current_user)
    except service.InvalidDefinition as exc:
        flash(f"{exc.message}. Fix the problems listed below, then publish again.", "error")
        return _designer(instrument.id)
    except ServiceError as exc:
        return _refused(exc, instrument_id)
    flash(f"Version {version.number} published. It will not change from now on.", "success")
    return _designer(instrument_id)


@bp.route("/<int:instrument_id>/archive", methods=["POST"])
@roles_required(Role.ADMIN)
def archive(instrument_id: int) -> Response:
    instrument = _instrument(instrument_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.set_archived(_partnership(), instrument.id, not instrument.archived, current_user)
    except ServiceError as exc:
        return _refused(exc, instrument_id)
    flash("Instrument archived." if instrument.archived else "Instrument restored.", "success")
    return redirect(url_for("instruments.index"))


# -- Pages ----------------------------------------------------------------------------------------


@bp.route("/<int:instrument_id>/pages/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def page_new(instrument_id: int) -> str | Response:
    version = _version(instrument_id)
    form = PageDetailsForm()
    if request.method == "GET":
        form.key.data = f"page_{len(_pages(version.definition)) + 1}"
    if form.validate_on_submit():
        try:
            service.add_page(
                _partnership(),
                instrument_id,
                form.key.data or "",
                form.title.data or "",
                form.intro.data,
                current_user,
            )
        except ServiceError as exc:
            return _refused(exc, instrument_id)
        flash("Page added.", "success")
        return _designer(instrument_id, f"page-{len(_pages(version.definition))}")
    return render_template("instruments/page.html", form=form, version=version, page_index=None)


@bp.route("/<int:instrument_id>/pages/<int:page_index>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def page_edit(instrument_id: int, page_index: int) -> str | Response:
    version = _version(instrument_id)
    pages = _pages(version.definition)
    if page_index >= len(pages):
        abort(404)
    page = pages[page_index]
    form = PageDetailsForm()
    if request.method == "GET":
        form.key.data = page.get("key", "")
        form.title.data = page.get("title", "")
        form.intro.data = page.get("intro", "")
    if form.validate_on_submit():
        try:
            service.update_page(
                _partnership(),
                instrument_id,
                page_index,
                request.form.get("expected"),
                form.key.data or "",
                form.title.data or "",
                form.intro.data,
                current_user,
            )
        except ServiceError as exc:
            return _refused(exc, instrument_id)
        flash("Page saved.", "success")
        return _designer(instrument_id, f"page-{page_index}")
    return render_template(
        "instruments/page.html",
        form=form,
        version=version,
        page_index=page_index,
        expected=page.get("key"),
    )


@bp.route("/<int:instrument_id>/pages/<int:page_index>/move", methods=["POST"])
@roles_required(Role.ADMIN)
def page_move(instrument_id: int, page_index: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.move_page(
            _partnership(),
            instrument_id,
            page_index,
            form.expected.data,
            form.direction.data or "",
            current_user,
        )
    except ServiceError as exc:
        return _refused(exc, instrument_id)
    moved_to = page_index - 1 if form.direction.data == "up" else page_index + 1
    return _designer(instrument_id, f"page-{moved_to}")


@bp.route("/<int:instrument_id>/pages/<int:page_index>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def page_delete(instrument_id: int, page_index: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.delete_page(
            _partnership(), instrument_id, page_index, form.expected.data, current_user
        )
    except ServiceError as exc:
        return _refused(exc, instrument_id)
    flash(f"Page {page_index + 1} deleted.", "success")
    return _designer(instrument_id)


# -- Questions ----------------------------------------------------------------------------------


@bp.route("/<int:instrument_id>/pages/<int:page_index>/questions/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def question_new(instrument_id: int, page_index: int) -> str | Response:
    version = _version(instrument_id)
    pages = _pages(version.definition)
    if page_index >= len(pages):
        abort(404)
    qtype = request.args.get("type")
    if qtype not in TYPE_LABELS:
        choose = ChooseTypeForm(request.args if "type" in request.args else None)
        if "type" in request.args:
            choose.validate()
        return render_template(
            "instruments/question_type.html",
            form=choose,
            version=version,
            page_index=page_index,
            type_labels=TYPE_LABELS,
        )
    form, earlier = _question_form(version.definition, page_index, None)
    if request.method == "GET":
        used = {
            q.get("key")
            for page in pages
            for q in (page.get("questions") if isinstance(page.get("questions"), list) else [])
            if isinstance(q, dict)
        }
        form.type.data = qtype
        form.key.data = _slug(f"q_{len(used) + 1}", set(map(str, used)))
    form.type.data = form.type.data or qtype
    if form.validate_on_submit():
        question = question_from_form(form, {}, earlier)
        if question is not None:
            try:
                after = service.add_question(
                    _partnership(), instrument_id, page_index, question, current_user
                )
            except ServiceError as exc:
                return _refused(exc, instrument_id)
            index = len(after.definition["pages"][page_index]["questions"]) - 1
            flash("Question added.", "success")
            return _designer(instrument_id, f"question-{page_index}-{index}")
    return render_template(
        "instruments/question.html",
        form=form,
        version=version,
        page_index=page_index,
        question_index=None,
        qtype=form.type.data,
        uses=TYPE_FIELDS.get(form.type.data or "", set()),
        type_labels=TYPE_LABELS,
    )


@bp.route(
    "/<int:instrument_id>/pages/<int:page_index>/questions/<int:question_index>",
    methods=["GET", "POST"],
)
@roles_required(Role.ADMIN)
def question_edit(instrument_id: int, page_index: int, question_index: int) -> str | Response:
    version = _version(instrument_id)
    pages = _pages(version.definition)
    if page_index >= len(pages):
        abort(404)
    questions = pages[page_index].get("questions")
    if not isinstance(questions, list) or question_index >= len(questions):
        abort(404)
    existing = questions[question_index] if isinstance(questions[question_index], dict) else {}
    form, earlier = _question_form(version.definition, page_index, question_index)
    if request.method == "GET":
        fill_question_form(form, existing)
        located = ProblemMap.of(service.check(version.definition)).question(
            page_index, question_index
        )
        _apply_problems(form, located)
    elif form.validate_on_submit():
        question = question_from_form(form, existing, earlier)
        if question is not None:
            try:
                service.update_question(
                    _partnership(),
                    instrument_id,
                    page_index,
                    question_index,
                    request.form.get("expected"),
                    question,
                    current_user,
                )
            except ServiceError as exc:
                return _refused(exc, instrument_id)
            flash("Question saved.", "success")
            return _designer(instrument_id, f"question-{page_index}-{question_index}")
    qtype = form.type.data or existing.get("type")
    return render_template(
        "instruments/question.html",
        form=form,
        version=version,
        page_index=page_index,
        question_index=question_index,
        expected=existing.get("key"),
        qtype=qtype,
        uses=TYPE_FIELDS.get(qtype or "", set()),
        type_labels=TYPE_LABELS,
    )


@bp.route(
    "/<int:instrument_id>/pages/<int:page_index>/questions/<int:question_index>/move",
    methods=["POST"],
)
@roles_required(Role.ADMIN)
def question_move(instrument_id: int, page_index: int, question_index: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        after = service.move_question(
            _partnership(),
            instrument_id,
            page_index,
            question_index,
            form.expected.data,
            form.direction.data or "",
            current_user,
        )
    except ServiceError as exc:
        return _refused(exc, instrument_id)
    for p, page in enumerate(_pages(after.definition)):
        for q, question in enumerate(page.get("questions") or []):
            if isinstance(question, dict) and question.get("key") == form.expected.data:
                return _designer(instrument_id, f"question-{p}-{q}")
    return _designer(instrument_id)


@bp.route(
    "/<int:instrument_id>/pages/<int:page_index>/questions/<int:question_index>/delete",
    methods=["POST"],
)
@roles_required(Role.ADMIN)
def question_delete(instrument_id: int, page_index: int, question_index: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.delete_question(
            _partnership(),
            instrument_id,
            page_index,
            question_index,
            form.expected.data,
            current_user,
        )
    except ServiceError as exc:
        return _refused(exc, instrument_id)
    flash(f"Question {form.expected.data} deleted.", "success")
    return _designer(instrument_id, f"page-{page_index}")


# -- Versions -------------------------------------------------------------------------------------


@bp.route("/<int:instrument_id>/versions/<int:number>")
@roles_required(Role.ADMIN)
def version(instrument_id: int, number: int) -> str:
    version = _version(instrument_id, number)
    definition = version.definition
    problems = ProblemMap.of(service.check(definition))
    return render_template(
        "instruments/version.html",
        instrument=version.instrument,
        version=version,
        definition=definition,
        pages=_pages(definition),
        problems=problems,
        type_labels=TYPE_LABELS,
        xlsform=service.xlsform_available(),
    )


@bp.route("/<int:instrument_id>/versions/<int:number>/xlsform")
@roles_required(Role.ADMIN)
def xlsform(instrument_id: int, number: int) -> Response:
    if not service.xlsform_available():
        abort(404)
    version = _version(instrument_id, number)
    data, filename = service.export_xlsform(version)
    return Response(
        data,
        mimetype=service.XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- Preview: exactly as a respondent sees it -----------------------------------------------------


def _preview_answers(version: InstrumentVersion) -> dict[str, Any]:
    stored = session.get(PREVIEW_KEY)
    if isinstance(stored, dict) and stored.get("version") == version.id:
        answers = stored.get("answers")
        return dict(answers) if isinstance(answers, dict) else {}
    return {}


def _save_preview_answers(version: InstrumentVersion, answers: dict[str, Any]) -> None:
    # Only one preview is kept, so the session cookie stays small.
    session[PREVIEW_KEY] = {"version": version.id, "answers": answers}


def _previewable(version: InstrumentVersion) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The definition to preview, or None and the problems that make it impossible."""
    problems = forms.validate(version.definition)
    if problems:
        return None, problems
    return service.preview_definition(version), []


@bp.route("/<int:instrument_id>/versions/<int:number>/preview")
@roles_required(Role.ADMIN)
def preview(instrument_id: int, number: int) -> str:
    version = _version(instrument_id, number)
    definition, problems = _previewable(version)
    session.pop(PREVIEW_KEY, None)  # each preview starts with no answers
    first = forms.next_page(definition, -1, {}) if definition else None
    return render_template(
        "instruments/preview_start.html",
        version=version,
        definition=definition or version.definition,
        problems=problems,
        first=first,
        placeholders=service.has_placeholders(version.definition),
    )


@bp.route(
    "/<int:instrument_id>/versions/<int:number>/preview/<int:page_index>",
    methods=["GET", "POST"],
)
@roles_required(Role.ADMIN)
def preview_page(instrument_id: int, number: int, page_index: int) -> str | Response:
    version = _version(instrument_id, number)
    definition, _problems = _previewable(version)
    if definition is None:
        return redirect(url_for("instruments.preview", instrument_id=instrument_id, number=number))
    if page_index >= len(definition["pages"]):
        abort(404)
    answers = _preview_answers(version)
    here = {"instrument_id": instrument_id, "number": number}
    if page_index not in forms.visible_pages(definition, answers):
        # Nothing on this page applies given the answers so far: go on as a respondent would.
        following = forms.next_page(definition, page_index, answers)
        if following is None:
            return redirect(url_for("instruments.preview_end", **here))
        return redirect(url_for("instruments.preview_page", page_index=following, **here))
    form_class = page_form_class(
        definition, page_index, answers, today=clock.today(), base=FlaskForm
    )
    form = form_class()
    if form.validate_on_submit():
        answers.update(form.answers)
        _save_preview_answers(version, answers)
        following = forms.next_page(definition, page_index, answers)
        if following is None:
            return redirect(url_for("instruments.preview_end", **here))
        return redirect(url_for("instruments.preview_page", page_index=following, **here))
    back = forms.previous_page(definition, page_index, answers)
    back_url = (
        url_for("instruments.preview_page", page_index=back, **here)
        if back is not None
        else url_for("instruments.preview", **here)
    )
    return render_template(
        "instruments/preview_page.html",
        version=version,
        definition=definition,
        page=definition["pages"][page_index],
        page_form=form,
        back_url=back_url,
        action=url_for("instruments.preview_page", page_index=page_index, **here),
    )


@bp.route("/<int:instrument_id>/versions/<int:number>/preview/end")
@roles_required(Role.ADMIN)
def preview_end(instrument_id: int, number: int) -> str | Response:
    version = _version(instrument_id, number)
    definition, _problems = _previewable(version)
    if definition is None:
        return redirect(url_for("instruments.preview", instrument_id=instrument_id, number=number))
    answers = forms.effective_answers(definition, _preview_answers(version))
    rows = []
    for page_index in forms.visible_pages(definition, answers):
        for question in forms.visible_questions(definition, page_index, answers):
            if question["type"] != "info":
                rows.append((page_index, question, answers.get(question["key"])))
    last = forms.visible_pages(definition, answers)
    return render_template(
        "instruments/preview_end.html",
        version=version,
        definition=definition,
        rows=rows,
        last_page=last[-1] if last else None,
    )
