"""Audits and reviews, their recommendations, and the links from codebook themes to records.

An audit's findings and a review's learning points are written one a line; each line becomes a
text segment (SourceType.AUDIT / REVIEW) in the same transaction, so the analysis job codes them
like any front-line text. Linking a theme to an audit, a review or an action is recorded with
when it was made, so the record's evidence panel can show whether the theme got better since.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from analysis.text.codebook import SEED_CODEBOOK
from feedback import clock
from feedback.extensions import db
from feedback.models import Action, Agency, Partnership, Role, SourceType, User
from feedback.models.records import (
    Audit,
    AuditType,
    LinkedRecord,
    Recommendation,
    RecordStatus,
    Review,
    ReviewType,
    ThemeLink,
)
from feedback.services import NotFound, ServiceError, home, segments, transaction
from feedback.services import audit as audit_log
from feedback.services.segments import SegmentText

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_RECOMMENDATION = 2_000
MAX_RECOMMENDATIONS = 50
EARLIEST = date(2000, 1, 1)


# -- Themes --------------------------------------------------------------------------------------


def theme_labels(partnership_id: int) -> dict[str, str]:
    """Theme key -> label: the partnership's codebook, or the standard one before it has any.

    Call it outside a transaction: the codebook service may seed the codebook (and commit).
    """
    try:
        from feedback.services import codebook
    except ImportError:  # pragma: no cover - the codebook service ships with this app
        codebook = None
    if codebook is not None and hasattr(codebook, "labels"):
        found = codebook.labels(partnership_id)
        if found:
            return found
    return {theme.key: theme.label for theme in SEED_CODEBOOK}


def active_theme_choices(partnership_id: int) -> list[tuple[str, str]]:
    """(key, label) of the themes in use, by label, for a select box."""
    try:
        from feedback.services import codebook

        themes = codebook.list_themes(partnership_id, active_only=True)
        choices = [(t.key, t.label) for t in themes]
    except (ImportError, AttributeError):  # pragma: no cover
        choices = [(t.key, t.label) for t in SEED_CODEBOOK]
    return sorted(choices, key=lambda c: c[1].lower())


def standard_label(key: str) -> str:
    """A theme's label in the standard codebook, or the key made readable."""
    for theme in SEED_CODEBOOK:
        if theme.key == key:
            return theme.label
    return key.replace("_", " ").capitalize()


# -- Text as segments ----------------------------------------------------------------------------


def lines_of(text: str | None) -> list[str]:
    """Items written one a line; blank lines and bullet marks are dropped."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-*•").strip()
        if line:
            out.append(line)
    return out


def sync_segments(record: Audit | Review) -> None:
    """Make the record's segments its findings or learning points, one a line."""
    if isinstance(record, Audit):
        source, name, label, text = SourceType.AUDIT, "finding", "Audit finding", record.findings
    else:
        source, name, label = SourceType.REVIEW, "learning_point", "Review learning point"
        text = record.learning_points
    segments.replace_for_source(
        record.partnership_id,
        source,
        record.id,
        [SegmentText(name, line, label) for line in lines_of(text)],
        occurred_on=record.end_on or record.start_on or clock.today(),
        respondent_key=f"{source.value}-{record.id}",
    )


# -- Specs ---------------------------------------------------------------------------------------


@dataclass
class RecommendationSpec:
    text: str
    training: bool = False
    theme_key: str | None = None


@dataclass
class AuditSpec:
    audit_type: str
    title: str
    scope: str = ""
    agency_ids: Sequence[int] = ()
    start_on: date | None = None
    end_on: date | None = None
    status: str = RecordStatus.PLANNED.value
    findings: str = ""
    recommendations: list[RecommendationSpec] | None = None


@dataclass
class ReviewSpec:
    review_type: str
    title: str
    summary: str = ""
    start_on: date | None = None
    end_on: date | None = None
    status: str = RecordStatus.PLANNED.value
    learning_points: str = ""
    recommendations: list[RecommendationSpec] | None = field(default=None)


def _enum(kind: type, value: Any, name: str, message: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ServiceError(message, field=name) from None


def _title(value: str | None) -> str:
    title = (value or "").strip()
    if not title:
        raise ServiceError("Enter a title", field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(f"The title must be {MAX_TITLE} characters or fewer", field="title")
    return title


def _long(value: str | None, name: str, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise ServiceError(f"{what} must be {MAX_TEXT:,} characters or fewer", field=name)
    return text


def _dates(start_on: date | None, end_on: date | None) -> None:
    latest = date(clock.today().year + 10, 12, 31)
    for name, value in (("start_on", start_on), ("end_on", end_on)):
        if value is not None and not EARLIEST <= value <= latest:
            raise ServiceError(f"Enter a date between 2000 and {latest.year}", field=name)
    if start_on is not None and end_on is not None and end_on < start_on:
        raise ServiceError("The end date must be on or after the start date", field="end_on")


def _theme_key(key: str | None, labels: dict[str, str], name: str) -> str | None:
    key = (key or "").strip() or None
    if key is not None and key not in labels:
        raise ServiceError("Choose a theme from the codebook", field=name)
    return key


def _recommendations(
    specs: list[RecommendationSpec] | None, labels: dict[str, str]
) -> list[RecommendationSpec] | None:
    if specs is None:
        return None
    if len(specs) > MAX_RECOMMENDATIONS:
        raise ServiceError(
            f"Give no more than {MAX_RECOMMENDATIONS} recommendations", field="recommendations"
        )
    out = []
    for index, spec in enumerate(specs):
        text = (spec.text or "").strip()
        where = f"recommendations.{index}"
        if not text:
            raise ServiceError("Write the recommendation", field=f"{where}.text")
        if len(text) > MAX_RECOMMENDATION:
            raise ServiceError(
                f"A recommendation must be {MAX_RECOMMENDATION:,} characters or fewer",
                field=f"{where}.text",
            )
        key = _theme_key(spec.theme_key, labels, f"{where}.theme_key")
        out.append(RecommendationSpec(text, bool(spec.training), key))
    return out


def _agencies(partnership_id: int, ids: Iterable[int]) -> list[Agency]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if any(not 0 < i < 2**31 for i in wanted):
        raise ServiceError("Choose agencies from the list", field="agency_ids")
    found = (
        list(
            db.session.scalars(
                sa.select(Agency).where(
                    Agency.partnership_id == partnership_id, Agency.id.in_(wanted)
                )
            )
        )
        if wanted
        else []
    )
    if len(found) != len(wanted):
        raise ServiceError("Choose agencies from the list", field="agency_ids")
    return sorted(found, key=lambda a: a.name)


def _replace_recommendations(record: Audit | Review, specs: list[RecommendationSpec]) -> None:
    record.recommendations.clear()
    db.session.flush()
    for position, spec in enumerate(specs):
        record.recommendations.append(
            Recommendation(
                partnership_id=record.partnership_id,
                position=position,
                text=spec.text,
                training=spec.training,
                theme_key=spec.theme_key,
            )
        )


# -- Audits --------------------------------------------------------------------------------------


def list_audits(partnership_id: int) -> list[Audit]:
    """The partnership's audits, newest first."""
    return list(
        db.session.scalars(
            sa.select(Audit)
            .where(Audit.partnership_id == partnership_id)
            .order_by(sa.func.coalesce(Audit.start_on, Audit.end_on).desc(), Audit.id.desc())
        )
    )


def get_audit(partnership_id: int, audit_id: int) -> Audit:
    audit = db.session.get(Audit, audit_id) if 0 < audit_id < 2**31 else None
    if audit is None or audit.partnership_id != partnership_id:
        raise NotFound(f"There is no audit {audit_id}")
    return audit


def _apply_audit(audit: Audit, spec: AuditSpec, labels: dict[str, str]) -> None:
    audit_type = _enum(AuditType, spec.audit_type, "audit_type", "Choose the type of audit")
    status = _enum(RecordStatus, spec.status, "status", "Choose the audit's status")
    title = _title(spec.title)
    _dates(spec.start_on, spec.end_on)
    recommendations = _recommendations(spec.recommendations, labels)
    agencies = _agencies(audit.partnership_id, spec.agency_ids)
    audit.audit_type = audit_type
    audit.status = status
    audit.title = title
    audit.scope = _long(spec.scope, "scope", "The scope")
    audit.findings = _long(spec.findings, "findings", "The findings")
    audit.start_on, audit.end_on = spec.start_on, spec.end_on
    audit.agencies = agencies
    db.session.add(audit)
    db.session.flush()
    if recommendations is not None:
        _replace_recommendations(audit, recommendations)
    sync_segments(audit)


def create_audit(partnership: Partnership, spec: AuditSpec, actor: User | None) -> Audit:
    """Record an audit; its findings become text segments in the same transaction."""
    labels = theme_labels(partnership.id)
    with transaction():
        audit = Audit(partnership_id=partnership.id, created_by_id=actor.id if actor else None)
        _apply_audit(audit, spec, labels)
        audit_log.record(
            "audit.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="audit",
            record_id=audit.id,
            detail={"type": audit.audit_type.value},
        )
    return audit


def update_audit(audit: Audit, spec: AuditSpec, actor: User | None) -> Audit:
    labels = theme_labels(audit.partnership_id)
    with transaction():
        _apply_audit(audit, spec, labels)
        audit.updated_at = clock.now()
        audit_log.record(
            "audit.edit",
            user=actor,
            partnership_id=audit.partnership_id,
            record_type="audit",
            record_id=audit.id,
        )
    return audit


# -- Reviews -------------------------------------------------------------------------------------


def list_reviews(partnership_id: int) -> list[Review]:
    """The partnership's reviews, newest first."""
    return list(
        db.session.scalars(
            sa.select(Review)
            .where(Review.partnership_id == partnership_id)
            .order_by(sa.func.coalesce(Review.start_on, Review.end_on).desc(), Review.id.desc())
        )
    )


def get_review(partnership_id: int, review_id: int) -> Review:
    review = db.session.get(Review, review_id) if 0 < review_id < 2**31 else None
    if review is None or review.partnership_id != partnership_id:
        raise NotFound(f"There is no review {review_id}")
    return review


def _apply_review(review: Review, spec: ReviewSpec, labels: dict[str, str]) -> None:
    review_type = _enum(ReviewType, spec.review_type, "review_type", "Choose the type of review")
    status = _enum(RecordStatus, spec.status, "status", "Choose the review's status")
    title = _title(spec.title)
    _dates(spec.start_on, spec.end_on)
    recommendations = _recommendations(spec.recommendations, labels)
    review.review_type = review_type
    review.status = status
    review.title = title
    review.summary = _long(spec.summary, "summary", "The summary")
    review.learning_points = _long(spec.learning_points, "learning_points", "Learning points")
    review.start_on, review.end_on = spec.start_on, spec.end_on
    db.session.add(review)
    db.session.flush()
    if recommendations is not None:
        _replace_recommendations(review, recommendations)
    sync_segments(review)


def create_review(partnership: Partnership, spec: ReviewSpec, actor: User | None) -> Review:
    """Record a review; its learning points become text segments in the same transaction."""
    labels = theme_labels(partnership.id)
    with transaction():
        review = Review(partnership_id=partnership.id, created_by_id=actor.id if actor else None)
        _apply_review(review, spec, labels)
        audit_log.record(
            "review.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="review",
            record_id=review.id,
            detail={"type": review.review_type.value},
        )
    return review


def update_review(review: Review, spec: ReviewSpec, actor: User | None) -> Review:
    labels = theme_labels(review.partnership_id)
    with transaction():
        _apply_review(review, spec, labels)
        review.updated_at = clock.now()
        audit_log.record(
            "review.edit",
            user=actor,
            partnership_id=review.partnership_id,
            record_type="review",
            record_id=review.id,
        )
    return review


# -- Recommendations one at a time ---------------------------------------------------------------


def add_recommendation(
    record: Audit | Review, spec: RecommendationSpec, actor: User | None
) -> Recommendation:
    """Add one recommendation at the end of the record's list."""
    labels = theme_labels(record.partnership_id)
    (clean,) = _recommendations([spec], labels) or []
    if len(record.recommendations) >= MAX_RECOMMENDATIONS:
        raise ServiceError(
            f"A record can have no more than {MAX_RECOMMENDATIONS} recommendations", field="text"
        )
    with transaction():
        recommendation = Recommendation(
            partnership_id=record.partnership_id,
            position=max((r.position for r in record.recommendations), default=-1) + 1,
            text=clean.text,
            training=clean.training,
            theme_key=clean.theme_key,
        )
        record.recommendations.append(recommendation)
        db.session.flush()
        audit_log.record(
            "recommendation.add",
            user=actor,
            partnership_id=record.partnership_id,
            record_type=record.record_type.value,
            record_id=record.id,
            detail={"recommendation_id": recommendation.id, "training": clean.training},
        )
    return recommendation


def get_recommendation(partnership_id: int, recommendation_id: int) -> Recommendation:
    found = (
        db.session.get(Recommendation, recommendation_id) if 0 < recommendation_id < 2**31 else None
    )
    if found is None or found.partnership_id != partnership_id:
        raise NotFound(f"There is no recommendation {recommendation_id}")
    return found


def remove_recommendation(recommendation: Recommendation, actor: User | None) -> None:
    record = recommendation.audit or recommendation.review
    with transaction():
        db.session.delete(recommendation)
        audit_log.record(
            "recommendation.remove",
            user=actor,
            partnership_id=recommendation.partnership_id,
            record_type=record.record_type.value if record else None,
            record_id=record.id if record else None,
            detail={"recommendation_id": recommendation.id},
        )


def training_recommendations(
    partnership_id: int, from_on: date, to_on: date
) -> list[tuple[Recommendation, Audit | Review, list[str]]]:
    """Recommendations tagged to training on audits and reviews dated in the period, each with
    the themes it bears on: its own theme, or else its record's linked themes."""
    out = []
    rows = db.session.scalars(
        sa.select(Recommendation).where(
            Recommendation.partnership_id == partnership_id, Recommendation.training.is_(True)
        )
    )
    for recommendation in rows:
        record = recommendation.audit or recommendation.review
        if record is None:
            continue
        when = record.end_on or record.start_on or record.created_at.date()
        if not from_on <= when <= to_on:
            continue
        if recommendation.theme_key:
            themes = [recommendation.theme_key]
        else:
            themes = [link.theme_key for link in links_for(record.record_type, record.id)]
        out.append((recommendation, record, themes))
    return out


# -- Theme links ---------------------------------------------------------------------------------


def find_record(
    partnership_id: int, record_type: LinkedRecord | str, record_id: int
) -> Audit | Review | Action:
    """The partnership's audit, review or action; NotFound otherwise."""
    kind = _enum(LinkedRecord, record_type, "record_type", "Choose audit, review or action")
    if kind == LinkedRecord.AUDIT:
        return get_audit(partnership_id, record_id)
    if kind == LinkedRecord.REVIEW:
        return get_review(partnership_id, record_id)
    from feedback.services import actions

    return actions.get(partnership_id, record_id)


def record_title(record: Audit | Review | Action) -> str:
    if isinstance(record, Action):
        text = record.description
        return text if len(text) <= 90 else text[:89].rstrip() + "…"
    return record.title


def links_for(record_type: LinkedRecord | str, record_id: int) -> list[ThemeLink]:
    """The themes linked to one record, oldest link first."""
    return list(
        db.session.scalars(
            sa.select(ThemeLink)
            .where(
                ThemeLink.record_type == LinkedRecord(record_type),
                ThemeLink.record_id == record_id,
            )
            .order_by(ThemeLink.linked_at, ThemeLink.id)
        )
    )


def link_theme(
    partnership_id: int,
    theme_key: str,
    record_type: LinkedRecord | str,
    record_id: int,
    actor: User | None,
) -> tuple[ThemeLink, bool]:
    """Link a theme to a record; (the link, True) when new, (the existing link, False) if not."""
    labels = theme_labels(partnership_id)
    if theme_key not in labels:
        raise NotFound(f"There is no theme {theme_key!r} in the codebook", field="theme_key")
    record = find_record(partnership_id, record_type, record_id)
    kind = LinkedRecord(record_type)
    existing = db.session.scalar(
        sa.select(ThemeLink).where(
            ThemeLink.partnership_id == partnership_id,
            ThemeLink.theme_key == theme_key,
            ThemeLink.record_type == kind,
            ThemeLink.record_id == record.id,
        )
    )
    if existing is not None:
        return existing, False
    with transaction():
        link = ThemeLink(
            partnership_id=partnership_id,
            theme_key=theme_key,
            record_type=kind,
            record_id=record.id,
            linked_at=clock.now(),
            linked_by_id=actor.id if actor else None,
        )
        db.session.add(link)
        db.session.flush()
        audit_log.record(
            "theme.link",
            user=actor,
            partnership_id=partnership_id,
            record_type=kind.value,
            record_id=record.id,
            detail={"theme": theme_key},
        )
    return link, True


def unlink_theme(
    partnership_id: int,
    theme_key: str,
    record_type: LinkedRecord | str,
    record_id: int,
    actor: User | None,
) -> None:
    record = find_record(partnership_id, record_type, record_id)
    kind = LinkedRecord(record_type)
    link = db.session.scalar(
        sa.select(ThemeLink).where(
            ThemeLink.partnership_id == partnership_id,
            ThemeLink.theme_key == theme_key,
            ThemeLink.record_type == kind,
            ThemeLink.record_id == record.id,
        )
    )
    if link is None:
        raise NotFound(f"The theme {theme_key!r} is not linked to this record")
    with transaction():
        db.session.delete(link)
        audit_log.record(
            "theme.unlink",
            user=actor,
            partnership_id=partnership_id,
            record_type=kind.value,
            record_id=record.id,
            detail={"theme": theme_key},
        )


def records_for_theme(
    partnership_id: int, theme_key: str
) -> list[tuple[ThemeLink, Audit | Review | Action]]:
    """Every record the theme is linked to, newest link first (links to deleted records skipped)."""
    out = []
    links = db.session.scalars(
        sa.select(ThemeLink)
        .where(ThemeLink.partnership_id == partnership_id, ThemeLink.theme_key == theme_key)
        .order_by(ThemeLink.linked_at.desc(), ThemeLink.id.desc())
    )
    for link in links:
        try:
            out.append((link, find_record(partnership_id, link.record_type, link.record_id)))
        except NotFound:
            continue
    return out


def linked_theme_counts(partnership_id: int) -> dict[str, int]:
    """How many records each theme is linked to."""
    rows = db.session.execute(
        sa.select(ThemeLink.theme_key, sa.func.count())
        .where(ThemeLink.partnership_id == partnership_id)
        .group_by(ThemeLink.theme_key)
    )
    return {key: count for key, count in rows}


# -- Home pages ----------------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@home.panel
def records_home(user: User, summary: home.HomeSummary) -> None:
    """Admins see overdue actions and the worst few; every other role a count of them; viewers
    (the Workforce Development Group) also the Learning Needs Analysis headline."""
    from feedback.services import actions

    today = clock.today()
    overdue = actions.overdue(user.partnership_id, today)
    summary.figures.append(("Overdue actions", len(overdue), "records.actions"))
    if user.role == Role.ADMIN:
        summary.panels.append(
            (
                "home/_records.html",
                {
                    "total": len(overdue),
                    "worst": [
                        {
                            "id": a.id,
                            "description": a.description,
                            "owner": a.owner_agency.name if a.owner_agency else "No owner agency",
                            "due": _day(a.due_on) if a.due_on else "",
                            "days": actions.days_overdue(a, today),
                        }
                        for a in overdue[:5]
                    ],
                },
            )
        )
        summary.next_steps.append(("Record an audit or a review", "records.index"))
    if user.role == Role.VIEWER:
        from feedback.services import lna

        from_on, to_on = lna.default_period(today)
        partnership = db.session.get(Partnership, user.partnership_id)
        report = lna.report(
            partnership, theme_labels(user.partnership_id), from_on, to_on, user.role, full=False
        )
        summary.panels.append(
            (
                "home/_lna.html",
                {
                    "period": f"{_day(from_on)} to {_day(to_on)}",
                    "needs": [(n.rank, n.label, n.shown_score) for n in report.needs[:3]],
                    "count": len(report.needs),
                    "priorities": report.priorities_label,
                    "priority_count": len(report.priorities),
                },
            )
        )
        summary.next_steps.append(("Read the Learning Needs Analysis", "lna.report"))
