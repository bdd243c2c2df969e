"""The WTForms forms of the visit pages, rendered with GOV.UK Frontend widgets.

Forms whose fields depend on the record (people by role, free-text sections, action plan items)
are built per request by the functions at the end.
"""

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from feedback.models.visits import Rag, ReviewOutcome, Section11Status, VisitKind, VisitStatus
from feedback.services import whole_number_or_none
from feedback.services.visits import TEXT_MAX, Choice
from feedback.web.fields import GovDateField

TEXT_LIMIT = Length(max=TEXT_MAX, message=f"Write {TEXT_MAX:,} characters or fewer")

RAG_HINTS = {
    "red": "Significant concerns",
    "amber": "Some improvement needed",
    "green": "Good, no concerns",
}


def whole_number(text: str | None) -> int | None:
    """A count typed into a box: None when empty; ValueError when not a whole number."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    # Checked against the service's range before it is kept, so a long number gets that message.
    number = whole_number_or_none(text, max_digits=100)
    if number is None:
        raise ValueError(text)
    return number


class KindForm(FlaskForm):
    kind = RadioField(
        "What are you recording?",
        widget=GovRadioInput(),
        choices=[(k.value, k.label) for k in VisitKind],
        validators=[InputRequired(message="Choose what you are recording")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class DetailsForm(FlaskForm):
    agency_id = SelectField("Agency", widget=GovSelect(), choices=[], validate_choice=False)
    setting = StringField(
        "Setting or service visited",
        widget=GovTextInput(),
        description="For example, Riverside Primary School or the Emergency Department.",
        validators=[Length(max=200, message="Setting must be 200 characters or fewer")],
    )
    title = StringField(
        "Title of the event",
        widget=GovTextInput(),
        description="For example, Neglect: what are we seeing?",
        validators=[Length(max=200, message="Title must be 200 characters or fewer")],
    )
    audience = StringField(
        "Who was it for?",
        widget=GovTextInput(),
        description="For example, head teachers' forum or early years managers' briefing.",
        validators=[Length(max=200, message="Audience must be 200 characters or fewer")],
    )
    attendee_count = StringField(
        "How many people attended? (optional)",
        widget=GovTextInput(),
    )
    occurred_on = GovDateField(
        "Date", description="For example, 27 3 2027", validators=[Optional()]
    )
    lead_id = SelectField("Lead", widget=GovSelect(), choices=[], validate_choice=False)
    team_ids = SelectMultipleField(
        "Other scrutineers (optional)",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
        description="They can read and write up this record too.",
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class TopicForm(FlaskForm):
    rag = RadioField(
        "RAG rating",
        widget=GovRadioInput(),
        choices=[(r.value, r.label) for r in Rag],
        validators=[Optional()],
    )
    strengths = TextAreaField("Strengths", widget=GovTextArea(), validators=[TEXT_LIMIT])
    development = TextAreaField(
        "Areas for development", widget=GovTextArea(), validators=[TEXT_LIMIT]
    )
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[TEXT_LIMIT])
    submit = SubmitField("Save and continue", widget=GovSubmitInput())
    save_only = SubmitField("Save and come back later", widget=GovSubmitInput())


class PlanItemForm(FlaskForm):
    standard = SelectField(
        "Section 11 standard", widget=GovSelect(), choices=[], validate_choice=False
    )
    description = TextAreaField(
        "What the agency will do",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Describe what the agency will do"),
            TEXT_LIMIT,
        ],
    )
    submit = SubmitField("Add to the action plan", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    description = TextAreaField(
        "Action agreed",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Describe the action agreed"),
            Length(max=2000, message="The action must be 2,000 characters or fewer"),
        ],
    )
    owner_agency_id = SelectField(
        "Agency responsible", widget=GovSelect(), choices=[], validate_choice=False
    )
    due_on = GovDateField(
        "Due date (optional)", description="For example, 27 3 2027", validators=[Optional()]
    )
    submit = SubmitField("Add the action", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    outcome = RadioField(
        "What is your decision?",
        widget=GovRadioInput(),
        choices=[(o.value, o.label) for o in ReviewOutcome],
        validators=[InputRequired(message="Choose whether to send it back or mark it reviewed")],
    )
    comments = TextAreaField(
        "Comments",
        widget=GovTextArea(),
        description="Needed when you send it back: say what needs to change.",
        validators=[TEXT_LIMIT],
    )
    submit = SubmitField("Save the review", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class FilterForm(FlaskForm):
    """The list's filters: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(
        "Kind",
        widget=GovSelect(),
        choices=[("", "All kinds")] + [(k.value, k.label) for k in VisitKind],
        validate_choice=False,
    )
    agency = SelectField("Agency", widget=GovSelect(), choices=[], validate_choice=False)
    status = SelectField(
        "Status",
        widget=GovSelect(),
        choices=[("", "Any status")] + [(s.value, s.label) for s in VisitStatus],
        validate_choice=False,
    )
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


def people_form(roles: list[Choice], legend: str) -> type[FlaskForm]:
    """A number box for each role: how many were spoken to (never who)."""

    class PeopleForm(FlaskForm):
        pass

    for role in roles:
        setattr(
            PeopleForm,
            f"role_{role.key}",
            StringField(role.label, widget=GovTextInput()),
        )
    PeopleForm.submit = SubmitField("Save and continue", widget=GovSubmitInput())
    PeopleForm.legend = legend
    return PeopleForm


def notes_form(sections: list[Choice], hints: dict[str, str]) -> type[FlaskForm]:
    """A text area for each of the kind's free-text sections."""

    class NotesForm(FlaskForm):
        pass

    for section in sections:
        setattr(
            NotesForm,
            f"note_{section.key}",
            TextAreaField(
                section.label,
                widget=GovTextArea(),
                description=hints.get(section.key, ""),
                validators=[TEXT_LIMIT],
            ),
        )
    NotesForm.submit = SubmitField("Save and continue", widget=GovSubmitInput())
    return NotesForm


def plan_form(item_ids: list[int]) -> type[FlaskForm]:
    """A status and a progress narrative for each action plan item, by item id."""

    class PlanForm(FlaskForm):
        pass

    for item_id in item_ids:
        setattr(
            PlanForm,
            f"status_{item_id}",
            RadioField(
                "Progress",
                widget=GovRadioInput(),
                choices=[(s.value, s.label) for s in Section11Status],
                validators=[Optional()],
            ),
        )
        setattr(
            PlanForm,
            f"narrative_{item_id}",
            TextAreaField(
                "What has been done, and what is still to do",
                widget=GovTextArea(),
                validators=[TEXT_LIMIT],
            ),
        )
    PlanForm.submit = SubmitField("Save and continue", widget=GovSubmitInput())
    return PlanForm


def today_hint(value: date) -> str:
    return f"For example, {value.day} {value.month} {value.year}"
