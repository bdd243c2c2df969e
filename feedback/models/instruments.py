"""Survey instruments and their numbered versions; a published version never changes again."""

import copy
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base
from feedback.models.accounts import User
from feedback.models.partnership import Partnership
from feedback.services import ServiceError


class VersionStatus(enum.StrEnum):
    """Where a version is in its life: a draft is being designed, a published one is in use."""

    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {VersionStatus.DRAFT: "Draft", VersionStatus.PUBLISHED: "Published"}[self]


class Instrument(Base):
    """A survey, evaluation or record form the partnership uses, with all its versions."""

    __tablename__ = "instrument"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: The definition's key (lower-case identifier), unique within the partnership.
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: The latest version's title, kept here so lists need not read every definition.
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: The forms.library key this was copied from; empty for an instrument written here.
    source: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: An archived instrument is kept (responses point at its versions) but not offered.
    archived: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    partnership: so.Mapped[Partnership] = so.relationship()
    versions: so.Mapped[list["InstrumentVersion"]] = so.relationship(
        back_populates="instrument",
        order_by="InstrumentVersion.number",
        cascade="save-update, merge",
        passive_deletes="all",
    )

    @property
    def latest(self) -> "InstrumentVersion | None":
        """The newest version: the draft when there is one, else the last published."""
        return self.versions[-1] if self.versions else None

    @property
    def latest_published(self) -> "InstrumentVersion | None":
        published = [v for v in self.versions if v.status == VersionStatus.PUBLISHED]
        return published[-1] if published else None

    @property
    def draft(self) -> "InstrumentVersion | None":
        latest = self.latest
        return latest if latest is not None and latest.is_draft else None

    def version(self, number: int) -> "InstrumentVersion | None":
        return next((v for v in self.versions if v.number == number), None)

    def start_draft(self, created_by: User | None) -> "InstrumentVersion":
        """The draft to edit: the existing one, or a new version copied from the latest.

        There is at most one draft, and it is always the newest version, so a published
        version is never edited: the edit lands in the next number.
        """
        if self.draft is not None:
            return self.draft
        latest = self.latest
        draft = InstrumentVersion(
            instrument=self,
            partnership_id=self.partnership_id,
            number=(latest.number + 1) if latest else 1,
            definition=copy.deepcopy(latest.definition) if latest else {},
            status=VersionStatus.DRAFT,
            created_by_id=created_by.id if created_by is not None else None,
        )
        self.versions.append(draft)
        return draft

    def archive(self) -> None:
        if self.archived:
            raise ServiceError("This instrument is already archived")
        self.archived = True

    def restore(self) -> None:
        if not self.archived:
            raise ServiceError("This instrument is not archived")
        self.archived = False

    def __repr__(self) -> str:
        return f"<Instrument {self.id} {self.key!r}>"


class InstrumentVersion(Base):
    """One numbered version of an instrument's definition; responses record which they answered."""

    __tablename__ = "instrument_version"
    __table_args__ = (
        sa.UniqueConstraint("instrument_id", "number"),
        # At most one draft per instrument, whatever two admins do at the same moment.
        sa.Index(
            "uq_instrument_version_one_draft",
            "instrument_id",
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Copied from the instrument so any query can filter versions by partnership directly.
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: RESTRICT: a version that responses point at must outlive any attempt to delete it.
    instrument_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("instrument.id", ondelete="RESTRICT"), index=True
    )
    #: 1, 2, 3 ... within the instrument; the newest number is the draft, if there is one.
    number: so.Mapped[int]
    #: The forms definition (schema_version 1) exactly as respondents of this version saw it.
    definition: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    status: so.Mapped[VersionStatus] = so.mapped_column(
        sa.Enum(
            VersionStatus,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="version_status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=VersionStatus.DRAFT,
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    published_at: so.Mapped[datetime | None]
    #: Who started this version; empty for the demo seed or a deleted account.
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    instrument: so.Mapped[Instrument] = so.relationship(back_populates="versions")
    created_by: so.Mapped[User | None] = so.relationship()

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    @property
    def title(self) -> str:
        title = self.definition.get("title") if isinstance(self.definition, dict) else None
        return title if isinstance(title, str) and title.strip() else self.instrument.title

    def replace_definition(self, definition: dict[str, Any]) -> None:
        """Put a new definition in this draft; a published version refuses."""
        if not self.is_draft:
            raise ServiceError(
                f"Version {self.number} is published and cannot be changed; "
                "edit the instrument to start a new draft"
            )
        # A new object, so SQLAlchemy sees the change (JSON columns do not track mutation).
        self.definition = copy.deepcopy(definition)

    def publish(self) -> None:
        """Freeze this draft; the caller has checked the definition has no problems."""
        if not self.is_draft:
            raise ServiceError(f"Version {self.number} is already published")
        self.status = VersionStatus.PUBLISHED
        self.published_at = clock.now()

    def __repr__(self) -> str:
        return f"<InstrumentVersion {self.id} #{self.number} {self.status}>"


@sa.event.listens_for(so.Session, "before_flush")
def _published_versions_never_change(session: so.Session, _context: Any, _instances: Any) -> None:
    """The last line of defence: refuse to write a change to, or delete, a published version."""
    for obj in session.deleted:
        if isinstance(obj, InstrumentVersion) and obj.is_published:
            raise ServiceError(f"Published version {obj.number} cannot be deleted")
    for obj in session.dirty:
        if not isinstance(obj, InstrumentVersion):
            continue
        state = sa.inspect(obj)
        status = state.attrs.status.history
        was_published = VersionStatus.PUBLISHED in (status.deleted or ()) or (
            not status.deleted and obj.is_published
        )
        if not was_published:
            continue
        for name in ("definition", "number", "instrument_id", "partnership_id", "status"):
            if state.attrs[name].history.has_changes():
                raise ServiceError(f"Published version {obj.number} cannot be changed")
