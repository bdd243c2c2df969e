"""A theme's front-line evidence: per source, how much was said, in what tone, and since when.

Only confirmed codes count (a SegmentCode with no coder and status confirmed): a suggestion is
the analysis's guess, not evidence. For everyone but admins a source whose distinct respondents
for the theme are fewer than the partnership's disclosure threshold shows "[c]" for its counts,
with secondary suppression across sources, and never quotes; admins see everything.

The trend answers "is this theme getting better since we linked it?": the share of the theme's
comments that are negative, by quarter and before and after the link date, and the staff
survey's agreement with the statements tagged to the theme, round by round. For a reader who
sees a source as "[c]" the trend leaves that source out: its quarters would add up to the
hidden counts (all quarters less the sources shown), and its tone would move the percentages.
The quarters' counts themselves get secondary suppression, as they add up to the trend's total.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from analysis.disclosure import Suppressed, suppress_counts, suppress_table
from feedback.extensions import db
from feedback.models import Partnership, Role, SourceType, TextSegment
from feedback.models.codebook import CodeStatus, SegmentCode

#: Quotes shown per source at most.
QUOTES_PER_SOURCE = 3
#: Longest quote shown; longer ones are cut at a word.
QUOTE_LENGTH = 320
#: A change in the share of negative comments (or in agreement) smaller than this many
#: percentage points is "about the same".
MEANINGFUL_CHANGE = 10.0

#: Sources in the order the pages show them.
SOURCE_ORDER: tuple[SourceType, ...] = (
    SourceType.STAFF_SURVEY,
    SourceType.POST_COURSE,
    SourceType.FOLLOW_UP,
    SourceType.SCRUTINY_VISIT,
    SourceType.SAFEGUARDING_CONVERSATION,
    SourceType.PRACTITIONER_FORUM,
    SourceType.VOICE,
    SourceType.AUDIT,
    SourceType.REVIEW,
)

Cell = int | Suppressed


def suppressing_for(role: Role | str) -> bool:
    """Whether small counts are hidden from this reader (everyone but admins)."""
    return Role(role) != Role.ADMIN


def confirmed_join(query: sa.Select, theme_key: str | None = None) -> sa.Select:
    """Join a query on TextSegment to the confirmed, agreed codes (of one theme, if given)."""
    query = query.join(SegmentCode, SegmentCode.segment_id == TextSegment.id).where(
        SegmentCode.coder_id.is_(None), SegmentCode.status == CodeStatus.CONFIRMED
    )
    if theme_key is not None:
        query = query.where(SegmentCode.theme_key == theme_key)
    return query


def respondent_expr() -> sa.ColumnElement[str]:
    """Who a segment is from, for counting people: the respondent key, else the segment itself."""
    return sa.func.coalesce(
        TextSegment.respondent_key,
        sa.literal("segment-") + sa.cast(TextSegment.id, sa.String),
    )


def period_clause(from_on: date | None, to_on: date | None) -> list[sa.ColumnElement[bool]]:
    where = []
    if from_on is not None:
        where.append(TextSegment.occurred_on >= from_on)
    if to_on is not None:
        where.append(TextSegment.occurred_on <= to_on)
    return where


# -- What the panel shows ------------------------------------------------------------------------


@dataclass
class Quote:
    text: str
    sentiment: str | None
    field_label: str | None
    occurred_on: date


@dataclass
class SourceEvidence:
    source: SourceType
    #: Comments (text segments) coded with the theme.
    segments: Cell
    #: Distinct people or records they came from.
    respondents: Cell
    #: Comments by sentiment label: positive, neutral, negative (and not yet analysed).
    sentiment: dict[str, Cell]
    quotes: list[Quote] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.source.label

    @property
    def hidden(self) -> bool:
        return isinstance(self.respondents, Suppressed)

    def share(self, label: str) -> float | None:
        """Percent of the source's analysed comments with this sentiment, when shown."""
        counts = [self.sentiment.get(k) for k in ("positive", "neutral", "negative")]
        value = self.sentiment.get(label)
        if not all(isinstance(c, int) for c in counts) or not isinstance(value, int):
            return None
        total = sum(counts)  # type: ignore[arg-type]
        return 100 * value / total if total else None


@dataclass
class TrendPoint:
    """One quarter (or one survey round) of the theme."""

    label: str
    starts_on: date
    segments: Cell
    respondents: Cell
    #: Percent of analysed comments that are negative; None when hidden or none analysed.
    negative_pct: float | None
    #: For survey rounds: mean percent agreeing with the theme's statements; None if unknown.
    agree_pct: float | None = None
    after_link: bool | None = None


@dataclass
class Comparison:
    """Before against after the link: what changed and what it means."""

    before_negative: float | None
    after_negative: float | None
    before_n: Cell
    after_n: Cell
    #: "better", "worse", "about the same" or "not enough evidence yet"
    verdict: str
    sentence: str


@dataclass
class ThemeEvidence:
    theme_key: str
    label: str
    from_on: date | None
    to_on: date | None
    threshold: int
    suppressing: bool
    sources: list[SourceEvidence]
    total_segments: Cell
    total_respondents: Cell
    quarters: list[TrendPoint]
    survey_rounds: list[TrendPoint]
    linked_on: date | None = None
    comparison: Comparison | None = None
    survey_comparison: Comparison | None = None
    #: Why the trend differs from the sources above, in one plain sentence; None if it does not.
    trend_note: str | None = None

    @property
    def empty(self) -> bool:
        return self.total_segments == 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; hidden counts are null with "suppressed": true."""

        def cell(value: Cell) -> int | None:
            return None if isinstance(value, Suppressed) else value

        def point(p: TrendPoint) -> dict[str, Any]:
            return {
                "label": p.label,
                "starts_on": p.starts_on,
                "segments": cell(p.segments),
                "respondents": cell(p.respondents),
                "suppressed": isinstance(p.respondents, Suppressed),
                "negative_percent": _round(p.negative_pct),
                "agree_percent": _round(p.agree_pct),
                "after_link": p.after_link,
            }

        def comparison(c: Comparison | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {
                "verdict": c.verdict,
                "summary": c.sentence,
                "before_percent": _round(c.before_negative),
                "after_percent": _round(c.after_negative),
            }

        return {
            "theme": {"key": self.theme_key, "label": self.label},
            "from": self.from_on,
            "to": self.to_on,
            "disclosure_threshold": self.threshold,
            "suppressing": self.suppressing,
            "total_segments": cell(self.total_segments),
            "total_respondents": cell(self.total_respondents),
            "sources": [
                {
                    "source": s.source.value,
                    "label": s.label,
                    "segments": cell(s.segments),
                    "respondents": cell(s.respondents),
                    "suppressed": s.hidden,
                    "sentiment": {k: cell(v) for k, v in s.sentiment.items()},
                    "quotes": [
                        {
                            "text": q.text,
                            "sentiment": q.sentiment,
                            "field": q.field_label,
                            "occurred_on": q.occurred_on,
                        }
                        for q in s.quotes
                    ],
                }
                for s in self.sources
            ],
            "trend": {
                "linked_on": self.linked_on,
                "quarters": [point(p) for p in self.quarters],
                "survey_rounds": [point(p) for p in self.survey_rounds],
                "comments": comparison(self.comparison),
                "survey": comparison(self.survey_comparison),
                "note": self.trend_note,
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _cut(text: str) -> str:
    if len(text) <= QUOTE_LENGTH:
        return text
    return text[:QUOTE_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def quarter_of(day: date) -> tuple[date, str]:
    """The calendar quarter a day falls in: its first day and its name ("Jan to Mar 2027")."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    names = {1: "Jan to Mar", 4: "Apr to Jun", 7: "Jul to Sep", 10: "Oct to Dec"}
    return date(day.year, first_month, 1), f"{names[first_month]} {day.year}"


# -- Building it ---------------------------------------------------------------------------------


def theme_evidence(
    partnership: Partnership,
    theme_key: str,
    label: str,
    *,
    role: Role | str,
    from_on: date | None = None,
    to_on: date | None = None,
    linked_at: datetime | date | None = None,
) -> ThemeEvidence:
    """Everything the evidence panel shows for one theme, as this reader may see it."""
    threshold = partnership.disclosure_threshold
    suppressing = suppressing_for(role)
    linked_on = linked_at.date() if isinstance(linked_at, datetime) else linked_at
    where = [TextSegment.partnership_id == partnership.id, *period_clause(from_on, to_on)]

    rows = db.session.execute(
        confirmed_join(
            sa.select(
                TextSegment.source_type,
                sa.func.count(TextSegment.id),
                sa.func.count(sa.distinct(respondent_expr())),
                *(
                    sa.func.sum(sa.case((TextSegment.sentiment == name, 1), else_=0))
                    for name in ("positive", "neutral", "negative")
                ),
            ),
            theme_key,
        )
        .where(*where)
        .group_by(TextSegment.source_type)
    ).all()
    found = {
        SourceType(r[0]): (int(r[1]), int(r[2]), [int(r[3] or 0), int(r[4] or 0), int(r[5] or 0)])
        for r in rows
    }
    present = [s for s in SOURCE_ORDER if s in found]
    people = {s.value: found[s][1] for s in present}
    # No total is shown beside a hidden count (it would give the count away), so each source
    # needs only its own threshold check.
    if suppressing and people:
        people_cells: dict[str, Cell] = dict(
            suppress_counts(people, threshold, total_shown=False).cells
        )
    else:
        people_cells = dict(people)
    total_people: Cell = sum(people.values())

    sources = []
    hidden_sources: list[SourceType] = []
    for source in present:
        n_segments, _, sentiment_counts = found[source]
        respondents = people_cells[source.value]
        if isinstance(respondents, Suppressed):
            hidden_sources.append(source)
            sources.append(
                SourceEvidence(
                    source,
                    Suppressed("secondary"),
                    respondents,
                    dict.fromkeys(("positive", "neutral", "negative"), Suppressed("secondary")),
                )
            )
            continue
        sentiment = dict(zip(("positive", "neutral", "negative"), sentiment_counts, strict=True))
        sentiment_cells: dict[str, Cell] = (
            dict(suppress_counts(sentiment, threshold, total_shown=True).cells)
            if suppressing
            else dict(sentiment)
        )
        evidence = SourceEvidence(source, n_segments, respondents, sentiment_cells)
        evidence.quotes = _quotes(partnership.id, theme_key, source, where)
        sources.append(evidence)
    total_segments: Cell = sum(found[s][0] for s in present)
    trend_note = None
    trend_where = list(where)
    if hidden_sources:
        total_segments = total_people = Suppressed("secondary")
        # Left out of the trend, or its quarters would give the hidden counts away.
        trend_where.append(TextSegment.source_type.notin_(hidden_sources))
        trend_note = (
            "The trend leaves out the sources shown as [c], so that their figures cannot be "
            "worked out from it."
        )

    quarters, comparison = _quarters(
        partnership.id, theme_key, trend_where, linked_on, threshold, suppressing
    )
    rounds, survey_comparison = _survey_rounds(
        partnership, theme_key, from_on, to_on, linked_on, threshold, suppressing
    )
    return ThemeEvidence(
        theme_key=theme_key,
        label=label,
        from_on=from_on,
        to_on=to_on,
        threshold=threshold,
        suppressing=suppressing,
        sources=sources,
        total_segments=total_segments,
        total_respondents=total_people,
        quarters=quarters,
        survey_rounds=rounds,
        linked_on=linked_on,
        comparison=comparison,
        survey_comparison=survey_comparison,
        trend_note=trend_note,
    )


def _quotes(
    partnership_id: int, theme_key: str, source: SourceType, where: list[Any]
) -> list[Quote]:
    """A few comments that show what people said: the clearest examples, one per person, the
    commonest tone first and every tone present represented."""
    candidates = db.session.execute(
        confirmed_join(
            sa.select(
                TextSegment.text,
                TextSegment.sentiment,
                TextSegment.field_label,
                TextSegment.occurred_on,
                respondent_expr(),
                TextSegment.source_id,
            ),
            theme_key,
        )
        .where(*where, TextSegment.source_type == source)
        .order_by(
            sa.func.coalesce(SegmentCode.confidence, 1.0).desc(),
            TextSegment.occurred_on.desc(),
            TextSegment.id.desc(),
        )
        .limit(60)
    ).all()
    if source is SourceType.VOICE:
        # A child or parent who agreed to "themes only" is counted, never quoted.
        from feedback.services.voice import quotable_record_ids

        quotable = quotable_record_ids(partnership_id, {r[5] for r in candidates})
        candidates = [r for r in candidates if r[5] in quotable]
    by_tone: dict[str, list[Any]] = defaultdict(list)
    for row in candidates:
        by_tone[row[1] or "unanalysed"].append(row)
    tones = sorted(by_tone, key=lambda t: -len(by_tone[t]))
    chosen: list[Any] = []
    seen_people: set[str] = set()
    seen_texts: set[str] = set()
    while len(chosen) < QUOTES_PER_SOURCE and any(by_tone.values()):
        for tone in tones:
            while by_tone[tone]:
                row = by_tone[tone].pop(0)
                text_key = " ".join(row[0].lower().split())
                if row[4] in seen_people or text_key in seen_texts:
                    continue
                seen_people.add(row[4])
                seen_texts.add(text_key)
                chosen.append(row)
                break
            if len(chosen) >= QUOTES_PER_SOURCE:
                break
    return [Quote(_cut(r[0]), r[1], r[2], r[3]) for r in chosen]


def _share(negative: int, analysed: int) -> float | None:
    return 100 * negative / analysed if analysed else None


def _verdict(
    before: float | None,
    after: float | None,
    before_n: int,
    after_n: int,
    threshold: int,
    *,
    higher_is_better: bool,
    what: str,
) -> tuple[str, str]:
    if before is None or after is None or before_n < threshold or after_n < threshold:
        return "not enough evidence yet", (
            f"Not enough evidence yet to say whether {what} has changed: each side of the link "
            f"needs at least {threshold} people."
        )
    change = after - before
    if abs(change) < MEANINGFUL_CHANGE:
        verdict = "about the same"
    elif (change > 0) == higher_is_better:
        verdict = "better"
    else:
        verdict = "worse"
    return (
        verdict,
        f"{what.capitalize()}: {before:.0f}% before the link, {after:.0f}% since ({verdict}).",
    )


def _quarters(
    partnership_id: int,
    theme_key: str,
    where: list[Any],
    linked_on: date | None,
    threshold: int,
    suppressing: bool,
) -> tuple[list[TrendPoint], Comparison | None]:
    rows = db.session.execute(
        confirmed_join(
            sa.select(TextSegment.occurred_on, TextSegment.sentiment, respondent_expr()),
            theme_key,
        ).where(*where)
    ).all()
    buckets: dict[date, dict[str, Any]] = {}
    sides = {True: [0, 0, set()], False: [0, 0, set()]}  # negative, analysed, people
    for occurred_on, sentiment, person in rows:
        start, label = quarter_of(occurred_on)
        bucket = buckets.setdefault(
            start, {"label": label, "segments": 0, "people": set(), "neg": 0, "analysed": 0}
        )
        bucket["segments"] += 1
        bucket["people"].add(person)
        if sentiment:
            bucket["analysed"] += 1
            bucket["neg"] += sentiment == "negative"
        if linked_on is not None:
            side = sides[occurred_on >= linked_on]
            if sentiment:
                side[1] += 1
                side[0] += sentiment == "negative"
            side[2].add(person)
    starts = sorted(buckets)
    quarter_people = {start.isoformat(): len(buckets[start]["people"]) for start in starts}
    # The quarters add up to the trend's total, so one small quarter could be worked out from
    # the others: secondary suppression hides more until that is no longer possible.
    shown_people: dict[str, Cell] = (
        dict(suppress_counts(quarter_people, threshold, total_shown=True).cells)
        if suppressing and quarter_people
        else dict(quarter_people)
    )
    points = []
    for start in starts:
        b = buckets[start]
        n_people = shown_people[start.isoformat()]
        hidden = isinstance(n_people, Suppressed)
        points.append(
            TrendPoint(
                label=b["label"],
                starts_on=start,
                segments=n_people if hidden else b["segments"],
                respondents=n_people,
                negative_pct=None if hidden else _share(b["neg"], b["analysed"]),
                after_link=None if linked_on is None else start >= _quarter_start(linked_on),
            )
        )
    if linked_on is None:
        return points, None
    before, after = sides[False], sides[True]
    before_pct, after_pct = _share(before[0], before[1]), _share(after[0], after[1])
    verdict, sentence = _verdict(
        before_pct,
        after_pct,
        len(before[2]),
        len(after[2]),
        threshold,
        higher_is_better=False,
        what="the share of comments on this theme that are negative",
    )
    hide_before = suppressing and 0 < len(before[2]) < threshold
    hide_after = suppressing and 0 < len(after[2]) < threshold
    # The two sides make up the trend's people: one hidden side is the total less the other.
    hide_counts = hide_before or hide_after
    comparison = Comparison(
        before_negative=None if hide_before else before_pct,
        after_negative=None if hide_after else after_pct,
        before_n=Suppressed("secondary" if not hide_before else "primary")
        if hide_counts
        else len(before[2]),
        after_n=Suppressed("secondary" if not hide_after else "primary")
        if hide_counts
        else len(after[2]),
        verdict=verdict,
        sentence=sentence,
    )
    return points, comparison


def _quarter_start(day: date) -> date:
    return quarter_of(day)[0]


def _survey_rounds(
    partnership: Partnership,
    theme_key: str,
    from_on: date | None,
    to_on: date | None,
    linked_on: date | None,
    threshold: int,
    suppressing: bool,
) -> tuple[list[TrendPoint], Comparison | None]:
    """Each staff-survey round: mean agreement with the statements tagged to the theme."""
    from feedback.services import lna

    items = lna.survey_items(
        partnership.id, from_on or date(2000, 1, 1), to_on or date(2100, 12, 31), threshold
    )
    rounds: dict[int, list[lna.SurveyItem]] = defaultdict(list)
    for item in items:
        if theme_key in item.themes:
            rounds[item.campaign_id].append(item)
    points: list[tuple[TrendPoint, int]] = []
    for campaign_items in rounds.values():
        first = campaign_items[0]
        n = max(i.n for i in campaign_items)
        shown = [
            i
            for i in campaign_items
            if i.percent_agree is not None and (i.reportable or not suppressing)
        ]
        agree = sum(i.percent_agree or 0.0 for i in shown) / len(shown) if shown else None
        hidden = suppressing and 0 < n < threshold
        point = TrendPoint(
            label=first.campaign_title,
            starts_on=first.opens_on,
            segments=Suppressed("primary") if hidden else n,
            respondents=Suppressed("primary") if hidden else n,
            negative_pct=None,
            agree_pct=agree,
            after_link=None if linked_on is None else first.opens_on >= linked_on,
        )
        points.append((point, n))
    points.sort(key=lambda pn: pn[0].starts_on)
    shown_points = [p for p, _ in points]
    if linked_on is None or not points:
        return shown_points, None
    before = [(p, n) for p, n in points if not p.after_link and p.agree_pct is not None]
    after = [(p, n) for p, n in points if p.after_link and p.agree_pct is not None]
    last_before, before_n = before[-1] if before else (None, 0)
    last_after, after_n = after[-1] if after else (None, 0)
    verdict, sentence = _verdict(
        last_before.agree_pct if last_before else None,
        last_after.agree_pct if last_after else None,
        before_n,
        after_n,
        threshold,
        higher_is_better=True,
        what="agreement with the staff survey's statements on this theme",
    )
    return shown_points, Comparison(
        before_negative=last_before.agree_pct if last_before else None,
        after_negative=last_after.agree_pct if last_after else None,
        before_n=last_before.respondents if last_before else 0,
        after_n=last_after.respondents if last_after else 0,
        verdict=verdict,
        sentence=sentence,
    )


# -- Triangulation -------------------------------------------------------------------------------


@dataclass
class Triangulation:
    themes: list[tuple[str, str]]
    sources: list[SourceType]
    cells: dict[str, dict[str, Cell]]
    row_totals: dict[str, Cell]
    column_totals: dict[str, Cell]
    grand_total: Cell
    suppressing: bool
    threshold: int
    #: The largest shown cell, for shading.
    largest: int


def triangulation(
    partnership: Partnership,
    labels: dict[str, str],
    *,
    role: Role | str,
    from_on: date | None = None,
    to_on: date | None = None,
) -> Triangulation:
    """Themes by sources: confirmed codes in each, small cells hidden with secondary suppression.

    A cell shows comments (confirmed codes), but whether it is hidden rests on the people or
    records they came from: one child's record with five coded lines is still one child. The
    suppression runs on the table of people, and a comment count is shown only where the
    people behind it are.
    """
    rows = db.session.execute(
        confirmed_join(
            sa.select(
                SegmentCode.theme_key,
                TextSegment.source_type,
                sa.func.count(),
                sa.func.count(sa.distinct(respondent_expr())),
            )
        )
        .where(TextSegment.partnership_id == partnership.id, *period_clause(from_on, to_on))
        .group_by(SegmentCode.theme_key, TextSegment.source_type)
    ).all()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    people: dict[str, dict[str, int]] = defaultdict(dict)
    for key, source, n, n_people in rows:
        counts[key][SourceType(source).value] = int(n)
        people[key][SourceType(source).value] = int(n_people)
    sources = [s for s in SOURCE_ORDER if any(s.value in c for c in counts.values())]
    themes = sorted(
        ((key, labels.get(key, key)) for key in counts),
        key=lambda kv: (-sum(counts[kv[0]].values()), kv[1].lower()),
    )
    table = {key: {s.value: counts[key].get(s.value, 0) for s in sources} for key, _ in themes}
    suppressing = suppressing_for(role)
    threshold = partnership.disclosure_threshold
    cells: dict[str, dict[str, Cell]] = {k: dict(v) for k, v in table.items()}
    row_totals: dict[str, Cell] = {k: sum(v.values()) for k, v in table.items()}
    column_totals: dict[str, Cell] = {
        s.value: sum(table[k][s.value] for k in table) for s in sources
    }
    grand: Cell = sum(sum(v.values()) for v in table.values())
    if suppressing and table:
        people_table = {k: {s.value: people[k].get(s.value, 0) for s in sources} for k in table}
        hidden = suppress_table(people_table, threshold)
        cells = {
            k: {
                c: v if isinstance(hidden.cells[k][c], int) else hidden.cells[k][c]
                for c, v in row.items()
            }  # fmt: skip
            for k, row in cells.items()
        }
        row_totals = {
            k: v if isinstance(hidden.row_totals[k], int) else hidden.row_totals[k]
            for k, v in row_totals.items()
        }
        column_totals = {
            c: v if isinstance(hidden.column_totals[c], int) else hidden.column_totals[c]
            for c, v in column_totals.items()
        }
        if not isinstance(hidden.grand_total, int):
            grand = hidden.grand_total
    largest = max(
        (c for row in cells.values() for c in row.values() if isinstance(c, int)), default=0
    )
    return Triangulation(
        themes=themes,
        sources=sources,
        cells=cells,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=grand,
        suppressing=suppressing,
        threshold=threshold,
        largest=largest,
    )
