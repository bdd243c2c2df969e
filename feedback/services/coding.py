"""The coding workbench: finding segments, analysts' decisions on themes, blind samples, kappa.

Decisions land on the agreed codes (SegmentCode with coder_id NULL): confirming or rejecting a
suggestion, or adding a theme by hand (confirmed, with no confidence). Blind coding writes codes
under the coder's own id, which nobody else's pages show; agreement between two coders is
Cohen's kappa per theme from analysis.agreement.
"""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from analysis.agreement import Agreement, binary_kappa, cohen_kappa
from analysis.text import CandidateTheme, emerging_themes
from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Campaign, Course, SourceType, TextSegment, User
from feedback.models.codebook import (
    CodebookTheme,
    CodeStatus,
    CodingSample,
    CodingSampleSegment,
    SampleCoding,
    SegmentCode,
    ThemeStatus,
)
from feedback.services import (
    NotFound,
    ServiceError,
    audit,
    codebook,
    transaction,
    whole_number_or_none,
)

PER_PAGE = 20
SENTIMENTS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
CODING_STATES = {
    "waiting": "Waiting for coding (suggestions to decide)",
    "coded": "Coded (at least one confirmed theme)",
    "uncoded": "No theme suggested or confirmed",
}
SAMPLE_SIZES = (5, 500)
#: Emerging themes read at most this many texts from each of the period and the background.
EMERGING_TEXTS = 4000


# -- Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentFilters:
    """Which segments a workbench view (or a sample, or an export) covers."""

    campaign_id: int | None = None
    course_id: int | None = None
    source: SourceType | None = None
    agency_id: int | None = None
    theme: str | None = None
    sentiment: str | None = None
    coding: str | None = None
    from_on: date | None = None
    to_on: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.__dict__.values())

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments, to keep them across pages and redirects."""
        values = {
            "campaign": self.campaign_id,
            "course": self.course_id,
            "source": self.source.value if self.source else None,
            "agency": self.agency_id,
            "theme": self.theme,
            "sentiment": self.sentiment,
            "coding": self.coding,
            "from": self.from_on.isoformat() if self.from_on else None,
            "to": self.to_on.isoformat() if self.to_on else None,
        }
        return {k: str(v) for k, v in values.items() if v is not None}


@dataclass
class FilterChoices:
    campaigns: list[tuple[int, str]]
    courses: list[tuple[int, str]]
    agencies: list[tuple[int, str]]
    sources: list[tuple[str, str]]
    themes: list[tuple[str, str]]
    sentiments: list[tuple[str, str]]
    coding: list[tuple[str, str]]


def filter_choices(partnership_id: int) -> FilterChoices:
    campaigns = db.session.execute(
        sa.select(Campaign.id, Campaign.title)
        .where(Campaign.partnership_id == partnership_id)
        .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
    ).all()
    courses = db.session.execute(
        sa.select(Course.id, Course.title)
        .where(Course.partnership_id == partnership_id)
        .order_by(Course.title)
    ).all()
    agencies = db.session.execute(
        sa.select(Agency.id, Agency.name)
        .where(Agency.partnership_id == partnership_id)
        .order_by(Agency.name)
    ).all()
    return FilterChoices(
        campaigns=[(i, t) for i, t in campaigns],
        courses=[(i, t) for i, t in courses],
        agencies=[(i, n) for i, n in agencies],
        sources=[(s.value, s.label) for s in SourceType],
        themes=[
            (t.key, t.label if t.status == ThemeStatus.ACTIVE else f"{t.label} ({t.status.label})")
            for t in codebook.list_themes(partnership_id)
            if t.status != ThemeStatus.MERGED
        ],
        sentiments=list(SENTIMENTS.items()),
        coding=list(CODING_STATES.items()),
    )


def _owned_id(model: type, raw: str, partnership_id: int) -> int | None:
    number = whole_number_or_none(raw, max_digits=11)
    if number is None:
        return None
    return db.session.scalar(
        sa.select(model.id).where(model.id == number, model.partnership_id == partnership_id)
    )


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_filters(
    partnership_id: int, args: Mapping[str, str]
) -> tuple[SegmentFilters, list[tuple[str, str]]]:
    """Filters from query arguments, and (field, message) for each value that makes no sense.

    A bad value is left out, so the page still shows something useful beside the message.
    """
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}

    def arg(name: str) -> str:
        return (args.get(name) or "").strip()

    for name, model, message in (
        ("campaign", Campaign, "Select a campaign from the list"),
        ("course", Course, "Select a course from the list"),
        ("agency", Agency, "Select an agency from the list"),
    ):
        raw = arg(name)
        if raw:
            found = _owned_id(model, raw, partnership_id)
            if found is None:
                errors.append((name, message))
            values[f"{name}_id"] = found
    raw = arg("source")
    if raw:
        try:
            values["source"] = SourceType(raw)
        except ValueError:
            errors.append(("source", "Select a source from the list"))
    raw = arg("theme")
    if raw:
        if raw in codebook.labels(partnership_id):
            values["theme"] = raw
        else:
            errors.append(("theme", "Select a theme from the list"))
    for name, allowed, message in (
        ("sentiment", SENTIMENTS, "Select positive, neutral or negative"),
        ("coding", CODING_STATES, "Select a coding state from the list"),
    ):
        raw = arg(name)
        if raw:
            if raw in allowed:
                values[name] = raw
            else:
                errors.append((name, message))
    for name in ("from", "to"):
        raw = arg(name)
        if raw:
            day = _date(raw)
            if day is None:
                errors.append((name, "Enter a real date, for example 2027-03-31"))
            values[f"{name}_on"] = day
    filters = SegmentFilters(**values)
    if filters.from_on and filters.to_on and filters.from_on > filters.to_on:
        errors.append(("to", "The end date must be the same as or after the start date"))
        filters = SegmentFilters(**{**values, "to_on": None})
    return filters, errors


def _agreed(*where: sa.ColumnElement[bool]) -> sa.Exists:
    return (
        sa.exists()
        .where(SegmentCode.segment_id == TextSegment.id, SegmentCode.coder_id.is_(None), *where)
        .correlate(TextSegment)
    )


def segment_query(partnership_id: int, filters: SegmentFilters) -> sa.Select:
    """The partnership's segments matching the filters (newest first)."""
    query = sa.select(TextSegment).where(TextSegment.partnership_id == partnership_id)
    if filters.campaign_id is not None:
        query = query.where(TextSegment.campaign_id == filters.campaign_id)
    if filters.course_id is not None:
        query = query.where(TextSegment.course_id == filters.course_id)
    if filters.source is not None:
        query = query.where(TextSegment.source_type == filters.source)
    if filters.agency_id is not None:
        query = query.where(TextSegment.agency_id == filters.agency_id)
    if filters.sentiment is not None:
        query = query.where(TextSegment.sentiment == filters.sentiment)
    if filters.from_on is not None:
        query = query.where(TextSegment.occurred_on >= filters.from_on)
    if filters.to_on is not None:
        query = query.where(TextSegment.occurred_on <= filters.to_on)
    if filters.theme is not None:
        query = query.where(
            _agreed(
                SegmentCode.theme_key == filters.theme, SegmentCode.status != CodeStatus.REJECTED
            )
        )
    if filters.coding == "waiting":
        query = query.where(_agreed(SegmentCode.status == CodeStatus.SUGGESTED))
    elif filters.coding == "coded":
        query = query.where(_agreed(SegmentCode.status == CodeStatus.CONFIRMED))
    elif filters.coding == "uncoded":
        query = query.where(
            ~_agreed(SegmentCode.status.in_([CodeStatus.SUGGESTED, CodeStatus.CONFIRMED]))
        )
    return query.order_by(TextSegment.occurred_on.desc(), TextSegment.id.desc())


def describe(partnership_id: int, filters: SegmentFilters) -> str:
    """The filters in words, for a sample's record and the export's description."""
    parts = []
    if filters.source:
        parts.append(filters.source.label)
    for model, value, column in (
        (Campaign, filters.campaign_id, Campaign.title),
        (Course, filters.course_id, Course.title),
        (Agency, filters.agency_id, Agency.name),
    ):
        if value is not None:
            parts.append(db.session.scalar(sa.select(column).where(model.id == value)) or "")
    if filters.theme:
        parts.append(f"theme {codebook.labels(partnership_id).get(filters.theme, filters.theme)}")
    if filters.sentiment:
        parts.append(f"{filters.sentiment} comments")
    if filters.coding:
        parts.append(CODING_STATES[filters.coding].split(" (")[0].lower())
    if filters.from_on or filters.to_on:
        start = filters.from_on.isoformat() if filters.from_on else "the start"
        end = filters.to_on.isoformat() if filters.to_on else "today"
        parts.append(f"{start} to {end}")
    return ", ".join(p for p in parts if p) or "All text segments"


# -- The workbench page --------------------------------------------------------------------------


@dataclass
class CodeView:
    key: str
    label: str
    status: CodeStatus
    confidence: float | None


@dataclass
class SegmentView:
    segment: TextSegment
    codes: list[CodeView] = field(default_factory=list)
    source_label: str = ""
    campaign_title: str | None = None

    @property
    def suggested(self) -> list[CodeView]:
        return [c for c in self.codes if c.status == CodeStatus.SUGGESTED]

    @property
    def confirmed(self) -> list[CodeView]:
        return [c for c in self.codes if c.status == CodeStatus.CONFIRMED]

    @property
    def rejected(self) -> list[CodeView]:
        return [c for c in self.codes if c.status == CodeStatus.REJECTED]


@dataclass
class WorkbenchPage:
    items: list[SegmentView]
    total: int
    page: int
    pages: int


def workbench(
    partnership_id: int, filters: SegmentFilters, page: int = 1, per_page: int = PER_PAGE
) -> WorkbenchPage:
    """One page of segments with their agreed codes."""
    query = segment_query(partnership_id, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    segments = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return WorkbenchPage(_views(partnership_id, segments), total, page, pages)


def _views(partnership_id: int, segments: Sequence[TextSegment]) -> list[SegmentView]:
    labels = codebook.labels(partnership_id)
    ids = [s.id for s in segments]
    codes: dict[int, list[CodeView]] = {}
    if ids:
        for code in db.session.scalars(
            sa.select(SegmentCode)
            .where(SegmentCode.segment_id.in_(ids), SegmentCode.coder_id.is_(None))
            .order_by(SegmentCode.confidence.desc().nulls_last(), SegmentCode.theme_key)
        ):
            codes.setdefault(code.segment_id, []).append(
                CodeView(
                    code.theme_key,
                    labels.get(code.theme_key, code.theme_key),
                    code.status,
                    code.confidence,
                )
            )
    campaign_ids = {s.campaign_id for s in segments if s.campaign_id}
    titles = (
        dict(
            db.session.execute(
                sa.select(Campaign.id, Campaign.title).where(Campaign.id.in_(campaign_ids))
            ).all()
        )
        if campaign_ids
        else {}
    )
    return [
        SegmentView(
            segment=s,
            codes=codes.get(s.id, []),
            source_label=s.source_type.label,
            campaign_title=titles.get(s.campaign_id),
        )
        for s in segments
    ]


def get_segment(partnership_id: int, segment_id: int) -> TextSegment:
    segment = db.session.scalar(
        sa.select(TextSegment).where(
            TextSegment.id == segment_id, TextSegment.partnership_id == partnership_id
        )
    )
    if segment is None:
        raise NotFound(f"There is no text segment {segment_id}")
    return segment


DECISIONS = ("confirm", "reject", "add", "undo", "confirm_all")


def decide(segment: TextSegment, decision: str, theme_key: str | None, user: User) -> str:
    """Apply an analyst's decision to a segment's agreed codes; returns what happened, in words.

    confirm / reject a suggested (or previously decided) theme; add a theme by hand (confirmed);
    undo a decision (back to a suggestion, or removed if it was added by hand); confirm_all the
    segment's open suggestions.
    """
    if decision not in DECISIONS:
        raise ServiceError("Choose confirm, reject, add or undo", field="decision")
    labels = codebook.labels(segment.partnership_id)
    codes = {
        c.theme_key: c
        for c in db.session.scalars(
            sa.select(SegmentCode).where(
                SegmentCode.segment_id == segment.id, SegmentCode.coder_id.is_(None)
            )
        )
    }
    now = clock.now()
    if decision == "confirm_all":
        open_codes = [c for c in codes.values() if c.status == CodeStatus.SUGGESTED]
        if not open_codes:
            raise ServiceError("This comment has no suggestions left to confirm", field="theme")
        with transaction():
            for code in open_codes:
                code.status, code.decided_by_id, code.decided_at = (
                    CodeStatus.CONFIRMED,
                    user.id,
                    now,
                )
            audit.record(
                "coding.confirm",
                user=user,
                record_type="text_segment",
                record_id=segment.id,
                detail={"themes": sorted(c.theme_key for c in open_codes)},
            )
        return f"Confirmed {len(open_codes)} theme{'s' if len(open_codes) != 1 else ''}"
    if not theme_key:
        raise ServiceError("Choose a theme", field="theme")
    if theme_key not in labels:
        raise ServiceError(f"There is no theme {theme_key!r} in the codebook", field="theme")
    label = labels[theme_key]
    code = codes.get(theme_key)
    with transaction():
        if decision == "add":
            theme = codebook.get_theme(segment.partnership_id, theme_key)
            if theme.status != ThemeStatus.ACTIVE:
                raise ServiceError(f"{label} is not in use: choose a theme in use", field="theme")
            if code is None:
                code = SegmentCode(segment_id=segment.id, theme_key=theme_key, confidence=None)
                db.session.add(code)
            if code.status == CodeStatus.CONFIRMED and code.decided_at is not None:
                raise ServiceError(f"{label} is already confirmed for this comment", field="theme")
            code.status, code.decided_by_id, code.decided_at = CodeStatus.CONFIRMED, user.id, now
            message = f"Added {label}"
        elif code is None:
            raise ServiceError(f"{label} is not suggested for this comment", field="theme")
        elif decision == "confirm":
            code.status, code.decided_by_id, code.decided_at = CodeStatus.CONFIRMED, user.id, now
            message = f"Confirmed {label}"
        elif decision == "reject":
            code.status, code.decided_by_id, code.decided_at = CodeStatus.REJECTED, user.id, now
            message = f"Rejected {label}"
        else:  # undo
            if code.status == CodeStatus.SUGGESTED:
                raise ServiceError(f"{label} has not been decided yet", field="theme")
            if code.confidence is None:
                db.session.delete(code)
                message = f"Removed {label}"
            else:
                code.status, code.decided_by_id, code.decided_at = CodeStatus.SUGGESTED, None, None
                message = f"{label} is a suggestion again"
        audit.record(
            f"coding.{decision}",
            user=user,
            record_type="text_segment",
            record_id=segment.id,
            detail={"theme": theme_key},
        )
    return message


# -- Blind coding samples ------------------------------------------------------------------------


def list_samples(partnership_id: int) -> list[CodingSample]:
    return list(
        db.session.scalars(
            sa.select(CodingSample)
            .where(CodingSample.partnership_id == partnership_id)
            .order_by(CodingSample.created_at.desc(), CodingSample.id.desc())
        )
    )


def get_sample(partnership_id: int, sample_id: int) -> CodingSample:
    sample = db.session.scalar(
        sa.select(CodingSample).where(
            CodingSample.id == sample_id, CodingSample.partnership_id == partnership_id
        )
    )
    if sample is None:
        raise NotFound(f"There is no sample {sample_id}")
    return sample


def draw_sample(
    partnership_id: int,
    name: str,
    size: int | None,
    filters: SegmentFilters,
    user: User,
    rng: random.Random | None = None,
) -> CodingSample:
    """Draw `size` segments at random from the filter and store them as a named sample."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Enter a name for the sample", field="name")
    if len(name) > 120:
        raise ServiceError("The name must be 120 characters or fewer", field="name")
    low, high = SAMPLE_SIZES
    if size is None or not low <= size <= high:
        raise ServiceError(f"Enter a sample size from {low} to {high}", field="size")
    exists = db.session.scalar(
        sa.select(CodingSample.id).where(
            CodingSample.partnership_id == partnership_id, CodingSample.name == name
        )
    )
    if exists is not None:
        raise ServiceError(f"There is already a sample called {name!r}", field="name")
    ids = list(
        db.session.scalars(segment_query(partnership_id, filters).with_only_columns(TextSegment.id))
    )
    if not ids:
        raise ServiceError("No text segments match these filters: widen them", field="size")
    chosen = (rng or random.SystemRandom()).sample(sorted(ids), min(size, len(ids)))
    with transaction():
        sample = CodingSample(
            partnership_id=partnership_id,
            name=name,
            drawn_from=describe(partnership_id, filters)[:500],
            created_by_id=user.id,
        )
        db.session.add(sample)
        db.session.flush()
        db.session.add_all(
            CodingSampleSegment(sample_id=sample.id, segment_id=segment_id, position=i)
            for i, segment_id in enumerate(chosen)
        )
        audit.record(
            "coding.sample",
            user=user,
            record_type="coding_sample",
            record_id=sample.id,
            detail={"name": name, "size": len(chosen), "drawn_from": sample.drawn_from},
        )
    return sample


def sample_size(sample: CodingSample) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(CodingSampleSegment.sample_id == sample.id)
        )
        or 0
    )


def coder_progress(sample: CodingSample) -> list[tuple[User, int]]:
    """Each coder of the sample with how many segments they have finished."""
    rows = db.session.execute(
        sa.select(User, sa.func.count())
        .join(SampleCoding, SampleCoding.coder_id == User.id)
        .where(SampleCoding.sample_id == sample.id)
        .group_by(User.id)
        .order_by(User.name, User.id)
    ).all()
    return [(user, count) for user, count in rows]


def coded_by(sample: CodingSample, user: User) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(SampleCoding.segment_id).where(
                SampleCoding.sample_id == sample.id, SampleCoding.coder_id == user.id
            )
        )
    )


def sample_member(sample: CodingSample, segment_id: int) -> CodingSampleSegment:
    member = db.session.get(CodingSampleSegment, (sample.id, segment_id))
    if member is None:
        raise NotFound(f"Segment {segment_id} is not in this sample")
    return member


def next_for_coder(sample: CodingSample, user: User) -> CodingSampleSegment | None:
    """The first segment of the sample this coder has not finished, or None when done."""
    done = coded_by(sample, user)
    for member in sample.members:
        if member.segment_id not in done:
            return member
    return None


def blind_codes(sample: CodingSample, segment_id: int, user: User) -> set[str]:
    """The themes this coder (only) gave this segment."""
    return set(
        db.session.scalars(
            sa.select(SegmentCode.theme_key).where(
                SegmentCode.segment_id == segment_id,
                SegmentCode.coder_id == user.id,
                SegmentCode.status == CodeStatus.CONFIRMED,
            )
        )
    )


def record_blind_coding(
    sample: CodingSample, segment_id: int, user: User, theme_keys: Sequence[str]
) -> None:
    """Save one coder's themes for one segment of a sample (replacing theirs, no one else's)."""
    sample_member(sample, segment_id)
    active = {t.key for t in codebook.list_themes(sample.partnership_id, active_only=True)}
    unknown = sorted(set(theme_keys) - active)
    if unknown:
        raise ServiceError(f"There is no theme {unknown[0]!r} in use", field="themes")
    now = clock.now()
    with transaction():
        db.session.execute(
            sa.delete(SegmentCode).where(
                SegmentCode.segment_id == segment_id, SegmentCode.coder_id == user.id
            )
        )
        db.session.add_all(
            SegmentCode(
                segment_id=segment_id,
                theme_key=key,
                confidence=None,
                status=CodeStatus.CONFIRMED,
                coder_id=user.id,
                decided_by_id=user.id,
                decided_at=now,
            )
            for key in sorted(set(theme_keys))
        )
        done = db.session.get(SampleCoding, (sample.id, segment_id, user.id))
        if done is None:
            db.session.add(
                SampleCoding(sample_id=sample.id, segment_id=segment_id, coder_id=user.id)
            )
        else:
            done.coded_at = now
        audit.record(
            "coding.blind",
            user=user,
            record_type="coding_sample",
            record_id=sample.id,
            detail={"segment": segment_id, "themes": sorted(set(theme_keys))},
        )


@dataclass
class ThemeAgreement:
    key: str
    label: str
    both: int
    only_a: int
    only_b: int
    neither: int
    result: Agreement


@dataclass
class SampleAgreement:
    coder_a: User
    coder_b: User
    #: Segments both coders have finished.
    n: int
    themes: list[ThemeAgreement]
    #: Kappa over every segment x theme decision together.
    overall: Agreement
    #: Kappa of the two coders' own per-theme kappas' mean, for reference.
    mean_kappa: float | None


def agreement(sample: CodingSample, coder_a: User, coder_b: User) -> SampleAgreement:
    """Cohen's kappa per theme (and over all decisions) for two coders of a sample."""
    both_done = coded_by(sample, coder_a) & coded_by(sample, coder_b)
    codes: dict[int, dict[int, set[str]]] = {coder_a.id: {}, coder_b.id: {}}
    if both_done:
        for segment_id, coder_id, key in db.session.execute(
            sa.select(SegmentCode.segment_id, SegmentCode.coder_id, SegmentCode.theme_key).where(
                SegmentCode.segment_id.in_(both_done),
                SegmentCode.coder_id.in_([coder_a.id, coder_b.id]),
                SegmentCode.status == CodeStatus.CONFIRMED,
            )
        ):
            codes[coder_id].setdefault(segment_id, set()).add(key)
    themes = [
        t
        for t in codebook.list_themes(sample.partnership_id)
        if t.status == ThemeStatus.ACTIVE
        or any(t.key in keys for per in codes.values() for keys in per.values())
    ]
    segments = sorted(both_done)
    rows = []
    all_a: list[bool] = []
    all_b: list[bool] = []
    for theme in themes:
        a = [theme.key in codes[coder_a.id].get(s, set()) for s in segments]
        b = [theme.key in codes[coder_b.id].get(s, set()) for s in segments]
        all_a.extend(a)
        all_b.extend(b)
        both = sum(x and y for x, y in zip(a, b, strict=True))
        only_a = sum(x and not y for x, y in zip(a, b, strict=True))
        only_b = sum(y and not x for x, y in zip(a, b, strict=True))
        neither = len(segments) - both - only_a - only_b
        rows.append(
            ThemeAgreement(
                theme.key,
                theme.label,
                both,
                only_a,
                only_b,
                neither,
                binary_kappa(both, only_a, only_b, neither),
            )
        )
    kappas = [r.result.kappa for r in rows if r.result.kappa is not None]
    return SampleAgreement(
        coder_a=coder_a,
        coder_b=coder_b,
        n=len(segments),
        themes=rows,
        overall=cohen_kappa(all_a, all_b),
        mean_kappa=sum(kappas) / len(kappas) if kappas else None,
    )


# -- Emerging themes -----------------------------------------------------------------------------


@dataclass
class EmergingReport:
    from_on: date
    to_on: date
    period_texts: int
    background_texts: int
    candidates: list[CandidateTheme]


def emerging(partnership_id: int, from_on: date | None, to_on: date | None) -> EmergingReport:
    """Candidate themes: phrases no theme covers that are distinctive of the period.

    The background is the text from before the period (up to EMERGING_TEXTS of the most recent);
    the period defaults to the last 90 days.
    """
    to_on = to_on or clock.today()
    from_on = from_on or to_on - timedelta(days=89)
    if from_on > to_on:
        raise ServiceError("The end date must be the same as or after the start date", field="to")

    def texts(*where: sa.ColumnElement[bool]) -> list[str]:
        return list(
            db.session.scalars(
                sa.select(TextSegment.text)
                .where(TextSegment.partnership_id == partnership_id, *where)
                .order_by(TextSegment.occurred_on.desc(), TextSegment.id.desc())
                .limit(EMERGING_TEXTS)
            )
        )

    period = texts(TextSegment.occurred_on >= from_on, TextSegment.occurred_on <= to_on)
    background = texts(TextSegment.occurred_on < from_on)
    candidates = emerging_themes(
        period, background, codebook.compiled_codebook(partnership_id), top=15
    )
    return EmergingReport(from_on, to_on, len(period), len(background), candidates)


def theme_usage(partnership_id: int) -> dict[str, dict[str, int]]:
    """Theme key -> {status: number of agreed codes}, for the codebook page."""
    usage: dict[str, dict[str, int]] = {}
    for key, status, count in db.session.execute(
        sa.select(SegmentCode.theme_key, SegmentCode.status, sa.func.count())
        .join(TextSegment, TextSegment.id == SegmentCode.segment_id)
        .where(TextSegment.partnership_id == partnership_id, SegmentCode.coder_id.is_(None))
        .group_by(SegmentCode.theme_key, SegmentCode.status)
    ):
        usage.setdefault(key, {})[CodeStatus(status).value] = count
    return usage


def themes_by_key(partnership_id: int) -> dict[str, CodebookTheme]:
    return {t.key: t for t in codebook.list_themes(partnership_id)}
