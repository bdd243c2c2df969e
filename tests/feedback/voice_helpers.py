"""Shared steps for the child and family voice tests."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, AuditEvent
from feedback.services import voice

GATHERED = date(2027, 3, 3)

#: What a practitioner writes down after a three houses session with a child of 9.
GOOD = "Playing football with my friends at break"
WORRY = "I worry about my nan because she is poorly"
DREAM = "I would like to see my big brother more"


def make_agency(partnership: Any, name: str = "Hilltop Primary School") -> Agency:
    agency = Agency(partnership_id=partnership.id, name=name, sector="education")
    db.session.add(agency)
    db.session.commit()
    return agency


def spec(agency: Any, **changes: Any) -> voice.VoiceSpec:
    """A child of 8 to 12, with assent and a parent's consent, who agreed to be quoted."""
    values: dict[str, Any] = {
        "form_key": "child_voice_8_12",
        "setting_type": "school",
        "agency_id": agency.id,
        "occurred_on": GATHERED,
        "method": "three_houses",
        "consent_by": "parent_carer",
        "assent": True,
        "sharing": "quotes",
        "answers": {
            "feel_at_home": 4,
            "feel_at_school": 5,
            "good_things": GOOD,
            "worries": WORRY,
            "dreams": DREAM,
            "who_listens": {"selected": ["teacher", "family"]},
        },
    }
    values.update(changes)
    return voice.VoiceSpec(**values)


def page_data(agency: Any, **changes: Any) -> dict[str, Any]:
    """The record form for a child of 8 to 12 as a browser posts it."""
    data: dict[str, Any] = {
        "occurred_on": ["3", "3", "2027"],
        "agency_id": str(agency.id),
        "setting_type": "school",
        "setting_detail": "",
        "local_reference": "Group A",
        "method": "three_houses",
        "assent": "yes",
        "consent_by": "parent_carer",
        "sharing": "quotes",
        "feel_at_home": "4",
        "feel_at_school": "5",
        "good_things": GOOD,
        "worries": WORRY,
        "dreams": DREAM,
        "who_listens": ["teacher", "family"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


NOW = datetime(2027, 3, 10, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    """Every voice test runs on 10 March 2027 (import this fixture into the test module)."""
    with clock.frozen_at(NOW):
        yield


def sign_out(client: Any) -> None:
    """End the session, so the next sign-in can be someone else."""
    from tests.conftest import csrf_token

    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
