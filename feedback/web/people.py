"""Agencies and practitioners: lists, adding one, and importing a CSV."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug import Response

from feedback.models import Role
from feedback.security import roles_required
from feedback.services import ServiceError
from feedback.services import people as people_service
from feedback.web.forms import AgencyForm, ImportForm, PersonForm

bp = Blueprint("people", __name__)

PER_PAGE = 50


# -- Agencies -------------------------------------------------------------------------------


@bp.route("/agencies", methods=["GET", "POST"])
@roles_required()
def agencies() -> str | Response:
    partnership = current_user.partnership
    form = AgencyForm() if current_user.role == Role.ADMIN else None
    if form is not None and form.validate_on_submit():
        try:
            agency = people_service.create_agency(
                partnership, form.name.data or "", form.sector.data or "", current_user
            )
        except ServiceError as exc:
            getattr(form, exc.field or "name").errors = [exc.message]
        else:
            flash(f"{agency.name} added.", "success")
            return redirect(url_for("people.agencies"))
    elif request.method == "POST" and form is None:
        abort(403)
    return render_template(
        "people/agencies.html", form=form, agencies=people_service.list_agencies(partnership)
    )


# -- Practitioners ---------------------------------------------------------------------------


@bp.route("/people")
@roles_required(Role.ADMIN)
def people() -> str:
    page = request.args.get("page", 1, type=int) or 1
    people, total = people_service.list_people(
        current_user.partnership, page=page, per_page=PER_PAGE
    )
    pages = max(1, -(-total // PER_PAGE))
    return render_template("people/people.html", people=people, total=total, page=page, pages=pages)


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def person_new() -> str | Response:
    partnership = current_user.partnership
    form = PersonForm()
    form.agency_id.choices = [("", "Choose an agency")] + [
        (str(a.id), a.name) for a in people_service.list_agencies(partnership)
    ]
    if form.validate_on_submit():
        try:
            person = people_service.create_person(
                partnership,
                name=form.name.data or "",
                email=form.email.data or "",
                agency_id=int(form.agency_id.data) if form.agency_id.data else None,
                job_role=form.job_role.data,
                team=form.team.data,
                actor=current_user,
            )
        except ServiceError as exc:
            getattr(form, exc.field or "name").errors = [exc.message]
        else:
            flash(f"{person.name} added.", "success")
            return redirect(url_for("people.people"))
    return render_template("people/person_new.html", form=form)


@bp.route("/people/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def people_import() -> str:
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            text = people_service.decode_upload(form.file.data.read())
            report = people_service.import_people_csv(current_user.partnership, text, current_user)
        except ServiceError as exc:
            form.file.errors = [exc.message]
    return render_template("people/import.html", form=form, report=report)
