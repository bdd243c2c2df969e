"""Tests for analysis.stats: checked by hand-worked examples and against scipy called directly."""

import math
import statistics

import numpy as np
import pytest
from scipy import stats as scipy_stats

from analysis.stats import (
    MIN_PAIRS,
    ZERO_METHOD,
    kruskal_wallis,
    likert_summary,
    mann_whitney,
    numeric_summary,
    paired_change,
    wilson_interval,
)

AGREE_5 = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
AGREE_4 = ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]

# z for 95% is 1.959964, so z^2 = 3.841459.
Z2 = 3.841459


# --------------------------------------------------------------------------- wilson_interval


def test_wilson_interval_for_none_of_n_starts_at_zero():
    # 0/10: low is 0; high is z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533.
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(Z2 / (10 + Z2), abs=1e-6)
    assert high == pytest.approx(0.277533, abs=1e-6)


def test_wilson_interval_for_all_of_n_ends_at_one():
    # 10/10: low is n / (n + z^2) = 10 / 13.841459 = 0.722467; high is 1.
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(0.722467, abs=1e-6)
    assert high == 1.0


def test_wilson_interval_matches_worked_example_for_eight_of_ten():
    # p = 0.8, z^2/n = 0.3841459
    # centre = (0.8 + 0.1920730) / 1.3841459 = 0.716739
    # half = 1.959964 * sqrt(0.8 * 0.2 / 10 + 0.3841459 / 40) / 1.3841459
    #      = 1.959964 * sqrt(0.0256036) / 1.3841459 = 0.226578
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490161, abs=1e-5)
    assert high == pytest.approx(0.943317, abs=1e-5)


@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 1), (3, 7), (12, 40), (99, 100)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_agrees_with_scipy_binomtest(successes, n, confidence):
    expected = scipy_stats.binomtest(successes, n).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    low, high = wilson_interval(successes, n, confidence)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_wilson_interval_for_no_answers_is_none():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("successes", "n", "confidence"), [(-1, 5, 0.95), (6, 5, 0.95), (1, 5, 1.0), (1, 5, 0.0)]
)
def test_wilson_interval_rejects_impossible_input(successes, n, confidence):
    with pytest.raises(ValueError):
        wilson_interval(successes, n, confidence)


# --------------------------------------------------------------------------- likert_summary


def test_likert_summary_counts_every_level_in_order_and_leaves_out_dont_know_and_blanks():
    answers = [
        "Agree",
        "Agree",
        "Strongly agree",
        "Neither",
        "Disagree",
        "Don't know",
        None,
        "",
        "Agree",
        "Strongly agree",
    ]
    summary = likert_summary(answers, AGREE_5)
    assert [row.level for row in summary.levels] == AGREE_5
    assert [row.code for row in summary.levels] == [1, 2, 3, 4, 5]
    assert [row.count for row in summary.levels] == [0, 1, 1, 3, 2]
    assert summary.n == 7
    assert summary.excluded == 1
    assert summary.missing == 2
    # Percent of the 7 on the scale: 0, 1/7, 1/7, 3/7, 2/7.
    assert [row.percent for row in summary.levels] == pytest.approx(
        [0.0, 14.285714, 14.285714, 42.857143, 28.571429]
    )
    # Codes in order: 2, 3, 4, 4, 4, 5, 5 -> the 4th is 4.
    assert summary.median == 4.0


def test_likert_summary_percent_agree_is_top_two_of_five_with_wilson_interval():
    answers = ["Agree", "Agree", "Strongly agree", "Neither", "Disagree", "Agree", "Strongly agree"]
    summary = likert_summary(answers, AGREE_5)
    assert summary.agree_levels == ("Agree", "Strongly agree")
    # 5 of 7 agree.
    assert summary.agree_count == 5
    assert summary.percent_agree == pytest.approx(71.428571)
    expected = scipy_stats.binomtest(5, 7).proportion_ci(method="wilson")
    assert summary.agree_interval == pytest.approx((100 * expected.low, 100 * expected.high))


def test_likert_summary_percent_agree_is_top_two_of_four_point_scale():
    summary = likert_summary(["Agree", "Disagree", "Strongly agree", "Strongly disagree"], AGREE_4)
    assert summary.agree_levels == ("Agree", "Strongly agree")
    assert summary.percent_agree == 50.0
    # Codes 1, 2, 3, 4: median is halfway between the 2nd and 3rd.
    assert summary.median == 2.5


def test_likert_summary_median_of_an_even_count_is_the_midpoint_of_the_middle_two():
    # Codes 3 and 4 -> 3.5; codes 2 and 4 -> 3.0.
    assert likert_summary(["Neither", "Agree"], AGREE_5).median == 3.5
    assert likert_summary(["Disagree", "Agree"], AGREE_5).median == 3.0


def test_likert_summary_median_agrees_with_statistics_median_of_codes():
    answers = ["Agree"] * 4 + ["Disagree"] * 3 + ["Strongly agree"] * 2 + ["Neither"]
    codes = [AGREE_5.index(answer) + 1 for answer in answers]
    assert likert_summary(answers, AGREE_5).median == statistics.median(codes)


def test_likert_summary_with_everyone_agreeing_has_interval_ending_at_one_hundred():
    summary = likert_summary(["Strongly agree"] * 6, AGREE_5)
    assert summary.percent_agree == 100.0
    low, high = summary.agree_interval
    # n / (n + z^2) = 6 / 9.841459 = 0.609666
    assert low == pytest.approx(60.9666, abs=1e-3)
    assert high == 100.0
    assert summary.median == 5.0


def test_likert_summary_with_nobody_agreeing_has_interval_starting_at_zero():
    summary = likert_summary(["Disagree"] * 4, AGREE_5)
    assert summary.agree_count == 0
    assert summary.percent_agree == 0.0
    assert summary.agree_interval[0] == 0.0


def test_likert_summary_with_no_scale_answers_has_counts_but_no_figures():
    summary = likert_summary(["Don't know", None, "Don't know"], AGREE_5)
    assert summary.n == 0
    assert summary.excluded == 2
    assert summary.missing == 1
    assert [row.count for row in summary.levels] == [0] * 5
    assert [row.percent for row in summary.levels] == [None] * 5
    assert summary.median is None
    assert summary.agree_count == 0
    assert summary.percent_agree is None
    assert summary.agree_interval is None


def test_likert_summary_of_a_three_point_scale_has_no_percent_agree_unless_asked():
    levels = ["No", "Partly", "Yes"]
    answers = ["Yes", "Partly", "Yes", "No"]
    assert likert_summary(answers, levels).percent_agree is None
    summary = likert_summary(answers, levels, agree_levels={"Yes"})
    assert summary.agree_levels == ("Yes",)
    assert summary.percent_agree == 50.0


def test_likert_summary_accepts_numeric_codes_as_levels():
    summary = likert_summary([1, 5, 4, 4, None], [1, 2, 3, 4, 5])
    assert [row.count for row in summary.levels] == [1, 0, 0, 2, 1]
    assert summary.median == 4.0
    assert summary.percent_agree == 75.0


def test_likert_summary_refuses_an_answer_not_on_the_scale():
    with pytest.raises(ValueError, match="'Maybe' is not one of the levels"):
        likert_summary(["Agree", "Maybe"], AGREE_5)


def test_likert_summary_refuses_agree_levels_not_on_the_scale():
    with pytest.raises(ValueError, match="agree_levels"):
        likert_summary(["Agree"], AGREE_5, agree_levels=["Yes"])


# --------------------------------------------------------------------------- numeric_summary


def test_numeric_summary_quartiles_interpolate_like_excel_quartile_inc():
    # Eight values: q1 sits at position 0.25 * 7 = 1.75 -> 2 + 0.75 = 2.75;
    # median at 3.5 -> 4.5; q3 at 5.25 -> 6 + 0.25 = 6.25.
    summary = numeric_summary([8, 1, None, 3, 2, 7, 5, 4, 6])
    assert summary.n == 8
    assert (summary.min, summary.q1, summary.median, summary.q3, summary.max) == (
        1.0,
        2.75,
        4.5,
        6.25,
        8.0,
    )
    assert summary.mean == 4.5


def test_numeric_summary_agrees_with_statistics_inclusive_quantiles():
    values = [12, 3.5, 40, 7, 7, 19, 0, 22.25, 5, 31]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    summary = numeric_summary(values)
    assert (summary.q1, summary.median, summary.q3) == pytest.approx((q1, median, q3))
    assert summary.mean == pytest.approx(statistics.fmean(values))


def test_numeric_summary_of_no_answers_is_all_none():
    summary = numeric_summary([None, None])
    assert summary.n == 0
    assert summary.min is summary.q1 is summary.median is summary.q3 is summary.max is None
    assert summary.mean is None


def test_numeric_summary_of_one_answer_is_that_answer_throughout():
    summary = numeric_summary([7])
    assert summary.n == 1
    assert {summary.min, summary.q1, summary.median, summary.q3, summary.max, summary.mean} == {7.0}


def test_numeric_summary_refuses_not_a_number():
    with pytest.raises(ValueError):
        numeric_summary([1, math.nan])


# --------------------------------------------------------------------------- paired_change

# The hand-worked example: seven people, before and now on a 5-point scale.
BEFORE = [2, 3, 3, 4, 2, 3, 1]
NOW = [4, 4, 3, 5, 3, 2, 3]


def test_paired_change_matches_hand_worked_example_with_a_tie_and_a_zero():
    # Differences now - before: 2, 1, 0, 1, 1, -1, 2.
    # Pratt ranks of |d|: the 0 takes rank 1; the four 1s share ranks 2-5 (3.5 each);
    # the two 2s share ranks 6-7 (6.5 each).
    # Rises: 6.5 + 3.5 + 3.5 + 3.5 + 6.5 = 23.5; falls: 3.5; all ranks: 1 + ... + 7 = 28.
    # Rank-biserial r = (23.5 - 3.5) / 28 = 0.714286.
    # p: with ties and a zero, scipy enumerates all sign flips of the six non-zero differences
    # (64 patterns). Falls of 0 (1 pattern) or 3.5 (4 patterns, one of the 1s) are as extreme
    # as seen, so one side is 5/64 and two-sided p = 10/64 = 0.15625.
    result = paired_change(BEFORE, NOW)
    assert result.n_pairs == 7
    assert (result.n_increased, result.n_decreased, result.n_unchanged) == (5, 1, 1)
    # before sorted 1 2 2 3 3 3 4; now sorted 2 3 3 3 4 4 5; changes sorted -1 0 1 1 1 2 2.
    assert (result.median_before, result.median_now, result.median_change) == (3.0, 3.0, 1.0)
    assert result.effect_size == pytest.approx(20 / 28)
    assert result.wilcoxon_p == pytest.approx(10 / 64)
    assert result.zero_method == "pratt" == ZERO_METHOD
    assert result.note is None


def test_paired_change_for_falling_answers_has_negative_effect_and_change():
    result = paired_change(NOW, BEFORE)
    assert result.median_change == -1.0
    assert result.effect_size == pytest.approx(-20 / 28)
    assert result.wilcoxon_p == pytest.approx(10 / 64)
    assert (result.n_increased, result.n_decreased) == (1, 5)


def _scipy_rank_biserial(before, now):
    # Independent route: scipy's one-sided statistics are the rise and fall rank sums.
    rises = scipy_stats.wilcoxon(now, before, zero_method="pratt", alternative="greater")
    falls = scipy_stats.wilcoxon(before, now, zero_method="pratt", alternative="greater")
    n = len(before)
    return (rises.statistic - falls.statistic) / (n * (n + 1) / 2)


@pytest.mark.parametrize("n", [8, 30, 80])
def test_paired_change_agrees_with_scipy_wilcoxon_pratt(n):
    rng = np.random.default_rng(n)
    before = rng.integers(1, 6, size=n)
    now = np.clip(before + rng.integers(-1, 3, size=n), 1, 5)
    result = paired_change(before.tolist(), now.tolist())
    expected = scipy_stats.wilcoxon(now, before, zero_method="pratt")
    assert result.n_pairs == n
    assert result.wilcoxon_p == pytest.approx(expected.pvalue)
    assert result.effect_size == pytest.approx(_scipy_rank_biserial(before, now))
    assert result.median_change == np.median(now - before)


def test_paired_change_drops_a_pair_with_a_missing_answer_on_either_side():
    result = paired_change([1, None, 3, 2], [2, 3, None, 2])
    # Only (1, 2) and (2, 2) are complete.
    assert result.n_pairs == 2
    assert (result.median_before, result.median_now) == (1.5, 2.0)


def test_paired_change_when_nobody_changed_gives_p_one_and_no_effect():
    result = paired_change([3, 4, 2, 5, 1, 3, 4, 2], [3, 4, 2, 5, 1, 3, 4, 2])
    assert result.wilcoxon_p == 1.0
    assert result.effect_size == 0.0
    assert result.median_change == 0.0
    assert result.n_unchanged == 8
    assert "changed" in result.note


def test_paired_change_with_too_few_pairs_gives_no_p_and_says_why():
    # Five pairs, all rising: even the most extreme result has p = 2 / 2^5 = 0.0625.
    result = paired_change([1, 2, 3, 1, 2], [2, 3, 4, 3, 4])
    assert result.n_pairs == MIN_PAIRS - 1
    assert result.wilcoxon_p is None
    assert "too few pairs" in result.note
    # Still descriptive: every pair rose, so r = 1.
    assert result.effect_size == 1.0


def test_paired_change_with_the_minimum_pairs_gives_a_p_value():
    # Six pairs all rising with distinct changes: exact p = 2 / 2^6 = 0.03125.
    result = paired_change([1, 1, 1, 1, 1, 1], [2, 3, 4, 5, 6, 7])
    assert result.n_pairs == MIN_PAIRS
    assert result.wilcoxon_p == pytest.approx(2 / 64)


def test_paired_change_with_one_pair_describes_it_without_a_test():
    result = paired_change([2], [4])
    assert result.n_pairs == 1
    assert result.median_change == 2.0
    assert result.wilcoxon_p is None
    assert result.effect_size == 1.0


def test_paired_change_with_no_complete_pairs_gives_no_figures():
    for result in (paired_change([], []), paired_change([None, 1], [2, None])):
        assert result.n_pairs == 0
        assert result.median_before is result.median_change is result.wilcoxon_p is None
        assert result.effect_size is None
        assert result.note == "no complete pairs"


def test_paired_change_refuses_lists_of_different_lengths():
    with pytest.raises(ValueError, match="matched pairs"):
        paired_change([1, 2], [1])


# --------------------------------------------------------------------------- mann_whitney


def test_mann_whitney_matches_hand_worked_example_with_ties():
    # a = 1, 2, 2; b = 2, 3, 3, 3. U for a counts pairs where a is higher, ties a half:
    # the 1 beats nothing; each 2 ties one 2 (0.5) and loses to the 3s -> U = 1.
    # r = 2 * 1 / (3 * 4) - 1 = -0.833333 (a is lower).
    a, b = [1, 2, 2], [2, 3, 3, 3]
    result = mann_whitney(a, b, names=("police", "health"))
    assert result.statistic == 1.0
    assert result.effect_size == pytest.approx(-5 / 6)
    assert result.p == pytest.approx(scipy_stats.mannwhitneyu(a, b).pvalue)
    assert result.group_sizes == (("police", 3), ("health", 4))


def test_mann_whitney_agrees_with_scipy_on_larger_groups():
    rng = np.random.default_rng(7)
    a = rng.integers(1, 6, size=25).tolist()
    b = rng.integers(2, 6, size=18).tolist()
    expected = scipy_stats.mannwhitneyu(a, b, alternative="two-sided")
    result = mann_whitney(a + [None], b)
    assert result.statistic == expected.statistic
    assert result.p == pytest.approx(expected.pvalue)
    assert result.effect_size == pytest.approx(2 * expected.statistic / (25 * 18) - 1)


def test_mann_whitney_when_every_answer_is_the_same_gives_p_one_and_no_effect():
    result = mann_whitney([3, 3, 3], [3, 3])
    assert result.p == 1.0
    assert result.statistic == 3.0
    assert result.effect_size == 0.0
    assert "same" in result.note


def test_mann_whitney_with_one_answer_each():
    result = mann_whitney([1], [2])
    assert result.statistic == 0.0
    assert result.effect_size == -1.0
    assert result.p == 1.0


def test_mann_whitney_with_an_empty_group_gives_no_result_and_says_why():
    result = mann_whitney([None], [1, 2])
    assert result.statistic is result.p is result.effect_size is None
    assert result.group_sizes == (("b", 2),)
    assert "both groups" in result.note


# --------------------------------------------------------------------------- kruskal_wallis


def test_kruskal_wallis_matches_hand_worked_example():
    # Ranks 1-6; rank sums 3, 7, 11 with two answers each:
    # H = 12 / (6 * 7) * (9/2 + 49/2 + 121/2) - 3 * 7 = 25.571429 - 21 = 4.571429.
    # With 2 degrees of freedom p = exp(-H / 2) = 0.101701.
    # epsilon-squared = H / (n - 1) = 4.571429 / 5 = 0.914286.
    result = kruskal_wallis({"police": [1, 2], "health": [3, 4], "schools": [5, 6]})
    assert result.statistic == pytest.approx(32 / 7)
    assert result.p == pytest.approx(math.exp(-16 / 7))
    assert result.effect_size == pytest.approx(32 / 35)
    assert result.note is None


def test_kruskal_wallis_agrees_with_scipy_on_tied_answers():
    groups = {"police": [1, 2, 2, 3, 4], "health": [2, 3, 3, 4, 5, 5], "schools": [1, 1, 2, 3]}
    expected = scipy_stats.kruskal(*groups.values())
    result = kruskal_wallis(groups)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p == pytest.approx(expected.pvalue)
    assert result.effect_size == pytest.approx(expected.statistic / 14)


def test_kruskal_wallis_when_every_answer_is_the_same_gives_p_one_and_no_effect():
    result = kruskal_wallis({"police": [4, 4], "health": [4, 4, 4]})
    assert (result.statistic, result.p, result.effect_size) == (0.0, 1.0, 0.0)
    assert "same" in result.note


def test_kruskal_wallis_drops_empty_groups():
    groups = {"police": [], "health": [None], "schools": [1, 2], "social care": [3, 4]}
    result = kruskal_wallis(groups)
    assert result.group_sizes == (("schools", 2), ("social care", 2))
    assert result.p == pytest.approx(scipy_stats.kruskal([1, 2], [3, 4]).pvalue)


def test_kruskal_wallis_with_fewer_than_two_groups_gives_no_result_and_says_why():
    for groups in ({}, {"police": [1, 2, 3]}, {"police": [1, 2], "health": [None]}):
        result = kruskal_wallis(groups)
        assert result.statistic is result.p is result.effect_size is None
        assert "two groups" in result.note
