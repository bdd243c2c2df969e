"""Multi-agency training: courses, their sessions, who attended, and each session's evaluations."""

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.accounts import User
from feedback.models.campaigns import Campaign
from feedback.models.partnership import Person


class CourseFormat(enum.StrEnum):
    FACE_TO_FACE = "face_to_face"
    VIRTUAL = "virtual"
    E_LEARNING = "e_learning"

    @property
    def label(self) -> str:
        return {
            CourseFormat.FACE_TO_FACE: "Face to face",
            CourseFormat.VIRTUAL: "Virtual (live online)",
            CourseFormat.E_LEARNING: "E-learning",
        }[self]


class EvaluationStage(enum.StrEnum):
    """The three points at which attendees are asked: straight after, then 3 and 6 months on."""

    POST_COURSE = "post_course"
    FOLLOWUP_3_MONTH = "followup_3_month"
    FOLLOWUP_6_MONTH = "followup_6_month"

    @property
    def label(self) -> str:
        return {
            EvaluationStage.POST_COURSE: "Post-course evaluation",
            EvaluationStage.FOLLOWUP_3_MONTH: "3-month follow-up",
            EvaluationStage.FOLLOWUP_6_MONTH: "6-month follow-up",
        }[self]

    @property
    def months_after(self) -> int:
        return {"post_course": 0, "followup_3_month": 3, "followup_6_month": 6}[self.value]

    @property
    def library_key(self) -> str:
        """The standard instrument each stage asks."""
        return {
            "post_course": "post_course_evaluation",
            "followup_3_month": "followup_3_month",
            "followup_6_month": "followup_6_month",
        }[self.value]


class Course(Base):
    """A course in the partnership's training programme."""

    __tablename__ = "course"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: 3 to 8 short statements; each becomes a before/now confidence question in evaluations.
    learning_outcomes: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    #: Codebook theme keys the course addresses, for the Learning Needs Analysis.
    themes: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    #: For example "Level 1: foundation" or "Level 3: advanced".
    level: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    format: so.Mapped[CourseFormat] = so.mapped_column(enum_column(CourseFormat, "course_format"))
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    sessions: so.Mapped[list["CourseSession"]] = so.relationship(
        back_populates="course", order_by="CourseSession.starts_at"
    )


class CourseSession(Base):
    """One delivery of a course: when, where, who trains it."""

    __tablename__ = "course_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    course_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    starts_at: so.Mapped[datetime]
    #: When it ends, the post-course evaluation becomes due (unless sent earlier).
    ends_at: so.Mapped[datetime] = so.mapped_column(index=True)
    venue: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    online: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    trainer_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    capacity: so.Mapped[int | None]
    #: A cancelled session is never evaluated or followed up.
    cancelled_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    course: so.Mapped[Course] = so.relationship(back_populates="sessions")
    trainer: so.Mapped[User | None] = so.relationship()
    attendances: so.Mapped[list["Attendance"]] = so.relationship(back_populates="session")
    evaluations: so.Mapped[list["SessionEvaluation"]] = so.relationship(back_populates="session")


class Attendance(Base):
    """A practitioner booked on a session; only those marked attended are evaluated."""

    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "person_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("course_session.id", ondelete="CASCADE"), index=True
    )
    person_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: True attended, False did not, None not yet recorded.
    attended: so.Mapped[bool | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    session: so.Mapped[CourseSession] = so.relationship(back_populates="attendances")
    person: so.Mapped[Person] = so.relationship()


class SessionEvaluation(Base):
    """That a stage's evaluation has been sent for a session: the unique key makes it once only."""

    __tablename__ = "session_evaluation"
    __table_args__ = (sa.UniqueConstraint("session_id", "stage"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("course_session.id", ondelete="CASCADE"), index=True
    )
    stage: so.Mapped[EvaluationStage] = so.mapped_column(
        enum_column(EvaluationStage, "evaluation_stage")
    )
    campaign_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("campaign.id", ondelete="RESTRICT"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    session: so.Mapped[CourseSession] = so.relationship(back_populates="evaluations")
    campaign: so.Mapped[Campaign] = so.relationship()
