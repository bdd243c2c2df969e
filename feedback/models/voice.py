"""Child and family voice records, and the collections children and parents answer from a link.

Nothing here can hold who a child is: there is no column for a name, a date of birth or an
address. A record knows the age band, the kind of setting, the practitioner's agency and, if the
practitioner wants one, a short local reference of their own choosing (checked so that it is not
a date). Free text is kept only with consent; safeguarding cues are looked for before the text is
dropped, so a record without consent can still be flagged (the flag keeps the kinds of concern,
never the words).
"""

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base, enum_column
from feedback.models.accounts import User
from feedback.models.partnership import Agency


class VoiceChannel(enum.StrEnum):
    """How the voice reached us."""

    #: A practitioner wrote down what the child or parent said (after a three houses session...).
    MEDIATED = "mediated"
    #: The child or parent answered the form themselves, from a link or on a shared device.
    SELF_COMPLETED = "self_completed"

    @property
    def label(self) -> str:
        return {
            "mediated": "Recorded by a practitioner",
            "self_completed": "Completed by the child or parent",
        }[self.value]


class Respondent(enum.StrEnum):
    CHILD = "child"
    PARENT_CARER = "parent_carer"

    @property
    def label(self) -> str:
        return {"child": "Child or young person", "parent_carer": "Parent or carer"}[self.value]


class AgeBand(enum.StrEnum):
    """The child's age band; the library has a form for each."""

    AGE_4_7 = "4_7"
    AGE_8_12 = "8_12"
    AGE_13_17 = "13_17"

    @property
    def label(self) -> str:
        return {"4_7": "Age 4 to 7", "8_12": "Age 8 to 12", "13_17": "Age 13 to 17"}[self.value]


class SettingType(enum.StrEnum):
    """Where the voice was gathered, in the partnership's own words."""

    HOME = "home"
    SCHOOL = "school"
    EARLY_YEARS = "early_years"
    FAMILY_HUB = "family_hub"
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    YOUTH = "youth"
    CARE_HOME = "care_home"
    POLICE = "police"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SETTING_LABELS[self]


SETTING_LABELS = {
    SettingType.HOME: "Family home",
    SettingType.SCHOOL: "School or college",
    SettingType.EARLY_YEARS: "Nursery or early years setting",
    SettingType.FAMILY_HUB: "Family hub or children's centre",
    SettingType.HEALTH: "Health setting (clinic, GP, hospital)",
    SettingType.SOCIAL_CARE: "Children's social care (office, contact centre)",
    SettingType.YOUTH: "Youth service or youth club",
    SettingType.CARE_HOME: "Foster home or children's home",
    SettingType.POLICE: "Police setting",
    SettingType.OTHER: "Somewhere else",
}


class CaptureMethod(enum.StrEnum):
    """How a practitioner gathered what they record."""

    THREE_HOUSES = "three_houses"
    WISHES_FEELINGS = "wishes_feelings"
    CONVERSATION = "conversation"
    DRAWING_PLAY = "drawing_play"
    OBSERVATION = "observation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "three_houses": "Three houses",
            "wishes_feelings": "Wishes and feelings work",
            "conversation": "Conversation",
            "drawing_play": "Drawing or play",
            "observation": "Observation (for a child who does not use words)",
            "other": "Another way",
        }[self.value]


class ConsentBy(enum.StrEnum):
    """Who gave consent for the words to be kept and used."""

    PARENT_CARER = "parent_carer"
    #: A young person judged competent to decide for themselves (Gillick / Fraser).
    CHILD = "child"
    #: The local authority as corporate parent, for a child in its care.
    LOCAL_AUTHORITY = "local_authority"
    #: A parent or carer answering for themselves.
    SELF = "self"
    NOBODY = "nobody"

    @property
    def label(self) -> str:
        return {
            "parent_carer": "A parent or carer",
            "child": "The young person, who is competent to decide for themselves",
            "local_authority": "The local authority (for a child in its care)",
            "self": "The parent or carer, for themselves",
            "nobody": "Nobody: consent was not given",
        }[self.value]


class Sharing(enum.StrEnum):
    """What the child or parent agreed may be done with their words."""

    THEMES_ONLY = "themes_only"
    QUOTES = "quotes"

    @property
    def label(self) -> str:
        return {
            "themes_only": "Counted in themes and figures only, never quoted",
            "quotes": "May be quoted word for word, without anything that identifies them",
        }[self.value]


class VoiceCollection(Base):
    """A link (and QR code) a child or parent can answer from, on their own or a shared device.

    The link's token is a keyed hash of `token_nonce` (see feedback.services.messages); only
    its SHA-256 is looked up, and the match is confirmed in constant time.
    """

    __tablename__ = "voice_collection"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: What the partnership calls it, e.g. "Year 5 three houses, spring term".
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: The library form answered: child_voice_4_7, child_voice_8_12, child_voice_13_17 or
    #: family_voice; it fixes the respondent and the age band.
    form_key: so.Mapped[str] = so.mapped_column(sa.String(40))
    setting_type: so.Mapped[SettingType] = so.mapped_column(
        enum_column(SettingType, "collection_setting")
    )
    #: Which setting, in words, e.g. "Oakfield Family Hub" (never a child's details).
    setting_detail: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    #: For children's forms: who gave consent for the session (the child still gives assent).
    consent_by: so.Mapped[ConsentBy] = so.mapped_column(
        enum_column(ConsentBy, "collection_consent")
    )
    token_nonce: so.Mapped[str] = so.mapped_column(sa.String(32))
    #: Hex SHA-256 of the link token.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    #: Set when closed; the link then says so and takes no answers.
    closed_at: so.Mapped[datetime | None]

    agency: so.Mapped[Agency | None] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()


class VoiceRecord(Base):
    """What one child or parent told us, with the consent that governs it."""

    __tablename__ = "voice_record"
    __table_args__ = (sa.Index("ix_voice_record_flag", "partnership_id", "flagged"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    channel: so.Mapped[VoiceChannel] = so.mapped_column(enum_column(VoiceChannel, "voice_channel"))
    #: The collection a self-completed record came from.
    collection_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("voice_collection.id", ondelete="SET NULL"), index=True
    )
    #: The library form whose questions `answers` answers.
    form_key: so.Mapped[str] = so.mapped_column(sa.String(40))
    respondent: so.Mapped[Respondent] = so.mapped_column(
        enum_column(Respondent, "voice_respondent")
    )
    #: The child's age band; empty for a parent or carer.
    age_band: so.Mapped[AgeBand | None] = so.mapped_column(enum_column(AgeBand, "voice_age_band"))
    setting_type: so.Mapped[SettingType] = so.mapped_column(
        enum_column(SettingType, "voice_setting")
    )
    setting_detail: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    #: The practitioner's agency (the collection's, for a self-completed record).
    agency_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    #: A reference the practitioner chooses (a case number, "Group A"); never a name or a date.
    local_reference: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    method: so.Mapped[CaptureMethod | None] = so.mapped_column(
        enum_column(CaptureMethod, "voice_method")
    )
    #: The day the voice was gathered.
    occurred_on: so.Mapped[date] = so.mapped_column(index=True)
    #: For a child: whether they agreed (assent). Empty for a parent or carer.
    assent: so.Mapped[bool | None]
    consent_by: so.Mapped[ConsentBy] = so.mapped_column(enum_column(ConsentBy, "voice_consent"))
    #: True when the words may be kept: a parent's own consent, or a child's assent together
    #: with someone's consent. Without it no free text is stored and no text segments exist.
    consented: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: What was agreed about the words; empty without consent.
    sharing: so.Mapped[Sharing | None] = so.mapped_column(enum_column(Sharing, "voice_sharing"))
    #: The form's answers by question key; free text only when consented.
    answers: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    #: Free text was written but not kept, for want of consent.
    text_dropped: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: Something written suggested the child or adult may be at risk.
    flagged: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: The kinds of concern found (analysis.text.safeguarding categories), never the words.
    risk_categories: so.Mapped[list[str] | None] = so.mapped_column(sa.JSON)
    #: When the flag was raised, to the minute: the setting may need it to find the child.
    flagged_at: so.Mapped[datetime | None]
    followed_up_at: so.Mapped[datetime | None]
    followed_up_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: What the partnership team did about the flag.
    follow_up_note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: The practitioner who recorded it; empty for a self-completed record.
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: For a self-completed record only the day is kept, so the time cannot be matched to the
    #: child who was at the device then.
    created_at: so.Mapped[datetime] = so.mapped_column(default=clock.now)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, onupdate=clock.now)

    agency: so.Mapped[Agency | None] = so.relationship()
    collection: so.Mapped[VoiceCollection | None] = so.relationship()
    recorded_by: so.Mapped[User | None] = so.relationship(foreign_keys=[recorded_by_id])
    followed_up_by: so.Mapped[User | None] = so.relationship(foreign_keys=[followed_up_by_id])

    @property
    def awaiting_follow_up(self) -> bool:
        return self.flagged and self.followed_up_at is None

    def __repr__(self) -> str:
        return f"<VoiceRecord {self.id}>"
