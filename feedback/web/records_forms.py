"""The WTForms forms of the audit, review, action tracker and Learning Needs Analysis pages."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
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
from wtforms.validators import InputRequired, Length, Optional

from feedback.models import ActionStatus
from feedback.models.records import AuditType, RecordStatus, ReviewType
from feedback.services.actions import MAX_DESCRIPTION, MAX_NOTE
from feedback.services.records import MAX_RECOMMENDATION, MAX_TEXT, MAX_TITLE
from feedback.web.fields import GovDateField

DATE_HINT = "For example, 27 3 2027"


def _date(label: str, hint: str = DATE_HINT) -> GovDateField:
    return GovDateField(label, description=hint, validators=[Optional()])


class _RecordForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a title"),
            Length(max=MAX_TITLE, message=f"The title must be {MAX_TITLE} characters or fewer"),
        ],
    )
    start_on = _date("Start date (optional)")
    end_on = _date("End date (optional)", "When it finished or was published. " + DATE_HINT)
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=[(s.value, s.label) for s in RecordStatus],
        validators=[InputRequired(message="Choose the status")],
    )

    def validate_end_on(self, field: GovDateField) -> None:
        from wtforms.validators import ValidationError

        if field.data and self.start_on.data and field.data < self.start_on.data:
            raise ValidationError("The end date must be on or after the start date")


class AuditForm(_RecordForm):
    audit_type = RadioField(
        "Type of audit",
        widget=GovRadioInput(),
        choices=[(t.value, t.label) for t in AuditType],
        validators=[InputRequired(message="Choose the type of audit")],
    )
    scope = TextAreaField(
        "Scope (optional)",
        widget=GovTextArea(),
        description="What the audit looked at: the question, the cases, the period.",
        validators=[Length(max=MAX_TEXT, message="The scope is too long")],
    )
    agency_ids = SelectMultipleField(
        "Agencies taking part (optional)", widget=GovCheckboxesInput(), choices=[], coerce=int
    )
    findings = TextAreaField(
        "Findings (optional)",
        widget=GovTextArea(),
        description="One finding on each line. Each is coded into themes like front-line text. "
        "Do not include anything that could identify a child, family or practitioner.",
        validators=[Length(max=MAX_TEXT, message="The findings are too long")],
    )
    submit = SubmitField("Save audit", widget=GovSubmitInput())


class ReviewForm(_RecordForm):
    review_type = RadioField(
        "Type of review",
        widget=GovRadioInput(),
        choices=[(t.value, t.label) for t in ReviewType],
        validators=[InputRequired(message="Choose the type of review")],
    )
    summary = TextAreaField(
        "Summary (optional)",
        widget=GovTextArea(),
        description="What the review is about, without anything that could identify a child or "
        "family.",
        validators=[Length(max=MAX_TEXT, message="The summary is too long")],
    )
    learning_points = TextAreaField(
        "Learning points (optional)",
        widget=GovTextArea(),
        description="One learning point on each line. Each is coded into themes like front-line "
        "text.",
        validators=[Length(max=MAX_TEXT, message="The learning points are too long")],
    )
    submit = SubmitField("Save review", widget=GovSubmitInput())


class RecommendationForm(FlaskForm):
    text = TextAreaField(
        "Recommendation",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Write the recommendation"),
            Length(
                max=MAX_RECOMMENDATION,
                message=f"A recommendation must be {MAX_RECOMMENDATION:,} characters or fewer",
            ),
        ],
    )
    training = BooleanField(
        "This is for training: count it in the Learning Needs Analysis", widget=GovCheckboxInput()
    )
    theme_key = SelectField(
        "Theme (optional)",
        widget=GovSelect(),
        choices=[],
        description="Leave empty to use the themes linked to this record.",
        validate_choice=False,
    )
    submit = SubmitField("Add recommendation", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    description = TextAreaField(
        "Action",
        widget=GovTextArea(),
        description="What will be done, by whom, so that it can be checked.",
        validators=[
            InputRequired(message="Describe the action"),
            Length(
                max=MAX_DESCRIPTION,
                message=f"The action must be {MAX_DESCRIPTION:,} characters or fewer",
            ),
        ],
    )
    owner_agency_id = SelectField(
        "Owner agency (optional)", widget=GovSelect(), choices=[], validate_choice=False
    )
    due_on = _date("Due date (optional)")
    submit = SubmitField("Save action", widget=GovSubmitInput())


class ActionUpdateForm(FlaskForm):
    status = RadioField(
        "Status now",
        widget=GovRadioInput(),
        choices=[(s.value, s.label) for s in ActionStatus],
        validators=[InputRequired(message="Choose the action's status now")],
    )
    text = TextAreaField(
        "Progress update",
        widget=GovTextArea(),
        description="What has happened since the last update.",
        validators=[
            InputRequired(message="Write what has happened since the last update"),
            Length(max=MAX_NOTE, message=f"The update must be {MAX_NOTE:,} characters or fewer"),
        ],
    )
    evidence_of_impact = TextAreaField(
        "Evidence of impact (optional)",
        widget=GovTextArea(),
        description="What is different for children and families, and how you know. This "
        "replaces the evidence recorded before.",
        validators=[
            Length(
                max=MAX_NOTE, message=f"Evidence of impact must be {MAX_NOTE:,} characters or fewer"
            )
        ],
    )
    submit = SubmitField("Add update", widget=GovSubmitInput())


class ThemeLinkForm(FlaskForm):
    theme_key = SelectField(
        "Theme",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message="Choose a theme to link")],
    )
    submit = SubmitField("Link theme", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button alone: unlink, remove, move."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class PriorityForm(FlaskForm):
    text = TextAreaField(
        "Priority",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Write the priority"),
            Length(max=1000, message="A priority must be 1,000 characters or fewer"),
        ],
    )
    theme_key = SelectField(
        "Theme (optional)", widget=GovSelect(), choices=[], validate_choice=False
    )
    year = HiddenField()
    submit = SubmitField("Save priority", widget=GovSubmitInput())
