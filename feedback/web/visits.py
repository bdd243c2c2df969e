"""Scrutiny visits, safeguarding conversations and practitioner forums: pages.

Who may do what (feedback.services.visits decides; these pages ask it):
- admins plan any record and assign its lead and scrutineers, write any record up while it is
  planned, a draft or sent back, review it (send back with comments, or mark reviewed),
  publish it and delete it;
- scrutineers see only the records they lead or are on the team of, and may start one they
  lead themselves; a record they are not on is a 404, like an id from another partnership;
- analysts, viewers and trainers see published records only (anything else is a 404).
A write-up page of a record that can no longer be changed sends the writer back to the record,
saying why. Every section's "Save and continue" saves the draft, complete or not.
"""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug import Response

from analysis.disclosure import Suppressed
from feedback.models import Role
from feedback.models.visits import Rag, Section11Status, Visit, VisitKind, VisitStatus
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError, whole_number_or_none
from feedback.services import people as people_service
from feedback.services import visits as visit_service
from feedback.services.visits import Changes, PlanChange, TopicChange, VisitSpec, long_date
from feedback.web.visits_forms import (
    RAG_HINTS,
    ActionForm,
    ConfirmForm,
    DetailsForm,
    FilterForm,
    KindForm,
    PlanItemForm,
    ReviewForm,
    TopicForm,
    notes_form,
    people_form,
    plan_form,
    whole_number,
)

bp = Blueprint("visits", __name__, url_prefix="/visits")

WRITERS = (Role.ADMIN, Role.SCRUTINEER)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "long_date": long_date,
        "Rag": Rag,
        "Section11Status": Section11Status,
        "VisitKind": VisitKind,
        "next_step": lambda v: visit_service.next_step(current_user, v),
        "may_edit": lambda v: visit_service.may_edit(current_user, v),
    }


def _visit(visit_id: int) -> Visit:
    try:
        return visit_service.get_visit(current_user, visit_id)
    except NotFound:
        abort(404)


def _not_editable(visit: Visit) -> Response:
    flash(
        f"This record is {visit.status.label.lower()}, so it cannot be changed. Only a record "
        "that is planned, a draft or sent back can be."
    )
    return redirect(url_for("visits.show", visit_id=visit.id))


def _apply_errors(
    form: FlaskForm, exc: ServiceError, translate: Callable[[str], str | None]
) -> None:
    """Put each located problem beside its field; anything unplaced becomes a flash."""
    details = getattr(exc, "details", None) or [{"path": exc.field or "", "message": exc.message}]
    for detail in details:
        name = translate(detail["path"])
        field = getattr(form, name, None) if name else None
        if field is None:
            flash(detail["message"])
            continue
        field.errors = [*list(field.errors or []), detail["message"]]
    form._errors = None  # noqa: SLF001 - WTForms caches errors; make the summary see ours


def sections(visit: Visit) -> list[dict[str, Any]]:
    """The write-up's sections in order, each with its page, whether it is done and a label."""
    rows: list[dict[str, Any]] = [
        {
            "label": "Details",
            "href": url_for("visits.details", visit_id=visit.id),
            "status": "done",
        }
    ]
    kind = visit.kind
    if kind == VisitKind.SCRUTINY_VISIT:
        for topic in visit.topics or []:
            written = any(topic.get(k) for k, _ in visit_service.TOPIC_TEXTS)
            rows.append(
                {
                    "label": topic["title"],
                    "href": url_for("visits.topic", visit_id=visit.id, topic_key=topic["key"]),
                    "status": "done" if topic.get("rag") else ("started" if written else "todo"),
                    "rag": topic.get("rag"),
                }
            )
    if kind != VisitKind.PRACTITIONER_FORUM:
        rows.append(
            {
                "label": "Staff spoken to" if kind == VisitKind.SCRUTINY_VISIT else "Who attended",
                "href": url_for("visits.people", visit_id=visit.id),
                "status": "done" if visit.people_by_role else "todo",
            }
        )
    if kind == VisitKind.SAFEGUARDING_CONVERSATION:
        written = [e for e in visit.action_plan if e.narrative]
        rows.append(
            {
                "label": "Section 11 action plan",
                "href": url_for("visits.action_plan", visit_id=visit.id),
                "status": "done"
                if visit.action_plan and len(written) == len(visit.action_plan)
                else ("started" if written else "todo"),
            }
        )
    notes_label = {
        VisitKind.SCRUTINY_VISIT: "Summary",
        VisitKind.SAFEGUARDING_CONVERSATION: "Working in partnership",
        VisitKind.PRACTITIONER_FORUM: "What practitioners told us",
    }[kind]
    rows.append(
        {
            "label": notes_label,
            "href": url_for("visits.notes", visit_id=visit.id),
            "status": "done" if visit.notes else "todo",
        }
    )
    count = len(visit_service.actions_of(visit))
    rows.append(
        {
            "label": "Actions agreed",
            "href": url_for("visits.actions", visit_id=visit.id),
            "status": "done" if count else "optional",
            "count": count,
        }
    )
    return rows


def _next_section(visit: Visit, current_href: str) -> str:
    """The page after this one in the write-up; the check-and-submit page after the last."""
    hrefs = [s["href"] for s in sections(visit)]
    if current_href in hrefs and hrefs.index(current_href) + 1 < len(hrefs):
        return hrefs[hrefs.index(current_href) + 1]
    return url_for("visits.submit", visit_id=visit.id)


def _saved(visit: Visit, here: str, *, stay: bool = False) -> Response:
    if stay:
        flash("Saved. You can come back to it at any time.", "success")
        return redirect(url_for("visits.show", visit_id=visit.id))
    return redirect(_next_section(visit, here))


# -- Lists -------------------------------------------------------------------------------------


@bp.route("")
@roles_required()
def index() -> str:
    agencies = people_service.list_agencies(current_user.partnership)
    form = FilterForm(formdata=request.args)
    form.agency.choices = [("", "All agencies")] + [(str(a.id), a.name) for a in agencies]
    kind = _enum_arg(VisitKind, form.kind.data)
    status = _enum_arg(VisitStatus, form.status.data)
    agency_id = whole_number_or_none(form.agency.data, max_digits=9)
    page_number = whole_number_or_none(request.args.get("page", "1"), max_digits=4) or 1
    visits, total = visit_service.list_visits(
        current_user, kind=kind, agency_id=agency_id, status=status, page=page_number, per_page=50
    )
    return render_template(
        "visits/index.html",
        filters=form,
        visits=visits,
        total=total,
        page=page_number,
        pages=max(1, (total + 49) // 50),
        agencies=agencies,
        can_plan=current_user.role in WRITERS,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


def _enum_arg(enum_type: Any, value: str | None) -> Any:
    try:
        return enum_type(value) if value else None
    except ValueError:
        return None


@bp.route("/agencies/<int:agency_id>")
@roles_required()
def agency(agency_id: int) -> str:
    try:
        found = visit_service.get_agency(current_user, agency_id)
    except NotFound:
        abort(404)
    history = visit_service.agency_history(current_user, found)
    return render_template("visits/agency.html", history=history)


# -- Planning ----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def new() -> str | Response:
    form = KindForm()
    if form.validate_on_submit():
        return redirect(url_for("visits.new_kind", kind=form.kind.data))
    return render_template("visits/new.html", form=form)


def _details_choices(form: DetailsForm, kind: VisitKind) -> None:
    pid = current_user.partnership_id
    first = "Not one agency: open to all" if kind == VisitKind.PRACTITIONER_FORUM else "Choose"
    form.agency_id.choices = [("", first)] + [
        (str(a.id), a.name) for a in people_service.list_agencies(current_user.partnership)
    ]
    form.lead_id.choices = [("", "Choose")] + [
        (str(u.id), f"{u.name} ({u.role.label})") for u in visit_service.leads(pid)
    ]
    form.team_ids.choices = [(str(u.id), u.name) for u in visit_service.scrutineers(pid)]
    form.agency_id.label.text = {
        VisitKind.SCRUTINY_VISIT: "Agency visited",
        VisitKind.SAFEGUARDING_CONVERSATION: "Agency",
        VisitKind.PRACTITIONER_FORUM: "Agency (optional)",
    }[kind]
    form.occurred_on.label.text = {
        VisitKind.SCRUTINY_VISIT: "Date of the visit",
        VisitKind.SAFEGUARDING_CONVERSATION: "Date of the conversation",
        VisitKind.PRACTITIONER_FORUM: "Date of the event",
    }[kind]
    form.lead_id.label.text = {
        VisitKind.SCRUTINY_VISIT: "Lead scrutineer",
        VisitKind.SAFEGUARDING_CONVERSATION: "Who leads the conversation",
        VisitKind.PRACTITIONER_FORUM: "Facilitator",
    }[kind]


def _spec_from(form: DetailsForm, kind: VisitKind) -> VisitSpec | None:
    """The form as the service takes it, or None with an error set on a field."""
    count = None
    try:
        count = whole_number(form.attendee_count.data)
    except ValueError:
        form.attendee_count.errors = ["Enter how many attended as a whole number, for example 25"]
        return None

    def number(value: str | None) -> int | None:
        return whole_number_or_none(value, max_digits=9)

    team = [n for v in form.team_ids.data or [] if (n := number(v)) is not None]
    return VisitSpec(
        kind=kind.value,
        occurred_on=form.occurred_on.data,
        agency_id=number(form.agency_id.data),
        setting=form.setting.data,
        title=form.title.data,
        audience=form.audience.data,
        attendee_count=count,
        lead_id=number(form.lead_id.data) if current_user.role == Role.ADMIN else None,
        team_ids=team,
    )


def _details_field(path: str) -> str | None:
    name = path.split(".")[0]
    return (
        name
        if name in DetailsForm.__dict__
        or name
        in {
            "agency_id",
            "setting",
            "title",
            "audience",
            "attendee_count",
            "occurred_on",
            "lead_id",
            "team_ids",
        }
        else None
    )


@bp.route("/new/<kind>", methods=["GET", "POST"])
@roles_required(*WRITERS)
def new_kind(kind: str) -> str | Response:
    chosen = _enum_arg(VisitKind, kind)
    if chosen is None:
        abort(404)
    form = DetailsForm()
    _details_choices(form, chosen)
    if not form.is_submitted() and current_user.role == Role.SCRUTINEER:
        form.lead_id.data = str(current_user.id)
    if form.validate_on_submit():
        spec = _spec_from(form, chosen)
        if spec is not None:
            try:
                visit = visit_service.create(current_user, spec)
            except ServiceError as exc:
                _apply_errors(form, exc, _details_field)
            else:
                flash(f"{visit.kind.label} planned for {long_date(visit.occurred_on)}.", "success")
                return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/details.html", form=form, kind=chosen, visit=None)


# -- One record --------------------------------------------------------------------------------


@bp.route("/<int:visit_id>")
@roles_required()
def show(visit_id: int) -> str:
    visit = _visit(visit_id)
    people, people_total = visit_service.people_rows(current_user, visit)
    return render_template(
        "visits/show.html",
        visit=visit,
        sections=sections(visit) if visit_service.may_edit(current_user, visit) else [],
        editable=visit_service.may_edit(current_user, visit),
        people=people,
        people_total=people_total,
        withheld=any(isinstance(c, Suppressed) for _, c in people)
        or isinstance(people_total, Suppressed),
        writer=visit_service.may_write(current_user, visit),
        notes=visit_service.note_sections(visit.kind),
        actions=visit_service.actions_of(visit),
        rag_of=visit_service.action_service.rag,
        standard_label=visit_service.standard_label,
        confirm=ConfirmForm(),
        is_admin=current_user.role == Role.ADMIN,
    )


@bp.route("/<int:visit_id>/details", methods=["GET", "POST"])
@roles_required(*WRITERS)
def details(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    form = DetailsForm()
    _details_choices(form, visit.kind)
    if not form.is_submitted():
        form.agency_id.data = str(visit.agency_id or "")
        form.setting.data = visit.setting
        form.title.data = visit.title
        form.audience.data = visit.audience
        form.attendee_count.data = "" if visit.attendee_count is None else str(visit.attendee_count)
        form.occurred_on.data = visit.occurred_on
        form.lead_id.data = str(visit.lead_id or "")
        form.team_ids.data = [str(u.id) for u in visit.team]
    here = url_for("visits.details", visit_id=visit.id)
    if form.validate_on_submit():
        spec = _spec_from(form, visit.kind)
        if spec is not None:
            try:
                visit_service.update(current_user, visit, Changes(details=spec))
            except ServiceError as exc:
                _apply_errors(form, exc, _details_field)
            else:
                return _saved(visit, here)
    return render_template("visits/details.html", form=form, kind=visit.kind, visit=visit)


@bp.route("/<int:visit_id>/topics/<topic_key>", methods=["GET", "POST"])
@roles_required(*WRITERS)
def topic(visit_id: int, topic_key: str) -> str | Response:
    visit = _visit(visit_id)
    found = next((t for t in visit.topics or [] if t["key"] == topic_key), None)
    if found is None:
        abort(404)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    form = TopicForm()
    form.rag.label.text = f"RAG rating for {found['title'].lower()}"
    if not form.is_submitted():
        form.rag.data = found.get("rag")
        form.strengths.data = found.get("strengths")
        form.development.data = found.get("development")
        form.notes.data = found.get("notes")
    here = url_for("visits.topic", visit_id=visit.id, topic_key=topic_key)
    if form.validate_on_submit():
        change = TopicChange(
            key=topic_key,
            rag=form.rag.data or None,
            strengths=form.strengths.data or "",
            development=form.development.data or "",
            notes=form.notes.data or "",
        )
        try:
            visit_service.update(current_user, visit, Changes(topics=[change]))
        except ServiceError as exc:
            _apply_errors(form, exc, lambda path: path.split(".")[-1])
        else:
            return _saved(visit, here, stay=bool(form.save_only.data))
    titles = [t["key"] for t in visit.topics]
    return render_template(
        "visits/topic.html",
        form=form,
        visit=visit,
        topic=found,
        number=titles.index(topic_key) + 1,
        count=len(titles),
        rag_hints=RAG_HINTS,
    )


@bp.route("/<int:visit_id>/people", methods=["GET", "POST"])
@roles_required(*WRITERS)
def people(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    roles = visit_service.people_roles(visit.kind)
    if not roles:
        abort(404)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    scrutiny = visit.kind == VisitKind.SCRUTINY_VISIT
    legend = "How many people did you speak to?" if scrutiny else "Who attended?"
    form = people_form(roles, legend)()
    if not form.is_submitted():
        for role in roles:
            count = (visit.people_by_role or {}).get(role.key)
            getattr(form, f"role_{role.key}").data = str(count) if count else ""
    here = url_for("visits.people", visit_id=visit.id)
    if form.validate_on_submit():
        counts = {role.key: getattr(form, f"role_{role.key}").data for role in roles}
        try:
            visit_service.update(current_user, visit, Changes(people_by_role=counts))
        except ServiceError as exc:
            _apply_errors(form, exc, lambda path: "role_" + path.split(".", 1)[-1])
        else:
            return _saved(visit, here)
    return render_template("visits/people.html", form=form, visit=visit, roles=roles, legend=legend)


@bp.route("/<int:visit_id>/notes", methods=["GET", "POST"])
@roles_required(*WRITERS)
def notes(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    sections_ = visit_service.note_sections(visit.kind)
    form = notes_form(sections_, visit_service.note_hints(visit.kind))()
    if not form.is_submitted():
        for section in sections_:
            getattr(form, f"note_{section.key}").data = (visit.notes or {}).get(section.key)
    here = url_for("visits.notes", visit_id=visit.id)
    if form.validate_on_submit():
        texts = {s.key: getattr(form, f"note_{s.key}").data or "" for s in sections_}
        try:
            visit_service.update(current_user, visit, Changes(notes=texts))
        except ServiceError as exc:
            _apply_errors(form, exc, lambda path: "note_" + path.split(".", 1)[-1])
        else:
            return _saved(visit, here)
    return render_template("visits/notes.html", form=form, visit=visit, sections=sections_)


def _plan_forms(visit: Visit) -> tuple[FlaskForm, PlanItemForm]:
    form = plan_form([e.item_id for e in visit.action_plan])()
    item_form = PlanItemForm(prefix="item")
    item_form.standard.choices = [("", "Choose")] + [
        (s.key, s.label) for s in visit_service.section11_standards()
    ]
    return form, item_form


def _render_plan(visit: Visit, form: FlaskForm, item_form: PlanItemForm) -> str:
    return render_template(
        "visits/action_plan.html",
        form=item_form if item_form.errors else form,
        plan_form=form,
        item_form=item_form,
        visit=visit,
        previous=visit_service.previous_entries(visit, current_user),
        standard_label=visit_service.standard_label,
    )


@bp.route("/<int:visit_id>/action-plan", methods=["GET", "POST"])
@roles_required(*WRITERS)
def action_plan(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if visit.kind != VisitKind.SAFEGUARDING_CONVERSATION:
        abort(404)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    form, item_form = _plan_forms(visit)
    if not form.is_submitted():
        for entry in visit.action_plan:
            getattr(form, f"status_{entry.item_id}").data = entry.status.value
            getattr(form, f"narrative_{entry.item_id}").data = entry.narrative
    here = url_for("visits.action_plan", visit_id=visit.id)
    if form.validate_on_submit():
        changes = [
            PlanChange(
                item_id=entry.item_id,
                status=getattr(form, f"status_{entry.item_id}").data or None,
                narrative=getattr(form, f"narrative_{entry.item_id}").data or "",
            )
            for entry in visit.action_plan
        ]
        ids = [c.item_id for c in changes]

        def field_for(path: str) -> str | None:
            parts = path.split(".")
            index = whole_number_or_none(parts[1], max_digits=9) if len(parts) == 3 else None
            if index is not None and index < len(ids):
                return f"{parts[2]}_{ids[index]}"
            return None

        try:
            visit_service.update(current_user, visit, Changes(action_plan=changes))
        except ServiceError as exc:
            _apply_errors(form, exc, field_for)
        else:
            return _saved(visit, here)
    return _render_plan(visit, form, item_form)


@bp.route("/<int:visit_id>/action-plan/items", methods=["POST"])
@roles_required(*WRITERS)
def plan_item_add(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if visit.kind != VisitKind.SAFEGUARDING_CONVERSATION:
        abort(404)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    form, item_form = _plan_forms(visit)
    for entry in visit.action_plan:
        getattr(form, f"status_{entry.item_id}").data = entry.status.value
        getattr(form, f"narrative_{entry.item_id}").data = entry.narrative
    if item_form.validate_on_submit():
        try:
            visit_service.add_plan_item(
                current_user, visit, item_form.standard.data or "", item_form.description.data or ""
            )
        except ServiceError as exc:
            _apply_errors(item_form, exc, lambda path: path.split(".")[-1])
        else:
            flash("Item added to the agency's action plan.", "success")
            return redirect(url_for("visits.action_plan", visit_id=visit.id) + "#add-item")
    return _render_plan(visit, form, item_form)


@bp.route("/<int:visit_id>/actions", methods=["GET", "POST"])
@roles_required(*WRITERS)
def actions(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    form = ActionForm()
    form.owner_agency_id.choices = [("", "Choose")] + [
        (str(a.id), a.name) for a in people_service.list_agencies(current_user.partnership)
    ]
    if not form.is_submitted() and visit.agency_id:
        form.owner_agency_id.data = str(visit.agency_id)
    if form.validate_on_submit():
        owner = form.owner_agency_id.data
        try:
            visit_service.add_action(
                current_user,
                visit,
                form.description.data or "",
                owner_agency_id=whole_number_or_none(owner, max_digits=9),
                due_on=form.due_on.data,
            )
        except ServiceError as exc:
            _apply_errors(form, exc, lambda path: path.split(".")[-1])
        else:
            flash("Action added. It is followed on the action tracker.", "success")
            return redirect(url_for("visits.actions", visit_id=visit.id))
    return render_template(
        "visits/actions.html",
        form=form,
        visit=visit,
        actions=visit_service.actions_of(visit),
        rag_of=visit_service.action_service.rag,
        confirm=ConfirmForm(),
        next_href=_next_section(visit, url_for("visits.actions", visit_id=visit.id)),
    )


@bp.route("/<int:visit_id>/actions/<int:action_id>/remove", methods=["POST"])
@roles_required(*WRITERS)
def action_remove(visit_id: int, action_id: int) -> Response:
    visit = _visit(visit_id)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        visit_service.remove_action(current_user, visit, action_id)
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash("Action removed.", "success")
    return redirect(url_for("visits.actions", visit_id=visit.id))


# -- The workflow ------------------------------------------------------------------------------


@bp.route("/<int:visit_id>/submit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def submit(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if not visit_service.may_edit(current_user, visit):
        return _not_editable(visit)
    form = ConfirmForm()
    problems = visit_service.problems_before_submitting(visit)
    if form.validate_on_submit():
        try:
            visit_service.submit(current_user, visit)
        except ServiceError as exc:
            problems = getattr(exc, "details", None) or [
                {"path": exc.field or "", "message": exc.message}
            ]
        else:
            flash(f"{visit.kind.label} submitted. The partnership team will review it.", "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    status = 422 if problems and form.is_submitted() else 200
    return (
        render_template(
            "visits/submit.html",
            visit=visit,
            confirm=form,
            problems=[(p["message"], _problem_href(visit, p["path"])) for p in problems],
            sections=sections(visit),
        ),
        status,
    )


def _problem_href(visit: Visit, path: str) -> str:
    """The page where a submission problem can be put right."""
    head = path.split(".")[0]
    if head == "topics":
        index = int(path.split(".")[1])
        return url_for("visits.topic", visit_id=visit.id, topic_key=visit.topics[index]["key"])
    return {
        "people_by_role": url_for("visits.people", visit_id=visit.id),
        "action_plan": url_for("visits.action_plan", visit_id=visit.id),
        "notes": url_for("visits.notes", visit_id=visit.id),
    }.get(head, url_for("visits.details", visit_id=visit.id))


@bp.route("/<int:visit_id>/review", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def review(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    if visit.status != VisitStatus.SUBMITTED:
        flash(f"Only a submitted record can be reviewed; this one is {visit.status.label.lower()}.")
        return redirect(url_for("visits.show", visit_id=visit.id))
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            visit_service.review(current_user, visit, form.outcome.data or "", form.comments.data)
        except ServiceError as exc:
            _apply_errors(form, exc, lambda path: path if path in ("outcome", "comments") else None)
        else:
            flash(
                "Sent back to the team with your comments."
                if visit.status == VisitStatus.SENT_BACK
                else "Marked as reviewed. It can now be published.",
                "success",
            )
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/review.html", form=form, visit=visit)


@bp.route("/<int:visit_id>/publish", methods=["POST"])
@roles_required(Role.ADMIN)
def publish(visit_id: int) -> Response:
    visit = _visit(visit_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        visit_service.publish(current_user, visit)
    except ServiceError as exc:
        flash(exc.message)
    else:
        flash("Published: analysts and viewers can now read it.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/<int:visit_id>/delete", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def delete(visit_id: int) -> str | Response:
    visit = _visit(visit_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = f"{visit.kind.label}: {visit.name}"
        visit_service.delete(current_user, visit)
        flash(f"{name} deleted, with its text and its actions.", "success")
        return redirect(url_for("visits.index"))
    return render_template(
        "visits/delete.html", visit=visit, confirm=form, actions=visit_service.actions_of(visit)
    )
