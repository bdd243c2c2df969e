"""The staff-facing WTForms forms, rendered with GOV.UK Frontend widgets."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from feedback.models.partnership import SECTOR_LABELS
from feedback.web.fields import GovDateField


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address")],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField(
        "Agency name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the agency's name"),
            Length(max=200, message="Agency name must be 200 characters or fewer"),
        ],
    )
    sector = SelectField(
        "Sector",
        widget=GovSelect(),
        choices=[("", "Choose a sector")]
        + [(s.value, label) for s, label in SECTOR_LABELS.items()],
        validators=[InputRequired(message="Choose the agency's sector")],
    )
    submit = SubmitField("Add agency", widget=GovSubmitInput())


class PersonForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the practitioner's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter an email address")],
    )
    agency_id = SelectField(
        "Agency",
        widget=GovSelect(),
        coerce=str,
        validators=[InputRequired(message="Choose an agency")],
    )
    job_role = StringField(
        "Job role (optional)",
        widget=GovTextInput(),
        validators=[Length(max=120, message="Job role must be 120 characters or fewer")],
    )
    team = StringField(
        "Team (optional)",
        widget=GovTextInput(),
        validators=[Length(max=120, message="Team must be 120 characters or fewer")],
    )
    submit = SubmitField("Add practitioner", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField(
        "Upload a CSV file",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV file to upload")],
    )
    submit = SubmitField("Import practitioners", widget=GovSubmitInput())


class OptOutForm(FlaskForm):
    submit = SubmitField("Stop emails from the partnership", widget=GovSubmitInput())


class CampaignForm(FlaskForm):
    """A new campaign: what is asked, of whom, when and how anonymously."""

    instrument_version_id = SelectField(
        "Instrument", widget=GovSelect(), validators=[InputRequired(message="Choose what to ask")]
    )
    title = StringField(
        "Campaign title",
        widget=GovTextInput(),
        description="For example: Section 11 staff survey 2027",
        validators=[
            InputRequired(message="Enter a title for the campaign"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
    )
    mode = RadioField(
        "How anonymous are the answers?",
        widget=GovRadioInput(),
        choices=[],
        validators=[InputRequired(message="Choose how anonymous the answers are")],
    )
    opens_on = GovDateField(
        "Opens on",
        description="Invitations go out from 9am on this day. For example, 1 3 2027",
        validators=[InputRequired(message="Enter the date the campaign opens")],
    )
    closes_on = GovDateField(
        "Closes on",
        description="Answers are taken until midnight at the end of this day.",
        validators=[InputRequired(message="Enter the date the campaign closes")],
    )
    reminder_days = StringField(
        "Remind people who have not answered after this many days",
        widget=GovTextInput(),
        description="Separate days with commas, for example 7, 14. Leave empty for no reminders.",
        default="7, 14",
    )
    agency_ids = SelectMultipleField(
        "Everyone in these agencies", widget=GovCheckboxesInput(), coerce=int, choices=[]
    )
    roles = SelectMultipleField(
        "Everyone with these job roles", widget=GovCheckboxesInput(), choices=[]
    )
    emails = TextAreaField(
        "These people (optional)",
        widget=GovTextArea(),
        description="Paste email addresses, one per line, for example a list exported from "
        "another system. Everyone must already be listed as a practitioner.",
    )
    subject_template = StringField(
        "Email subject",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the email subject")],
    )
    body_template = TextAreaField(
        "Email message",
        widget=GovTextArea(),
        description="You can use {first_name}, {survey_title}, {link}, {close_date} and "
        "{partnership}. An opt-out link is added at the end.",
        validators=[InputRequired(message="Enter the email message")],
    )
    submit = SubmitField("Save as draft", widget=GovSubmitInput())


class CampaignActionForm(FlaskForm):
    """One lifecycle button on the campaign page; extend also carries the new close date."""

    action = HiddenField()
    closes_on = GovDateField("New close date", validators=[Optional()])
