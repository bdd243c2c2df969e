"""The Problem record that definition validation reports, one per mistake found."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in an instrument definition, located by a path such as pages[1].questions[3]."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def join(path: str, part: str | int) -> str:
    """Extend a problem path with a key or a list index."""
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def shown(value: object, limit: int = 60) -> str:
    """A value quoted for a message, cut short so a huge or hostile value stays readable."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
