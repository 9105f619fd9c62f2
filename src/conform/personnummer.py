"""Swedish person IDs (personnummer, samordningsnummer, reservnummer) as vectorised Polars expressions.

The standard (SKR, *Basinformation i socialtjänsten 1.0*, information set "Person-ID (Personnummer)") wants the
brukare's personnummer, samordningsnummer or reservnummer written as twelve characters ``ÅÅÅÅMMDDNNNN``; for a
samordningsnummer DD runs up to 91. This module classifies and parses such values with Polars expressions only (no
Python loop over rows, no ``map_elements``), so :func:`parse` can run over millions of rows inside a lazy query.

Public interface
================
``KINDS``, ``FORMS``, ``RESERVE_SCHEMES`` (constants), ``parse(raw)`` (struct expression), ``luhn_check_digit``,
``mask``, ``age_at`` (expressions) and the scalar helpers ``luhn_digit``, ``parse_value`` and ``is_valid`` for the
synthetic data generator (not for the hot path).

Positions below are 1-based positions in the twelve-character form.

Kinds (``kind`` field)
----------------------
``personnummer``
    Skatteverket SKV 704: birth date ``ÅÅÅÅMMDD``, birth number ``NNN`` (positions 9-11, 001-999; 000 is invalid)
    and a Luhn check digit (position 12) over the nine digits ``ÅÅMMDDNNN`` (positions 3-11, weights 2,1,2,... from
    the left; a product above 9 has 9 subtracted). Position 11 is the sex digit: odd = man, even = woman.
``samordningsnummer``
    As a personnummer but with 60 added to the day (DD 61-91). Skatteverket also issues samordningsnummer with month
    ``00`` or day ``60`` when the birth date is not known: those are valid, ``birth_date_known`` is False, and every
    date field is null. Any 12-digit value whose DD is 60 or more is a samordningsnummer (DD 92-99 is an invalid date).
``reserve_stockholm``
    Region Stockholm's local reservnummer ``99ÅÅÅÅNNNNNC``: ``99``, the year the number was issued (positions 3-6), a
    five-digit serial (positions 7-11) whose last digit (position 11) is odd for men and even for women, and a Luhn
    check digit over positions 5-11 (see "Reserve numbers" below). Any 12-digit value starting ``99`` (no century
    99 exists) is taken as one. No birth date. The issue year is not range-checked.
``reserve_national``
    Inera's national reserve identity (NRID) ``XXÅÅMMDDNNGC`` (see below). Birth date known unless XX is ``00``.
``reserve_vgr``
    Västra Götalandsregionen's local reservnummer ``ÅÅÅÅMMDDGggC`` (see below). Birth date always known.
``malformed``
    Anything else that is not null or empty, including every value with leading/trailing whitespace.
null
    The raw value is null or the empty string.

Forms (``form`` field: how the string is written)
-------------------------------------------------
``canonical``       twelve characters, no separator, of a recognised kind.
``separator``       ``ÅÅÅÅMMDD-NNNN`` or ``ÅÅÅÅMMDD+NNNN`` (accepted, a warning); also a reserve number written with
                    a separator after its eighth character.
``ten_digits``      ``ÅÅMMDDNNNN``, ``ÅÅMMDD-NNNN`` or ``ÅÅMMDD+NNNN``: the century is missing (an error). ``kind`` is
                    personnummer/samordningsnummer (by DD), the Luhn digit, birth number and sex digit are checked, but
                    ``birth_date`` and ``normalised`` are null because the century cannot be known; the date is
                    validated leniently (29 February passes when ÅÅ is divisible by 4).
``missing_serial``  ``ÅÅÅÅMMDD``, ``ÅÅÅÅMMDD-`` (or ``+``), ``ÅÅÅÅMMDD-XXXX``/``-xxxx`` or ``ÅÅÅÅMMDDXXXX``: the last
                    four are missing (an error). ``kind`` is personnummer/samordningsnummer (by DD) and the birth date is
                    parsed; ``luhn_valid``, ``birth_number_zero`` and ``sex`` are null.
``whitespace``      leading or trailing whitespace (any Unicode space, tab, newline); ``kind`` is ``malformed`` and no
                    other field is filled: the value is reported as written, never silently stripped.
``malformed``       anything else (wrong length, letters outside the reserve schemes, lower-case reserve letters,
                    inner spaces, other separators, ...).
null                raw is null or empty.

Reserve numbers
===============
Reserve numbers have no national format; they are recognised on their shape *before* any personnummer Luhn check and
are never reported as broken personnummer. Each scheme is described in ``RESERVE_SCHEMES``:

Region Stockholm (``reserve_stockholm``), ``99ÅÅÅÅNNNNNC``, all digits
    Inera's table of local reserve identities (version 1.2, "corrected check digits for SLL, VGR and CLNK") gives
    ``99yyyyNNNNNC``, year 1980-2299, serial 00000-99999, and a Luhn check digit over positions 5 to 11 only;
    the table's three examples verify under exactly that rule (and under no other span). Region Stockholm's own
    guide (Vårdgivarguiden, "Reservnummer", 2023) says positions 3-4 are the century and 5-6 the year of issue, and
    that the second-to-last digit is odd or even by sex. Caution: public code disagrees on the Luhn span (one library
    computes it over positions 3-11, another, following an older version of the Inera table, over positions 1-11);
    this module follows the current Inera table. Breaks the ``ÅÅÅÅMMDDNNNN`` form (no date). Carries sex.
National reserve identity (``reserve_national``, NRID), ``XXÅÅMMDDNNGC``
    XX = birth century + 3 (19 -> 22, 20 -> 23), raised in steps of 3 when a series runs out (up to +78), or ``00``
    when the birth date is unknown; 18-21 are never used. With XX = 00, ÅÅMMDD is a serial with MM 20-99 and DD 40-59.
    NN are two capital letters A-Z except I, O, Q, V, W; G is a digit (sex as for personnummer: odd man, even
    woman) or, when sex is unknown, a letter from the same set; C is a Luhn check digit over all eleven preceding
    characters with each letter replaced by its ASCII code (A = 65) and the digit sum of each product taken.
    The century is decoded as (XX mod 3 == 1) -> 19, (XX mod 3 == 2) -> 20; XX divisible by 3 (24, 27, ...) has no
    century under the specification, so such a value gets ``birth_date_valid`` False. Breaks the form (letters,
    pseudo-century). Carries sex when G is a digit.
Västra Götalandsregionen (``reserve_vgr``), ``ÅÅÅÅMMDDGggC``
    A real birth date, G = ``K`` (kvinna), ``M`` (man) or ``X`` (unknown) at position 9, gg a serial (06-79, odd for
    men and even for women; 80-89 when sex is unknown) and a Luhn check digit over positions 3-11 with the letter
    first replaced by K = 5, M = 7, X = 8 (the Inera table's corrected examples verify under that rule).
    ``parse`` does not check the serial's range or parity against G (there is no field for it); ``sex`` comes
    from the letter. Breaks the form (a letter). Carries sex (K/M; not X).

Other regions' local formats (Skåne, Värmland, Örebro, Blekinge, ...) are not recognised and come out ``malformed``.

Decisions
=========
* A 12-digit personnummer/samordningsnummer (and a VGR number) needs century 18, 19 or 20 (the only centuries
  Skatteverket stores); any other century makes ``birth_date_valid`` False.
* ``birth_number_zero`` and ``luhn_valid`` are null where they do not apply (reserve numbers have no birth number;
  malformed values and missing serials have nothing to check).
* ``sex`` is ``'odd'`` (man) or ``'even'`` (woman): the parity of position 11 (position 9 of a ten-digit form), the
  letter K/M for VGR; null when the ID carries none.
* ``age_at``: a person born on 29 February has a birthday on 1 March in a non-leap year.

Sources
=======
* SKR, Basinformation i socialtjänsten 1.0, section "Person-ID (Personnummer)" (shared/spec in this project).
* Skatteverket, "Personnummer" (SKV 704) and Skatteverket's rättslig vägledning on the parts of a personnummer
  (birth number 001-999, sex digit, modulus-10 check digit with weights 2 and 1, centuries 18, 19 and 20 in the
  twelve-digit form); the test numbers in ``conform/data/testpersonnummer`` (see SOURCE.md there).
* Inera's Confluence, "Lokala Reservidn" (formats and rules for identity types unique to regions; version 1.2 with
  corrected check digits for SLL, VGR and CLNK): Region Stockholm ``99yyyyNNNNNC`` with Luhn over positions 5-11;
  Västra Götalandsregionen ``yyyymmddGggC`` with K/M/X mapped to 5/7/8 before the Luhn digit.
* Region Stockholm, Vårdgivarguiden, page "Reservnummer" (updated July 2023): layout of Stockholm reserve numbers
  (99, century, year of issue, then random digits with the second-to-last odd/even by sex).
* Inera / CGI Östersund Confluence, page "Nationellt Reservidformat" (defining document "Nationellt ReservID -
  specifikation 1.0"): the NRID layout XXYYMMDDNNGC and the rules for XX, YYMMDD, NN and G.
* Public code: HL7Sweden/basprofiler-r4, file input/fsh/invariants/PatientIdentifierConformancePatternSE.fsh (regular
  expressions for the national reserve number, Region Stockholm's and VGR's local numbers); tbillas/SwedishIdentifier,
  files Billas.Identifier/NationalReserveNumber/NationalReserveNumberFormatter.cs (the NRID specification text,
  including "letters are replaced by their ASCII value" for the check digit over the 11 leading characters),
  Billas.Identifier/LuhnAlgorithm.cs, Billas.Identifier.VGR/VGRFormatter.cs and Billas.Identifier.SLL/SLLFormatter.cs;
  nwendel/PersonIdentifiers.Swedish, files src/PersonIdentifiers.Swedish/NationalReserveNumber.cs,
  src/PersonIdentifiers.Swedish/Internal/Luhn.cs, src/PersonIdentifiers.Swedish/Local/RegionStockholm/
  RegionStockholmLocalReserveNumber.cs and the test data src/PersonIdentifiers.Swedish.Tests/TestData/
  NationalReserveNumbersTheoryData.cs (example NRIDs with known and unknown date and sex, all of which verify under
  the rule implemented here); the PHP personnummer library published as
  pinefox/personnummer (SLL and VGR reserve numbers; VGR letter mapping K = 5, M = 7, X = 8).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

__all__ = [
    "KINDS",
    "FORMS",
    "RESERVE_SCHEMES",
    "parse",
    "luhn_check_digit",
    "mask",
    "age_at",
    "luhn_digit",
    "parse_value",
    "is_valid",
]

KINDS = (
    "personnummer",
    "samordningsnummer",
    "reserve_stockholm",
    "reserve_national",
    "reserve_vgr",
    "malformed",
)

FORMS = ("canonical", "separator", "ten_digits", "missing_serial", "whitespace", "malformed")

#: The reserve-number schemes recognised by :func:`parse`. ``breaks_canonical_form``: the value is not twelve digits
#: with a real birth date in ``ÅÅÅÅMMDD``. ``carries_sex``: whether the ID can say odd/even (man/woman).
RESERVE_SCHEMES: dict[str, dict[str, Any]] = {
    "reserve_stockholm": {
        "name": "Region Stockholm local reservnummer",
        "layout": "99ÅÅÅÅNNNNNC (ÅÅÅÅ = year of issue, NNNNN = serial, C = Luhn over positions 5-11)",
        "breaks_canonical_form": True,
        "carries_sex": True,
        "sex_from": "position 11: odd = man, even = woman",
        "has_birth_date": False,
        "has_check_digit": True,
    },
    "reserve_national": {
        "name": "Inera national reserve identity (NRID)",
        "layout": "XXÅÅMMDDNNGC (XX = century+3k or 00, NN letters, G digit or letter, "
        "C = Luhn over 11 characters, letters as ASCII codes)",
        "breaks_canonical_form": True,
        "carries_sex": True,
        "sex_from": "G (position 11) when it is a digit: odd = man, even = woman; a letter means unknown",
        "has_birth_date": True,  # except XX = 00 (unknown birth date)
        "has_check_digit": True,
    },
    "reserve_vgr": {
        "name": "Västra Götalandsregionen local reservnummer",
        "layout": "ÅÅÅÅMMDDGggC (G = K/M/X, C = Luhn over positions 3-11 with K=5, M=7, X=8)",
        "breaks_canonical_form": True,
        "carries_sex": True,
        "sex_from": "G (position 9): K = woman, M = man, X = unknown",
        "has_birth_date": True,
        "has_check_digit": True,
    },
}

# --------------------------------------------------------------------------------------------------------------
# Shapes (regular expressions on the raw value or on the 12-character working body)
# --------------------------------------------------------------------------------------------------------------
# NRID letters: A-Z except I, O, Q, V, W (21 letters) = [A-HJ-NPRSTUXYZ]
_RE_EDGE_SPACE = r"^\s|\s$"
_RE_MISSING_SERIAL = r"^[0-9]{8}(?:[-+]|[-+]?(?:XXXX|xxxx))?$"
_RE_TEN_DIGITS = r"^[0-9]{6}[-+]?[0-9]{4}$"
_RE_SEPARATED = r"^[0-9A-Za-z]{8}[-+][0-9A-Za-z]{4}$"
_RE_DIGITS12 = r"^[0-9]{12}$"
_RE_NRID = (
    r"^(?:00[0-9]{2}[2-9][0-9][45][0-9]|(?:2[2-9]|[3-8][0-9]|9[0-8])[0-9]{6})"  # XX + ÅÅMMDD (or serial)
    r"[A-HJ-NPRSTUXYZ]{2}"  # NN
    r"[0-9A-HJ-NPRSTUXYZ]"  # G
    r"[0-9]$"  # C
)
_RE_VGR = r"^[0-9]{8}[KMX][0-9]{3}$"

_MASK = "****"


# --------------------------------------------------------------------------------------------------------------
# Small expression helpers
# --------------------------------------------------------------------------------------------------------------
def _digit_sum(n: pl.Expr) -> pl.Expr:
    """Digit sum of a non-negative integer below 1000 (Luhn products are at most 2 * 90 = 180)."""
    return n // 100 + (n // 10) % 10 + n % 10


def _luhn_from_terms(terms: list[pl.Expr]) -> pl.Expr:
    """Check digit (0-9) from already weighted-and-digit-summed terms."""
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return _check_digit_of(total)


def _check_digit_of(total: pl.Expr) -> pl.Expr:
    """The Luhn check digit (0-9) that brings a sum of terms up to a multiple of ten."""
    return (10 - total % 10) % 10


def _is_leap(year: pl.Expr) -> pl.Expr:
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def _days_in_month(month: pl.Expr, leap: pl.Expr) -> pl.Expr:
    return (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


def luhn_check_digit(nine_digits: pl.Expr) -> pl.Expr:
    """Luhn (modulus 10, weights 2,1,2,... from the left) check digit of a 9-digit string expression, as Int8.

    Null when the input is not exactly nine ASCII digits. For a personnummer pass ``ÅÅMMDDNNN`` (positions 3-11).
    """
    ok = nine_digits.str.contains(r"^[0-9]{9}$")
    n = nine_digits.cast(pl.Int64, strict=False)
    terms = []
    for j in range(9):  # j = 0 is the leftmost digit, weight 2
        d = (n // (10 ** (8 - j))) % 10
        terms.append(_digit_sum(d * 2) if j % 2 == 0 else d)
    return pl.when(ok).then(_luhn_from_terms(terms)).cast(pl.Int8)


# --------------------------------------------------------------------------------------------------------------
# parse
# --------------------------------------------------------------------------------------------------------------
# Performance note: Polars does not share common sub-expressions between the fields of one struct expression, so a
# naive ``pl.struct(kind, form, ...)`` recomputes the shared parts (the body, the regexes, the kind) for every field.
# The parse is therefore written as a chain of ``struct.with_fields`` stages over one working struct: every stage
# reads the fields materialised by the stages before it (``pl.field``), and the output struct is assembled as one
# more field and extracted once at the end. The whole thing stays one ordinary (elementwise) expression.

_F = pl.field
_I16 = pl.Int16
_OUT_FIELDS = (
    "kind",
    "form",
    "normalised",
    "birth_date",
    "birth_date_known",
    "birth_date_valid",
    "luhn_valid",
    "birth_number_zero",
    "sex",
)
_NULL_STR = pl.lit(None, dtype=pl.Utf8)


def _stages(raw: pl.Expr) -> pl.Expr:
    """The working struct: every intermediate and every output field of :func:`parse` (internal)."""
    # Each entry is one struct.with_fields layer and reads only fields of the entries before it. Stages that do not
    # read each other share a layer (joined by |), because every layer adds to the cost of planning the expression.
    layers = (
        _written_form(),
        _working_body(),
        _shapes() | _position_numbers(),
        _digits(),
        _date_part(),
        _kind(),
        _kind_flags(),
        _form() | _luhn_terms(),
        _luhn_sum_stockholm(),
        _luhn_sum_personnummer(),
        _expected_check_digit() | _birth_number() | _sex() | _birth_date_known() | _calendar_parts(),
        _luhn_valid() | _date_ok(),
        _birth_date(),
    )
    st = pl.struct(raw.cast(pl.Utf8).alias("_s"))
    for fields in layers:
        st = st.struct.with_fields(**fields)
    return st


_Fields = dict[str, pl.Expr]  # fields a stage adds to the working struct, by name


def _written_whole() -> pl.Expr:
    """Whether the value is written with all twelve positions (a canonical or separator candidate)."""
    return ~_F("_missing") & ~_F("_ten")


def _serial_present() -> pl.Expr:
    """Whether the value is a personnummer or samordningsnummer written with its last four."""
    return _F("_is_pnsn") & ~_F("_missing")


def _written_form() -> _Fields:
    """How the raw string is written: absent, edged by whitespace, missing its serial, ten digits or separated."""
    s = _F("_s")
    return {
        "_absent": s.is_null() | (s.str.len_bytes() == 0),
        "_edge": s.str.contains(_RE_EDGE_SPACE),
        "_missing": s.str.contains(_RE_MISSING_SERIAL),
        "_ten": s.str.contains(_RE_TEN_DIGITS),
        "_sep": s.str.contains(_RE_SEPARATED),
    }


def _working_body() -> _Fields:
    """The twelve-character body that every later stage reads by fixed position, whatever the written form."""
    # Padding a missing serial with XXXX and a ten-digit form with 00 keeps every position where the full form has it.
    s = _F("_s")
    body = (
        pl.when(_F("_missing"))
        .then(s.str.slice(0, 8) + pl.lit("XXXX"))
        .when(_F("_ten"))
        .then(pl.lit("00") + s.str.replace(r"[-+]", ""))
        .when(_F("_sep"))
        .then(s.str.slice(0, 8) + s.str.slice(9, 4))
        .otherwise(s)
    )
    return {"_body": body}


def _shapes() -> _Fields:
    """Whether the body has the shape of twelve digits, of a national reserve identity or of a VGR number."""
    body = _F("_body")
    return {
        "_digits12": body.str.contains(_RE_DIGITS12),
        "_nrid": body.str.contains(_RE_NRID),
        "_vgr": body.str.contains(_RE_VGR),
    }


def _position_numbers() -> _Fields:
    """Positions 1-8 as one integer, 9-11 as one base-36 integer (a capital letter is a digit 10-35), 12 as a digit."""
    # Positions 1-8 are digits in every recognised kind, 9-11 digits or capitals, 12 a digit.
    body = _F("_body")
    return {
        "_n8": body.str.slice(0, 8).cast(pl.Int64, strict=False),
        "_n3": body.str.slice(8, 3).str.to_integer(base=36, strict=False),
        "_check": body.str.slice(11, 1).str.to_integer(base=10, dtype=_I16, strict=False),
    }


def _digits() -> _Fields:
    """Each of positions 1-11 on its own: digits ``_d1``-``_d8`` and base-36 digits ``_c9``-``_c11``."""
    n8, n3 = _F("_n8"), _F("_n3")
    return {
        **{f"_d{i}": ((n8 // (10 ** (8 - i))) % 10).cast(_I16) for i in range(1, 9)},
        "_c9": (n3 // 1296).cast(_I16),
        "_c10": ((n3 // 36) % 36).cast(_I16),
        "_c11": (n3 % 36).cast(_I16),
    }


def _date_part() -> _Fields:
    """Positions 1-8 as the two-digit numbers of ``ÅÅÅÅMMDD``: century, year, month and day."""
    d = {i: _F(f"_d{i}") for i in range(1, 9)}
    return {
        "_cc": d[1] * 10 + d[2],
        "_yy": d[3] * 10 + d[4],
        "_mm": d[5] * 10 + d[6],
        "_dd": d[7] * 10 + d[8],
    }


def _kind() -> _Fields:
    """Which kind of ID the value is (one of KINDS); null when the raw value is null or empty."""
    # Reserve numbers are recognised on their shape before any personnummer check, so that they are never reported
    # as broken personnummer; twelve digits starting 99 are a Stockholm number, as no century 99 exists.
    whole, digits12 = _written_whole(), _F("_digits12")
    pn_like = _F("_missing") | _F("_ten") | (whole & digits12 & (_F("_cc") != 99))
    kind = (
        pl.when(_F("_absent"))
        .then(_NULL_STR)
        .when(_F("_edge"))
        .then(pl.lit("malformed"))
        .when(pn_like)
        .then(pl.when(_F("_dd") >= 60).then(pl.lit("samordningsnummer")).otherwise(pl.lit("personnummer")))
        .when(whole & digits12)
        .then(pl.lit("reserve_stockholm"))
        .when(whole & _F("_nrid"))
        .then(pl.lit("reserve_national"))
        .when(whole & _F("_vgr"))
        .then(pl.lit("reserve_vgr"))
        .otherwise(pl.lit("malformed"))
    )
    return {"kind": kind}


def _kind_flags() -> _Fields:
    """One Boolean per kind for the stages that branch on it; ``_recognised`` is any kind but malformed."""
    kind = _F("kind")
    return {
        "_is_sn": kind == "samordningsnummer",
        "_is_pnsn": kind.is_in(["personnummer", "samordningsnummer"]),
        "_is_sll": kind == "reserve_stockholm",
        "_is_nrid": kind == "reserve_national",
        "_is_vgr": kind == "reserve_vgr",
        "_recognised": kind.is_in(list(KINDS[:-1])),
    }


def _form() -> _Fields:
    """How the ID is written (one of FORMS), and its twelve-character form when a recognised kind is written whole."""
    recognised = _F("_recognised")
    form = (
        pl.when(_F("_absent"))
        .then(_NULL_STR)
        .when(_F("_edge"))
        .then(pl.lit("whitespace"))
        .when(_F("_missing"))
        .then(pl.lit("missing_serial"))
        .when(_F("_ten"))
        .then(pl.lit("ten_digits"))
        .when(recognised & _F("_sep"))
        .then(pl.lit("separator"))
        .when(recognised)
        .then(pl.lit("canonical"))
        .otherwise(pl.lit("malformed"))
    )
    return {"form": form, "normalised": pl.when(recognised & _written_whole()).then(_F("_body"))}


def _ascii_value(c: pl.Expr) -> pl.Expr:
    """A base-36 position value as the NRID check digit counts it: a digit as itself, a capital as its ASCII code."""
    return pl.when(c < 10).then(c).otherwise(c + 55)


def _vgr_letter_value(c9: pl.Expr) -> pl.Expr:
    """The digit that VGR's sex letter stands for in its check digit: K = 5, M = 7, X = 8."""
    return pl.when(c9 == 20).then(5).when(c9 == 22).then(7).when(c9 == 33).then(8)


def _luhn_terms() -> _Fields:
    """Each position's Luhn term ``_t1``-``_t11``: weight 2 on odd positions, then the digit sum of the product."""
    # Letters count as ASCII codes (NRID); _t9v is position 9 of a VGR number, whose letter stands for a digit.
    d = {i: _F(f"_d{i}") for i in range(1, 9)}
    c9, c10, c11 = _F("_c9"), _F("_c10"), _F("_c11")
    return {
        **{f"_t{i}": (_digit_sum(d[i] * 2) if i % 2 == 1 else d[i]) for i in range(1, 9)},
        "_t9": _digit_sum(_ascii_value(c9) * 2),
        "_t10": _digit_sum(_ascii_value(c10)),
        "_t11": _digit_sum(_ascii_value(c11) * 2),
        "_t9v": _digit_sum(_vgr_letter_value(c9) * 2),
    }


def _luhn_sum_stockholm() -> _Fields:
    """The sum of the Luhn terms over positions 5-11, Stockholm's span."""
    # Stockholm's span ends the personnummer span (3-11), which ends the NRID span (1-11): each sum builds on the last.
    return {"_sum_sll": _F("_t5") + _F("_t6") + _F("_t7") + _F("_t8") + _F("_t9") + _F("_t10") + _F("_t11")}


def _luhn_sum_personnummer() -> _Fields:
    """The sum of the Luhn terms over positions 3-11, the personnummer span."""
    return {"_sum_pn": _F("_sum_sll") + _F("_t3") + _F("_t4")}


def _expected_check_digit() -> _Fields:
    """The check digit each kind expects over its own span; null where there is nothing to check."""
    sum_pn = _F("_sum_pn")
    expected = (
        pl.when(_serial_present())
        .then(_check_digit_of(sum_pn))
        .when(_F("_is_sll"))
        .then(_check_digit_of(_F("_sum_sll")))
        .when(_F("_is_nrid"))
        .then(_check_digit_of(sum_pn + _F("_t1") + _F("_t2")))
        .when(_F("_is_vgr"))
        .then(_check_digit_of(sum_pn - _F("_t9") + _F("_t9v")))
    )
    return {"_expected": expected}


def _luhn_valid() -> _Fields:
    """Whether the written check digit (position 12) is the expected one; null where there is nothing to check."""
    expected = _F("_expected")
    return {"luhn_valid": pl.when(expected.is_not_null()).then(expected == _F("_check"))}


def _birth_number() -> _Fields:
    """Whether the birth number (positions 9-11) is 000; null where the ID has no birth number written."""
    return {"birth_number_zero": pl.when(_serial_present()).then(_F("_n3") == 0)}


def _sex() -> _Fields:
    """The sex the ID carries: ``'odd'`` (man) or ``'even'`` (woman); null when it carries none."""
    # An NRID's G (position 11) is a letter when the sex is unknown; VGR says it by letter (K woman, M man, X unknown).
    c9, c11, is_vgr = _F("_c9"), _F("_c11"), _F("_is_vgr")
    parity = pl.when(c11 % 2 == 1).then(pl.lit("odd")).otherwise(pl.lit("even"))
    sex = (
        pl.when(_serial_present() | _F("_is_sll") | (_F("_is_nrid") & (c11 < 10)))
        .then(parity)
        .when(is_vgr & (c9 == 20))
        .then(pl.lit("even"))
        .when(is_vgr & (c9 == 22))
        .then(pl.lit("odd"))
        .otherwise(_NULL_STR)
    )
    return {"sex": sex}


def _birth_date_known() -> _Fields:
    """Whether the ID claims a birth date at all; null when the value is of no recognised kind."""
    # Skatteverket issues samordningsnummer with month 00 or day 60 when the birth date is not known; a Stockholm
    # number has no date, and an NRID with XX = 00 has a serial where the date would be.
    is_sn, cc, mm, dd = _F("_is_sn"), _F("_cc"), _F("_mm"), _F("_dd")
    known = (
        pl.when(
            _F("_is_sll")
            | (is_sn & ((mm == 0) | (dd == 60)) & (mm <= 12) & (dd <= 91))
            | (_F("_is_nrid") & (cc == 0))
        )
        .then(pl.lit(False))
        .when(_F("_recognised"))
        .then(pl.lit(True))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )
    return {"birth_date_known": known}


def _nrid_century(cc: pl.Expr) -> pl.Expr:
    """The birth century an NRID's XX stands for (XX mod 3: 1 -> 19, 2 -> 20); null when XX stands for none."""
    return pl.when(cc % 3 == 1).then(19).when(cc % 3 == 2).then(20)


def _calendar_parts() -> _Fields:
    """The year and the true day (a samordningsnummer's less 60) the ID writes, and whether its century can be."""
    # A ten-digit form has no century to check; other kinds need one Skatteverket uses, or one an NRID's XX encodes.
    cc, yy, dd = _F("_cc"), _F("_yy"), _F("_dd")
    is_nrid, nrid_century = _F("_is_nrid"), _nrid_century(_F("_cc"))
    return {
        "_year": pl.when(is_nrid).then(nrid_century * 100 + yy).otherwise(cc.cast(pl.Int32) * 100 + yy),
        "_day": pl.when(_F("_is_sn")).then(dd - 60).otherwise(dd),
        "_century_ok": pl.when(_F("_ten"))
        .then(pl.lit(True))
        .when(is_nrid)
        .then(nrid_century.is_not_null())
        .otherwise((cc >= 18) & (cc <= 20)),
    }


def _date_ok() -> _Fields:
    """Whether century, month and day make a real calendar date."""
    # Without a century (ten-digit form), 29 February passes when ÅÅ is divisible by 4.
    mm, day, ten = _F("_mm"), _F("_day"), _F("_ten")
    leap = pl.when(ten).then(_F("_yy") % 4 == 0).otherwise(_is_leap(_F("_year")))
    return {
        "_date_ok": _F("_century_ok") & (mm >= 1) & (mm <= 12) & (day >= 1) & (day <= _days_in_month(mm, leap)),
    }


def _birth_date() -> _Fields:
    """Whether a claimed birth date is real, and the date itself when it is real and its century written."""
    applicable = _F("birth_date_known").fill_null(False)
    make_date = applicable & _F("_date_ok") & ~_F("_ten")
    birth_date = pl.date(
        pl.when(make_date).then(_F("_year")),
        pl.when(make_date).then(_F("_mm")),
        pl.when(make_date).then(_F("_day")),
    )
    return {"birth_date_valid": pl.when(applicable).then(_F("_date_ok")), "birth_date": birth_date}


def parse(raw: pl.Expr) -> pl.Expr:
    """Parse a Utf8 expression of person IDs into a struct expression.

    Fields: ``kind`` (Utf8, one of KINDS; null when raw is null or empty), ``form`` (Utf8, one of FORMS; null when
    raw is null or empty), ``normalised`` (Utf8, the 12-character form with any separator removed, for the canonical
    and separator forms of a recognised kind; null otherwise), ``birth_date`` (Date; null when unknown or invalid or
    when the century is missing), ``birth_date_known`` (Boolean; False for samordningsnummer with month 00 or day 60,
    Stockholm reserve numbers and NRIDs with XX = 00; null for malformed values), ``birth_date_valid`` (Boolean;
    False when a date part is present but not a real calendar date; null when not applicable), ``luhn_valid``
    (Boolean; null when not applicable), ``birth_number_zero`` (Boolean; True when positions 9-11 are 000; null for
    reserve numbers, missing serials and malformed values) and ``sex`` (Utf8 ``'odd'``/``'even'``; null when the ID
    carries none). See the module docstring for the rules.

    The expression is large (planning it costs some tens of milliseconds, whatever the row count): bind it once per
    query, e.g. ``lf.with_columns(pid=parse(pl.col("person_id")))``, and read ``pl.col("pid").struct.field(...)``
    rather than calling ``parse(...)`` again for each field.
    """
    st = _stages(raw)
    out = st.struct.with_fields(__out=pl.struct(*(_F(name) for name in _OUT_FIELDS))).struct.field("__out")
    return out.name.keep()  # named like the input column, as ordinary string expressions are


# --------------------------------------------------------------------------------------------------------------
# mask and age
# --------------------------------------------------------------------------------------------------------------
# Anything in running text shaped like a person-ID: 6 or 8 digits, an optional -, + or space, 4 digits, not inside
# a longer run of digits. Masked by shape wherever it stands (a broken line can shift an ID into any field or
# message; a form may print "19800101 1234").
_ID_IN_TEXT = r"(?<![0-9])([0-9]{6}|[0-9]{8})[-+ ]?[0-9]{4}(?![0-9])"
_ID_IN_TEXT_RE = re.compile(_ID_IN_TEXT)
#: The same shape without look-around, for Polars: whether a text holds anything to mask at all.
ID_SHAPE = r"[0-9]{10}|[0-9]{6}[-+ ][0-9]{4}|[0-9]{8}[-+ ][0-9]{4}"


def mask_in_text(text: pl.Expr) -> pl.Expr:
    """Every person-ID-shaped run of digits in `text` shown as its date part and ``-****``."""
    # Polars' regular expressions have no look-around: the delimiting characters are matched and put back, and a
    # second pass takes the IDs whose delimiter the first pass consumed ("…1212,1212…").
    pattern, masked = r"(^|[^0-9*])([0-9]{6}|[0-9]{8})[-+]?[0-9]{4}([^0-9]|$)", "${1}${2}-****${3}"
    return text.str.replace_all(pattern, masked).str.replace_all(pattern, masked)


def mask_text(text: str) -> str:
    """As mask_in_text, for one string (an error message, a crash report)."""
    return _ID_IN_TEXT_RE.sub(lambda m: m.group(1) + "-****", text)


def mask(raw: pl.Expr) -> pl.Expr:
    """Mask a person ID for display: its birth-date part followed by ``-****``.

    The date part is the first 8 characters of the normalised form (canonical/separator forms of personnummer,
    samordningsnummer, VGR numbers and NRIDs with a known date), the first 8 of a missing-serial form, or the first
    6 of a ten-digit form. Everything else (Stockholm reserve numbers and date-less NRIDs, whose leading characters
    are serials; malformed values; whitespace) becomes ``****``. Null and empty input give null. The output never
    contains any of the last four characters.
    """
    st = _stages(raw)
    kind, form, s = _F("kind"), _F("form"), _F("_s")
    serial_first = _F("_is_sll") | (_F("_is_nrid") & (_F("_cc") == 0))  # leading characters are not a date
    dated_full = form.is_in(["canonical", "separator"]) & ~serial_first
    masked = (
        pl.when(kind.is_null())
        .then(_NULL_STR)
        .when(dated_full)
        .then(_F("normalised").str.slice(0, 8) + pl.lit("-" + _MASK))
        .when(form == "missing_serial")
        .then(s.str.slice(0, 8) + pl.lit("-" + _MASK))
        .when(form == "ten_digits")
        .then(s.str.slice(0, 6) + pl.lit("-" + _MASK))
        .otherwise(pl.lit(_MASK))
    )
    return st.struct.with_fields(__mask=masked).struct.field("__mask").name.keep()


def age_at(birth_date: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Age in whole years (Int32) on the date ``on`` of someone born on ``birth_date`` (both Date expressions).

    The age goes up on the birthday itself; someone born on 29 February gets a year older on 1 March in non-leap
    years. Null when either date is null. The result is named ``age``.
    """
    on_md = on.dt.month().cast(pl.Int32) * 100 + on.dt.day().cast(pl.Int32)
    birth_md = birth_date.dt.month().cast(pl.Int32) * 100 + birth_date.dt.day().cast(pl.Int32)
    years = on.dt.year().cast(pl.Int32) - birth_date.dt.year().cast(pl.Int32)
    return (years - (on_md < birth_md).cast(pl.Int32)).cast(pl.Int32).alias("age")

# --------------------------------------------------------------------------------------------------------------
# Scalar helpers (for the data generator; not for the hot path)
# --------------------------------------------------------------------------------------------------------------
def luhn_digit(nine: str) -> int:
    """Luhn check digit of nine digits (``ÅÅMMDDNNN`` for a personnummer)."""
    if len(nine) != 9 or not nine.isascii() or not nine.isdigit():
        raise ValueError(f"expected nine digits, got {nine!r}")
    total = 0
    for j, ch in enumerate(nine):
        v = int(ch) * (2 if j % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return (10 - total % 10) % 10


def parse_value(s: str | None) -> dict[str, Any]:
    """:func:`parse` applied to one value; returns the struct as a dict (``birth_date`` a ``datetime.date``)."""
    frame = pl.DataFrame({"v": [s]}, schema={"v": pl.Utf8})
    return frame.select(parse(pl.col("v")).alias("p")).item(0, "p")


def is_valid(s: str | None) -> bool:
    """True when ``s`` is a complete, correct ID: a recognised kind in canonical or separator form, a correct check
    digit, birth number not 000 and a real birth date (or a birth date that is legitimately unknown)."""
    p = parse_value(s)
    return bool(
        p["kind"] in KINDS[:-1]
        and p["form"] in ("canonical", "separator")
        and p["luhn_valid"] is True
        and p["birth_number_zero"] is not True
        and p["birth_date_valid"] is not False
    )
