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


@contextmanager
def transaction() -> Iterator[so.Session]:
    """Commit everything written inside the block, or nothing if it raises."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
