"""Domain operations shared by pages, the API and jobs; each state change is one transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy.orm as so

from feedback.extensions import db


class ServiceError(Exception):
    """A request the domain refuses, with a message fit to show the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    """The record does not exist, or is not the caller's to see."""


def whole_number_or_none(text: str | None, *, max_digits: int = 18) -> int | None:
    """The number written in text as 1 to max_digits ASCII digits, else None.

    Use it, not str.isdigit(), before int() on anything a request carries: isdigit() is also
    true for "²", which int() refuses (a 500), and for "١٢", which int() reads as 12. The
    default of 18 digits keeps the number within a 64-bit database integer.
    """
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


@contextmanager
def transaction() -> Iterator[so.Session]:
    """Commit everything written inside the block, or nothing if it raises."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
