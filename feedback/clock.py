"""The one source of time, so tests and `jobs run-due --now` can move it on."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def wall_now() -> datetime:
    """Real time, never frozen or moved on: for leases that measure how long a process has been
    silent (the scheduler lock). Moving the clock to 2027 for `jobs run-due --now` must not set a
    lock to expire in 2027, which would block every scheduler until then."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return now().date()


def set_now(moment: datetime | None) -> None:
    """Fix the clock at a moment (aware; naive is taken as UTC), or release it with None."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    _frozen = moment.astimezone(UTC) if moment is not None else None


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Run a block with the clock fixed, restoring what it was afterwards."""
    before = _frozen
    set_now(moment)
    try:
        yield
    finally:
        set_now(before)
