"""Shared steps for the text-analysis, codebook, workbench and REFI-QDA tests."""

import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from feedback import jobs
from feedback.extensions import db
from feedback.models import Agency, Response, SourceType, TextSegment
from feedback.models.codebook import CodeStatus, SegmentCode
from feedback.services import campaigns as campaign_service
from feedback.services import transaction
from feedback.services.segments import SegmentText, replace_for_source
from tests.conftest import SURVEY, published_version

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def add_segments(
    partnership,
    texts,
    source=SourceType.SCRUTINY_VISIT,
    agency=None,
    on=None,
    source_id=None,
    field="notes",
    label="What we found",
):
    """Segments written as a source hands them over (unanalysed), one source record each."""
    made = []
    with transaction():
        for i, text in enumerate(texts):
            made.extend(
                replace_for_source(
                    partnership.id,
                    source,
                    source_id or f"rec-{uuid.uuid4().hex[:8]}-{i}",
                    [SegmentText(field, text, label)],
                    occurred_on=on or date(2027, 3, 2),
                    agency_id=agency.id if agency else None,
                    respondent_key=f"person-{i}",
                )
            )
    return made


def run_jobs(*names):
    """Run the named jobs (all when none are named) and return their reports by name."""
    reports = {}
    for job in sorted(jobs.JOBS, key=lambda j: j.order):
        if names and job.name not in names:
            continue
        reports[job.name] = job.run(START)
    return reports


def agreed_codes(segment_id):
    """theme key -> status of the segment's agreed codes (coder_id NULL)."""
    return {
        code.theme_key: code.status
        for code in db.session.scalars(
            sa.select(SegmentCode).where(
                SegmentCode.segment_id == segment_id, SegmentCode.coder_id.is_(None)
            )
        )
    }


def code_row(segment_id, key, coder_id=None):
    return db.session.scalar(
        sa.select(SegmentCode).where(
            SegmentCode.segment_id == segment_id,
            SegmentCode.theme_key == key,
            SegmentCode.coder_id.is_(None)
            if coder_id is None
            else SegmentCode.coder_id == coder_id,
        )
    )


def segment(segment_id):
    db.session.expire_all()
    return db.session.get(TextSegment, segment_id)


def make_agency(partnership, name="Testshire Police", sector="police"):
    agency = Agency(partnership_id=partnership.id, name=name, sector=sector)
    db.session.add(agency)
    db.session.commit()
    return agency


def survey_campaign(partnership, purpose="survey", title="Spring staff survey"):
    """A draft campaign of the two-page pulse survey (answers are written straight in)."""
    version = published_version(partnership, SURVEY)
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title=title,
        mode="confidential",
        opens_at=START,
        closes_at=START + timedelta(days=21),
        audience={"agency_ids": []},
        purpose=purpose,
    )
    return campaign_service.create_campaign(partnership, spec, None)


def add_response(campaign, answers, agency=None, on=date(2027, 3, 2)):
    response = Response(
        id=uuid.uuid4().hex,
        campaign_id=campaign.id,
        instrument_version_id=campaign.instrument_version_id,
        agency_id=agency.id if agency else None,
        job_role="Social Worker",
        submitted_on=on,
        submitted_at=None,
        answers=answers,
    )
    db.session.add(response)
    db.session.commit()
    return response


def confirm(segment_id, key, user=None):
    code = code_row(segment_id, key)
    code.status = CodeStatus.CONFIRMED
    code.decided_by_id = user.id if user else None
    code.decided_at = START
    db.session.commit()
    return code
