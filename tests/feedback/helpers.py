"""Shared steps for campaign tests: make a live campaign, move time on, answer from an email."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback import clock, jobs
from feedback.extensions import db
from feedback.services import campaigns as campaign_service
from feedback.services import respond
from tests.conftest import SURVEY, published_version

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LINK = re.compile(r"/r/([A-Za-z0-9_-]+)(?![A-Za-z0-9_/-])")  # the whole token, never a prefix


def make_campaign(partnership, people, mode="confidential", reminder_days=(7, 14), days=21):
    version = published_version(partnership, SURVEY)
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title="Spring staff survey",
        mode=mode,
        opens_at=START,
        closes_at=START + timedelta(days=days),
        audience={"person_ids": [p.id for p in people]},
        reminder_days=tuple(reminder_days),
    )
    with clock.frozen_at(START):
        campaign = campaign_service.create_campaign(partnership, spec, None)
        campaign_service.launch(campaign, None)
    return campaign


def run_due(moment):
    with clock.frozen_at(moment):
        return dict(jobs.run_due(moment))


def subject(message) -> str:
    # Flask-Mail folds some headers with a leading space; mail clients ignore it.
    return str(message["Subject"]).strip()


def token_from(message) -> str:
    return LINK.search(message.get_body(("plain",)).get_content()).group(1)


def answer_all(token, thresholds=4, supervision=True, helps="Supervision with my DSL"):
    visit = respond.find(token)
    assert visit.gate == respond.Gate.OPEN
    respond.save_page(
        visit.invitation, {"thresholds": thresholds, "supervision": supervision, "why_not": None}, 1
    )
    respond.save_page(visit.invitation, {"helps": helps}, 1)
    return respond.submit(visit.invitation)


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
