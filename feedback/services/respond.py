"""The respondent's side: finding an invitation by its link, saving each page, submitting once,
and opting out. Nothing here writes a precise time or a link onto an anonymous response."""

import enum
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import forms
from feedback import clock
from feedback.extensions import db
from feedback.models.campaigns import (
    Campaign,
    CampaignStatus,
    DeliveryStatus,
    Invitation,
    OutboxMessage,
    Response,
    ResponseMode,
)
from feedback.services import audit, messages, transaction


class Gate(enum.StrEnum):
    """Why a link cannot be answered now, each with its own clear page."""

    OPEN = "open"
    UNKNOWN = "unknown"
    OPTED_OUT = "opted_out"
    NOT_YET_OPEN = "not_yet_open"
    PAUSED = "paused"
    CLOSED = "closed"
    RESPONDED = "responded"


@dataclass(frozen=True)
class Visit:
    """What a link leads to right now."""

    gate: Gate
    invitation: Invitation | None = None

    @property
    def campaign(self) -> Campaign | None:
        return self.invitation.campaign if self.invitation else None


def find(token: str) -> Visit:
    """Look an invitation up by its link and say whether it can be answered now."""
    if not token or len(token) > 64:
        return Visit(Gate.UNKNOWN)
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == messages.hash_token(token))
    )
    if invitation is None:
        return Visit(Gate.UNKNOWN)
    campaign = invitation.campaign
    now = clock.now()
    if invitation.responded:
        gate = Gate.RESPONDED
    elif invitation.person is not None and invitation.person.opted_out_at is not None:
        gate = Gate.OPTED_OUT
    elif campaign.status == CampaignStatus.CLOSED or now >= campaign.closes_at:
        gate = Gate.CLOSED
    elif campaign.status == CampaignStatus.PAUSED:
        gate = Gate.PAUSED
    elif campaign.status != CampaignStatus.LIVE or now < campaign.opens_at:
        gate = Gate.NOT_YET_OPEN
    else:
        gate = Gate.OPEN
    return Visit(gate, invitation)


def open_visit(campaign_id: int, token: str) -> tuple[Gate, str | None]:
    """Start an anonymous visit from a campaign's open link; returns the personal link token.

    Each visitor gets an invitation of their own with no person, so the respondent journey
    (saved per page, submitted once) is the same as for an emailed link.
    """
    campaign = db.session.get(Campaign, campaign_id)
    if (
        campaign is None
        or campaign.open_link_nonce is None
        or not hmac.compare_digest(messages.token_for("open", campaign.open_link_nonce), token)
    ):
        return Gate.UNKNOWN, None
    now = clock.now()
    if campaign.status == CampaignStatus.CLOSED or now >= campaign.closes_at:
        return Gate.CLOSED, None
    if campaign.status == CampaignStatus.PAUSED:
        return Gate.PAUSED, None
    if campaign.status != CampaignStatus.LIVE or now < campaign.opens_at:
        return Gate.NOT_YET_OPEN, None
    nonce = messages.new_nonce()
    personal = messages.token_for("invitation", nonce)
    with transaction():
        db.session.add(
            Invitation(
                campaign_id=campaign.id,
                person_id=None,
                token_nonce=nonce,
                token_hash=messages.hash_token(personal),
                delivery=DeliveryStatus.SENT,
                opened_at=None,
            )
        )
    return Gate.OPEN, personal


def definition_of(invitation: Invitation) -> dict[str, Any]:
    return invitation.campaign.instrument_version.definition


def mark_opened(invitation: Invitation) -> None:
    if invitation.opened_at is None:
        with transaction():
            invitation.opened_at = clock.now()


def save_page(invitation: Invitation, page_answers: dict[str, Any], next_page: int) -> bool:
    """Keep this page's answers and where they are, so the link reopens at the same place.

    Conditional on the invitation not being submitted yet: a request that lost a race with a
    submission (double click, second tab) must not put answers back on the invitation, which
    in an anonymous campaign would link them to the person again. Returns whether it saved.
    """
    draft = {**(invitation.draft_answers or {}), **page_answers}
    with transaction():
        saved = db.session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.responded.is_(False))
            .values(
                draft_answers=draft,
                current_page=max(next_page, 0),
                started_at=sa.func.coalesce(Invitation.started_at, clock.now()),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.expire(invitation)
    return saved == 1


def submit(invitation: Invitation, last_page: dict[str, Any] | None = None) -> bool:
    """Turn the saved answers, plus the last page's, into one response. Returns False if it was
    already submitted.

    The guard is the conditional UPDATE: of two submissions racing (double click, two tabs),
    only one changes the invitation, and only that one writes a response.
    """
    now = clock.now()
    campaign = invitation.campaign
    anonymous = campaign.mode == ResponseMode.ANONYMOUS
    answers = forms.effective_answers(
        definition_of(invitation), {**(invitation.draft_answers or {}), **(last_page or {})}
    )
    person = invitation.person
    with transaction():
        claimed = db.session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.responded.is_(False))
            .values(
                responded=True,
                completed_at=None if anonymous else now,
                draft_answers=None,
                current_page=0,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return False
        db.session.add(
            Response(
                id=uuid.uuid4().hex,
                campaign_id=campaign.id,
                instrument_version_id=campaign.instrument_version_id,
                person_id=None if anonymous or person is None else person.id,
                agency_id=person.agency_id if person else None,
                job_role=person.job_role if person else None,
                submitted_on=now.date(),
                submitted_at=None if anonymous else now,
                answers=answers,
            )
        )
        # Reminders already queued are pointless now.
        db.session.execute(
            sa.delete(OutboxMessage).where(
                OutboxMessage.invitation_id == invitation.id,
                OutboxMessage.kind == "reminder",
                OutboxMessage.status == DeliveryStatus.PENDING,
            )
        )
    db.session.expire(invitation)
    return True


def opt_out(invitation: Invitation, now: datetime | None = None) -> None:
    """Stop all email to this person from the partnership, now and in future campaigns."""
    now = now or clock.now()
    person = invitation.person
    if person is None:
        return  # an open-link visitor: we hold no address for them
    with transaction():
        if person.opted_out_at is None:
            person.opted_out_at = now
        pending = sa.select(Invitation.id).where(Invitation.person_id == person.id)
        db.session.execute(
            sa.delete(OutboxMessage).where(
                OutboxMessage.invitation_id.in_(pending),
                OutboxMessage.status == DeliveryStatus.PENDING,
            )
        )
        audit.record(
            "person.opt_out",
            partnership_id=person.partnership_id,
            record_type="person",
            record_id=person.id,
        )
