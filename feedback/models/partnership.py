"""The partnership, its member agencies and the practitioners who can be surveyed."""

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base


class Sector(enum.StrEnum):
    """The kind of organisation an agency is, in the partnership's own words."""

    POLICE = "police"
    HEALTH = "health"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    EDUCATION = "education"
    EARLY_YEARS = "early_years"
    VOLUNTARY = "voluntary"
    PROBATION = "probation"
    HOUSING = "housing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    Sector.POLICE: "Police",
    Sector.HEALTH: "Health",
    Sector.CHILDRENS_SOCIAL_CARE: "Children's social care",
    Sector.EDUCATION: "Education",
    Sector.EARLY_YEARS: "Early years",
    Sector.VOLUNTARY: "Voluntary sector",
    Sector.PROBATION: "Probation",
    Sector.HOUSING: "Housing",
    Sector.OTHER: "Other",
}


class Partnership(Base):
    """A Safeguarding Children Partnership: the tenant everything else belongs to."""

    __tablename__ = "partnership"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The partnership's public name, shown beside the service name.
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    #: Reports show no count below this for anyone but admins.
    disclosure_threshold: so.Mapped[int] = so.mapped_column(default=10, server_default="10")
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    #: The privacy notice respondents are shown, as the admins wrote it; empty means the
    #: service's default text (feedback.services.privacy.default_privacy_notice).
    privacy_notice: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: Who respondents contact about their data (an address, a role), used by the default notice.
    privacy_contact: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    #: Months after a campaign closes that identifiable links are kept, by campaign purpose
    #: ({"survey": 24, "post_course": 12}); a purpose not named keeps the default of 24.
    retention_months: so.Mapped[dict[str, int] | None] = so.mapped_column(
        sa.JSON(none_as_null=True)
    )
    #: When the retention job last looked at this partnership's closed campaigns; it looks
    #: at most hourly, since periods are counted in months.
    retention_checked_at: so.Mapped[datetime | None]

    agencies: so.WriteOnlyMapped["Agency"] = so.relationship(back_populates="partnership")


class Agency(Base):
    """A member organisation: a police force, a trust, a school, a charity."""

    __tablename__ = "agency"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: Unique within the partnership; CSV imports match agencies by this name.
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    sector: so.Mapped[Sector] = so.mapped_column(
        sa.Enum(
            Sector,
            native_enum=False,
            length=40,
            create_constraint=True,
            name="sector",
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)

    partnership: so.Mapped[Partnership] = so.relationship(back_populates="agencies")

    def __repr__(self) -> str:
        return f"<Agency {self.id} {self.name!r}>"


class Person(Base):
    """A practitioner who can be invited to answer; not an account holder."""

    __tablename__ = "person"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "email"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: Stored lower-cased, so one practitioner is one row however they typed it.
    email: so.Mapped[str] = so.mapped_column(sa.String(320))
    agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    job_role: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    team: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    #: Set when they use an opt-out link; an opted-out person is never invited again.
    opted_out_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)

    agency: so.Mapped[Agency | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Person {self.id}>"
