"""Forms for the admin pages on personal data: the privacy notice, retention, erasure, unlocking."""

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from feedback.services import privacy


class UnlockForm(FlaskForm):
    submit = SubmitField("Unlock", widget=GovSubmitInput())


class PrivacyNoticeForm(FlaskForm):
    contact = StringField(
        "Data protection contact",
        widget=GovTextInput(),
        description="Who respondents contact about their information, for example "
        "dpo@northshire.gov.uk or the partnership's business unit and its address.",
        validators=[
            Length(
                max=privacy.CONTACT_MAX,
                message=f"The contact must be {privacy.CONTACT_MAX} characters or fewer",
            )
        ],
    )
    notice = TextAreaField(
        "Privacy notice",
        widget=GovTextArea(),
        description='Start a line with "## " for a heading and "- " for a bullet; leave a '
        "blank line between paragraphs. Empty the box to go back to the standard text.",
        validators=[
            Length(
                max=privacy.NOTICE_MAX,
                message=f"The privacy notice must be {privacy.NOTICE_MAX:,} characters or fewer",
            )
        ],
    )
    submit = SubmitField("Save privacy notice", widget=GovSubmitInput())


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I understand that this cannot be undone",
        widget=GovCheckboxInput(),
        validators=[InputRequired(message="Confirm that you understand this cannot be undone")],
    )
    submit = SubmitField("Erase this practitioner's details", widget=GovSubmitInput())


def _field_name(purpose: str, taken: set[str]) -> str:
    name = "months_" + re.sub(r"[^a-z0-9]+", "_", purpose.lower()).strip("_")
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def retention_form(types: list[tuple[str, str]], current: dict[str, int]) -> FlaskForm:
    """A form with a months box per campaign type; `form.purposes` maps field name to purpose."""
    taken: set[str] = set()
    names = {_field_name(purpose, taken): (purpose, label) for purpose, label in types}
    attributes: dict[str, object] = {
        name: StringField(
            label,
            widget=GovTextInput(),
            default=str(current[purpose]),
            description="Months after the campaign closes",
        )
        for name, (purpose, label) in names.items()
    }
    attributes["submit"] = SubmitField("Save retention periods", widget=GovSubmitInput())
    form_class = type("RetentionForm", (FlaskForm,), attributes)
    form = form_class()
    form.purposes = {name: purpose for name, (purpose, _) in names.items()}  # type: ignore[attr-defined]
    return form
