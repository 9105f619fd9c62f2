"""Strict parsing of the export's text values, as Polars expressions.

Engines are lenient in ways that hide errors (casts that accept ``2023/01/05`` or ``2023-1-5``); here a value
either has the exact form the canonical export promises or it is null, and the parse rules flag it.
"""

from __future__ import annotations

import itertools
import unicodedata

import polars as pl

# ISO 8601 calendar date, optionally followed by a time of day and a zone; the form the contract allows.
ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
WHOLE_NUMBER = r"^\d{1,9}$"


def parse_date(raw: pl.Expr) -> pl.Expr:
    """Date, or null when missing, not ISO 8601 or not a real calendar date (2023-02-30)."""
    return (
        pl.when(raw.str.contains(ISO_DATE))
        .then(raw.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        .otherwise(None)
    )


def parse_integer(raw: pl.Expr) -> pl.Expr:
    return pl.when(raw.str.contains(WHOLE_NUMBER)).then(raw.cast(pl.Int64, strict=False)).otherwise(None)


def split_list(raw: pl.Expr, delimiter: str) -> pl.Expr:
    """The items of a multi-valued field; null stays null, an empty item stays an empty string (and is flagged)."""
    return raw.str.split(delimiter)


def other_unicode_forms(values: list[str]) -> list[str]:
    """Every spelling of `values` that Unicode normalisation (NFC) turns into the value, other than the value:
    each precomposed letter (å, ä, ö, é) written as a base letter and a combining mark, in every combination.

    A value set's strings are short and hold few such letters, so the list stays small, and comparing a column
    with it is one hash lookup per record, where normalising the column itself costs 30 times more.
    """
    forms = set()
    for value in values:
        nfc = unicodedata.normalize("NFC", value)
        choices = [(c, unicodedata.normalize("NFD", c)) if unicodedata.normalize("NFD", c) != c else (c,)
                   for c in nfc]
        forms.update("".join(p) for p in itertools.product(*choices))
        forms.discard(nfc)
    return sorted(forms - set(values))
