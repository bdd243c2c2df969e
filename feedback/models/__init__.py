"""All models, imported here so Alembic and the app see the whole schema."""

from feedback.models.accounts import ApiToken, Role, User
from feedback.models.audit import AuditEvent
from feedback.models.campaigns import (
    Campaign,
    CampaignStatus,
    DeliveryStatus,
    Invitation,
    OutboxMessage,
    Response,
    ResponseMode,
)
from feedback.models.instruments import Instrument, InstrumentVersion, VersionStatus
from feedback.models.learning import Action, ActionStatus, ActionUpdate, SourceType, TextSegment
from feedback.models.partnership import Agency, Partnership, Person, Sector
from feedback.models.training import (
    Attendance,
    Course,
    CourseFormat,
    CourseSession,
    EvaluationStage,
    SessionEvaluation,
)

__all__ = [
    "Action",
    "ActionStatus",
    "ActionUpdate",
    "SourceType",
    "TextSegment",
    "Agency",
    "Attendance",
    "Course",
    "CourseFormat",
    "CourseSession",
    "EvaluationStage",
    "SessionEvaluation",
    "ApiToken",
    "AuditEvent",
    "Campaign",
    "CampaignStatus",
    "DeliveryStatus",
    "Invitation",
    "OutboxMessage",
    "Response",
    "ResponseMode",
    "Instrument",
    "InstrumentVersion",
    "Partnership",
    "Person",
    "Role",
    "Sector",
    "User",
    "VersionStatus",
]

# Each capability's models live in a module of its own; importing them registers their tables.
from feedback.models import codebook, ops, records, visits, voice  # noqa: E402, F401, I001
