"""The dispatcher: claims due outbox messages, sends them over one SMTP connection, and records
each result in its own transaction, so a crash loses nothing and repeats at most one message."""

import logging
import smtplib
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_mail import Message

from feedback.extensions import db, mail
from feedback.jobs import job
from feedback.models.campaigns import DeliveryStatus, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)
WORKER_ID = f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}"


@dataclass
class DispatchReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"sent {self.sent}, will retry {self.retry}, failed {self.failed}"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at two hours."""
    return min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(now: datetime, limit: int, worker: str = WORKER_ID) -> list[int]:
    """Mark up to `limit` due messages as ours and return their ids.

    Due means pending and past its next attempt, or claimed by a dispatcher that has not
    finished within the timeout (it died). On PostgreSQL the rows are locked with SKIP LOCKED so
    two dispatchers never take the same message; SQLite runs one writer at a time anyway.
    """
    timeout = timedelta(seconds=current_app.config["OUTBOX_CLAIM_TIMEOUT_SECONDS"])
    due = (
        sa.select(OutboxMessage.id)
        .where(
            sa.or_(
                sa.and_(
                    OutboxMessage.status == DeliveryStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                ),
                sa.and_(
                    OutboxMessage.status == DeliveryStatus.SENDING,
                    OutboxMessage.claimed_at < now - timeout,
                ),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now)
        )
    db.session.commit()
    return ids


def _record(
    message: OutboxMessage, now: datetime, outcome: DeliveryStatus, error: str | None = None
) -> None:
    """Write one message's result, and its invitation's delivery state, in one transaction."""
    invitation = message.invitation
    message.claimed_by = None
    message.claimed_at = None
    if outcome == DeliveryStatus.SENT:
        message.status = DeliveryStatus.SENT
        message.sent_at = now
        message.body_text = None  # it carries the respondent's link; not needed once sent
        if invitation is not None and message.kind == "invitation":
            invitation.delivery = DeliveryStatus.SENT
            invitation.sent_at = now
    elif outcome == DeliveryStatus.PENDING and message.attempts < MAX_ATTEMPTS:
        message.status = DeliveryStatus.PENDING
        message.next_attempt_at = now + backoff(message.attempts)
        message.last_error = (error or "")[:500]
    else:
        message.status = DeliveryStatus.FAILED
        message.last_error = (error or "too many attempts")[:500]
        if invitation is not None and message.kind == "invitation":
            invitation.delivery = DeliveryStatus.FAILED
    db.session.commit()


def _classify(exc: Exception) -> tuple[DeliveryStatus, str]:
    """Permanent refusals (5xx) fail for good; anything else is worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(
            f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values()
        )
        permanent = all(500 <= code < 600 for code in codes)
        return (DeliveryStatus.FAILED if permanent else DeliveryStatus.PENDING), text
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        text = f"{exc.smtp_code} {detail}"
        permanent = 500 <= exc.smtp_code < 600
        return (DeliveryStatus.FAILED if permanent else DeliveryStatus.PENDING), text
    return DeliveryStatus.PENDING, f"{type(exc).__name__}: {exc}"


def _as_mail(message: OutboxMessage, sender: str, domain: str) -> Message:
    mail_message = Message(
        subject=message.subject,
        recipients=[message.to_address],
        body=message.body_text or "",
        sender=sender,
        extra_headers=dict(message.headers or {}),
    )
    # make_msgid() with no domain looks the host name up in DNS for every message.
    mail_message.msgId = make_msgid(idstring=str(message.id), domain=domain)
    return mail_message


def dispatch(now: datetime, limit: int | None = None) -> DispatchReport:
    """Send what is due. A lost connection puts the rest of the batch back for a later try."""
    report = DispatchReport()
    ids = claim(now, limit or current_app.config["OUTBOX_BATCH_SIZE"])
    if not ids:
        return report
    remaining = list(ids)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rpartition("@")[2] or "localhost"
    # One query for the batch and its invitations, rather than two per message.
    batch = {
        m.id: m
        for m in db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .options(so.selectinload(OutboxMessage.invitation))
        )
    }
    # Only this dispatcher touches its claimed rows, so there is nothing to reload after each
    # per-message commit.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        with mail.connect() as connection:
            while remaining:
                message = batch[remaining[0]]
                message.attempts += 1
                try:
                    connection.send(_as_mail(message, sender, domain))
                except smtplib.SMTPServerDisconnected as exc:
                    raise ConnectionError(str(exc)) from exc
                except smtplib.SMTPException as exc:  # a reply from the server (before OSError:
                    # SMTPException is one)
                    outcome, text = _classify(exc)
                    _record(message, now, outcome, text)
                    if outcome == DeliveryStatus.FAILED:
                        report.failed += 1
                    else:
                        report.retry += 1
                    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
                        # the session may be unusable after these; reset before the next one
                        connection.host.rset()
                else:
                    _record(message, now, DeliveryStatus.SENT)
                    report.sent += 1
                remaining.pop(0)
    except (ConnectionError, OSError, smtplib.SMTPException) as exc:
        # The server went away or never answered: everything not yet recorded waits a while.
        db.session.rollback()
        text = f"SMTP connection failed: {exc}"
        log.warning("Dispatch stopped: %s", text)
        report.errors.append(text)
        for message_id in remaining:
            message = db.session.get(OutboxMessage, message_id)
            if message.status != DeliveryStatus.SENDING:
                continue
            message.attempts = (
                max(message.attempts, 1) if message_id == remaining[0] else message.attempts
            )
            _record(message, now, DeliveryStatus.PENDING, text)
            report.retry += 1
    finally:
        session.expire_on_commit = expire_on_commit
    return report


@job("dispatch", order=90)
def dispatch_job(now: datetime) -> str | None:
    report = dispatch(now)
    return str(report) if (report.sent or report.retry or report.failed) else None
