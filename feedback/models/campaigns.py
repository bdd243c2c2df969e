"""Campaigns: who is asked, their invitations, the outbox that emails them, and the responses.

Anonymity is built into the shape of these tables. A response never holds an invitation id or a
precise time; while someone is part-way through, their answers wait on the invitation row and
move to the response, without any link back, when they submit.
"""

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.instruments import InstrumentVersion
from feedback.models.partnership import Agency, Person
from feedback.services import ServiceError


class ResponseMode(enum.StrEnum):
    """How answers relate to the person who gave them."""

    IDENTIFIED = "identified"
    CONFIDENTIAL = "confidential"
    ANONYMOUS = "anonymous"

    @property
    def label(self) -> str:
        return {
            ResponseMode.IDENTIFIED: "Identified: answers are linked to the person",
            ResponseMode.CONFIDENTIAL: "Confidential: only the partnership team can see who "
            "said what",
            ResponseMode.ANONYMOUS: "Anonymous: nobody, including the partnership team, can "
            "link answers to a person",
        }[self]


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    PAUSED = "paused"
    CLOSED = "closed"


class DeliveryStatus(enum.StrEnum):
    """Where an outbox message is: waiting, claimed by a dispatcher, sent, or refused for good."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Campaign(Base):
    """One published instrument version sent to an audience between two moments."""

    __tablename__ = "campaign"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: RESTRICT: the version asked must outlive the campaign's responses.
    instrument_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("instrument_version.id", ondelete="RESTRICT"), index=True
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: What the campaign is for: "survey", or a training stage such as "post_course".
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40), default="survey")
    mode: so.Mapped[ResponseMode] = so.mapped_column(enum_column(ResponseMode, "response_mode"))
    status: so.Mapped[CampaignStatus] = so.mapped_column(
        enum_column(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT, index=True
    )
    opens_at: so.Mapped[datetime]
    closes_at: so.Mapped[datetime]
    #: Days after the invitation is sent on which non-responders are reminded, e.g. [7, 14].
    reminder_days: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    #: The audience as chosen: {"person_ids": [...], "agency_ids": [...], "roles": [...]}.
    audience: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    #: Set when the campaign has a shareable open link (events, forums): the link's token is
    #: HMAC(SECRET_KEY, nonce), like an invitation's. Open-link answers are always anonymous.
    open_link_nonce: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    subject_template: so.Mapped[str] = so.mapped_column(sa.String(300))
    body_template: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    launched_at: so.Mapped[datetime | None]
    closed_at: so.Mapped[datetime | None]
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    instrument_version: so.Mapped[InstrumentVersion] = so.relationship()

    def accepting_answers(self, now: datetime) -> bool:
        return self.status == CampaignStatus.LIVE and self.opens_at <= now < self.closes_at

    def launch(self, now: datetime) -> None:
        if self.status != CampaignStatus.DRAFT:
            raise ServiceError(f"A {self.status.value} campaign cannot be launched")
        if self.closes_at <= now:
            raise ServiceError(
                "The close date has passed: set a later one before launching", field="closes_at"
            )
        self.status = CampaignStatus.LIVE
        self.launched_at = now

    def pause(self) -> None:
        if self.status != CampaignStatus.LIVE:
            raise ServiceError(f"Only a live campaign can be paused; this one is {self.status}")
        self.status = CampaignStatus.PAUSED

    def resume(self, now: datetime) -> None:
        if self.status != CampaignStatus.PAUSED:
            raise ServiceError(f"Only a paused campaign can be resumed; this one is {self.status}")
        if self.closes_at <= now:
            raise ServiceError("The close date has passed: extend it to resume", field="closes_at")
        self.status = CampaignStatus.LIVE

    def extend(self, closes_at: datetime, now: datetime) -> None:
        if self.status == CampaignStatus.CLOSED:
            raise ServiceError("A closed campaign cannot be extended")
        if closes_at <= max(now, self.opens_at):
            raise ServiceError("The new close date must be in the future", field="closes_at")
        self.closes_at = closes_at

    def close(self, now: datetime) -> None:
        if self.status == CampaignStatus.CLOSED:
            raise ServiceError("This campaign is already closed")
        self.status = CampaignStatus.CLOSED
        self.closed_at = now

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.status}>"


class Invitation(Base):
    """One person asked in one campaign; holds their part-finished answers until they submit."""

    __tablename__ = "invitation"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "person_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    #: Empty for someone who came through the campaign's open link.
    person_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: Random; the link's token is HMAC(SECRET_KEY, nonce), so the database alone cannot
    #: rebuild a working link.
    token_nonce: so.Mapped[str] = so.mapped_column(sa.String(32))
    #: SHA-256 of the token, for looking the link up.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: Delivery of the first email, as the dispatcher last reported it.
    delivery: so.Mapped[DeliveryStatus] = so.mapped_column(
        enum_column(DeliveryStatus, "invitation_delivery"), default=DeliveryStatus.PENDING
    )
    sent_at: so.Mapped[datetime | None]
    reminders_sent: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    opened_at: so.Mapped[datetime | None]
    started_at: so.Mapped[datetime | None]
    #: True once they have submitted; for anonymous campaigns this is ALL that is recorded.
    responded: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: When they submitted; left empty in anonymous campaigns.
    completed_at: so.Mapped[datetime | None]
    #: Answers saved page by page while they are part-way through; emptied on submit.
    draft_answers: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON(none_as_null=True))
    #: The page index they are on (0-based), so the link reopens where they left off.
    current_page: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    campaign: so.Mapped[Campaign] = so.relationship()
    person: so.Mapped[Person | None] = so.relationship()


class OutboxMessage(Base):
    """An email to send, written in the same transaction as the invitation or reminder."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    invitation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    #: "invitation" or "reminder".
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    to_address: so.Mapped[str] = so.mapped_column(sa.String(320))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    #: The plain-text body; emptied once sent, because it carries the respondent's link.
    body_text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: Extra headers, e.g. List-Unsubscribe.
    headers: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)
    status: so.Mapped[DeliveryStatus] = so.mapped_column(
        enum_column(DeliveryStatus, "outbox_status"), default=DeliveryStatus.PENDING
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    #: Which dispatcher claimed it and when; a stale claim is taken over after a timeout.
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    claimed_at: so.Mapped[datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    sent_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    invitation: so.Mapped[Invitation | None] = so.relationship()


class Response(Base):
    """A submitted set of answers. In anonymous campaigns: no person, no invitation, a day only."""

    __tablename__ = "response"

    #: Random, so neither the id nor its order says who answered or when.
    id: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    campaign_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    #: The exact version answered; RESTRICT so it can never be deleted from under the answers.
    instrument_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("instrument_version.id", ondelete="RESTRICT"), index=True
    )
    #: Who answered: set in identified and confidential campaigns only.
    person_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: The respondent's agency when they answered, for per-agency results (suppressed when
    #: small); kept in anonymous campaigns too.
    agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    job_role: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    #: The day of submission; the only time an anonymous response keeps.
    submitted_on: so.Mapped[date]
    #: The moment of submission; empty in anonymous campaigns.
    submitted_at: so.Mapped[datetime | None]
    #: {question key: stored answer} as forms.to_storage gives it.
    answers: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)

    campaign: so.Mapped[Campaign] = so.relationship()
    person: so.Mapped[Person | None] = so.relationship()
    agency: so.Mapped[Agency | None] = so.relationship()
