"""Child and family voice: recording it, the safeguarding prompt, and who may see it.

Staff pages live under /voice; the page a child or parent answers from (a link or a shared
device) is /v/<token>, with no sign-in.
"""

import io
import math
from collections.abc import Mapping
from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from werkzeug import Response as WerkzeugResponse
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

import forms
from analysis.text.safeguarding import CATEGORY_LABELS
from feedback import clock
from feedback.extensions import db, limiter
from feedback.models import Partnership, Role
from feedback.models.voice import (
    CaptureMethod,
    ConsentBy,
    Respondent,
    SettingType,
    Sharing,
    VoiceCollection,
    VoiceRecord,
)
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError, messages, whole_number_or_none
from feedback.services import people as people_service
from feedback.services import voice as voice_service
from feedback.services.voice import FORM_LABELS, FORMS, RECORDERS, VoiceInputError
from feedback.web.fields import GovDateField
from feedback.web.respond import RESPONDENT_LIMIT
from forms.render import page_form_class

bp = Blueprint("voice", __name__)

#: A class may take turns on one device, and a school may sit behind one address: generous, but
#: not enough for a script to fill the partnership's records.
SUBMIT_LIMIT = "300 per hour"
PER_PAGE = 50
YES_NO = [("yes", "Yes"), ("no", "No")]


# -- Forms ---------------------------------------------------------------------------------------


class RecordForm(FlaskForm):
    """What a practitioner says about where, how and with whose consent; the form's questions
    are added to it by forms.render.page_form_class."""

    occurred_on = GovDateField(
        "When did you gather it?",
        description="For example, 27 3 2027",
    )
    agency_id = SelectField("Your agency", widget=GovSelect(), choices=[], validate_choice=False)
    setting_type = SelectField(
        "Where did you gather it?",
        widget=GovSelect(),
        choices=[("", "Choose the kind of setting")] + [(s.value, s.label) for s in SettingType],
        validate_choice=False,
    )
    setting_detail = StringField(
        "Which setting (optional)",
        widget=GovTextInput(),
        description="For example, Oakfield Family Hub. Nothing about the child.",
        validators=[Length(max=120, message="Setting must be 120 characters or fewer")],
    )
    local_reference = StringField(
        "Your reference (optional)",
        widget=GovTextInput(),
        description="A reference from your own system so you can find this record again, such "
        "as a case number (CIN-4821) or a group label (Group A). Never the child's name or "
        "date of birth.",
    )
    method = RadioField(
        "How did you gather it?",
        widget=GovRadioInput(),
        choices=[(m.value, m.label) for m in CaptureMethod],
        validate_choice=False,
    )
    assent = RadioField(
        "Did the child agree to share their views?",
        widget=GovRadioInput(),
        description="Their assent: they understood, in their own terms, what would happen to "
        "what they said and were happy with it.",
        choices=YES_NO,
        validate_choice=False,
    )
    consent_by = RadioField(
        "Who gave consent for their words to be kept and used?",
        widget=GovRadioInput(),
        choices=[(c.value, c.label) for c in (*voice_service.CHILD_CONSENT, ConsentBy.NOBODY)],
        validate_choice=False,
    )
    sharing = RadioField(
        "What did they agree may be shared?",
        widget=GovRadioInput(),
        description="Only if consent was given. Without consent, what was written is not kept.",
        choices=[(s.value, s.label) for s in Sharing],
        validate_choice=False,
    )


class ParentRecordForm(RecordForm):
    assent = None  # type: ignore[assignment]
    consent_by = RadioField(
        "Did the parent or carer consent to their words being kept and used?",
        widget=GovRadioInput(),
        choices=[
            (ConsentBy.SELF.value, "Yes, they consented"),
            (ConsentBy.NOBODY.value, "No"),
        ],
        validate_choice=False,
    )


class PublicForm(FlaskForm):
    """The consent a child or parent gives on the public page; labels fit the form's age."""

    agree = RadioField("", widget=GovRadioInput(), choices=YES_NO, validate_choice=False)
    may_quote = RadioField("", widget=GovRadioInput(), choices=YES_NO, validate_choice=False)


#: (question, hint, quote question) for each form on the public page.
PUBLIC_CONSENT = {
    "child_voice_4_7": (
        "Is it OK for grown-ups to use what you told us, to help make things better for children?",
        "If you choose no, we will only count your faces and choices. We will not keep "
        "anything you write.",
        "Can we use your words? We will never say who you are.",
    ),
    "child_voice_8_12": (
        "Are you happy for us to use your answers to help make things better for children?",
        "It is up to you. If you choose no, we only count your faces and choices, and we do "
        "not keep anything you write.",
        "Can we use your words in our reports? We never say who wrote them.",
    ),
    "child_voice_13_17": (
        "Are you happy for us to use your answers to improve services?",
        "It is your choice. If you choose no, we only count your ratings and choices, and we "
        "do not keep anything you write.",
        "Can we quote your words in our reports? We never include your name or anything that "
        "identifies you.",
    ),
    "family_voice": (
        "Do you agree to us using your answers to improve services?",
        "If you choose no, we only count your ratings and choices, and we do not keep anything "
        "you write. Your answers will not affect the help you get.",
        "Can we quote your words in our reports, without your name or anything that identifies "
        "you?",
    ),
}


class FollowUpForm(FlaskForm):
    note = TextAreaField(
        "What was done to follow it up?",
        widget=GovTextArea(),
        description="For example: the designated safeguarding lead confirmed a referral was "
        "made on 3 March. Do not include the child's name.",
    )
    submit = SubmitField("Mark as followed up", widget=GovSubmitInput())


class CollectionForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="For example: Year 5 three houses, Hilltop Primary, spring term",
    )
    form_key = RadioField(
        "Who will answer?",
        widget=GovRadioInput(),
        choices=list(FORM_LABELS.items()),
        validate_choice=False,
    )
    setting_type = SelectField(
        "Where will they answer?",
        widget=GovSelect(),
        choices=[("", "Choose the kind of setting")] + [(s.value, s.label) for s in SettingType],
        validate_choice=False,
    )
    setting_detail = StringField(
        "Which setting (optional)",
        widget=GovTextInput(),
        description="For example, Hilltop Primary School",
    )
    agency_id = SelectField(
        "Agency running it", widget=GovSelect(), choices=[], validate_choice=False
    )
    consent_by = RadioField(
        "For children: who has given consent for them to take part?",
        widget=GovRadioInput(),
        description="Each child is still asked whether they are happy for their answers to be "
        "used. Parents and carers answering the family form consent for themselves.",
        choices=[(c.value, c.label) for c in voice_service.CHILD_CONSENT],
        validate_choice=False,
    )
    submit = SubmitField("Create the link", widget=GovSubmitInput())


class CloseForm(FlaskForm):
    submit = SubmitField("Close this link", widget=GovSubmitInput())


# -- Helpers -------------------------------------------------------------------------------------


def _record(record_id: int, via: str, audited: bool = True) -> VoiceRecord:
    try:
        if audited:
            return voice_service.view_record(current_user.partnership, record_id, current_user, via)
        return voice_service.get_record(current_user.partnership, record_id, current_user)
    except NotFound:
        abort(404)


def _collection(collection_id: int) -> VoiceCollection:
    try:
        return voice_service.get_collection(current_user.partnership, collection_id)
    except NotFound:
        abort(404)


def _agency_choices() -> list[tuple[str, str]]:
    return [("", "Choose an agency")] + [
        (str(a.id), a.name) for a in people_service.list_agencies(current_user.partnership)
    ]


def _int(value: Any) -> int | None:
    return whole_number_or_none(str(value or "").strip(), max_digits=9)


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(str(value or ""))


def _field_for(form: Any, path: str) -> Any:
    """The form field a located error belongs to ("answers.who_listens.other", "agency_id")."""
    if path.startswith("answers."):
        key, _, part = path.removeprefix("answers.").partition(".")
        for question, base, names, _ in form.included:
            if question["key"] == key:
                name = form.binding(question).part_field(question, base, part or None)
                return form._fields.get(name) or (form[names[0]] if names else None)
        return None
    return form._fields.get(path)


def _attach(form: Any, details: list[dict[str, str]]) -> None:
    for detail in details:
        bound = _field_for(form, detail.get("path") or "")
        if bound is None:
            bound = form._fields.get("setting_type")
        if bound is not None and detail["message"] not in bound.errors:
            bound.errors = [*bound.errors, detail["message"]]


def _error_list(form: Any) -> list[dict[str, str]]:
    items = []
    for name, bound in form._fields.items():
        anchor = f"{name}-day" if isinstance(bound, GovDateField) else bound.id
        if isinstance(bound, RadioField):
            anchor = bound.id
        for message in bound.errors or []:
            items.append({"text": message, "href": f"#{anchor}"})
    return items


def _texts_posted(form: Any, form_key: str) -> list[str]:
    """What was typed into the form's free-text boxes, before any checks, for the prompt."""
    texts = []
    for question, _, names, _ in form.included:
        if question["type"] in ("short_text", "long_text", "multi_choice"):
            for name in names:
                if question["type"] == "multi_choice" and not name.endswith("-other"):
                    continue
                value = request.form.get(name)
                if value:
                    texts.append(value)
    return texts


def format_answer(question: Mapping[str, Any], stored: Any) -> str:
    """A stored answer in words, as the person recording would say it."""
    if stored is None:
        return "Not answered"
    kind = question["type"]
    if kind == "multi_choice" and isinstance(stored, Mapping):
        labels = {o["value"]: o["label"] for o in question.get("options", [])}
        words = [labels.get(v, v) for v in stored.get("selected", [])]
        if stored.get("other"):
            words.append(f"Other: {stored['other']}")
        return "; ".join(words) or "Not answered"
    if kind == "yes_no":
        return "Yes" if stored else "No"
    if kind in ("short_text", "long_text"):
        return str(stored)
    levels = forms.summarise(question).get("levels") or []
    for level in levels:
        if level["value"] == stored:
            emoji = level.get("emoji")
            return f"{emoji} {level['label']}" if emoji else str(level["label"])
    if kind == "single_choice":
        labels = {o["value"]: o["label"] for o in question.get("options", [])}
        return labels.get(stored, str(stored))
    return str(stored)


def _answer_rows(record: VoiceRecord) -> list[tuple[str, str, bool]]:
    """(question, answer in words, is free text) for every question on the record's form."""
    rows = []
    for question in voice_service.questions(record.form_key):
        if question["type"] == "info":
            continue
        stored = record.answers.get(question["key"])
        is_text = question["type"] in ("short_text", "long_text")
        if is_text and stored is None and record.text_dropped:
            continue
        rows.append((question["label"], format_answer(question, stored), is_text))
    return rows


def _spec_from(form: Any, form_key: str) -> voice_service.VoiceSpec:
    return voice_service.VoiceSpec(
        form_key=form_key,
        setting_type=form.setting_type.data or "",
        agency_id=_int(form.agency_id.data),
        occurred_on=form.occurred_on.data,
        method=form.method.data,
        consent_by=form.consent_by.data,
        assent=_yes_no(form.assent.data) if "assent" in form else None,
        sharing=form.sharing.data,
        setting_detail=form.setting_detail.data,
        local_reference=form.local_reference.data,
        answers=form.answers or {},
    )


def _record_form(form_key: str, record: VoiceRecord | None = None) -> Any:
    base = ParentRecordForm if FORMS[form_key][0] == Respondent.PARENT_CARER else RecordForm
    answers = dict(record.answers) if record else {}
    form_class = page_form_class(
        voice_service.definition(form_key), 0, answers, today=clock.today(), base=base
    )
    form = form_class()
    form.agency_id.choices = _agency_choices()
    if record is not None and request.method == "GET":
        form.occurred_on.data = record.occurred_on
        form.agency_id.data = str(record.agency_id or "")
        form.setting_type.data = record.setting_type.value
        form.setting_detail.data = record.setting_detail
        form.local_reference.data = record.local_reference
        form.method.data = record.method.value if record.method else None
        form.consent_by.data = record.consent_by.value
        if "assent" in form:
            form.assent.data = {True: "yes", False: "no"}.get(record.assent)  # type: ignore[arg-type]
        form.sharing.data = record.sharing.value if record.sharing else None
    return form


def _save(form: Any, form_key: str, record: VoiceRecord | None) -> WerkzeugResponse | None:
    """Check and save a posted record form; None when it must be shown again with errors."""
    valid = form.validate_on_submit()
    spec = _spec_from(form, form_key)
    try:
        if not valid:
            voice_service.check(current_user.partnership, spec)
            return None
        if record is None:
            outcome = voice_service.record_voice(current_user.partnership, spec, current_user)
        else:
            outcome = voice_service.update_voice(record, spec, current_user)
    except VoiceInputError as exc:
        _attach(form, exc.details)
        return None
    except ServiceError as exc:
        _attach(form, [{"path": exc.field or "", "message": exc.message}])
        return None
    flash("Voice record saved." if record is None else "Voice record updated.", "success")
    if outcome.text_dropped:
        flash(voice_service.TEXT_DROPPED_NOTICE, "info")
    return redirect(url_for("voice.show", record_id=outcome.record.id))


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


# -- Staff pages ---------------------------------------------------------------------------------


@bp.route("/voice")
@roles_required()
def index() -> str:
    """Counts and themes for everyone; the records themselves for admins and their recorders."""
    partnership = current_user.partnership
    page = max(1, request.args.get("page", 1, type=int) or 1)
    records, total = voice_service.list_records(partnership, current_user, page, PER_PAGE)
    return render_template(
        "voice/index.html",
        title="Child and family voice",
        summary=voice_service.summary(partnership, current_user.role),
        records=records,
        total=total,
        page=page,
        pages=_pages(total),
        may_record=current_user.role in RECORDERS,
        is_admin=current_user.role == Role.ADMIN,
        open_flags=voice_service.count_open_flags(partnership.id)
        if current_user.role == Role.ADMIN
        else 0,
    )


@bp.route("/voice/new", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def new() -> str | WerkzeugResponse:
    """Choose who is speaking, then record what they said on their age's form."""
    form_key = request.args.get("form", "")
    if form_key not in FORMS:
        error = "Choose who you are recording" if "form" in request.args else None
        return render_template(
            "voice/choose.html",
            title=("Error: " if error else "") + "Whose voice are you recording?",
            choices=list(FORM_LABELS.items()),
            error=error,
        )
    form = _record_form(form_key)
    if request.method == "POST":
        saved = _save(form, form_key, None)
        if saved is not None:
            return saved
    return _render_record_form(form, form_key, None)


def _render_record_form(form: Any, form_key: str, record: VoiceRecord | None) -> str:
    errors = _error_list(form) if request.method == "POST" else []
    signals = (
        voice_service.signals_in(_texts_posted(form, form_key)) if request.method == "POST" else []
    )
    definition = voice_service.definition(form_key)
    heading = FORM_LABELS[form_key]
    return render_template(
        "voice/record_form.html",
        title=("Error: " if errors else "")
        + ("Record the voice of " if record is None else "Change the record of ")
        + heading[0].lower()
        + heading[1:],
        heading=heading,
        form=None,
        record_form=form,
        errors=errors,
        definition=definition,
        record=record,
        is_parent=FORMS[form_key][0] == Respondent.PARENT_CARER,
        signals=[s.label for s in signals],
        prompt=voice_service.SAFEGUARDING_PROMPT if signals else None,
    )


@bp.route("/voice/<int:record_id>")
@roles_required(*RECORDERS)
def show(record_id: int) -> str:
    """One record, for an admin or the practitioner who made it; every view is audited."""
    record = _record(record_id, "page")
    return render_template(
        "voice/show.html",
        title="Voice record",
        record=record,
        heading=FORM_LABELS[record.form_key],
        answers=_answer_rows(record),
        concerns=voice_service.category_labels(record.risk_categories),
        prompt=voice_service.SAFEGUARDING_PROMPT,
        may_edit=voice_service.may_edit(record, current_user),
        is_admin=current_user.role == Role.ADMIN,
    )


@bp.route("/voice/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def edit(record_id: int) -> str | WerkzeugResponse:
    record = _record(record_id, "edit")
    if not voice_service.may_edit(record, current_user):
        abort(404)
    form = _record_form(record.form_key, record)
    if request.method == "POST":
        saved = _save(form, record.form_key, record)
        if saved is not None:
            return saved
    return _render_record_form(form, record.form_key, record)


@bp.route("/voice/flags")
@roles_required(Role.ADMIN)
def flags() -> str:
    """Records whose words suggested a risk: awaiting follow-up first."""
    return render_template(
        "voice/flags.html",
        title="Flagged voice records",
        records=voice_service.flagged_records(current_user.partnership),
        labels=CATEGORY_LABELS,
    )


@bp.route("/voice/<int:record_id>/follow-up", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def follow_up(record_id: int) -> str | WerkzeugResponse:
    record = _record(record_id, "follow_up", audited=request.method == "GET")
    if not record.flagged:
        abort(404)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            voice_service.follow_up(record, form.note.data or "", current_user)
        except ServiceError as exc:
            form.note.errors = [exc.message]
        else:
            flash("Flag marked as followed up.", "success")
            return redirect(url_for("voice.flags"))
    return render_template(
        "voice/follow_up.html",
        title="Follow up a flagged record",
        form=form,
        record=record,
        heading=FORM_LABELS[record.form_key],
        concerns=voice_service.category_labels(record.risk_categories),
    )


# -- Collections: links for children and parents -------------------------------------------------


@bp.route("/voice/collections")
@roles_required(Role.ADMIN)
def collections() -> str:
    return render_template(
        "voice/collections.html",
        title="Links for children and families",
        collections=voice_service.list_collections(current_user.partnership),
        labels=FORM_LABELS,
    )


@bp.route("/voice/collections/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def collection_new() -> str | WerkzeugResponse:
    form = CollectionForm()
    form.agency_id.choices = _agency_choices()
    if form.validate_on_submit():
        spec = voice_service.CollectionSpec(
            title=form.title.data or "",
            form_key=form.form_key.data or "",
            setting_type=form.setting_type.data or "",
            agency_id=_int(form.agency_id.data),
            consent_by=form.consent_by.data,
            setting_detail=form.setting_detail.data,
        )
        try:
            collection = voice_service.create_collection(
                current_user.partnership, spec, current_user
            )
        except VoiceInputError as exc:
            for detail in exc.details:
                form[detail["path"]].errors = [*form[detail["path"]].errors, detail["message"]]
        else:
            flash("Link created: share it, or open it on the device the children will use.",
                  "success")  # fmt: skip
            return redirect(url_for("voice.collection", collection_id=collection.id))
    return render_template(
        "voice/collection_new.html", title="Create a link for children or families", form=form
    )


@bp.route("/voice/collections/<int:collection_id>")
@roles_required(Role.ADMIN)
def collection(collection_id: int) -> str:
    item = _collection(collection_id)
    return render_template(
        "voice/collection.html",
        title=item.title,
        collection=item,
        link=messages.public_url(voice_service.collection_path(item)),
        records=voice_service.count_from_collection(item),
        form_label=FORM_LABELS[item.form_key],
        close_form=CloseForm(),
    )


@bp.route("/voice/collections/<int:collection_id>/qr.svg")
@roles_required(Role.ADMIN)
def collection_qr(collection_id: int) -> WerkzeugResponse:
    """The link as a QR code, for a poster or to open on a tablet."""
    item = _collection(collection_id)
    buffer = io.BytesIO()
    segno.make(messages.public_url(voice_service.collection_path(item)), error="m").save(
        buffer, kind="svg", scale=6, border=2, title=f"QR code for {item.title}"
    )
    return WerkzeugResponse(buffer.getvalue(), mimetype="image/svg+xml")


@bp.route("/voice/collections/<int:collection_id>/close", methods=["POST"])
@roles_required(Role.ADMIN)
def collection_close(collection_id: int) -> WerkzeugResponse:
    item = _collection(collection_id)
    if CloseForm().validate_on_submit():
        try:
            voice_service.close_collection(item, current_user)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash("Link closed: it no longer takes answers.", "success")
    return redirect(url_for("voice.collection", collection_id=item.id))


# -- The public page: a child or parent answers, from a link or on a shared device ---------------


def _no_store(body: str, status: int = 200) -> WerkzeugResponse:
    """A page no browser keeps: Back on a shared device must not bring the last answers back."""
    response = WerkzeugResponse(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _partnership_name(collection: VoiceCollection) -> str | None:
    """Whose privacy notice the public pages link to."""
    partnership = db.session.get(Partnership, collection.partnership_id)
    return partnership.name if partnership else None


def _gate(collection: VoiceCollection | None) -> WerkzeugResponse | None:
    if collection is None:
        return _no_store(
            render_template(
                "respond/gate.html",
                title="This link is not recognised",
                message="Check you have the whole link. If it still does not work, ask the "
                "person who gave it to you.",
            ),
            404,
        )
    if collection.closed_at is not None:
        return _no_store(
            render_template(
                "respond/gate.html",
                title="This has closed",
                message="It is no longer taking answers. Thank you for wanting to take part.",
            )
        )
    return None


def _refused(form: Any, exc: ServiceError) -> list[dict[str, str]]:
    """Put the service's reasons beside their fields; those with no field go at the top."""
    details = exc.details if isinstance(exc, VoiceInputError) else []
    top = []
    for detail in details or [{"path": exc.field or "", "message": exc.message}]:
        bound = _field_for(form, detail.get("path") or "")
        if bound is None:
            top.append({"text": detail["message"]})
        elif detail["message"] not in bound.errors:
            bound.errors = [*bound.errors, detail["message"]]
    return top


@bp.route("/v/<token>", methods=["GET", "POST"])
@limiter.limit(RESPONDENT_LIMIT)
@limiter.limit(SUBMIT_LIMIT, methods=["POST"])
def collect(token: str) -> WerkzeugResponse:
    """The form, fresh for every child: nothing is saved until it is sent, and nothing of the
    last person's answers is ever shown again."""
    collection = voice_service.find_collection(token)
    closed = _gate(collection)
    if closed is not None:
        return closed
    assert collection is not None
    definition = voice_service.definition(collection.form_key)
    form = page_form_class(definition, 0, {}, today=clock.today(), base=PublicForm)()
    question, hint, quote = PUBLIC_CONSENT[collection.form_key]
    form.agree.label.text, form.agree.description = question, hint
    form.may_quote.label.text = quote
    form.may_quote.description = "It is up to you."
    refused: list[dict[str, str]] = []
    if request.method == "POST":
        valid = form.validate_on_submit()
        agreed = _yes_no(form.agree.data)
        if agreed is None:
            form.agree.errors = [*form.agree.errors, "Choose yes or no"]
            valid = False
        if valid:
            try:
                voice_service.record_from_collection(
                    collection, form.answers, bool(agreed), _yes_no(form.may_quote.data)
                )
            except ServiceError as exc:
                # Closed (or gone) since the page looked: a fresh look says so, as on loading it.
                db.session.expire(collection)
                closed = _gate(voice_service.find_collection(token))
                if closed is not None:
                    return closed
                refused = _refused(form, exc)
            else:
                return redirect(url_for("voice.thanks", token=token), 303)
    errors = refused + _error_list(form) if request.method == "POST" else []
    return _no_store(
        render_template(
            "voice/collect.html",
            title=("Error: " if errors else "") + definition["title"],
            page_form=form,
            errors=errors,
            definition=definition,
            action=url_for("voice.collect", token=token),
            is_child=FORMS[collection.form_key][0] == Respondent.CHILD,
            partnership_name=_partnership_name(collection),
        )
    )


@bp.route("/v/<token>/thanks")
@limiter.limit(RESPONDENT_LIMIT)
def thanks(token: str) -> WerkzeugResponse:
    """The same page after every answer, flagged or not: on a shared device the next person
    must not be able to tell what the last one wrote. Everyone sees where to get help."""
    collection = voice_service.find_collection(token)
    if collection is None:
        closed = _gate(collection)
        assert closed is not None
        return closed
    return _no_store(
        render_template(
            "voice/thanks.html",
            title="Thank you",
            help=voice_service.HELP_MESSAGES[collection.form_key],
            again=url_for("voice.collect", token=token),
            is_child=FORMS[collection.form_key][0] == Respondent.CHILD,
            closed=collection.closed_at is not None,
            partnership_name=_partnership_name(collection),
        )
    )
