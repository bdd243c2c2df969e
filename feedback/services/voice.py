"""Child and family voice: recording it, the consent rules, the safeguarding prompt, who sees what.

The rules, in one place for the pages, the API and the public link alike:

- Nothing that says who a child is is ever asked for or stored: an age band, the kind of setting,
  the practitioner's agency and an optional local reference (refused if it holds a date or looks
  like a name).
- Consent: a child's words are kept only when the child assents and someone with the right to
  has consented (a parent or carer, the young person themselves if competent, or the local
  authority for a child in its care); a parent's words only with their own consent. Without it,
  free text is dropped before anything is written, and no text segments exist.
- Safeguarding: every free text is read for cues of risk (analysis.text.safeguarding) before
  anything is dropped. A cue flags the record for the partnership team and the person recording
  is told at once that this platform is not a referral route.
- Only admins and the practitioner who recorded it see a record; every view is audited. Everyone
  else sees counts and themes, with small counts hidden (analysis.disclosure).
"""

from __future__ import annotations

import calendar
import hmac
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

import sqlalchemy as sa

import forms
from analysis.disclosure import Cell, suppress_counts
from analysis.text.safeguarding import CATEGORY_LABELS, RiskSignal, risk_signals
from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Partnership, Role, SourceType, User
from feedback.models.codebook import CodebookTheme, CodeStatus, SegmentCode
from feedback.models.learning import TextSegment
from feedback.models.voice import (
    AgeBand,
    CaptureMethod,
    ConsentBy,
    Respondent,
    SettingType,
    Sharing,
    VoiceChannel,
    VoiceCollection,
    VoiceRecord,
)
from feedback.services import (
    NotFound,
    ServiceError,
    audit,
    home,
    messages,
    transaction,
    whole_number_or_none,
)
from feedback.services.segments import SegmentText, delete_for_source, replace_for_source

#: Practitioner-facing roles that record what children and families say. Analysts and viewers
#: read only counts and themes.
RECORDERS = (Role.ADMIN, Role.SCRUTINEER, Role.TRAINER)

#: The library form for each respondent and age band.
FORMS: dict[str, tuple[Respondent, AgeBand | None]] = {
    "child_voice_4_7": (Respondent.CHILD, AgeBand.AGE_4_7),
    "child_voice_8_12": (Respondent.CHILD, AgeBand.AGE_8_12),
    "child_voice_13_17": (Respondent.CHILD, AgeBand.AGE_13_17),
    "family_voice": (Respondent.PARENT_CARER, None),
}
FORM_LABELS = {
    "child_voice_4_7": "A child aged 4 to 7",
    "child_voice_8_12": "A child aged 8 to 12",
    "child_voice_13_17": "A young person aged 13 to 17",
    "family_voice": "A parent or carer",
}
CHILD_CONSENT = (ConsentBy.PARENT_CARER, ConsentBy.CHILD, ConsentBy.LOCAL_AUTHORITY)

#: What the person recording sees, and the API returns, when a cue of risk is found.
SAFEGUARDING_PROMPT = (
    "This platform is not a referral route. What was written suggests the child or adult may be "
    "at risk. Follow your agency's safeguarding procedures now: speak to your designated "
    "safeguarding lead or make a referral to children's social care today, and call 999 if "
    "anyone is in immediate danger. The record has been flagged for the partnership team, but "
    "that does not replace your referral."
)
TEXT_DROPPED_NOTICE = (
    "Consent was not given, so what was written has not been kept: only the ratings and "
    "choices were saved."
)

#: The message a child or parent sees after answering from a link: the same for everyone, so a
#: shared device never shows the next person what the last one wrote (see the voice notes).
HELP_MESSAGES = {
    "child_voice_4_7": (
        "If something is worrying you, or someone is hurting you, tell a grown-up you trust, "
        "like your teacher, someone in your family or your social worker.",
        "You can also phone Childline on 0800 1111. It is free, and they will listen.",
    ),
    "child_voice_8_12": (
        "If you are worried about anything, or someone is hurting you, please tell an adult you "
        "trust, like a teacher, someone in your family or your social worker.",
        "You can talk to Childline about anything, any time: phone 0800 1111 or go to "
        "childline.org.uk. It is free and will not show on a phone bill.",
    ),
    "child_voice_13_17": (
        "If you are worried about your safety, or someone else's, talk to an adult you trust, "
        "such as a teacher, a youth worker or your social worker.",
        "Childline is free and confidential: phone 0800 1111 or chat online at "
        "childline.org.uk. If you are in danger now, call 999.",
    ),
    "family_voice": (
        "If you are worried about a child's safety, contact your local children's services or "
        "the NSPCC helpline on 0808 800 5000. If anyone is in danger now, call 999.",
        "Children and young people can talk to Childline, free, on 0800 1111.",
    ),
}

MAX_FOLLOW_UP_NOTE = 2000
MAX_PER_PAGE = 100


# -- The forms -----------------------------------------------------------------------------------


@cache
def _definition(form_key: str) -> dict[str, Any]:
    library = forms.library.load(form_key)
    questions = [
        q for page in library["pages"] for q in page["questions"] if q["type"] != "consent"
    ]
    first = library["pages"][0]
    return {
        **{k: v for k, v in library.items() if k != "pages"},
        "pages": [{"key": first["key"], "title": library["title"], "questions": questions}],
    }


def definition(form_key: str) -> dict[str, Any]:
    """The library form as one page, without its consent question: consent is asked separately,
    the same way for every form, so a record without consent can still be kept without words.
    Treat the result as read-only."""
    if form_key not in FORMS:
        raise ServiceError(f"Choose one of the voice forms: {', '.join(FORMS)}", field="form_key")
    return _definition(form_key)


def questions(form_key: str) -> list[dict[str, Any]]:
    """The form's questions, in order (its one page's)."""
    return list(definition(form_key)["pages"][0]["questions"])


# -- Checking what is entered --------------------------------------------------------------------


class VoiceInputError(ServiceError):
    """Several things wrong at once; `details` locates each ({path, message})."""

    def __init__(self, details: list[dict[str, str]]):
        super().__init__(details[0]["message"], field=details[0]["path"])
        self.details = details


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE_PATTERNS = [
    re.compile(r"(?<!\d)\d{1,2}[/.\-\\ ]\d{1,2}[/.\-\\ ]\d{2,4}(?!\d)"),
    re.compile(r"(?<!\d)\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}(?!\d)"),
    re.compile(rf"(?<!\d)\d{{1,2}}(?:st|nd|rd|th)?[ ./-]?(?:{_MONTHS})[a-z]*", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS})[a-z]*[ ./-]?\d{{2,4}}(?!\d)", re.IGNORECASE),
]
_DIGIT_RUN = re.compile(r"(?<!\d)(\d{6}|\d{8})(?!\d)")
_WORDS_IN_A_ROW = re.compile(r"[A-Za-z]{2,}[ .'-]+[A-Za-z]{2,}")
_REFERENCE_CHARACTERS = re.compile(r"^[A-Za-z0-9 /._#-]*$")


def _is_date(day: int, month: int, year: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _digits_look_like_a_date(run: str) -> bool:
    """ddmmyy, ddmmyyyy or yyyymmdd with a plausible year of birth."""
    if len(run) == 6:
        return _is_date(int(run[:2]), int(run[2:4]), 2000 + int(run[4:]))
    day_first = 1990 <= int(run[4:]) <= 2040 and _is_date(int(run[:2]), int(run[2:4]), 2000)
    year_first = 1990 <= int(run[:4]) <= 2040 and _is_date(
        int(run[6:]), int(run[4:6]), int(run[:4])
    )
    return day_first or year_first


def check_local_reference(raw: str | None) -> str | None:
    """The practitioner's own reference, cleaned; refused when it could identify a child."""
    text = (raw or "").strip()
    if not text:
        return None
    problem = None
    if len(text) > 40:
        problem = "Local reference must be 40 characters or fewer"
    elif not _REFERENCE_CHARACTERS.match(text):
        problem = "Local reference can only use letters, numbers, spaces and - / _ . #"
    elif any(p.search(text) for p in _DATE_PATTERNS) or any(
        _digits_look_like_a_date(m.group(1)) for m in _DIGIT_RUN.finditer(text)
    ):
        problem = (
            "Local reference must not contain a date: a date of birth with initials can "
            "identify a child. Use a reference from your own system, such as a case number "
            "(for example CIN-4821) or a group label (for example Group A)"
        )
    elif _WORDS_IN_A_ROW.search(text):
        problem = (
            "Local reference must not look like a name: never use the child's name. Use a "
            "reference from your own system, such as a case number (for example CIN-4821) or "
            "a group label (for example Group A)"
        )
    if problem:
        raise ServiceError(problem, field="local_reference")
    return text


def clean_answers(form_key: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers as stored JSON, each checked by its question type; every problem located."""
    known = {q["key"]: q for q in questions(form_key)}
    details: list[dict[str, str]] = []
    cleaned: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        question = known.get(key)
        if question is not None and (value is None or question["type"] == "info"):
            continue
        if question is None:
            details.append(
                {
                    "path": f"answers.{str(key)[:60]}",
                    "message": f"There is no question {str(key)[:60]!r} on the {form_key} form",
                }
            )
            continue
        try:
            stored = forms.to_storage(question, forms.clean_answer(question, value))
        except forms.AnswerError as exc:
            part, message = exc.errors[0]
            path = f"answers.{key}.{part}" if part else f"answers.{key}"
            details.append({"path": path, "message": message})
            continue
        except (TypeError, ValueError, AttributeError):
            details.append({"path": f"answers.{key}", "message": "This answer is not valid"})
            continue
        if stored is not None:
            cleaned[key] = stored
    if details:
        raise VoiceInputError(details)
    return cleaned


def free_texts(form_key: str, answers: Mapping[str, Any]) -> list[SegmentText]:
    """Every piece of free text in the answers, with the question it answers."""
    texts = []
    for question in questions(form_key):
        stored = answers.get(question["key"])
        if stored is None:
            continue
        for text in forms.answer_texts(question, stored):
            if text and text.strip():
                texts.append(SegmentText(question["key"], text.strip(), question["label"]))
    return texts


def _without_text(form_key: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with every word of free text removed; choices and ratings stay."""
    kept: dict[str, Any] = {}
    for question in questions(form_key):
        key = question["key"]
        if key not in answers:
            continue
        stored = answers[key]
        if not forms.answer_texts(question, stored):
            kept[key] = stored
        elif isinstance(stored, Mapping) and "selected" in stored:
            kept[key] = {k: v for k, v in stored.items() if k != "other"}
    return kept


def signals_in(texts: Iterable[str]) -> list[RiskSignal]:
    """Cues of risk across several texts, once per kind of concern."""
    found: dict[str, RiskSignal] = {}
    for text in texts:
        for signal in risk_signals(text):
            found.setdefault(signal.category, signal)
    return list(found.values())


def category_labels(categories: Iterable[str] | None) -> list[str]:
    return [CATEGORY_LABELS.get(c, c) for c in categories or []]


# -- Recording -----------------------------------------------------------------------------------


@dataclass
class VoiceSpec:
    """What a practitioner records; `answers` may be raw (the API) or stored (a page form)."""

    form_key: str
    setting_type: str
    agency_id: int | None
    occurred_on: date | None
    method: str | None
    consent_by: str | None
    assent: bool | None = None
    sharing: str | None = None
    setting_detail: str | None = None
    local_reference: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What recording did: the record, any cues of risk, and whether words were dropped."""

    record: VoiceRecord
    signals: list[RiskSignal]
    text_dropped: bool

    @property
    def prompt(self) -> str | None:
        return SAFEGUARDING_PROMPT if self.signals else None


def _enum(kind: type, value: Any, field_name: str, message: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ServiceError(message, field=field_name) from None


def _consent(
    respondent: Respondent, consent_by: Any, assent: bool | None, sharing: Any
) -> tuple[ConsentBy, bool | None, bool, Sharing | None]:
    """(who consented, assent, whether words may be kept, what may be shared)."""
    details = []
    allowed = (
        (*CHILD_CONSENT, ConsentBy.NOBODY)
        if respondent == Respondent.CHILD
        else (
            ConsentBy.SELF,
            ConsentBy.NOBODY,
        )
    )
    who = ConsentBy(consent_by) if consent_by in {c.value for c in ConsentBy} else None
    if who is None or who not in allowed:
        details.append(
            {
                "path": "consent_by",
                "message": "Say who gave consent, or that nobody did"
                if respondent == Respondent.CHILD
                else "Say whether the parent or carer gave consent",
            }
        )
    if respondent == Respondent.CHILD and not isinstance(assent, bool):
        details.append(
            {"path": "assent", "message": "Say whether the child agreed to share their views"}
        )
    if respondent == Respondent.PARENT_CARER:
        assent = None
    consented = (
        who in allowed
        and who != ConsentBy.NOBODY
        and (respondent == Respondent.PARENT_CARER or assent is True)
    )
    shared = None
    if consented:
        try:
            shared = Sharing(sharing) if sharing else None
        except ValueError:
            shared = None
        if shared is None:
            details.append(
                {
                    "path": "sharing",
                    "message": "Say what the child or parent agreed may be shared: themes "
                    "only, or their words quoted without anything that identifies them",
                }
            )
    if details:
        raise VoiceInputError(details)
    assert who is not None
    return who, assent, consented, shared


def check(partnership: Partnership, spec: VoiceSpec) -> dict[str, Any]:
    """Every field of a practitioner's record, checked; every problem located at once."""
    details: list[dict[str, str]] = []
    values: dict[str, Any] = {}

    def attempt(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except VoiceInputError as exc:
            details.extend(exc.details)
        except ServiceError as exc:
            details.append({"path": exc.field or "", "message": exc.message})
        return None

    if spec.form_key not in FORMS:
        raise ServiceError(f"Choose who is speaking: one of {', '.join(FORMS)}", field="form_key")
    respondent, age_band = FORMS[spec.form_key]
    values.update(form_key=spec.form_key, respondent=respondent, age_band=age_band)
    values["setting_type"] = attempt(
        _enum, SettingType, spec.setting_type, "setting_type", "Choose the kind of setting"
    )
    detail = (spec.setting_detail or "").strip()
    if len(detail) > 120:
        details.append(
            {"path": "setting_detail", "message": "Setting must be 120 characters or fewer"}
        )
    values["setting_detail"] = detail or None
    agency = (
        db.session.scalar(
            sa.select(Agency).where(
                Agency.id == spec.agency_id, Agency.partnership_id == partnership.id
            )
        )
        if isinstance(spec.agency_id, int) and 0 < spec.agency_id < 2**31
        else None
    )
    if agency is None:
        details.append({"path": "agency_id", "message": "Choose your agency from the list"})
    values["agency_id"] = agency.id if agency else None
    values["local_reference"] = attempt(check_local_reference, spec.local_reference)
    values["method"] = attempt(
        _enum, CaptureMethod, spec.method, "method", "Choose how you gathered the child's voice"
    )
    if spec.occurred_on is None:
        details.append({"path": "occurred_on", "message": "Enter the date you gathered it"})
    elif spec.occurred_on > clock.today():
        details.append({"path": "occurred_on", "message": "The date must be today or in the past"})
    values["occurred_on"] = spec.occurred_on
    consent = attempt(_consent, respondent, spec.consent_by, spec.assent, spec.sharing)
    values["answers"] = attempt(clean_answers, spec.form_key, spec.answers)
    if details:
        raise VoiceInputError(details)
    values["consent_by"], values["assent"], values["consented"], values["sharing"] = consent
    return values


def _apply_words(
    record: VoiceRecord, answers: dict[str, Any], consented: bool
) -> tuple[list[RiskSignal], bool, list[str]]:
    """Read the words for risk, then keep them only with consent.

    Returns (signals, whether words were dropped, kinds of concern new to this record). A flag
    is never cleared by an edit; a new kind of concern reopens one already followed up.
    """
    texts = free_texts(record.form_key, answers)
    signals = signals_in(t.text for t in texts)
    dropped = bool(texts) and not consented
    record.answers = answers if consented else _without_text(record.form_key, answers)
    record.text_dropped = dropped or (bool(record.text_dropped) and not consented)
    before = list(record.risk_categories or [])
    new = [s.category for s in signals if s.category not in before]
    if new:
        if not record.flagged or record.followed_up_at is not None:
            record.flagged_at = clock.now()
        record.flagged = True
        record.risk_categories = [*before, *new]
        record.followed_up_at = None
        record.followed_up_by_id = None
    return signals, dropped, new


def _segments(record: VoiceRecord) -> None:
    """The record's free text as text segments, in the caller's transaction; none without
    consent."""
    if not record.consented:
        delete_for_source(SourceType.VOICE, record.id)
        return
    replace_for_source(
        record.partnership_id,
        SourceType.VOICE,
        record.id,
        free_texts(record.form_key, record.answers),
        occurred_on=record.occurred_on,
        agency_id=record.agency_id,
        respondent_key=str(record.id),
    )


def _flag_audit(record: VoiceRecord, user: User | None, new: list[str]) -> None:
    if new:
        audit.record(
            "voice.flagged",
            user=user,
            partnership_id=record.partnership_id,
            record_type="voice_record",
            record_id=record.id,
            detail={"categories": sorted(new)},
        )


def record_voice(partnership: Partnership, spec: VoiceSpec, actor: User) -> Outcome:
    """A practitioner's record of what a child or parent said, all or nothing."""
    if actor.role not in RECORDERS:
        raise ServiceError("Your role cannot record child and family voice")
    values = check(partnership, spec)
    answers = values.pop("answers")
    with transaction():
        record = VoiceRecord(
            partnership_id=partnership.id,
            channel=VoiceChannel.MEDIATED,
            recorded_by_id=actor.id,
            answers={},
            flagged=False,
            text_dropped=False,
            **values,
        )
        db.session.add(record)
        signals, dropped, new = _apply_words(record, answers, record.consented)
        db.session.flush()
        _segments(record)
        audit.record(
            "voice.recorded",
            user=actor,
            record_type="voice_record",
            record_id=record.id,
            detail={
                "form": record.form_key,
                "consented": record.consented,
                "text_dropped": dropped,
                "flagged": bool(signals),
            },
        )
        _flag_audit(record, actor, new)
    return Outcome(record, signals, dropped)


def update_voice(record: VoiceRecord, spec: VoiceSpec, actor: User) -> Outcome:
    """Change a practitioner's record (consent withdrawn drops the words and their segments)."""
    if not may_edit(record, actor):
        raise NotFound(f"There is no voice record {record.id} you can change")
    if spec.form_key != record.form_key:
        raise ServiceError("The form of a record cannot change", field="form_key")
    values = check(actor.partnership, spec)
    answers = values.pop("answers")
    with transaction():
        for name, value in values.items():
            setattr(record, name, value)
        signals, dropped, new = _apply_words(record, answers, record.consented)
        _segments(record)
        audit.record(
            "voice.updated",
            user=actor,
            record_type="voice_record",
            record_id=record.id,
            detail={
                "consented": record.consented,
                "text_dropped": dropped,
                "flagged": bool(signals),
            },
        )
        _flag_audit(record, actor, new)
    return Outcome(record, signals, dropped)


def follow_up(record: VoiceRecord, note: str, actor: User) -> None:
    """The partnership team marks a flag as followed up, saying what was done."""
    if actor.role != Role.ADMIN:
        raise ServiceError("Only the partnership team can follow up a flag")
    if not record.flagged:
        raise ServiceError("This record is not flagged", field="note")
    if record.followed_up_at is not None:
        raise ServiceError("This flag has already been followed up", field="note")
    note = (note or "").strip()
    if not note:
        raise ServiceError("Enter what was done to follow up the flag", field="note")
    if len(note) > MAX_FOLLOW_UP_NOTE:
        raise ServiceError(
            f"The note must be {MAX_FOLLOW_UP_NOTE:,} characters or fewer", field="note"
        )
    with transaction():
        record.followed_up_at = clock.now()
        record.followed_up_by_id = actor.id
        record.follow_up_note = note
        audit.record(
            "voice.followed_up",
            user=actor,
            record_type="voice_record",
            record_id=record.id,
        )


# -- Who sees what -------------------------------------------------------------------------------


def may_see(record: VoiceRecord, user: User) -> bool:
    """Admins, and the practitioner who recorded it; nobody else sees an individual record."""
    if record.partnership_id != user.partnership_id:
        return False
    return user.role == Role.ADMIN or (user.role in RECORDERS and record.recorded_by_id == user.id)


def may_edit(record: VoiceRecord, user: User) -> bool:
    return record.channel == VoiceChannel.MEDIATED and may_see(record, user)


def get_record(partnership: Partnership, record_id: int, viewer: User) -> VoiceRecord:
    """The record if the viewer may see it; NotFound otherwise (no hint that it exists)."""
    record = (
        db.session.scalar(
            sa.select(VoiceRecord).where(
                VoiceRecord.id == record_id, VoiceRecord.partnership_id == partnership.id
            )
        )
        if 0 < record_id < 2**31
        else None
    )
    if record is None or not may_see(record, viewer):
        raise NotFound(f"There is no voice record {record_id} you can see", field="id")
    return record


def view_record(partnership: Partnership, record_id: int, viewer: User, via: str) -> VoiceRecord:
    """get_record, with the view written to the audit log."""
    record = get_record(partnership, record_id, viewer)
    with transaction():
        audit.record(
            "voice.viewed",
            user=viewer,
            record_type="voice_record",
            record_id=record.id,
            detail={"via": via},
        )
    return record


def record_views(records: list[VoiceRecord], viewer: User, via: str) -> None:
    """Audit the viewer seeing each of these records in full (an API page, say)."""
    if not records:
        return
    with transaction():
        for record in records:
            audit.record(
                "voice.viewed",
                user=viewer,
                record_type="voice_record",
                record_id=record.id,
                detail={"via": via},
            )


def _visible(partnership: Partnership, viewer: User) -> sa.Select[tuple[VoiceRecord]]:
    stmt = sa.select(VoiceRecord).where(VoiceRecord.partnership_id == partnership.id)
    if viewer.role == Role.ADMIN:
        return stmt
    if viewer.role in RECORDERS:
        return stmt.where(VoiceRecord.recorded_by_id == viewer.id)
    return stmt.where(sa.false())


def list_records(
    partnership: Partnership, viewer: User, page: int = 1, per_page: int = 50
) -> tuple[list[VoiceRecord], int]:
    """The records the viewer may see (all for admins, their own for recorders), newest first."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    stmt = _visible(partnership, viewer)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    records = db.session.scalars(
        stmt.order_by(VoiceRecord.occurred_on.desc(), VoiceRecord.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(records), total


def flagged_records(partnership: Partnership, open_only: bool = False) -> list[VoiceRecord]:
    """Flagged records for the partnership team: awaiting follow-up first, oldest flag first."""
    stmt = sa.select(VoiceRecord).where(
        VoiceRecord.partnership_id == partnership.id, VoiceRecord.flagged.is_(True)
    )
    if open_only:
        stmt = stmt.where(VoiceRecord.followed_up_at.is_(None))
    stmt = stmt.order_by(
        VoiceRecord.followed_up_at.is_not(None), VoiceRecord.flagged_at, VoiceRecord.id
    )
    return list(db.session.scalars(stmt))


def count_open_flags(partnership_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(VoiceRecord)
            .where(
                VoiceRecord.partnership_id == partnership_id,
                VoiceRecord.flagged.is_(True),
                VoiceRecord.followed_up_at.is_(None),
            )
        )
        or 0
    )


def quotable_record_ids(partnership_id: int, record_ids: Iterable[str]) -> set[str]:
    """Which voice records (by text segment source_id) agreed to be quoted word for word.

    Evidence pages that quote text segments should quote a voice segment only when its record
    is in this set; the others count towards themes only.
    """
    ids = [n for i in record_ids if (n := whole_number_or_none(str(i))) is not None]
    if not ids:
        return set()
    rows = db.session.scalars(
        sa.select(VoiceRecord.id).where(
            VoiceRecord.partnership_id == partnership_id,
            VoiceRecord.id.in_(ids),
            VoiceRecord.sharing == Sharing.QUOTES,
        )
    )
    return {str(i) for i in rows}


# -- Counts and themes for everyone --------------------------------------------------------------


@dataclass
class CountTable:
    """One breakdown of records; cells are counts or Suppressed ("[c]")."""

    key: str
    title: str
    rows: list[tuple[str, Cell]]
    total: Cell | None

    @property
    def hidden(self) -> bool:
        return any(not isinstance(c, int) for _, c in self.rows) or (
            self.total is not None and not isinstance(self.total, int)
        )


@dataclass
class VoiceSummary:
    threshold: int
    #: True when small counts are hidden for this reader.
    suppressing: bool
    total: Cell
    tables: list[CountTable]
    themes: CountTable


def _month_label(day: date) -> str:
    return f"{calendar.month_name[day.month]} {day.year}"


def _last_months(today: date, n: int = 12) -> list[tuple[int, int]]:
    months = []
    year, month = today.year, today.month
    for _ in range(n):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def summary(partnership: Partnership, role: Role | str) -> VoiceSummary:
    """Counts by age band, setting, agency, month and channel, and confirmed themes.

    For everyone but admins, counts under the partnership's disclosure threshold, and any count
    that would give one away, are hidden.
    """
    threshold = partnership.disclosure_threshold
    suppressing = Role(role) != Role.ADMIN
    rows = db.session.execute(
        sa.select(
            VoiceRecord.id,
            VoiceRecord.respondent,
            VoiceRecord.age_band,
            VoiceRecord.setting_type,
            VoiceRecord.agency_id,
            VoiceRecord.occurred_on,
            VoiceRecord.channel,
        ).where(VoiceRecord.partnership_id == partnership.id)
    ).all()
    agencies = dict(
        db.session.execute(
            sa.select(Agency.id, Agency.name).where(Agency.partnership_id == partnership.id)
        ).all()
    )

    def hide(
        counts: dict[str, int], total_shown: bool = True
    ) -> tuple[dict[str, Cell], Cell | None]:
        total = sum(counts.values())
        if not suppressing:
            return dict(counts), total if total_shown else None
        row = suppress_counts(counts, threshold, total_shown)
        return dict(row.cells), row.total

    def table(key: str, title: str, counts: dict[str, int]) -> CountTable:
        cells, total = hide(counts)
        return CountTable(key, title, list(cells.items()), total)

    by_band: dict[str, int] = {band.label: 0 for band in AgeBand}
    by_band[Respondent.PARENT_CARER.label] = 0
    by_setting: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    by_channel: dict[str, int] = {c.label: 0 for c in VoiceChannel}
    months = _last_months(clock.today())
    by_month = {_month_label(date(y, m, 1)): 0 for y, m in months}
    earlier = 0
    for _, respondent, band, setting, agency_id, occurred_on, channel in rows:
        by_band[band.label if band else Respondent(respondent).label] += 1
        by_setting[SettingType(setting).label] += 1
        by_agency[agencies.get(agency_id, "Agency not recorded")] += 1
        by_channel[VoiceChannel(channel).label] += 1
        label = _month_label(occurred_on)
        if label in by_month:
            by_month[label] += 1
        else:
            earlier += 1
    if earlier:
        by_month = {"Earlier": earlier, **by_month}
    setting_counts = {s.label: by_setting.get(s.label, 0) for s in SettingType}
    agency_counts = dict(sorted(by_agency.items()))
    tables = [
        table("age_band", "Records by age band", by_band),
        table("setting", "Records by kind of setting", setting_counts),
        table("agency", "Records by agency", agency_counts),
        table("month", "Records by month gathered", by_month),
        table("channel", "How the voice reached us", by_channel),
    ]
    total = hide({"all": len(rows)}, total_shown=False)[0]["all"]
    theme_counts = _theme_counts(partnership)
    theme_cells, _ = hide(theme_counts, total_shown=False)
    themes = CountTable(
        "themes",
        "Records by theme (confirmed by analysts)",
        # Shown counts largest first, hidden ones after in alphabetical order.
        sorted(
            theme_cells.items(),
            key=lambda kv: (0, -kv[1], kv[0]) if isinstance(kv[1], int) else (1, 0, kv[0]),
        ),
        None,
    )
    return VoiceSummary(
        threshold=threshold,
        suppressing=suppressing,
        total=total,
        tables=tables,
        themes=themes,
    )


def _theme_counts(partnership: Partnership) -> dict[str, int]:
    """Distinct voice records with each theme an analyst confirmed, by the theme's label."""
    rows = db.session.execute(
        sa.select(SegmentCode.theme_key, sa.func.count(sa.distinct(TextSegment.source_id)))
        .join(TextSegment, TextSegment.id == SegmentCode.segment_id)
        .where(
            TextSegment.partnership_id == partnership.id,
            TextSegment.source_type == SourceType.VOICE,
            SegmentCode.status == CodeStatus.CONFIRMED,
            SegmentCode.coder_id.is_(None),
        )
        .group_by(SegmentCode.theme_key)
    ).all()
    labels = dict(
        db.session.execute(
            sa.select(CodebookTheme.key, CodebookTheme.label).where(
                CodebookTheme.partnership_id == partnership.id
            )
        ).all()
    )
    return {labels.get(key, key.replace("_", " ").capitalize()): n for key, n in rows}


# -- Collections: a link for children and parents ------------------------------------------------


@dataclass
class CollectionSpec:
    title: str
    form_key: str
    setting_type: str
    agency_id: int | None
    consent_by: str | None = None
    setting_detail: str | None = None


def create_collection(
    partnership: Partnership, spec: CollectionSpec, actor: User
) -> VoiceCollection:
    """A link children or parents answer a voice form from, on their own or a shared device."""
    details: list[dict[str, str]] = []
    title = (spec.title or "").strip()
    if not title:
        details.append({"path": "title", "message": "Enter a title for the collection"})
    elif len(title) > 200:
        details.append({"path": "title", "message": "Title must be 200 characters or fewer"})
    if spec.form_key not in FORMS:
        details.append({"path": "form_key", "message": "Choose who will answer"})
    try:
        setting = SettingType(spec.setting_type)
    except ValueError:
        details.append({"path": "setting_type", "message": "Choose the kind of setting"})
    detail = (spec.setting_detail or "").strip() or None
    if detail and len(detail) > 120:
        details.append(
            {"path": "setting_detail", "message": "Setting must be 120 characters or fewer"}
        )
    agency = (
        db.session.scalar(
            sa.select(Agency).where(
                Agency.id == spec.agency_id, Agency.partnership_id == partnership.id
            )
        )
        if isinstance(spec.agency_id, int) and 0 < spec.agency_id < 2**31
        else None
    )
    if agency is None:
        details.append({"path": "agency_id", "message": "Choose the agency running it"})
    consent = ConsentBy.SELF
    if spec.form_key in FORMS and FORMS[spec.form_key][0] == Respondent.CHILD:
        try:
            consent = ConsentBy(spec.consent_by or "")
        except ValueError:
            consent = ConsentBy.NOBODY
        if consent not in CHILD_CONSENT:
            details.append(
                {
                    "path": "consent_by",
                    "message": "Say who has given consent for the children taking part",
                }
            )
    if details:
        raise VoiceInputError(details)
    nonce = messages.new_nonce()
    with transaction():
        collection = VoiceCollection(
            partnership_id=partnership.id,
            title=title,
            form_key=spec.form_key,
            setting_type=setting,
            setting_detail=detail,
            agency_id=agency.id if agency else None,
            consent_by=consent,
            token_nonce=nonce,
            token_hash=messages.hash_token(_token(nonce)),
            created_by_id=actor.id,
        )
        db.session.add(collection)
        db.session.flush()
        audit.record(
            "voice_collection.created",
            user=actor,
            record_type="voice_collection",
            record_id=collection.id,
            detail={"form": spec.form_key},
        )
    return collection


def _token(nonce: str) -> str:
    return messages.token_for("voice", nonce)


def collection_path(collection: VoiceCollection) -> str:
    return f"/v/{_token(collection.token_nonce)}"


def list_collections(partnership: Partnership) -> list[tuple[VoiceCollection, int]]:
    """Every collection with how many records came from it, open ones first, newest first."""
    rows = db.session.execute(
        sa.select(VoiceCollection, sa.func.count(VoiceRecord.id))
        .outerjoin(VoiceRecord, VoiceRecord.collection_id == VoiceCollection.id)
        .where(VoiceCollection.partnership_id == partnership.id)
        .group_by(VoiceCollection.id)
        .order_by(VoiceCollection.closed_at.is_not(None), VoiceCollection.id.desc())
    ).all()
    return [(collection, n) for collection, n in rows]


def get_collection(partnership: Partnership, collection_id: int) -> VoiceCollection:
    collection = (
        db.session.scalar(
            sa.select(VoiceCollection).where(
                VoiceCollection.id == collection_id,
                VoiceCollection.partnership_id == partnership.id,
            )
        )
        if 0 < collection_id < 2**31
        else None
    )
    if collection is None:
        raise NotFound(f"There is no voice collection {collection_id}")
    return collection


def count_from_collection(collection: VoiceCollection) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(VoiceRecord)
            .where(VoiceRecord.collection_id == collection.id)
        )
        or 0
    )


def close_collection(collection: VoiceCollection, actor: User) -> None:
    if collection.closed_at is not None:
        raise ServiceError("This collection is already closed")
    with transaction():
        collection.closed_at = clock.now()
        audit.record(
            "voice_collection.closed",
            user=actor,
            record_type="voice_collection",
            record_id=collection.id,
        )


def find_collection(token: str) -> VoiceCollection | None:
    """The collection a public link names, or None; the token is confirmed in constant time."""
    if not token or len(token) > 64:
        return None
    collection = db.session.scalar(
        sa.select(VoiceCollection).where(VoiceCollection.token_hash == messages.hash_token(token))
    )
    if collection is None or not hmac.compare_digest(_token(collection.token_nonce), token):
        return None
    return collection


def record_from_collection(
    collection: VoiceCollection,
    answers: Mapping[str, Any],
    agreed: bool,
    may_quote: bool | None,
) -> Outcome:
    """A child's or parent's own answers from a collection's link, all or nothing.

    For a child, `agreed` is their assent (the collection says who gave consent); for a parent
    it is their consent. Only the day is kept, never the time, unless the words are flagged.
    """
    if collection.closed_at is not None:
        raise ServiceError("This collection has closed")
    respondent, age_band = FORMS[collection.form_key]
    cleaned = clean_answers(collection.form_key, answers)
    today = clock.today()
    day_start = datetime.combine(today, time(0, 0), tzinfo=UTC)
    if respondent == Respondent.CHILD:
        consent_by, assent, consented = collection.consent_by, agreed, agreed
    else:
        consent_by = ConsentBy.SELF if agreed else ConsentBy.NOBODY
        assent, consented = None, agreed
    with transaction():
        record = VoiceRecord(
            partnership_id=collection.partnership_id,
            channel=VoiceChannel.SELF_COMPLETED,
            collection_id=collection.id,
            form_key=collection.form_key,
            respondent=respondent,
            age_band=age_band,
            setting_type=collection.setting_type,
            setting_detail=collection.setting_detail,
            agency_id=collection.agency_id,
            occurred_on=today,
            assent=assent,
            consent_by=consent_by,
            consented=consented,
            sharing=(Sharing.QUOTES if may_quote else Sharing.THEMES_ONLY) if consented else None,
            answers={},
            flagged=False,
            text_dropped=False,
            created_at=day_start,
            updated_at=day_start,
        )
        db.session.add(record)
        signals, dropped, new = _apply_words(record, cleaned, consented)
        db.session.flush()
        _segments(record)
        # No audit event for an unflagged answer: its time would say which child it was.
        _flag_audit(record, None, new)
    return Outcome(record, signals, dropped)


# -- Home page -----------------------------------------------------------------------------------


@home.panel
def voice_panel(user: User, summary_: home.HomeSummary) -> None:
    """Admins: flagged records awaiting follow-up. Recorders: a way to record, and their count."""
    if user.role == Role.ADMIN:
        open_flags = flagged_records(user.partnership, open_only=True)
        summary_.figures.append(("Voice records to follow up", len(open_flags), "voice.flags"))
        summary_.panels.append(
            (
                "home/_voice.html",
                {"flags": open_flags[:5], "more": max(0, len(open_flags) - 5)},
            )
        )
    if user.role in RECORDERS:
        mine = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(VoiceRecord)
                .where(
                    VoiceRecord.partnership_id == user.partnership_id,
                    VoiceRecord.recorded_by_id == user.id,
                )
            )
            or 0
        )
        if user.role != Role.ADMIN:
            summary_.figures.append(("Voice records you made", mine, "voice.index"))
        summary_.next_steps.append(("Record a child's or family's voice", "voice.new"))
    else:
        summary_.next_steps.append(("See what children and families have told us", "voice.index"))
