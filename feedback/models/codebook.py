"""The partnership's editable codebook and the theme codes on text segments.

A CodebookTheme is one theme the analysts maintain (seeded from analysis.text.codebook's
standard codebook). Themes are never deleted: retiring hides them from new coding, merging
retires one into another (`merged_into_key`), and every change is a ThemeChange, so the history
stays. A SegmentCode says a theme applies to a text segment: `suggested` by the analysis job
(with its confidence), then `confirmed` or `rejected` by an analyst, or `confirmed` when an
analyst adds it by hand. Reports count confirmed codes only: a theme applies to a segment when a
SegmentCode with `coder_id` NULL and status `confirmed` exists (at most one per segment and theme).

`coder_id` supports two analysts coding the same CodingSample blind: their codes are kept apart by
coder, and SampleCoding records that a coder has finished a segment (even with no theme), so
Cohen's kappa can count the themes they both left out. CodebookState holds a version number per
partnership, bumped by every codebook change, so the analysis job can tell that a batch it coded
with an older codebook must not be kept.
"""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.accounts import User
from feedback.models.learning import TextSegment


class ThemeStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    MERGED = "merged"

    @property
    def label(self) -> str:
        return {"active": "In use", "retired": "Retired", "merged": "Merged"}[self.value]


class CodebookTheme(Base):
    """One theme of a partnership's codebook, with its indicators and business priority."""

    __tablename__ = "codebook_theme"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: Stable identifier (lower_snake_case); renaming changes the label, never the key.
    key: so.Mapped[str] = so.mapped_column(sa.String(60))
    label: so.Mapped[str] = so.mapped_column(sa.String(120))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: 1 (highest) to 3.
    priority: so.Mapped[int] = so.mapped_column(default=2)
    indicators: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    weak_indicators: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    status: so.Mapped[ThemeStatus] = so.mapped_column(
        enum_column(ThemeStatus, "theme_status"), default=ThemeStatus.ACTIVE
    )
    merged_into_key: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)


class ThemeChange(Base):
    """One change to the codebook: who did what to which theme, and what it was before."""

    __tablename__ = "codebook_change"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    theme_key: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    #: added, renamed, edited, retired, restored, merged
    change: so.Mapped[str] = so.mapped_column(sa.String(20))
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON(none_as_null=True))
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON(none_as_null=True))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    changed_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)


class CodeStatus(enum.StrEnum):
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"suggested": "Suggested", "confirmed": "Confirmed", "rejected": "Rejected"}[
            self.value
        ]


class SegmentCode(Base):
    """A theme on a text segment, suggested by the analysis or decided by an analyst."""

    __tablename__ = "segment_code"
    __table_args__ = (
        sa.UniqueConstraint("segment_id", "theme_key", "coder_id", name="uq_segment_code"),
        sa.Index("ix_segment_code_theme_status", "theme_key", "status"),
        # NULLs are distinct in a unique constraint, so the agreed decision (coder_id NULL) needs
        # its own partial index: one suggestion or decision per segment and theme.
        sa.Index(
            "uq_segment_code_agreed",
            "segment_id",
            "theme_key",
            unique=True,
            sqlite_where=sa.text("coder_id IS NULL"),
            postgresql_where=sa.text("coder_id IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    segment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("text_segment.id", ondelete="CASCADE"), index=True
    )
    theme_key: so.Mapped[str] = so.mapped_column(sa.String(60))
    #: The analysis's confidence in [0, 1]; None for a code an analyst added by hand.
    confidence: so.Mapped[float | None]
    status: so.Mapped[CodeStatus] = so.mapped_column(
        enum_column(CodeStatus, "code_status"), default=CodeStatus.SUGGESTED
    )
    #: None for the analysis's suggestion (and the agreed decision); a user for blind coding.
    #: CASCADE: a deleted coder's blind codes go with them rather than turn into agreed ones.
    coder_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    segment: so.Mapped[TextSegment] = so.relationship()
    coder: so.Mapped[User | None] = so.relationship(foreign_keys=[coder_id])


class CodebookState(Base):
    """A partnership's codebook version: bumped (row locked) by every change to the codebook."""

    __tablename__ = "codebook_state"

    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True
    )
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    changed_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)


class SegmentedResponse(Base):
    """That a response's free text has been handed to the text pipeline (it may have had none)."""

    __tablename__ = "segmented_response"

    response_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    segmented_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)


class CodingSample(Base):
    """A named, stored random sample of segments for two analysts to code blind."""

    __tablename__ = "coding_sample"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: The filter the sample was drawn from, in words ("Staff survey, 1 March to 31 May 2027").
    drawn_from: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    created_by: so.Mapped[User | None] = so.relationship()
    members: so.Mapped[list["CodingSampleSegment"]] = so.relationship(
        order_by="CodingSampleSegment.position", cascade="all, delete-orphan"
    )


class CodingSampleSegment(Base):
    """One segment of a sample, in the order coders meet it."""

    __tablename__ = "coding_sample_segment"

    sample_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("coding_sample.id", ondelete="CASCADE"), primary_key=True
    )
    segment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("text_segment.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: so.Mapped[int]

    segment: so.Mapped[TextSegment] = so.relationship()


class SampleCoding(Base):
    """That one coder has finished one segment of a sample; their themes are SegmentCodes."""

    __tablename__ = "sample_coding"

    sample_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("coding_sample.id", ondelete="CASCADE"), primary_key=True
    )
    segment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("text_segment.id", ondelete="CASCADE"), primary_key=True
    )
    coder_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    coded_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
