"""The staff-facing WTForms forms, rendered with GOV.UK Frontend widgets."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from feedback.models.partnership import SECTOR_LABELS


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
