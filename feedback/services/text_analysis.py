"""Stored text analysis: each text segment analysed once, by a job, in batches.

Two jobs feed the one pipeline:
- `text_segments` turns the free-text answers of submitted responses into TextSegments (a
  staff-survey answer, a post-course evaluation comment, a follow-up comment), once per response;
- `text_analysis` analyses segments that have not been analysed (new ones, and every segment of
  a partnership whose codebook changed): sentiment into the segment's columns, themes into
  SUGGESTED SegmentCodes (coder_id NULL) with their confidence.

Each batch is one transaction. Re-coding replaces suggestions only: a code an analyst confirmed
or rejected stays as they left it. With nothing new, a run is a single query.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import forms
from analysis.text import analyse
from feedback import clock
from feedback.extensions import db
from feedback.jobs import job
from feedback.models import (
    Campaign,
    CourseSession,
    InstrumentVersion,
    Response,
    Role,
    SessionEvaluation,
    SourceType,
    TextSegment,
    User,
)
from feedback.models.codebook import CodebookState, CodeStatus, SegmentCode, SegmentedResponse
from feedback.services import codebook, home, transaction
from feedback.services.segments import SegmentText, replace_for_source

log = logging.getLogger(__name__)

#: Segments analysed per transaction.
BATCH = 500
#: Responses turned into segments per transaction.
RESPONSE_BATCH = 500
#: Source types whose segments come from campaign responses.
RESPONSE_SOURCES = (SourceType.STAFF_SURVEY, SourceType.POST_COURSE, SourceType.FOLLOW_UP)
#: How often a batch may find the codebook changed under it before the job gives up for now.
MAX_RETRIES = 5


def source_type_for(purpose: str | None) -> SourceType:
    """Which source a campaign's answers are: a staff survey, training feedback or a follow-up."""
    if purpose == "post_course":
        return SourceType.POST_COURSE
    if purpose in ("followup_3_month", "followup_6_month"):
        return SourceType.FOLLOW_UP
    try:
        return SourceType(purpose or "")
    except ValueError:
        return SourceType.STAFF_SURVEY


# -- Survey answers into segments ----------------------------------------------------------------


@dataclass
class _CampaignFacts:
    partnership_id: int
    source_type: SourceType
    course_id: int | None
    questions: list[Mapping[str, Any]]


def _answerable(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        q
        for _, q in forms.iter_questions(definition)
        if q.get("type") in forms.QUESTION_TYPES and forms.QUESTION_TYPES[q["type"]].answerable
    ]


def _campaign_facts(
    campaign_id: int, version_id: int, cache: dict[tuple[int, int], _CampaignFacts]
) -> _CampaignFacts:
    key = (campaign_id, version_id)
    if key not in cache:
        campaign = db.session.get(Campaign, campaign_id)
        version = db.session.get(InstrumentVersion, version_id)
        course_id = db.session.scalar(
            sa.select(CourseSession.course_id)
            .join(SessionEvaluation, SessionEvaluation.session_id == CourseSession.id)
            .where(SessionEvaluation.campaign_id == campaign_id)
            .limit(1)
        )
        cache[key] = _CampaignFacts(
            partnership_id=campaign.partnership_id,
            source_type=source_type_for(campaign.purpose),
            course_id=course_id,
            questions=_answerable(version.definition if version else {"pages": []}),
        )
    return cache[key]


def response_texts(
    questions: Iterable[Mapping[str, Any]], answers: Mapping[str, Any]
) -> list[SegmentText]:
    """The free texts of one response, one per answer that has any, labelled by question."""
    texts = []
    for question in questions:
        stored = answers.get(question["key"])
        if stored in (None, "", [], {}):
            continue
        try:
            found = forms.answer_texts(question, stored)
        except (KeyError, TypeError, ValueError):
            continue
        label = str(question.get("label") or question["key"])[:300]
        texts.extend(SegmentText(question["key"], text, label) for text in found)
    return texts


def segment_responses(limit: int = RESPONSE_BATCH) -> int:
    """Turn up to `limit` responses not yet seen into segments; returns how many were seen.

    Call inside a transaction. Each response is marked as seen (SegmentedResponse) in the same
    transaction, whether or not it had free text, so it is never read again.
    """
    query = (
        sa.select(Response)
        .outerjoin(SegmentedResponse, SegmentedResponse.response_id == Response.id)
        .where(SegmentedResponse.response_id.is_(None))
        .order_by(Response.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Response)
    responses = list(db.session.scalars(query))
    cache: dict[tuple[int, int], _CampaignFacts] = {}
    for response in responses:
        facts = _campaign_facts(response.campaign_id, response.instrument_version_id, cache)
        replace_for_source(
            facts.partnership_id,
            facts.source_type,
            response.id,
            response_texts(facts.questions, response.answers or {}),
            occurred_on=response.submitted_on,
            agency_id=response.agency_id,
            respondent_key=response.id,
            campaign_id=response.campaign_id,
            course_id=facts.course_id,
        )
        db.session.add(SegmentedResponse(response_id=response.id))
    db.session.flush()
    return len(responses)


def remove_orphaned_response_segments() -> int:
    """Delete segments whose response no longer exists (erased); returns how many."""
    orphans = list(
        db.session.scalars(
            sa.select(TextSegment.id).where(
                TextSegment.source_type.in_(RESPONSE_SOURCES),
                TextSegment.campaign_id.is_not(None),
                ~sa.exists().where(Response.id == TextSegment.source_id),
            )
        )
    )
    if orphans:
        db.session.execute(sa.delete(TextSegment).where(TextSegment.id.in_(orphans)))
    return len(orphans)


@job("text_segments", order=70)
def segment_new_responses(now: datetime) -> str | None:
    """Hand the free text of newly submitted responses to the text pipeline."""
    seen = 0
    while True:
        with transaction():
            done = segment_responses()
        seen += done
        if done < RESPONSE_BATCH:
            break
    with transaction():
        removed = remove_orphaned_response_segments()
    parts = []
    if seen:
        parts.append(f"{seen} response{'s' if seen != 1 else ''} read for free text")
    if removed:
        parts.append(f"{removed} segment{'s' if removed != 1 else ''} of erased responses removed")
    return "; ".join(parts) or None


# -- Analysis ------------------------------------------------------------------------------------


class CodebookChanged(Exception):
    """The codebook changed while a batch was being coded; the batch is rolled back."""


def pending_by_partnership() -> dict[int, int]:
    """Partnership id -> segments waiting for analysis (one query)."""
    rows = db.session.execute(
        sa.select(TextSegment.partnership_id, sa.func.count())
        .where(TextSegment.analysed_at.is_(None))
        .group_by(TextSegment.partnership_id)
    )
    return {pid: n for pid, n in rows}


def reconcile_codes(
    existing: Iterable[SegmentCode | Any], suggestions: Mapping[str, float]
) -> tuple[list[dict[str, Any]], list[int], list[str]]:
    """What to change in one segment's agreed codes for a new set of suggestions.

    Returns (confidence updates as {id, confidence}, ids to delete, theme keys to insert).
    Only SUGGESTED codes change; confirmed and rejected ones are the analyst's and stay.
    """
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    present = set()
    for code in existing:
        present.add(code.theme_key)
        if code.status != CodeStatus.SUGGESTED:
            continue
        if code.theme_key in suggestions:
            if code.confidence != suggestions[code.theme_key]:
                updates.append({"id": code.id, "confidence": suggestions[code.theme_key]})
        else:
            deletes.append(code.id)
    inserts = [key for key in suggestions if key not in present]
    return updates, deletes, inserts


def analyse_batch(partnership_id: int, limit: int = BATCH) -> int:
    """Analyse up to `limit` of the partnership's unanalysed segments; returns how many.

    Call inside a transaction. Raises CodebookChanged (so the caller rolls back) when the
    codebook's version moved on while the batch was being coded.
    """
    started_version = codebook.version(partnership_id)
    compiled = codebook.compiled_codebook(partnership_id)
    query = (
        sa.select(TextSegment.id, TextSegment.text)
        .where(TextSegment.partnership_id == partnership_id, TextSegment.analysed_at.is_(None))
        .order_by(TextSegment.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    results = analyse([row.text for row in rows], compiled)
    now = clock.now()
    existing: dict[int, list[Any]] = {}
    for code in db.session.execute(
        sa.select(
            SegmentCode.id,
            SegmentCode.segment_id,
            SegmentCode.theme_key,
            SegmentCode.status,
            SegmentCode.confidence,
        ).where(SegmentCode.segment_id.in_(ids), SegmentCode.coder_id.is_(None))
    ):
        existing.setdefault(code.segment_id, []).append(code)
    segment_rows = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    inserts: list[dict[str, Any]] = []
    for segment_id, result in zip(ids, results, strict=True):
        sentiment = result.sentiment
        segment_rows.append(
            {
                "id": segment_id,
                "polarity": round(sentiment.polarity, 4),
                "subjectivity": round(sentiment.subjectivity, 4),
                "sentiment": sentiment.label,
                "analysed_at": now,
            }
        )
        suggestions = {t.key: t.confidence for t in result.themes}
        up, down, new = reconcile_codes(existing.get(segment_id, []), suggestions)
        updates.extend(up)
        deletes.extend(down)
        inserts.extend(
            {
                "segment_id": segment_id,
                "theme_key": key,
                "confidence": suggestions[key],
                "status": CodeStatus.SUGGESTED,
                "coder_id": None,
                "created_at": now,
            }
            for key in new
        )
    db.session.execute(sa.update(TextSegment), segment_rows)
    if updates:
        db.session.execute(sa.update(SegmentCode), updates)
    if deletes:
        db.session.execute(sa.delete(SegmentCode).where(SegmentCode.id.in_(deletes)))
    if inserts:
        db.session.execute(sa.insert(SegmentCode), inserts)
    # The same lock a codebook change takes first: a change made meanwhile rolls this back.
    current = db.session.scalar(
        sa.select(CodebookState.version)
        .where(CodebookState.partnership_id == partnership_id)
        .with_for_update()
    )
    if (current or 0) != started_version:
        raise CodebookChanged(f"codebook {started_version} became {current}")
    return len(rows)


def analyse_partnership(partnership_id: int, limit: int = BATCH) -> int:
    """Analyse every waiting segment of one partnership, a committed batch at a time."""
    codebook.ensure_codebook(partnership_id)
    done = retries = 0
    while True:
        try:
            with transaction():
                count = analyse_batch(partnership_id, limit)
        except CodebookChanged:
            retries += 1
            if retries > MAX_RETRIES:
                log.warning("Codebook of partnership %s keeps changing; later", partnership_id)
                break
            continue
        if not count:
            break
        done += count
        analysed, total = progress(partnership_id)
        log.info(
            "Text analysis, partnership %s: %s of %s segments analysed",
            partnership_id,
            analysed,
            total,
        )
        if count < limit:
            break
    return done


@job("text_analysis", order=75)
def analyse_new_segments(now: datetime) -> str | None:
    """Analyse segments not yet analysed (new ones, or all after a codebook change)."""
    pending = pending_by_partnership()
    if not pending:
        return None
    done = sum(analyse_partnership(pid) for pid in sorted(pending))
    return f"{done} text segment{'s' if done != 1 else ''} analysed" if done else None


# -- Progress and the analyst's home page --------------------------------------------------------


def progress(partnership_id: int) -> tuple[int, int]:
    """(segments analysed, segments in all) for the partnership."""
    analysed, total = db.session.execute(
        sa.select(
            sa.func.count(TextSegment.analysed_at),
            sa.func.count(),
        ).where(TextSegment.partnership_id == partnership_id)
    ).one()
    return analysed or 0, total or 0


def waiting_for_coding(partnership_id: int) -> int:
    """Segments with at least one suggested theme no analyst has decided yet."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(SegmentCode.segment_id)))
            .join(TextSegment, TextSegment.id == SegmentCode.segment_id)
            .where(
                TextSegment.partnership_id == partnership_id,
                SegmentCode.coder_id.is_(None),
                SegmentCode.status == CodeStatus.SUGGESTED,
            )
        )
        or 0
    )


@home.panel
def analyst_home(user: User, summary: home.HomeSummary) -> None:
    """Analysts see the text waiting for them; admins a figure."""
    if user.role not in (Role.ANALYST, Role.ADMIN):
        return
    waiting = waiting_for_coding(user.partnership_id)
    if user.role == Role.ADMIN:
        summary.figures.append(("Text segments waiting for coding", waiting, "themes.workbench"))
        return
    analysed, total = progress(user.partnership_id)
    summary.panels.append(
        ("home/_themes.html", {"waiting": waiting, "analysed": analysed, "total": total})
    )
    summary.next_steps.append(("Code free text in the workbench", "themes.workbench"))
    summary.next_steps.append(("Look for emerging themes", "themes.emerging"))


# -- Free-text questions on the campaign results page --------------------------------------------


@dataclass
class FreeTextReport:
    """What the results page shows for one free-text question."""

    n: int
    #: (label, count or Suppressed, percent or None) for positive, neutral, negative.
    sentiment: list[tuple[str, Any, float | None]]
    #: (theme label, count or Suppressed, percent or None), most frequent first.
    themes: list[tuple[str, Any, float | None]]
    #: Themes left out because fewer than the threshold mentioned them.
    themes_hidden: int
    threshold: int
    suppressing: bool


class FreeTextSummary:
    """The answers to one free-text question, analysed on demand with a partnership's codebook.

    Computed from the answers in the view (so it follows the page's filters), with the same
    analysis the stored pipeline uses; counts are of answers.
    """

    TOP = 8

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def report(self, partnership_id: int, threshold: int, suppressing: bool) -> FreeTextReport:
        from analysis.disclosure import Suppressed, is_reportable, suppress_counts

        results = analyse(self.texts, codebook.compiled_codebook(partnership_id))
        n = len(results)
        moods = {"positive": 0, "neutral": 0, "negative": 0}
        themes: dict[str, int] = {}
        for result in results:
            moods[result.sentiment.label] += 1
            for code in result.themes:
                themes[code.key] = themes.get(code.key, 0) + 1
        shown_moods: Mapping[str, Any] = (
            suppress_counts(moods, threshold).cells if suppressing else moods
        )

        def percent(count: Any) -> float | None:
            if isinstance(count, Suppressed) or not n:
                return None
            return round(100 * count / n, 1)

        labels = codebook.labels(partnership_id)
        ranked = sorted(themes.items(), key=lambda kv: (-kv[1], labels.get(kv[0], kv[0])))
        theme_rows = []
        hidden = 0
        for key, count in ranked:
            if suppressing and not is_reportable(count, threshold):
                hidden += 1
                continue
            if len(theme_rows) < self.TOP:
                theme_rows.append((labels.get(key, key), count, percent(count)))
        return FreeTextReport(
            n=n,
            sentiment=[
                (label.capitalize(), shown_moods[label], percent(shown_moods[label]))
                for label in moods
            ],
            themes=theme_rows,
            themes_hidden=hidden,
            threshold=threshold,
            suppressing=suppressing,
        )
