"""Where a sheet's headings stand. A report generator's sheet often opens with a title line and a blank line, and
the table's headings follow; read from its first row, such a sheet has one heading (the title) and columns
without names. The heading row is found by its content: conform's own reading, since the standard says nothing
of files.

Title lines hold one value and blank lines none: the first row among the first SAMPLE_ROWS that holds at least
two distinct values is the heading row. So only rows of one value or none are ever passed over, never a row of a
table: a sheet whose first row holds its headings (even with an empty heading cell) reads as before, and where
no row qualifies the first row stays the heading row.
"""

from __future__ import annotations

from collections.abc import Sequence

SAMPLE_ROWS = 20
# What fastexcel calls a column whose heading cell is empty: the sign that the first row may be a title.
UNNAMED = "__UNNAMED__"


def untitled(header: Sequence[str]) -> bool:
    """Whether a sheet read from its first row has columns without a heading: only then is the heading row
    looked for further down (a second parse of the sheet's first rows)."""
    return any(name.startswith(UNNAMED) for name in header)


def heading_row(rows: Sequence[Sequence[str | None]]) -> int:
    """The 0-based index of the heading row among `rows` (a sheet's first rows, every cell as text or None)."""
    for i, row in enumerate(rows):
        values = [value for value in row if value not in (None, "")]
        if len(values) >= 2:
            return i if len(set(values)) == len(values) else 0
    return 0
