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


def excel_damage_sparse(expr: pl.Expr) -> pl.Expr:
    """:func:`excel_damage` for a column that is null but for the few values worth classifying (in a check: the
    person-IDs the parser found malformed). The classification is some forty column operations, which cost as
    much on a million nulls as on a million values, so it runs on the values present only, as one batch."""
    return expr.map_batches(_classify_present, return_dtype=pl.String)


def _classify_present(values: pl.Series) -> pl.Series:
    present = values.is_not_null().arg_true()
    found = pl.Series(values.name, [None] * len(values), dtype=pl.String)
    if present.len():
        small = values.gather(present).to_frame("value").select(excel_damage(pl.col("value")))
        found = found.scatter(present, small.to_series())
    return found
