"""Who may reach audits, reviews, the action tracker, theme evidence and the Learning Needs
Analysis.

Admins record and change everything; analysts read records and evidence, link themes and add
progress updates to actions; viewers (the Workforce Development Group and partners) read records,
evidence, the triangulation and the Learning Needs Analysis; scrutineers and trainers read the
action tracker and actions only.
"""

from feedback.models import Role

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
READERS = frozenset({Role.ADMIN, Role.ANALYST, Role.VIEWER})
LINKERS = frozenset({Role.ADMIN, Role.ANALYST})

PAGES = {
    "records.index": ("/records", READERS, 200),
    "records.audit_new": ("/records/audits/new", ADMIN, 200),
    "records.audit": ("/records/audits/999999", READERS, 404),
    "records.audit_edit": ("/records/audits/999999/edit", ADMIN, 404),
    "records.review_new": ("/records/reviews/new", ADMIN, 200),
    "records.review": ("/records/reviews/999999", READERS, 404),
    "records.review_edit": ("/records/reviews/999999/edit", ADMIN, 404),
    "records.action_new": ("/records/audits/999999/actions/new", ADMIN, 404),
    "records.theme": ("/records/themes/no_such_theme", READERS, 404),
    "records.triangulation": ("/records/triangulation", READERS, 200),
    "records.actions": ("/actions", ALL, 200),
    "records.action": ("/actions/999999", ALL, 404),
    "records.action_edit": ("/actions/999999/edit", ADMIN, 404),
    "lna.report": ("/lna", READERS, 200),
    "lna.report_xlsx": ("/lna.xlsx", READERS, 200),
    "lna.priority_edit": ("/lna/priorities/999999/edit", ADMIN, 404),
}
POSTS = {
    "records.recommendation_add": ("/records/audits/999999/recommendations", ADMIN, 404),
    "records.recommendation_remove": ("/records/recommendations/999999/remove", ADMIN, 404),
    "records.link_theme": ("/records/reviews/999999/themes", LINKERS, 404),
    "records.unlink_theme": ("/records/actions/999999/themes/neglect/remove", LINKERS, 404),
    "records.action_update": ("/actions/999999/updates", LINKERS, 404),
    # With nothing but a CSRF token the priority is missing: the page says so.
    "lna.priority_add": ("/lna/priorities", ADMIN, 422),
    "lna.priority_move": ("/lna/priorities/999999/move", ADMIN, 404),
    "lna.priority_remove": ("/lna/priorities/999999/remove", ADMIN, 404),
}
API = {
    "api_records.list_audits": ("GET", "/api/v1/audits", READERS),
    "api_records.create_audit": ("POST", "/api/v1/audits", ADMIN),
    "api_records.get_audit": ("GET", "/api/v1/audits/999999", READERS),
    "api_records.list_reviews": ("GET", "/api/v1/reviews", READERS),
    "api_records.create_review": ("POST", "/api/v1/reviews", ADMIN),
    "api_records.get_review": ("GET", "/api/v1/reviews/999999", READERS),
    "api_records.list_actions": ("GET", "/api/v1/actions", ALL),
    "api_records.create_action": ("POST", "/api/v1/actions", ADMIN),
    "api_records.link_theme": ("POST", "/api/v1/themes/neglect/links", LINKERS),
    "api_records.theme_evidence": ("GET", "/api/v1/themes/neglect/evidence", READERS),
    "api_records.lna_report": ("GET", "/api/v1/reports/lna", READERS),
}
