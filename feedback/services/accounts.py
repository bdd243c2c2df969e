"""Accounts: creating users, checking passwords, and issuing and checking API tokens."""

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from feedback import clock
from feedback.extensions import db
from feedback.models import ApiToken, Partnership, Role, User
from feedback.services import ServiceError, audit, transaction

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


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None; the attempt is audited."""
    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    with transaction():
        if user is None or not ok or not user.active:
            audit.record(
                "user.sign_in_failed",
                user=user,
                detail={"reason": "inactive" if user and ok else "bad credentials"},
            )
            return None
        user.last_sign_in_at = clock.now()
        audit.record("user.sign_in", user=user, record_type="user", record_id=user.id)
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
