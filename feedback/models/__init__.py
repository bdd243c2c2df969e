"""All models, imported here so Alembic and the app see the whole schema."""

from feedback.models.accounts import ApiToken, Role, User
from feedback.models.audit import AuditEvent
from feedback.models.partnership import Agency, Partnership, Person, Sector

__all__ = [
    "Agency",
    "ApiToken",
    "AuditEvent",
    "Partnership",
    "Person",
    "Role",
    "Sector",
    "User",
]
