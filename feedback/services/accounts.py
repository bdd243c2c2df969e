"""Accounts: creating users, checking passwords, lockouts, and issuing and checking API tokens."""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from feedback import clock
from feedback.db import UTCDateTime
from feedback.extensions import db
from feedback.models import ApiToken, Partnership, Role, User
from feedback.services import NotFound, ServiceError, audit, transaction

TOKEN_PREFIX = "fli_"  # noqa: S105 - a label, not a secret
MIN_PASSWORD_LENGTH = 12
# Checked against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def generate_password() -> str:
    """A random password that is easy to type from a terminal."""
    return secrets.token_urlsafe(15)


def create_user(
    partnership: Partnership, email: str, role: Role | str, password: str, name: str | None = None
) -> User:
    """Create an account; refuses a duplicate email, an unknown role or a short password."""
    email = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ServiceError(f"Role must be one of: {choices}", field="role") from None
    if "@" not in email:
        raise ServiceError("Enter an email address in the correct format", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            f"Password must be {MIN_PASSWORD_LENGTH} characters or more", field="password"
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ServiceError(f"An account for {email} already exists", field="email")
    with transaction():
        user = User(
            partnership_id=partnership.id,
            email=email,
            name=name or email.split("@")[0],
            role=role,
            password_hash=generate_password_hash(password),
        )
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user.create",
            user=None,
            partnership_id=partnership.id,
            record_type="user",
            record_id=user.id,
            detail={"role": role.value},
        )
    return user


class AccountLocked(ServiceError):
    """Sign-in refused because the account is locked after repeated failed attempts."""

    def __init__(self, until: datetime, now: datetime):
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        super().__init__(
            "This account is locked because of too many failed sign-in attempts. Try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}, or ask the partnership team to "
            "unlock it.",
            field="email",
        )
        self.until = until


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within how long lock an account, and for how long."""

    attempts: int = 5
    window: timedelta = timedelta(minutes=15)
    duration: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls) -> "LockoutPolicy":
        config = current_app.config
        return cls(
            attempts=max(1, int(config.get("SIGN_IN_LOCKOUT_ATTEMPTS", 5))),
            window=timedelta(minutes=int(config.get("SIGN_IN_LOCKOUT_WINDOW_MINUTES", 15))),
            duration=timedelta(minutes=int(config.get("SIGN_IN_LOCKOUT_MINUTES", 15))),
        )


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None; every attempt is audited.

    Raises AccountLocked while the account is locked (even for the right password) and on the
    failure that locks it. Failures are counted by one conditional UPDATE each, so attempts
    racing in parallel cannot undercount.
    """
    email = normalise_email(email)
    now = clock.now()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    locked_until: datetime | None = None
    with transaction():
        if user is not None and user.locked_at(now):
            locked_until = user.locked_until
            audit.record(
                "user.sign_in_failed",
                user=user,
                record_type="user",
                record_id=user.id,
                detail={"reason": "locked"},
            )
        elif user is None or not ok or not user.active:
            audit.record(
                "user.sign_in_failed",
                user=user,
                record_type="user" if user else None,
                record_id=user.id if user else None,
                detail={"reason": "inactive" if user and ok else "bad credentials"},
            )
            if user is not None and not ok:
                locked_until = _count_failure(user, now, LockoutPolicy.from_config())
        else:
            user.last_sign_in_at = now
            user.failed_sign_ins = 0
            user.failed_sign_ins_since = None
            user.locked_until = None
            audit.record("user.sign_in", user=user, record_type="user", record_id=user.id)
    if locked_until is not None:
        raise AccountLocked(locked_until, now)
    return user if user is not None and ok and user.active else None


def _count_failure(user: User, now: datetime, policy: LockoutPolicy) -> datetime | None:
    """Count a failed sign-in; lock the account when it reaches the limit (returns until when)."""
    at = sa.literal(now, UTCDateTime())
    fresh_run = sa.or_(
        User.failed_sign_ins_since.is_(None),
        User.failed_sign_ins_since <= sa.literal(now - policy.window, UTCDateTime()),
    )
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(
            failed_sign_ins=sa.case((fresh_run, 1), else_=User.failed_sign_ins + 1),
            failed_sign_ins_since=sa.case((fresh_run, at), else_=User.failed_sign_ins_since),
        )
        .execution_options(synchronize_session=False)
    )
    until = now + policy.duration
    locked = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.failed_sign_ins >= policy.attempts)
        .values(locked_until=until, failed_sign_ins=0, failed_sign_ins_since=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(user)
    if locked != 1:
        return None
    audit.record(
        "user.lock",
        user=None,
        partnership_id=user.partnership_id,
        record_type="user",
        record_id=user.id,
        detail={
            "failed_sign_ins": policy.attempts,
            "minutes": int(policy.duration.total_seconds() // 60),
        },
    )
    return until


def unlock(user: User, actor: User | None) -> bool:
    """Lift a lockout and forget the failed attempts; False if the account was not locked."""
    was_locked = user.locked_at(clock.now())
    with transaction():
        user.locked_until = None
        user.failed_sign_ins = 0
        user.failed_sign_ins_since = None
        if was_locked:
            audit.record(
                "user.unlock",
                user=actor,
                partnership_id=user.partnership_id,
                record_type="user",
                record_id=user.id,
            )
    return was_locked


def get_user(partnership: Partnership, user_id: int) -> User:
    """An account in the partnership, or NotFound."""
    user = db.session.scalar(
        sa.select(User).where(User.id == user_id, User.partnership_id == partnership.id)
    )
    if user is None:
        raise NotFound("There is no such account")
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, name: str = "API token") -> str:
    """Create a token for the user and return it; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction():
        api_token = ApiToken(user_id=user.id, name=name[:100], token_hash=_hash_token(token))
        db.session.add(api_token)
        db.session.flush()
        audit.record("api_token.create", user=user, record_type="api_token", record_id=api_token.id)
    return token


def revoke_tokens(user: User) -> int:
    """Revoke every live token of the user; returns how many were revoked."""
    with transaction():
        tokens = db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for t in tokens:
            t.revoked_at = clock.now()
        audit.record("api_token.revoke", user=user, detail={"count": len(tokens)})
    return len(tokens)


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _hash_token(token)
    api_token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing of the token; compare again to be plain.
    if api_token is None or not hmac.compare_digest(api_token.token_hash, digest):
        return None
    if api_token.revoked_at is not None or not api_token.user.active:
        return None
    with transaction():
        api_token.last_used_at = clock.now()
    return api_token.user


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
