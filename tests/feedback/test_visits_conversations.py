"""Safeguarding conversations (Section 11, year 2) and practitioner forums: written up through
the pages, with the agency's action plan entered once and carried into the next conversation."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, Agency, SourceType
from feedback.models.visits import Section11Item, Section11Status, Visit, VisitStatus
from feedback.services import ServiceError
from feedback.services import segments as segment_service
from feedback.services import visits as visit_service
from tests.conftest import PASSWORD, csrf_token, post_form

TODAY = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    clock.set_now(TODAY)
    yield
    clock.set_now(None)


@pytest.fixture
def trust(partnership):
    agency = Agency(
        partnership_id=partnership.id, name="Testshire Community Health", sector="health"
    )
    db.session.add(agency)
    db.session.commit()
    return agency


@pytest.fixture
def admin(make_user):
    return make_user("admin", "lead@testshire.example", name="Pat Admin")


@pytest.fixture
def scrutineer(make_user):
    return make_user("scrutineer", "sam@testshire.example", name="Sam Scrutineer")


def sign_in(client, user):
    if client.get("/sign-in").status_code == 302:
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})


def conversation(admin, scrutineer, trust, on):
    return visit_service.create(
        admin,
        visit_service.VisitSpec(
            kind="safeguarding_conversation",
            occurred_on=on,
            agency_id=trust.id,
            lead_id=admin.id,
            team_ids=[scrutineer.id],
        ),
    )


def test_a_conversation_is_written_up_through_the_pages(client, admin, scrutineer, trust):
    sign_in(client, scrutineer)
    created = post_form(
        client,
        "/visits/new/safeguarding_conversation",
        {"agency_id": str(trust.id), "occurred_on": ["1", "3", "2027"]},
    )
    assert created.status_code == 302
    visit = db.session.scalar(sa.select(Visit))
    assert visit.lead_id == scrutineer.id and visit.topics == []
    added = post_form(
        client,
        f"/visits/{visit.id}/action-plan",
        {},
    )
    assert added.status_code == 302  # an empty plan saves too
    token = csrf_token(client, f"/visits/{visit.id}/action-plan")
    client.post(
        f"/visits/{visit.id}/action-plan/items",
        data={
            "csrf_token": token,
            "item-standard": "information_sharing",
            "item-description": "Share GP information for strategy meetings within 24 hours",
        },
    )
    item = db.session.scalar(sa.select(Section11Item))
    assert item.agency_id == trust.id and item.standard == "information_sharing"
    post_form(
        client,
        f"/visits/{visit.id}/action-plan",
        {
            f"status_{item.id}": "blocked",
            f"narrative_{item.id}": "Practices will not release records without consent.",
        },
    )
    post_form(
        client,
        f"/visits/{visit.id}/people",
        {"role_agency_safeguarding_lead": "2", "role_police": "1"},
    )
    post_form(
        client,
        f"/visits/{visit.id}/notes",
        {
            "note_barriers": "No information sharing agreement with GP practices.",
            "note_good_practice": "Graded Care Profile used in every neglect case.",
            "note_support_needed": "",
        },
    )
    submitted = post_form(client, f"/visits/{visit.id}/submit", {})
    assert submitted.status_code == 302
    db.session.refresh(visit)
    assert visit.status == VisitStatus.SUBMITTED
    assert visit.action_plan[0].status == Section11Status.BLOCKED
    assert visit.people_by_role == {"agency_safeguarding_lead": 2, "police": 1}
    assert segment_service.for_source(SourceType.SAFEGUARDING_CONVERSATION, visit.id) == []
    visit_service.review(admin, visit, "reviewed", None)
    visit_service.publish(admin, visit)  # its words enter the learning pipeline now
    texts = {
        s.field: s.text
        for s in segment_service.for_source(SourceType.SAFEGUARDING_CONVERSATION, visit.id)
    }
    assert texts == {
        "notes.barriers": "No information sharing agreement with GP practices.",
        "notes.good_practice": "Graded Care Profile used in every neglect case.",
        f"action_plan.{item.id}": "Practices will not release records without consent.",
    }
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Blocked" in page and "Share GP information for strategy meetings" in page


def test_the_next_conversation_starts_with_the_agencys_items_at_their_last_status(
    client, admin, scrutineer, trust
):
    first = conversation(admin, scrutineer, trust, date(2026, 3, 1))
    one = visit_service.add_plan_item(admin, first, "leadership", "Quarterly board report")
    two = visit_service.add_plan_item(admin, first, "training", "Three-monthly supervision")
    visit_service.update(
        admin,
        first,
        visit_service.Changes(
            action_plan=[
                visit_service.PlanChange(one.item_id, "done", "Board report in place."),
                visit_service.PlanChange(two.item_id, "in_progress", "Health visitors only."),
            ]
        ),
    )
    second = conversation(admin, scrutineer, trust, date(2027, 3, 1))
    carried = {e.item.description: (e.status, e.narrative) for e in second.action_plan}
    assert carried == {
        "Quarterly board report": (Section11Status.DONE, None),
        "Three-monthly supervision": (Section11Status.IN_PROGRESS, None),
    }
    # Items are entered once: the second conversation points at the same plan items.
    assert db.session.scalar(sa.select(sa.func.count(Section11Item.id))) == 2
    sign_in(client, scrutineer)
    page = client.get(f"/visits/{second.id}/action-plan").get_data(as_text=True)
    assert "At the conversation on 1 March 2026" in page and "Health visitors only." in page
    history = client.get(f"/visits/agencies/{trust.id}").get_data(as_text=True)
    assert "Three-monthly supervision" in history and "In progress" in history


def test_another_teams_unpublished_conversation_is_not_shown_as_what_was_recorded_before(
    client, admin, scrutineer, trust, make_user
):
    first = conversation(admin, scrutineer, trust, date(2026, 3, 1))
    item = visit_service.add_plan_item(admin, first, "training", "Three-monthly supervision")
    visit_service.update(
        admin,
        first,
        visit_service.Changes(
            action_plan=[visit_service.PlanChange(item.item_id, "in_progress", "Draft: ours only.")]
        ),
    )
    other = make_user("scrutineer", "olu@testshire.example", name="Olu Other")
    second = conversation(admin, other, trust, date(2027, 3, 1))
    sign_in(client, other)
    page = client.get(f"/visits/{second.id}/action-plan").get_data(as_text=True)
    assert "Three-monthly supervision" in page
    assert "Draft: ours only." not in page and "At the conversation on 1 March 2026" not in page
    sign_in(client, admin)  # who may see the first conversation still reads what it recorded
    page = client.get(f"/visits/{second.id}/action-plan").get_data(as_text=True)
    assert "At the conversation on 1 March 2026" in page and "Draft: ours only." in page


def test_a_conversation_needs_progress_on_every_item_before_it_is_submitted(
    admin, scrutineer, trust
):
    visit = conversation(admin, scrutineer, trust, date(2027, 3, 1))
    entry = visit_service.add_plan_item(admin, visit, "safer_recruitment", "DBS for bank staff")
    visit_service.update(admin, visit, visit_service.Changes(people_by_role={"police": 1}))
    with pytest.raises(ServiceError) as refused:
        visit_service.submit(admin, visit)
    assert refused.value.details == [
        {
            "path": "action_plan.0.narrative",
            "message": "Say what progress has been made on: DBS for bank staff",
        }
    ]
    with pytest.raises(ServiceError, match="Choose the Section 11 standard"):
        visit_service.add_plan_item(admin, visit, "no_such_standard", "Something")
    with pytest.raises(ServiceError) as bad_status:
        visit_service.update(
            admin,
            visit,
            visit_service.Changes(
                action_plan=[visit_service.PlanChange(entry.item_id, status="finished")]
            ),
        )
    assert bad_status.value.field == "action_plan.0.status"


def test_a_forum_is_written_up_and_its_notes_become_segments(client, admin, scrutineer, trust):
    sign_in(client, admin)
    created = post_form(
        client,
        "/visits/new/practitioner_forum",
        {
            "title": "Neglect: what are we seeing?",
            "audience": "Head teachers' forum",
            "attendee_count": "34",
            "occurred_on": ["20", "2", "2027"],
            "lead_id": str(scrutineer.id),
        },
    )
    assert created.status_code == 302
    forum = db.session.scalar(sa.select(Visit))
    assert forum.agency_id is None and forum.attendee_count == 34
    assert client.get(f"/visits/{forum.id}/people").status_code == 404  # forums count heads
    post_form(
        client,
        f"/visits/{forum.id}/notes",
        {
            "note_working_well": "DSL network meetings are well attended.",
            "note_challenges": "Waiting times for early help assessments.",
            "note_emerging_issues": "More children arriving hungry.",
        },
    )
    post_form(
        client,
        f"/visits/{forum.id}/actions",
        {"description": "Raise early help waiting times at the PQA subgroup", "due_on": ""},
    )
    assert segment_service.for_source(SourceType.PRACTITIONER_FORUM, forum.id) == []
    action = db.session.scalar(sa.select(Action))
    assert action.source_type == SourceType.PRACTITIONER_FORUM and action.due_on is None
    post_form(client, f"/visits/{forum.id}/submit", {})
    db.session.refresh(forum)
    assert forum.status == VisitStatus.SUBMITTED
    visit_service.review(admin, forum, "reviewed", None)
    visit_service.publish(admin, forum)  # its notes enter the learning pipeline now
    texts = {
        s.field: s.text for s in segment_service.for_source(SourceType.PRACTITIONER_FORUM, forum.id)
    }
    assert texts == {
        "notes.working_well": "DSL network meetings are well attended.",
        "notes.challenges": "Waiting times for early help assessments.",
        "notes.emerging_issues": "More children arriving hungry.",
    }


def test_a_forum_needs_a_title_and_an_audience(client, admin, scrutineer):
    sign_in(client, admin)
    response = post_form(
        client,
        "/visits/new/practitioner_forum",
        {"occurred_on": ["20", "2", "2027"], "lead_id": str(scrutineer.id)},
    )
    page = response.get_data(as_text=True)
    assert "Enter the event&#39;s title" in page and "Enter who the event was for" in page
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0


def test_overdue_actions_agreed_on_a_visit_show_as_overdue(client, admin, scrutineer, trust):
    visit = conversation(admin, scrutineer, trust, date(2027, 1, 10))
    visit_service.add_action(
        admin, visit, "Agree the GP protocol", owner_agency_id=trust.id, due_on=date(2027, 2, 1)
    )
    sign_in(client, admin)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Agree the GP protocol" in page and "Overdue" in page


def test_the_demo_seed_covers_every_state_and_adds_nothing_the_second_time(app):
    import random

    from feedback.models import Partnership, Role, User
    from feedback.seed import AGENCIES
    from feedback.seed_visits import seed

    partnership = Partnership(name="Northshire demo", disclosure_threshold=5)
    db.session.add(partnership)
    db.session.flush()
    for name, sector in AGENCIES:
        db.session.add(Agency(partnership_id=partnership.id, name=name, sector=sector))
    for role in ("admin", "scrutineer"):
        db.session.add(
            User(
                partnership_id=partnership.id,
                email=f"{role}@northshire.example",
                name=f"Demo {role}",
                role=Role(role),
                password_hash="x",
            )
        )
    db.session.commit()
    assert seed(partnership, random.Random(1)) > 20
    db.session.commit()
    assert seed(partnership, random.Random(1)) == 0
    visits = db.session.scalars(sa.select(Visit)).all()
    assert {v.status for v in visits} == set(VisitStatus)
    scrutineer = db.session.scalar(sa.select(User).where(User.email.like("scrutineer@%")))
    assert sum(1 for v in visits if v.is_on_team(scrutineer)) >= 5
    conversations = [v for v in visits if v.kind.value == "safeguarding_conversation"]
    assert len(conversations) == 2 and conversations[0].agency_id == conversations[1].agency_id
    first_items = {e.item_id for e in conversations[0].action_plan}
    assert first_items < {e.item_id for e in conversations[1].action_plan}
    assert len([v for v in visits if v.kind.value == "practitioner_forum"]) == 2
    overdue = [
        a
        for a in db.session.scalars(sa.select(Action))
        if visit_service.action_service.rag(a) == "red"
    ]
    assert overdue
