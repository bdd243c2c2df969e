"""Demo data for learning (filled in by its capability)."""

import random

from feedback.models import Partnership


def seed(partnership: Partnership, rng: random.Random) -> int:
    """Add what is missing; return how many records were added (0 when run again)."""
    return 0
