"""The Learning Needs Analysis: the Workforce Development Group's yearly report.

Each codebook theme is a candidate learning need. Its evidence in the period is weighed in six
parts, each scored from 0 to 1, and the need's score is their weighted sum (see WEIGHTS; the
page explains them in the same words):

- staff survey: the share of staff not agreeing with the theme's weakest statement, when fewer
  than LOW_AGREEMENT percent agree;
- training text: people who wrote about the theme when asked about further learning needs and
  barriers in evaluations and follow-ups, against the theme most people wrote about;
- front-line text: people who raised the theme in any front-line source, against the most;
- rising: growth in front-line comments on the theme since the previous period of the same
  length, counted up to a doubling;
- recommendations: audit and review recommendations tagged to training, a third each up to 3;
- reach: the share of the workforce that no course on the theme reached in the period, counted
  only when the theme has other evidence (a course nobody needs is not a need).

Disclosure: evidence resting on fewer people than the partnership's disclosure threshold is left
out of the ranking for everyone, so the ranking is the same for every reader and never gives a
small group away. Admins see those small figures, marked as not counted; others see "[c]".
Two parts are counted however small their figures, reach and rising, because they weigh what
is missing (people not reached, growth since the previous period); so that they do not give a
hidden count away, others see "[c]" for such a part and for the need's score (see
_hidden_parts), and the need keeps its place in the ranking.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

import sqlalchemy as sa

import forms
from analysis import stats
from analysis.disclosure import Suppressed, suppress_counts
from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Agency,
    Attendance,
    Campaign,
    Course,
    CourseSession,
    Partnership,
    Person,
    Response,
    Role,
    SourceType,
    TextSegment,
    User,
)
from feedback.models.codebook import SegmentCode
from feedback.models.records import LnaPriority
from feedback.services import NotFound, ServiceError, audit, transaction
from feedback.services.evidence import confirmed_join, respondent_expr, suppressing_for

#: Below this percentage agreeing, a staff-survey statement counts as a learning need.
LOW_AGREEMENT = 75.0
#: Recommendations needed for the full recommendation score.
FULL_RECOMMENDATIONS = 3
#: The longest period the report covers.
MAX_DAYS = 366 * 5
#: Question keys whose answers are further learning needs or barriers.
NEED_FIELDS = frozenset({"further_learning", "could_be_better", "barriers"})
_NEED_WORDS = ("further", "need", "barrier", "gap")
#: Front-line sources: everything practitioners, children and families said (not audits).
FRONT_LINE = (
    SourceType.STAFF_SURVEY,
    SourceType.POST_COURSE,
    SourceType.FOLLOW_UP,
    SourceType.SCRUTINY_VISIT,
    SourceType.SAFEGUARDING_CONVERSATION,
    SourceType.PRACTITIONER_FORUM,
    SourceType.VOICE,
)
TRAINING_SOURCES = (SourceType.POST_COURSE, SourceType.FOLLOW_UP)
FOLLOW_UP_PURPOSES = ("followup_3_month", "followup_6_month")
MAX_PRIORITY = 1000
MAX_PRIORITIES = 30


@dataclass(frozen=True)
class Weight:
    key: str
    title: str
    explanation: str
    weight: int


WEIGHTS: tuple[Weight, ...] = (
    Weight(
        "survey",
        "Staff survey",
        f"The share of staff not agreeing with the theme's weakest statement in the latest survey "
        f"round, when fewer than {LOW_AGREEMENT:.0f}% agree (0 to 1).",
        3,
    ),
    Weight(
        "training_text",
        "Further learning needs and barriers in evaluations and follow-ups",
        "People who wrote about the theme when asked what further learning they need or what "
        "gets in the way, compared with the theme most people wrote about (0 to 1).",
        2,
    ),
    Weight(
        "front_line",
        "Front-line text",
        "People who raised the theme in any front-line source (surveys, evaluations, visits, "
        "forums, conversations, voice), compared with the theme raised by most people (0 to 1).",
        1,
    ),
    Weight(
        "rising",
        "Rising in front-line text",
        "Growth in front-line comments on the theme since the previous period of the same "
        "length, counted up to a doubling (0 to 1).",
        2,
    ),
    Weight(
        "recommendations",
        "Audit and review recommendations tagged to training",
        "A third for each recommendation on the theme, up to three (0 to 1).",
        3,
    ),
    Weight(
        "reach",
        "Training reach",
        "The share of the workforce that no course on the theme reached in the period (0 to 1), "
        "counted only when the theme has other evidence.",
        1,
    ),
)
MAX_SCORE = sum(w.weight for w in WEIGHTS)

Cell = int | Suppressed


# -- Periods -------------------------------------------------------------------------------------


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 12 months, today included."""
    today = today or clock.today()
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = date(today.year - 1, 3, 1)
    return start, today


def previous_period(from_on: date, to_on: date) -> tuple[date, date]:
    """The period of the same length just before."""
    end = from_on - timedelta(days=1)
    return end - (to_on - from_on), end


def business_year(day: date) -> int:
    """The April-to-March year a day falls in, named by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(year: int) -> str:
    return f"April {year} to March {year + 1}"


def check_period(from_on: date, to_on: date) -> None:
    for name, value in (("from", from_on), ("to", to_on)):
        if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
            raise ServiceError("Enter a date between 2000 and 2100", field=name)
    if to_on < from_on:
        raise ServiceError("The end of the period must be on or after its start", field="to")
    if (to_on - from_on).days > MAX_DAYS:
        raise ServiceError("Choose a period of five years or less", field="from")


def date_arg(args: Mapping[str, Any], name: str) -> date | None:
    """A date from a query string: day/month/year boxes (name-day, ...) or an ISO date."""
    parts = [str(args.get(f"{name}-{p}") or "").strip() for p in ("day", "month", "year")]
    if any(parts):
        if not all(p.isdigit() and len(p) <= 4 for p in parts):
            raise ServiceError("Enter a real date, for example 1 4 2026", field=name)
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise ServiceError("Enter a real date, for example 1 4 2026", field=name) from None
    raw = str(args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ServiceError("Enter a real date, for example 2026-04-01", field=name) from None


def resolve_period(from_on: date | None, to_on: date | None) -> tuple[date, date]:
    """Fill in a missing end of the period (12 months from the other one), then check it."""
    if from_on is None and to_on is None:
        from_on, to_on = default_period()
    elif from_on is None:
        from_on = to_on - timedelta(days=364)  # type: ignore[operator]
    elif to_on is None:
        to_on = from_on + timedelta(days=364)
    check_period(from_on, to_on)  # type: ignore[arg-type]
    return from_on, to_on  # type: ignore[return-value]


def parse_period(args: Mapping[str, Any]) -> tuple[date, date]:
    """The period asked for (from/to as ISO dates or day/month/year boxes), else the default."""
    return resolve_period(date_arg(args, "from"), date_arg(args, "to"))


# -- Staff survey items ---------------------------------------------------------------------------


@dataclass
class SurveyItem:
    """One Likert statement of one staff survey, summarised over the period."""

    campaign_id: int
    campaign_title: str
    opens_on: date
    key: str
    label: str
    themes: list[str]
    n: int
    percent_agree: float | None
    reportable: bool
    #: The latest round of this statement in the period with enough answers to report (or the
    #: latest of all when none has): the one the ranking reads.
    current: bool = False

    @property
    def low(self) -> bool:
        return self.percent_agree is not None and self.percent_agree < LOW_AGREEMENT


def _likert_questions(definition: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], list[Any]]]:
    out = []
    for _, question in forms.iter_questions(definition):
        if question.get("type") != "likert":
            continue
        try:
            summary = forms.summarise(question)
        except (KeyError, ValueError, TypeError):
            continue
        if summary.get("kind") != "ordinal":
            continue
        out.append((question, [level["value"] for level in summary["levels"]]))
    return out


def survey_items(
    partnership_id: int, from_on: date, to_on: date, threshold: int
) -> list[SurveyItem]:
    """Every Likert statement of the staff surveys answered in the period, with percent agree."""
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(Campaign.partnership_id == partnership_id, Campaign.purpose == "survey")
        .order_by(Campaign.opens_at)
    ).all()
    items = []
    for campaign in campaigns:
        questions = _likert_questions(campaign.instrument_version.definition)
        if not questions:
            continue
        values: dict[str, list[Any]] = {q["key"]: [] for q, _ in questions}
        answered = db.session.scalars(
            sa.select(Response.answers).where(
                Response.campaign_id == campaign.id,
                Response.submitted_on >= from_on,
                Response.submitted_on <= to_on,
            )
        )
        any_answer = False
        for answers in answered:
            any_answer = True
            for question, levels in questions:
                value = (answers or {}).get(question["key"])
                values[question["key"]].append(value if value in levels else None)
        if not any_answer:
            continue
        for question, levels in questions:
            summary = stats.likert_summary(values[question["key"]], levels, excluded=())
            items.append(
                SurveyItem(
                    campaign_id=campaign.id,
                    campaign_title=campaign.title,
                    opens_on=campaign.opens_at.date(),
                    key=question["key"],
                    label=str(question.get("label") or question["key"]),
                    themes=[str(t) for t in question.get("themes") or []],
                    n=summary.n,
                    percent_agree=summary.percent_agree,
                    reportable=summary.n >= threshold,
                )
            )
    latest: dict[str, SurveyItem] = {}
    for item in items:  # campaigns in the order they opened
        previous = latest.get(item.key)
        if previous is None or item.reportable or not previous.reportable:
            latest[item.key] = item
    for item in latest.values():
        item.current = True
    return items


# -- Counting the theme evidence ------------------------------------------------------------------


def is_need_field(name: str) -> bool:
    """Whether a question asks for further learning needs or barriers."""
    base = name.split(".")[0].lower()
    return base in NEED_FIELDS or any(word in base for word in _NEED_WORDS)


def _people_by_theme(
    partnership_id: int,
    from_on: date,
    to_on: date,
    sources: tuple[SourceType, ...],
    need_fields_only: bool = False,
) -> dict[str, tuple[int, int]]:
    """theme -> (people, comments) with confirmed codes in these sources in the period."""
    query = confirmed_join(
        sa.select(SegmentCode.theme_key, TextSegment.field, respondent_expr())
    ).where(
        TextSegment.partnership_id == partnership_id,
        TextSegment.occurred_on >= from_on,
        TextSegment.occurred_on <= to_on,
        TextSegment.source_type.in_(list(sources)),
    )
    people: dict[str, set[str]] = defaultdict(set)
    comments: dict[str, int] = defaultdict(int)
    for key, field_name, person in db.session.execute(query):
        if need_fields_only and not is_need_field(field_name or ""):
            continue
        people[key].add(person)
        comments[key] += 1
    return {key: (len(people[key]), comments[key]) for key in people}


def _ended_within(from_on: date, to_on: date) -> list[sa.ColumnElement[bool]]:
    """Sessions that ended on a day of the period (UTC)."""
    start = datetime.combine(from_on, time.min, UTC)
    end = datetime.combine(to_on + timedelta(days=1), time.min, UTC)
    return [CourseSession.ends_at >= start, CourseSession.ends_at < end]


def _reach_by_theme(
    partnership_id: int, from_on: date, to_on: date
) -> tuple[dict[str, set[int]], dict[str, list[str]]]:
    """theme -> people who attended a course on it in the period; theme -> those courses."""
    rows = db.session.execute(
        sa.select(Course.title, Course.themes, Attendance.person_id)
        .join(CourseSession, CourseSession.course_id == Course.id)
        .join(Attendance, Attendance.session_id == CourseSession.id)
        .where(
            Course.partnership_id == partnership_id,
            CourseSession.cancelled_at.is_(None),
            *_ended_within(from_on, to_on),
            Attendance.attended.is_(True),
        )
    )
    reached: dict[str, set[int]] = defaultdict(set)
    courses: dict[str, list[str]] = defaultdict(list)
    for title, themes, person_id in rows:
        for key in themes or []:
            reached[key].add(person_id)
            if title not in courses[key]:
                courses[key].append(title)
    return reached, courses


def workforce(partnership_id: int) -> dict[int | None, int]:
    """People in the partnership by agency (None for those with no agency)."""
    rows = db.session.execute(
        sa.select(Person.agency_id, sa.func.count())
        .where(Person.partnership_id == partnership_id)
        .group_by(Person.agency_id)
    )
    return {agency_id: int(n) for agency_id, n in rows}


# -- Learning needs ------------------------------------------------------------------------------


@dataclass
class RecommendationEvidence:
    text: str
    record_type: str
    record_id: int
    record_title: str


@dataclass
class LearningNeed:
    theme_key: str
    label: str
    components: dict[str, float]
    score: float
    rank: int = 0
    survey_items: list[SurveyItem] = field(default_factory=list)
    #: People who wrote about the theme as a further learning need or barrier (raw figure).
    training_people: int = 0
    training_comments: int = 0
    front_line_people: int = 0
    comments_now: int = 0
    comments_before: int = 0
    recommendations: list[RecommendationEvidence] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    reached: int = 0
    workforce: int = 0
    previous_rank: int | None = None
    previous_score: float | None = None
    #: Parts of the score this reader may not see: each would give away a hidden count (the
    #: people a course reached, the comments in the previous period). Set by report().
    hidden_parts: frozenset[str] = frozenset()
    #: Whether the previous period's score is hidden from this reader, for the same reason.
    previous_score_hidden: bool = False

    @property
    def score_hidden(self) -> bool:
        """The total gives a hidden part away (it is the others plus that part), so it is hidden
        with it; the need keeps its place in the ranking."""
        return bool(self.hidden_parts)

    @property
    def shown_score(self) -> float | Suppressed:
        return Suppressed("secondary") if self.score_hidden else self.score

    @property
    def shown_previous_score(self) -> float | Suppressed | None:
        if self.previous_score_hidden:
            return Suppressed("secondary")
        return self.previous_score

    def shown_part(self, key: str) -> float | Suppressed:
        if key in self.hidden_parts:
            return Suppressed("primary")
        return self.components.get(key, 0.0)

    @property
    def movement(self) -> str:
        """How the need moved since the previous period, in words."""
        if self.previous_rank is None:
            return "New"
        if self.previous_rank == self.rank:
            return "Same place"
        places = abs(self.previous_rank - self.rank)
        word = "Up" if self.previous_rank > self.rank else "Down"
        return f"{word} {places} place{'s' if places != 1 else ''}"

    @property
    def reach_percent(self) -> float | None:
        return 100 * self.reached / self.workforce if self.workforce else None


def learning_needs(
    partnership_id: int, labels: Mapping[str, str], from_on: date, to_on: date, threshold: int
) -> list[LearningNeed]:
    """Every theme with evidence in the period, ranked by the weighted sum of its evidence."""
    from feedback.services import records

    before_from, before_to = previous_period(from_on, to_on)
    items = survey_items(partnership_id, from_on, to_on, threshold)
    training = _people_by_theme(partnership_id, from_on, to_on, TRAINING_SOURCES, True)
    front = _people_by_theme(partnership_id, from_on, to_on, FRONT_LINE)
    front_before = _people_by_theme(partnership_id, before_from, before_to, FRONT_LINE)
    recommendations = records.training_recommendations(partnership_id, from_on, to_on)
    reached, courses = _reach_by_theme(partnership_id, from_on, to_on)
    people = sum(workforce(partnership_id).values())

    counted_training = {k: v[0] for k, v in training.items() if v[0] >= threshold}
    counted_front = {k: v[0] for k, v in front.items() if v[0] >= threshold}
    most_training = max(counted_training.values(), default=0)
    most_front = max(counted_front.values(), default=0)

    by_theme_items: dict[str, list[SurveyItem]] = defaultdict(list)
    for item in items:
        for key in item.themes:
            by_theme_items[key].append(item)
    by_theme_recs: dict[str, list[RecommendationEvidence]] = defaultdict(list)
    for recommendation, record, themes in recommendations:
        for key in themes:
            by_theme_recs[key].append(
                RecommendationEvidence(
                    recommendation.text, record.record_type.value, record.id, record.title
                )
            )

    keys = set(by_theme_items) | set(training) | set(front) | set(by_theme_recs)
    needs = []
    for key in keys:
        theme_items = sorted(
            by_theme_items.get(key, []),
            key=lambda i: (i.percent_agree is None, i.percent_agree or 0.0),
        )
        low = [i for i in theme_items if i.current and i.reportable and i.low]
        components = dict.fromkeys((w.key for w in WEIGHTS), 0.0)
        if low:
            components["survey"] = (100 - min(i.percent_agree or 0.0 for i in low)) / 100
        if key in counted_training and most_training:
            components["training_text"] = counted_training[key] / most_training
        if key in counted_front and most_front:
            components["front_line"] = counted_front[key] / most_front
            now, before = front[key][1], front_before.get(key, (0, 0))[1]
            components["rising"] = min(max((now - before) / max(before, 1), 0.0), 1.0)
        components["recommendations"] = min(
            len(by_theme_recs.get(key, [])) / FULL_RECOMMENDATIONS, 1.0
        )
        if not any(components.values()):
            continue
        if people:
            components["reach"] = 1 - min(len(reached.get(key, ())) / people, 1.0)
        score = sum(w.weight * components[w.key] for w in WEIGHTS)
        needs.append(
            LearningNeed(
                theme_key=key,
                label=labels.get(key, key.replace("_", " ").capitalize()),
                components={k: round(v, 3) for k, v in components.items()},
                score=round(score, 2),
                survey_items=[i for i in theme_items if i.current],
                training_people=training.get(key, (0, 0))[0],
                training_comments=training.get(key, (0, 0))[1],
                front_line_people=front.get(key, (0, 0))[0],
                comments_now=front.get(key, (0, 0))[1],
                comments_before=front_before.get(key, (0, 0))[1],
                recommendations=by_theme_recs.get(key, []),
                courses=courses.get(key, []),
                reached=len(reached.get(key, ())),
                workforce=people,
            )
        )
    needs.sort(key=lambda n: (-n.score, n.label.lower()))
    for rank, need in enumerate(needs, start=1):
        need.rank = rank
    return needs


# -- The report ----------------------------------------------------------------------------------


@dataclass
class AgencyReach:
    agency: str
    workforce: int
    reached: Cell

    @property
    def percent(self) -> float | None:
        if not isinstance(self.reached, int) or not self.workforce:
            return None
        return 100 * self.reached / self.workforce


@dataclass
class CourseSummary:
    course_id: int
    title: str
    themes: list[str]
    sessions: int
    #: People who attended, evaluations sent and answered: "[c]" when small, for all but admins.
    attended: Cell
    evaluations_invited: Cell
    evaluations_answered: Cell
    #: Mean of the learning outcomes' median confidence change (before to now), if shown.
    confidence_change: float | None
    #: Percent of follow-up answers saying they have used the learning, if shown.
    applied_percent: float | None
    withheld: bool


@dataclass
class Report:
    from_on: date
    to_on: date
    previous_from: date
    previous_to: date
    threshold: int
    suppressing: bool
    needs: list[LearningNeed]
    previous_needs: list[LearningNeed]
    survey_items: list[SurveyItem]
    barriers: list[tuple[str, Cell]]
    barriers_answered: Cell
    reach: list[AgencyReach]
    reach_total: Cell
    workforce_total: int
    courses: list[CourseSummary]
    priorities_year: int
    priorities: list[LnaPriority]
    labels: dict[str, str]
    weights: tuple[Weight, ...] = WEIGHTS
    max_score: int = MAX_SCORE

    @property
    def priorities_label(self) -> str:
        return year_label(self.priorities_year)

    def shown(self, n: int) -> Cell:
        """A count as this reader may see it."""
        if self.suppressing and 0 < n < self.threshold:
            return Suppressed("primary")
        return n

    def as_dict(self) -> dict[str, Any]:
        def cell(value: Cell) -> int | None:
            return None if isinstance(value, Suppressed) else value

        return {
            "from": self.from_on,
            "to": self.to_on,
            "previous": {"from": self.previous_from, "to": self.previous_to},
            "disclosure_threshold": self.threshold,
            "suppressing": self.suppressing,
            "method": {
                "summary": "Each need's score is the weighted sum of its evidence, each part "
                "scored from 0 to 1; evidence from fewer people than the disclosure threshold "
                "is not counted.",
                "max_score": self.max_score,
                "weights": [
                    {
                        "key": w.key,
                        "title": w.title,
                        "explanation": w.explanation,
                        "weight": w.weight,
                    }
                    for w in self.weights
                ],
            },
            "needs": [
                {
                    "rank": n.rank,
                    "theme": {"key": n.theme_key, "label": n.label},
                    "score": None if n.score_hidden else n.score,
                    "score_suppressed": n.score_hidden,
                    "components": {
                        k: None if k in n.hidden_parts else v for k, v in n.components.items()
                    },
                    "previous_rank": n.previous_rank,
                    "previous_score": None if n.previous_score_hidden else n.previous_score,
                    "movement": n.movement,
                    "sources": {
                        "survey_items": [
                            {
                                "survey": i.campaign_title,
                                "statement": i.label,
                                "answered": cell(self.shown(i.n)),
                                "percent_agree": None
                                if (self.suppressing and not i.reportable)
                                or i.percent_agree is None
                                else round(i.percent_agree, 1),
                            }
                            for i in n.survey_items
                            if i.reportable or not self.suppressing
                        ],
                        "training_people": cell(self.shown(n.training_people)),
                        "front_line_people": cell(self.shown(n.front_line_people)),
                        "comments_now": cell(self.shown(n.comments_now)),
                        "comments_before": cell(self.shown(n.comments_before)),
                        "recommendations": [
                            {
                                "text": r.text,
                                "record_type": r.record_type,
                                "record_id": r.record_id,
                                "record_title": r.record_title,
                            }
                            for r in n.recommendations
                        ],
                        "courses": n.courses,
                        "reached": cell(self.shown(n.reached)),
                        "workforce": n.workforce,
                    },
                }
                for n in self.needs
            ],
            "priorities": {
                "year": self.priorities_label,
                "items": [
                    {"position": i + 1, "text": p.text, "theme_key": p.theme_key}
                    for i, p in enumerate(self.priorities)
                ],
            },
        }


def report(
    partnership: Partnership,
    labels: Mapping[str, str],
    from_on: date,
    to_on: date,
    role: Role | str,
    *,
    full: bool = True,
) -> Report:
    """The Learning Needs Analysis for a period, for this reader; `full=False` computes the
    ranked needs only (for the home page's headline)."""
    check_period(from_on, to_on)
    threshold = partnership.disclosure_threshold
    suppressing = suppressing_for(role)
    labels = dict(labels)
    needs = learning_needs(partnership.id, labels, from_on, to_on, threshold)
    previous_from, previous_to = previous_period(from_on, to_on)
    previous: list[LearningNeed] = []
    if full:
        previous = learning_needs(partnership.id, labels, previous_from, previous_to, threshold)
    if suppressing:
        for need in (*needs, *previous):
            need.hidden_parts = _hidden_parts(need, threshold)
    if full:
        by_key = {n.theme_key: n for n in previous}
        for need in needs:
            before = by_key.get(need.theme_key)
            if before is not None:
                need.previous_rank, need.previous_score = before.rank, before.score
                need.previous_score_hidden = before.score_hidden
    result = Report(
        from_on=from_on,
        to_on=to_on,
        previous_from=previous_from,
        previous_to=previous_to,
        threshold=threshold,
        suppressing=suppressing,
        needs=needs,
        previous_needs=previous,
        survey_items=[],
        barriers=[],
        barriers_answered=0,
        reach=[],
        reach_total=0,
        workforce_total=0,
        courses=[],
        priorities_year=business_year(to_on) + 1,
        priorities=[],
        labels=labels,
    )
    result.priorities = priorities(partnership.id, result.priorities_year)
    if not full:
        return result
    items = survey_items(partnership.id, from_on, to_on, threshold)
    result.survey_items = sorted(
        (i for i in items if i.reportable or not suppressing),
        key=lambda i: (i.percent_agree is None, i.percent_agree or 0.0, i.label),
    )
    result.barriers, result.barriers_answered = _barriers(
        partnership.id, from_on, to_on, threshold, suppressing
    )
    result.reach, result.reach_total, result.workforce_total = _reach(
        partnership.id, from_on, to_on, threshold, suppressing
    )
    result.courses = _courses(partnership.id, from_on, to_on, threshold, suppressing)
    return result


def _hidden_parts(need: LearningNeed, threshold: int) -> frozenset[str]:
    """The parts of a need's score from which a reader could work out a count hidden from them.

    Reach is 1 - reached / workforce with the workforce shown, so it gives away the people
    reached; rising is (now - before) / before with "now" shown, so it gives away "before". The
    ranking still uses both, for every reader alike.
    """
    hidden = set()
    if 0 < need.reached < threshold:
        hidden.add("reach")
    if 0 < need.comments_before < threshold:
        hidden.add("rising")
    return frozenset(hidden)


def _barriers(
    partnership_id: int, from_on: date, to_on: date, threshold: int, suppressing: bool
) -> tuple[list[tuple[str, Cell]], Cell]:
    """What follow-up answers said got in the way of using the learning, most often first."""
    rows = db.session.execute(
        sa.select(Response.answers, Campaign.instrument_version_id, Campaign.id)
        .join(Campaign, Campaign.id == Response.campaign_id)
        .where(
            Campaign.partnership_id == partnership_id,
            Campaign.purpose.in_(FOLLOW_UP_PURPOSES),
            Response.submitted_on >= from_on,
            Response.submitted_on <= to_on,
        )
    ).all()
    labels: dict[str, str] = {}
    seen_versions: set[int] = set()
    counts: dict[str, int] = defaultdict(int)
    answered = 0
    for answers, version_id, _ in rows:
        if version_id not in seen_versions:
            seen_versions.add(version_id)
            from feedback.models import InstrumentVersion

            version = db.session.get(InstrumentVersion, version_id)
            try:
                question = forms.find_question(version.definition, "barriers") if version else None
            except KeyError:
                question = None
            for option in (question or {}).get("options") or []:
                labels.setdefault(str(option["value"]), str(option["label"]))
        selected = ((answers or {}).get("barriers") or {}) if isinstance(answers, dict) else {}
        values = selected.get("selected") if isinstance(selected, dict) else None
        if not values:
            continue
        answered += 1
        for value in values:
            counts[str(value)] += 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    named = {labels.get(value, value.replace("_", " ").capitalize()): n for value, n in ordered}
    if not suppressing:
        return list(named.items()), answered
    if answered < threshold:
        return [], Suppressed("primary") if answered else 0
    hidden = suppress_counts(named, threshold, total_shown=False).cells
    return list(hidden.items()), answered


def _reach(
    partnership_id: int, from_on: date, to_on: date, threshold: int, suppressing: bool
) -> tuple[list[AgencyReach], Cell, int]:
    """People who attended any course in the period, by agency, against the agency's workforce."""
    people = workforce(partnership_id)
    attended = dict(
        db.session.execute(
            sa.select(Person.agency_id, sa.func.count(sa.distinct(Person.id)))
            .join(Attendance, Attendance.person_id == Person.id)
            .join(CourseSession, CourseSession.id == Attendance.session_id)
            .where(
                Person.partnership_id == partnership_id,
                Attendance.attended.is_(True),
                CourseSession.cancelled_at.is_(None),
                *_ended_within(from_on, to_on),
            )
            .group_by(Person.agency_id)
        ).all()
    )
    agencies = {
        a.id: a.name
        for a in db.session.scalars(
            sa.select(Agency).where(Agency.partnership_id == partnership_id)
        )
    }
    names = {agency_id: agencies.get(agency_id, "No agency recorded") for agency_id in people}
    order = sorted(people, key=lambda a: names[a].lower())
    counts = {names[a]: int(attended.get(a, 0)) for a in order}
    if suppressing:
        hidden = suppress_counts(counts, threshold, total_shown=True)
        cells, total = dict(hidden.cells), hidden.total
    else:
        cells, total = dict(counts), sum(counts.values())
    rows = [AgencyReach(names[a], people[a], cells[names[a]]) for a in order]
    return rows, total if total is not None else 0, sum(people.values())


def _courses(
    partnership_id: int, from_on: date, to_on: date, threshold: int, suppressing: bool
) -> list[CourseSummary]:
    """Attendance and evaluation for each course that ran in the period."""
    from feedback.services import training

    sessions = db.session.scalars(
        sa.select(CourseSession)
        .join(Course, Course.id == CourseSession.course_id)
        .where(
            Course.partnership_id == partnership_id,
            CourseSession.cancelled_at.is_(None),
            *_ended_within(from_on, to_on),
        )
        .order_by(Course.title, CourseSession.starts_at)
    ).all()
    by_course: dict[int, list[CourseSession]] = defaultdict(list)
    for session in sessions:
        by_course[session.course_id].append(session)
    out = []
    for course_id, course_sessions in by_course.items():
        course = course_sessions[0].course
        attended = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Attendance.person_id))).where(
                Attendance.session_id.in_([s.id for s in course_sessions]),
                Attendance.attended.is_(True),
            )
        )
        result = training.evaluation(
            course_sessions, disclose_small=not suppressing, threshold=threshold
        )
        changes = [
            o["median_change"]
            for o in result["outcomes"]
            if not o["suppressed"] and o["median_change"] is not None
        ]
        post = result["stages"].get("post_course", {"invited": 0, "responded": 0})
        follow = result["follow_up"]
        out.append(
            CourseSummary(
                course_id=course_id,
                title=course.title,
                themes=list(course.themes or []),
                sessions=len(course_sessions),
                attended=int(attended or 0),
                evaluations_invited=int(post["invited"]),
                evaluations_answered=int(post["responded"]),
                confidence_change=sum(changes) / len(changes) if changes else None,
                applied_percent=None if follow["suppressed"] else follow["applied_pct"],
                withheld=bool(result["outcomes"]) and not changes,
            )
        )
    if suppressing and out:
        _suppress_courses(out, threshold)
    return out


def _suppress_courses(courses: list[CourseSummary], threshold: int) -> None:
    """Hide small counts in the course table, column by column across the courses.

    Attendance is treated as a column with its total shown, because the training reach table
    shows everyone who attended any course: one hidden course could otherwise be worked out
    from it and the courses shown, so secondary suppression hides another beside it.
    """
    keys = [str(i) for i in range(len(courses))]
    for name, total_shown in (
        ("attended", True),
        ("evaluations_invited", False),
        ("evaluations_answered", False),
    ):
        counts = {k: int(getattr(c, name)) for k, c in zip(keys, courses, strict=True)}
        cells = suppress_counts(counts, threshold, total_shown=total_shown).cells
        for k, course in zip(keys, courses, strict=True):
            setattr(course, name, cells[k])


# -- Priorities for next year -------------------------------------------------------------------


def priorities(partnership_id: int, year: int) -> list[LnaPriority]:
    return list(
        db.session.scalars(
            sa.select(LnaPriority)
            .where(LnaPriority.partnership_id == partnership_id, LnaPriority.year == year)
            .order_by(LnaPriority.position, LnaPriority.id)
        )
    )


def get_priority(partnership_id: int, priority_id: int) -> LnaPriority:
    found = db.session.get(LnaPriority, priority_id) if 0 < priority_id < 2**31 else None
    if found is None or found.partnership_id != partnership_id:
        raise NotFound(f"There is no priority {priority_id}")
    return found


def _priority_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError("Write the priority", field="text")
    if len(text) > MAX_PRIORITY:
        raise ServiceError(f"A priority must be {MAX_PRIORITY:,} characters or fewer", field="text")
    return text


def _priority_theme(key: str | None, labels: Mapping[str, str]) -> str | None:
    key = (key or "").strip() or None
    if key is not None and key not in labels:
        raise ServiceError("Choose a theme from the codebook", field="theme_key")
    return key


def add_priority(
    partnership_id: int,
    year: int,
    text: str | None,
    theme_key: str | None,
    labels: Mapping[str, str],
    actor: User | None,
) -> LnaPriority:
    """Add a priority at the end of the year's list."""
    clean = _priority_text(text)
    key = _priority_theme(theme_key, labels)
    if not 2000 <= year <= 2100:
        raise ServiceError("Choose a year between 2000 and 2100", field="year")
    existing = priorities(partnership_id, year)
    if len(existing) >= MAX_PRIORITIES:
        raise ServiceError(
            f"A year can have no more than {MAX_PRIORITIES} priorities", field="text"
        )
    with transaction():
        priority = LnaPriority(
            partnership_id=partnership_id,
            year=year,
            position=max((p.position for p in existing), default=0) + 1,
            text=clean,
            theme_key=key,
            updated_by_id=actor.id if actor else None,
        )
        db.session.add(priority)
        db.session.flush()
        audit.record(
            "lna.priority_add",
            user=actor,
            partnership_id=partnership_id,
            record_type="lna_priority",
            record_id=priority.id,
            detail={"year": year},
        )
    return priority


def update_priority(
    priority: LnaPriority,
    text: str | None,
    theme_key: str | None,
    labels: Mapping[str, str],
    actor: User | None,
) -> LnaPriority:
    clean = _priority_text(text)
    key = _priority_theme(theme_key, labels)
    with transaction():
        priority.text = clean
        priority.theme_key = key
        priority.updated_by_id = actor.id if actor else None
        audit.record(
            "lna.priority_edit",
            user=actor,
            partnership_id=priority.partnership_id,
            record_type="lna_priority",
            record_id=priority.id,
        )
    return priority


def move_priority(priority: LnaPriority, direction: str, actor: User | None) -> None:
    """Swap a priority with the one above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise ServiceError("Choose up or down", field="direction")
    listed = priorities(priority.partnership_id, priority.year)
    index = next(i for i, p in enumerate(listed) if p.id == priority.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(listed):
        return
    with transaction():
        listed[index], listed[other] = listed[other], listed[index]
        for position, item in enumerate(listed, start=1):
            item.position = position
        audit.record(
            "lna.priority_move",
            user=actor,
            partnership_id=priority.partnership_id,
            record_type="lna_priority",
            record_id=priority.id,
            detail={"direction": direction},
        )


def remove_priority(priority: LnaPriority, actor: User | None) -> None:
    with transaction():
        db.session.delete(priority)
        audit.record(
            "lna.priority_remove",
            user=actor,
            partnership_id=priority.partnership_id,
            record_type="lna_priority",
            record_id=priority.id,
        )


# -- Download ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, float):
        return round(value, 1)
    return value


def xlsx(result: Report) -> IO[bytes]:
    """The report as a workbook: one sheet per section, small counts as "[c]" but for admins."""
    from feedback.services.exports import xlsx_file

    def rows(head: list[str], body: list[list[Any]]) -> list[list[Any]]:
        return [head, *[[_plain(v) for v in row] for row in body]]

    period = f"{result.from_on:%d %B %Y} to {result.to_on:%d %B %Y}"
    needs = rows(
        [
            "Rank",
            "Learning need (theme)",
            f"Score (out of {result.max_score})",
            *[w.title for w in result.weights],
            "Previous rank",
            "Movement",
        ],
        [
            [
                n.rank,
                n.label,
                n.shown_score,
                *[n.shown_part(w.key) for w in result.weights],
                n.previous_rank if n.previous_rank is not None else "",
                n.movement,
            ]
            for n in result.needs
        ],
    )
    method = rows(
        ["Evidence", "How it is scored", "Weight"],
        [[w.title, w.explanation, w.weight] for w in result.weights],
    )
    method.insert(0, [f"Learning Needs Analysis, {period}"])
    survey = rows(
        ["Survey", "Statement", "Themes", "Answered", "Percent agreeing"],
        [
            [
                i.campaign_title,
                i.label,
                ", ".join(result.labels.get(t, t) for t in i.themes),
                result.shown(i.n),
                "" if i.percent_agree is None else i.percent_agree,
            ]
            for i in result.survey_items
        ],
    )
    recommendations = rows(
        ["Learning need", "Recommendation", "From"],
        [[n.label, r.text, r.record_title] for n in result.needs for r in n.recommendations],
    )
    reach = rows(
        ["Agency", "Workforce", "Attended training", "Percent reached"],
        [
            [r.agency, r.workforce, r.reached, "" if r.percent is None else r.percent]
            for r in result.reach
        ],
    )
    reach.append(["All agencies", result.workforce_total, _plain(result.reach_total), ""])
    courses = rows(
        [
            "Course",
            "Sessions",
            "Attended",
            "Evaluations sent",
            "Evaluations answered",
            "Median confidence change",
            "Percent applying learning (follow-ups)",
        ],
        [
            [
                c.title,
                c.sessions,
                c.attended,
                c.evaluations_invited,
                c.evaluations_answered,
                "" if c.confidence_change is None else c.confidence_change,
                "" if c.applied_percent is None else c.applied_percent,
            ]
            for c in result.courses
        ],
    )
    barriers = rows(["Barrier", "Follow-up answers"], [[b, n] for b, n in result.barriers])
    priority_rows = rows(
        ["Order", f"Priority for {result.priorities_label}", "Theme"],
        [
            [i + 1, p.text, result.labels.get(p.theme_key or "", "")]
            for i, p in enumerate(result.priorities)
        ],
    )
    return xlsx_file(
        [
            ("Learning needs", needs),
            ("Method", method),
            ("Staff survey", survey),
            ("Recommendations", recommendations),
            ("Training reach", reach),
            ("Courses", courses),
            ("Barriers", barriers),
            ("Priorities", priority_rows),
        ]
    )
