"""Campaign results: each question summarised as its type needs, filtered, small counts hidden.

The statistics come from analysis.stats and the hiding from analysis.disclosure; this module only
gathers the answers (one pass over the responses, never all of them in memory at once), decides
what a reader may see and lays the figures out as tables and chart data.

Who sees what:
- admins see every count; everyone else gets counts under the partnership's disclosure threshold
  hidden ("[c]"), with secondary suppression, and "fewer than N responses" for a question or a
  filtered view answered by fewer than N people;
- names beside free text only for admins, and never in anonymous campaigns (see may_see_people).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import forms
from analysis import stats
from analysis.disclosure import Suppressed, is_reportable, suppress_counts
from feedback.extensions import db
from feedback.models import Agency, Campaign, Partnership, Person, Response, ResponseMode, Role
from feedback.models.campaigns import Invitation
from feedback.models.partnership import SECTOR_LABELS, Sector
from feedback.services import ServiceError, whole_number_or_none

#: Free-text answers listed on the page per question; every one is in the export.
TEXT_LIMIT = 500
#: Rows fetched from the database at a time while summarising.
BATCH = 1000
DONT_KNOW = "dont_know"
#: Question types summarised with quartiles rather than as a Likert scale.
NUMERIC_SCALES = ("rating", "safety_scale")
#: Question types a trend can follow across campaigns.
TREND_TYPES = ("likert", "emoji_scale", "rating", "safety_scale", "number")

Cell = Any  # int, float, str, Suppressed or None


def may_see_people(role: Role | str, mode: ResponseMode | str) -> bool:
    """Whether a reader may see who gave an answer: admins only, and never when anonymous."""
    return Role(role) == Role.ADMIN and ResponseMode(mode) != ResponseMode.ANONYMOUS


def discloses_small(role: Role | str) -> bool:
    """Whether a reader sees counts under the disclosure threshold (the partnership team)."""
    return Role(role) == Role.ADMIN


# -- Filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which responses a results view covers: by agency, sector and job role."""

    agency_id: int | None = None
    sector: str | None = None
    role: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.agency_id, self.sector, self.role))

    def as_args(self) -> dict[str, str]:
        """The query arguments that give this view, for links and downloads."""
        args = {"agency": self.agency_id, "sector": self.sector, "role": self.role}
        return {k: str(v) for k, v in args.items() if v is not None}


@dataclass(frozen=True)
class FilterChoices:
    agencies: list[tuple[int, str]]
    sectors: list[tuple[str, str]]
    roles: list[str]


def filter_choices(campaign: Campaign) -> FilterChoices:
    """What a view can be filtered by. Job roles come from the people invited, not from the
    responses, so the list never says which roles answered."""
    agencies = db.session.execute(
        sa.select(Agency.id, Agency.name, Agency.sector)
        .where(Agency.partnership_id == campaign.partnership_id)
        .order_by(Agency.name)
    ).all()
    sectors = sorted({Sector(s) for _, _, s in agencies}, key=lambda s: SECTOR_LABELS[s])
    roles = db.session.scalars(
        sa.select(Person.job_role)
        .join(Invitation, Invitation.person_id == Person.id)
        .where(Invitation.campaign_id == campaign.id, Person.job_role.is_not(None))
        .distinct()
        .order_by(Person.job_role)
    ).all()
    return FilterChoices(
        agencies=[(i, n) for i, n, _ in agencies],
        sectors=[(s.value, s.label) for s in sectors],
        roles=list(roles),
    )


def parse_filters(
    partnership: Partnership, args: Mapping[str, str]
) -> tuple[Filters, list[tuple[str, str]]]:
    """Filters from query arguments, and (field, message) for each one that makes no sense.

    A bad value is left out of the filters, so the page still shows something useful.
    """
    errors: list[tuple[str, str]] = []
    agency_id: int | None = None
    raw = (args.get("agency") or "").strip()
    if raw:
        number = whole_number_or_none(raw, max_digits=11)
        if number is not None:
            agency_id = db.session.scalar(
                sa.select(Agency.id).where(
                    Agency.id == number, Agency.partnership_id == partnership.id
                )
            )
        if agency_id is None:
            errors.append(("agency", "Select an agency from the list"))
    sector = (args.get("sector") or "").strip() or None
    if sector is not None and sector not in {s.value for s in Sector}:
        errors.append(("sector", "Select a sector from the list"))
        sector = None
    role = (args.get("role") or "").strip() or None
    if role is not None and len(role) > 120:
        errors.append(("role", "Select a job role from the list"))
        role = None
    return Filters(agency_id=agency_id, sector=sector, role=role), errors


def filtered(query: sa.Select, campaign: Campaign, filters: Filters) -> sa.Select:
    """Limit a query over Response to one campaign and a view's filters."""
    query = query.where(Response.campaign_id == campaign.id)
    if filters.agency_id is not None:
        query = query.where(Response.agency_id == filters.agency_id)
    if filters.sector is not None:
        query = query.where(
            Response.agency_id.in_(
                sa.select(Agency.id).where(
                    Agency.partnership_id == campaign.partnership_id,
                    Agency.sector == Sector(filters.sector),
                )
            )
        )
    if filters.role is not None:
        query = query.where(Response.job_role == filters.role)
    return query


def count_responses(campaign: Campaign, filters: Filters = Filters()) -> int:
    query = filtered(sa.select(sa.func.count()).select_from(Response), campaign, filters)
    return db.session.scalar(query) or 0


# -- What the page shows ---------------------------------------------------------------------------


@dataclass
class Table:
    """A table on the page, also offered as CSV and XLSX; cells may be Suppressed markers."""

    title: str
    head: list[str]
    rows: list[list[Cell]]
    #: Numbered columns are right-aligned on the page.
    numeric: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] + [True] * (len(self.head) - 1)


@dataclass(frozen=True)
class TextAnswer:
    text: str
    #: The respondent's name, only where may_see_people allows.
    name: str | None = None


@dataclass
class QuestionResult:
    key: str
    label: str
    type: str
    #: likert, grid, choice, multi, ranking, numeric, text, date
    shape: str
    #: Respondents who answered this question in the view.
    n: int
    reportable: bool
    tables: list[Table] = field(default_factory=list)
    #: Headline figures as (name, value) pairs, already worded.
    figures: list[tuple[str, str]] = field(default_factory=list)
    #: Data for the stacked-bar macro (likert, grid) or the bar macro (choices).
    stacked: dict[str, Any] | None = None
    bars: dict[str, Any] | None = None
    texts: list[TextAnswer] = field(default_factory=list)
    texts_left_out: int = 0
    #: Filled by the text-analysis pipeline (sentiment and themes) in a later issue.
    text_analysis: Any = None


@dataclass
class CampaignResults:
    campaign: Campaign
    filters: Filters
    threshold: int
    #: True when small counts are hidden for this reader.
    suppressing: bool
    show_people: bool
    n_total: int
    n_view: int
    reportable: bool
    #: Why the view is not shown, when it is not.
    withheld: str | None
    questions: list[QuestionResult]

    def tables(self) -> list[Table]:
        """Every table on the page, in page order, for the downloads."""
        out = [
            Table(
                "Responses",
                ["Measure", "Value"],
                [["Responses in this view", self.n_view if self.reportable else self.withheld]],
            )
        ]
        for q in self.questions:
            if not q.reportable:
                out.append(Table(q.label, ["Note"], [[fewer_than(self.threshold)]], [False]))
            out.extend(q.tables)
        return out


def fewer_than(threshold: int) -> str:
    return f"Fewer than {threshold} responses"


def text_analysis(question: Mapping[str, Any], answers: list[TextAnswer]) -> Any:
    """Sentiment balance and top themes of one free-text question's answers in the view.

    Returns a feedback.services.text_analysis.FreeTextSummary (None when nobody wrote anything):
    the page asks it for its report with the partnership and the reader's disclosure rules, so
    counts under the threshold are hidden for everyone but admins.
    """
    from feedback.services.text_analysis import FreeTextSummary

    texts = [answer.text for answer in answers if answer.text and answer.text.strip()]
    return FreeTextSummary(texts) if texts else None


# -- Formatting ------------------------------------------------------------------------------------


def percent(count: Cell, n: int) -> Cell:
    """count as a percentage of n to one decimal place, or the marker when count is hidden."""
    if isinstance(count, Suppressed):
        return count
    if count is None or not n:
        return None
    return round(100 * count / n, 1)


def format_percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _median_label(median: float | None, labels: list[str]) -> str:
    if median is None:
        return "–"
    if median.is_integer():
        return labels[int(median) - 1]
    return f"between {labels[int(median) - 1]} and {labels[int(median)]}"


def _number(value: float | None) -> Cell:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


# -- Gathering answers -----------------------------------------------------------------------------


class _Gatherer:
    """Collects one question's answers as the responses stream past."""

    def __init__(self, question: Mapping[str, Any], keep_names: bool):
        self.question = question
        self.keep_names = keep_names
        self.answered = 0
        self.values: list[Any] = []
        self.texts: list[TextAnswer] = []
        self.texts_seen = 0

    def add(self, stored: Any, name: str | None) -> None:
        if stored is None or stored == "" or stored == {} or stored == []:
            return
        self.answered += 1
        self.values.append(stored)
        for text in _texts(self.question, stored):
            self.texts_seen += 1
            if len(self.texts) < TEXT_LIMIT:
                self.texts.append(TextAnswer(text, name if self.keep_names else None))


def _texts(question: Mapping[str, Any], stored: Any) -> list[str]:
    try:
        return forms.answer_texts(question, stored)
    except (KeyError, TypeError, ValueError):
        return []


def answerable_questions(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The questions that collect an answer, in the order respondents meet them."""
    return [
        q
        for _, q in forms.iter_questions(definition)
        if q.get("type") in forms.QUESTION_TYPES and forms.QUESTION_TYPES[q["type"]].answerable
    ]


def _gather(
    campaign: Campaign, filters: Filters, questions: list[Mapping[str, Any]], names: bool
) -> list[_Gatherer]:
    gatherers = [_Gatherer(q, names) for q in questions]
    columns: list[Any] = [Response.answers]
    query = sa.select(*columns)
    if names:
        query = sa.select(Response.answers, Person.name).outerjoin(
            Person, Person.id == Response.person_id
        )
    # Ordered by the random id: the page never shows the order people answered in.
    query = filtered(query, campaign, filters).order_by(Response.id)
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        answers = row[0] or {}
        name = row[1] if names else None
        for g in gatherers:
            g.add(answers.get(g.question["key"]), name)
    return gatherers


# -- Summaries per question type -------------------------------------------------------------------


@dataclass
class _Context:
    threshold: int
    suppressing: bool

    def hide(self, counts: Mapping[str, int], total_shown: bool = True) -> dict[str, Cell]:
        if not self.suppressing:
            return dict(counts)
        return dict(suppress_counts(counts, self.threshold, total_shown).cells)

    def reportable(self, n: int) -> bool:
        return not self.suppressing or is_reportable(n, self.threshold)


def _scale_codes(values: Iterable[Any], k: int) -> list[Any]:
    """Stored scale answers, with anything not on the scale (an old version's) as missing."""
    out: list[Any] = []
    for v in values:
        if v == DONT_KNOW or (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= k):
            out.append(v)
        else:
            out.append(None)
    return out


def _likert_row(
    values: list[Any], labels: list[str], ctx: _Context, allow_dont_know: bool
) -> dict[str, Any]:
    """Counts, percentages, median and percent agree for one scale, as the reader may see them."""
    k = len(labels)
    codes = _scale_codes(values, k)
    summary = stats.likert_summary(codes, list(range(1, k + 1)), excluded=(DONT_KNOW,))
    counts = {labels[lc.code - 1]: lc.count for lc in summary.levels}
    answered = summary.n + summary.excluded
    reportable = ctx.reportable(summary.n)
    cells = ctx.hide(counts) if reportable else {}
    dont_know: Cell = None
    if allow_dont_know and reportable:
        # A handful of "don't know" beside the two totals would give itself away: leave it out.
        dont_know = summary.excluded
        if ctx.suppressing and 0 < summary.excluded < ctx.threshold:
            dont_know = Suppressed("primary")
    agree: Cell = None
    interval: tuple[float, float] | None = None
    if reportable and summary.percent_agree is not None:
        agree = round(summary.percent_agree, 1)
        interval = summary.agree_interval
        split = ctx.hide(
            {"agree": summary.agree_count or 0, "rest": summary.n - (summary.agree_count or 0)}
        )
        if any(isinstance(c, Suppressed) for c in split.values()):
            agree, interval = Suppressed("secondary"), None
    return {
        "summary": summary,
        "answered": answered,
        "n": summary.n,
        "reportable": reportable,
        "cells": cells,
        "percents": {label: percent(cells[label], summary.n) for label in cells},
        "dont_know": dont_know,
        "median": _median_label(summary.median, labels) if reportable else None,
        "agree": agree,
        "interval": interval,
    }


def _interval_text(interval: tuple[float, float] | None) -> str:
    if interval is None:
        return "–"
    return f"{interval[0]:.1f}% to {interval[1]:.1f}%"


def _agree_text(row: dict[str, Any]) -> str:
    agree = row["agree"]
    if isinstance(agree, Suppressed):
        return str(agree)
    if agree is None:
        return "–"
    return f"{agree:.1f}% (95% confidence interval {_interval_text(row['interval'])})"


def _stacked_row(label: str, row: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    segments = []
    for index, level in enumerate(labels):
        cell = row["cells"].get(level)
        if isinstance(cell, int) and row["n"]:
            value = 100 * cell / row["n"]
            segments.append({"index": index, "label": level, "percent": value})
    shown = sum(s["percent"] for s in segments)
    hidden = (
        max(0.0, 100 - shown)
        if any(isinstance(c, Suppressed) for c in row["cells"].values())
        else 0.0
    )
    return {"label": label, "segments": segments, "hidden": hidden, "n": row["n"]}


def _likert(q: Mapping[str, Any], g: _Gatherer, ctx: _Context) -> QuestionResult:
    summary = forms.summarise(q)
    labels = [str(level["label"]) for level in summary["levels"]]
    allow_dk = bool(summary.get("not_applicable"))
    row = _likert_row(g.values, labels, ctx, allow_dk)
    result = QuestionResult(q["key"], q["label"], q["type"], "likert", row["n"], row["reportable"])
    if not row["reportable"]:
        return result
    rows = [[level, row["cells"][level], row["percents"][level]] for level in labels]
    if allow_dk:
        rows.append(["Don't know (not in the percentages)", row["dont_know"], None])
    rows.append(["Answered on the scale", row["n"], 100.0 if row["n"] else None])
    result.tables.append(Table(q["label"], ["Answer", "Count", "Percent"], rows))
    result.figures = [("Answered", f"{row['n']:,}"), ("Median answer", row["median"] or "–")]
    if row["summary"].agree_levels:
        agree_names = " or ".join(labels[c - 1] for c in row["summary"].agree_levels)
        result.figures.append((f"Percent agreeing ({agree_names})", _agree_text(row)))
    result.stacked = {
        "title": q["label"],
        "levels": labels,
        "rows": [_stacked_row("All answers", row, labels)],
    }
    return result


def _grid_rows(q: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, Callable[[Any], Any]]]]:
    """Scale labels and (row label, how to read that row's answer) for matrix and paired grids."""
    summary = forms.summarise(q)
    labels = [str(level["label"]) for level in summary["levels"]]
    if summary["kind"] == "paired_ordinal":
        rows = []
        for item in summary["items"]:
            for moment, word in (("before", "before"), ("now", "now")):
                rows.append(
                    (
                        f"{item['label']} ({word})",
                        lambda a, k=item["key"], m=moment: (
                            (a.get(k) or {}).get(m)
                            if isinstance(a, Mapping) and isinstance(a.get(k), Mapping)
                            else None
                        ),
                    )
                )
        return labels, rows
    return labels, [
        (
            r["label"],
            lambda a, k=r["key"]: a.get(k) if isinstance(a, Mapping) else None,
        )
        for r in summary.get("rows", [])
    ]


def _grid(q: Mapping[str, Any], g: _Gatherer, ctx: _Context) -> QuestionResult:
    labels, row_specs = _grid_rows(q)
    allow_dk = bool(forms.summarise(q).get("not_applicable"))
    result = QuestionResult(
        q["key"], q["label"], q["type"], "grid", g.answered, ctx.reportable(g.answered)
    )
    if not result.reportable:
        return result
    head = ["Statement", *labels]
    if allow_dk:
        head.append("Don't know")
    head += ["Answered on the scale", "Median answer", "Percent agreeing", "95% interval"]
    table_rows, stacked_rows, percent_rows = [], [], []
    has_agree = False
    for label, read in row_specs:
        row = _likert_row([read(v) for v in g.values], labels, ctx, allow_dk)
        if not row["reportable"]:
            table_rows.append(
                [
                    label,
                    *[None] * len(labels),
                    *([None] if allow_dk else []),
                    fewer_than(ctx.threshold),
                    None,
                    None,
                    None,
                ]
            )
            continue
        has_agree = has_agree or row["summary"].agree_levels != ()
        agree = row["agree"]
        interval = _interval_text(row["interval"]) if row["interval"] else None
        table_rows.append(
            [
                label,
                *[row["cells"][level] for level in labels],
                *([row["dont_know"]] if allow_dk else []),
                row["n"],
                row["median"],
                agree,
                interval,
            ]
        )
        percent_rows.append([label, *[row["percents"][level] for level in labels], row["n"]])
        stacked_rows.append(_stacked_row(label, row, labels))
    numeric = [False] + [True] * (len(head) - 5 + 1) + [False, True, False]
    result.tables.append(Table(f"{q['label']}: counts", head, table_rows, numeric))
    result.tables.append(
        Table(
            f"{q['label']}: percentages",
            ["Statement", *labels, "Answered on the scale"],
            percent_rows,
        )
    )
    result.figures = [("Answered", f"{g.answered:,}")]
    if not has_agree:
        for r in table_rows:
            del r[-2:]
        head[-2:] = []
        result.tables[0].numeric = numeric[:-2]
    result.stacked = {"title": q["label"], "levels": labels, "rows": stacked_rows}
    return result


def _choice(q: Mapping[str, Any], g: _Gatherer, ctx: _Context, multi: bool) -> QuestionResult:
    summary = forms.summarise(q)
    levels = [(level["value"], str(level["label"])) for level in summary["levels"]]
    counts: Counter[Any] = Counter()
    answered = 0
    for stored in g.values:
        picked = stored.get("selected", []) if multi and isinstance(stored, Mapping) else [stored]
        seen = False
        for value in picked:
            for v, _ in levels:
                if forms.questions.same_value(v, value):
                    counts[repr(v)] += 1
                    seen = True
        answered += seen
    shape = "multi" if multi else "choice"
    result = QuestionResult(
        q["key"], q["label"], q["type"], shape, answered, ctx.reportable(answered)
    )
    if not result.reportable:
        return result
    raw = {label: counts[repr(v)] for v, label in levels}
    cells = ctx.hide(raw, total_shown=not multi)
    base = "Percent of those answering"
    rows = [[label, cells[label], percent(cells[label], answered)] for _, label in levels]
    rows.append(["Answered", answered, 100.0 if answered and not multi else None])
    result.tables.append(Table(q["label"], ["Answer", "Count", base], rows))
    result.figures = [("Answered", f"{answered:,}")]
    if multi:
        result.figures.append(("Note", "People could choose more than one answer"))
        result.texts = g.texts
        result.texts_left_out = g.texts_seen - len(g.texts)
    result.bars = {
        "title": q["label"],
        "bars": [
            {
                "label": label,
                "percent": percent(cells[label], answered)
                if not isinstance(cells[label], Suppressed)
                else None,
                "text": str(cells[label])
                if isinstance(cells[label], Suppressed)
                else f"{cells[label]:,} ({format_percent(percent(cells[label], answered))})",
            }
            for _, label in levels
        ],
    }
    return result


def _ranking(q: Mapping[str, Any], g: _Gatherer, ctx: _Context) -> QuestionResult:
    summary = forms.summarise(q)
    levels = [(level["value"], str(level["label"])) for level in summary["levels"]]
    firsts: Counter[str] = Counter()
    ranks: dict[str, list[int]] = {v: [] for v, _ in levels}
    answered = 0
    for stored in g.values:
        if not isinstance(stored, list) or not stored:
            continue
        answered += 1
        firsts[stored[0]] += 1
        for position, value in enumerate(stored, start=1):
            if value in ranks:
                ranks[value].append(position)
    result = QuestionResult(
        q["key"], q["label"], q["type"], "ranking", answered, ctx.reportable(answered)
    )
    if not result.reportable:
        return result
    cells = ctx.hide({label: firsts[v] for v, label in levels})
    rows = [
        [
            label,
            cells[label],
            percent(cells[label], answered),
            round(sum(ranks[v]) / len(ranks[v]), 2) if ranks[v] else None,
        ]
        for v, label in levels
    ]
    result.tables.append(
        Table(q["label"], ["Option", "Ranked first", "Percent ranked first", "Average rank"], rows)
    )
    result.figures = [("Answered", f"{answered:,}"), ("Note", "Rank 1 is the most important")]
    return result


def numeric_values(q: Mapping[str, Any], values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            out.append(float(v))
    return out


def _numeric(q: Mapping[str, Any], g: _Gatherer, ctx: _Context) -> QuestionResult:
    values = numeric_values(q, g.values)
    summary = stats.numeric_summary(values)
    result = QuestionResult(
        q["key"], q["label"], q["type"], "numeric", summary.n, ctx.reportable(summary.n)
    )
    if not result.reportable:
        return result
    rows = [
        ["Answered", summary.n],
        ["Median", _number(summary.median)],
        ["Lower quartile", _number(summary.q1)],
        ["Upper quartile", _number(summary.q3)],
        ["Mean", _number(summary.mean)],
    ]
    if not ctx.suppressing:
        # The lowest and highest answers are one person's each: for the partnership team only.
        rows += [["Lowest", _number(summary.min)], ["Highest", _number(summary.max)]]
    result.tables.append(Table(f"{q['label']}: summary", ["Measure", "Value"], rows))
    result.figures = [
        ("Answered", f"{summary.n:,}"),
        ("Median", str(_number(summary.median))),
        ("Middle half of answers", f"{_number(summary.q1)} to {_number(summary.q3)}"),
    ]
    if q["type"] in NUMERIC_SCALES:
        levels = [str(level["value"]) for level in forms.summarise(q)["levels"]]
        labels = {
            str(level["value"]): str(level["label"]) for level in forms.summarise(q)["levels"]
        }
        counts = Counter(str(int(v)) for v in values if float(v).is_integer())
        cells = ctx.hide({level: counts[level] for level in levels})
        result.tables.append(
            Table(
                f"{q['label']}: answers",
                ["Score", "Count", "Percent"],
                [[labels[lv], cells[lv], percent(cells[lv], summary.n)] for lv in levels],
            )
        )
        result.bars = {
            "title": q["label"],
            "bars": [
                {
                    "label": labels[lv],
                    "percent": None
                    if isinstance(cells[lv], Suppressed)
                    else percent(cells[lv], summary.n),
                    "text": str(cells[lv])
                    if isinstance(cells[lv], Suppressed)
                    else f"{cells[lv]:,} ({format_percent(percent(cells[lv], summary.n))})",
                }
                for lv in levels
            ],
        }
    return result


def _text(q: Mapping[str, Any], g: _Gatherer, ctx: _Context, names: bool) -> QuestionResult:
    result = QuestionResult(
        q["key"], q["label"], q["type"], "text", g.answered, ctx.reportable(g.answered)
    )
    if not result.reportable:
        return result
    result.texts = g.texts
    result.texts_left_out = g.texts_seen - len(g.texts)
    result.text_analysis = text_analysis(q, g.texts)
    head = ["Answer", "Name"] if names else ["Answer"]
    rows = [[t.text, t.name] if names else [t.text] for t in g.texts]
    result.tables.append(Table(f"{q['label']}: answers", head, rows, [False] * len(head)))
    result.figures = [("Answered", f"{g.answered:,}")]
    return result


def _date(q: Mapping[str, Any], g: _Gatherer, ctx: _Context) -> QuestionResult:
    result = QuestionResult(
        q["key"], q["label"], q["type"], "date", g.answered, ctx.reportable(g.answered)
    )
    if result.reportable:
        result.figures = [("Answered", f"{g.answered:,}")]
    return result


def summarise_question(
    q: Mapping[str, Any], g: _Gatherer, ctx: _Context, names: bool
) -> QuestionResult:
    kind = forms.summarise(q)["kind"]
    if q["type"] in NUMERIC_SCALES or kind == "number":
        return _numeric(q, g, ctx)
    if kind == "ordinal":
        return _likert(q, g, ctx)
    if kind in ("ordinal_grid", "paired_ordinal"):
        return _grid(q, g, ctx)
    if kind == "categorical":
        return _choice(q, g, ctx, multi=False)
    if kind == "multi_categorical":
        return _choice(q, g, ctx, multi=True)
    if kind == "ranking":
        return _ranking(q, g, ctx)
    if kind == "text":
        return _text(q, g, ctx, names)
    return _date(q, g, ctx)


# -- The page --------------------------------------------------------------------------------------


def view_withheld(n_view: int, n_total: int, threshold: int, filters: Filters) -> str | None:
    """Why a view cannot be shown to someone who must not see small numbers, or None.

    A filtered view is also withheld when the responses left out of it are a small group: the
    whole campaign minus this view would otherwise give that group's answers away.
    """
    if not is_reportable(n_view, threshold):
        return fewer_than(threshold)
    rest = n_total - n_view
    if filters.active and rest and not is_reportable(rest, threshold):
        return (
            f"Results for this selection are not shown: with the whole campaign, they would give "
            f"away the answers of fewer than {threshold} other people"
        )
    return None


def campaign_results(campaign: Campaign, filters: Filters, role: Role | str) -> CampaignResults:
    """Every question of the campaign summarised for this view and this reader."""
    partnership = db.session.get(Partnership, campaign.partnership_id)
    threshold = partnership.disclosure_threshold
    ctx = _Context(threshold=threshold, suppressing=not discloses_small(role))
    names = may_see_people(role, campaign.mode)
    n_total = count_responses(campaign)
    n_view = count_responses(campaign, filters) if filters.active else n_total
    withheld = view_withheld(n_view, n_total, threshold, filters) if ctx.suppressing else None
    results = CampaignResults(
        campaign=campaign,
        filters=filters,
        threshold=threshold,
        suppressing=ctx.suppressing,
        show_people=names,
        n_total=n_total,
        n_view=n_view,
        reportable=withheld is None,
        withheld=withheld,
        questions=[],
    )
    if withheld is not None or n_view == 0:
        return results
    questions = answerable_questions(campaign.instrument_version.definition)
    for q, g in zip(questions, _gather(campaign, filters, questions, names), strict=True):
        results.questions.append(summarise_question(q, g, ctx, names))
    return results


def get_results_campaign(partnership: Partnership, campaign_id: int) -> Campaign:
    """The partnership's campaign (NotFound otherwise), for results and exports."""
    from feedback.services.campaigns import get_campaign

    return get_campaign(partnership, campaign_id)


def ensure_valid(errors: list[tuple[str, str]]) -> None:
    """Raise the first filter problem as a ServiceError (for the API and downloads)."""
    if errors:
        field_name, message = errors[0]
        raise ServiceError(message, field=field_name)


def iter_tables_rows(tables: list[Table]) -> Iterator[list[Cell]]:
    """All tables one after another, each under its title, for a single CSV download."""
    for index, table in enumerate(tables):
        if index:
            yield []
        yield [table.title]
        yield list(table.head)
        yield from table.rows


# -- Year on year --------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    """One question in one round, as the reader may see it."""

    #: False when the round did not ask the question, or asked it on another scale.
    asked: bool
    n: int = 0
    reportable: bool = False
    median: str | None = None
    agree: Cell = None
    interval: tuple[float, float] | None = None
    q1: Cell = None
    q3: Cell = None


@dataclass
class TrendQuestion:
    key: str
    label: str
    type: str
    #: likert or numeric
    shape: str
    points: list[TrendPoint]
    table: Table
    bars: dict[str, Any] | None
    change: stats.GroupComparison | None
    change_note: str | None
    agencies: stats.GroupComparison | None
    agencies_note: str | None


@dataclass
class Trend:
    campaign: Campaign
    filters: Filters
    threshold: int
    suppressing: bool
    #: (campaign, responses in view, shown) oldest first; the selected campaign is among them.
    rounds: list[tuple[Campaign, int, bool]]
    previous: Campaign | None
    questions: list[TrendQuestion]

    def tables(self) -> list[Table]:
        rounds = Table(
            "Rounds",
            ["Campaign", "Opened", "Responses"],
            [
                [c.title, c.opens_at.date().isoformat(), n if shown else fewer_than(self.threshold)]
                for c, n, shown in self.rounds
            ],
        )
        return [rounds, *[q.table for q in self.questions]]


def same_instrument_campaigns(campaign: Campaign) -> list[Campaign]:
    """The partnership's campaigns of the same instrument (any version), oldest first."""
    from feedback.models import InstrumentVersion

    instrument_id = campaign.instrument_version.instrument_id
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
            .where(
                Campaign.partnership_id == campaign.partnership_id,
                InstrumentVersion.instrument_id == instrument_id,
            )
            .order_by(Campaign.opens_at, Campaign.id)
        )
    )


def _comparable(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> bool:
    """Whether two versions of a question (matched by key) measure the same thing the same way."""
    if b is None or a.get("type") != b.get("type"):
        return False
    if a["type"] in ("likert", "emoji_scale", "rating", "safety_scale"):
        levels_a = [lv["label"] for lv in forms.summarise(a)["levels"]]
        levels_b = [lv["label"] for lv in forms.summarise(b)["levels"]]
        return levels_a == levels_b
    return True


def _trend_values(q: Mapping[str, Any], stored: Any) -> float | None:
    """An answer as a number for rank tests: the scale code, or the number typed."""
    if isinstance(stored, bool) or not isinstance(stored, int | float):
        return None
    if q["type"] in ("likert", "emoji_scale"):
        k = len(forms.summarise(q)["levels"])
        return float(stored) if 1 <= stored <= k else None
    return float(stored)


def _round_values(
    campaign: Campaign, filters: Filters, questions: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[tuple[int | None, float]]]:
    """(agency id, value) for each question key, from one pass over the round's responses."""
    out: dict[str, list[tuple[int | None, float]]] = {key: [] for key in questions}
    query = filtered(sa.select(Response.answers, Response.agency_id), campaign, filters)
    for answers, agency_id in db.session.execute(query.execution_options(yield_per=BATCH)):
        answers = answers or {}
        for key, q in questions.items():
            value = _trend_values(q, answers.get(key))
            if value is not None:
                out[key].append((agency_id, value))
    return out


def campaign_trend(campaign: Campaign, filters: Filters, role: Role | str) -> Trend:
    """Each Likert and number question across the instrument's campaigns, with the change from
    the previous round (Mann-Whitney) and the differences between agencies (Kruskal-Wallis)."""
    partnership = db.session.get(Partnership, campaign.partnership_id)
    threshold = partnership.disclosure_threshold
    ctx = _Context(threshold=threshold, suppressing=not discloses_small(role))
    campaigns = same_instrument_campaigns(campaign)
    selected_at = campaigns.index(campaign)
    previous = campaigns[selected_at - 1] if selected_at > 0 else None
    wanted = [q for q in answerable_questions(campaign.instrument_version.definition)]
    wanted = [q for q in wanted if q["type"] in TREND_TYPES]

    rounds: list[tuple[Campaign, int, bool]] = []
    values: list[dict[str, list[tuple[int | None, float]]]] = []
    matched: list[dict[str, Mapping[str, Any]]] = []
    for c in campaigns:
        n_total = count_responses(c)
        n_view = count_responses(c, filters) if filters.active else n_total
        shown = not ctx.suppressing or view_withheld(n_view, n_total, threshold, filters) is None
        rounds.append((c, n_view, shown))
        by_key = {q["key"]: q for q in answerable_questions(c.instrument_version.definition)}
        here = {q["key"]: by_key[q["key"]] for q in wanted if _comparable(q, by_key.get(q["key"]))}
        matched.append(here)
        values.append(_round_values(c, filters, here) if shown and here else {})

    agency_names = dict(
        db.session.execute(
            sa.select(Agency.id, Agency.name).where(Agency.partnership_id == partnership.id)
        ).all()
    )
    questions = []
    for q in wanted:
        likert = q["type"] in ("likert", "emoji_scale")
        # A number question has no levels; only Likert rows use the labels.
        labels = [str(lv["label"]) for lv in forms.summarise(q).get("levels", [])]
        points: list[TrendPoint] = []
        for (_c, _n, shown), here, vals in zip(rounds, matched, values, strict=True):
            if q["key"] not in here:
                points.append(TrendPoint(asked=False))
                continue
            data = [v for _, v in vals.get(q["key"], [])] if shown else []
            if not shown or not ctx.reportable(len(data)):
                points.append(TrendPoint(asked=True, n=len(data), reportable=False))
                continue
            if likert:
                row = _likert_row([int(v) for v in data], labels, ctx, allow_dont_know=False)
                points.append(
                    TrendPoint(
                        asked=True,
                        n=row["n"],
                        reportable=True,
                        median=row["median"],
                        agree=row["agree"],
                        interval=row["interval"],
                    )
                )
            else:
                s = stats.numeric_summary(data)
                points.append(
                    TrendPoint(
                        asked=True,
                        n=s.n,
                        reportable=True,
                        median=str(_number(s.median)),
                        q1=_number(s.q1),
                        q3=_number(s.q3),
                    )
                )
        questions.append(
            _trend_question(q, likert, rounds, points, values, selected_at, ctx, agency_names)
        )
    return Trend(campaign, filters, threshold, ctx.suppressing, rounds, previous, questions)


def _trend_question(
    q: Mapping[str, Any],
    likert: bool,
    rounds: list[tuple[Campaign, int, bool]],
    points: list[TrendPoint],
    values: list[dict[str, list[tuple[int | None, float]]]],
    selected_at: int,
    ctx: _Context,
    agency_names: Mapping[int, str],
) -> TrendQuestion:
    def shown(p: TrendPoint, what: Cell) -> Cell:
        if not p.asked:
            return "Not asked"
        return what if p.reportable else fewer_than(ctx.threshold)

    if likert:
        head = [
            "Campaign",
            "Opened",
            "Answered",
            "Median answer",
            "Percent agreeing",
            "95% interval",
        ]
        rows = [
            [
                c.title,
                c.opens_at.date().isoformat(),
                shown(p, p.n),
                shown(p, p.median),
                shown(p, p.agree),
                shown(p, _interval_text(p.interval) if p.interval else None),
            ]
            for (c, _n, _s), p in zip(rounds, points, strict=True)
        ]
        numeric = [False, False, True, False, True, False]
    else:
        head = ["Campaign", "Opened", "Answered", "Median", "Lower quartile", "Upper quartile"]
        rows = [
            [
                c.title,
                c.opens_at.date().isoformat(),
                shown(p, p.n),
                shown(p, p.median),
                shown(p, p.q1),
                shown(p, p.q3),
            ]
            for (c, _n, _s), p in zip(rounds, points, strict=True)
        ]
        numeric = [False, False, True, True, True, True]
    table = Table(q["label"], head, rows, numeric)

    bars = None
    if likert:
        bars = {
            "title": f"Percent agreeing, campaign by campaign: {q['label']}",
            "bars": [
                {
                    "label": f"{c.title} ({c.opens_at:%b %Y})",
                    "percent": p.agree if isinstance(p.agree, float) else None,
                    "text": format_percent(p.agree)
                    if isinstance(p.agree, float)
                    else ("Not asked" if not p.asked else "Not shown"),
                }
                for (c, _n, _s), p in zip(rounds, points, strict=True)
            ],
        }
        if all(b["percent"] is None for b in bars["bars"]):
            bars = None

    change, change_note = None, None
    current = points[selected_at]
    if selected_at == 0:
        change_note = "There is no earlier campaign of this instrument to compare with"
    elif not points[selected_at - 1].asked:
        change_note = "The previous campaign did not ask this question in the same way"
    elif not (current.reportable and points[selected_at - 1].reportable):
        change_note = f"Not compared: a round has fewer than {ctx.threshold} answers"
    else:
        a = [v for _, v in values[selected_at].get(q["key"], [])]
        b = [v for _, v in values[selected_at - 1].get(q["key"], [])]
        change = stats.mann_whitney(a, b, names=("this campaign", "previous campaign"))
        change_note = change.note

    agencies, agencies_note = None, None
    if current.reportable:
        groups: dict[str, list[float]] = {}
        for agency_id, v in values[selected_at].get(q["key"], []):
            name = (
                agency_names.get(agency_id, "No agency recorded")
                if agency_id
                else "No agency recorded"
            )
            groups.setdefault(name, []).append(v)
        small = [name for name, vs in groups.items() if not ctx.reportable(len(vs))]
        for name in small:
            del groups[name]
        agencies = stats.kruskal_wallis(dict(sorted(groups.items())))
        notes = [agencies.note] if agencies.note else []
        if small:
            notes.append(
                f"{len(small)} agenc{'y' if len(small) == 1 else 'ies'} with fewer than "
                f"{ctx.threshold} answers left out"
            )
        agencies_note = "; ".join(notes) or None
    return TrendQuestion(
        key=q["key"],
        label=q["label"],
        type=q["type"],
        shape="likert" if likert else "numeric",
        points=points,
        table=table,
        bars=bars,
        change=change,
        change_note=change_note,
        agencies=agencies,
        agencies_note=agencies_note,
    )
