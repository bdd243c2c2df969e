"""Tests for analysis.agreement: Cohen's kappa against examples worked by hand."""

import pytest

from analysis.agreement import binary_kappa, cohen_kappa


def test_kappa_matches_a_two_by_two_example_worked_by_hand():
    # 50 comments: both coders said yes to 20, only A to 5, only B to 10, neither to 15.
    # p_o = (20 + 15) / 50 = 0.7. A says yes 25/50 = 0.5, B 30/50 = 0.6.
    # p_e = 0.5 x 0.6 + 0.5 x 0.4 = 0.5, so kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    result = binary_kappa(both=20, only_a=5, only_b=10, neither=15)
    assert result.n == 50
    assert result.observed == pytest.approx(0.7)
    assert result.expected == pytest.approx(0.5)
    assert result.kappa == pytest.approx(0.4)
    assert result.words == "fair"


def test_kappa_matches_a_lopsided_example_worked_by_hand():
    # 100 items: both yes 45, only A 15, only B 25, neither 15.
    # p_o = 0.60; A yes 0.60, B yes 0.70; p_e = 0.42 + 0.12 = 0.54.
    # kappa = 0.06 / 0.46 = 0.1304...
    result = binary_kappa(45, 15, 25, 15)
    assert result.expected == pytest.approx(0.54)
    assert result.kappa == pytest.approx(0.06 / 0.46)
    assert result.words == "slight"


def test_kappa_with_three_categories_matches_a_hand_worked_table():
    # Rows are A, columns B, over 30 items:
    #            neg  neu  pos
    #   neg       8    2    0   (10)
    #   neu       1    6    3   (10)
    #   pos       0    1    9   (10)
    #   (col)     9    9   12
    # p_o = 23/30; p_e = (10x9 + 10x9 + 10x12) / 900 = 300/900 = 1/3.
    # kappa = (23/30 - 1/3) / (2/3) = 0.65.
    pairs = (
        [("neg", "neg")] * 8
        + [("neg", "neu")] * 2
        + [("neu", "neg")] * 1
        + [("neu", "neu")] * 6
        + [("neu", "pos")] * 3
        + [("pos", "neu")] * 1
        + [("pos", "pos")] * 9
    )
    a, b = zip(*pairs, strict=True)
    result = cohen_kappa(a, b)
    assert result.observed == pytest.approx(23 / 30)
    assert result.expected == pytest.approx(1 / 3)
    assert result.kappa == pytest.approx(0.65)
    assert result.table[("neu", "pos")] == 3
    assert result.words == "substantial"


def test_perfect_agreement_using_both_categories_is_one():
    result = binary_kappa(both=7, only_a=0, only_b=0, neither=13)
    assert result.kappa == 1.0
    assert result.words == "almost perfect"


def test_all_items_in_one_category_for_both_coders_leaves_kappa_undefined():
    # Agreement is total but chance agreement is too: 0 / 0 is not a number to report.
    result = binary_kappa(both=0, only_a=0, only_b=0, neither=40)
    assert result.observed == 1.0
    assert result.expected == 1.0
    assert result.kappa is None
    assert result.words == "not defined"


def test_no_items_gives_no_kappa_and_no_agreement():
    result = cohen_kappa([], [])
    assert (result.n, result.observed, result.expected, result.kappa) == (0, None, None, None)
    assert result.words == "no items"


def test_systematic_disagreement_is_below_zero():
    # A always says yes where B says no and the other way round.
    result = binary_kappa(both=0, only_a=10, only_b=10, neither=0)
    assert result.kappa == pytest.approx(-1.0)
    assert result.words == "worse than chance"


def test_one_coder_constant_and_the_other_not_gives_zero():
    # A marks everything yes; B varies. p_o = p_e = 0.3, so kappa = 0.
    result = binary_kappa(both=3, only_a=7, only_b=0, neither=0)
    assert result.kappa == pytest.approx(0.0)


def test_coders_must_rate_the_same_items():
    with pytest.raises(ValueError, match="different numbers of items: 2 and 1"):
        cohen_kappa([True, False], [True])


def test_counts_must_be_whole_and_not_negative():
    with pytest.raises(ValueError, match="only B must be a whole number"):
        binary_kappa(1, 2, -1, 3)
    with pytest.raises(ValueError, match="both must be a whole number"):
        binary_kappa(True, 0, 0, 0)
