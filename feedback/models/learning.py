"""What every front-line source shares on its way to learning: text segments and tracked actions.

Every free text the platform holds (a survey answer, an evaluation comment, a visit's notes, a
forum's notes, a voice record, an audit finding) becomes a TextSegment, so one pipeline codes,
weighs and quotes them all. Actions agreed on a visit, a conversation, an audit or a review are
Actions, so one tracker follows them all.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.accounts import User
from feedback.models.partnership import Agency


class SourceType(enum.StrEnum):
    """Where a text segment came from; the evidence pages group by these."""

    STAFF_SURVEY = "staff_survey"
    POST_COURSE = "post_course"
    FOLLOW_UP = "follow_up"
    SCRUTINY_VISIT = "scrutiny_visit"
    SAFEGUARDING_CONVERSATION = "safeguarding_conversation"
    PRACTITIONER_FORUM = "practitioner_forum"
    VOICE = "voice"
    AUDIT = "audit"
    REVIEW = "review"

    @property
    def label(self) -> str:
        return {
            "staff_survey": "Staff survey",
            "post_course": "Training feedback",
            "follow_up": "Training follow-ups",
            "scrutiny_visit": "Scrutiny visits",
            "safeguarding_conversation": "Safeguarding conversations",
            "practitioner_forum": "Practitioner forums",
            "voice": "Child and family voice",
            "audit": "Audit findings",
            "review": "Review learning",
        }[self.value]


class TextSegment(Base):
    """One piece of free text from one source, with what the analysis found in it.

    `source_type` and `source_id` name the record it came from (a response's id, a visit's id);
    `field` says which question or section. `respondent_key` identifies the person or record the
    text belongs to, so evidence can count distinct respondents against the disclosure threshold
    without knowing who they are. Sentiment columns stay empty until the analysis job reaches it.
    """

    __tablename__ = "text_segment"
    __table_args__ = (sa.Index("ix_text_segment_source", "source_type", "source_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    source_type: so.Mapped[SourceType] = so.mapped_column(
        enum_column(SourceType, "segment_source", length=30)
    )
    source_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: The question key or section name the text answers.
    field: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: A short human label for the field, shown beside quotes ("Areas for development").
    field_label: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    respondent_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    campaign_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    course_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    occurred_on: so.Mapped[date] = so.mapped_column(index=True)
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    #: Filled by the analysis job; None until then.
    polarity: so.Mapped[float | None]
    subjectivity: so.Mapped[float | None]
    sentiment: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    analysed_at: so.Mapped[datetime | None] = so.mapped_column(index=True)

    agency: so.Mapped[Agency | None] = so.relationship()


class ActionStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "in_progress": "In progress",
            "complete": "Complete",
            "closed": "Closed",
        }[self.value]


class Action(Base):
    """An action agreed somewhere (a visit, a conversation, an audit, a review), tracked to done.

    `source_type` is a SourceType value and `source_id` the record's id. The RAG rating is worked
    out, not stored: see feedback.services.actions (overdue and not complete is red by itself).
    """

    __tablename__ = "tracked_action"
    __table_args__ = (sa.Index("ix_tracked_action_source", "source_type", "source_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    source_type: so.Mapped[SourceType] = so.mapped_column(
        enum_column(SourceType, "action_source", length=30)
    )
    source_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    owner_agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    due_on: so.Mapped[date | None] = so.mapped_column(index=True)
    status: so.Mapped[ActionStatus] = so.mapped_column(
        enum_column(ActionStatus, "action_status"), default=ActionStatus.NOT_STARTED
    )
    evidence_of_impact: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)

    owner_agency: so.Mapped[Agency | None] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()
    updates: so.Mapped[list["ActionUpdate"]] = so.relationship(
        back_populates="action", order_by="ActionUpdate.written_at", cascade="all, delete-orphan"
    )


class ActionUpdate(Base):
    """A progress note on an action, with the status it moved to."""

    __tablename__ = "tracked_action_update"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("tracked_action.id", ondelete="CASCADE"), index=True
    )
    written_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[ActionStatus] = so.mapped_column(enum_column(ActionStatus, "update_status"))

    action: so.Mapped[Action] = so.relationship(back_populates="updates")
    author: so.Mapped[User | None] = so.relationship()
