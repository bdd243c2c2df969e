"""Demo data for learning: the codebook, the analysed text, analysts' decisions, a blind sample.

Runs last, after the visits, voice and records seeds, so every source's segments are there.
Idempotent: decisions follow a fixed rule per segment (about three in four segments decided, the
rest left waiting for the analyst's home page), so a second run finds nothing left to do.
"""

import random

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from feedback.extensions import db
from feedback.models import Partnership, Role, TextSegment, User
from feedback.models.codebook import CodeStatus, CodingSample, SegmentCode
from feedback.services import codebook, coding, text_analysis

SECOND_ANALYST = "analyst2"
SAMPLE_NAME = "Demo agreement check"
SAMPLE_SIZE = 30
#: Suggestions at or above this confidence are confirmed by the demo analyst; below, rejected.
CONFIRM_FROM = 0.65


def _leave_waiting(segment_id: int) -> bool:
    """About one segment in four is left for the analyst (a fixed rule, so reruns agree)."""
    return (segment_id * 2654435761) % 97 < 24


def _analyst(partnership: Partnership, local: str, name: str) -> tuple[User, int]:
    from feedback.seed import DEMO_DOMAIN, DEMO_PASSWORD

    email = f"{local}@{DEMO_DOMAIN}"
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        return user, 0
    user = User(
        partnership_id=partnership.id,
        email=email,
        role=Role.ANALYST,
        name=name,
        password_hash=generate_password_hash(DEMO_PASSWORD),
    )
    db.session.add(user)
    db.session.flush()
    return user, 1


def _decide(partnership: Partnership, analyst: User) -> int:
    """Confirm confident suggestions and reject weak ones on most segments."""
    from feedback import clock

    now = clock.now()
    changed = 0
    codes = db.session.scalars(
        sa.select(SegmentCode)
        .join(TextSegment, TextSegment.id == SegmentCode.segment_id)
        .where(
            TextSegment.partnership_id == partnership.id,
            SegmentCode.coder_id.is_(None),
            SegmentCode.status == CodeStatus.SUGGESTED,
        )
        .order_by(SegmentCode.id)
    ).all()
    for code in codes:
        if _leave_waiting(code.segment_id):
            continue
        confident = (code.confidence or 0) >= CONFIRM_FROM
        code.status = CodeStatus.CONFIRMED if confident else CodeStatus.REJECTED
        code.decided_by_id = analyst.id
        code.decided_at = now
        changed += 1
    db.session.flush()
    return changed


def _blind_sample(partnership: Partnership, first: User, second: User, rng: random.Random) -> int:
    """One sample of 30 comments coded by both demo analysts, mostly but not always alike."""
    exists = db.session.scalar(
        sa.select(CodingSample.id).where(
            CodingSample.partnership_id == partnership.id, CodingSample.name == SAMPLE_NAME
        )
    )
    if exists is not None:
        return 0
    analysed = db.session.scalar(
        sa.select(sa.func.count()).where(
            TextSegment.partnership_id == partnership.id, TextSegment.analysed_at.is_not(None)
        )
    )
    if not analysed:
        return 0
    sample = coding.draw_sample(
        partnership.id, SAMPLE_NAME, SAMPLE_SIZE, coding.SegmentFilters(), first, rng=rng
    )
    keys = [t.key for t in codebook.list_themes(partnership.id, active_only=True)]
    added = 1
    for member in sample.members:
        suggested = set(
            db.session.scalars(
                sa.select(SegmentCode.theme_key).where(
                    SegmentCode.segment_id == member.segment_id,
                    SegmentCode.coder_id.is_(None),
                    SegmentCode.status != CodeStatus.REJECTED,
                    SegmentCode.confidence >= 0.5,
                )
            )
        )
        mine = set(suggested)
        theirs = {k for k in suggested if rng.random() > 0.15}
        if rng.random() < 0.12:
            theirs.add(rng.choice(keys))
        if rng.random() < 0.08:
            mine.add(rng.choice(keys))
        for user, themes in ((first, mine), (second, theirs)):
            coding.record_blind_coding(sample, member.segment_id, user, sorted(themes))
            added += 1 + len(themes)
    return added


def seed(partnership: Partnership, rng: random.Random) -> int:
    """Add what is missing; return how many records were added (0 when run again)."""
    added = 20 if codebook.ensure_codebook(partnership.id) else 0
    first = db.session.scalar(
        sa.select(User)
        .where(User.partnership_id == partnership.id, User.role == Role.ANALYST)
        .order_by(User.id)
    )
    if first is None:
        first, count = _analyst(partnership, "analyst", "Demo analyst")
        added += count
    second, count = _analyst(partnership, SECOND_ANALYST, "Second demo analyst")
    added += count
    before = db.session.scalar(
        sa.select(sa.func.count()).where(TextSegment.partnership_id == partnership.id)
    )
    text_analysis.segment_new_responses(None)  # type: ignore[arg-type]
    text_analysis.analyse_partnership(partnership.id)
    after = db.session.scalar(
        sa.select(sa.func.count()).where(TextSegment.partnership_id == partnership.id)
    )
    added += (after or 0) - (before or 0)
    added += _decide(partnership, first)
    added += _blind_sample(partnership, first, second, rng)
    return added
