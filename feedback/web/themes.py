"""The codebook, the coding workbench, agreement between coders and REFI-QDA export."""

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
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
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from werkzeug import Response as WerkzeugResponse
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from feedback import clock
from feedback.extensions import db
from feedback.models import Role, User
from feedback.models.codebook import CodebookTheme, ThemeStatus
from feedback.security import roles_required
from feedback.services import (
    NotFound,
    ServiceError,
    coding,
    refiqda,
    text_analysis,
    whole_number_or_none,
)
from feedback.services import codebook as codebook_service

bp = Blueprint("themes", __name__, url_prefix="/themes")


@bp.record_once
def _register_commands(state: Any) -> None:
    """The `flask --app wsgi analysis ...` commands come with the analysts' pages."""
    from feedback import cli_analysis

    cli_analysis.init_app(state.app)


CODERS = (Role.ADMIN, Role.ANALYST)
PRIORITY_CHOICES = [("1", "High"), ("2", "Medium"), ("3", "Low")]


class ThemeForm(FlaskForm):
    """A theme of the codebook: its name, meaning, priority and indicator words."""

    label = StringField(
        "Theme name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a name for the theme"),
            Length(max=120, message="The theme's name must be 120 characters or fewer"),
        ],
    )
    key = StringField(
        "Key (optional)",
        widget=GovTextInput(),
        description="A short identifier used in exports and the API, such as food_poverty. "
        "Made from the name if you leave it empty. It cannot be changed later.",
        validators=[Length(max=60, message="The key must be 60 characters or fewer")],
    )
    description = TextAreaField(
        "What the theme means",
        widget=GovTextArea(),
        validators=[Length(max=2000, message="The description must be 2,000 characters or fewer")],
    )
    priority = RadioField(
        "Business priority",
        widget=GovRadioInput(),
        choices=PRIORITY_CHOICES,
        default="2",
        validators=[InputRequired(message="Choose a priority")],
    )
    indicators = TextAreaField(
        "Indicators",
        widget=GovTextArea(),
        description="Words or phrases that show the theme on their own, one per line. Write "
        "them in their base form (refer, not referrals): matching finds the other forms, and "
        "abbreviations such as MASH or CP match their expansions.",
    )
    weak_indicators = TextAreaField(
        "Weaker indicators (optional)",
        widget=GovTextArea(),
        description="Words that only hint at the theme: two of them, or one beside an "
        "indicator, are needed. One per line.",
    )
    submit = SubmitField("Save theme", widget=GovSubmitInput())


class MergeForm(FlaskForm):
    target = SelectField(
        "Merge into",
        widget=GovSelect(),
        validators=[InputRequired(message="Choose the theme to merge into")],
    )
    keep_indicators = BooleanField(
        "Add this theme's indicators to the theme it is merged into",
        widget=GovCheckboxInput(),
        default=True,
    )
    submit = SubmitField("Merge themes", widget=GovSubmitInput())


# -- Helpers ---------------------------------------------------------------------------------------


def _pid() -> int:
    return current_user.partnership_id


def _theme(key: str) -> CodebookTheme:
    try:
        return codebook_service.get_theme(_pid(), key)
    except NotFound:
        abort(404)


def _safe_next(default: str) -> str:
    """Where to go back to after a POST: only somewhere under /themes on this site."""
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/themes") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _spec(form: ThemeForm) -> codebook_service.ThemeSpec:
    return codebook_service.ThemeSpec(
        label=form.label.data or "",
        description=form.description.data or "",
        priority=int(form.priority.data or 2),
        indicators=codebook_service.split_indicators(form.indicators.data),
        weak_indicators=codebook_service.split_indicators(form.weak_indicators.data),
        key=(form.key.data or "").strip() or None,
    )


def _page_number() -> int:
    number = whole_number_or_none(request.args.get("page", "1"), max_digits=6)
    return 1 if number is None else number


# -- The workbench ---------------------------------------------------------------------------------


@bp.route("")
@roles_required(*CODERS)
def workbench() -> str:
    pid = _pid()
    filters, errors = coding.parse_filters(pid, request.args)
    page = coding.workbench(pid, filters, _page_number())
    analysed, total = text_analysis.progress(pid)
    args = filters.as_args()
    here = url_for("themes.workbench", **args, page=page.page)
    return render_template(
        "themes/workbench.html",
        title="Coding workbench",
        filters=filters,
        args=args,
        errors=errors,
        choices=coding.filter_choices(pid),
        page=page,
        here=here,
        analysed=analysed,
        total=total,
        active_themes=codebook_service.list_themes(pid, active_only=True),
        describe=coding.describe(pid, filters),
    )


@bp.route("/segments/<int:segment_id>", methods=["POST"])
@roles_required(*CODERS)
def decide(segment_id: int) -> WerkzeugResponse:
    try:
        segment = coding.get_segment(_pid(), segment_id)
    except NotFound:
        abort(404)
    back = _safe_next(url_for("themes.workbench"))
    raw = request.form.get("decision") or ""
    decision, _, theme_key = raw.partition(":")
    theme_key = theme_key or request.form.get("theme") or None
    try:
        message = coding.decide(segment, decision, theme_key, current_user)
    except ServiceError as exc:
        flash(f"Comment {segment.id}: {exc.message}", "error")
    else:
        flash(f"{message}.", "success")
    return redirect(f"{back}#segment-{segment.id}")


@bp.route("/export.qdpx")
@roles_required(*CODERS)
def export_project() -> WerkzeugResponse:
    pid = _pid()
    filters, errors = coding.parse_filters(pid, request.args)
    if errors:
        flash(f"Fix the filters before exporting: {errors[0][1]}", "error")
        return redirect(url_for("themes.workbench", **request.args))
    try:
        data = refiqda.project_qdpx(pid, filters, current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("themes.workbench", **filters.as_args()))
    name = f"coded-text-{clock.today().isoformat()}.qdpx"
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- The codebook ----------------------------------------------------------------------------------


@bp.route("/codebook")
@roles_required(*CODERS)
def codebook() -> str:
    pid = _pid()
    return render_template(
        "themes/codebook.html",
        title="Codebook",
        themes=codebook_service.list_themes(pid),
        usage=coding.theme_usage(pid),
        changes=codebook_service.history(pid, limit=20),
        labels=codebook_service.labels(pid),
        users=_user_names(pid),
        version=codebook_service.version(pid),
        priorities=codebook_service.PRIORITIES,
    )


def _user_names(pid: int) -> dict[int, str]:
    return dict(
        db.session.execute(sa.select(User.id, User.name).where(User.partnership_id == pid)).all()
    )


@bp.route("/codebook.qdc")
@roles_required(*CODERS)
def export_codebook() -> WerkzeugResponse:
    return Response(
        refiqda.codebook_qdc(_pid()),
        mimetype="application/xml",
        headers={"Content-Disposition": 'attachment; filename="codebook.qdc"'},
    )


@bp.route("/codebook/new", methods=["GET", "POST"])
@roles_required(*CODERS)
def theme_new() -> str | WerkzeugResponse:
    form = ThemeForm()
    if not form.is_submitted():
        # "Add as a theme" from the emerging themes page fills these in.
        form.label.data = request.args.get("label", "")[:120]
        form.indicators.data = request.args.get("indicators", "")[:500]
    if form.validate_on_submit():
        try:
            theme = codebook_service.add_theme(_pid(), _spec(form), current_user)
        except ServiceError as exc:
            getattr(form, exc.field or "label", form.label).errors = [exc.message]
        else:
            flash(f"{theme.label} added to the codebook. Text is being coded again.", "success")
            return redirect(url_for("themes.codebook"))
    return render_template("themes/theme_form.html", title="Add a theme", form=form, theme=None)


@bp.route("/codebook/<key>", methods=["GET", "POST"])
@roles_required(*CODERS)
def theme_edit(key: str) -> str | WerkzeugResponse:
    theme = _theme(key)
    form = ThemeForm(
        data=None
        if request.method == "POST"
        else {
            "label": theme.label,
            "description": theme.description,
            "priority": str(theme.priority),
            "indicators": "\n".join(theme.indicators or []),
            "weak_indicators": "\n".join(theme.weak_indicators or []),
        }
    )
    if theme.status == ThemeStatus.MERGED and form.is_submitted():
        flash(f"{theme.label} was merged into another theme and can no longer be edited.", "error")
        return redirect(url_for("themes.theme_edit", key=theme.key))
    if form.validate_on_submit():
        try:
            changed = codebook_service.edit_theme(theme, _spec(form), current_user)
        except ServiceError as exc:
            getattr(form, exc.field or "label", form.label).errors = [exc.message]
        else:
            if changed:
                flash(f"{theme.label} saved.", "success")
            else:
                flash("Nothing was changed.", "success")
            return redirect(url_for("themes.codebook"))
    pid = _pid()
    return render_template(
        "themes/theme_form.html",
        title=f"Edit theme: {theme.label}",
        form=form,
        theme=theme,
        changes=codebook_service.history(pid, theme.key),
        labels=codebook_service.labels(pid),
        users=_user_names(pid),
        usage=coding.theme_usage(pid).get(theme.key, {}),
    )


@bp.route("/codebook/<key>/merge", methods=["GET", "POST"])
@roles_required(*CODERS)
def theme_merge(key: str) -> str | WerkzeugResponse:
    pid = _pid()
    source = _theme(key)
    form = MergeForm()
    targets = [
        t for t in codebook_service.list_themes(pid, active_only=True) if t.key != source.key
    ]
    form.target.choices = [("", "Choose a theme")] + [(t.key, t.label) for t in targets]
    if source.status == ThemeStatus.MERGED:
        flash(f"{source.label} has already been merged into another theme.", "error")
        return redirect(url_for("themes.theme_edit", key=source.key))
    if form.validate_on_submit():
        try:
            target = codebook_service.get_theme(pid, form.target.data or "")
            result = codebook_service.merge_theme(
                source, target, current_user, keep_indicators=bool(form.keep_indicators.data)
            )
        except ServiceError as exc:
            form.target.errors = [exc.message]
        else:
            flash(
                f"{source.label} merged into {target.label}: {result.moved + result.combined} "
                "decided codes moved. Text is being coded again.",
                "success",
            )
            return redirect(url_for("themes.codebook"))
    return render_template(
        "themes/merge.html", title=f"Merge {source.label}", form=form, theme=source
    )


@bp.route("/codebook/<key>/retire", methods=["POST"])
@roles_required(*CODERS)
def theme_retire(key: str) -> WerkzeugResponse:
    theme = _theme(key)
    try:
        codebook_service.retire_theme(theme, current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(
            f"{theme.label} retired: it is no longer suggested. Its confirmed codes stay.",
            "success",
        )
    return redirect(url_for("themes.codebook"))


@bp.route("/codebook/<key>/restore", methods=["POST"])
@roles_required(*CODERS)
def theme_restore(key: str) -> WerkzeugResponse:
    theme = _theme(key)
    try:
        codebook_service.restore_theme(theme, current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{theme.label} is in use again.", "success")
    return redirect(url_for("themes.codebook"))


# -- Emerging themes -------------------------------------------------------------------------------


@bp.route("/emerging")
@roles_required(*CODERS)
def emerging() -> str:
    pid = _pid()
    errors: list[tuple[str, str]] = []
    days: dict[str, Any] = {}
    for name in ("from", "to"):
        raw = (request.args.get(name) or "").strip()
        if raw:
            day = coding._date(raw)
            if day is None:
                errors.append((name, "Enter a real date, for example 2027-03-31"))
            days[name] = day
    report = None
    try:
        report = coding.emerging(pid, days.get("from"), days.get("to"))
    except ServiceError as exc:
        errors.append((exc.field or "to", exc.message))
        report = coding.emerging(pid, None, None)
    return render_template(
        "themes/emerging.html",
        title="Emerging themes",
        report=report,
        errors=errors,
        raw={n: request.args.get(n, "") for n in ("from", "to")},
    )


# -- Blind coding and agreement --------------------------------------------------------------------


def _sample(sample_id: int) -> Any:
    try:
        return coding.get_sample(_pid(), sample_id)
    except NotFound:
        abort(404)


@bp.route("/samples", methods=["GET", "POST"])
@roles_required(*CODERS)
def samples() -> str | WerkzeugResponse:
    pid = _pid()
    errors: list[tuple[str, str]] = []
    values = {
        n: request.form.get(n, "") for n in ("name", "size", "source", "campaign", "from", "to")
    }
    if request.method == "POST":
        filters, errors = coding.parse_filters(pid, request.form)
        raw_size = values["size"].strip()
        size = whole_number_or_none(raw_size, max_digits=5)
        if not errors:
            try:
                sample = coding.draw_sample(pid, values["name"], size, filters, current_user)
            except ServiceError as exc:
                errors.append((exc.field or "name", exc.message))
            else:
                flash(
                    f"Sample {sample.name} drawn: {coding.sample_size(sample)} text segments.",
                    "success",
                )
                return redirect(url_for("themes.sample", sample_id=sample.id))
    else:
        values["size"] = "30"
    return render_template(
        "themes/samples.html",
        title="Blind coding samples",
        samples=[(s, coding.sample_size(s)) for s in coding.list_samples(pid)],
        errors=errors,
        values=values,
        choices=coding.filter_choices(pid),
    )


@bp.route("/samples/<int:sample_id>")
@roles_required(*CODERS)
def sample(sample_id: int) -> str:
    sample = _sample(sample_id)
    size = coding.sample_size(sample)
    progress = coding.coder_progress(sample)
    mine = len(coding.coded_by(sample, current_user))
    return render_template(
        "themes/sample.html",
        title=sample.name,
        sample=sample,
        size=size,
        progress=progress,
        mine=mine,
    )


@bp.route("/samples/<int:sample_id>/code", methods=["GET", "POST"])
@roles_required(*CODERS)
def sample_code(sample_id: int) -> str | WerkzeugResponse:
    sample = _sample(sample_id)
    pid = _pid()
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        segment_id = whole_number_or_none(request.form.get("segment_id", ""), max_digits=11)
        if segment_id is None:
            abort(404)
        try:
            coding.record_blind_coding(
                sample, segment_id, current_user, request.form.getlist("themes")
            )
        except NotFound:
            abort(404)
        except ServiceError as exc:
            errors.append((exc.field or "themes", exc.message))
            member = coding.sample_member(sample, segment_id)
        else:
            return redirect(url_for("themes.sample_code", sample_id=sample.id))
    else:
        raw = request.args.get("segment", "")
        if raw:
            segment_id = whole_number_or_none(raw, max_digits=11)
            if segment_id is None:
                abort(404)
            try:
                member = coding.sample_member(sample, segment_id)
            except NotFound:
                abort(404)
        else:
            member = coding.next_for_coder(sample, current_user)
    done = coding.coded_by(sample, current_user)
    if member is None:
        flash(f"You have coded every segment of {sample.name}.", "success")
        return redirect(url_for("themes.sample", sample_id=sample.id))
    chosen = (
        set(request.form.getlist("themes"))
        if request.method == "POST"
        else coding.blind_codes(sample, member.segment_id, current_user)
    )
    return render_template(
        "themes/sample_code.html",
        title=f"Code {sample.name}",
        sample=sample,
        member=member,
        size=coding.sample_size(sample),
        done=done,
        chosen=chosen,
        errors=errors,
        themes=codebook_service.list_themes(pid, active_only=True),
    )


@bp.route("/samples/<int:sample_id>/agreement")
@roles_required(*CODERS)
def agreement(sample_id: int) -> str:
    sample = _sample(sample_id)
    size = coding.sample_size(sample)
    progress = coding.coder_progress(sample)
    coders = {user.id: user for user, _ in progress}
    finished_me = dict((u.id, n) for u, n in progress).get(current_user.id)
    # Blind means blind: a coder sees the comparison only once they have coded every segment.
    blocked = current_user.id in coders and (finished_me or 0) < size
    chosen: list[User] = []
    for name in ("a", "b"):
        coder_id = whole_number_or_none(request.args.get(name, ""))
        coder = coders.get(coder_id) if coder_id is not None else None
        if coder is not None and coder not in chosen:
            chosen.append(coder)
    for user in coders.values():
        if len(chosen) >= 2:
            break
        if user not in chosen:
            chosen.append(user)
    result = None
    if len(chosen) == 2 and not blocked:
        result = coding.agreement(sample, chosen[0], chosen[1])
    return render_template(
        "themes/agreement.html",
        title=f"Agreement: {sample.name}",
        sample=sample,
        size=size,
        progress=progress,
        coders=list(coders.values()),
        chosen=chosen,
        result=result,
        blocked=blocked,
        query=urlencode,
    )
