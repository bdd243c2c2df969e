"""The partnership's standard instruments, shipped as JSON definitions beside this module."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def keys() -> list[str]:
    """The keys of every standard instrument, in alphabetical order."""
    folder = resources.files(__name__)
    return sorted(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


def load(key: str) -> dict[str, Any]:
    """A fresh copy of the standard instrument called key; KeyError if there is none."""
    if key not in keys():
        raise KeyError(f"there is no standard instrument called {key!r}")
    text = resources.files(__name__).joinpath(f"{key}.json").read_text(encoding="utf-8")
    return json.loads(text)
