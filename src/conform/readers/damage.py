"""How Excel damages person-IDs, recognised with vectorised Polars expressions (no Python per row).

:func:`excel_damage` returns, per value, null when the value shows none of these signs, else one code:

``scientific``
    Excel showed a long number in scientific notation and the text was saved that way: ``1.91212E+11``,
    ``1,91212E+11`` (Swedish decimal comma), ``1.91212121212e11``. Digits are usually lost for good.
``decimal``
    A number written with a zero fraction: ``191212121212.0``, ``1912121212,00``; what happens when an ID column
    was read as a float (pandas, Excel's "Number" format) and written back.
``leading_zeros``
    A ten-digit form ``ÅÅMMDDNNNN`` for someone born in a year ending 00-09 (``0101011234``) that was stored as
    a number and lost its leading zero(s): 7-9 digits that, padded with zeros to ten, give a ten-digit
    personnummer or samordningsnummer with a valid date and Luhn check digit. A twelve-digit form cannot lose a
    leading zero (its century is 18, 19 or 20), so only the ten-digit form is considered; a 7-9 digit value that
    does not pad to a valid ID is left to the person-ID rules as malformed, not called Excel damage.

Values with surrounding whitespace are judged as written (no stripping), so they never match.
"""

from __future__ import annotations

import polars as pl

from conform import personnummer

CODES = ("scientific", "decimal", "leading_zeros")

_SCIENTIFIC = r"^[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]{1,3}$"
_DECIMAL = r"^[0-9]+[.,]0+$"
_SHORT = r"^[0-9]{7,9}$"


def excel_damage(expr: pl.Expr) -> pl.Expr:
    """Classify a text column of person-IDs: null if undamaged, else "scientific", "decimal" or
    "leading_zeros" (see the module docstring)."""
    text = expr.cast(pl.String)
    # Only 7-9 digit values are parsed again (null elsewhere): parsing every person-ID twice would be wasted.
    short = pl.when(text.str.contains(_SHORT)).then(text)
    padded = personnummer.parse(short.str.pad_start(10, "0"))
    restorable = (
        (padded.struct.field("form") == "ten_digits")
        & padded.struct.field("luhn_valid").fill_null(False)
        & padded.struct.field("birth_date_valid").fill_null(False)
        & ~padded.struct.field("birth_number_zero").fill_null(False)
    )
    return (
        pl.when(text.str.contains(_SCIENTIFIC)).then(pl.lit("scientific"))
        .when(text.str.contains(_DECIMAL)).then(pl.lit("decimal"))
        .when(text.str.contains(_SHORT) & restorable).then(pl.lit("leading_zeros"))
        .otherwise(pl.lit(None, pl.String))
        .alias("excel_damage")
    )
