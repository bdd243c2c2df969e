"""Course and session evaluation dashboards, the comparison across courses, and the downloads
of their tables: everyone but scrutineers (de-identified, small counts hidden, for all but
admins)."""

from feedback.models import Role

READERS = frozenset({Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER})

PAGES = {
    "dashboards.course": ("/courses/999999/dashboard", READERS, 404),
    "dashboards.course_csv": ("/courses/999999/dashboard.csv", READERS, 404),
    "dashboards.course_xlsx": ("/courses/999999/dashboard.xlsx", READERS, 404),
    "dashboards.session": ("/sessions/999999/dashboard", READERS, 404),
    "dashboards.session_csv": ("/sessions/999999/dashboard.csv", READERS, 404),
    "dashboards.session_xlsx": ("/sessions/999999/dashboard.xlsx", READERS, 404),
    "dashboards.compare": ("/training/compare", READERS, 200),
    "dashboards.compare_csv": ("/training/compare.csv", READERS, 200),
    "dashboards.compare_xlsx": ("/training/compare.xlsx", READERS, 200),
}
