"""Audits, reviews, links between themes and records, and the Learning Needs Analysis.

An Audit or a Review is a record the partnership keeps of its quality-assurance work. Its
findings or learning points become text segments (SourceType.AUDIT / REVIEW), so they are coded
like any front-line text; its recommendations are rows, and one tagged to training reaches the
Learning Needs Analysis. Actions agreed on an audit or a review are tracked Actions
(feedback.models.learning). A ThemeLink ties a codebook theme to an audit, a review or an action,
so that record's page can show the theme's front-line evidence. LnaPriority rows are the
Workforce Development Group's priorities for a business year.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.accounts import User
from feedback.models.partnership import Agency


class AuditType(enum.StrEnum):
    MULTI_AGENCY_THEMATIC = "multi_agency_thematic"
    MULTI_AGENCY_CASE = "multi_agency_case"
    SINGLE_AGENCY = "single_agency"
    SECTION_11 = "section_11"
    SECTION_175 = "section_175_157"
    THEMED_SCRUTINY = "themed_scrutiny"

    @property
    def label(self) -> str:
        return {
            "multi_agency_thematic": "Multi-agency thematic audit",
            "multi_agency_case": "Multi-agency case audit",
            "single_agency": "Single-agency audit",
            "section_11": "Section 11 self-assessment",
            "section_175_157": "Section 175/157 education audit",
            "themed_scrutiny": "Themed scrutiny event",
        }[self.value]


class ReviewType(enum.StrEnum):
    LCSPR = "lcspr"
    RAPID_REVIEW = "rapid_review"
    PRACTICE_LEARNING = "practice_learning"
    SINGLE_AGENCY = "single_agency"
    CHILD_DEATH_THEME = "child_death_theme"
    NATIONAL = "national"

    @property
    def label(self) -> str:
        return {
            "lcspr": "Local child safeguarding practice review",
            "rapid_review": "Rapid review",
            "practice_learning": "Practice learning review",
            "single_agency": "Single-agency or individual management review",
            "child_death_theme": "Child death review theme",
            "national": "National review learning",
        }[self.value]


class RecordStatus(enum.StrEnum):
    """Where an audit or a review is; the words fit both."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    REPORTING = "reporting"
    COMPLETE = "complete"

    @property
    def label(self) -> str:
        return {
            "planned": "Planned",
            "in_progress": "In progress",
            "reporting": "Writing up",
            "complete": "Complete",
        }[self.value]


class LinkedRecord(enum.StrEnum):
    """The kinds of record a theme can be linked to."""

    AUDIT = "audit"
    REVIEW = "review"
    ACTION = "action"

    @property
    def label(self) -> str:
        return {"audit": "Audit", "review": "Review", "action": "Action"}[self.value]


audit_agency = sa.Table(
    "audit_agency",
    Base.metadata,
    sa.Column(
        "audit_id", sa.ForeignKey("audit.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    sa.Column(
        "agency_id", sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Audit(Base):
    """An audit the partnership ran or took part in: what it looked at and what it found."""

    __tablename__ = "audit"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    audit_type: so.Mapped[AuditType] = so.mapped_column(enum_column(AuditType, "audit_type", 30))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: What the audit looked at: the question, the cases, the period.
    scope: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    start_on: so.Mapped[date | None]
    end_on: so.Mapped[date | None]
    status: so.Mapped[RecordStatus] = so.mapped_column(
        enum_column(RecordStatus, "audit_status"), default=RecordStatus.PLANNED
    )
    #: One finding a line; each becomes a text segment for the theme pipeline.
    findings: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)

    agencies: so.Mapped[list[Agency]] = so.relationship(
        secondary=audit_agency, order_by=Agency.name
    )
    recommendations: so.Mapped[list["Recommendation"]] = so.relationship(
        back_populates="audit", order_by="Recommendation.position", cascade="all, delete-orphan"
    )
    created_by: so.Mapped[User | None] = so.relationship()

    record_type = LinkedRecord.AUDIT

    @property
    def type_label(self) -> str:
        return self.audit_type.label


class Review(Base):
    """A case review or a piece of review learning the partnership is acting on."""

    __tablename__ = "review"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    review_type: so.Mapped[ReviewType] = so.mapped_column(
        enum_column(ReviewType, "review_type", 30)
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: What the review is about, without anything that identifies a child or family.
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    start_on: so.Mapped[date | None]
    #: When it was published or its learning agreed.
    end_on: so.Mapped[date | None]
    status: so.Mapped[RecordStatus] = so.mapped_column(
        enum_column(RecordStatus, "review_status"), default=RecordStatus.PLANNED
    )
    #: One learning point a line; each becomes a text segment for the theme pipeline.
    learning_points: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)

    recommendations: so.Mapped[list["Recommendation"]] = so.relationship(
        back_populates="review", order_by="Recommendation.position", cascade="all, delete-orphan"
    )
    created_by: so.Mapped[User | None] = so.relationship()

    record_type = LinkedRecord.REVIEW

    @property
    def type_label(self) -> str:
        return self.review_type.label


class Recommendation(Base):
    """One recommendation of an audit or a review (exactly one of the two)."""

    __tablename__ = "recommendation"
    __table_args__ = (
        sa.CheckConstraint("(audit_id IS NULL) <> (review_id IS NULL)", name="one_record"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    audit_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("audit.id", ondelete="CASCADE"), index=True
    )
    review_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("review.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    #: Tagged to training: the Learning Needs Analysis counts it as evidence of a learning need.
    training: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: The theme it is about; when empty, the record's linked themes stand in.
    theme_key: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    audit: so.Mapped[Audit | None] = so.relationship(back_populates="recommendations")
    review: so.Mapped[Review | None] = so.relationship(back_populates="recommendations")


class ThemeLink(Base):
    """That a codebook theme bears on an audit, a review or an action, since `linked_at`."""

    __tablename__ = "theme_link"
    __table_args__ = (
        sa.UniqueConstraint("partnership_id", "theme_key", "record_type", "record_id"),
        sa.Index("ix_theme_link_record", "record_type", "record_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    theme_key: so.Mapped[str] = so.mapped_column(sa.String(60))
    record_type: so.Mapped[LinkedRecord] = so.mapped_column(
        enum_column(LinkedRecord, "linked_record")
    )
    record_id: so.Mapped[int]
    linked_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    linked_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    linked_by: so.Mapped[User | None] = so.relationship()


class LnaPriority(Base):
    """One of the Workforce Development Group's learning priorities for a business year."""

    __tablename__ = "lna_priority"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: The business year it is for, by the calendar year it starts in: 2027 is April 2027 to
    #: March 2028.
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: Order on the page, lowest first.
    position: so.Mapped[int] = so.mapped_column(default=0)
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    theme_key: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    updated_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)
