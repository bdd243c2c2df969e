"""Course and session pages: everyone but scrutineers reads them; admins change courses and
sessions; admins and trainers (trainers on their own sessions only) keep the register."""

from feedback.models import Role

READERS = frozenset({Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER})
ADMIN = frozenset({Role.ADMIN})
MARKERS = frozenset({Role.ADMIN, Role.TRAINER})

PAGES = {
    "training.courses": ("/courses", READERS, 200),
    "training.course_new": ("/courses/new", ADMIN, 200),
    "training.course": ("/courses/999999", READERS, 404),
    "training.course_edit": ("/courses/999999/edit", ADMIN, 404),
    "training.session_new": ("/courses/999999/sessions/new", ADMIN, 404),
    "training.session": ("/sessions/999999", READERS, 404),
    "training.session_edit": ("/sessions/999999/edit", ADMIN, 404),
    "training.session_cancel": ("/sessions/999999/cancel", ADMIN, 404),
    "training.attendance_import": ("/sessions/999999/attendance/import", MARKERS, 404),
}
POSTS = {
    "training.attendance": ("/sessions/999999/attendance", MARKERS, 404),
    "training.attendees_add": ("/sessions/999999/attendees", MARKERS, 404),
    "training.send_now": ("/sessions/999999/evaluations/send", MARKERS, 404),
}
