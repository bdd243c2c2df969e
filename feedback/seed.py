"""The demo partnership `make run` shows: agencies, practitioners, accounts and instruments.

Idempotent: every record is found by its natural key before it is created, so running the seed
twice changes nothing. Later capabilities extend `seed_demo` with their own demo data.
"""

import os
import random

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from feedback.extensions import db
from feedback.models import Agency, Partnership, Person, Role, Sector, User
from feedback.services import transaction

DEMO_PARTNERSHIP = "Northshire Safeguarding Children Partnership"
DEMO_DOMAIN = "northshire.example"
DEMO_PASSWORD = "northshire-demo"  # noqa: S105 - the demo's published sign-in

AGENCIES: list[tuple[str, Sector]] = [
    ("Northshire Police", Sector.POLICE),
    ("Northshire County Council Children's Services", Sector.CHILDRENS_SOCIAL_CARE),
    ("Northshire Integrated Care Board", Sector.HEALTH),
    ("Northshire Community Health NHS Trust", Sector.HEALTH),
    ("Riverside Hospitals NHS Foundation Trust", Sector.HEALTH),
    ("Northshire Education Partnership (schools)", Sector.EDUCATION),
    ("Little Acorns Early Years Network", Sector.EARLY_YEARS),
    ("Probation Service, Northshire", Sector.PROBATION),
    ("Northshire Homes", Sector.HOUSING),
    ("Safe Haven Domestic Abuse Service", Sector.VOLUNTARY),
    ("Youth Matters Northshire", Sector.VOLUNTARY),
]

ROLES_BY_SECTOR: dict[Sector, list[tuple[str, str]]] = {
    Sector.POLICE: [
        ("Detective Constable", "Child Abuse Investigation Unit"),
        ("Police Constable", "Neighbourhood Policing"),
        ("Detective Sergeant", "MASH"),
    ],
    Sector.CHILDRENS_SOCIAL_CARE: [
        ("Social Worker", "Assessment Team"),
        ("Senior Practitioner", "Child in Need Team"),
        ("Family Support Worker", "Early Help"),
        ("Team Manager", "MASH"),
    ],
    Sector.HEALTH: [
        ("Health Visitor", "0-19 Service"),
        ("School Nurse", "0-19 Service"),
        ("Named Nurse for Safeguarding", "Safeguarding Team"),
        ("Emergency Department Nurse", "Emergency Department"),
        ("Midwife", "Community Midwifery"),
    ],
    Sector.EDUCATION: [
        ("Designated Safeguarding Lead", "Secondary school"),
        ("Class Teacher", "Primary school"),
        ("Pastoral Lead", "Secondary school"),
    ],
    Sector.EARLY_YEARS: [("Nursery Manager", "Day nursery"), ("Childminder", "Childminding")],
    Sector.PROBATION: [("Probation Officer", "Public Protection")],
    Sector.HOUSING: [("Housing Officer", "Tenancy Services")],
    Sector.VOLUNTARY: [
        ("Domestic Abuse Advocate", "IDVA Service"),
        ("Youth Worker", "Detached Youth Work"),
    ],
}

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Farhan",
    "Grace",
    "Harry",
    "Imogen",
    "Jack",
    "Kiran",
    "Laura",
    "Mohammed",
    "Niamh",
    "Oliver",
    "Priya",
    "Rhys",
    "Sophie",
    "Tom",
    "Uzma",
    "Victoria",
    "William",
    "Yasmin",
    "Zoe",
    "Gareth",
    "Hannah",
    "Owen",
    "Ruth",
    "Sean",
    "Megan",
]
LAST_NAMES = [
    "Ahmed",
    "Bennett",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "O'Brien",
    "Patel",
    "Roberts",
    "Singh",
    "Taylor",
    "Walker",
    "Wright",
    "Young",
    "Kowalski",
    "Murphy",
    "Shah",
]

PEOPLE_PER_AGENCY = 12


def default_partnership() -> Partnership:
    """The partnership commands act on: the first one, made from PARTNERSHIP_NAME if none."""
    partnership = db.session.scalar(sa.select(Partnership).order_by(Partnership.id).limit(1))
    if partnership is None:
        with transaction():
            partnership = Partnership(name=os.environ.get("PARTNERSHIP_NAME", DEMO_PARTNERSHIP))
            db.session.add(partnership)
    return partnership


def seed_demo() -> int:
    """Create whatever of the demo partnership is missing; returns how many records it added."""
    added = 0
    rng = random.Random(2026)  # the same demo every time
    with transaction():
        partnership = db.session.scalar(
            sa.select(Partnership).where(Partnership.name == DEMO_PARTNERSHIP)
        )
        if partnership is None:
            partnership = Partnership(name=DEMO_PARTNERSHIP, disclosure_threshold=5)
            db.session.add(partnership)
            db.session.flush()
            added += 1

        for role in Role:
            email = f"{role.value}@{DEMO_DOMAIN}"
            if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
                db.session.add(
                    User(
                        partnership_id=partnership.id,
                        email=email,
                        role=role,
                        name=f"Demo {role.value}",
                        password_hash=generate_password_hash(DEMO_PASSWORD),
                    )
                )
                added += 1

        existing_agencies = {
            a.name: a
            for a in db.session.scalars(
                sa.select(Agency).where(Agency.partnership_id == partnership.id)
            )
        }
        existing_people = set(
            db.session.scalars(
                sa.select(Person.email).where(Person.partnership_id == partnership.id)
            )
        )
        for name, sector in AGENCIES:
            agency = existing_agencies.get(name)
            if agency is None:
                agency = Agency(partnership_id=partnership.id, name=name, sector=sector)
                db.session.add(agency)
                db.session.flush()
                added += 1
            slug = "".join(ch for ch in name.lower().split()[0] if ch.isalnum())
            for i in range(PEOPLE_PER_AGENCY):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                job_role, team = rng.choice(ROLES_BY_SECTOR[sector])
                email = f"{first}.{last}.{i}@{slug}.{DEMO_DOMAIN}".lower().replace("'", "")
                if email in existing_people:
                    continue
                db.session.add(
                    Person(
                        partnership_id=partnership.id,
                        name=f"{first} {last}",
                        email=email,
                        agency_id=agency.id,
                        job_role=job_role,
                        team=team,
                    )
                )
                existing_people.add(email)
                added += 1
    added += seed_instruments(partnership)
    added += _seed_campaigns(partnership)
    return added


def _seed_campaigns(partnership: Partnership) -> int:
    """Two rounds of the staff survey, answered, and a draft campaign ready to launch."""
    from feedback.seed_campaigns import seed_draft_pulse, seed_staff_surveys, seed_training

    with transaction():
        added = seed_staff_surveys(partnership, random.Random(2027))
        added += seed_draft_pulse(partnership)
        added += seed_training(partnership, random.Random(2028))
    # Front-line records, then audits, reviews and actions, then the text analysis over it all.
    from feedback import seed_learning, seed_records, seed_visits, seed_voice

    for offset, module in enumerate((seed_visits, seed_voice, seed_records, seed_learning)):
        with transaction():
            added += module.seed(partnership, random.Random(2029 + offset))
    return added


def seed_instruments(partnership: Partnership) -> int:
    """Each standard instrument the demo has not copied yet, copied in and published as v1."""
    from feedback.services import instruments

    missing = instruments.library_not_copied(partnership)
    for key, _title in missing:
        instruments.copy_from_library(partnership, key, None, publish=True)
    return len(missing)
