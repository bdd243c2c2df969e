"""Staff accounts that sign in, their roles, and their API tokens."""

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from feedback import clock
from feedback.db import Base
from feedback.models.partnership import Partnership


class Role(enum.StrEnum):
    """What an account may do; each page names the roles it admits."""

    ADMIN = "admin"
    TRAINER = "trainer"
    ANALYST = "analyst"
    SCRUTINEER = "scrutineer"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return {
            Role.ADMIN: "Partnership team (admin)",
            Role.TRAINER: "Trainer",
            Role.ANALYST: "Analyst",
            Role.SCRUTINEER: "Scrutineer",
            Role.VIEWER: "Viewer (Workforce Development Group and partners)",
        }[self]


class User(UserMixin, Base):
    """A person who signs in: the partnership team, trainers, analysts, scrutineers, viewers."""

    __tablename__ = "user_account"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: Lower-cased; the sign-in name.
    email: so.Mapped[str] = so.mapped_column(sa.String(320), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: A werkzeug scrypt hash; the password itself is never stored.
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[Role] = so.mapped_column(
        sa.Enum(
            Role,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="role",
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: An inactive account cannot sign in or use its tokens.
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    last_sign_in_at: so.Mapped[datetime | None]
    #: Failed sign-ins since `failed_sign_ins_since`; a success or a lockout resets it.
    failed_sign_ins: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    #: When the current run of failed sign-ins began; older failures no longer count.
    failed_sign_ins_since: so.Mapped[datetime | None]
    #: Set after too many failed sign-ins: every sign-in is refused until then, even with the
    #: right password, unless an admin unlocks the account sooner.
    locked_until: so.Mapped[datetime | None]

    partnership: so.Mapped[Partnership] = so.relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions for inactive accounts
        return self.active

    def locked_at(self, now: datetime) -> bool:
        """Whether sign-in is refused at this moment because of failed attempts."""
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: What the token is for, as its owner described it.
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    #: Hex SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    last_used_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship()
