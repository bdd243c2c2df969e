"""Free text into text segments: the one path every source's words take to the theme pipeline.

A source (a survey response, a visit, a forum's notes, a voice record, an audit) hands over its
current free texts with `replace_for_source`. Segments whose field and text are unchanged are
kept, with whatever analysis and coding they already have; changed or removed ones go; new ones
arrive unanalysed, for the analysis job to pick up. Call it inside the caller's transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import SourceType, TextSegment


@dataclass(frozen=True)
class SegmentText:
    """One free text of a source: which field it answers and what it says."""

    field: str
    text: str
    field_label: str | None = None


def replace_for_source(
    partnership_id: int,
    source_type: SourceType,
    source_id: object,
    texts: Iterable[SegmentText],
    *,
    occurred_on: date,
    agency_id: int | None = None,
    respondent_key: str | None = None,
    campaign_id: int | None = None,
    course_id: int | None = None,
) -> list[TextSegment]:
    """Make the source's segments exactly `texts` (blank ones skipped); returns them in order."""
    wanted = [
        SegmentText(t.field, t.text.strip(), t.field_label)
        for t in texts
        if t.text and t.text.strip()
    ]
    existing = for_source(source_type, source_id)
    kept: dict[tuple[str, str], TextSegment] = {}
    for segment in existing:
        key = (segment.field, segment.text)
        if key in kept or key not in {(t.field, t.text) for t in wanted}:
            db.session.delete(segment)
        else:
            kept[key] = segment
    result = []
    for item in wanted:
        segment = kept.pop((item.field, item.text), None)
        if segment is None:
            segment = TextSegment(
                partnership_id=partnership_id,
                source_type=source_type,
                source_id=str(source_id),
                field=item.field,
                text=item.text,
            )
            db.session.add(segment)
        segment.field_label = item.field_label
        segment.occurred_on = occurred_on
        segment.agency_id = agency_id
        segment.respondent_key = respondent_key
        segment.campaign_id = campaign_id
        segment.course_id = course_id
        result.append(segment)
    db.session.flush()
    return result


def for_source(source_type: SourceType, source_id: object) -> list[TextSegment]:
    """The source's segments, oldest first."""
    return list(
        db.session.scalars(
            sa.select(TextSegment)
            .where(TextSegment.source_type == source_type, TextSegment.source_id == str(source_id))
            .order_by(TextSegment.id)
        )
    )


def delete_for_source(source_type: SourceType, source_id: object) -> int:
    """Remove every segment of a source (a record deleted, or consent withdrawn)."""
    segments = for_source(source_type, source_id)
    for segment in segments:
        db.session.delete(segment)
    db.session.flush()
    return len(segments)
