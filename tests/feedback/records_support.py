"""Shared steps for the records, evidence and LNA tests: coded text and staff-survey answers."""

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from feedback import clock
from feedback.extensions import db
from feedback.models import Response, SourceType, TextSegment
from feedback.models.codebook import CodeStatus, SegmentCode
from feedback.services import campaigns as campaign_service
from tests.conftest import published_version

#: A staff survey whose statement and free text are about information sharing.
SHARING_SURVEY: dict[str, Any] = {
    "schema_version": 1,
    "key": "sharing_survey",
    "title": "Information sharing survey",
    "pages": [
        {
            "key": "practice",
            "title": "Your practice",
            "questions": [
                {
                    "key": "others_share",
                    "type": "likert",
                    "scale": "agree_4",
                    "required": True,
                    "label": "Other agencies share information with me when I need it",
                    "themes": ["information_sharing"],
                },
                {
                    "key": "know_how_to_refer",
                    "type": "likert",
                    "scale": "agree_4",
                    "label": "I know how to make a referral to children's social care",
                    "themes": ["thresholds_referrals"],
                },
                {
                    "key": "what_gets_in_the_way",
                    "type": "long_text",
                    "label": "What gets in the way?",
                },
            ],
        }
    ],
}


def coded(
    partnership_id: int,
    source: SourceType,
    text: str,
    theme: str,
    *,
    on: date,
    respondent: str | None = None,
    sentiment: str | None = "negative",
    status: CodeStatus = CodeStatus.CONFIRMED,
    field: str = "comment",
    coder_id: int | None = None,
) -> TextSegment:
    """A text segment from a source, analysed, with one theme code as an analyst left it."""
    segment = TextSegment(
        partnership_id=partnership_id,
        source_type=source,
        source_id=secrets.token_hex(6),
        field=field,
        field_label=field.replace("_", " ").capitalize(),
        respondent_key=respondent,
        occurred_on=on,
        text=text,
        sentiment=sentiment,
        polarity={"negative": -0.4, "positive": 0.4}.get(sentiment or "", 0.0),
    )
    db.session.add(segment)
    db.session.flush()
    db.session.add(
        SegmentCode(
            segment_id=segment.id,
            theme_key=theme,
            confidence=0.9,
            status=status,
            coder_id=coder_id,
        )
    )
    db.session.commit()
    return segment


def survey_with_answers(
    partnership: Any,
    people: list[Any],
    answers: list[dict[str, Any]],
    *,
    on: date,
    definition: dict[str, Any] = SHARING_SURVEY,
    purpose: str = "survey",
) -> Any:
    """A campaign (a staff survey unless another purpose is given) with these answers, all
    submitted on one day."""
    version = published_version(
        partnership, {**definition, "key": f"{definition['key']}_{secrets.token_hex(4)}"}
    )
    opens = datetime.combine(on, time(9), UTC) - timedelta(days=7)
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title=f"Staff survey {on:%B %Y}",
        mode="confidential",
        opens_at=opens,
        closes_at=opens + timedelta(days=21),
        audience={"person_ids": [p.id for p in people]},
        purpose=purpose,
    )
    with clock.frozen_at(opens - timedelta(days=1)):
        campaign = campaign_service.create_campaign(partnership, spec, None)
    for answer in answers:
        db.session.add(
            Response(
                id=secrets.token_hex(16),
                campaign_id=campaign.id,
                instrument_version_id=version.id,
                submitted_on=on,
                answers=answer,
            )
        )
    db.session.commit()
    return campaign
