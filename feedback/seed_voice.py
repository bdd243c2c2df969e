"""Demo child and family voice: practitioners' records across ages and settings, two flagged, and
one link children answered from on a shared tablet.

Idempotent: a practitioner's record is found by its local reference (DEMO-001 ...), the link by
its title, and the link's answers are added only when the link is new.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Partnership, Role, User
from feedback.models.voice import VoiceCollection, VoiceRecord
from feedback.services import voice

COLLECTION_TITLE = "Year 6 transition: three houses on the class tablet"
COLLECTION_AGENCY = "Northshire Education Partnership (schools)"


@dataclass(frozen=True)
class Story:
    """One demo record; `answers` holds the words, the rest is filled in by the seed."""

    form: str
    agency: str
    setting: str
    method: str
    consent_by: str
    answers: dict[str, Any]
    assent: bool | None = True
    sharing: str | None = "quotes"
    detail: str | None = None
    recorder: str = "trainer"
    followed_up: str | None = None


EARLY = "Little Acorns Early Years Network"
SCHOOLS = "Northshire Education Partnership (schools)"
CSC = "Northshire County Council Children's Services"
HEALTH = "Northshire Community Health NHS Trust"
YOUTH = "Youth Matters Northshire"
HAVEN = "Safe Haven Domestic Abuse Service"
POLICE = "Northshire Police"

STORIES: list[Story] = [  # fmt: skip
    # Age 4 to 7
    Story(
        "child_voice_4_7",
        EARLY,
        "early_years",
        "three_houses",
        "parent_carer",
        {
            "good_things": "Playing in the sand tray with my friends",
            "worries": "When mummy is sad and stays in bed",
            "dreams": "A puppy and a big garden",
            "who_listens": {"selected": ["teacher"]},
        },
        detail="Acorn Tree Day Nursery",
    ),
    Story(
        "child_voice_4_7",
        EARLY,
        "early_years",
        "drawing_play",
        "parent_carer",
        {
            "good_things": "Story time and the climbing frame",
            "worries": "The loud shouting at night",
            "dreams": "Everyone being kind at home",
            "who_listens": {"selected": ["family"]},
        },
        sharing="themes_only",
    ),
    Story(
        "child_voice_4_7",
        CSC,
        "care_home",
        "three_houses",
        "local_authority",
        {
            "good_things": "My foster carer makes pancakes",
            "worries": "I miss my mum and I don't know when I will see her",
            "dreams": "Seeing my brother every week",
            "who_listens": {"selected": ["carer"]},
        },
    ),
    Story(
        "child_voice_4_7",
        EARLY,
        "family_hub",
        "observation",
        "parent_carer",
        {"feel_today": 3, "feel_at_home": 2},
        detail="Oakfield Family Hub",
    ),
    Story(
        "child_voice_4_7",
        SCHOOLS,
        "school",
        "three_houses",
        "nobody",
        {"good_things": "Reading with my teacher", "worries": "Big children in the playground"},
        sharing=None,
    ),
    # Age 8 to 12
    Story(
        "child_voice_8_12",
        SCHOOLS,
        "school",
        "three_houses",
        "parent_carer",
        {
            "good_things": "Football at break and my best friend",
            "worries": "I worry about my nan because she is poorly",
            "dreams": "To go to the same secondary school as my friends",
            "who_listens": {"selected": ["teacher", "family"]},
            "know_who_to_tell": True,
        },
    ),
    Story(
        "child_voice_8_12",
        CSC,
        "care_home",
        "wishes_feelings",
        "local_authority",
        {
            "good_things": "My foster carer helps with my homework",
            "worries": "Having to tell my story again to a new social worker",
            "dreams": "To stay at my school when I move",
            "who_listens": {"selected": ["carer", "social_worker"]},
            "know_who_to_tell": True,
        },
    ),
    Story(
        "child_voice_8_12",
        SCHOOLS,
        "school",
        "three_houses",
        "parent_carer",
        {
            "good_things": "Art club on Wednesdays",
            "worries": "Dad hits me when he has been drinking",
            "dreams": "For home to be calm",
            "who_listens": {"selected": ["teacher"]},
            "know_who_to_tell": False,
        },
        sharing="themes_only",
        recorder="scrutineer",
    ),
    Story(
        "child_voice_8_12",
        CSC,
        "social_care",
        "conversation",
        "nobody",
        {"good_things": "Going to the park", "worries": "Moving house again", "feel_at_home": 2},
        sharing=None,
    ),
    Story(
        "child_voice_8_12",
        HEALTH,
        "health",
        "conversation",
        "parent_carer",
        {
            "good_things": "The school nurse explained things so I understood",
            "worries": "My asthma at night",
            "dreams": "Being picked for the team",
            "who_listens": {"selected": ["family", "teacher"]},
            "know_who_to_tell": True,
        },
    ),
    Story(
        "child_voice_8_12",
        HAVEN,
        "family_hub",
        "three_houses",
        "parent_carer",
        {
            "good_things": "Living somewhere quiet with mum now",
            "worries": "That he will find out where we live",
            "dreams": "A bedroom of my own",
            "who_listens": {"selected": ["family"]},
            "know_who_to_tell": True,
        },
    ),
    Story(
        "child_voice_8_12",
        SCHOOLS,
        "school",
        "wishes_feelings",
        "parent_carer",
        {
            "good_things": "My mentor at school checks in every morning",
            "worries": "Nobody explained why the social worker came",
            "dreams": "To understand what is happening",
            "who_listens": {"selected": ["teacher"]},
            "know_who_to_tell": True,
        },
    ),
    # Age 13 to 17
    Story(
        "child_voice_13_17",
        YOUTH,
        "youth",
        "conversation",
        "child",
        {
            "good_things": "My youth worker actually listens and doesn't judge",
            "worries": "Exams, and money being tight at home",
            "change_one_thing": "Not having to repeat my story to every new worker",
            "listened_to": 4,
            "feel_safe_area": 3,
        },
    ),
    Story(
        "child_voice_13_17",
        YOUTH,
        "youth",
        "conversation",
        "child",
        {
            "good_things": "Boxing club keeps me out of trouble",
            "worries": "Older lads make me carry stuff for them and I owe them money",
            "change_one_thing": "Somewhere safe to go in the evenings",
            "feel_safe_area": 1,
        },
        sharing="themes_only",
        recorder="scrutineer",
        followed_up="Youth worker's DSL confirmed a child exploitation referral was made "
        "the same day; MACE panel informed.",
    ),
    Story(
        "child_voice_13_17",
        HEALTH,
        "health",
        "conversation",
        "child",
        {
            "good_things": "The school nurse drop-in is easy to get to",
            "worries": "Feeling anxious all the time",
            "change_one_thing": "Shorter waits for counselling",
            "listened_to": 4,
        },
    ),
    Story(
        "child_voice_13_17",
        POLICE,
        "police",
        "conversation",
        "parent_carer",
        {
            "good_things": "The officer explained what would happen next",
            "worries": "People at school finding out",
            "change_one_thing": "Being told when things change",
            "understand_why": 2,
        },
    ),
    Story(
        "child_voice_13_17",
        CSC,
        "care_home",
        "wishes_feelings",
        "local_authority",
        {
            "good_things": "My key worker at the home",
            "worries": "What happens when I turn 18",
            "change_one_thing": "Being in my own reviews, not just hearing about them after",
            "listened_to": 2,
            "understand_why": 3,
        },
    ),
    # Parents and carers
    Story(
        "family_voice",
        CSC,
        "home",
        "conversation",
        "self",
        {
            "what_helped": "The family support worker came every week and did not judge us",
            "what_did_not_help": "Having three different social workers in a year",
            "listened_to": 4,
            "how_things_are": 7,
        },
        assent=None,
    ),
    Story(
        "family_voice",
        CSC,
        "family_hub",
        "conversation",
        "self",
        {
            "what_helped": "Being kept informed before the child protection conference",
            "what_did_not_help": "Letters full of words I did not understand",
            "explained_clearly": 2,
            "how_things_are": 5,
        },
        assent=None,
        sharing="themes_only",
    ),
    Story(
        "family_voice",
        HAVEN,
        "family_hub",
        "conversation",
        "self",
        {
            "what_helped": "The advocate came with me to court",
            "anything_else": "Schools need to know sooner so they can help the children",
            "treated_with_respect": 5,
            "how_things_are": 8,
        },
        assent=None,
    ),
    Story(
        "family_voice",
        HEALTH,
        "health",
        "conversation",
        "nobody",
        {"what_helped": "The health visitor", "listened_to": 3, "how_things_are": 6},
        assent=None,
        sharing=None,
    ),
]

#: Answers children gave on the class tablet: (assented, may quote, answers).
TABLET: list[tuple[bool, bool, dict[str, Any]]] = [
    (True, True, {"feel_at_school": 4, "good_things": "Being in the football team",
                  "worries": "Getting lost in the big school", "dreams": "Making new friends"}),
    (True, False, {"feel_at_school": 3, "worries": "Homework and detentions",
                   "dreams": "Learning to play the drums"}),
    (False, False, {"feel_at_school": 5, "good_things": "My teacher"}),
    (True, True, {"feel_at_school": 4, "good_things": "Art and drama",
                  "worries": "Not being with my friends", "dreams": "A buddy in Year 7"}),
]  # fmt: skip


def _user(partnership: Partnership, role: Role) -> User | None:
    return db.session.scalar(
        sa.select(User)
        .where(User.partnership_id == partnership.id, User.role == role)
        .order_by(User.id)
        .limit(1)
    )


def _fill(story: Story, rng: random.Random) -> dict[str, Any]:
    """The story's words plus plausible ratings for the form's other questions."""
    answers = dict(story.answers)
    for question in voice.questions(story.form):
        key, kind = question["key"], question["type"]
        if key in answers:
            continue
        if kind == "emoji_scale":
            answers[key] = rng.randint(2, question.get("faces", 3))
        elif kind == "likert":
            answers[key] = rng.randint(2, 5)
        elif kind == "safety_scale":
            answers[key] = rng.randint(3, 9)
    return answers


def seed(partnership: Partnership, rng: random.Random) -> int:
    """Add what is missing; return how many records were added (0 when run again)."""
    recorders = {role.value: _user(partnership, role) for role in voice.RECORDERS}
    admin = recorders.get("admin")
    agencies = {
        a.name: a
        for a in db.session.scalars(
            sa.select(Agency).where(Agency.partnership_id == partnership.id)
        )
    }
    if admin is None or not agencies:
        return 0
    today = clock.today()
    added = 0
    for number, story in enumerate(STORIES, start=1):
        reference = f"DEMO-{number:03d}"
        answers = _fill(story, rng)  # drawn every time, so later records stay the same
        exists = db.session.scalar(
            sa.select(VoiceRecord.id).where(
                VoiceRecord.partnership_id == partnership.id,
                VoiceRecord.local_reference == reference,
            )
        )
        recorder = recorders.get(story.recorder) or admin
        agency = agencies.get(story.agency)
        if exists is not None or agency is None:
            continue
        spec = voice.VoiceSpec(
            form_key=story.form,
            setting_type=story.setting,
            setting_detail=story.detail,
            agency_id=agency.id,
            occurred_on=today - timedelta(days=7 + 11 * number),
            method=story.method,
            consent_by=story.consent_by,
            assent=story.assent,
            sharing=story.sharing,
            local_reference=reference,
            answers=answers,
        )
        outcome = voice.record_voice(partnership, spec, recorder)
        if story.followed_up and outcome.record.flagged:
            voice.follow_up(outcome.record, story.followed_up, admin)
        added += 1
    added += _seed_collection(partnership, admin, agencies)
    return added


def _seed_collection(partnership: Partnership, admin: User, agencies: dict[str, Agency]) -> int:
    exists = db.session.scalar(
        sa.select(VoiceCollection.id).where(
            VoiceCollection.partnership_id == partnership.id,
            VoiceCollection.title == COLLECTION_TITLE,
        )
    )
    agency = agencies.get(COLLECTION_AGENCY)
    if exists is not None or agency is None:
        return 0
    collection = voice.create_collection(
        partnership,
        voice.CollectionSpec(
            title=COLLECTION_TITLE,
            form_key="child_voice_8_12",
            setting_type="school",
            agency_id=agency.id,
            consent_by="parent_carer",
            setting_detail="Riverside Primary School",
        ),
        admin,
    )
    for assented, may_quote, answers in TABLET:
        voice.record_from_collection(collection, answers, assented, may_quote)
    return 1 + len(TABLET)
