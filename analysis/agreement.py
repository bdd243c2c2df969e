"""Agreement between two coders: Cohen's kappa, with the counts behind it.

Two analysts code the same segments blind. For each theme, every segment gives a pair of
decisions (did coder A apply the theme? did coder B?). Cohen's kappa compares the share of pairs
on which they agree (observed agreement, p_o) with the share they would agree on by chance given
how often each of them used each category (expected agreement, p_e):

    kappa = (p_o - p_e) / (1 - p_e)

1 is perfect agreement, 0 is no better than chance, below 0 worse than chance. When both coders
put every item in the same single category, p_e is 1 and kappa is undefined (0 / 0): it is
reported as None, with the observed agreement, rather than as a number it is not.
"""

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

#: Landis and Koch's (1977) words for ranges of kappa, lower bound first.
BANDS: tuple[tuple[float, str], ...] = (
    (0.81, "almost perfect"),
    (0.61, "substantial"),
    (0.41, "moderate"),
    (0.21, "fair"),
    (0.0, "slight"),
)


@dataclass(frozen=True)
class Agreement:
    """Cohen's kappa for two coders over n items, and what it was worked out from."""

    n: int
    #: Share of items both coders put in the same category; None when n is 0.
    observed: float | None
    #: Share expected to agree by chance from each coder's own category shares.
    expected: float | None
    #: None when undefined (no items, or both coders used one and the same category throughout).
    kappa: float | None
    #: (category of A, category of B) -> number of items.
    table: dict[tuple[Hashable, Hashable], int]

    @property
    def words(self) -> str:
        """How the kappa reads (Landis and Koch), for the page."""
        if self.kappa is None:
            return "not defined" if self.n else "no items"
        if self.kappa < 0:
            return "worse than chance"
        for lower, words in BANDS:
            if self.kappa >= lower:
                return words
        return "slight"  # pragma: no cover - 0 <= kappa is always in a band


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> Agreement:
    """Cohen's kappa for two coders' categories for the same items, in the same order."""
    if len(a) != len(b):
        raise ValueError(f"the coders rated different numbers of items: {len(a)} and {len(b)}")
    n = len(a)
    table = Counter(zip(a, b, strict=True))
    if n == 0:
        return Agreement(0, None, None, None, {})
    observed = sum(count for (x, y), count in table.items() if x == y) / n
    share_a, share_b = Counter(a), Counter(b)
    expected = sum(share_a[c] * share_b[c] for c in share_a) / (n * n)
    kappa = None if expected == 1 else (observed - expected) / (1 - expected)
    return Agreement(n, observed, expected, kappa, dict(table))


def binary_kappa(both: int, only_a: int, only_b: int, neither: int) -> Agreement:
    """Kappa for a yes/no decision from its 2 x 2 table: how many items both coders marked yes,
    only A, only B, and neither."""
    cells = {"both": both, "only A": only_a, "only B": only_b, "neither": neither}
    for name, count in cells.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name} must be a whole number of items, not {count!r}")
    a = [True] * (both + only_a) + [False] * (only_b + neither)
    b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return cohen_kappa(a, b)
