"""Scrutiny visits, safeguarding conversations and practitioner forums: the domain operations.

Who may do what (the pages and the API both ask here):

- admins plan any record, assign its lead and scrutineers, edit it while it is editable, review
  it (send it back with comments, or mark it reviewed), publish it and delete it;
- scrutineers see only the records they lead or are on the team of (any other is "not found",
  as a record of another partnership is); they may start a record they lead themselves, write
  it up while it is planned, a draft or sent back, and submit it;
- analysts, viewers and trainers see published records only.

Every save is one transaction holding the change, the record's text segments (every free
text, so the theme pipeline sees it at once), any tracked actions and an audit event. A save
never checks completeness, so a half-written topic is kept; submitting does, and says where.
"""

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

import forms
import forms.library
from analysis.disclosure import Suppressed, suppress_counts
from feedback import clock
from feedback.extensions import db
from feedback.models import Action, Agency, Instrument, Role, User, VersionStatus
from feedback.models.visits import (
    EDITABLE,
    ConversationItem,
    Rag,
    ReviewOutcome,
    Section11Item,
    Section11Status,
    Visit,
    VisitKind,
    VisitReview,
    VisitStatus,
    visit_scrutineer,
)
from feedback.services import NotFound, ServiceError, audit, home, segments, transaction
from feedback.services import actions as action_service

#: Longest free text a section takes.
TEXT_MAX = 10_000
#: Longest one-line value (setting, event title, audience).
LINE_MAX = 200
#: Most people of one role a visit can record.
COUNT_MAX = 999
#: Roles that read published records only.
PUBLISHED_READERS = (Role.ANALYST, Role.VIEWER, Role.TRAINER)


class VisitInvalid(ServiceError):
    """Several problems at once, each located by path ("topics.2.rag"); the API lists them."""

    def __init__(self, details: list[dict[str, str]]):
        super().__init__(details[0]["message"], field=details[0]["path"])
        self.details = details


# -- What the library templates say ------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


TOPIC_TEXTS = (
    ("strengths", "Strengths"),
    ("development", "Areas for development"),
    ("notes", "Notes"),
)

#: Each kind's free-text sections, by the key of the library template's question.
NOTE_KEYS: dict[VisitKind, tuple[str, ...]] = {
    VisitKind.SCRUTINY_VISIT: ("overall_summary",),
    VisitKind.SAFEGUARDING_CONVERSATION: ("barriers", "good_practice", "support_needed"),
    VisitKind.PRACTITIONER_FORUM: ("working_well", "challenges", "emerging_issues"),
}

#: Who may attend a safeguarding conversation (the template does not list them).
CONVERSATION_ROLES = (
    Choice("agency_senior_leader", "Agency senior leader"),
    Choice("agency_safeguarding_lead", "Agency safeguarding lead"),
    Choice("agency_practitioner", "Agency practitioner or manager"),
    Choice("local_authority", "Local authority safeguarding partner"),
    Choice("police", "Police safeguarding partner"),
    Choice("health", "Health safeguarding partner (Integrated Care Board)"),
    Choice("partnership_team", "Partnership business team"),
    Choice("independent_scrutineer", "Independent scrutineer"),
    Choice("other", "Someone else"),
)


def _library(kind: VisitKind) -> dict[str, Any]:
    return forms.library.load(kind.template_key)


def _question(definition: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    try:
        return forms.find_question(definition, key)
    except KeyError:
        return None


def note_sections(kind: VisitKind) -> list[Choice]:
    """The kind's free-text sections, labelled as the library template asks them."""
    definition = _library(kind)
    sections = []
    for key in NOTE_KEYS[kind]:
        question = _question(definition, key)
        sections.append(Choice(key, question["label"] if question else key.replace("_", " ")))
    return sections


def note_hints(kind: VisitKind) -> dict[str, str]:
    definition = _library(kind)
    hints = {}
    for key in NOTE_KEYS[kind]:
        question = _question(definition, key)
        if question and question.get("hint"):
            hints[key] = question["hint"]
    return hints


def people_roles(kind: VisitKind) -> list[Choice]:
    """The roles people spoken to (or attending) are counted under; never their names.

    Scrutiny visits use the template's "Who did you speak to?" options; its free-text "other"
    becomes a plain "someone else" count, so no name can be typed in.
    """
    if kind == VisitKind.SAFEGUARDING_CONVERSATION:
        return list(CONVERSATION_ROLES)
    if kind == VisitKind.PRACTITIONER_FORUM:
        return []
    question = _question(_library(kind), "spoke_to")
    options = [Choice(o["value"], o["label"]) for o in (question or {}).get("options", [])]
    return [*options, Choice("other", "Someone else")]


def section11_standards() -> list[Choice]:
    """The Section 11 standards, from the safeguarding_conversation template's questions."""
    definition = _library(VisitKind.SAFEGUARDING_CONVERSATION)
    standards = []
    for _, question in forms.iter_questions(definition):
        key = question["key"]
        if key.endswith("_status"):
            standards.append(Choice(key.removesuffix("_status"), question["label"].split(":")[0]))
    return standards


def standard_label(key: str) -> str:
    return next((s.label for s in section11_standards() if s.key == key), key.replace("_", " "))


def scrutiny_topics(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The topics of a scrutiny visit definition: each page that asks for a RAG rating."""
    topics = []
    for page in definition.get("pages", []):
        keys = {q.get("key") for q in page.get("questions", [])}
        if f"{page.get('key')}_rag" in keys:
            topics.append(
                {
                    "key": page["key"],
                    "title": page.get("title") or page["key"],
                    "intro": page.get("intro"),
                }
            )
    return topics


def topics_for(partnership_id: int) -> list[dict[str, Any]]:
    """The topics a new scrutiny visit covers: the partnership's published copy of the
    scrutiny_visit instrument when it has one with topics, otherwise the library's."""
    instrument = db.session.scalar(
        sa.select(Instrument).where(
            Instrument.partnership_id == partnership_id,
            Instrument.source == VisitKind.SCRUTINY_VISIT.template_key,
            Instrument.archived.is_(False),
        )
    )
    if instrument is not None:
        published = [v for v in instrument.versions if v.status == VersionStatus.PUBLISHED]
        if published:
            topics = scrutiny_topics(published[-1].definition)
            if topics:
                return topics
    return scrutiny_topics(_library(VisitKind.SCRUTINY_VISIT))


def empty_topic(topic: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": topic["key"],
        "title": topic["title"],
        "intro": topic.get("intro"),
        "rag": None,
        "strengths": None,
        "development": None,
        "notes": None,
    }


# -- Who sees what -----------------------------------------------------------------------------


def _on_team(user: User) -> sa.ColumnElement[bool]:
    member = sa.select(visit_scrutineer.c.visit_id).where(visit_scrutineer.c.user_id == user.id)
    return sa.or_(Visit.lead_id == user.id, Visit.id.in_(member))


def visible(user: User) -> sa.Select[tuple[Visit]]:
    """The records the user may see: all (admins), their own (scrutineers), else published."""
    query = sa.select(Visit).where(Visit.partnership_id == user.partnership_id)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.SCRUTINEER:
        return query.where(_on_team(user))
    return query.where(Visit.status == VisitStatus.PUBLISHED)


def get_visit(user: User, visit_id: int) -> Visit:
    """A record the user may see; NotFound for one they may not (or that does not exist)."""
    if not 0 < visit_id < 2**31:
        raise NotFound(f"There is no visit with id {visit_id}", field="id")
    visit = db.session.scalar(visible(user).where(Visit.id == visit_id))
    if visit is None:
        raise NotFound(f"There is no visit with id {visit_id}", field="id")
    return visit


def may_write(user: User, visit: Visit) -> bool:
    """Whether the user may write the record up (whatever its status)."""
    return user.role == Role.ADMIN or (user.role == Role.SCRUTINEER and visit.is_on_team(user))


def may_edit(user: User, visit: Visit) -> bool:
    """Whether the user may change the record now: a writer, and the record editable."""
    return visit.status in EDITABLE and may_write(user, visit)


def shows_exact_counts(user: User, visit: Visit) -> bool:
    """Admins and the record's own team see every count; others get small ones withheld."""
    return may_write(user, visit)


def list_visits(
    user: User,
    *,
    kind: VisitKind | None = None,
    agency_id: int | None = None,
    status: VisitStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Visit], int]:
    """The records the user may see, newest first, filtered; with how many there are in all."""
    query = visible(user)
    if kind is not None:
        query = query.where(Visit.kind == kind)
    if agency_id is not None:
        query = query.where(Visit.agency_id == agency_id)
    if status is not None:
        query = query.where(Visit.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(Visit.occurred_on.desc(), Visit.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(items), total


def get_agency(user: User, agency_id: int) -> Agency:
    if not 0 < agency_id < 2**31:
        raise NotFound(f"There is no agency with id {agency_id}", field="agency_id")
    agency = db.session.scalar(
        sa.select(Agency).where(
            Agency.id == agency_id, Agency.partnership_id == user.partnership_id
        )
    )
    if agency is None:
        raise NotFound(f"There is no agency with id {agency_id}", field="agency_id")
    return agency


def scrutineers(partnership_id: int) -> list[User]:
    """Accounts that can be put on a visit's team."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.partnership_id == partnership_id,
                User.role == Role.SCRUTINEER,
                User.active.is_(True),
            )
            .order_by(User.name)
        )
    )


def leads(partnership_id: int) -> list[User]:
    """Accounts that can lead a visit: scrutineers and the partnership team."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.partnership_id == partnership_id,
                User.role.in_([Role.SCRUTINEER, Role.ADMIN]),
                User.active.is_(True),
            )
            .order_by(User.role, User.name)
        )
    )


# -- Planning a record -------------------------------------------------------------------------


@dataclass
class VisitSpec:
    """What planning a record needs (kind-specific parts may be empty for other kinds)."""

    kind: str
    occurred_on: date | None
    agency_id: int | None = None
    setting: str | None = None
    title: str | None = None
    audience: str | None = None
    attendee_count: int | None = None
    #: None means "the creator" for a scrutineer; an admin must name someone.
    lead_id: int | None = None
    team_ids: list[int] = field(default_factory=list)


def _line(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


class _Problems:
    """Collects located problems and raises them together."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.details.append({"path": path, "message": message})

    def raise_any(self) -> None:
        if self.details:
            raise VisitInvalid(self.details)


def _check_date(problems: _Problems, value: date | None, kind: VisitKind) -> None:
    if value is None:
        problems.add("occurred_on", f"Enter the date of the {kind.label.lower()}")
        return
    today = clock.today()
    if value < date(2000, 1, 1) or value > today + timedelta(days=2 * 366):
        problems.add(
            "occurred_on",
            "Enter a date after 1 January 2000 and no more than two years from now",
        )


def _check_line(problems: _Problems, path: str, value: str | None, label: str) -> None:
    if value is not None and len(value) > LINE_MAX:
        problems.add(path, f"{label} must be {LINE_MAX} characters or fewer")


def _check_text(problems: _Problems, path: str, value: str | None, label: str) -> None:
    if value is not None and len(value) > TEXT_MAX:
        problems.add(path, f"{label} must be {TEXT_MAX:,} characters or fewer")


def _agency_in(partnership_id: int, agency_id: int | None) -> Agency | None:
    if agency_id is None or not 0 < agency_id < 2**31:
        return None
    return db.session.scalar(
        sa.select(Agency).where(Agency.id == agency_id, Agency.partnership_id == partnership_id)
    )


def _user_in(partnership_id: int, user_id: int | None, roles: Iterable[Role]) -> User | None:
    if user_id is None or not 0 < user_id < 2**31:
        return None
    return db.session.scalar(
        sa.select(User).where(
            User.id == user_id,
            User.partnership_id == partnership_id,
            User.role.in_(list(roles)),
            User.active.is_(True),
        )
    )


def _kind(value: str) -> VisitKind:
    try:
        return VisitKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in VisitKind)
        raise ServiceError(f"Choose what kind of record this is: {kinds}", field="kind") from None


def _apply_details(
    user: User, visit: Visit, spec: VisitSpec, problems: _Problems, *, creating: bool
) -> None:
    """Check the planning details and set them on the visit (problems are raised later)."""
    kind = visit.kind
    pid = user.partnership_id
    _check_date(problems, spec.occurred_on, kind)
    agency = _agency_in(pid, spec.agency_id)
    if spec.agency_id is not None and agency is None:
        problems.add("agency_id", "Choose an agency from the list")
    elif agency is None and kind != VisitKind.PRACTITIONER_FORUM:
        problems.add("agency_id", f"Choose the agency the {kind.label.lower()} is with")
    if (
        not creating
        and kind == VisitKind.SAFEGUARDING_CONVERSATION
        and agency is not None
        and agency.id != visit.agency_id
        and visit.action_plan
    ):
        problems.add(
            "agency_id",
            "This conversation already follows its agency's action plan: plan a new "
            "conversation to talk with another agency",
        )
    setting, title, audience = _line(spec.setting), _line(spec.title), _line(spec.audience)
    if kind == VisitKind.SCRUTINY_VISIT and setting is None:
        problems.add("setting", "Enter the setting or service visited")
    if kind == VisitKind.PRACTITIONER_FORUM:
        if title is None:
            problems.add("title", "Enter the event's title")
        if audience is None:
            problems.add("audience", "Enter who the event was for")
    _check_line(problems, "setting", setting, "Setting")
    _check_line(problems, "title", title, "Title")
    _check_line(problems, "audience", audience, "Audience")
    count = spec.attendee_count
    if count is not None and not 0 <= count <= 10_000:
        problems.add("attendee_count", "Number attending must be between 0 and 10,000")

    # The team: an admin chooses; a scrutineer leads what they start and keeps leading it.
    lead = None
    if user.role == Role.ADMIN:
        lead = _user_in(pid, spec.lead_id, (Role.SCRUTINEER, Role.ADMIN))
        if lead is None:
            problems.add(
                "lead_id",
                "Choose the lead from the list"
                if spec.lead_id is not None
                else "Choose who leads it",
            )
    elif creating:
        if spec.lead_id is not None and spec.lead_id != user.id:
            problems.add("lead_id", "You can start a record only with yourself as its lead")
        lead = user
    team: list[User] = []
    seen: set[int] = set()
    for index, member_id in enumerate(spec.team_ids):
        member = _user_in(pid, member_id, (Role.SCRUTINEER,))
        if member is None:
            problems.add(f"team_ids.{index}", "Choose scrutineers from the list")
        elif member.id not in seen and (lead is None or member.id != lead.id):
            seen.add(member.id)
            team.append(member)
    problems.raise_any()

    visit.occurred_on = spec.occurred_on  # type: ignore[assignment]
    visit.agency_id = agency.id if agency else None
    visit.agency = agency
    visit.setting = setting if kind == VisitKind.SCRUTINY_VISIT else None
    visit.title = title if kind == VisitKind.PRACTITIONER_FORUM else None
    visit.audience = audience if kind == VisitKind.PRACTITIONER_FORUM else None
    visit.attendee_count = count if kind == VisitKind.PRACTITIONER_FORUM else None
    if lead is not None:
        visit.lead_id = lead.id
        visit.lead = lead
    if user.role == Role.ADMIN or creating:
        visit.team = team


def create(user: User, spec: VisitSpec) -> Visit:
    """Plan a record. Admins assign the lead and team; a scrutineer starts one they lead."""
    if user.role not in (Role.ADMIN, Role.SCRUTINEER):
        raise ServiceError("Only the partnership team and scrutineers can plan visits")
    kind = _kind(spec.kind)
    with transaction():
        visit = Visit(
            partnership_id=user.partnership_id,
            kind=kind,
            status=VisitStatus.PLANNED,
            topics=[empty_topic(t) for t in topics_for(user.partnership_id)]
            if kind == VisitKind.SCRUTINY_VISIT
            else [],
            people_by_role={},
            notes={},
            created_by_id=user.id,
        )
        problems = _Problems()
        _apply_details(user, visit, spec, problems, creating=True)
        db.session.add(visit)
        db.session.flush()
        if kind == VisitKind.SAFEGUARDING_CONVERSATION:
            _carry_action_plan(visit)
        audit.record(
            "visit.create",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"kind": kind.value, "lead_id": visit.lead_id},
        )
    return visit


def _carry_action_plan(visit: Visit) -> None:
    """Start a conversation with each of the agency's items at the status it last had."""
    items = db.session.scalars(
        sa.select(Section11Item)
        .where(Section11Item.agency_id == visit.agency_id)
        .order_by(Section11Item.id)
    ).all()
    for item in items:
        visit.action_plan.append(
            ConversationItem(
                item=item, status=last_status(item, before=visit) or Section11Status.NOT_STARTED
            )
        )
    db.session.flush()


def last_status(item: Section11Item, before: Visit | None = None) -> Section11Status | None:
    """The status the item had at the latest other conversation recording it."""
    query = (
        sa.select(ConversationItem.status)
        .join(Visit, Visit.id == ConversationItem.visit_id)
        .where(ConversationItem.item_id == item.id)
        .order_by(Visit.occurred_on.desc(), Visit.id.desc())
        .limit(1)
    )
    if before is not None and before.id is not None:
        query = query.where(Visit.id != before.id)
    return db.session.scalar(query)


def previous_entries(visit: Visit, user: User) -> dict[int, ConversationItem]:
    """For each item on this conversation, what the last earlier conversation the user may see
    recorded (another team's unpublished conversation stays theirs)."""
    found: dict[int, ConversationItem] = {}
    may_see = visible(user).with_only_columns(Visit.id)
    for entry in visit.action_plan:
        earlier = db.session.scalar(
            sa.select(ConversationItem)
            .join(Visit, Visit.id == ConversationItem.visit_id)
            .where(
                ConversationItem.item_id == entry.item_id,
                Visit.id != visit.id,
                Visit.id.in_(may_see),
                sa.or_(
                    Visit.occurred_on < visit.occurred_on,
                    sa.and_(Visit.occurred_on == visit.occurred_on, Visit.id < visit.id),
                ),
            )
            .order_by(Visit.occurred_on.desc(), Visit.id.desc())
            .limit(1)
        )
        if earlier is not None:
            found[entry.item_id] = earlier
    return found


# -- Writing it up (autosave: every save is kept, complete or not) -----------------------------


@dataclass
class TopicChange:
    """One topic's write-up; None leaves a part as it is, "" clears it."""

    key: str
    rag: str | None = None
    strengths: str | None = None
    development: str | None = None
    notes: str | None = None
    #: Set when the RAG rating should be cleared (a page's radios can only add one).
    clear_rag: bool = False


@dataclass
class PlanChange:
    """One action plan item's progress at this conversation."""

    item_id: int
    status: str | None = None
    narrative: str | None = None


@dataclass
class Changes:
    """A partial update of a record's write-up; only what is given changes."""

    details: VisitSpec | None = None
    topics: list[TopicChange] | None = None
    people_by_role: dict[str, Any] | None = None
    notes: dict[str, str | None] | None = None
    action_plan: list[PlanChange] | None = None


def _refuse_unless_editable(user: User, visit: Visit) -> None:
    if not may_write(user, visit):
        raise ServiceError("Only the visit's own team or the partnership team can change it")
    if visit.status not in EDITABLE:
        raise ServiceError(
            f"This record is {visit.status.label.lower()}: it can be changed only while it is "
            "planned, a draft or sent back",
            field="status",
        )


def update(user: User, visit: Visit, changes: Changes) -> Visit:
    """Save part of the write-up (a page's section, or an API PATCH), all or nothing.

    A planned record becomes a draft at its first save; a sent-back one stays sent back, with
    its reviewer's comments, until it is submitted again.
    """
    _refuse_unless_editable(user, visit)
    problems = _Problems()
    sections: list[str] = []
    with transaction():
        if changes.details is not None:
            changes.details.kind = visit.kind.value
            # Raises at once: the details must be right before anything else is judged.
            _apply_details(user, visit, changes.details, problems, creating=False)
            sections.append("details")
        if changes.topics is not None:
            _apply_topics(visit, changes.topics, problems)
            sections.append("topics")
        if changes.people_by_role is not None:
            _apply_people(visit, changes.people_by_role, problems)
            sections.append("people_by_role")
        if changes.notes is not None:
            _apply_notes(visit, changes.notes, problems)
            sections.append("notes")
        if changes.action_plan is not None:
            _apply_plan(visit, changes.action_plan, problems)
            sections.append("action_plan")
        problems.raise_any()
        if visit.status == VisitStatus.PLANNED:
            visit.status = VisitStatus.DRAFT
        visit.updated_at = clock.now()
        sync_segments(visit)
        audit.record(
            "visit.edit",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"sections": sections, "status": visit.status.value},
        )
    return visit


def _apply_topics(visit: Visit, changes: list[TopicChange], problems: _Problems) -> None:
    if visit.kind != VisitKind.SCRUTINY_VISIT:
        problems.add("topics", f"A {visit.kind.label.lower()} has no topics")
        return
    topics = copy.deepcopy(visit.topics or [])
    by_key = {t["key"]: t for t in topics}
    for index, change in enumerate(changes):
        path = f"topics.{index}"
        topic = by_key.get(change.key)
        if topic is None:
            keys = ", ".join(by_key)
            problems.add(f"{path}.key", f"There is no topic {change.key!r}; the topics are {keys}")
            continue
        if change.clear_rag:
            topic["rag"] = None
        if change.rag is not None:
            if change.rag in {r.value for r in Rag}:
                topic["rag"] = change.rag
            else:
                problems.add(f"{path}.rag", "Choose a RAG rating: red, amber or green")
        for name, label in TOPIC_TEXTS:
            value = getattr(change, name)
            if value is not None:
                text = _text(value)
                _check_text(problems, f"{path}.{name}", text, label)
                topic[name] = text
    visit.topics = topics


def _apply_people(visit: Visit, counts: Mapping[str, Any], problems: _Problems) -> None:
    roles = {r.key: r.label for r in people_roles(visit.kind)}
    if not roles:
        problems.add(
            "people_by_role", f"A {visit.kind.label.lower()} records how many came instead"
        )
        return
    kept: dict[str, int] = {}
    for key, value in counts.items():
        path = f"people_by_role.{key}"
        if key not in roles:
            problems.add(
                path, f"Choose roles from the list ({', '.join(roles)}); names are never recorded"
            )
            continue
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, int | str):
            problems.add(path, f"{roles[key]}: enter a whole number, for example 3")
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            problems.add(path, f"{roles[key]}: enter a whole number, for example 3")
            continue
        if not 0 <= number <= COUNT_MAX:
            problems.add(path, f"{roles[key]}: enter a number from 0 to {COUNT_MAX}")
            continue
        if number:
            kept[key] = number
    visit.people_by_role = {key: kept[key] for key in roles if key in kept}


def _apply_notes(visit: Visit, notes: Mapping[str, str | None], problems: _Problems) -> None:
    labels = {s.key: s.label for s in note_sections(visit.kind)}
    current = dict(visit.notes or {})
    for key, value in notes.items():
        path = f"notes.{key}"
        if key not in labels:
            problems.add(path, f"There is no section {key!r}; the sections are {', '.join(labels)}")
            continue
        if value is None:
            continue
        text = _text(value)
        _check_text(problems, path, text, labels[key])
        if text is None:
            current.pop(key, None)
        else:
            current[key] = text
    visit.notes = {key: current[key] for key in labels if key in current}


def _apply_plan(visit: Visit, changes: list[PlanChange], problems: _Problems) -> None:
    if visit.kind != VisitKind.SAFEGUARDING_CONVERSATION:
        problems.add("action_plan", f"A {visit.kind.label.lower()} has no Section 11 action plan")
        return
    entries = {entry.item_id: entry for entry in visit.action_plan}
    for index, change in enumerate(changes):
        path = f"action_plan.{index}"
        entry = entries.get(change.item_id)
        if entry is None:
            problems.add(
                f"{path}.item_id",
                f"Item {change.item_id} is not on this conversation's action plan",
            )
            continue
        if change.status is not None:
            try:
                entry.status = Section11Status(change.status)
            except ValueError:
                problems.add(
                    f"{path}.status", "Choose a status: not started, in progress, done or blocked"
                )
        if change.narrative is not None:
            text = _text(change.narrative)
            _check_text(problems, f"{path}.narrative", text, "Progress")
            entry.narrative = text


def add_plan_item(user: User, visit: Visit, standard: str, description: str) -> ConversationItem:
    """Add an item to the agency's Section 11 action plan, and to this conversation."""
    _refuse_unless_editable(user, visit)
    if visit.kind != VisitKind.SAFEGUARDING_CONVERSATION or visit.agency_id is None:
        raise ServiceError("Only a safeguarding conversation with an agency has an action plan")
    problems = _Problems()
    if standard not in {s.key for s in section11_standards()}:
        problems.add("standard", "Choose the Section 11 standard the item answers")
    text = _text(description)
    if text is None:
        problems.add("description", "Describe what the agency will do")
    _check_text(problems, "description", text, "Description")
    problems.raise_any()
    with transaction():
        item = Section11Item(
            partnership_id=visit.partnership_id,
            agency_id=visit.agency_id,
            standard=standard,
            description=text,
            created_by_id=user.id,
        )
        entry = ConversationItem(item=item, status=Section11Status.NOT_STARTED)
        visit.action_plan.append(entry)
        if visit.status == VisitStatus.PLANNED:
            visit.status = VisitStatus.DRAFT
        db.session.flush()
        audit.record(
            "visit.plan_item_add",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"item_id": item.id, "standard": standard},
        )
    return entry


def add_action(
    user: User,
    visit: Visit,
    description: str,
    *,
    owner_agency_id: int | None,
    due_on: date | None,
) -> Action:
    """Record an action agreed on the record, as a tracked action the tracker follows."""
    _refuse_unless_editable(user, visit)
    problems = _Problems()
    text = _text(description)
    if text is None:
        problems.add("description", "Describe the action agreed")
    elif len(text) > 2000:
        problems.add("description", "The action must be 2,000 characters or fewer")
    if owner_agency_id is not None and _agency_in(visit.partnership_id, owner_agency_id) is None:
        problems.add("owner_agency_id", "Choose the agency that owns the action from the list")
    if due_on is not None and not date(2000, 1, 1) <= due_on <= clock.today() + timedelta(
        days=5 * 366
    ):
        problems.add("due_on", "Enter a due date no more than five years from now")
    problems.raise_any()
    with transaction():
        action = action_service.create(
            visit.partnership_id,
            visit.kind.source_type,
            visit.id,
            text or "",
            owner_agency_id=owner_agency_id,
            due_on=due_on,
            actor=user,
        )
        if visit.status == VisitStatus.PLANNED:
            visit.status = VisitStatus.DRAFT
        audit.record(
            "visit.action_add",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"action_id": action.id},
        )
    return action


def remove_action(user: User, visit: Visit, action_id: int) -> None:
    """Take back an action agreed on the record, while the record can still be changed."""
    _refuse_unless_editable(user, visit)
    action = next((a for a in actions_of(visit) if a.id == action_id), None)
    if action is None:
        raise NotFound(f"There is no action {action_id} on this record", field="action_id")
    with transaction():
        db.session.delete(action)
        audit.record(
            "visit.action_remove",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"action_id": action_id},
        )


def actions_of(visit: Visit) -> list[Action]:
    return action_service.for_source(visit.kind.source_type, visit.id)


def segment_texts(visit: Visit) -> list[segments.SegmentText]:
    """Every free text of the record, each labelled with where it was written."""
    texts = []
    for topic in visit.topics or []:
        for name, label in TOPIC_TEXTS:
            if topic.get(name):
                texts.append(
                    segments.SegmentText(
                        f"{topic['key']}.{name}", topic[name], f"{topic['title']}: {label}"
                    )
                )
    labels = {s.key: s.label for s in note_sections(visit.kind)}
    for key, text in (visit.notes or {}).items():
        texts.append(segments.SegmentText(f"notes.{key}", text, labels.get(key, key)))
    for entry in visit.action_plan:
        if entry.narrative:
            label = f"Section 11, {standard_label(entry.item.standard)}: {entry.item.description}"
            texts.append(
                segments.SegmentText(f"action_plan.{entry.item_id}", entry.narrative, label[:300])
            )
    return texts


def sync_segments(visit: Visit) -> None:
    """Make the record's text segments match its free text now (in the caller's transaction).

    Only a published record's words go into the learning pipeline: until then they are the
    team's work in progress, which analysts and viewers may not read and which the review may
    still change, so an unpublished record has no segments."""
    db.session.flush()
    if visit.status != VisitStatus.PUBLISHED:
        segments.delete_for_source(visit.kind.source_type, visit.id)
        return
    segments.replace_for_source(
        visit.partnership_id,
        visit.kind.source_type,
        visit.id,
        segment_texts(visit),
        occurred_on=visit.occurred_on,
        agency_id=visit.agency_id,
        respondent_key=f"visit:{visit.id}",
    )


# -- The workflow ------------------------------------------------------------------------------


def problems_before_submitting(visit: Visit) -> list[dict[str, str]]:
    """What must be written before the record can be submitted, each located by path."""
    problems = _Problems()
    if visit.occurred_on > clock.today():
        problems.add(
            "occurred_on",
            f"The {visit.kind.label.lower()} is planned for {long_date(visit.occurred_on)}: "
            "submit it once it has happened",
        )
    if visit.kind == VisitKind.SCRUTINY_VISIT:
        for index, topic in enumerate(visit.topics or []):
            if not topic.get("rag"):
                problems.add(f"topics.{index}.rag", f"Give a RAG rating for {topic['title']}")
        if not visit.people_by_role:
            problems.add("people_by_role", "Say how many staff you spoke to, by role")
    elif visit.kind == VisitKind.SAFEGUARDING_CONVERSATION:
        if not visit.people_by_role:
            problems.add("people_by_role", "Say who attended, by role")
        if not visit.action_plan:
            problems.add("action_plan", "Add the agency's Section 11 action plan items")
        for index, entry in enumerate(visit.action_plan):
            if not entry.narrative:
                problems.add(
                    f"action_plan.{index}.narrative",
                    f"Say what progress has been made on: {entry.item.description[:80]}",
                )
    else:
        if not any((visit.notes or {}).get(key) for key in NOTE_KEYS[visit.kind]):
            problems.add(
                "notes.working_well",
                "Write down what practitioners said: what is working well, the challenges or "
                "emerging issues",
            )
    return problems.details


def submit(user: User, visit: Visit) -> Visit:
    """Send the write-up to the partnership team for review, if it is complete."""
    if not may_write(user, visit):
        raise ServiceError("Only the visit's own team can submit it")
    if visit.status == VisitStatus.PLANNED:
        raise ServiceError(
            "Nothing has been written up yet: write it up before submitting it", field="status"
        )
    if visit.status not in (VisitStatus.DRAFT, VisitStatus.SENT_BACK):
        raise ServiceError(
            f"This record is already {visit.status.label.lower()}: it cannot be submitted again",
            field="status",
        )
    details = problems_before_submitting(visit)
    if details:
        raise VisitInvalid(details)
    with transaction():
        visit.status = VisitStatus.SUBMITTED
        visit.submitted_at = clock.now()
        audit.record("visit.submit", user=user, record_type="visit", record_id=visit.id)
    return visit


def review(user: User, visit: Visit, outcome: str, comments: str | None) -> VisitReview:
    """An admin's review: send it back with comments, or mark it reviewed."""
    if user.role != Role.ADMIN:
        raise ServiceError("Only the partnership team reviews visits")
    if visit.status != VisitStatus.SUBMITTED:
        raise ServiceError(
            f"Only a submitted record can be reviewed; this one is {visit.status.label.lower()}",
            field="status",
        )
    try:
        result = ReviewOutcome(outcome)
    except ValueError:
        raise ServiceError(
            "Choose whether to send it back or mark it reviewed", field="outcome"
        ) from None
    text = _text(comments)
    if result == ReviewOutcome.SENT_BACK and text is None:
        raise ServiceError("Say what needs to change before it can be reviewed", field="comments")
    if text is not None and len(text) > TEXT_MAX:
        raise ServiceError(f"Comments must be {TEXT_MAX:,} characters or fewer", field="comments")
    with transaction():
        entry = VisitReview(outcome=result, comments=text, reviewer_id=user.id)
        visit.reviews.append(entry)
        visit.status = (
            VisitStatus.SENT_BACK if result == ReviewOutcome.SENT_BACK else VisitStatus.REVIEWED
        )
        visit.reviewed_at = clock.now()
        audit.record(
            "visit.review",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"outcome": result.value},
        )
    return entry


def publish(user: User, visit: Visit) -> Visit:
    """Make a reviewed record readable by analysts, viewers and trainers."""
    if user.role != Role.ADMIN:
        raise ServiceError("Only the partnership team publishes visits")
    if visit.status != VisitStatus.REVIEWED:
        raise ServiceError(
            f"Only a reviewed record can be published; this one is {visit.status.label.lower()}",
            field="status",
        )
    with transaction():
        visit.status = VisitStatus.PUBLISHED
        visit.published_at = clock.now()
        sync_segments(visit)
        audit.record("visit.publish", user=user, record_type="visit", record_id=visit.id)
    return visit


def delete(user: User, visit: Visit) -> None:
    """Remove a record with its text segments and the actions agreed on it."""
    if user.role != Role.ADMIN:
        raise ServiceError("Only the partnership team deletes visits")
    with transaction():
        segments.delete_for_source(visit.kind.source_type, visit.id)
        for action in actions_of(visit):
            db.session.delete(action)
        audit.record(
            "visit.delete",
            user=user,
            record_type="visit",
            record_id=visit.id,
            detail={"kind": visit.kind.value, "status": visit.status.value},
        )
        db.session.delete(visit)


# -- Reading -----------------------------------------------------------------------------------


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def people_rows(
    user: User, visit: Visit
) -> tuple[list[tuple[str, int | Suppressed]], int | Suppressed | None]:
    """(role label, count) for the people spoken to, and the total, as this reader may see them.

    The team and admins see every count; other readers get counts under the partnership's
    disclosure threshold withheld as [c], as everywhere else.
    """
    labels = {r.key: r.label for r in people_roles(visit.kind)}
    counts = {key: int(n) for key, n in (visit.people_by_role or {}).items() if key in labels}
    if not counts:
        return [], None
    if shows_exact_counts(user, visit):
        return [(labels[k], n) for k, n in counts.items()], sum(counts.values())
    row = suppress_counts(counts, user.partnership.disclosure_threshold)
    return [(labels[k], row.cells[k]) for k in counts], row.total


def next_step(user: User, visit: Visit) -> str | None:
    """What the user should do next with the record, if anything."""
    if visit.status in EDITABLE and may_write(user, visit):
        return {
            VisitStatus.PLANNED: "Start the write-up",
            VisitStatus.DRAFT: "Finish the write-up and submit it",
            VisitStatus.SENT_BACK: "Make the changes asked for and submit it again",
        }[visit.status]
    if user.role == Role.ADMIN:
        if visit.status == VisitStatus.SUBMITTED:
            return "Review it"
        if visit.status == VisitStatus.REVIEWED:
            return "Publish it"
    return None


@dataclass
class AgencyHistory:
    """Every visible record with one agency, over time."""

    agency: Agency
    visits: list[Visit]
    #: rows of (topic title, [rag or None per visit], change between the last two ratings)
    rag_rows: list[tuple[str, list[str | None], str | None]]
    conversations: list[Visit]
    #: rows of (item, [ConversationItem or None per conversation])
    plan_rows: list[tuple[Section11Item, list[ConversationItem | None]]]
    others: list[Visit]


def agency_history(user: User, agency: Agency) -> AgencyHistory:
    """Scrutiny visits side by side by topic, conversations side by side by action plan item."""
    records = db.session.scalars(
        visible(user).where(Visit.agency_id == agency.id).order_by(Visit.occurred_on, Visit.id)
    ).all()
    visits = [v for v in records if v.kind == VisitKind.SCRUTINY_VISIT]
    conversations = [v for v in records if v.kind == VisitKind.SAFEGUARDING_CONVERSATION]
    others = [v for v in records if v.kind == VisitKind.PRACTITIONER_FORUM]
    titles: dict[str, str] = {}
    for visit in visits:
        for topic in visit.topics or []:
            titles.setdefault(topic["key"], topic["title"])
    rag_rows = []
    for key, title in titles.items():
        cells = []
        for visit in visits:
            topic = next((t for t in visit.topics or [] if t["key"] == key), None)
            cells.append(topic.get("rag") if topic else None)
        rag_rows.append((title, cells, rag_change(cells)))
    items: dict[int, Section11Item] = {}
    for conversation in conversations:
        for entry in conversation.action_plan:
            items.setdefault(entry.item_id, entry.item)
    plan_rows = []
    for item_id, item in sorted(items.items()):
        cells_plan = []
        for conversation in conversations:
            cells_plan.append(
                next((e for e in conversation.action_plan if e.item_id == item_id), None)
            )
        plan_rows.append((item, cells_plan))
    return AgencyHistory(agency, visits, rag_rows, conversations, plan_rows, others)


RAG_ORDER = {"red": 0, "amber": 1, "green": 2}


def rag_change(cells: list[str | None]) -> str | None:
    """ "Better", "Worse" or "No change" between the last two ratings given; None before two."""
    rated = [c for c in cells if c in RAG_ORDER]
    if len(rated) < 2:
        return None
    before, after = RAG_ORDER[rated[-2]], RAG_ORDER[rated[-1]]
    return "Better" if after > before else "Worse" if after < before else "No change"


# -- Home page ---------------------------------------------------------------------------------


@home.panel
def home_visits(user: User, summary: home.HomeSummary) -> None:
    """Scrutineers: their records to write up; admins: records waiting for review or publishing."""
    if user.role == Role.SCRUTINEER:
        mine = db.session.scalars(
            visible(user)
            .where(Visit.status.in_(list(EDITABLE)))
            .order_by(Visit.occurred_on, Visit.id)
        ).all()
        summary.figures.insert(0, ("Your visits to write up", len(mine), "visits.index"))
        summary.panels.append(
            (
                "home/_visits.html",
                {
                    "heading": "Your visits to write up",
                    "empty": "You have no visits to write up.",
                    "rows": [(v, next_step(user, v)) for v in mine],
                },
            )
        )
        summary.next_steps.append(("Start a visit you lead", "visits.new"))
    elif user.role == Role.ADMIN:
        waiting = db.session.scalars(
            visible(user)
            .where(Visit.status.in_([VisitStatus.SUBMITTED, VisitStatus.REVIEWED]))
            .order_by(Visit.submitted_at, Visit.id)
        ).all()
        summary.figures.append(
            (
                "Visits waiting for review",
                sum(1 for v in waiting if v.status == VisitStatus.SUBMITTED),
                "visits.index",
            )
        )
        if waiting:
            summary.panels.append(
                (
                    "home/_visits.html",
                    {
                        "heading": "Visits waiting for you",
                        "empty": "",
                        "rows": [(v, next_step(user, v)) for v in waiting],
                    },
                )
            )
        summary.next_steps.append(("Plan a scrutiny visit, conversation or forum", "visits.new"))
