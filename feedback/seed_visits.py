"""Demo visits: scrutiny visits, safeguarding conversations and forums over the last year.

One school is visited twice (so the agency page shows what changed), records sit in every
workflow state, scrutineer@ leads or is on several, one agency has two safeguarding
conversations (the second carrying the first's action plan), and two forums are written up.
Dates are counted back from today. Idempotent: demo records are matched by kind, agency and
setting (or title), so a second run adds nothing whatever day it runs.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from feedback import clock
from feedback.extensions import db
from feedback.models import ActionStatus, Agency, Partnership, Role, User
from feedback.models.visits import (
    ConversationItem,
    ReviewOutcome,
    Section11Item,
    Section11Status,
    Visit,
    VisitKind,
    VisitReview,
    VisitStatus,
)
from feedback.services import actions as action_service
from feedback.services import visits as visit_service

SCHOOLS = "Northshire Education Partnership (schools)"
HOSPITAL = "Riverside Hospitals NHS Foundation Trust"
POLICE = "Northshire Police"
EARLY_YEARS = "Little Acorns Early Years Network"
HOUSING = "Northshire Homes"
YOUTH = "Youth Matters Northshire"
PROBATION = "Probation Service, Northshire"
COMMUNITY_HEALTH = "Northshire Community Health NHS Trust"
CHILDRENS = "Northshire County Council Children's Services"

#: (local part, name) of the second demo scrutineer, so visits have teams.
SECOND_SCRUTINEER = ("scrutineer2", "Priya Shah")


@dataclass
class DemoVisit:
    kind: VisitKind
    agency: str | None
    days_ago: int
    status: VisitStatus
    lead: str
    team: list[str] = field(default_factory=list)
    setting: str | None = None
    title: str | None = None
    audience: str | None = None
    attendees: int | None = None
    #: topic key -> (rag, strengths, areas for development, notes)
    topics: dict[str, tuple[str | None, str, str, str]] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    #: (description, owner agency, due days after the visit, status)
    actions: list[tuple[str, str, int, ActionStatus]] = field(default_factory=list)
    #: (standard, description, status, narrative); the item is found or added to the plan
    plan: list[tuple[str, str, Section11Status, str]] = field(default_factory=list)
    sent_back: str | None = None


DONE, OPEN, STARTED = ActionStatus.COMPLETE, ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS

VISITS: list[DemoVisit] = [
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        SCHOOLS,
        330,
        VisitStatus.PUBLISHED,
        "scrutineer",
        ["scrutineer2"],
        setting="Riverside Primary School",
        topics={
            "leadership": (
                "amber",
                "The head teacher and DSL know their families well and safeguarding is a "
                "standing item at every senior leadership meeting.",
                "The deputy DSL has not had safeguarding supervision since September; when the "
                "DSL is off site staff were unsure who to go to.",
                "Governors receive a termly safeguarding report but the link governor had not "
                "visited this year.",
            ),
            "policies": (
                "green",
                "The child protection policy is up to date with Keeping Children Safe in "
                "Education and staff could say where to find it.",
                "The policy still links to the old LSCB procedures website.",
                "",
            ),
            "training": (
                "amber",
                "All staff completed annual safeguarding training in September.",
                "Lunchtime supervisors and the breakfast club staff have not had training on "
                "recognising neglect, and two newly qualified teachers had not heard of the "
                "Graded Care Profile.",
                "Staff asked for a short refresher on writing chronologies.",
            ),
            "forums": (
                "red",
                "The DSL attends ICPCs when invited.",
                "The school has not sent a report to two recent core group meetings, and "
                "teachers said they are rarely told the outcome of a strategy meeting.",
                "The DSL said invitations to core groups often arrive with less than a day's "
                "notice, which we have raised with children's social care.",
            ),
            "thresholds": (
                "amber",
                "Staff know to speak to the DSL the same day and record concerns on the "
                "electronic system.",
                "Front-line staff were not confident about when early help is the right "
                "response rather than a MASH referral, and nobody had used the escalation "
                "procedure when they disagreed with a MASH decision.",
                "",
            ),
            "commissioned": (
                "green",
                "The after-school club provider's safeguarding policy and DBS checks are "
                "checked every year.",
                "",
                "",
            ),
        },
        people={"safeguarding_lead": 2, "front_line_staff": 7, "senior_leaders": 1},
        notes={
            "overall_summary": "A caring school where staff know children well. The main "
            "risks are the gaps in supervision for the deputy DSL and the school's "
            "contribution to core groups; both were accepted by the head teacher."
        },
        actions=[
            (
                "Put monthly safeguarding supervision in place for the deputy DSL",
                SCHOOLS,
                60,
                DONE,
            ),
            (
                "Neglect and Graded Care Profile briefing for lunchtime and breakfast club staff",
                SCHOOLS,
                90,
                DONE,
            ),
            (
                "Agree with children's social care how schools get core group invitations "
                "and strategy meeting outcomes in time",
                CHILDRENS,
                120,
                STARTED,
            ),
        ],
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        SCHOOLS,
        40,
        VisitStatus.SUBMITTED,
        "scrutineer",
        ["scrutineer2"],
        setting="Riverside Primary School",
        topics={
            "leadership": (
                "green",
                "The deputy DSL now has monthly supervision with the DSL and the link governor "
                "has visited twice.",
                "",
                "Clear line of sight from the head teacher to what happens in classrooms.",
            ),
            "policies": ("green", "Policy updated with the partnership's new procedures.", "", ""),
            "training": (
                "green",
                "Lunchtime and breakfast club staff have had the neglect briefing; staff "
                "described using the Graded Care Profile with a family.",
                "",
                "",
            ),
            "forums": (
                "amber",
                "Reports now go to every core group and the DSL chases strategy meeting outcomes.",
                "Invitations from children's social care still arrive late, so the school "
                "cannot always attend in person.",
                "",
            ),
            "thresholds": (
                "green",
                "Staff talked confidently about early help and had used the escalation "
                "procedure once, successfully.",
                "",
                "",
            ),
            "commissioned": ("green", "No change: checks are in place.", "", ""),
        },
        people={"safeguarding_lead": 2, "front_line_staff": 6, "managers": 1},
        notes={
            "overall_summary": "Clear improvement since last year's visit. The remaining issue "
            "is the notice schools get of core group meetings, which is for the partnership."
        },
        actions=[
            (
                "Raise late core group invitations with the head of service for child protection",
                CHILDRENS,
                30,
                OPEN,
            ),
        ],
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        HOSPITAL,
        240,
        VisitStatus.PUBLISHED,
        "scrutineer2",
        ["scrutineer"],
        setting="Emergency Department",
        topics={
            "leadership": (
                "green",
                "The named nurse visits the department weekly and knows the nurses by name.",
                "",
                "",
            ),
            "policies": (
                "amber",
                "Staff knew the safeguarding children policy and the bruising in "
                "non-mobile babies protocol.",
                "Locum doctors did not know how to find the protocol out of hours.",
                "",
            ),
            "training": (
                "amber",
                "Level 3 training compliance is 91 percent for nurses.",
                "Compliance for medical staff is 68 percent.",
                "",
            ),
            "forums": ("green", "Good links with the MASH health practitioner.", "", ""),
            "thresholds": (
                "red",
                "Staff make referrals when a child is injured.",
                "Staff do not routinely ask about children when an adult attends after "
                "domestic abuse, self-harm or intoxication (think family). Two referrals we "
                "looked at did not say what the child's lived experience was.",
                "The Think Family prompt in the electronic record is often skipped.",
            ),
            "commissioned": ("green", "The 111 provider's arrangements are checked.", "", ""),
        },
        people={"safeguarding_lead": 1, "front_line_staff": 9, "managers": 2},
        notes={
            "overall_summary": "Committed staff under heavy pressure. Think Family practice "
            "for adults who attend is the priority."
        },
        actions=[
            (
                "Make the Think Family question mandatory in the ED record for adult attendances",
                HOSPITAL,
                90,
                STARTED,
            ),
            (
                "Level 3 safeguarding training for medical staff to reach 85 percent",
                HOSPITAL,
                150,
                OPEN,
            ),
        ],
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        POLICE,
        150,
        VisitStatus.REVIEWED,
        "scrutineer2",
        [],
        setting="MASH (Multi-Agency Safeguarding Hub)",
        topics={
            "leadership": (
                "green",
                "Daily management oversight of every police contact in the MASH.",
                "",
                "",
            ),
            "policies": (
                "green",
                "Staff use the partnership's information sharing guidance.",
                "",
                "",
            ),
            "training": (
                "amber",
                "New starters shadow for four weeks.",
                "No training yet on contextual safeguarding and child criminal exploitation "
                "for the MASH researchers.",
                "",
            ),
            "forums": (
                "green",
                "Police attend every strategy meeting; we saw a well-minuted strat with clear "
                "actions.",
                "",
                "",
            ),
            "thresholds": (
                "amber",
                "Decisions are recorded against the thresholds document.",
                "Some domestic abuse notifications wait more than 24 hours for a decision at "
                "weekends.",
                "",
            ),
            "commissioned": (
                "green",
                "Not applicable beyond the custody healthcare contract.",
                "",
                "",
            ),
        },
        people={"safeguarding_lead": 1, "front_line_staff": 5, "managers": 1},
        notes={"overall_summary": "A well-run front door with a weekend backlog to address."},
        actions=[
            (
                "Review weekend staffing for domestic abuse notifications",
                POLICE,
                60,
                OPEN,
            ),
        ],
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        HOUSING,
        45,
        VisitStatus.SENT_BACK,
        "scrutineer",
        [],
        setting="Tenancy Services",
        topics={
            "leadership": (
                "amber",
                "A named safeguarding lead for the housing service.",
                "Housing officers do not have safeguarding supervision.",
                "",
            ),
            "policies": ("green", "Staff knew how to raise a concern.", "", ""),
            "training": (
                "amber",
                "All officers had level 1 e-learning.",
                "No face-to-face training on recognising neglect in the home.",
                "",
            ),
            "forums": ("amber", "", "Housing is rarely invited to core groups.", ""),
            "thresholds": ("amber", "", "Officers were unsure what early help is.", ""),
            "commissioned": (None, "", "", "Still to ask about the repairs contractor."),
        },
        people={"front_line_staff": 4, "managers": 1},
        sent_back="Please give a RAG rating for commissioned services (ask about the repairs "
        "contractor's DBS checks) and add what the officers told you about hoarding and home "
        "conditions to the thresholds notes.",
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        EARLY_YEARS,
        20,
        VisitStatus.DRAFT,
        "scrutineer",
        ["scrutineer2"],
        setting="Little Acorns Day Nursery, Eastgate",
        topics={
            "leadership": (
                "green",
                "The manager is the DSL and has a deputy who covers every shift.",
                "",
                "",
            ),
            "policies": (
                None,
                "Mobile phone and intimate care policies are clear.",
                "",
                "Half-written: to finish after speaking to the room leaders.",
            ),
        },
        people={"safeguarding_lead": 1, "front_line_staff": 3},
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        YOUTH,
        3,
        VisitStatus.PLANNED,
        "scrutineer",
        [],
        setting="Detached youth work team",
    ),
    DemoVisit(
        VisitKind.SCRUTINY_VISIT,
        PROBATION,
        -21,
        VisitStatus.PLANNED,
        "scrutineer2",
        ["scrutineer"],
        setting="Public Protection Unit",
    ),
    # Two safeguarding conversations with one agency: the second carries the first's plan.
    DemoVisit(
        VisitKind.SAFEGUARDING_CONVERSATION,
        COMMUNITY_HEALTH,
        300,
        VisitStatus.PUBLISHED,
        "admin",
        ["scrutineer"],
        people={
            "agency_senior_leader": 1,
            "agency_safeguarding_lead": 2,
            "local_authority": 1,
            "police": 1,
            "partnership_team": 1,
        },
        plan=[
            (
                "leadership",
                "Add safeguarding to the board's quarterly quality report",
                Section11Status.IN_PROGRESS,
                "The first report went to the board in March; it does not yet include "
                "supervision figures.",
            ),
            (
                "childs_views",
                "Record the voice of the child in every health visiting contact",
                Section11Status.NOT_STARTED,
                "Waiting for the new record template.",
            ),
            (
                "training",
                "Safeguarding supervision every three months for all 0-19 practitioners",
                Section11Status.IN_PROGRESS,
                "Supervision is in place for health visitors; school nurses are still on six "
                "monthly.",
            ),
            (
                "information_sharing",
                "Share GP information for strategy meetings within 24 hours",
                Section11Status.BLOCKED,
                "Blocked: practices say they cannot release records without consent. Needs "
                "the partnership's information sharing agreement.",
            ),
        ],
        notes={
            "barriers": "Vacancies in the school nursing team and the lack of a shared "
            "information sharing agreement with GP practices.",
            "good_practice": "The health visiting team's use of the Graded Care Profile in "
            "every neglect case, with the results shared at core groups.",
            "support_needed": "Help from the partnership to agree GP information sharing for "
            "strategy meetings.",
        },
        actions=[
            (
                "Draft a GP information sharing protocol for strategy meetings",
                CHILDRENS,
                90,
                STARTED,
            ),
        ],
    ),
    DemoVisit(
        VisitKind.SAFEGUARDING_CONVERSATION,
        COMMUNITY_HEALTH,
        30,
        VisitStatus.SUBMITTED,
        "admin",
        ["scrutineer"],
        people={
            "agency_senior_leader": 1,
            "agency_safeguarding_lead": 1,
            "health": 1,
            "police": 1,
            "independent_scrutineer": 1,
        },
        plan=[
            (
                "leadership",
                "Add safeguarding to the board's quarterly quality report",
                Section11Status.DONE,
                "Done: supervision and training figures now go to the board every quarter.",
            ),
            (
                "childs_views",
                "Record the voice of the child in every health visiting contact",
                Section11Status.IN_PROGRESS,
                "The new template has a 'what the child said or showed us' box; audit in "
                "the spring.",
            ),
            (
                "training",
                "Safeguarding supervision every three months for all 0-19 practitioners",
                Section11Status.DONE,
                "All school nurses now have three-monthly supervision.",
            ),
            (
                "information_sharing",
                "Share GP information for strategy meetings within 24 hours",
                Section11Status.IN_PROGRESS,
                "The protocol is agreed in principle and is being piloted with four practices.",
            ),
            (
                "safer_recruitment",
                "Check that bank staff have an enhanced DBS with the children's barred list",
                Section11Status.NOT_STARTED,
                "New item agreed at this conversation.",
            ),
        ],
        notes={
            "barriers": "School nurse vacancies remain; MASH health capacity at weekends.",
            "good_practice": "The board report is a model other agencies could use.",
        },
    ),
    DemoVisit(
        VisitKind.PRACTITIONER_FORUM,
        None,
        120,
        VisitStatus.PUBLISHED,
        "admin",
        [],
        title="Neglect and the Graded Care Profile",
        audience="Head teachers' forum",
        attendees=34,
        notes={
            "working_well": "Heads value the Graded Care Profile training and say the "
            "neglect strategy is clear. DSL network meetings are well attended.",
            "challenges": "Waiting times for early help assessments; thresholds feel "
            "inconsistent between MASH shifts; DSL capacity in small primary schools.",
            "emerging_issues": "More children arriving hungry and more families in temporary "
            "accommodation; concern about children missing education after elective home "
            "education requests.",
        },
        actions=[
            (
                "Bring MASH decision consistency to the next performance and quality "
                "assurance subgroup",
                CHILDRENS,
                45,
                OPEN,
            ),
        ],
    ),
    DemoVisit(
        VisitKind.PRACTITIONER_FORUM,
        EARLY_YEARS,
        40,
        VisitStatus.REVIEWED,
        "scrutineer2",
        ["scrutineer"],
        title="Safer sleep and ICON: coping with crying",
        audience="Early years managers' briefing",
        attendees=18,
        notes={
            "working_well": "Managers know the ICON messages and share them with parents at "
            "settling-in visits.",
            "challenges": "Agency staff cover makes it hard to keep everyone trained; parents "
            "with little English miss the messages.",
            "emerging_issues": "More babies sleeping in car seats or on sofas reported by "
            "childminders.",
        },
    ),
]


def _user(partnership: Partnership, local: str) -> tuple[User | None, int]:
    from feedback.seed import DEMO_DOMAIN, DEMO_PASSWORD

    email = f"{local}@{DEMO_DOMAIN}"
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None or local != SECOND_SCRUTINEER[0]:
        return user, 0
    user = User(
        partnership_id=partnership.id,
        email=email,
        role=Role.SCRUTINEER,
        name=SECOND_SCRUTINEER[1],
        password_hash=generate_password_hash(DEMO_PASSWORD),
    )
    db.session.add(user)
    db.session.flush()
    return user, 1


def _group(spec: DemoVisit) -> tuple[Any, ...]:
    return (spec.kind, spec.agency, spec.setting, spec.title)


def _existing(partnership: Partnership, agency: Agency | None, spec: DemoVisit) -> int:
    query = sa.select(sa.func.count(Visit.id)).where(
        Visit.partnership_id == partnership.id,
        Visit.kind == spec.kind,
        Visit.agency_id == agency.id if agency else Visit.agency_id.is_(None),
    )
    if spec.setting:
        query = query.where(Visit.setting == spec.setting)
    if spec.title:
        query = query.where(Visit.title == spec.title)
    return db.session.scalar(query) or 0


def seed(partnership: Partnership, rng: random.Random) -> int:
    """Add what is missing; return how many records were added (0 when run again)."""
    added = 0
    users: dict[str, User] = {}
    for local in ("admin", "scrutineer", SECOND_SCRUTINEER[0]):
        user, made = _user(partnership, local)
        added += made
        if user is not None:
            users[local] = user
    if "admin" not in users or "scrutineer" not in users:
        return added
    agencies = {
        a.name: a
        for a in db.session.scalars(
            sa.select(Agency).where(Agency.partnership_id == partnership.id)
        )
    }
    today = clock.today()
    seen: dict[tuple[Any, ...], int] = {}
    for spec in VISITS:
        agency = agencies.get(spec.agency) if spec.agency else None
        if spec.agency and agency is None:
            continue
        key = _group(spec)
        seen[key] = seen.get(key, 0) + 1
        if _existing(partnership, agency, spec) >= seen[key]:
            continue
        added += _make(partnership, spec, agency, agencies, users, today)
    return added


def _make(
    partnership: Partnership,
    spec: DemoVisit,
    agency: Agency | None,
    agencies: dict[str, Agency],
    users: dict[str, User],
    today: date,
) -> int:
    on = today - timedelta(days=spec.days_ago)
    lead = users.get(spec.lead) or users["admin"]
    visit = Visit(
        partnership_id=partnership.id,
        kind=spec.kind,
        status=spec.status,
        agency_id=agency.id if agency else None,
        setting=spec.setting,
        title=spec.title,
        audience=spec.audience,
        attendee_count=spec.attendees,
        occurred_on=on,
        lead_id=lead.id,
        people_by_role=dict(spec.people),
        notes=dict(spec.notes),
        created_by_id=users["admin"].id,
        team=[users[m] for m in spec.team if m in users and users[m].id != lead.id],
    )
    if spec.kind == VisitKind.SCRUTINY_VISIT:
        topics = []
        for topic in visit_service.topics_for(partnership.id):
            entry = visit_service.empty_topic(topic)
            rag, strengths, development, notes = spec.topics.get(topic["key"], (None, "", "", ""))
            entry.update(
                rag=rag,
                strengths=strengths or None,
                development=development or None,
                notes=notes or None,
            )
            topics.append(entry)
        visit.topics = topics
    else:
        visit.topics = []
    db.session.add(visit)
    db.session.flush()
    added = 1
    for standard, description, status, narrative in spec.plan:
        item = db.session.scalar(
            sa.select(Section11Item).where(
                Section11Item.agency_id == visit.agency_id,
                Section11Item.description == description,
            )
        )
        if item is None:
            item = Section11Item(
                partnership_id=partnership.id,
                agency_id=visit.agency_id,
                standard=standard,
                description=description,
                created_by_id=users["admin"].id,
            )
            db.session.add(item)
            added += 1
        visit.action_plan.append(ConversationItem(item=item, status=status, narrative=narrative))
    moment = clock.now() - timedelta(days=max(spec.days_ago - 2, 0))
    if spec.status not in (VisitStatus.PLANNED, VisitStatus.DRAFT):
        visit.submitted_at = moment
    if spec.sent_back:
        visit.reviews.append(
            VisitReview(
                outcome=ReviewOutcome.SENT_BACK,
                comments=spec.sent_back,
                reviewer_id=users["admin"].id,
                created_at=moment,
            )
        )
        visit.reviewed_at = moment
    if spec.status in (VisitStatus.REVIEWED, VisitStatus.PUBLISHED):
        visit.reviews.append(
            VisitReview(
                outcome=ReviewOutcome.REVIEWED,
                comments="Thank you: a clear write-up.",
                reviewer_id=users["admin"].id,
                created_at=moment,
            )
        )
        visit.reviewed_at = moment
    if spec.status == VisitStatus.PUBLISHED:
        visit.published_at = moment
    db.session.flush()
    for description, owner, due_after, status in spec.actions:
        owner_agency = agencies.get(owner)
        action = action_service.create(
            partnership.id,
            spec.kind.source_type,
            visit.id,
            description,
            owner_agency_id=owner_agency.id if owner_agency else None,
            due_on=on + timedelta(days=due_after),
            actor=lead,
        )
        action.status = status
        added += 1
    visit_service.sync_segments(visit)
    return added
