"""The partnership's editable codebook: seeding, adding, editing, merging and retiring themes.

Every change is a ThemeChange (the codebook's history) and an audit event, written in the same
transaction, and bumps the partnership's codebook version: that marks every segment for the
analysis job to code again in the background. Re-coding replaces only suggestions, never an
analyst's decision (see feedback.services.text_analysis).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from analysis.text import SEED_CODEBOOK, CompiledCodebook, Theme, compile_codebook
from analysis.text.codebook import theme_from_dict
from feedback import clock
from feedback.extensions import db
from feedback.models import TextSegment, User
from feedback.models.codebook import (
    CodebookState,
    CodebookTheme,
    CodeStatus,
    SegmentCode,
    ThemeChange,
    ThemeStatus,
)
from feedback.services import NotFound, ServiceError, audit, transaction

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
MAX_LABEL = 120
MAX_INDICATOR = 100
MAX_INDICATORS = 200
PRIORITIES = {1: "High", 2: "Medium", 3: "Low"}


# -- Reading -------------------------------------------------------------------------------------


def ensure_codebook(partnership_id: int) -> bool:
    """Give a partnership the standard codebook if it has none yet; True when it was added.

    Called lazily by every reader and by the demo seed; commits only when it adds something.
    """
    exists = db.session.scalar(
        sa.select(CodebookTheme.id).where(CodebookTheme.partnership_id == partnership_id).limit(1)
    )
    if exists is not None:
        return False
    with transaction():
        for theme in SEED_CODEBOOK:
            db.session.add(
                CodebookTheme(
                    partnership_id=partnership_id,
                    key=theme.key,
                    label=theme.label,
                    description=theme.description,
                    priority=theme.priority,
                    indicators=list(theme.indicators),
                    weak_indicators=list(theme.weak_indicators),
                )
            )
        if db.session.get(CodebookState, partnership_id) is None:
            db.session.add(CodebookState(partnership_id=partnership_id, version=1))
        audit.record(
            "codebook.seed",
            partnership_id=partnership_id,
            record_type="codebook",
            detail={"themes": len(SEED_CODEBOOK)},
        )
    return True


def list_themes(partnership_id: int, *, active_only: bool = False) -> list[CodebookTheme]:
    """The partnership's themes: in use first, then by priority and label."""
    ensure_codebook(partnership_id)
    query = sa.select(CodebookTheme).where(CodebookTheme.partnership_id == partnership_id)
    if active_only:
        query = query.where(CodebookTheme.status == ThemeStatus.ACTIVE)
    themes = list(db.session.scalars(query))
    order = {ThemeStatus.ACTIVE: 0, ThemeStatus.RETIRED: 1, ThemeStatus.MERGED: 2}
    themes.sort(key=lambda t: (order[t.status], t.priority, t.label.lower()))
    return themes


def labels(partnership_id: int) -> dict[str, str]:
    """Theme key -> label, for every theme the partnership has ever had."""
    return {t.key: t.label for t in list_themes(partnership_id)}


def get_theme(partnership_id: int, key: str) -> CodebookTheme:
    """One of the partnership's themes by key; NotFound for another partnership's or none."""
    ensure_codebook(partnership_id)
    theme = db.session.scalar(
        sa.select(CodebookTheme).where(
            CodebookTheme.partnership_id == partnership_id, CodebookTheme.key == key
        )
    )
    if theme is None:
        raise NotFound(f"There is no theme {key!r} in the codebook")
    return theme


def as_analysis_theme(theme: CodebookTheme) -> Theme:
    """The stored theme as analysis.text's Theme (validated on the way)."""
    return theme_from_dict(
        {
            "key": theme.key,
            "label": theme.label,
            "description": theme.description or "",
            "priority": theme.priority,
            "indicators": theme.indicators or [],
            "weak_indicators": theme.weak_indicators or [],
        },
        where=f"theme {theme.key}",
    )


def active_codebook(partnership_id: int) -> tuple[Theme, ...]:
    """The themes in use, ready for analysis.text (stored order, so the compile cache hits)."""
    ensure_codebook(partnership_id)
    rows = db.session.scalars(
        sa.select(CodebookTheme)
        .where(
            CodebookTheme.partnership_id == partnership_id,
            CodebookTheme.status == ThemeStatus.ACTIVE,
        )
        .order_by(CodebookTheme.id)
    )
    themes = []
    for row in rows:
        try:
            themes.append(as_analysis_theme(row))
        except ValueError:
            continue  # a theme with no indicators left cannot suggest anything
    return tuple(themes)


def compiled_codebook(partnership_id: int) -> CompiledCodebook:
    """The partnership's codebook compiled for matching (cached while it is unchanged)."""
    return compile_codebook(active_codebook(partnership_id))


def version(partnership_id: int) -> int:
    """The codebook's version number: it goes up with every change."""
    state = db.session.get(CodebookState, partnership_id)
    return state.version if state is not None else 0


def confirmed_counts(partnership_id: int) -> dict[str, int]:
    """Theme key -> number of segments where an analyst confirmed the theme."""
    rows = db.session.execute(
        sa.select(SegmentCode.theme_key, sa.func.count())
        .join(TextSegment, TextSegment.id == SegmentCode.segment_id)
        .where(
            TextSegment.partnership_id == partnership_id,
            SegmentCode.coder_id.is_(None),
            SegmentCode.status == CodeStatus.CONFIRMED,
        )
        .group_by(SegmentCode.theme_key)
    )
    return {key: count for key, count in rows}


def history(partnership_id: int, key: str | None = None, limit: int = 50) -> list[ThemeChange]:
    """The most recent codebook changes, newest first (for one theme when key is given)."""
    query = sa.select(ThemeChange).where(ThemeChange.partnership_id == partnership_id)
    if key is not None:
        query = query.where(ThemeChange.theme_key == key)
    return list(
        db.session.scalars(query.order_by(ThemeChange.changed_at.desc(), ThemeChange.id.desc()))
    )[:limit]


# -- Changing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeSpec:
    """What an analyst enters for a theme (indicators one per item, already split)."""

    label: str
    description: str = ""
    priority: int = 2
    indicators: tuple[str, ...] = ()
    weak_indicators: tuple[str, ...] = ()
    key: str | None = None


def split_indicators(text: str | None) -> tuple[str, ...]:
    """Indicators typed one per line (or separated by semicolons), trimmed, repeats dropped."""
    seen: dict[str, str] = {}
    for part in re.split(r"[\n;]", text or ""):
        phrase = " ".join(part.split())
        if phrase and phrase.lower() not in seen:
            seen[phrase.lower()] = phrase
    return tuple(seen.values())


def key_from_label(label: str) -> str:
    """A theme key made from its label: "Food poverty" -> "food_poverty"."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if key and not key[0].isalpha():
        key = f"theme_{key}"
    return key[:60]


def _clean(spec: ThemeSpec) -> ThemeSpec:
    label = " ".join((spec.label or "").split())
    if not label:
        raise ServiceError("Enter a name for the theme", field="label")
    if len(label) > MAX_LABEL:
        raise ServiceError(
            f"The theme's name must be {MAX_LABEL} characters or fewer", field="label"
        )
    if spec.priority not in PRIORITIES:
        raise ServiceError("Choose a priority: high, medium or low", field="priority")
    for field, phrases in (
        ("indicators", spec.indicators),
        ("weak_indicators", spec.weak_indicators),
    ):
        if len(phrases) > MAX_INDICATORS:
            raise ServiceError(f"Enter {MAX_INDICATORS} indicators or fewer", field=field)
        for phrase in phrases:
            if len(phrase) > MAX_INDICATOR:
                raise ServiceError(
                    f"Indicator {phrase[:30]!r}… is longer than {MAX_INDICATOR} characters",
                    field=field,
                )
    if not spec.indicators and not spec.weak_indicators:
        raise ServiceError(
            "Enter at least one indicator: a word or phrase that shows the theme",
            field="indicators",
        )
    overlap = {p.lower() for p in spec.indicators} & {p.lower() for p in spec.weak_indicators}
    if overlap:
        raise ServiceError(
            f"{sorted(overlap)[0]!r} is listed as both a strong and a weak indicator: keep one",
            field="weak_indicators",
        )
    return ThemeSpec(
        label=label,
        description=(spec.description or "").strip(),
        priority=spec.priority,
        indicators=tuple(spec.indicators),
        weak_indicators=tuple(spec.weak_indicators),
        key=spec.key,
    )


def _snapshot(theme: CodebookTheme) -> dict[str, Any]:
    return {
        "label": theme.label,
        "description": theme.description,
        "priority": theme.priority,
        "indicators": list(theme.indicators or []),
        "weak_indicators": list(theme.weak_indicators or []),
        "status": theme.status.value,
        "merged_into_key": theme.merged_into_key,
    }


def _record(
    partnership_id: int,
    key: str,
    change: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    user: User | None,
) -> None:
    db.session.add(
        ThemeChange(
            partnership_id=partnership_id,
            theme_key=key,
            change=change,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
            user_id=user.id if user is not None else None,
        )
    )
    audit.record(
        f"codebook.{change}",
        user=user,
        partnership_id=partnership_id,
        record_type="codebook_theme",
        record_id=key,
        detail={
            "before": dict(before) if before else None,
            "after": dict(after) if after else None,
        },
    )


def bump_version(partnership_id: int) -> int:
    """A new codebook version: every segment is queued to be coded again (suggestions only).

    The state row is locked first, so an analysis batch that coded with the old codebook and
    checks the version under the same lock before committing cannot keep its results.
    """
    state = db.session.scalar(
        sa.select(CodebookState)
        .where(CodebookState.partnership_id == partnership_id)
        .with_for_update()
    )
    if state is None:
        state = CodebookState(partnership_id=partnership_id, version=1)
        db.session.add(state)
    state.version = (state.version or 0) + 1
    state.changed_at = clock.now()
    db.session.flush()
    db.session.execute(
        sa.update(TextSegment)
        .where(TextSegment.partnership_id == partnership_id)
        .values(analysed_at=None)
        .execution_options(synchronize_session=False)
    )
    return state.version


def add_theme(partnership_id: int, spec: ThemeSpec, user: User | None) -> CodebookTheme:
    """Add a theme to the codebook; its key is made from the label unless given."""
    ensure_codebook(partnership_id)
    clean = _clean(spec)
    key = (spec.key or "").strip() or key_from_label(clean.label)
    if not KEY_PATTERN.match(key):
        raise ServiceError(
            "The key must start with a letter and use only lower-case letters, digits and "
            "underscores (2 to 60 characters)",
            field="key",
        )
    taken = db.session.scalar(
        sa.select(CodebookTheme.status).where(
            CodebookTheme.partnership_id == partnership_id, CodebookTheme.key == key
        )
    )
    if taken is not None:
        raise ServiceError(
            f"The codebook already has a theme with the key {key!r} ({taken.label.lower()}): "
            "choose another name or key",
            field="key" if spec.key else "label",
        )
    with transaction():
        theme = CodebookTheme(
            partnership_id=partnership_id,
            key=key,
            label=clean.label,
            description=clean.description,
            priority=clean.priority,
            indicators=list(clean.indicators),
            weak_indicators=list(clean.weak_indicators),
            status=ThemeStatus.ACTIVE,
        )
        db.session.add(theme)
        db.session.flush()
        _record(partnership_id, key, "added", None, _snapshot(theme), user)
        bump_version(partnership_id)
    return theme


def edit_theme(theme: CodebookTheme, spec: ThemeSpec, user: User | None) -> list[str]:
    """Change a theme's name, description, priority or indicators; returns what changed."""
    if theme.status == ThemeStatus.MERGED:
        raise ServiceError(
            f"{theme.label} was merged into another theme and can no longer be edited"
        )
    clean = _clean(spec)
    before = _snapshot(theme)
    wanted = {
        "label": clean.label,
        "description": clean.description,
        "priority": clean.priority,
        "indicators": list(clean.indicators),
        "weak_indicators": list(clean.weak_indicators),
    }
    changed = [field for field, value in wanted.items() if before[field] != value]
    if not changed:
        return []
    with transaction():
        for field in changed:
            setattr(theme, field, wanted[field])
        kind = "renamed" if changed == ["label"] else "edited"
        _record(
            theme.partnership_id,
            theme.key,
            kind,
            {f: before[f] for f in changed},
            {f: wanted[f] for f in changed},
            user,
        )
        if {"indicators", "weak_indicators", "priority"} & set(changed):
            bump_version(theme.partnership_id)
    return changed


def retire_theme(theme: CodebookTheme, user: User | None) -> None:
    """Stop suggesting a theme; its confirmed codes and its history stay."""
    if theme.status != ThemeStatus.ACTIVE:
        raise ServiceError(f"{theme.label} is not in use, so it cannot be retired")
    with transaction():
        before = _snapshot(theme)
        theme.status = ThemeStatus.RETIRED
        _record(theme.partnership_id, theme.key, "retired", before, _snapshot(theme), user)
        bump_version(theme.partnership_id)


def restore_theme(theme: CodebookTheme, user: User | None) -> None:
    """Bring a retired theme back into use."""
    if theme.status == ThemeStatus.MERGED:
        raise ServiceError(
            f"{theme.label} was merged into another theme: its codes have moved there, so it "
            "cannot be restored. Add a new theme instead."
        )
    if theme.status != ThemeStatus.RETIRED:
        raise ServiceError(f"{theme.label} is already in use")
    with transaction():
        before = _snapshot(theme)
        theme.status = ThemeStatus.ACTIVE
        _record(theme.partnership_id, theme.key, "restored", before, _snapshot(theme), user)
        bump_version(theme.partnership_id)


def _merged_list(first: Iterable[str], second: Iterable[str]) -> list[str]:
    out: dict[str, str] = {}
    for phrase in (*first, *second):
        out.setdefault(phrase.lower(), phrase)
    return list(out.values())


@dataclass(frozen=True)
class MergeResult:
    moved: int
    combined: int
    indicators_added: int


def merge_theme(
    source: CodebookTheme,
    target: CodebookTheme,
    user: User | None,
    *,
    keep_indicators: bool = True,
) -> MergeResult:
    """Merge `source` into `target`: its decided codes move to target, it is marked merged.

    For each segment (and each blind coder) the source's code moves to the target unless the
    target already has one there: then a confirmation of either wins, and the source's code is
    dropped. The source's open suggestions are dropped; the re-coding that follows suggests
    the target wherever its indicators (with the source's, when kept) match.
    """
    if source.partnership_id != target.partnership_id:
        raise NotFound("There is no such theme in the codebook")
    if source.key == target.key:
        raise ServiceError("Choose a different theme to merge into", field="target")
    if source.status == ThemeStatus.MERGED:
        raise ServiceError(f"{source.label} has already been merged into another theme")
    if target.status != ThemeStatus.ACTIVE:
        raise ServiceError(
            f"{target.label} is not in use: merge into a theme in use", field="target"
        )
    moved = combined = 0
    with transaction():
        codes = list(
            db.session.scalars(
                sa.select(SegmentCode)
                .join(TextSegment, TextSegment.id == SegmentCode.segment_id)
                .where(
                    TextSegment.partnership_id == source.partnership_id,
                    SegmentCode.theme_key == source.key,
                )
            )
        )
        targets = {
            (c.segment_id, c.coder_id): c
            for c in db.session.scalars(
                sa.select(SegmentCode).where(
                    SegmentCode.theme_key == target.key,
                    SegmentCode.segment_id.in_({c.segment_id for c in codes} or {-1}),
                )
            )
        }
        for code in codes:
            if code.status == CodeStatus.SUGGESTED:
                db.session.delete(code)
                continue
            existing = targets.get((code.segment_id, code.coder_id))
            if existing is None:
                code.theme_key = target.key
                moved += 1
                continue
            if code.status == CodeStatus.CONFIRMED and existing.status != CodeStatus.CONFIRMED:
                existing.status = CodeStatus.CONFIRMED
                existing.decided_by_id = code.decided_by_id
                existing.decided_at = code.decided_at or clock.now()
            db.session.delete(code)
            combined += 1
        added = 0
        if keep_indicators:
            before_target = _snapshot(target)
            strong = _merged_list(target.indicators or [], source.indicators or [])
            weak = [
                p
                for p in _merged_list(target.weak_indicators or [], source.weak_indicators or [])
                if p.lower() not in {s.lower() for s in strong}
            ]
            added = (
                len(strong)
                + len(weak)
                - len(before_target["indicators"])
                - len(before_target["weak_indicators"])
            )
            if added:
                target.indicators = strong
                target.weak_indicators = weak
                _record(
                    target.partnership_id,
                    target.key,
                    "edited",
                    {k: before_target[k] for k in ("indicators", "weak_indicators")},
                    {"indicators": strong, "weak_indicators": weak, "merged_from": source.key},
                    user,
                )
        before = _snapshot(source)
        source.status = ThemeStatus.MERGED
        source.merged_into_key = target.key
        after = {**_snapshot(source), "codes_moved": moved, "codes_combined": combined}
        _record(source.partnership_id, source.key, "merged", before, after, user)
        db.session.flush()
        bump_version(source.partnership_id)
    return MergeResult(moved, combined, added)
