"""Disclosure control: hide small counts, and any count that could be worked out from the rest.

The rules, applied to a row of counts with its total or to a table with row and column totals:

1. Primary suppression: a count with 0 < count < threshold is hidden. Zeros are shown: "no one
   from this agency said so" identifies nobody, and hiding every zero would blank most tables.
2. A total with 0 < total < threshold is hidden together with every count it sums, zeros
   included, because a zero beside a small total says where those few answers came from.
3. Secondary suppression, repeated until nothing changes, on every line (a row with its total,
   a column with its total, and the totals with the grand total) whose total is shown:
   - exactly one hidden entry: it is the total minus the others, so one more is hidden;
   - hidden counts adding up to less than the threshold: one more is hidden. Without this, two
     hidden cells of 1 each beside a shown total reveal both (each hidden count is at least 1,
     and together they make 2).
   The extra entry is the smallest non-zero shown count on the line (hiding a zero adds nothing
   to the hidden sum); a zero only when no non-zero count is left; the line's total last of all.

This stops working-out from one row or column at a time. It does not audit every combination
of rows and columns (as tau-ARGUS does with linear programming); for published tables with
many small cells, ask an analyst to check the result.

Every hidden entry is a Suppressed marker whose str() is "[c]", the Government Statistical
Service symbol for "confidential". Reports must show only that: showing the reason would tell a
reader which hidden counts are small.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Cell",
    "Suppressed",
    "SuppressedRow",
    "SuppressedTable",
    "is_reportable",
    "suppress_counts",
    "suppress_table",
]


@dataclass(frozen=True)
class Suppressed:
    """A hidden count. The reason is for tests and audit, never for the report itself."""

    reason: Literal["primary", "secondary"]

    def __str__(self) -> str:
        return "[c]"


Cell = int | Suppressed


@dataclass(frozen=True)
class SuppressedRow:
    """A row of counts ready to report: each cell and the total are a count or Suppressed."""

    cells: dict[str, Cell]
    #: None when the total is not shown.
    total: Cell | None


@dataclass(frozen=True)
class SuppressedTable:
    """A rows x columns table of counts with its margins, ready to report."""

    cells: dict[str, dict[str, Cell]]
    row_totals: dict[str, Cell]
    column_totals: dict[str, Cell]
    grand_total: Cell


def is_reportable(n: int, threshold: int) -> bool:
    """Whether a figure based on n responses may be shown ("fewer than threshold responses")."""
    _check_threshold(threshold)
    return n >= threshold


def suppress_counts(
    counts: Mapping[str, int], threshold: int, total_shown: bool = True
) -> SuppressedRow:
    """Hide the counts in one row (per agency, say) that are small or could be worked out.

    With ``total_shown`` False there is nothing to subtract from, so only rules 1 and 2 of the
    module docstring apply; rule 2 still applies because a report usually states n elsewhere.
    """
    _check_threshold(threshold)
    values: dict[Hashable, int] = {key: _check_count(key, value) for key, value in counts.items()}
    total = sum(values.values())
    cell_keys = tuple(values)
    lines: list[_Line] = []
    if total_shown:
        values[_TOTAL] = total
        lines.append(_Line(cells=cell_keys, total=_TOTAL))

    hidden = _primary(values, threshold)
    if 0 < total < threshold:
        hidden.update({key: hidden.get(key, "secondary") for key in cell_keys})
        if total_shown:
            hidden[_TOTAL] = "primary"
    _secondary(values, lines, hidden, threshold)

    return SuppressedRow(
        cells={key: _shown(key, values, hidden) for key in cell_keys},
        total=_shown(_TOTAL, values, hidden) if total_shown else None,
    )


def suppress_table(table: Mapping[str, Mapping[str, int]], threshold: int) -> SuppressedTable:
    """Hide the counts in a table, shown with row, column and grand totals, as in the module doc.

    ``table`` maps each row name to its counts by column name. Columns are taken in the order
    first seen; a column missing from a row counts as 0 there.
    """
    _check_threshold(threshold)
    rows = tuple(table)
    columns = tuple(dict.fromkeys(column for counts in table.values() for column in counts))

    values: dict[Hashable, int] = {}
    for row in rows:
        for column in columns:
            values[("cell", row, column)] = _check_count(
                f"{row}/{column}", table[row].get(column, 0)
            )
    for row in rows:
        values[("row", row)] = sum(values[("cell", row, column)] for column in columns)
    for column in columns:
        values[("column", column)] = sum(values[("cell", row, column)] for row in rows)
    values[_TOTAL] = sum(values[("row", row)] for row in rows)

    lines = [
        *(_Line(tuple(("cell", row, c) for c in columns), ("row", row)) for row in rows),
        *(
            _Line(tuple(("cell", r, column) for r in rows), ("column", column))
            for column in columns
        ),
        _Line(tuple(("row", r) for r in rows), _TOTAL),
        _Line(tuple(("column", c) for c in columns), _TOTAL),
    ]

    hidden = _primary(values, threshold)
    if 0 < values[_TOTAL] < threshold:
        # Rule 2 at the grand total covers the whole table, margins included.
        hidden.update({key: hidden.get(key, "secondary") for key in values})
    for line in lines:
        if hidden.get(line.total) == "primary":
            hidden.update({key: hidden.get(key, "secondary") for key in line.cells})
    _secondary(values, lines, hidden, threshold)

    return SuppressedTable(
        cells={
            row: {column: _shown(("cell", row, column), values, hidden) for column in columns}
            for row in rows
        },
        row_totals={row: _shown(("row", row), values, hidden) for row in rows},
        column_totals={column: _shown(("column", column), values, hidden) for column in columns},
        grand_total=_shown(_TOTAL, values, hidden),
    )


# A key no caller's cell name can equal, so a row may have a cell called "total".
_TOTAL = ("total",)


@dataclass(frozen=True)
class _Line:
    """Entries that add up to a total shown beside them, so each one limits the others."""

    cells: tuple[Hashable, ...]
    total: Hashable


def _primary(values: Mapping[Hashable, int], threshold: int) -> dict[Hashable, str]:
    return {key: "primary" for key, value in values.items() if 0 < value < threshold}


def _secondary(
    values: Mapping[Hashable, int],
    lines: list[_Line],
    hidden: dict[Hashable, str],
    threshold: int,
) -> None:
    # Hiding an entry can expose another line (its column, say), so sweep until stable. Each
    # sweep either hides something or ends the loop, so it stops after at most len(values).
    changed = True
    while changed:
        changed = False
        for line in lines:
            entries = (*line.cells, line.total)
            n_hidden = sum(key in hidden for key in entries)
            if n_hidden == 0:
                continue
            exposed = n_hidden == 1
            if not exposed and line.total not in hidden:
                hidden_sum = sum(values[key] for key in line.cells if key in hidden)
                exposed = 0 < hidden_sum < threshold
            if exposed:
                extra = _complement(line, values, hidden)
                if extra is not None:
                    hidden[extra] = "secondary"
                    changed = True


def _complement(
    line: _Line, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str]
) -> Hashable | None:
    shown = [key for key in line.cells if key not in hidden]
    non_zero = [key for key in shown if values[key] > 0]
    if non_zero:
        # min() keeps the first of equal values, so the choice is stable between runs.
        return min(non_zero, key=lambda key: values[key])
    if shown:
        return shown[0]
    return None if line.total in hidden else line.total


def _shown(key: Hashable, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str]) -> Cell:
    reason = hidden.get(key)
    if reason is None:
        return values[key]
    return Suppressed("primary" if reason == "primary" else "secondary")


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a whole number of at least 1; got {threshold!r}")


def _check_count(name: object, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"count for {name} must be a whole number of at least 0; got {value!r}")
    return int(value)
