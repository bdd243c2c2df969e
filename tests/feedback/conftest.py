"""Fixtures shared by the feedback tests."""

import pytest

from feedback.extensions import db
from feedback.models import Agency, Person


@pytest.fixture
def people(partnership):
    police = Agency(partnership_id=partnership.id, name="Testshire Police", sector="police")
    school = Agency(partnership_id=partnership.id, name="Hilltop School", sector="education")
    db.session.add_all([police, school])
    db.session.flush()
    folk = [
        Person(
            partnership_id=partnership.id,
            name=f"Officer {i}",
            email=f"officer{i}@example.org",
            agency_id=police.id,
            job_role="Police Constable",
        )
        for i in range(3)
    ] + [
        Person(
            partnership_id=partnership.id,
            name="Teacher One",
            email="teacher@example.org",
            agency_id=school.id,
            job_role="Teacher",
        ),
    ]
    db.session.add_all(folk)
    db.session.commit()
    return folk
