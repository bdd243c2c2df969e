"""Statistics for survey answers: Likert summaries, number summaries, change and group tests."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy import stats as scipy_stats

__all__ = [
    "DEFAULT_EXCLUDED",
    "MIN_PAIRS",
    "ZERO_METHOD",
    "GroupComparison",
    "LevelCount",
    "LikertSummary",
    "NumericSummary",
    "PairedChange",
    "likert_summary",
    "kruskal_wallis",
    "mann_whitney",
    "numeric_summary",
    "paired_change",
    "wilson_interval",
]

#: Answers that are real answers but sit outside the ordered scale, so they are counted
#: separately and left out of percentages, the median and percent agree.
DEFAULT_EXCLUDED: tuple[str, ...] = ("Don't know", "Not applicable", "Prefer not to say")

#: Fewest complete pairs for which paired_change reports a Wilcoxon p-value. With five or
#: fewer pairs the smallest two-sided p the test can reach is 2 / 2**5 = 0.0625, so no result
#: could ever be significant at 5% and a p-value would only invite over-reading.
MIN_PAIRS = 6

#: How paired_change treats pairs whose answer did not change. Pratt's method ranks the zero
#: differences with the rest and then leaves them out of the signed-rank sums. Dropping them
#: instead (Wilcoxon's "wilcox") would throw away the evidence that most staff did not move,
#: which on 5-point scales is usually the largest group, and overstate the change.
ZERO_METHOD = "pratt"


# --------------------------------------------------------------------------- intervals


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion, as (low, high) proportions between 0 and 1.

    Returns None when n is 0: with no answers there is nothing to estimate, and (0, 1) would
    look like a result on a report when it is not one.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"successes must be between 0 and n; got {successes} of {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}")
    if n == 0:
        return None
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    z2_n = z * z / n
    centre = (p + z2_n / 2) / (1 + z2_n)
    half_width = z * math.sqrt(p * (1 - p) / n + z2_n / (4 * n)) / (1 + z2_n)
    # At 0/n and n/n one bound is exactly 0 or 1 in theory; pin it so rounding never shows
    # "-0.0%" or "100.0000001%".
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


# --------------------------------------------------------------------------- Likert


@dataclass(frozen=True)
class LevelCount:
    """One level of a Likert scale: its label, 1-based code, count and percent of n."""

    level: Hashable
    code: int
    count: int
    #: Percent of the n answers on the scale; None when n is 0.
    percent: float | None


@dataclass(frozen=True)
class LikertSummary:
    """Counts and summary figures for one Likert question."""

    #: Every level in scale order, zeros included.
    levels: tuple[LevelCount, ...]
    #: Answers on the scale (excluded and missing answers are not in n).
    n: int
    #: Answers such as "Don't know", outside the scale.
    excluded: int
    #: None or blank: the question was not answered.
    missing: int
    #: Median of the 1-based codes; a half code (3.5) when the two middle answers differ.
    median: float | None
    #: The levels counted as agreeing; empty when the scale has no default (see likert_summary).
    agree_levels: tuple[Hashable, ...]
    agree_count: int | None
    percent_agree: float | None
    #: Wilson interval of percent agree (95% unless another confidence is asked for), in percent.
    agree_interval: tuple[float, float] | None


def likert_summary(
    values: Iterable[Hashable | None],
    levels: Sequence[Hashable],
    *,
    agree_levels: Collection[Hashable] | None = None,
    excluded: Collection[Hashable] = DEFAULT_EXCLUDED,
    confidence: float = 0.95,
) -> LikertSummary:
    """Summarise answers to one ordered-scale question.

    ``levels`` lists the scale from lowest to highest; level i (0-based) has code i + 1, which
    is what the median is taken over. ``values`` are the stored answers, each one of
    ``levels``, one of ``excluded`` (counted, then left out), or None/"" (missing). Anything
    else raises ValueError, because a silently dropped answer would skew every figure.

    Percent agree counts ``agree_levels``. Left as None, it is the top two levels of a 4- or
    5-point scale; other scales have no agreed convention, so percent agree is None for them
    unless ``agree_levels`` is given.
    """
    levels = tuple(levels)
    if len(set(levels)) != len(levels):
        raise ValueError("levels must not repeat")
    if set(levels) & set(excluded):
        raise ValueError("a level cannot also be an excluded answer")
    codes = {level: i + 1 for i, level in enumerate(levels)}

    if agree_levels is None:
        agree = levels[-2:] if len(levels) in (4, 5) else ()
    else:
        unknown = [level for level in agree_levels if level not in codes]
        if unknown:
            raise ValueError(f"agree_levels not on the scale: {unknown!r}")
        agree = tuple(level for level in levels if level in agree_levels)

    counts = dict.fromkeys(levels, 0)
    n_excluded = n_missing = 0
    for value in values:
        if value is None or value == "":
            n_missing += 1
        elif value in codes:
            counts[value] += 1
        elif value in excluded:
            n_excluded += 1
        else:
            raise ValueError(f"answer {value!r} is not one of the levels {list(levels)!r}")

    n = sum(counts.values())
    rows = tuple(
        LevelCount(
            level=level,
            code=codes[level],
            count=counts[level],
            percent=100 * counts[level] / n if n else None,
        )
        for level in levels
    )
    median = _median_of_counts([counts[level] for level in levels]) if n else None

    agree_count = sum(counts[level] for level in agree) if agree else None
    percent_agree = agree_interval = None
    interval = wilson_interval(agree_count, n, confidence) if agree_count is not None else None
    if interval is not None:
        percent_agree = 100 * agree_count / n
        agree_interval = (100 * interval[0], 100 * interval[1])

    return LikertSummary(
        levels=rows,
        n=n,
        excluded=n_excluded,
        missing=n_missing,
        median=median,
        agree_levels=agree,
        agree_count=agree_count,
        percent_agree=percent_agree,
        agree_interval=agree_interval,
    )


def _median_of_counts(counts: Sequence[int]) -> float:
    """Median of codes 1..k given how many answers each code had, without expanding them."""
    n = sum(counts)

    def code_at(position: int) -> int:
        seen = 0
        for code, count in enumerate(counts, start=1):
            seen += count
            if position < seen:
                return code
        raise AssertionError("position beyond the answers")  # pragma: no cover

    return (code_at((n - 1) // 2) + code_at(n // 2)) / 2


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class NumericSummary:
    """Five-number summary and mean of a numeric question; figures are None when n is 0."""

    n: int
    min: float | None
    q1: float | None
    median: float | None
    q3: float | None
    max: float | None
    mean: float | None


def numeric_summary(values: Iterable[float | None]) -> NumericSummary:
    """n, min, quartiles, median, max and mean of the answers, leaving out None.

    Quartiles interpolate linearly between answers (numpy's default, the same as Excel's
    QUARTILE.INC and R's type 7), so a partnership analyst can reproduce them in a spreadsheet.
    """
    data = [float(v) for v in values if v is not None]
    if any(not math.isfinite(v) for v in data):
        raise ValueError("numeric answers must be finite numbers")
    if not data:
        return NumericSummary(n=0, min=None, q1=None, median=None, q3=None, max=None, mean=None)
    q1, median, q3 = (float(q) for q in np.percentile(data, [25, 50, 75]))
    return NumericSummary(
        n=len(data),
        min=min(data),
        q1=q1,
        median=median,
        q3=q3,
        max=max(data),
        mean=math.fsum(data) / len(data),
    )


# --------------------------------------------------------------------------- paired change


@dataclass(frozen=True)
class PairedChange:
    """Change between two answers from the same people (before a course and now, say)."""

    #: Pairs with both answers present.
    n_pairs: int
    n_increased: int
    n_decreased: int
    n_unchanged: int
    median_before: float | None
    median_now: float | None
    #: Median of each person's own change (now - before), not the difference of the medians.
    median_change: float | None
    #: Two-sided Wilcoxon signed-rank p; None when there are too few pairs (see note).
    wilcoxon_p: float | None
    #: Matched-pairs rank-biserial correlation, -1..1; positive when answers went up.
    effect_size: float | None
    zero_method: str
    #: Why a figure is missing or was set without running the test; None when nothing to say.
    note: str | None


def paired_change(
    before: Sequence[float | None],
    now: Sequence[float | None],
    *,
    min_pairs: int = MIN_PAIRS,
) -> PairedChange:
    """Did the same people's answers move? Wilcoxon signed-rank test with its effect size.

    ``before`` and ``now`` are matched: position i is one person. A pair with None on either
    side is dropped. Zero differences use Pratt's method (ZERO_METHOD). The effect size is
    Kerby's matched-pairs rank-biserial correlation computed over the same ranks as the test:
    (sum of ranks of rises - sum of ranks of falls) / sum of all ranks, zeros included in the
    ranking, so people who did not change pull the effect towards 0.

    - no pairs: every figure None;
    - fewer than ``min_pairs`` pairs: medians and effect size are given, p is None;
    - every difference zero: p = 1.0 and effect 0.0 without calling scipy, which would divide
      by a zero variance.

    The p-value is scipy's method="auto": exact when there are no ties or zeros (n <= 50), an
    exact sign-flip enumeration when there are (n <= 13), otherwise the normal approximation
    with tie and continuity corrections.
    """
    if len(before) != len(now):
        raise ValueError(
            f"before and now must be matched pairs; got {len(before)} and {len(now)} answers"
        )
    if min_pairs < 1:
        raise ValueError("min_pairs must be at least 1")
    pairs = [(float(b), float(a)) for b, a in zip(before, now, strict=True) if None not in (b, a)]
    if any(not (math.isfinite(b) and math.isfinite(a)) for b, a in pairs):
        raise ValueError("paired answers must be finite numbers")
    if not pairs:
        return PairedChange(
            n_pairs=0,
            n_increased=0,
            n_decreased=0,
            n_unchanged=0,
            median_before=None,
            median_now=None,
            median_change=None,
            wilcoxon_p=None,
            effect_size=None,
            zero_method=ZERO_METHOD,
            note="no complete pairs",
        )

    before_values = np.array([b for b, _ in pairs])
    now_values = np.array([a for _, a in pairs])
    diffs = now_values - before_values
    n = len(pairs)

    effect = _matched_pairs_rank_biserial(diffs)
    p: float | None
    if not diffs.any():
        p, note = 1.0, "no one's answer changed, so p is 1 and the effect is 0"
    elif n < min_pairs:
        p, note = None, f"too few pairs for a test ({n}; at least {min_pairs} needed)"
    else:
        result = scipy_stats.wilcoxon(
            now_values, before_values, zero_method=ZERO_METHOD, alternative="two-sided"
        )
        p, note = float(result.pvalue), None

    return PairedChange(
        n_pairs=n,
        n_increased=int((diffs > 0).sum()),
        n_decreased=int((diffs < 0).sum()),
        n_unchanged=int((diffs == 0).sum()),
        median_before=float(np.median(before_values)),
        median_now=float(np.median(now_values)),
        median_change=float(np.median(diffs)),
        wilcoxon_p=p,
        effect_size=effect,
        zero_method=ZERO_METHOD,
        note=note,
    )


def _matched_pairs_rank_biserial(diffs: np.ndarray) -> float:
    ranks = scipy_stats.rankdata(np.abs(diffs))
    rises = float(ranks[diffs > 0].sum())
    falls = float(ranks[diffs < 0].sum())
    return (rises - falls) / float(ranks.sum())


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class GroupComparison:
    """A test of whether answers differ between groups (agencies, roles, courses)."""

    test: str
    #: Answers per group tested, in the order given; empty groups are left out.
    group_sizes: tuple[tuple[str, int], ...]
    #: U for the first group (Mann-Whitney) or H (Kruskal-Wallis); None when not tested.
    statistic: float | None
    p: float | None
    #: Rank-biserial r (Mann-Whitney, positive when the first group is higher) or
    #: epsilon-squared (Kruskal-Wallis, 0..1).
    effect_size: float | None
    effect_name: str
    note: str | None


def mann_whitney(
    a: Iterable[float | None],
    b: Iterable[float | None],
    *,
    names: tuple[str, str] = ("a", "b"),
) -> GroupComparison:
    """Mann-Whitney U test (two-sided) of two independent groups, leaving out None.

    U is scipy's U for ``a``: the number of (a, b) pairs where a is higher, ties counting a half.
    Rank-biserial r = 2U / (n_a * n_b) - 1. If either group is empty there is nothing to
    compare and the figures are None. If every answer in both groups is the same, p is 1.0, U
    is n_a * n_b / 2 and r is 0, set here rather than left to scipy's zero-variance arithmetic.
    p uses scipy's method="auto": exact when a group has 8 or fewer answers and there are no
    ties, otherwise the normal approximation with tie and continuity corrections.
    """
    if names[0] == names[1]:
        raise ValueError("the two groups need different names")
    groups = _clean_groups({names[0]: a, names[1]: b})
    sizes = tuple((name, len(values)) for name, values in groups.items())
    if len(groups) < 2:
        return GroupComparison(
            test="Mann-Whitney U",
            group_sizes=sizes,
            statistic=None,
            p=None,
            effect_size=None,
            effect_name="rank-biserial r",
            note="both groups need at least one answer",
        )
    first, second = groups.values()
    n_a, n_b = len(first), len(second)
    if _all_equal(groups.values()):
        u, p, note = n_a * n_b / 2, 1.0, "every answer is the same, so p is 1 and the effect is 0"
    else:
        result = scipy_stats.mannwhitneyu(first, second, alternative="two-sided")
        u, p, note = float(result.statistic), float(result.pvalue), None
    return GroupComparison(
        test="Mann-Whitney U",
        group_sizes=sizes,
        statistic=u,
        p=p,
        effect_size=2 * u / (n_a * n_b) - 1,
        effect_name="rank-biserial r",
        note=note,
    )


def kruskal_wallis(groups: Mapping[str, Iterable[float | None]]) -> GroupComparison:
    """Kruskal-Wallis H test across named groups, leaving out None and then empty groups.

    Effect size is epsilon-squared, H / (n - 1) where n is all answers tested (Tomczak and
    Tomczak, 2014). Fewer than two non-empty groups: figures None. Every answer the same: H 0,
    p 1.0, effect 0, set here because scipy refuses (it warns and returns nan). p comes from the
    chi-squared approximation, which is rough when groups have fewer than about 5 answers.
    """
    cleaned = _clean_groups(groups)
    sizes = tuple((name, len(values)) for name, values in cleaned.items())
    if len(cleaned) < 2:
        return GroupComparison(
            test="Kruskal-Wallis H",
            group_sizes=sizes,
            statistic=None,
            p=None,
            effect_size=None,
            effect_name="epsilon-squared",
            note="at least two groups with answers are needed",
        )
    n = sum(len(values) for values in cleaned.values())
    if _all_equal(cleaned.values()):
        h, p, note = 0.0, 1.0, "every answer is the same, so p is 1 and the effect is 0"
    else:
        result = scipy_stats.kruskal(*cleaned.values())
        h, p, note = float(result.statistic), float(result.pvalue), None
    return GroupComparison(
        test="Kruskal-Wallis H",
        group_sizes=sizes,
        statistic=h,
        p=p,
        effect_size=h / (n - 1),
        effect_name="epsilon-squared",
        note=note,
    )


def _clean_groups(groups: Mapping[str, Iterable[float | None]]) -> dict[str, list[float]]:
    cleaned = {}
    for name, values in groups.items():
        data = [float(v) for v in values if v is not None]
        if any(not math.isfinite(v) for v in data):
            raise ValueError(f"group {name!r}: answers must be finite numbers")
        if data:
            cleaned[name] = data
    return cleaned


def _all_equal(groups: Iterable[list[float]]) -> bool:
    return len({v for values in groups for v in values}) == 1
