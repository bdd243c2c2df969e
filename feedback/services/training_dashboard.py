"""Training evaluation dashboards: what changed for a course or one session, and which courses
change practice.

Everything is read from the evaluation campaigns the training timeline sent (post-course, 3 and
6 months on). Evaluations are confidential campaigns, so Response.person_id lets one person's
post-course answer be paired with their own follow-up answers; the dashboards use that link to
compute the figures and then show only de-identified results: never a name, never a person id.

The statistics come from analysis.stats, the hiding of small numbers from analysis.disclosure,
and the tables, Likert summaries and charts from feedback.services.results, so a course
dashboard reads exactly like a campaign's results page. For every reader but admins a figure
resting on fewer answers than the partnership's disclosure threshold says "Fewer than N
responses" instead, and counts in a table are hidden with secondary suppression.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import forms
from analysis import stats
from analysis.disclosure import Suppressed
from analysis.text import analyse
from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Attendance,
    Campaign,
    Course,
    CourseSession,
    EvaluationStage,
    InstrumentVersion,
    Invitation,
    Partnership,
    Response,
    Role,
    SessionEvaluation,
    User,
)
from feedback.services import codebook, home, results
from feedback.services.results import Table, fewer_than

#: Below this p-value a test result is described as "unlikely to be chance".
SIGNIFICANCE = 0.05
#: Free-text answers listed per question on the page; the rest are counted.
TEXT_LIMIT = 200
#: The follow-up stages, in order.
FOLLOW_UPS = (EvaluationStage.FOLLOWUP_3_MONTH, EvaluationStage.FOLLOWUP_6_MONTH)
#: Short names for a stage, as column headings and chart labels.
STAGE_SHORT = {
    EvaluationStage.POST_COURSE: "Post-course",
    EvaluationStage.FOLLOWUP_3_MONTH: "3 months on",
    EvaluationStage.FOLLOWUP_6_MONTH: "6 months on",
}
#: Question keys the standard instruments use for these measures.
APPLIED_KEY = "used_learning"
STILL_USING_KEY = "still_using"
BARRIERS_KEY = "barriers"
CONFIDENCE_SCALE = "confidence_5"


# -- Figures as the page shows them and the downloads keep them ----------------------------------


@dataclass(frozen=True)
class Number:
    """A figure shown as worded text (a p-value as "< 0.001") but downloaded as its number."""

    value: float
    text: str

    def __str__(self) -> str:
        return self.text


def p_value(p: float | None) -> Number | None:
    if p is None:
        return None
    return Number(round(p, 4), "< 0.001" if p < 0.001 else f"{p:.3f}")


def p_phrase(p: float) -> str:
    """A p-value in a sentence: "p = 0.031" or "p < 0.001"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def effect(r: float | None) -> Number | None:
    return None if r is None else Number(round(r, 3), f"{r:.2f}")


def median(m: float | None) -> Number | None:
    if m is None:
        return None
    return Number(m, f"{m:g}")


def change(m: float | None) -> Number | None:
    """A change, signed so a rise reads "+1"."""
    if m is None:
        return None
    return Number(m, "0" if m == 0 else f"{m:+g}")


def percent(value: float | None) -> Number | None:
    return None if value is None else Number(round(value, 1), f"{value:.1f}%")


def download_value(value: Any) -> Any:
    """A cell as it goes into the CSV and Excel downloads."""
    return value.value if isinstance(value, Number) else value


# -- What the page shows -------------------------------------------------------------------------


@dataclass
class Chart:
    """Data for one of the macros in templates/_charts.html: "bar" or "stacked"."""

    kind: str
    data: dict[str, Any]
    #: The bar chart's full length (100 for percentages, 5 for a 1-5 scale).
    max: float = 100


@dataclass
class TextAnswer:
    text: str
    sentiment: str
    themes: list[str]


@dataclass
class TextQuestion:
    key: str
    label: str
    answers: list[TextAnswer]
    left_out: int
    #: feedback.services.text_analysis.FreeTextSummary of every answer, for the sentiment and
    #: theme counts (which it hides below the threshold for non-admins).
    summary: Any


@dataclass
class Section:
    """A part of a dashboard: a heading, a plain-words lead, figures, a chart and its tables."""

    id: str
    title: str
    lead: str | None = None
    #: When set, the section says this ("Fewer than 10 responses") and shows nothing else.
    withheld: str | None = None
    figures: list[tuple[str, str]] = field(default_factory=list)
    chart: Chart | None = None
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    texts: list[TextQuestion] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    #: Put before the titles of this section's tables (and its children's) in the downloads.
    prefix: str = ""
    #: The worksheet a top-level section's tables go on in the Excel download.
    sheet: str = ""

    def all_tables(self, prefix: str = "") -> list[Table]:
        """Every table in this section and below, in page order, titled for a download."""
        outer, prefix = prefix, prefix + self.prefix
        if self.withheld:
            return [Table(f"{outer}{self.title}", ["Note"], [[self.withheld]], [False])]
        out = [
            Table(
                table.title if table.title.startswith(prefix) else f"{prefix}{table.title}",
                table.head,
                table.rows,
                table.numeric,
            )
            for table in self.tables
        ]
        for text in self.texts:
            out.append(
                Table(
                    f"{prefix}{text.label}",
                    ["Answer", "Sentiment", "Themes suggested"],
                    [[a.text, a.sentiment, ", ".join(a.themes)] for a in text.answers],
                    [False, False, False],
                )
            )
        for child in self.children:
            out.extend(child.all_tables(prefix))
        return out


@dataclass
class Dashboard:
    """A course's or a session's evaluation, laid out for the page and the downloads."""

    course: Course
    #: The session, for a session dashboard; None for a course's.
    session: CourseSession | None
    sessions: list[CourseSession]
    threshold: int
    suppressing: bool
    figures: list[tuple[str, str]]
    sections: list[Section]
    #: (stage, session, campaign id) of every evaluation sent, for links to campaign results.
    campaigns: list[tuple[EvaluationStage, CourseSession, int]]

    def sheets(self) -> list[tuple[str, list[Table]]]:
        """The downloads' tables, a worksheet per part of the page."""
        summary = Table("Summary", ["Measure", "Value"], [list(f) for f in self.figures])
        return [("Summary", [summary])] + [
            (section.sheet or section.title, section.all_tables()) for section in self.sections
        ]

    def tables(self) -> list[Table]:
        return [table for _, tables in self.sheets() for table in tables]


# -- Gathering the answers -----------------------------------------------------------------------


@dataclass
class _Reply:
    session_id: int
    person_id: int | None
    answers: Mapping[str, Any]


@dataclass
class _Stage:
    stage: EvaluationStage
    #: session id -> campaign id, for the sessions this stage was sent to
    campaigns: dict[int, int]
    #: session id -> (invited, responded)
    counts: dict[int, tuple[int, int]]
    replies: list[_Reply]
    #: The newest instrument version this stage's campaigns asked (None when none was sent).
    definition: Mapping[str, Any] | None

    @property
    def invited(self) -> int:
        return sum(i for i, _ in self.counts.values())

    @property
    def responded(self) -> int:
        return sum(r for _, r in self.counts.values())

    def for_session(self, session_id: int) -> _Stage:
        return _Stage(
            self.stage,
            {k: v for k, v in self.campaigns.items() if k == session_id},
            {k: v for k, v in self.counts.items() if k == session_id},
            [r for r in self.replies if r.session_id == session_id],
            self.definition,
        )


def _gather(sessions: Sequence[CourseSession]) -> dict[EvaluationStage, _Stage]:
    """Each stage's campaigns, invitation counts and responses for these sessions (four queries
    however many sessions there are)."""
    session_ids = [s.id for s in sessions]
    sent = db.session.execute(
        sa.select(
            SessionEvaluation.session_id,
            SessionEvaluation.stage,
            SessionEvaluation.campaign_id,
            Campaign.instrument_version_id,
        )
        .join(Campaign, Campaign.id == SessionEvaluation.campaign_id)
        .where(SessionEvaluation.session_id.in_(session_ids))
    ).all()
    campaign_session = {row.campaign_id: (row.session_id, row.stage) for row in sent}
    counts: dict[int, tuple[int, int]] = {cid: (0, 0) for cid in campaign_session}
    if campaign_session:
        for campaign_id, invited, responded in db.session.execute(
            sa.select(
                Invitation.campaign_id,
                sa.func.count(Invitation.id),
                sa.func.count(sa.case((Invitation.responded, 1))),
            )
            .where(Invitation.campaign_id.in_(list(campaign_session)))
            .group_by(Invitation.campaign_id)
        ):
            counts[campaign_id] = (invited, responded)
    replies: dict[EvaluationStage, list[_Reply]] = {stage: [] for stage in EvaluationStage}
    if campaign_session:
        # Ordered by the random response id: nothing on the page follows the order of answering.
        for campaign_id, person_id, answers in db.session.execute(
            sa.select(Response.campaign_id, Response.person_id, Response.answers)
            .where(Response.campaign_id.in_(list(campaign_session)))
            .order_by(Response.id)
        ):
            session_id, stage = campaign_session[campaign_id]
            replies[stage].append(_Reply(session_id, person_id, answers or {}))
    newest: dict[EvaluationStage, int] = {}
    for row in sent:
        newest[row.stage] = max(newest.get(row.stage, 0), row.instrument_version_id)
    definitions = {}
    if newest:
        definitions = dict(
            db.session.execute(
                sa.select(InstrumentVersion.id, InstrumentVersion.definition).where(
                    InstrumentVersion.id.in_(list(newest.values()))
                )
            ).all()
        )
    out = {}
    for stage in EvaluationStage:
        rows = [r for r in sent if r.stage == stage]
        out[stage] = _Stage(
            stage=stage,
            campaigns={r.session_id: r.campaign_id for r in rows},
            counts={r.session_id: counts[r.campaign_id] for r in rows},
            replies=replies[stage],
            definition=definitions.get(newest[stage]) if stage in newest else None,
        )
    return out


def _attended(session_ids: Iterable[int]) -> dict[int, int]:
    ids = list(session_ids)
    found = dict.fromkeys(ids, 0)
    if ids:
        for session_id, n in db.session.execute(
            sa.select(Attendance.session_id, sa.func.count(Attendance.id))
            .where(Attendance.session_id.in_(ids), Attendance.attended.is_(True))
            .group_by(Attendance.session_id)
        ):
            found[session_id] = n
    return found


# -- Reading the instruments ---------------------------------------------------------------------


def _questions(definition: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return results.answerable_questions(definition) if definition else []


def _question(definition: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    return next((q for q in _questions(definition) if q["key"] == key), None)


def _retrospective(definition: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return next(
        (q for q in _questions(definition) if q["type"] == "retrospective_confidence"), None
    )


def _follow_up_confidence(definition: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The follow-up's "how confident do you feel now" grid: a matrix on the confidence scale
    whose rows are the course's learning outcomes."""
    return next(
        (
            q
            for q in _questions(definition)
            if q["type"] == "matrix" and q.get("scale") == CONFIDENCE_SCALE
        ),
        None,
    )


def _outcomes(post: _Stage, course: Course) -> list[tuple[str, str]]:
    """(key, label) of each learning outcome, as the evaluations asked about them."""
    retro = _retrospective(post.definition)
    if retro is not None:
        return [(o["key"], o["label"]) for o in retro["outcomes"]]
    return [(f"lo{i}", text) for i, text in enumerate(course.learning_outcomes, start=1)]


def _scale_code(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    return None


def _post_pairs(post: _Stage) -> list[tuple[_Reply, dict[str, tuple[int | None, int | None]]]]:
    """Each post-course reply with its (before, now) confidence per outcome key."""
    retro = _retrospective(post.definition)
    out = []
    for reply in post.replies:
        stored = reply.answers.get(retro["key"]) if retro else None
        pairs = {}
        if isinstance(stored, Mapping):
            for key, pair in stored.items():
                if isinstance(pair, Mapping):
                    pairs[key] = (_scale_code(pair.get("before")), _scale_code(pair.get("now")))
        out.append((reply, pairs))
    return out


def _person_key(reply: _Reply) -> tuple[int, int] | None:
    """Who gave a reply, within its session: the link that pairs answers over time."""
    return None if reply.person_id is None else (reply.session_id, reply.person_id)


def person_changes(post: _Stage) -> list[tuple[int, float]]:
    """(session id, change) for each post-course respondent: the mean over the learning
    outcomes they answered of confidence now minus before, on the 1 to 5 scale."""
    out = []
    for reply, pairs in _post_pairs(post):
        diffs = [now - before for before, now in pairs.values() if None not in (before, now)]
        if diffs:
            out.append((reply.session_id, statistics.fmean(diffs)))
    return out


# -- Sections ------------------------------------------------------------------------------------


@dataclass
class _View(results._Context):
    """results' disclosure rules for this reader, and the partnership whose codebook applies."""

    partnership_id: int = 0
    #: The partnership's codebook, compiled once per page, and its theme labels.
    _codebook: Any = None

    def codebook(self) -> tuple[Any, dict[str, str]]:
        if self._codebook is None:
            self._codebook = (
                codebook.compiled_codebook(self.partnership_id),
                codebook.labels(self.partnership_id),
            )
        return self._codebook


def _ctx(partnership: Partnership, role: Role | str) -> _View:
    return _View(
        threshold=partnership.disclosure_threshold,
        suppressing=not results.discloses_small(role),
        partnership_id=partnership.id,
    )


def _stage_hidden(stage: _Stage, ctx: Any) -> bool:
    return not ctx.reportable(len(stage.replies))


def _rate_text(invited: int, responded: int, ctx: Any) -> str:
    if not ctx.reportable(responded):
        return fewer_than(ctx.threshold)
    if not invited:
        return "–"
    return f"{responded:,} of {invited:,} ({100 * responded / invited:.0f}%)"


def _response_section(
    stages: dict[EvaluationStage, _Stage], ctx: Any, session: CourseSession | None
) -> Section:
    rows, bars = [], []
    for stage in EvaluationStage:
        data = stages[stage]
        if not data.campaigns:
            if session is not None and session.cancelled_at is not None:
                status = "Not sent: the session was cancelled"
            elif session is not None:
                status = f"Goes out on {_date(_due_at(session, stage))}"
            else:
                status = "Not sent yet"
            rows.append([stage.label, 0, None, None, None, status])
            bars.append({"label": stage.label, "percent": None, "text": "Not sent yet"})
            continue
        invited, responded = data.invited, data.responded
        shown = ctx.reportable(responded)
        rate = 100 * responded / invited if invited and shown else None
        rows.append(
            [
                stage.label,
                len(data.campaigns),
                invited,
                responded if shown else fewer_than(ctx.threshold),
                percent(rate),
                "Sent",
            ]
        )
        bars.append(
            {
                "label": stage.label,
                "percent": rate,
                "text": _rate_text(invited, responded, ctx),
            }
        )
    return Section(
        id="response",
        title="Who answered, stage by stage",
        sheet="Response rates",
        lead=(
            "Everyone marked as attended is asked straight after the session, then again three "
            "and six calendar months later. The follow-ups go to everyone who attended, "
            "whether or not they answered before."
        ),
        chart=Chart("bar", {"title": "Response rate at each stage", "bars": bars}),
        tables=[
            Table(
                "Response rate by stage",
                ["Stage", "Sessions sent to", "Invited", "Responded", "Response rate", "Status"],
                rows,
                [False, True, True, True, True, False],
            )
        ],
    )


def _confidence_section(post: _Stage, outcomes: list[tuple[str, str]], ctx: Any) -> Section:
    section = Section(
        id="confidence",
        title="Confidence before the course and now",
        sheet="Confidence change",
        lead=(
            "Straight after the session, each person rated their confidence in each learning "
            "outcome twice: looking back to before the course, and now (1 is not at all "
            "confident, 5 is very confident). The change is each person's own: now minus "
            "before. The Wilcoxon signed-rank test asks whether confidence rose by more than "
            f"chance would explain; a p-value under {SIGNIFICANCE} means a rise this large "
            "would rarely happen by chance. The effect size (matched-pairs rank-biserial "
            "correlation) runs from -1 (everyone less confident) through 0 (no change) to 1 "
            "(everyone more confident)."
        ),
    )
    if not post.campaigns:
        section.withheld = "The post-course evaluation has not been sent yet"
        return section
    if _stage_hidden(post, ctx):
        section.withheld = fewer_than(ctx.threshold)
        return section
    pairs = _post_pairs(post)
    change_rows, direction_rows = [], []
    for key, label in outcomes:
        before = [p.get(key, (None, None))[0] for _, p in pairs]
        now = [p.get(key, (None, None))[1] for _, p in pairs]
        result = stats.paired_change(before, now)
        if not ctx.reportable(result.n_pairs):
            change_rows.append([label, fewer_than(ctx.threshold), None, None, None, None, None])
            direction_rows.append([label, None, None, None, fewer_than(ctx.threshold)])
            continue
        change_rows.append(
            [
                label,
                result.n_pairs,
                median(result.median_before),
                median(result.median_now),
                change(result.median_change),
                p_value(result.wilcoxon_p),
                effect(result.effect_size),
            ]
        )
        cells = ctx.hide(
            {
                "rose": result.n_increased,
                "same": result.n_unchanged,
                "fell": result.n_decreased,
            }
        )
        direction_rows.append([label, cells["rose"], cells["same"], cells["fell"], result.n_pairs])
        if result.note and result.wilcoxon_p is None:
            section.notes.append(f"{label}: {result.note}.")
    section.tables.append(
        Table(
            "Change in confidence, outcome by outcome",
            [
                "Learning outcome",
                "People (pairs)",
                "Median before",
                "Median now",
                "Median change",
                "Wilcoxon p",
                "Effect size",
            ],
            change_rows,
        )
    )
    section.tables.append(
        Table(
            "How many people's confidence rose, stayed the same or fell",
            ["Learning outcome", "Rose", "Stayed the same", "Fell", "People (pairs)"],
            direction_rows,
        )
    )
    retro = _retrospective(post.definition)
    if retro is not None:
        distribution = _summarise(retro, [r.answers.get(retro["key"]) for r in post.replies], ctx)
        if distribution.reportable and distribution.stacked:
            distribution.stacked["title"] = "Confidence in each learning outcome, before and now"
            for row in distribution.stacked["rows"]:
                # "Before: ..." rather than "... (before)", which the chart's labels cut off.
                for word in ("before", "now"):
                    if row["label"].endswith(f" ({word})"):
                        row["label"] = f"{word.capitalize()}: {row['label'][: -len(word) - 3]}"
            section.chart = Chart("stacked", distribution.stacked)
            section.tables.extend(distribution.tables)
    return section


def _summarise(question: Mapping[str, Any], values: Iterable[Any], ctx: Any) -> Any:
    """results' own summary of one question over these stored answers (never with names)."""
    gatherer = results._Gatherer(question, keep_names=False)
    for value in values:
        gatherer.add(value, None)
    return results.summarise_question(question, gatherer, ctx, names=False)


def _follow_up_pairs(
    post: _Stage, follow: _Stage
) -> tuple[dict[tuple[int, int], dict[str, int | None]], dict[tuple[int, int], dict[str, int]]]:
    """Per person (session, person id): post-course "now" confidence and follow-up confidence,
    per outcome key."""
    just_after: dict[tuple[int, int], dict[str, int | None]] = {}
    for reply, pairs in _post_pairs(post):
        key = _person_key(reply)
        if key is not None:
            just_after[key] = {k: now for k, (_, now) in pairs.items()}
    later: dict[tuple[int, int], dict[str, int]] = {}
    grid = _follow_up_confidence(follow.definition)
    for reply in follow.replies:
        key = _person_key(reply)
        stored = reply.answers.get(grid["key"]) if grid else None
        if key is not None and isinstance(stored, Mapping):
            later[key] = {k: v for k, v in stored.items() if _scale_code(v) is not None}
    return just_after, later


def _people(stage: _Stage) -> set[tuple[int, int]]:
    return {k for k in (_person_key(r) for r in stage.replies) if k is not None}


def _held_section(
    stages: dict[EvaluationStage, _Stage], outcomes: list[tuple[str, str]], ctx: Any
) -> Section:
    post = stages[EvaluationStage.POST_COURSE]
    section = Section(
        id="held",
        title="Did the confidence last? The same people 3 and 6 months on",
        sheet="Confidence held",
        lead=(
            "Each person's confidence straight after the course is paired with their own "
            "answer at the follow-up, so only people who answered both are counted (the "
            "evaluations are confidential: answers are matched by the system, and nobody's "
            "name is shown). A median change of 0 means confidence held; below 0, it faded. "
            "The Wilcoxon test and effect size read as above, now comparing the follow-up "
            "with straight after the course."
        ),
    )
    if not post.campaigns:
        section.withheld = "The post-course evaluation has not been sent yet"
        return section
    answered_post = _people(post)
    f3 = _people(stages[EvaluationStage.FOLLOWUP_3_MONTH])
    f6 = _people(stages[EvaluationStage.FOLLOWUP_6_MONTH])
    base = len(answered_post)
    funnel = [
        ("Answered the post-course evaluation", base),
        ("… of whom answered the 3-month follow-up", len(answered_post & f3)),
        ("… and of those, the 6-month follow-up too", len(answered_post & f3 & f6)),
        ("Answered the post-course evaluation and the 6-month follow-up", len(answered_post & f6)),
    ]
    rows, bars = [], []
    for label, n in funnel:
        shown = ctx.reportable(n)
        share = 100 * n / base if base and shown else None
        rows.append([label, n if shown else fewer_than(ctx.threshold), percent(share)])
        if not shown:
            text = fewer_than(ctx.threshold)
        else:
            text = f"{n:,} ({share:.0f}%)" if share is not None else f"{n:,}"
        bars.append({"label": label.replace("… ", ""), "percent": share, "text": text})
    section.chart = Chart(
        "bar", {"title": "Post-course respondents who answered the follow-ups", "bars": bars}
    )
    section.tables.append(
        Table(
            "Who answered each stage (attrition)",
            ["People", "Number", "Percent of post-course respondents"],
            rows,
        )
    )
    for stage in FOLLOW_UPS:
        follow = stages[stage]
        child = Section(id=f"held-{stage.value}", title=f"{stage.label}: confidence compared")
        section.children.append(child)
        if not follow.campaigns:
            child.withheld = f"The {stage.label.lower()} has not been sent yet"
            continue
        if _follow_up_confidence(follow.definition) is None:
            child.withheld = "This follow-up did not ask about confidence"
            continue
        just_after, later = _follow_up_pairs(post, follow)
        table_rows = []
        for key, label in outcomes:
            people = sorted(set(just_after) & set(later))
            result = stats.paired_change(
                [just_after[p].get(key) for p in people], [later[p].get(key) for p in people]
            )
            if not ctx.reportable(result.n_pairs):
                table_rows.append([label, fewer_than(ctx.threshold), None, None, None, None, None])
                continue
            table_rows.append(
                [
                    label,
                    result.n_pairs,
                    median(result.median_before),
                    median(result.median_now),
                    change(result.median_change),
                    p_value(result.wilcoxon_p),
                    effect(result.effect_size),
                ]
            )
            if result.note and result.wilcoxon_p is None:
                child.notes.append(f"{label}: {result.note}.")
        months = stage.months_after
        child.tables.append(
            Table(
                f"Confidence straight after the course and {months} months on, the same people",
                [
                    "Learning outcome",
                    "People paired",
                    "Median just after",
                    f"Median at {months} months",
                    "Median change",
                    "Wilcoxon p",
                    "Effect size",
                ],
                table_rows,
            )
        )
    return section


def _agree_row(
    question: Mapping[str, Any], replies: list[_Reply], ctx: Any
) -> tuple[dict[str, Any], list[str]]:
    labels = [str(level["label"]) for level in forms.summarise(question)["levels"]]
    values = [r.answers.get(question["key"]) for r in replies]
    allow_dk = bool(forms.summarise(question).get("not_applicable"))
    return results._likert_row(values, labels, ctx, allow_dk), labels


def _practice_section(stages: dict[EvaluationStage, _Stage], ctx: Any) -> Section:
    section = Section(
        id="practice",
        title="Putting the learning into practice",
        sheet="Applied learning",
        lead=(
            "At each follow-up people said whether they had used what they learned in their "
            "work. The percentage agreeing counts those who agreed or strongly agreed; the 95% "
            "confidence interval (Wilson) is the range the true figure most likely lies in, "
            "given how many answered."
        ),
    )
    rows, bars = [], []
    for stage in FOLLOW_UPS:
        data = stages[stage]
        for key in (APPLIED_KEY, STILL_USING_KEY):
            question = _question(data.definition, key)
            if question is None or not data.campaigns:
                continue
            name = f"{STAGE_SHORT[stage]}: {question['label']}"
            row, _labels = _agree_row(question, data.replies, ctx)
            if not row["reportable"]:
                rows.append([stage.label, question["label"], fewer_than(ctx.threshold), None, None])
                bars.append({"label": name, "percent": None, "text": fewer_than(ctx.threshold)})
                continue
            agree = row["agree"]
            interval = row["interval"]
            rows.append(
                [
                    stage.label,
                    question["label"],
                    row["n"],
                    agree if isinstance(agree, Suppressed) else percent(agree),
                    results._interval_text(interval) if interval else None,
                ]
            )
            bars.append(
                {
                    "label": name,
                    "percent": agree if isinstance(agree, float) else None,
                    "text": results._agree_text(row),
                }
            )
    if not rows:
        section.withheld = "No follow-up has been sent yet"
        return section
    section.chart = Chart("bar", {"title": "Percent who have used their learning", "bars": bars})
    section.tables.append(
        Table(
            "Percent who have applied their learning",
            ["Stage", "Question", "Answered", "Percent agreeing", "95% interval"],
            rows,
            [False, False, True, True, False],
        )
    )
    return section


def _barriers(question: Mapping[str, Any], replies: list[_Reply], ctx: Any, title: str) -> Section:
    """The barriers people chose, most often chosen first (a hidden count ranks last)."""
    labels = {o["value"]: o["label"] for o in question.get("options", [])}
    counts: Counter[str] = Counter()
    answered = 0
    others: list[str] = []
    for reply in replies:
        stored = reply.answers.get(question["key"])
        if not isinstance(stored, Mapping):
            continue
        chosen = [v for v in stored.get("selected") or [] if v in labels]
        if chosen or stored.get("other"):
            answered += 1
        counts.update(chosen)
        if isinstance(stored.get("other"), str) and stored["other"].strip():
            others.append(stored["other"].strip())
    section = Section(id="", title=title)
    if not ctx.reportable(answered):
        section.withheld = fewer_than(ctx.threshold)
        return section
    raw = {labels[v]: counts[v] for v in labels}
    cells = ctx.hide(raw, total_shown=False)

    def rank(label: str) -> tuple[bool, int, str]:
        # A hidden count goes last, in label order, so its place says nothing about its size.
        hidden = isinstance(cells[label], Suppressed)
        return hidden, 0 if hidden else -raw[label], label

    order = sorted(raw, key=rank)
    rows, bars = [], []
    for rank, label in enumerate(order, start=1):
        cell = cells[label]
        share = results.percent(cell, answered)
        hidden = isinstance(cell, Suppressed)
        rows.append([label, None if hidden else rank, cell, share])
        bars.append(
            {
                "label": label,
                "percent": None if hidden else share,
                "text": str(cell) if hidden else f"{cell:,} ({results.format_percent(share)})",
            }
        )
    section.figures = [
        ("Answered", f"{answered:,}"),
        ("Note", "People could choose more than one"),
    ]
    section.chart = Chart("bar", {"title": title, "bars": bars})
    section.tables.append(
        Table(title, ["Barrier", "Rank", "People", "Percent of those answering"], rows)
    )
    if others:
        section.texts.append(
            TextQuestion(
                key=f"{question['key']}-other",
                label="Other barriers, as written",
                answers=_analysed(others[:TEXT_LIMIT], ctx),
                left_out=max(0, len(others) - TEXT_LIMIT),
                summary=None,
            )
        )
    return section


def _barriers_section(stages: dict[EvaluationStage, _Stage], ctx: Any) -> Section:
    section = Section(
        id="barriers",
        title="What got in the way",
        sheet="Barriers",
        lead="At each follow-up people chose what, if anything, made it harder to use what they "
        "learned. Barriers are ranked by how many chose them.",
    )
    for stage in FOLLOW_UPS:
        data = stages[stage]
        question = _question(data.definition, BARRIERS_KEY)
        if question is None or not data.campaigns:
            continue
        child = _barriers(question, data.replies, ctx, f"Barriers at the {stage.label.lower()}")
        child.id = f"barriers-{stage.value}"
        section.children.append(child)
    if not section.children:
        section.withheld = "No follow-up has been sent yet"
    return section


def _likert_groups(questions: list[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Likert questions grouped by their scale, so each group is one table."""
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for q in questions:
        scale = (q.get("scale"), tuple(q.get("labels") or ()), bool(q.get("dont_know")))
        groups.setdefault(scale, []).append(q)
    return list(groups.values())


def _ratings(data: _Stage, ctx: Any) -> Section:
    """Each Likert statement's answers at one stage: counts, percentages, median, percent
    agreeing with its Wilson interval, as one table and one stacked chart per scale."""
    section = Section(id=f"ratings-{data.stage.value}", title=data.stage.label)
    if _stage_hidden(data, ctx):
        section.withheld = fewer_than(ctx.threshold)
        return section
    likert = [q for q in _questions(data.definition) if q["type"] == "likert"]
    for number, group in enumerate(_likert_groups(likert)):
        # The statements as one grid on their shared scale, so results' grid summary applies.
        grid = {
            "key": f"{data.stage.value}_statements_{number}",
            "type": "matrix",
            "label": f"{data.stage.label}: statements",
            "rows": [{"key": q["key"], "label": q["label"]} for q in group],
            **{k: group[0][k] for k in ("scale", "labels", "dont_know") if k in group[0]},
        }
        values = []
        for reply in data.replies:
            answered = {q["key"]: reply.answers.get(q["key"]) for q in group}
            values.append(answered if any(v is not None for v in answered.values()) else None)
        summary = _summarise(grid, values, ctx)
        if not summary.reportable:
            section.notes.append(f"{grid['label']}: {fewer_than(ctx.threshold)}")
            continue
        if summary.stacked and section.chart is None:
            summary.stacked["title"] = f"Answers to each statement: {data.stage.label}"
            section.chart = Chart("stacked", summary.stacked)
        section.tables.extend(summary.tables)
    if not section.tables:
        section.withheld = section.withheld or "No statements to rate at this stage"
    return section


def _ratings_section(stages: dict[EvaluationStage, _Stage], ctx: Any) -> Section:
    section = Section(
        id="ratings",
        title="Ratings, stage by stage",
        sheet="Ratings",
        lead=(
            "How people rated each statement at each stage. The median is the middle answer. "
            "Percent agreeing counts agree and strongly agree, with its 95% confidence "
            "interval (Wilson)."
        ),
    )
    for stage in EvaluationStage:
        if stages[stage].campaigns:
            section.children.append(_ratings(stages[stage], ctx))
    if not section.children:
        section.withheld = "No evaluation has been sent yet"
    return section


#: Question types shown in their own sections, or as free text.
_HANDLED = ("likert", "retrospective_confidence", "long_text", "short_text")


def _other_section(stages: dict[EvaluationStage, _Stage], ctx: Any) -> Section:
    section = Section(
        id="other",
        title="Other questions",
        sheet="Other questions",
        lead="The remaining questions at each stage, as on a campaign's results page.",
    )
    for stage in EvaluationStage:
        data = stages[stage]
        if not data.campaigns:
            continue
        child = Section(
            id=f"other-{stage.value}", title=data.stage.label, prefix=f"{data.stage.label}: "
        )
        section.children.append(child)
        if _stage_hidden(data, ctx):
            child.withheld = fewer_than(ctx.threshold)
            continue
        for q in _questions(data.definition):
            if q["type"] in _HANDLED or q["key"] == BARRIERS_KEY:
                continue
            result = _summarise(q, [r.answers.get(q["key"]) for r in data.replies], ctx)
            grandchild = Section(id=f"other-{stage.value}-{q['key']}", title=q["label"])
            child.children.append(grandchild)
            if not result.reportable:
                grandchild.withheld = fewer_than(ctx.threshold)
                continue
            grandchild.figures = list(result.figures)
            if result.stacked:
                grandchild.chart = Chart("stacked", result.stacked)
            elif result.bars:
                grandchild.chart = Chart("bar", result.bars)
            grandchild.tables = list(result.tables)
    if not section.children:
        section.withheld = "No evaluation has been sent yet"
    return section


def _analysed(texts: list[str], ctx: _View) -> list[TextAnswer]:
    """Each answer with its sentiment and suggested themes (analysis.text, the partnership's
    codebook)."""
    if not texts:
        return []
    compiled, labels = ctx.codebook()
    found = analyse(texts, compiled)
    return [
        TextAnswer(
            text=text,
            sentiment=result.sentiment.label.capitalize(),
            themes=[labels.get(t.key, t.key) for t in result.themes],
        )
        for text, result in zip(texts, found, strict=True)
    ]


def _texts_section(stages: dict[EvaluationStage, _Stage], ctx: Any) -> Section:
    from feedback.services.text_analysis import FreeTextSummary

    section = Section(
        id="texts",
        title="What people wrote",
        sheet="What people wrote",
        lead=(
            "Free-text answers, without names, each with its sentiment and the themes the "
            "partnership's codebook suggests (worked out automatically: an analyst has not "
            "checked them). Answers are shown once at least "
            f"{ctx.threshold} people have answered the stage."
            if ctx.suppressing
            else "Free-text answers, without names, each with its sentiment and the themes the "
            "partnership's codebook suggests (worked out automatically: an analyst has not "
            "checked them)."
        ),
    )
    for stage in EvaluationStage:
        data = stages[stage]
        if not data.campaigns:
            continue
        child = Section(
            id=f"texts-{stage.value}", title=data.stage.label, prefix=f"{data.stage.label}: "
        )
        section.children.append(child)
        if _stage_hidden(data, ctx):
            child.withheld = fewer_than(ctx.threshold)
            continue
        for q in _questions(data.definition):
            if q["type"] not in ("long_text", "short_text"):
                continue
            texts = [
                t
                for r in data.replies
                for t in results._texts(q, r.answers.get(q["key"]))
                if t and t.strip()
            ]
            if not texts:
                continue
            child.texts.append(
                TextQuestion(
                    key=f"{stage.value}-{q['key']}",
                    label=q["label"],
                    answers=_analysed(texts[:TEXT_LIMIT], ctx),
                    left_out=max(0, len(texts) - TEXT_LIMIT),
                    summary=FreeTextSummary(texts),
                )
            )
        if not child.texts:
            child.notes.append("Nobody wrote anything at this stage.")
    if not section.children:
        section.withheld = "No evaluation has been sent yet"
    return section


# -- Comparisons ---------------------------------------------------------------------------------


@dataclass
class GroupTest:
    """A rank test between groups (sessions or courses) on the change in confidence, worded."""

    test: str | None
    p: Number | None
    effect: Number | None
    effect_name: str | None
    groups: list[tuple[str, int]]
    #: What the result means, in plain words.
    meaning: str
    notes: list[str]

    @property
    def groups_text(self) -> str:
        return "; ".join(f"{name} ({n:,} people)" for name, n in self.groups)


def compare_groups(groups: Mapping[str, list[float]], ctx: Any, noun: str) -> GroupTest:
    """Kruskal-Wallis across three or more groups, Mann-Whitney for two, on each person's change
    in confidence; groups under the threshold (for non-admins) or with one answer are left out."""
    plural = f"{noun}s" if not noun.endswith("s") else noun
    small = [name for name, values in groups.items() if not ctx.reportable(len(values))]
    usable = {
        name: values for name, values in groups.items() if name not in small and len(values) >= 2
    }
    notes = []
    if small:
        notes.append(
            f"{len(small)} {noun if len(small) == 1 else plural} with fewer than "
            f"{ctx.threshold} people left out."
        )
    if len(usable) < 2:
        return GroupTest(
            None,
            None,
            None,
            None,
            [(n, len(v)) for n, v in usable.items()],
            f"No test: at least two {plural} need answers"
            + (f" from {ctx.threshold} or more people each." if ctx.suppressing else "."),
            notes,
        )
    if len(usable) == 2:
        (a_name, a), (b_name, b) = usable.items()
        result = stats.mann_whitney(a, b, names=(a_name, b_name))
        what = (
            f"The Mann-Whitney test asks whether confidence rose by more on one {noun} than the "
            "other, by more than chance would explain."
        )
        size = "rank-biserial r, from -1 to 1; 0 is no difference"
    else:
        result = stats.kruskal_wallis(usable)
        what = (
            f"The Kruskal-Wallis test asks whether confidence rose by more on some {plural} than "
            "others, by more than chance would explain. It does not say which."
        )
        size = "epsilon-squared, from 0 to 1: the share of the spread explained"
    if result.note:
        notes.append(result.note[0].upper() + result.note[1:] + ".")
    p = result.p
    if p is None:
        verdict = "No result."
    elif p < SIGNIFICANCE:
        verdict = (
            f"{p_phrase(p)}: a difference this large would rarely happen by chance, so the "
            f"{plural} do seem to differ in how much confidence rose."
        )
    else:
        verdict = (
            f"{p_phrase(p)}: a difference this large could easily happen by chance, so there "
            f"is no clear evidence that the {plural} differ."
        )
    return GroupTest(
        result.test,
        p_value(p),
        effect(result.effect_size),
        size,
        [(n, len(v)) for n, v in usable.items()],
        f"{what} {verdict}",
        notes,
    )


def _applied_percent(data: _Stage, ctx: Any) -> Any:
    question = _question(data.definition, APPLIED_KEY)
    if question is None or not data.campaigns:
        return None
    row, _ = _agree_row(question, data.replies, ctx)
    if not row["reportable"]:
        return fewer_than(ctx.threshold)
    agree = row["agree"]
    return agree if isinstance(agree, Suppressed) else percent(agree)


def _median_change(values: list[float], ctx: Any) -> Any:
    if not values:
        return None
    if not ctx.reportable(len(values)):
        return fewer_than(ctx.threshold)
    return change(round(statistics.median(values), 2))


def _stage_rate(data: _Stage, ctx: Any) -> Any:
    if not data.campaigns:
        return "Not sent yet"
    return _rate_text(data.invited, data.responded, ctx)


def _comparison_row(
    name: Any, stages: dict[EvaluationStage, _Stage], changes: list[float], ctx: Any
) -> list[Any]:
    return [
        name,
        *[_stage_rate(stages[stage], ctx) for stage in EvaluationStage],
        _median_change(changes, ctx),
        *[_applied_percent(stages[stage], ctx) for stage in FOLLOW_UPS],
    ]


COMPARISON_HEAD = [
    "Post-course response",
    "3-month response",
    "6-month response",
    "Median change in confidence",
    "Applied at 3 months",
    "Applied at 6 months",
]


def _sessions_section(
    sessions: list[CourseSession], stages: dict[EvaluationStage, _Stage], ctx: Any
) -> Section:
    section = Section(
        id="sessions",
        title="Session by session",
        sheet="Sessions compared",
        lead=(
            "Each session of the course side by side. The change in confidence is each "
            "person's average rise across the learning outcomes (now minus before, 1 to 5 "
            "scale); the median is the middle person's. Applied is the percent agreeing that "
            "they have used their learning in their work."
        ),
    )
    attended = _attended(s.id for s in sessions)
    changes: dict[int, list[float]] = {s.id: [] for s in sessions}
    for session_id, value in person_changes(stages[EvaluationStage.POST_COURSE]):
        changes.setdefault(session_id, []).append(value)
    names = unique_names([(s.id, _session_name(s)) for s in sessions])
    rows = []
    for s in sessions:
        here = {stage: data.for_session(s.id) for stage, data in stages.items()}
        row = _comparison_row(names[s.id], here, changes[s.id], ctx)
        rows.append([row[0], attended[s.id], *row[1:]])
    section.tables.append(
        Table(
            "Sessions compared",
            ["Session", "Attended", *COMPARISON_HEAD],
            rows,
            [False, True, False, False, False, True, True, True],
        )
    )
    test = compare_groups({names[s.id]: changes[s.id] for s in sessions}, ctx, "session")
    _add_test(section, test)
    return section


def _add_test(section: Section, test: GroupTest) -> None:
    section.figures.append(("What the test says", test.meaning))
    if test.test:
        section.tables.append(
            Table(
                "Test of the difference in confidence change",
                ["Measure", "Value"],
                [
                    ["Test", test.test],
                    ["Groups tested", test.groups_text],
                    ["p-value", test.p],
                    [f"Effect size ({test.effect_name})", test.effect],
                ],
                [False, False],
            )
        )
    section.notes.extend(test.notes)


# -- The dashboards ------------------------------------------------------------------------------


def _date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _due_at(session: CourseSession, stage: EvaluationStage) -> datetime:
    from feedback.services.training import due_at

    return due_at(session, stage)


def unique_names(items: list[tuple[int, str]]) -> dict[int, str]:
    """id -> name, with "(2)", "(3)" after a name already taken, so groups never merge."""
    seen: Counter[str] = Counter()
    out = {}
    for item_id, name in items:
        seen[name] += 1
        out[item_id] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    return out


def _session_name(session: CourseSession) -> str:
    where = session.venue or ("online" if session.online else None)
    return f"{_date(session.starts_at)}" + (f", {where}" if where else "")


def _dashboard(
    course: Course,
    session: CourseSession | None,
    sessions: list[CourseSession],
    role: Role | str,
) -> Dashboard:
    partnership = db.session.get(Partnership, course.partnership_id)
    ctx = _ctx(partnership, role)
    stages = _gather(sessions)
    post = stages[EvaluationStage.POST_COURSE]
    outcomes = _outcomes(post, course)
    attended = sum(_attended(s.id for s in sessions).values())
    now = clock.now()
    held = [s for s in sessions if s.cancelled_at is None and s.ends_at <= now]
    figures = []
    if session is None:
        figures.append(("Sessions held", f"{len(held):,}"))
    figures.append(("Attended", f"{attended:,}"))
    for stage in EvaluationStage:
        data = stages[stage]
        figures.append(
            (
                f"{stage.label}: answered",
                _rate_text(data.invited, data.responded, ctx) if data.campaigns else "Not sent yet",
            )
        )
    sections = [
        _response_section(stages, ctx, session),
        _confidence_section(post, outcomes, ctx),
        _held_section(stages, outcomes, ctx),
        _practice_section(stages, ctx),
        _barriers_section(stages, ctx),
        _ratings_section(stages, ctx),
        _other_section(stages, ctx),
        _texts_section(stages, ctx),
    ]
    if session is None and len(sessions) > 1:
        sections.insert(4, _sessions_section(sessions, stages, ctx))
    by_id = {s.id: s for s in sessions}
    campaigns = [
        (stage, by_id[session_id], campaign_id)
        for stage in EvaluationStage
        for session_id, campaign_id in stages[stage].campaigns.items()
    ]
    return Dashboard(
        course=course,
        session=session,
        sessions=sessions,
        threshold=ctx.threshold,
        suppressing=ctx.suppressing,
        figures=figures,
        sections=sections,
        campaigns=campaigns,
    )


def course_dashboard(course: Course, role: Role | str) -> Dashboard:
    """A course over all its sessions that were not cancelled."""
    sessions = [s for s in course.sessions if s.cancelled_at is None]
    return _dashboard(course, None, sessions, role)


def session_dashboard(session: CourseSession, role: Role | str) -> Dashboard:
    return _dashboard(session.course, session, [session], role)


# -- Comparing courses ---------------------------------------------------------------------------


@dataclass
class CourseComparison:
    threshold: int
    suppressing: bool
    #: (course, its row of figures) by title
    courses: list[tuple[Course, list[Any]]]
    table: Table
    chart: Chart | None
    test: GroupTest

    def tables(self) -> list[Table]:
        out = [self.table]
        if self.test.test:
            section = Section(id="test", title="Test")
            _add_test(section, self.test)
            out.extend(section.tables)
        else:
            out.append(Table("Test of the difference", ["Note"], [[self.test.meaning]], [False]))
        return out


def compare_courses(partnership: Partnership, role: Role | str) -> CourseComparison:
    """Which courses change practice: per course its sessions, attendance, response rates,
    median change in confidence and percent applying their learning, and a rank test of the
    change in confidence across courses."""
    ctx = _ctx(partnership, role)
    courses = list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.partnership_id == partnership.id)
            .order_by(sa.func.lower(Course.title), Course.id)
        )
    )
    now = clock.now()
    names = unique_names([(c.id, c.title) for c in courses])
    rows: list[tuple[Course, list[Any]]] = []
    groups: dict[str, list[float]] = {}
    bars = []
    for course in courses:
        sessions = [s for s in course.sessions if s.cancelled_at is None]
        stages = _gather(sessions)
        changes = [v for _, v in person_changes(stages[EvaluationStage.POST_COURSE])]
        held = sum(1 for s in sessions if s.ends_at <= now)
        attended = sum(_attended(s.id for s in sessions).values())
        row = _comparison_row(names[course.id], stages, changes, ctx)
        rows.append((course, [row[0], held, attended, *row[1:]]))
        if changes:
            groups[names[course.id]] = changes
        applied = row[-2]
        bars.append(
            {
                "label": names[course.id],
                "percent": applied.value if isinstance(applied, Number) else None,
                "text": str(applied) if applied is not None else "Not sent yet",
            }
        )
    table = Table(
        "Courses compared",
        ["Course", "Sessions held", "Attended", *COMPARISON_HEAD],
        [r for _, r in rows],
        [False, True, True, False, False, False, True, True, True],
    )
    chart = None
    if any(b["percent"] is not None for b in bars):
        chart = Chart(
            "bar", {"title": "Percent who have applied their learning, 3 months on", "bars": bars}
        )
    return CourseComparison(
        threshold=ctx.threshold,
        suppressing=ctx.suppressing,
        courses=rows,
        table=table,
        chart=chart,
        test=compare_groups(groups, ctx, "course"),
    )


# -- Home page -----------------------------------------------------------------------------------


def trainer_dashboards(user: User, limit: int = 8) -> list[CourseSession]:
    """The trainer's own sessions that have had an evaluation sent, most recent first."""
    return list(
        db.session.scalars(
            sa.select(CourseSession)
            .where(
                CourseSession.trainer_id == user.id,
                CourseSession.cancelled_at.is_(None),
                sa.exists().where(SessionEvaluation.session_id == CourseSession.id),
            )
            .order_by(CourseSession.starts_at.desc())
            .limit(limit)
        )
    )


@home.panel
def home_dashboards(user: User, summary: home.HomeSummary) -> None:
    """Trainers: links to their sessions' dashboards; every reader: the course comparison."""
    if user.role == Role.SCRUTINEER:
        return
    if user.role == Role.TRAINER:
        sessions = trainer_dashboards(user)
        if sessions:
            summary.panels.append(
                (
                    "home/_training_dashboards.html",
                    {
                        "sessions": [
                            {"session": s, "title": s.course.title, "when": _session_name(s)}
                            for s in sessions
                        ]
                    },
                )
            )
    summary.next_steps.append(
        ("Compare training courses: which change practice", "dashboards.compare")
    )
