"""Front-line visits: scrutiny visits, safeguarding conversations and practitioner forums.

All three are a `Visit` of a different `kind`, because they share the workflow (planned, draft,
submitted, reviewed, published, with an admin able to send one back), the team who writes them
up, the tracked actions agreed on them and the route their free text takes into text segments.
What differs lives in a few kind-specific columns and two JSON columns:

- `topics` (scrutiny visits): the scrutiny_visit template's topics, copied in when the visit is
  created so a later change to the template never re-labels an old visit, each with its RAG
  rating, strengths, areas for development and notes;
- `notes`: the kind's free-text sections by key (the visit's summary; a conversation's barriers,
  good practice and support needed; a forum's working well, challenges and emerging issues).

Staff spoken to (and who attended a conversation) are counts by role, never names: the roles
come from a fixed list, so there is no free-text box a name could be typed into.

A Section 11 action plan belongs to the agency (`Section11Item`, entered once); each
conversation records the progress of every item (`ConversationItem`), and a new conversation
starts from the status each item had at the last one.
"""

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.accounts import User
from feedback.models.learning import SourceType
from feedback.models.partnership import Agency


class VisitKind(enum.StrEnum):
    """What sort of front-line record this is; each follows its library template."""

    SCRUTINY_VISIT = "scrutiny_visit"
    SAFEGUARDING_CONVERSATION = "safeguarding_conversation"
    PRACTITIONER_FORUM = "practitioner_forum"

    @property
    def label(self) -> str:
        return {
            "scrutiny_visit": "Scrutiny visit",
            "safeguarding_conversation": "Safeguarding conversation",
            "practitioner_forum": "Practitioner forum or listening event",
        }[self.value]

    @property
    def plural(self) -> str:
        return {
            "scrutiny_visit": "Scrutiny visits",
            "safeguarding_conversation": "Safeguarding conversations",
            "practitioner_forum": "Practitioner forums and listening events",
        }[self.value]

    @property
    def source_type(self) -> SourceType:
        """The text-segment and action source this kind writes."""
        return SourceType(self.value)

    @property
    def template_key(self) -> str:
        """The forms.library instrument this kind follows (the same key)."""
        return self.value


class VisitStatus(enum.StrEnum):
    """Where a record is in its workflow; only planned, draft and sent back can be edited."""

    PLANNED = "planned"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SENT_BACK = "sent_back"
    REVIEWED = "reviewed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {
            "planned": "Planned",
            "draft": "Draft",
            "submitted": "Submitted for review",
            "sent_back": "Sent back",
            "reviewed": "Reviewed",
            "published": "Published",
        }[self.value]

    @property
    def editable(self) -> bool:
        return self in EDITABLE

    @property
    def tag_colour(self) -> str:
        """The GOV.UK tag modifier for the status (the word is always shown too)."""
        return {
            "planned": "grey",
            "draft": "yellow",
            "submitted": "blue",
            "sent_back": "orange",
            "reviewed": "turquoise",
            "published": "green",
        }[self.value]


EDITABLE = frozenset({VisitStatus.PLANNED, VisitStatus.DRAFT, VisitStatus.SENT_BACK})


class Rag(enum.StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReviewOutcome(enum.StrEnum):
    SENT_BACK = "sent_back"
    REVIEWED = "reviewed"

    @property
    def label(self) -> str:
        return {"sent_back": "Sent back for changes", "reviewed": "Reviewed"}[self.value]


class Section11Status(enum.StrEnum):
    """Progress on one item of an agency's Section 11 action plan."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "in_progress": "In progress",
            "done": "Done",
            "blocked": "Blocked",
        }[self.value]

    @property
    def tag_colour(self) -> str:
        return {
            "not_started": "grey",
            "in_progress": "blue",
            "done": "green",
            "blocked": "red",
        }[self.value]


#: Who is on a visit's team besides its lead: scrutineers who may read and write it up.
visit_scrutineer = sa.Table(
    "visit_scrutineer",
    Base.metadata,
    sa.Column("visit_id", sa.ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "user_id",
        sa.ForeignKey("user_account.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Visit(Base):
    """A scrutiny visit, safeguarding conversation or practitioner forum, and its write-up."""

    __tablename__ = "visit"
    __table_args__ = (
        sa.Index("ix_visit_partnership_kind_status", "partnership_id", "kind", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    kind: so.Mapped[VisitKind] = so.mapped_column(enum_column(VisitKind, "visit_kind", length=30))
    status: so.Mapped[VisitStatus] = so.mapped_column(
        enum_column(VisitStatus, "visit_status"), default=VisitStatus.PLANNED
    )
    #: The agency visited or spoken with; empty for a forum open to every agency.
    agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    #: Scrutiny visits: the setting or service visited ("Riverside Primary School").
    setting: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    #: Forums: the event's title ("Neglect: what are we seeing?").
    title: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    #: Forums: who it was for ("Head teachers' forum", "Early years managers' briefing").
    audience: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    #: Forums: how many came.
    attendee_count: so.Mapped[int | None]
    #: The day it happens or happened (planned visits have a future date).
    occurred_on: so.Mapped[date] = so.mapped_column(index=True)
    #: The lead scrutineer (the conversation's lead, the forum's facilitator).
    lead_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: Scrutiny visits: [{"key", "title", "intro", "rag", "strengths", "development", "notes"}]
    #: in the template's order; empty for the other kinds.
    topics: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    #: Staff spoken to (or who attended a conversation): {role key: count}, never names.
    people_by_role: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON, default=dict)
    #: The kind's free-text sections: {section key: text}.
    notes: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)
    submitted_at: so.Mapped[datetime | None]
    reviewed_at: so.Mapped[datetime | None]
    published_at: so.Mapped[datetime | None]

    agency: so.Mapped[Agency | None] = so.relationship()
    lead: so.Mapped[User | None] = so.relationship(foreign_keys=[lead_id])
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])
    team: so.Mapped[list[User]] = so.relationship(secondary=visit_scrutineer, order_by=User.name)
    reviews: so.Mapped[list["VisitReview"]] = so.relationship(
        back_populates="visit",
        order_by="VisitReview.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    action_plan: so.Mapped[list["ConversationItem"]] = so.relationship(
        back_populates="visit",
        order_by="ConversationItem.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def name(self) -> str:
        """How pages name the record: the setting, the event or the agency."""
        if self.kind == VisitKind.PRACTITIONER_FORUM:
            return self.title or "Practitioner forum"
        if self.kind == VisitKind.SCRUTINY_VISIT and self.setting:
            agency = self.agency.name if self.agency else None
            return (
                f"{self.setting} ({agency})" if agency and agency != self.setting else self.setting
            )
        return self.agency.name if self.agency else self.kind.label

    def is_on_team(self, user: User) -> bool:
        """Whether the user leads the visit or is one of its scrutineers."""
        return self.lead_id == user.id or any(member.id == user.id for member in self.team)

    @property
    def last_sent_back(self) -> "VisitReview | None":
        sent = [r for r in self.reviews if r.outcome == ReviewOutcome.SENT_BACK]
        return sent[-1] if sent else None

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.kind} {self.status}>"


class VisitReview(Base):
    """An admin's review of a submitted record: sent back with comments, or marked reviewed."""

    __tablename__ = "visit_review"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    visit_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True
    )
    outcome: so.Mapped[ReviewOutcome] = so.mapped_column(
        enum_column(ReviewOutcome, "review_outcome")
    )
    #: What the reviewer asks to be changed (required when sending back).
    comments: so.Mapped[str | None] = so.mapped_column(sa.Text)
    reviewer_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    visit: so.Mapped[Visit] = so.relationship(back_populates="reviews")
    reviewer: so.Mapped[User | None] = so.relationship()


class Section11Item(Base):
    """One item of an agency's Section 11 action plan, entered once and followed over time."""

    __tablename__ = "section11_item"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    agency_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    #: The Section 11 standard it answers (a key from the safeguarding_conversation template,
    #: such as "leadership" or "information_sharing").
    standard: so.Mapped[str] = so.mapped_column(sa.String(60))
    #: What the agency said it would do.
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    agency: so.Mapped[Agency] = so.relationship()


class ConversationItem(Base):
    """Progress on one action plan item, as recorded at one safeguarding conversation."""

    __tablename__ = "conversation_item"
    __table_args__ = (sa.UniqueConstraint("visit_id", "item_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    visit_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True
    )
    item_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("section11_item.id", ondelete="CASCADE"), index=True
    )
    status: so.Mapped[Section11Status] = so.mapped_column(
        enum_column(Section11Status, "section11_status"), default=Section11Status.NOT_STARTED
    )
    #: What has been done and what is still to do.
    narrative: so.Mapped[str | None] = so.mapped_column(sa.Text)

    visit: so.Mapped[Visit] = so.relationship(back_populates="action_plan")
    item: so.Mapped[Section11Item] = so.relationship()
