"""Routes for personal data, lockout and the audit log: admins only, but the privacy notice is
public (respondents follow it from every survey page)."""

from feedback.models import Role

ADMIN = frozenset({Role.ADMIN})
PUBLIC = "public"

PAGES = {
    "auth.privacy": ("/privacy", PUBLIC, 200),
    "admin.audit_log": ("/admin/audit-log", ADMIN, 200),
    "admin.audit_log_csv": ("/admin/audit-log.csv", ADMIN, 200),
    "admin.privacy_notice": ("/admin/privacy-notice", ADMIN, 200),
    "admin.retention": ("/admin/retention", ADMIN, 200),
    "admin.subject_access": ("/admin/people/999999/subject-access", ADMIN, 404),
    "admin.subject_access_json": ("/admin/people/999999/subject-access.json", ADMIN, 404),
    "admin.erase_person": ("/admin/people/999999/erase", ADMIN, 404),
}

POSTS = {
    "admin.unlock_user": ("/admin/users/999999/unlock", ADMIN, 404),
}
