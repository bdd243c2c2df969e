"""The WTForms forms of the course and session pages, rendered with GOV.UK Frontend widgets."""

import re
from datetime import time

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
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from analysis.text.codebook import SEED_CODEBOOK
from feedback.models import CourseFormat
from feedback.services.training import MAX_OUTCOMES, MIN_OUTCOMES
from feedback.web.fields import GovDateField

#: The standard codebook's themes a course may address, by label.
THEME_CHOICES = sorted(((t.key, t.label) for t in SEED_CODEBOOK), key=lambda c: c[1])

_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap]\.?m\.?)?$")


def parse_time(text: str | None) -> time | None:
    """A time of day as people write it: 09:30, 9.30, 14:00, 2pm, 2:30pm; None if it is not."""
    match = _TIME.match((text or "").strip().lower())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def outcome_lines(text: str | None) -> list[str]:
    """Learning outcomes typed one a line; blank lines and bullet marks are dropped."""
    lines = (line.strip().lstrip("-*•").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


class CourseForm(FlaskForm):
    title = StringField(
        "Course title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the course title"),
            Length(max=200, message="Course title must be 200 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "Description (optional)",
        widget=GovTextArea(),
        description="Who the course is for and what it covers.",
        validators=[Length(max=5000, message="Description must be 5,000 characters or fewer")],
    )
    learning_outcomes = TextAreaField(
        "Learning outcomes",
        widget=GovTextArea(),
        description=f"Write {MIN_OUTCOMES} to {MAX_OUTCOMES} short statements, one on each line, "
        "for example: Recognise the signs of neglect. Each becomes a before-and-after confidence "
        "question in the evaluation.",
    )
    themes = SelectMultipleField(
        "Themes the course addresses (optional)",
        widget=GovCheckboxesInput(),
        choices=THEME_CHOICES,
        description="From the partnership's codebook, so the Learning Needs Analysis can match "
        "training to need.",
    )
    level = StringField(
        "Level (optional)",
        widget=GovTextInput(),
        description="For example: Level 1: foundation, or Level 3: advanced",
        validators=[Length(max=60, message="Level must be 60 characters or fewer")],
    )
    format = RadioField(
        "Format",
        widget=GovRadioInput(),
        choices=[(f.value, f.label) for f in CourseFormat],
        validators=[InputRequired(message="Choose how the course is delivered")],
    )
    active = BooleanField(
        "This course is active (new sessions can be added)", widget=GovCheckboxInput()
    )
    submit = SubmitField("Save course", widget=GovSubmitInput())

    def validate_learning_outcomes(self, field: TextAreaField) -> None:
        from wtforms.validators import ValidationError

        count = len(outcome_lines(field.data))
        if not MIN_OUTCOMES <= count <= MAX_OUTCOMES:
            raise ValidationError(
                f"Enter between {MIN_OUTCOMES} and {MAX_OUTCOMES} learning outcomes, one on "
                f"each line; you entered {count}"
            )
        for number, line in enumerate(outcome_lines(field.data), start=1):
            if len(line) > 200:
                raise ValidationError(
                    f"Learning outcome {number} must be 200 characters or fewer; it has {len(line)}"
                )


class SessionForm(FlaskForm):
    starts_on = GovDateField(
        "Date",
        description="For example, 27 3 2027",
        validators=[InputRequired(message="Enter the date of the session")],
    )
    starts_time = StringField(
        "Start time",
        widget=GovTextInput(),
        description="UK time, for example 09:30 or 2pm",
        validators=[InputRequired(message="Enter the start time")],
    )
    ends_on = GovDateField(
        "End date (optional)",
        description="Leave empty if the session ends on the day it starts.",
        validators=[Optional()],
    )
    ends_time = StringField(
        "End time",
        widget=GovTextInput(),
        description="UK time, for example 16:00 or 4pm",
        validators=[InputRequired(message="Enter the end time")],
    )
    delivery = RadioField(
        "Where is it held?",
        widget=GovRadioInput(),
        choices=[("venue", "At a venue"), ("online", "Online")],
        validators=[InputRequired(message="Choose whether the session is at a venue or online")],
    )
    venue = StringField(
        "Venue",
        widget=GovTextInput(),
        description="Needed for a session at a venue. For an online session you may name the "
        "platform, for example Microsoft Teams.",
        validators=[Length(max=200, message="Venue must be 200 characters or fewer")],
    )
    trainer_id = SelectField("Trainer", widget=GovSelect(), choices=[], validate_choice=False)
    capacity = StringField(
        "Places (optional)",
        widget=GovTextInput(),
        description="How many people can be booked, for example 20.",
    )
    submit = SubmitField("Save session", widget=GovSubmitInput())


class CancelForm(FlaskForm):
    submit = SubmitField("Yes, cancel this session", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField(
        "Upload a CSV file",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV file to upload")],
    )
    submit = SubmitField("Import attendance", widget=GovSubmitInput())


class PasteEmailsForm(FlaskForm):
    """Book people by pasting their email addresses (the search results post person ids)."""

    emails = TextAreaField(
        "Or paste email addresses",
        widget=GovTextArea(),
        description="One on each line, or separated by commas. Everyone must already be listed "
        "as a practitioner.",
    )
    submit = SubmitField("Book these people", widget=GovSubmitInput())
