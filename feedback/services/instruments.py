"""Survey instruments: creating, copying from the library, editing drafts, publishing, XLSForm.

A published version never changes: the first edit after publishing starts the next version as
a draft copy, and there is at most one draft. Later capabilities (campaigns, the respondent
journey) use get_published_version() and record the InstrumentVersion id on each response.
"""

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

import forms
from feedback.extensions import db
from feedback.models import (
    Instrument,
    InstrumentVersion,
    Partnership,
    User,
)
from feedback.services import NotFound, ServiceError, audit, transaction
from forms import library
from forms.problems import Problem

#: Example learning outcomes shown in previews where a course's own will go.
EXAMPLE_OUTCOMES = ["Example learning outcome one", "Example learning outcome two"]

MAX_TITLE = 200


class InvalidDefinition(ServiceError):
    """A definition with problems, each located by its path (pages[1].questions[3].label)."""

    def __init__(self, message: str, problems: list[Problem]):
        super().__init__(message)
        self.problems = list(problems)

    @property
    def details(self) -> list[dict[str, str]]:
        """The problems in the API's error-detail shape."""
        return [{"path": p.path, "message": p.message} for p in self.problems]


@dataclass
class ImportResult:
    """What an XLSForm upload made: the version, and anything worth knowing that did not stop it."""

    version: InstrumentVersion
    created: bool
    warnings: list[Problem] = field(default_factory=list)


# -- reading ------------------------------------------------------------------------------------


def check(definition: Any) -> list[Problem]:
    """Every problem that stops a definition being published (theme tags must be in the codebook).

    Course placeholders ("from_course") are allowed: a campaign fills them with the course's
    learning outcomes and checks again with allow_placeholders=False before it starts.
    """
    return forms.validate(definition, forms.THEMES)


def _instruments(partnership: Partnership) -> sa.Select[tuple[Instrument]]:
    return (
        sa.select(Instrument)
        .where(Instrument.partnership_id == partnership.id)
        .options(so.selectinload(Instrument.versions))
    )


def list_instruments(
    partnership: Partnership, *, include_archived: bool = True
) -> list[Instrument]:
    """The partnership's instruments by title, each with its versions loaded."""
    stmt = _instruments(partnership).order_by(Instrument.archived, Instrument.title, Instrument.id)
    if not include_archived:
        stmt = stmt.where(Instrument.archived.is_(False))
    return list(db.session.scalars(stmt))


def library_not_copied(partnership: Partnership) -> list[tuple[str, str]]:
    """(key, title) of each standard instrument the partnership has not copied in yet."""
    taken = set(
        db.session.scalars(
            sa.select(Instrument.key).where(Instrument.partnership_id == partnership.id)
        )
    )
    standard = library.keys()
    return [(key, library.load(key)["title"]) for key in standard if key not in taken]


def get_instrument(partnership: Partnership, instrument_id: int) -> Instrument:
    """The partnership's instrument; NotFound for an unknown id or another partnership's."""
    instrument = db.session.scalar(_instruments(partnership).where(Instrument.id == instrument_id))
    if instrument is None:
        raise NotFound(f"There is no instrument with id {instrument_id}", field="id")
    return instrument


def get_version(
    partnership: Partnership, instrument_id: int, number: int | None = None
) -> InstrumentVersion:
    """A version by number, or the latest (the draft when there is one)."""
    instrument = get_instrument(partnership, instrument_id)
    version = instrument.latest if number is None else instrument.version(number)
    if version is None:
        raise NotFound(
            f"Instrument {instrument_id} has no version {number}"
            if number is not None
            else f"Instrument {instrument_id} has no versions",
            field="version",
        )
    return version


def get_published_version(
    partnership: Partnership, instrument_id: int, number: int | None = None
) -> InstrumentVersion:
    """The version to send out: a published one by number, or the latest published.

    Campaigns call this and keep the version's id; responses record it, so what a respondent
    answered is always known exactly. NotFound when nothing (or not that number) is published.
    """
    instrument = get_instrument(partnership, instrument_id)
    if number is None:
        version = instrument.latest_published
    else:
        version = instrument.version(number)
        version = version if version is not None and version.is_published else None
    if version is None:
        raise NotFound(
            f"Instrument {instrument_id} has no published version"
            + (f" {number}" if number is not None else ""),
            field="version",
        )
    return version


def get_version_by_id(partnership: Partnership, version_id: int) -> InstrumentVersion:
    """A version by its own id (as a response records it); NotFound if not the partnership's."""
    version = db.session.scalar(
        sa.select(InstrumentVersion).where(
            InstrumentVersion.id == version_id,
            InstrumentVersion.partnership_id == partnership.id,
        )
    )
    if version is None:
        raise NotFound(f"There is no instrument version with id {version_id}", field="id")
    return version


def has_placeholders(definition: dict[str, Any]) -> bool:
    """Whether a definition still holds a course's learning-outcome placeholder."""
    try:
        return any(
            q.get("outcomes") == forms.FROM_COURSE or q.get("rows") == forms.FROM_COURSE
            for _, q in forms.iter_questions(definition)
        )
    except (KeyError, TypeError, AttributeError):
        return False


def preview_definition(version: InstrumentVersion) -> dict[str, Any]:
    """The definition as a respondent would meet it, with example outcomes where a course's go."""
    definition = version.definition
    if has_placeholders(definition):
        return forms.with_learning_outcomes(definition, EXAMPLE_OUTCOMES)
    return definition


# -- creating -----------------------------------------------------------------------------------


def _title_of(definition: dict[str, Any], fallback: str) -> str:
    title = definition.get("title") if isinstance(definition, dict) else None
    if not isinstance(title, str) or not title.strip():
        return fallback
    return title.strip()[:MAX_TITLE]


def _key_is_free(partnership: Partnership, key: str) -> None:
    exists = db.session.scalar(
        sa.select(Instrument.id).where(
            Instrument.partnership_id == partnership.id, Instrument.key == key
        )
    )
    if exists is not None:
        raise ServiceError(
            f"There is already an instrument with the key '{key}': choose another key, "
            "or edit that instrument",
            field="key",
        )


def _refuse_invalid(definition: Any, doing: str) -> None:
    problems = check(definition)
    if problems:
        count = len(problems)
        raise InvalidDefinition(
            f"The definition has {count} problem{'' if count == 1 else 's'}, so it cannot be "
            f"{doing}",
            problems,
        )


def create_instrument(
    partnership: Partnership,
    definition: dict[str, Any],
    actor: User | None,
    *,
    source: str | None = None,
    publish: bool = False,
    action: str | None = None,
) -> InstrumentVersion:
    """A new instrument whose version 1 is this definition (published at once if asked).

    The definition must have no problems (InvalidDefinition lists them); its key must be new
    to the partnership.
    """
    _refuse_invalid(definition, "saved")
    key = definition["key"]
    _key_is_free(partnership, key)
    with transaction():
        version = _new_instrument(partnership, definition, actor, source=source)
        if publish:
            version.publish()
        audit.record(
            action or ("instrument.copy" if source else "instrument.create"),
            user=actor,
            partnership_id=partnership.id,
            record_type="instrument",
            record_id=version.instrument.id,
            detail={"key": key, "version": version.number, "published": publish},
        )
    return version


def _new_instrument(
    partnership: Partnership,
    definition: dict[str, Any],
    actor: User | None,
    *,
    source: str | None,
) -> InstrumentVersion:
    instrument = Instrument(
        partnership_id=partnership.id,
        key=definition["key"],
        title=_title_of(definition, definition["key"]),
        source=source,
    )
    db.session.add(instrument)
    version = instrument.start_draft(actor)
    version.definition = copy.deepcopy(definition)
    db.session.flush()
    return version


KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def create_blank(
    partnership: Partnership, key: str, title: str, actor: User | None
) -> InstrumentVersion:
    """A new draft with one empty page, to be designed question by question."""
    key = (key or "").strip()
    title = (title or "").strip()
    if not title:
        raise ServiceError("Enter a title", field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(f"Title must be {MAX_TITLE} characters or fewer", field="title")
    if not KEY_PATTERN.fullmatch(key):
        raise ServiceError(
            "Key must be lower-case letters, digits and underscores, starting with a letter "
            "(up to 64), for example staff_survey_2026",
            field="key",
        )
    _key_is_free(partnership, key)
    definition = {
        "schema_version": forms.SCHEMA_VERSION,
        "key": key,
        "title": title,
        "pages": [{"key": "page_1", "title": "Page 1", "questions": []}],
    }
    with transaction():
        version = _new_instrument(partnership, definition, actor, source=None)
        audit.record(
            "instrument.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="instrument",
            record_id=version.instrument.id,
            detail={"key": key, "version": 1, "published": False},
        )
    return version


def copy_from_library(
    partnership: Partnership, library_key: str, actor: User | None, *, publish: bool = False
) -> InstrumentVersion:
    """Copy a standard instrument in as the partnership's own (version 1, a draft unless asked)."""
    try:
        definition = library.load(library_key)
    except KeyError:
        raise ServiceError(
            f"There is no standard instrument called '{library_key}'", field="library_key"
        ) from None
    return create_instrument(partnership, definition, actor, source=library_key, publish=publish)


# -- editing a draft ----------------------------------------------------------------------------


def edit(
    partnership: Partnership,
    instrument_id: int,
    change: Callable[[dict[str, Any]], None],
    actor: User | None,
    *,
    what: str,
) -> InstrumentVersion:
    """Apply change to a copy of the draft's definition (starting a draft if needed) and save it.

    change may raise ServiceError to refuse; then nothing is written, not even a new draft.
    """
    instrument = get_instrument(partnership, instrument_id)
    if instrument.archived:
        raise ServiceError("This instrument is archived: restore it before editing")
    base = instrument.latest
    definition = copy.deepcopy(base.definition) if base is not None else {}
    change(definition)
    try:
        with transaction():
            draft = instrument.start_draft(actor)
            draft.replace_definition(definition)
            instrument.title = _title_of(definition, instrument.title)
            db.session.flush()
            audit.record(
                "instrument.edit",
                user=actor,
                partnership_id=partnership.id,
                record_type="instrument",
                record_id=instrument.id,
                detail={"change": what, "version": draft.number},
            )
    except sqlalchemy.exc.IntegrityError:
        # Two people started a draft at the same moment; the unique index let only one win.
        raise ServiceError(
            "Someone else changed this instrument at the same moment: reload it and try again"
        ) from None
    return draft


def _pages(definition: dict[str, Any]) -> list[dict[str, Any]]:
    pages = definition.get("pages")
    if not isinstance(pages, list):
        pages = definition["pages"] = []
    return pages


def _page(definition: dict[str, Any], page_index: int, expected_key: str | None) -> dict[str, Any]:
    pages = _pages(definition)
    if not 0 <= page_index < len(pages) or not isinstance(pages[page_index], dict):
        raise ServiceError(
            f"There is no page {page_index + 1}: reload the instrument", field="page"
        )
    page = pages[page_index]
    if expected_key is not None and page.get("key") != expected_key:
        raise ServiceError(
            "The instrument has changed since you opened this page: reload it and try again",
            field="page",
        )
    return page


def _questions(page: dict[str, Any]) -> list[Any]:
    questions = page.get("questions")
    if not isinstance(questions, list):
        questions = page["questions"] = []
    return questions


def _question_at(
    definition: dict[str, Any], page_index: int, question_index: int, expected_key: str | None
) -> tuple[list[Any], dict[str, Any]]:
    questions = _questions(_page(definition, page_index, None))
    if not 0 <= question_index < len(questions) or not isinstance(questions[question_index], dict):
        raise ServiceError(
            f"There is no question {question_index + 1} on page {page_index + 1}: reload the "
            "instrument",
            field="question",
        )
    question = questions[question_index]
    if expected_key is not None and question.get("key") != expected_key:
        raise ServiceError(
            "The instrument has changed since you opened this page: reload it and try again",
            field="question",
        )
    return questions, question


def _set_text(item: dict[str, Any], name: str, value: str | None) -> None:
    value = (value or "").strip()
    if value:
        item[name] = value
    else:
        item.pop(name, None)


def update_details(
    partnership: Partnership, instrument_id: int, title: str, intro: str | None, actor: User | None
) -> InstrumentVersion:
    """Change the title and introduction respondents see first."""
    title = (title or "").strip()
    if not title:
        raise ServiceError("Enter a title", field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(f"Title must be {MAX_TITLE} characters or fewer", field="title")

    def change(definition: dict[str, Any]) -> None:
        definition["title"] = title
        _set_text(definition, "intro", intro)

    return edit(partnership, instrument_id, change, actor, what="details")


def add_page(
    partnership: Partnership,
    instrument_id: int,
    key: str,
    title: str,
    intro: str | None,
    actor: User | None,
) -> InstrumentVersion:
    """Add a page at the end."""

    def change(definition: dict[str, Any]) -> None:
        page: dict[str, Any] = {"key": (key or "").strip(), "title": (title or "").strip()}
        _set_text(page, "intro", intro)
        page["questions"] = []
        _pages(definition).append(page)

    return edit(partnership, instrument_id, change, actor, what="page.add")


def update_page(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    expected_key: str | None,
    key: str,
    title: str,
    intro: str | None,
    actor: User | None,
) -> InstrumentVersion:
    """Change a page's key, title and introduction."""

    def change(definition: dict[str, Any]) -> None:
        page = _page(definition, page_index, expected_key)
        page["key"] = (key or "").strip()
        page["title"] = (title or "").strip()
        _set_text(page, "intro", intro)

    return edit(partnership, instrument_id, change, actor, what="page.update")


def move_page(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    expected_key: str | None,
    direction: str,
    actor: User | None,
) -> InstrumentVersion:
    """Swap a page with the one before ("up") or after ("down")."""

    def change(definition: dict[str, Any]) -> None:
        pages = _pages(definition)
        _page(definition, page_index, expected_key)
        other = page_index - 1 if direction == "up" else page_index + 1
        if direction not in ("up", "down") or not 0 <= other < len(pages):
            raise ServiceError("That page cannot move that way", field="page")
        pages[page_index], pages[other] = pages[other], pages[page_index]

    return edit(partnership, instrument_id, change, actor, what="page.move")


def delete_page(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    expected_key: str | None,
    actor: User | None,
) -> InstrumentVersion:
    """Remove a page and its questions from the draft."""

    def change(definition: dict[str, Any]) -> None:
        _page(definition, page_index, expected_key)
        del _pages(definition)[page_index]

    return edit(partnership, instrument_id, change, actor, what="page.delete")


def add_question(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    question: dict[str, Any],
    actor: User | None,
) -> InstrumentVersion:
    """Add a question at the end of a page."""

    def change(definition: dict[str, Any]) -> None:
        _questions(_page(definition, page_index, None)).append(copy.deepcopy(question))

    return edit(partnership, instrument_id, change, actor, what="question.add")


def update_question(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    question_index: int,
    expected_key: str | None,
    question: dict[str, Any],
    actor: User | None,
) -> InstrumentVersion:
    """Replace a question with its edited form."""

    def change(definition: dict[str, Any]) -> None:
        questions, _ = _question_at(definition, page_index, question_index, expected_key)
        questions[question_index] = copy.deepcopy(question)

    return edit(partnership, instrument_id, change, actor, what="question.update")


def move_question(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    question_index: int,
    expected_key: str | None,
    direction: str,
    actor: User | None,
) -> InstrumentVersion:
    """Move a question up or down; past the top or bottom of a page it joins the next page."""

    def change(definition: dict[str, Any]) -> None:
        questions, question = _question_at(definition, page_index, question_index, expected_key)
        pages = _pages(definition)
        if direction == "up" and question_index > 0:
            questions[question_index - 1], questions[question_index] = (
                question,
                questions[question_index - 1],
            )
        elif direction == "down" and question_index < len(questions) - 1:
            questions[question_index + 1], questions[question_index] = (
                question,
                questions[question_index + 1],
            )
        elif direction == "up" and page_index > 0:
            del questions[question_index]
            _questions(_page(definition, page_index - 1, None)).append(question)
        elif direction == "down" and page_index < len(pages) - 1:
            del questions[question_index]
            _questions(_page(definition, page_index + 1, None)).insert(0, question)
        else:
            raise ServiceError("That question cannot move that way", field="question")

    return edit(partnership, instrument_id, change, actor, what="question.move")


def delete_question(
    partnership: Partnership,
    instrument_id: int,
    page_index: int,
    question_index: int,
    expected_key: str | None,
    actor: User | None,
) -> InstrumentVersion:
    """Remove a question from the draft."""

    def change(definition: dict[str, Any]) -> None:
        questions, _ = _question_at(definition, page_index, question_index, expected_key)
        del questions[question_index]

    return edit(partnership, instrument_id, change, actor, what="question.delete")


def replace_definition(
    partnership: Partnership,
    instrument_id: int,
    definition: dict[str, Any],
    actor: User | None,
    *,
    what: str = "replace",
) -> InstrumentVersion:
    """Make a whole new definition the draft; it must have no problems and keep the same key."""
    instrument = get_instrument(partnership, instrument_id)
    _refuse_invalid(definition, "saved")
    if definition["key"] != instrument.key:
        raise InvalidDefinition(
            "The definition's key does not match the instrument",
            [Problem("key", f"must be '{instrument.key}', the key of this instrument")],
        )

    def change(current: dict[str, Any]) -> None:
        current.clear()
        current.update(copy.deepcopy(definition))

    return edit(partnership, instrument_id, change, actor, what=what)


# -- publishing and archiving --------------------------------------------------------------------


def publish(partnership: Partnership, instrument_id: int, actor: User | None) -> InstrumentVersion:
    """Publish the draft, freezing it; InvalidDefinition lists its problems if it has any."""
    instrument = get_instrument(partnership, instrument_id)
    draft = instrument.draft
    if draft is None:
        latest = instrument.latest
        number = latest.number if latest else 0
        raise ServiceError(
            f"There is no draft to publish: version {number} is already published. "
            "Edit the instrument to start a new version.",
            field="version",
        )
    _refuse_invalid(draft.definition, "published")
    with transaction():
        draft.publish()
        audit.record(
            "instrument.publish",
            user=actor,
            partnership_id=partnership.id,
            record_type="instrument",
            record_id=instrument.id,
            detail={"version": draft.number},
        )
    return draft


def set_archived(
    partnership: Partnership, instrument_id: int, archived: bool, actor: User | None
) -> Instrument:
    """Archive an instrument (kept, but no longer offered), or restore it."""
    instrument = get_instrument(partnership, instrument_id)
    with transaction():
        if archived:
            instrument.archive()
        else:
            instrument.restore()
        audit.record(
            "instrument.archive" if archived else "instrument.restore",
            user=actor,
            partnership_id=partnership.id,
            record_type="instrument",
            record_id=instrument.id,
        )
    return instrument


# -- XLSForm ------------------------------------------------------------------------------------


def xlsform_available() -> bool:
    """Whether the XLSForm converter (forms.xlsform) is installed in this build."""
    try:
        import forms.xlsform  # noqa: F401
    except ImportError:
        return False
    return True


def import_xlsform(partnership: Partnership, data: bytes, actor: User | None) -> ImportResult:
    """Read an XLSForm workbook into an instrument.

    A workbook whose form key is new becomes a new instrument (version 1, draft); one whose key
    matches an existing instrument becomes that instrument's draft, so a form downloaded,
    edited in Excel and uploaded again carries on as the next version. Problems that stop the
    import raise InvalidDefinition, located by sheet and row ("survey row 12").
    """
    from forms.xlsform import import_xlsform as read_workbook

    if not data:
        raise InvalidDefinition("The file is empty", [Problem("", "the file is empty")])
    result = read_workbook(data)
    if result.definition is None:
        count = len(result.problems)
        raise InvalidDefinition(
            f"The workbook could not be read as a form: {count} problem{'' if count == 1 else 's'}",
            result.problems or [Problem("", "the file is not an XLSForm workbook")],
        )
    definition = result.definition
    problems = check(definition)
    if problems:
        # The reader locates most problems by sheet and row already; keep the rest by path.
        located = " ".join(p.message for p in result.problems)
        problems = list(result.problems) + [p for p in problems if p.message not in located]
        raise InvalidDefinition(
            f"The form in the workbook has {len(problems)} "
            f"problem{'' if len(problems) == 1 else 's'}",
            problems,
        )
    existing = db.session.scalar(
        sa.select(Instrument.id).where(
            Instrument.partnership_id == partnership.id, Instrument.key == definition["key"]
        )
    )
    if existing is None:
        version = create_instrument(partnership, definition, actor, action="instrument.import")
        created = True
    else:
        version = replace_definition(partnership, existing, definition, actor, what="xlsform")
        created = False
    return ImportResult(version=version, created=created, warnings=list(result.problems))


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_xlsform(version: InstrumentVersion) -> tuple[bytes, str]:
    """The version as an XLSForm workbook, and a file name for it."""
    from forms.xlsform import export_xlsform as write_workbook

    data = write_workbook(version.definition)
    return data, f"{version.instrument.key}-v{version.number}.xlsx"
