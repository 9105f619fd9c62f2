"""Tables meant to be opened in a spreadsheet: the CSV dialects conform writes and the guard against CSV (formula)
injection.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets; an export's value can be anything, so such a cell is written with a leading
apostrophe, as OWASP's "CSV Injection" advice recommends. A CSV file written here is UTF-8 with a byte-order mark,
without which Excel reads UTF-8 as Windows-1252 (mojibake in every å, ä and ö).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"


@dataclass(frozen=True)
class Dialect:
    separator: str
    line_terminator: str


# standard: comma and LF, what scripts and most tools expect; excel-sv: what a Swedish Excel opens with a double
# click (its list separator is ";", since "," is the decimal comma), with Windows line ends.
DIALECTS = {"standard": Dialect(",", "\n"), "excel-sv": Dialect(";", "\r\n")}


def neutralised(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def neutralised_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with its formula-like cells neutralised (one vectorised expression per column)."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String)


def write_csv(frame: pl.DataFrame, path: Path, dialect: str = "standard") -> None:
    chosen = DIALECTS[dialect]
    neutralised_columns(frame).write_csv(path, include_bom=True, separator=chosen.separator,
                                         line_terminator=chosen.line_terminator, quote_style="necessary")
