"""Who may use the visit pages and API (see feedback/web/visits.py for the rules).

Every role reads the list, a record and an agency's history (scrutineers only the records they
are on, the others published ones); admins and scrutineers plan and write up; only admins
review, publish and delete. Unknown ids are 404 for every admitted role.
"""

from feedback.models import Role

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
WRITERS = frozenset({Role.ADMIN, Role.SCRUTINEER})

PAGES = {
    "visits.index": ("/visits", ALL, 200),
    "visits.agency": ("/visits/agencies/999999", ALL, 404),
    "visits.new": ("/visits/new", WRITERS, 200),
    "visits.new_kind": ("/visits/new/scrutiny_visit", WRITERS, 200),
    "visits.show": ("/visits/999999", ALL, 404),
    "visits.details": ("/visits/999999/details", WRITERS, 404),
    "visits.topic": ("/visits/999999/topics/leadership", WRITERS, 404),
    "visits.people": ("/visits/999999/people", WRITERS, 404),
    "visits.notes": ("/visits/999999/notes", WRITERS, 404),
    "visits.action_plan": ("/visits/999999/action-plan", WRITERS, 404),
    "visits.actions": ("/visits/999999/actions", WRITERS, 404),
    "visits.submit": ("/visits/999999/submit", WRITERS, 404),
    "visits.review": ("/visits/999999/review", ADMIN, 404),
    "visits.delete": ("/visits/999999/delete", ADMIN, 404),
}

POSTS = {
    "visits.plan_item_add": ("/visits/999999/action-plan/items", WRITERS, 404),
    "visits.action_remove": ("/visits/999999/actions/1/remove", WRITERS, 404),
    "visits.publish": ("/visits/999999/publish", ADMIN, 404),
}

API = {
    "api_visits.list_visits": ("GET", "/api/v1/visits", ALL),
    "api_visits.create_visit": ("POST", "/api/v1/visits", WRITERS),
    "api_visits.get_visit": ("GET", "/api/v1/visits/999999", ALL),
    "api_visits.update_visit": ("PATCH", "/api/v1/visits/999999", WRITERS),
    "api_visits.submit_visit": ("POST", "/api/v1/visits/999999/submit", WRITERS),
    "api_visits.review_visit": ("POST", "/api/v1/visits/999999/review", ADMIN),
    "api_visits.publish_visit": ("POST", "/api/v1/visits/999999/publish", ADMIN),
    "api_visits.add_visit_action": ("POST", "/api/v1/visits/999999/actions", WRITERS),
    "api_visits.add_plan_item": ("POST", "/api/v1/visits/999999/action-plan-items", WRITERS),
}
