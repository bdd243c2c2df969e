"""Tests for analysis.disclosure: no hidden count can be worked out from what a report shows."""

import random

import pytest

from analysis.disclosure import (
    Suppressed,
    is_reportable,
    suppress_counts,
    suppress_table,
)

PRIMARY = Suppressed("primary")
SECONDARY = Suppressed("secondary")


def _hidden(value):
    return isinstance(value, Suppressed)


# --------------------------------------------------------------------------- is_reportable


def test_is_reportable_only_from_the_threshold_up():
    assert not is_reportable(0, 5)
    assert not is_reportable(4, 5)
    assert is_reportable(5, 5)
    assert is_reportable(120, 5)


def test_is_reportable_refuses_a_threshold_below_one():
    with pytest.raises(ValueError, match="threshold"):
        is_reportable(3, 0)


def test_suppressed_marker_prints_the_same_whatever_the_reason():
    # A reader must not learn which hidden counts are the small ones.
    assert str(PRIMARY) == str(SECONDARY) == "[c]"


# --------------------------------------------------------------------------- suppress_counts


def test_counts_at_or_above_threshold_and_zeros_are_shown():
    row = suppress_counts({"police": 5, "health": 12, "schools": 0}, threshold=5)
    assert row.cells == {"police": 5, "health": 12, "schools": 0}
    assert row.total == 17


def test_one_small_cell_takes_the_next_smallest_non_zero_cell_with_it():
    # Hiding only police (2) would leave 19 - 10 - 7 - 0 = 2 for anyone to work out.
    # The next-smallest non-zero cell is social care (7); schools (0) would add nothing.
    row = suppress_counts({"police": 2, "health": 10, "social care": 7, "schools": 0}, 5)
    assert row.cells == {
        "police": PRIMARY,
        "health": 10,
        "social care": SECONDARY,
        "schools": 0,
    }
    assert row.total == 19


def test_two_small_cells_that_add_up_to_the_threshold_need_no_more_hiding():
    # police + health = 20 - 12 = 5: could be 1 + 4, 2 + 3, 3 + 2 or 4 + 1.
    row = suppress_counts({"police": 2, "health": 3, "social care": 12, "schools": 3}, 5)
    assert row.cells["social care"] == 12
    assert [_hidden(v) for v in row.cells.values()] == [True, True, False, True]


def test_two_small_cells_that_add_up_below_the_threshold_take_another_cell():
    # Shown alone, the total gives police + health = 22 - 20 = 2, and each hidden count is at
    # least 1, so both would be 1.
    row = suppress_counts({"police": 1, "health": 1, "social care": 20, "schools": 30}, 5)
    assert row.cells == {
        "police": PRIMARY,
        "health": PRIMARY,
        "social care": SECONDARY,
        "schools": 30,
    }
    assert row.total == 52


def test_a_total_below_the_threshold_hides_everything_including_zeros():
    row = suppress_counts({"police": 3, "health": 0, "schools": 0}, 5)
    assert row.cells == {"police": PRIMARY, "health": SECONDARY, "schools": SECONDARY}
    assert row.total == PRIMARY


def test_without_a_total_shown_only_small_cells_are_hidden():
    row = suppress_counts({"police": 2, "health": 10, "schools": 0}, 5, total_shown=False)
    assert row.cells == {"police": PRIMARY, "health": 10, "schools": 0}
    assert row.total is None


def test_without_a_total_shown_a_small_total_still_hides_everything():
    row = suppress_counts({"police": 2, "health": 0}, 5, total_shown=False)
    assert all(_hidden(v) for v in row.cells.values())
    assert row.total is None


def test_a_row_of_zeros_is_shown():
    row = suppress_counts({"police": 0, "health": 0}, 5)
    assert row.cells == {"police": 0, "health": 0}
    assert row.total == 0


def test_a_threshold_of_one_hides_nothing():
    row = suppress_counts({"police": 1, "health": 2}, 1)
    assert row.cells == {"police": 1, "health": 2}


def test_a_cell_named_total_is_just_a_cell():
    row = suppress_counts({"total": 2, "other": 9}, 5)
    assert row.cells == {"total": PRIMARY, "other": SECONDARY}
    assert row.total == 11


def test_suppress_counts_refuses_negative_or_fractional_counts():
    with pytest.raises(ValueError, match="police"):
        suppress_counts({"police": -1}, 5)
    with pytest.raises(ValueError, match="police"):
        suppress_counts({"police": 1.5}, 5)


# --------------------------------------------------------------------------- suppress_table


def _lines(result):
    """Each line of the shown table: (entries, total), where the entries add up to the total."""
    rows = list(result.cells)
    columns = list(result.column_totals)
    lines = [([result.cells[r][c] for c in columns], result.row_totals[r]) for r in rows]
    lines += [([result.cells[r][c] for r in rows], result.column_totals[c]) for c in columns]
    lines.append(([result.row_totals[r] for r in rows], result.grand_total))
    lines.append(([result.column_totals[c] for c in columns], result.grand_total))
    return lines


def _assert_nothing_can_be_worked_out(result, table, threshold):
    for row, counts in table.items():
        for column, count in counts.items():
            if 0 < count < threshold:
                assert _hidden(result.cells[row][column]), (row, column)
    for entries, total in _lines(result):
        n_hidden = sum(_hidden(e) for e in (*entries, total))
        assert n_hidden != 1, (entries, total)


def test_table_hides_the_cells_a_column_total_would_reveal():
    table = {
        "Agree": {"police": 3, "health": 10, "social care": 8},
        "Disagree": {"police": 6, "health": 7, "social care": 9},
    }
    result = suppress_table(table, 5)
    # police/Agree (3) is small. Its row takes social care/Agree (8, smaller than 10). Then the
    # police column total (9) less police/Disagree would give the 3, and the social care total
    # (17) less social care/Disagree would give the 8, so both Disagree cells go too.
    assert result.cells == {
        "Agree": {"police": PRIMARY, "health": 10, "social care": SECONDARY},
        "Disagree": {"police": SECONDARY, "health": 7, "social care": SECONDARY},
    }
    assert result.row_totals == {"Agree": 21, "Disagree": 22}
    assert result.column_totals == {"police": 9, "health": 17, "social care": 17}
    assert result.grand_total == 43
    _assert_nothing_can_be_worked_out(result, table, 5)


def test_table_hides_a_whole_row_whose_total_is_small_and_protects_its_columns():
    table = {
        "Agree": {"police": 12, "health": 20, "schools": 15},
        "Neither": {"police": 1, "health": 0, "schools": 2},
        "Disagree": {"police": 9, "health": 6, "schools": 11},
    }
    result = suppress_table(table, 5)
    assert result.row_totals["Neither"] == PRIMARY
    assert all(_hidden(v) for v in result.cells["Neither"].values())
    _assert_nothing_can_be_worked_out(result, table, 5)
    # The row total column and grand total would give Neither's total, so another row total goes.
    assert sum(_hidden(v) for v in result.row_totals.values()) >= 2


def test_table_with_a_small_grand_total_hides_everything():
    table = {"Agree": {"police": 1, "health": 0}, "Disagree": {"police": 2, "health": 0}}
    result = suppress_table(table, 5)
    assert all(_hidden(v) for counts in result.cells.values() for v in counts.values())
    assert all(_hidden(v) for v in result.row_totals.values())
    assert all(_hidden(v) for v in result.column_totals.values())
    assert result.grand_total == PRIMARY


def test_table_counts_a_missing_column_as_zero():
    result = suppress_table({"Agree": {"police": 7, "health": 9}, "Disagree": {"police": 8}}, 5)
    assert result.cells["Disagree"] == {"police": 8, "health": 0}
    assert result.column_totals == {"police": 15, "health": 9}


def test_table_without_small_cells_is_shown_whole():
    table = {"Agree": {"police": 7, "health": 9}, "Disagree": {"police": 0, "health": 5}}
    result = suppress_table(table, 5)
    assert result.cells == table
    assert result.grand_total == 21


def test_table_suppression_is_the_same_every_time():
    table = {"A": {"x": 2, "y": 8, "z": 8}, "B": {"x": 8, "y": 8, "z": 3}}
    assert suppress_table(table, 5) == suppress_table(table, 5)


def test_no_random_table_leaves_a_hidden_count_exposed_by_a_single_line():
    rng = random.Random(20240601)
    for _ in range(300):
        n_rows, n_columns = rng.randint(1, 5), rng.randint(1, 6)
        table = {
            f"row {r}": {
                f"col {c}": rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 13, 40]) for c in range(n_columns)
            }
            for r in range(n_rows)
        }
        threshold = rng.choice([3, 5, 10])
        result = suppress_table(table, threshold)
        _assert_nothing_can_be_worked_out(result, table, threshold)
        # Hidden cells on a line with a shown total never add up to less than the threshold.
        for entries, total in _lines(result):
            if _hidden(total):
                continue
            hidden_sum = total - sum(e for e in entries if not _hidden(e))
            assert not 0 < hidden_sum < threshold
