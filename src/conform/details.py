"""Details of a finding written as codes, not as English text: a structure problem ("not UTF-8 at byte 61, line
2"), a ragged line, a person-ID's damage or reserve scheme, a sex digit's parity. The finding's `other` holds
``code␟arg␟arg…`` (the unit separator between), and the report words it in its language from the message
catalogue's ``details`` (templates with {1}, {2} … for the arguments; {1!} for an argument that is itself a
code, worded by ``detail_values``; {1@} for one worded already in every language, see :func:`in_languages`). Only the kinds that declare ``coded_other`` write such details.
"""

from __future__ import annotations

import polars as pl

SEP = "\x1f"
LANGUAGES = ("sv", "en")
LANGUAGE_SEP = "\x1e"


def detail(code: str, *args: object) -> str:
    return SEP.join([code, *(str(a) for a in args)])


def in_languages(message) -> str:
    """An argument worded already (a message with ``.text(lang)``), in every language, for a template's {n@}."""
    return LANGUAGE_SEP.join(message.text(lang) for lang in LANGUAGES)


def detail_expr(code: str, *args: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit(code), *(a.cast(pl.String) for a in args)], separator=SEP)
