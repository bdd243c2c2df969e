"""What every page's layout needs: the service name, the partnership and the navigation by role."""

from typing import Any

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from feedback.models import Role

SERVICE_NAME = "Front-line Intelligence"

#: (label, endpoint, roles that see it); an empty tuple means every signed-in role.
NAVIGATION: list[tuple[str, str, tuple[Role, ...]]] = [
    ("Home", "home.index", ()),
    ("Agencies", "people.agencies", ()),
    ("Practitioners", "people.people", (Role.ADMIN,)),
    ("Instruments", "instruments.index", (Role.ADMIN,)),
    ("Campaigns", "campaigns.index", (Role.ADMIN, Role.ANALYST, Role.VIEWER)),
    ("Training", "training.courses", (Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER)),
    ("Visits", "visits.index", ()),
    ("Child and family voice", "voice.index", ()),
    ("Coding workbench", "themes.workbench", (Role.ADMIN, Role.ANALYST)),
    ("Audits and reviews", "records.index", (Role.ADMIN, Role.ANALYST, Role.VIEWER)),
    ("Action tracker", "records.actions", ()),
    ("Learning Needs Analysis", "lna.report", (Role.ADMIN, Role.ANALYST, Role.VIEWER)),
    ("Accounts", "admin.users", (Role.ADMIN,)),
    ("Mail", "admin.mail", (Role.ADMIN,)),
    ("Audit log", "admin.audit_log", (Role.ADMIN,)),
]


def navigation() -> list[dict[str, Any]]:
    """The service navigation items the signed-in user may follow."""
    if not current_user.is_authenticated:
        return []
    items = []
    for label, endpoint, roles in NAVIGATION:
        if roles and current_user.role not in roles:
            continue
        if endpoint not in current_app.view_functions:
            continue  # a capability whose pages are not built yet
        href = url_for(endpoint)
        active = request.endpoint == endpoint
        items.append({"text": label, "href": href, "active": active})
    return items


def init_app(app: Flask) -> None:
    """Make the layout's values available to every template."""

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        partnership = current_user.partnership if current_user.is_authenticated else None
        return {
            "service_name": SERVICE_NAME,
            "partnership_name": partnership.name if partnership else None,
            "navigation_items": navigation(),
        }
