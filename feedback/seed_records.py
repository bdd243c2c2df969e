"""Demo audits, reviews, their actions and theme links, and next year's learning priorities.

Runs inside the demo seed's transaction, after visits and voice and before the learning seed
analyses the text (so audit findings and review learning points are analysed with the rest).
Idempotent: audits and reviews are found by title, actions by their record and description,
links by theme and record, priorities by year and text.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from analysis.text.codebook import SEED_CODEBOOK
from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    Agency,
    Partnership,
    Role,
    SourceType,
    User,
)
from feedback.models.records import (
    Audit,
    AuditType,
    LinkedRecord,
    LnaPriority,
    Recommendation,
    RecordStatus,
    Review,
    ReviewType,
    ThemeLink,
)
from feedback.services import lna
from feedback.services.records import sync_segments

POLICE = "Northshire Police"
COUNCIL = "Northshire County Council Children's Services"
ICB = "Northshire Integrated Care Board"
COMMUNITY = "Northshire Community Health NHS Trust"
HOSPITALS = "Riverside Hospitals NHS Foundation Trust"
SCHOOLS = "Northshire Education Partnership (schools)"
EARLY_YEARS = "Little Acorns Early Years Network"
PROBATION = "Probation Service, Northshire"
HOUSING = "Northshire Homes"
DOMESTIC_ABUSE = "Safe Haven Domestic Abuse Service"
YOUTH = "Youth Matters Northshire"


@dataclass
class DemoAction:
    description: str
    owner: str
    due_on: date
    #: (date written, status moved to, note); the last status is the action's.
    updates: list[tuple[date, ActionStatus, str]] = field(default_factory=list)
    impact: str | None = None
    themes: tuple[str, ...] = ()


@dataclass
class DemoRecord:
    kind: str  # "audit" or "review"
    type: str
    title: str
    start_on: date
    end_on: date | None
    status: RecordStatus
    text: str  # findings or learning points, one a line
    about: str  # scope or summary
    recommendations: list[tuple[str, bool, str | None]]
    themes: list[tuple[str, date]]
    actions: list[DemoAction]
    agencies: tuple[str, ...] = ()


RECORDS: list[DemoRecord] = [
    DemoRecord(
        kind="audit",
        type=AuditType.MULTI_AGENCY_THEMATIC,
        title="Multi-agency thematic audit: neglect",
        start_on=date(2026, 2, 2),
        end_on=date(2026, 5, 29),
        status=RecordStatus.COMPLETE,
        about="Twelve children on child protection plans under the category of neglect between "
        "January and June 2026: how early neglect was recognised, whether the Graded Care "
        "Profile 2 was used, and whether plans changed children's daily lives.",
        text="\n".join(
            [
                "In 8 of the 12 cases neglect had been known to universal services for more than "
                "a year before a referral was made; cumulative harm was not recognised early.",
                "The Graded Care Profile 2 was completed in only 3 cases, and by social care "
                "alone; health visitors and schools said they had not been trained to use it.",
                "Plans were often lists of services rather than changes the child would notice; "
                "the child's own voice was recorded in fewer than half of the plans.",
                "Where schools and health visitors shared attendance and missed health "
                "appointments early, drift was avoided.",
                "Core groups did not always challenge when the same concerns recurred at review; "
                "escalation was rarely used.",
                "Practitioners described high caseloads and little time for direct work with "
                "children.",
            ]
        ),
        recommendations=[
            (
                "Deliver Graded Care Profile 2 training to health visitors, school nurses and "
                "designated safeguarding leads, with refresher sessions each year.",
                True,
                "neglect",
            ),
            (
                "Provide multi-agency training on recognising cumulative harm and drift in "
                "neglect cases.",
                True,
                "neglect",
            ),
            (
                "Children's Services to include Graded Care Profile 2 scores and the child's own "
                "words in every child protection conference report.",
                False,
                "voice_of_child",
            ),
        ],
        themes=[("neglect", date(2026, 6, 10)), ("voice_of_child", date(2026, 6, 10))],
        agencies=(POLICE, COUNCIL, COMMUNITY, SCHOOLS, EARLY_YEARS),
        actions=[
            DemoAction(
                "Commission and run four Graded Care Profile 2 training days for health and "
                "education staff.",
                COMMUNITY,
                date(2026, 9, 30),
                [
                    (
                        date(2026, 7, 1),
                        ActionStatus.IN_PROGRESS,
                        "Trainer booked; two dates set for September.",
                    ),
                    (
                        date(2026, 9, 20),
                        ActionStatus.COMPLETE,
                        "Four sessions delivered to 58 practitioners.",
                    ),
                ],
                impact="Graded Care Profile 2 assessments by health visitors rose from 2 in the "
                "spring quarter to 14 in the autumn; practitioners at the October forum said they "
                "felt more confident to name neglect at an earlier stage.",
                themes=("neglect",),
            ),
            DemoAction(
                "Add the child's own words and a 'what will be different for me' section to the "
                "child protection plan template.",
                COUNCIL,
                date(2026, 8, 31),
                [
                    (
                        date(2026, 8, 3),
                        ActionStatus.IN_PROGRESS,
                        "Draft template shared with the Quality Assurance subgroup.",
                    ),
                ],
                themes=("voice_of_child",),
            ),
            DemoAction(
                "Re-audit six neglect cases to test whether plans now change children's daily "
                "lives.",
                COUNCIL,
                date(2027, 3, 31),
            ),
        ],
    ),
    DemoRecord(
        kind="audit",
        type=AuditType.SECTION_11,
        title="Section 11 self-assessment 2026",
        start_on=date(2026, 4, 1),
        end_on=date(2026, 7, 31),
        status=RecordStatus.COMPLETE,
        about="Every statutory partner's self-assessment against the Section 11 standards, with "
        "a challenge panel in July 2026.",
        text="\n".join(
            [
                "Most agencies rated themselves good on safer recruitment and allegations "
                "management.",
                "Five of eleven agencies could not show that front-line staff understand when "
                "they can share information without consent.",
                "Safeguarding supervision is not available to all staff who need it in health "
                "and housing; frequency is not monitored.",
                "Staff in two agencies did not know how to use the escalation policy.",
            ]
        ),
        recommendations=[
            (
                "Deliver a short multi-agency briefing on sharing information without consent, "
                "and include it in Level 2 training.",
                True,
                "information_sharing",
            ),
            (
                "Every agency to have a safeguarding supervision policy and report supervision "
                "take-up to the partnership twice a year.",
                False,
                "supervision_support",
            ),
        ],
        themes=[
            ("information_sharing", date(2026, 8, 12)),
            ("supervision_support", date(2026, 8, 12)),
        ],
        agencies=(
            POLICE,
            COUNCIL,
            ICB,
            COMMUNITY,
            HOSPITALS,
            SCHOOLS,
            PROBATION,
            HOUSING,
            DOMESTIC_ABUSE,
            YOUTH,
        ),
        actions=[
            DemoAction(
                "Housing and acute health to introduce safeguarding supervision for front-line "
                "staff and report take-up.",
                HOUSING,
                date(2026, 10, 31),
                [
                    (
                        date(2026, 9, 15),
                        ActionStatus.IN_PROGRESS,
                        "Policy drafted; supervisors not yet trained.",
                    ),
                ],
                themes=("supervision_support",),
            ),
            DemoAction(
                "Publish a one-page guide to information sharing without consent and brief "
                "every agency's safeguarding leads.",
                ICB,
                date(2027, 1, 31),
            ),
        ],
    ),
    DemoRecord(
        kind="audit",
        type=AuditType.SECTION_175,
        title="Section 175/157 education safeguarding audit 2026 to 2027",
        start_on=date(2026, 10, 1),
        end_on=None,
        status=RecordStatus.IN_PROGRESS,
        about="Annual safeguarding audit of schools and colleges; returns due by December 2026.",
        text="",
        recommendations=[],
        themes=[("online_safety", date(2026, 10, 5))],
        agencies=(SCHOOLS,),
        actions=[],
    ),
    DemoRecord(
        kind="review",
        type=ReviewType.LCSPR,
        title="Child J: local child safeguarding practice review",
        start_on=date(2025, 9, 15),
        end_on=date(2026, 6, 10),
        status=RecordStatus.COMPLETE,
        about="A teenager who was criminally exploited and seriously harmed. The review looked "
        "at how agencies shared what they knew and whether practitioners were curious about "
        "the adults around him.",
        text="\n".join(
            [
                "Information held by the Emergency Department, the school and the police was "
                "not brought together until after the serious incident.",
                "Practitioners accepted explanations for missing episodes without professional "
                "curiosity about who he was with.",
                "Disagreements between agencies about thresholds were not escalated.",
                "His own account of feeling unsafe was recorded but did not change the plan.",
            ]
        ),
        recommendations=[
            (
                "Multi-agency training on professional curiosity and respectful uncertainty, "
                "using the learning from this review.",
                True,
                "professional_curiosity",
            ),
            (
                "Health and education to agree a protocol for sharing information when a "
                "school-age child attends the Emergency Department.",
                False,
                "information_sharing",
            ),
            (
                "Refresh the escalation policy and brief every agency, with a short e-learning "
                "module.",
                True,
                "escalation_challenge",
            ),
            (
                "Include child criminal exploitation and contextual safeguarding in the Level 3 "
                "programme.",
                True,
                "child_exploitation",
            ),
        ],
        themes=[
            ("information_sharing", date(2026, 6, 24)),
            ("professional_curiosity", date(2026, 6, 24)),
            ("escalation_challenge", date(2026, 6, 24)),
        ],
        actions=[
            DemoAction(
                "Agree and launch the Emergency Department to school information-sharing protocol.",
                HOSPITALS,
                date(2026, 8, 31),
                [
                    (
                        date(2026, 7, 20),
                        ActionStatus.IN_PROGRESS,
                        "First draft agreed by health; education comments awaited.",
                    ),
                ],
                themes=("information_sharing",),
            ),
            DemoAction(
                "Relaunch the escalation policy with a briefing for every agency.",
                COUNCIL,
                date(2026, 9, 30),
                [
                    (
                        date(2026, 8, 10),
                        ActionStatus.IN_PROGRESS,
                        "Policy updated and approved by the executive.",
                    ),
                    (
                        date(2026, 9, 25),
                        ActionStatus.COMPLETE,
                        "Briefings delivered in 9 of 11 agencies; e-learning live.",
                    ),
                ],
                impact="Escalations logged rose from 3 in the first quarter to 11 in the second; "
                "in the autumn staff survey more staff said they know how to use the "
                "escalation procedure.",
                themes=("escalation_challenge",),
            ),
            DemoAction(
                "Add professional curiosity scenarios to the multi-agency Level 3 course.",
                COUNCIL,
                date(2027, 2, 28),
                [
                    (
                        date(2026, 10, 12),
                        ActionStatus.IN_PROGRESS,
                        "Scenarios drafted with the training pool.",
                    ),
                ],
            ),
        ],
    ),
    DemoRecord(
        kind="review",
        type=ReviewType.RAPID_REVIEW,
        title="Rapid review: Baby M, injury to a non-mobile baby",
        start_on=date(2026, 9, 8),
        end_on=date(2026, 9, 22),
        status=RecordStatus.COMPLETE,
        about="A serious injury to a non-mobile baby. The rapid review decided a local review "
        "was not needed; its learning is being acted on directly.",
        text="\n".join(
            [
                "The mother's partner was not included in the pre-birth assessment; his history "
                "was not known to the midwife or health visitor.",
                "Bruising seen at a GP appointment was not referred under the bruising in "
                "non-mobile babies protocol.",
                "Practitioners felt unsure whether the protocol applied to a single small bruise.",
            ]
        ),
        recommendations=[
            (
                "Refresh training on the bruising in non-mobile babies protocol for primary care, "
                "midwifery and Emergency Department staff.",
                True,
                "policies_procedures",
            ),
            (
                "Pre-birth assessments to include every adult in the household, with training "
                "for midwives and health visitors on engaging fathers and male carers.",
                True,
                "assessment_planning",
            ),
        ],
        themes=[("assessment_planning", date(2026, 9, 29))],
        actions=[
            DemoAction(
                "Re-issue the bruising protocol with a seven-minute briefing for GP practices.",
                ICB,
                date(2026, 11, 15),
                [
                    (
                        date(2026, 10, 20),
                        ActionStatus.IN_PROGRESS,
                        "Briefing written; circulation planned via the GP safeguarding leads.",
                    ),
                ],
            ),
        ],
    ),
]

#: The Workforce Development Group's priorities for next year: (text, theme).
PRIORITIES: list[tuple[str, str]] = [
    (
        "Neglect: Graded Care Profile 2 training for every health visitor, school nurse and "
        "designated safeguarding lead, and a refresher on cumulative harm.",
        "neglect",
    ),
    (
        "Information sharing: a multi-agency briefing on sharing without consent, built into "
        "Level 2 and Level 3 training.",
        "information_sharing",
    ),
    (
        "Professional curiosity: scenario-based learning from the Child J review for all "
        "front-line staff.",
        "professional_curiosity",
    ),
    (
        "Supervision: train supervisors in housing and acute health to offer reflective "
        "safeguarding supervision.",
        "supervision_support",
    ),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def seed(partnership: Partnership, rng: random.Random) -> int:
    """Add what is missing; return how many records were added (0 when run again)."""
    known_themes = {theme.key for theme in SEED_CODEBOOK}
    agencies = {
        a.name: a
        for a in db.session.scalars(
            sa.select(Agency).where(Agency.partnership_id == partnership.id)
        )
    }
    admin = db.session.scalar(
        sa.select(User)
        .where(User.partnership_id == partnership.id, User.role == Role.ADMIN)
        .order_by(User.id)
        .limit(1)
    )
    admin_id = admin.id if admin else None
    added = 0
    for demo in RECORDS:
        model = Audit if demo.kind == "audit" else Review
        record = db.session.scalar(
            sa.select(model).where(
                model.partnership_id == partnership.id, model.title == demo.title
            )
        )
        if record is None:
            record = _record(partnership, demo, agencies, admin_id, known_themes)
            added += 1 + len(demo.recommendations)
        added += _actions(partnership, demo, record, agencies, admin_id, known_themes)
        for key, linked_on in demo.themes:
            added += _link(partnership.id, key, record.record_type, record.id, linked_on, admin_id)
    added += _priorities(partnership.id, admin_id)
    return added


def _record(
    partnership: Partnership,
    demo: DemoRecord,
    agencies: dict[str, Agency],
    admin_id: int | None,
    known_themes: set[str],
) -> Audit | Review:
    created_at = _at(demo.start_on, 9)
    if demo.kind == "audit":
        record: Audit | Review = Audit(
            partnership_id=partnership.id,
            audit_type=AuditType(demo.type),
            title=demo.title,
            scope=demo.about,
            findings=demo.text,
            agencies=[agencies[name] for name in demo.agencies if name in agencies],
        )
    else:
        record = Review(
            partnership_id=partnership.id,
            review_type=ReviewType(demo.type),
            title=demo.title,
            summary=demo.about,
            learning_points=demo.text,
        )
    record.start_on, record.end_on, record.status = demo.start_on, demo.end_on, demo.status
    record.created_by_id = admin_id
    record.created_at = record.updated_at = min(created_at, clock.now())
    for position, (text, training, key) in enumerate(demo.recommendations):
        record.recommendations.append(
            Recommendation(
                partnership_id=partnership.id,
                position=position,
                text=text,
                training=training,
                theme_key=key if key in known_themes else None,
            )
        )
    db.session.add(record)
    db.session.flush()
    sync_segments(record)
    return record


def _actions(
    partnership: Partnership,
    demo: DemoRecord,
    record: Audit | Review,
    agencies: dict[str, Agency],
    admin_id: int | None,
    known_themes: set[str],
) -> int:
    source = SourceType.AUDIT if demo.kind == "audit" else SourceType.REVIEW
    existing = set(
        db.session.scalars(
            sa.select(Action.description).where(
                Action.source_type == source, Action.source_id == str(record.id)
            )
        )
    )
    added = 0
    for item in demo.actions:
        if item.description in existing:
            continue
        owner = agencies.get(item.owner)
        created = _at(demo.end_on or demo.start_on, 11)
        action = Action(
            partnership_id=partnership.id,
            source_type=source,
            source_id=str(record.id),
            description=item.description,
            owner_agency_id=owner.id if owner else None,
            due_on=item.due_on,
            status=item.updates[-1][1] if item.updates else ActionStatus.NOT_STARTED,
            evidence_of_impact=item.impact,
            created_by_id=admin_id,
            created_at=min(created, clock.now()),
            updated_at=min(_at(item.updates[-1][0]) if item.updates else created, clock.now()),
        )
        db.session.add(action)
        for written_on, status, note in item.updates:
            action.updates.append(
                ActionUpdate(
                    written_at=min(_at(written_on, 14), clock.now()),
                    author_id=admin_id,
                    text=note,
                    status=status,
                )
            )
        db.session.flush()
        added += 1 + len(item.updates)
        for key in item.themes:
            if key in known_themes:
                linked_on = item.updates[0][0] if item.updates else (demo.end_on or demo.start_on)
                added += _link(
                    partnership.id, key, LinkedRecord.ACTION, action.id, linked_on, admin_id
                )
    return added


def _link(
    partnership_id: int,
    key: str,
    record_type: LinkedRecord,
    record_id: int,
    linked_on: date,
    admin_id: int | None,
) -> int:
    exists = db.session.scalar(
        sa.select(ThemeLink.id).where(
            ThemeLink.partnership_id == partnership_id,
            ThemeLink.theme_key == key,
            ThemeLink.record_type == record_type,
            ThemeLink.record_id == record_id,
        )
    )
    if exists is not None:
        return 0
    db.session.add(
        ThemeLink(
            partnership_id=partnership_id,
            theme_key=key,
            record_type=record_type,
            record_id=record_id,
            linked_at=min(_at(linked_on, 12), clock.now()),
            linked_by_id=admin_id,
        )
    )
    db.session.flush()
    return 1


def _priorities(partnership_id: int, admin_id: int | None) -> int:
    year = lna.business_year(clock.today()) + 1
    existing = set(
        db.session.scalars(
            sa.select(LnaPriority.text).where(
                LnaPriority.partnership_id == partnership_id, LnaPriority.year == year
            )
        )
    )
    added = 0
    for position, (text, key) in enumerate(PRIORITIES, start=1):
        if text in existing:
            continue
        db.session.add(
            LnaPriority(
                partnership_id=partnership_id,
                year=year,
                position=position,
                text=text,
                theme_key=key,
                updated_by_id=admin_id,
            )
        )
        added += 1
    db.session.flush()
    return added
