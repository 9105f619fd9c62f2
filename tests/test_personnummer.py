"""Tests for conform.personnummer.

Identity numbers used here: Skatteverket's published test numbers (src/conform/data/testpersonnummer, see SOURCE.md
there), values derived from them that cannot be anyone's number (flipped check digit, impossible dates, birth number
000, century 21, wrong separators, ...), and reserve numbers built for these tests from the published layouts with
birth or issue dates in the future (2099, issue year 2299) or with the last serials of a series, so that they cannot
have been issued to anyone. Published example reserve numbers are deliberately not used.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
try:
    from conform import personnummer as pnr
except ModuleNotFoundError:  # running from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))
    from conform import personnummer as pnr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DATA = ROOT / "src" / "conform" / "data" / "testpersonnummer"

FIELDS = (
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


# ----------------------------------------------------------------------------------------------------------------
# Independent scalar reference implementations, written from the published rules (not from the module's code)
# ----------------------------------------------------------------------------------------------------------------
def ref_luhn(values: list[int]) -> int:
    """Modulus-10 check digit: weights 2,1,2,... from the left, digit sum of each product."""
    total = 0
    for j, v in enumerate(values):
        total += sum(int(ch) for ch in str(v * (2 if j % 2 == 0 else 1)))
    return (10 - total % 10) % 10


def with_luhn(first11: str) -> str:
    """A 12-digit personnummer-shaped value: the Luhn digit over positions 3-11 appended."""
    assert len(first11) == 11 and first11.isdigit()
    return first11 + str(ref_luhn([int(c) for c in first11[2:]]))


def flip_check(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def sll(year: str, serial: str) -> str:
    """Region Stockholm: 99 + year of issue + 5-digit serial + Luhn over positions 5-11."""
    body = "99" + year + serial
    return body + str(ref_luhn([int(c) for c in body[4:11]]))


def nrid(first11: str) -> str:
    """National reserve identity: Luhn over all 11 characters, letters as their ASCII codes."""
    return first11 + str(ref_luhn([int(c) if c.isdigit() else ord(c) for c in first11]))


def vgr(date8: str, letter: str, serial2: str) -> str:
    """VGR: date + K/M/X + 2-digit serial + Luhn over positions 3-11 with K=5, M=7, X=8."""
    values = [int(c) for c in date8[2:]] + [{"K": 5, "M": 7, "X": 8}[letter]] + [int(c) for c in serial2]
    return date8 + letter + serial2 + str(ref_luhn(values))


def parse_many(values: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
    return frame.with_columns(p=pnr.parse(pl.col("v")), m=pnr.mask(pl.col("v"))).unnest("p")


def parse_one(value: str | None) -> dict:
    return parse_many([value]).row(0, named=True)


# ----------------------------------------------------------------------------------------------------------------
# Test data
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def test_numbers() -> pl.DataFrame:
    pn = pl.read_csv(DATA / "personnummer.csv", schema={"person_id": pl.Utf8}).with_columns(
        file=pl.lit("personnummer")
    )
    sn = pl.read_csv(DATA / "samordningsnummer.csv", schema={"person_id": pl.Utf8}).with_columns(
        file=pl.lit("samordningsnummer")
    )
    return pl.concat([pn, sn])


# Skatteverket test numbers used by name below (checked to be in the files by test_named_numbers_are_test_numbers)
PN_MAN = "198501139995"  # 1985-01-13, sex digit 9
PN_WOMAN = "189001019802"  # 1890-01-01, sex digit 0
PN_1900 = "190001019801"
PN_LEAP_2000 = "200002292399"  # 29 Feb 2000 (divisible by 400)
PN_LEAP_1896 = "189602299803"
SN = "191401682396"  # 1914-01-08
SN_LEAP = "202002892392"  # 29 Feb 2020 + 60
SN_MONTH_00 = "191500722390"
SN_DAY_60 = "191711602399"
SN_BOTH = "193100602394"  # month 00 and day 60
NAMED = [PN_MAN, PN_WOMAN, PN_1900, PN_LEAP_2000, PN_LEAP_1896, SN, SN_LEAP, SN_MONTH_00, SN_DAY_60, SN_BOTH]

# Reserve numbers built for the tests (future dates / issue years, last serials of a series)
SLL_MAN = sll("2299", "00001")
SLL_WOMAN = sll("2299", "12346")
NRID_2099 = nrid("23991231ZZ2")  # born 2099-12-31, woman
NRID_2099_NO_SEX = nrid("23991231ZZZ")
NRID_1999_SERIES_26 = nrid("97991231ZZ1")  # 19 + 78: the last series; born 1999-12-31, man
NRID_NO_DATE = nrid("00992059ZZ3")  # unknown birth date: serial 99/20/59, man
VGR_M = vgr("20991231", "M", "07")
VGR_K = vgr("20991231", "K", "08")
VGR_X = vgr("20991231", "X", "80")


def test_named_numbers_are_test_numbers(test_numbers: pl.DataFrame) -> None:
    ids = set(test_numbers["person_id"].to_list())
    assert set(NAMED) <= ids


# ----------------------------------------------------------------------------------------------------------------
# Every Skatteverket test number
# ----------------------------------------------------------------------------------------------------------------
def test_all_skatteverket_test_numbers(test_numbers: pl.DataFrame) -> None:
    assert test_numbers.height == 21_726 + 2_240 == 23_966
    out = test_numbers.with_columns(p=pnr.parse(pl.col("person_id"))).unnest("p")

    assert (out["kind"] == out["file"]).all()
    assert (out["form"] == "canonical").all()
    assert (out["normalised"] == out["person_id"]).all()
    assert out["luhn_valid"].all()
    assert not out["birth_number_zero"].any()
    assert out["birth_number_zero"].null_count() == 0
    assert out["sex"].null_count() == 0
    assert out.filter(~(pl.col("birth_date_valid").fill_null(False) | ~pl.col("birth_date_known"))).height == 0

    # sex is the parity of position 11
    expected_sex = pl.when(pl.col("person_id").str.slice(10, 1).cast(pl.Int8) % 2 == 1).then(pl.lit("odd"))
    assert (out["sex"] == out.select(expected_sex.otherwise(pl.lit("even")))[:, 0]).all()

    # unknown-date samordningsnummer: month 00 (132) or day 60 (41), three have both
    unknown = out.filter(~pl.col("birth_date_known"))
    assert unknown.height == 132 + 41 - 3
    assert (unknown["kind"] == "samordningsnummer").all()
    assert unknown["birth_date"].null_count() == unknown.height
    assert unknown["birth_date_valid"].null_count() == unknown.height
    assert unknown.filter(pl.col("person_id").str.slice(4, 2) == "00").height == 132
    assert unknown.filter(pl.col("person_id").str.slice(6, 2) == "60").height == 41

    # birth dates agree with a plain-Python reading of every known date
    known = out.filter(pl.col("birth_date_known"))
    for raw, born in zip(known["person_id"].to_list(), known["birth_date"].to_list(), strict=True):
        day = int(raw[6:8])
        expected = dt.date(int(raw[:4]), int(raw[4:6]), day - 60 if day > 60 else day)
        assert born == expected, raw


def test_mask_of_all_test_numbers(test_numbers: pl.DataFrame) -> None:
    out = test_numbers.with_columns(m=pnr.mask(pl.col("person_id")))
    assert (out["m"] == out["person_id"].str.slice(0, 8) + "-****").all()


def test_luhn_check_digit_matches_all_test_numbers(test_numbers: pl.DataFrame) -> None:
    out = test_numbers.with_columns(
        c=pnr.luhn_check_digit(pl.col("person_id").str.slice(2, 9)),
        expected=pl.col("person_id").str.slice(11, 1).cast(pl.Int8),
    )
    assert out["c"].null_count() == 0
    assert (out["c"] == out["expected"]).all()
    for raw in out["person_id"].head(500).to_list():
        assert pnr.luhn_digit(raw[2:11]) == int(raw[11])


def test_named_number_details() -> None:
    assert parse_one(PN_MAN) == {
        "v": PN_MAN,
        "kind": "personnummer",
        "form": "canonical",
        "normalised": PN_MAN,
        "birth_date": dt.date(1985, 1, 13),
        "birth_date_known": True,
        "birth_date_valid": True,
        "luhn_valid": True,
        "birth_number_zero": False,
        "sex": "odd",
        "m": "19850113-****",
    }
    assert parse_one(PN_WOMAN)["sex"] == "even"
    sn = parse_one(SN)
    assert sn["kind"] == "samordningsnummer" and sn["birth_date"] == dt.date(1914, 1, 8)
    for value in (SN_MONTH_00, SN_DAY_60, SN_BOTH):
        row = parse_one(value)
        assert row["kind"] == "samordningsnummer"
        assert row["birth_date_known"] is False
        assert row["birth_date"] is None and row["birth_date_valid"] is None
        assert row["luhn_valid"] is True


# ----------------------------------------------------------------------------------------------------------------
# Forms and failures, derived from test numbers
# ----------------------------------------------------------------------------------------------------------------
def expect(value: str | None, **fields) -> tuple[str | None, dict]:
    return value, fields


CASES = [
    # separators (accepted, a warning)
    expect("19850113-9995", kind="personnummer", form="separator", normalised=PN_MAN, luhn_valid=True,
           birth_date=dt.date(1985, 1, 13), birth_date_valid=True, sex="odd", birth_number_zero=False),
    expect("19850113+9995", kind="personnummer", form="separator", normalised=PN_MAN, luhn_valid=True),
    expect("19140168-2396", kind="samordningsnummer", form="separator", normalised=SN,
           birth_date=dt.date(1914, 1, 8)),
    expect("19850113-9996", kind="personnummer", form="separator", luhn_valid=False),
    # century missing
    expect("8501139995", kind="personnummer", form="ten_digits", normalised=None, birth_date=None,
           birth_date_known=True, birth_date_valid=True, luhn_valid=True, birth_number_zero=False, sex="odd"),
    expect("850113-9995", kind="personnummer", form="ten_digits", normalised=None, luhn_valid=True),
    expect("850113+9995", kind="personnummer", form="ten_digits", normalised=None, luhn_valid=True),
    expect("1401682396", kind="samordningsnummer", form="ten_digits", luhn_valid=True, birth_date=None),
    expect("8501139996", kind="personnummer", form="ten_digits", luhn_valid=False),
    expect("000229-2399", kind="personnummer", form="ten_digits", birth_date_valid=True, luhn_valid=True),
    # 29 February with the century unknown: valid only when ÅÅ is divisible by 4 (00 may be 2000)
    expect("850229" + with_luhn("19850229999")[8:], kind="personnummer", form="ten_digits",
           birth_date_valid=False, luhn_valid=True),
    expect("851313" + with_luhn("19851313999")[8:], form="ten_digits", birth_date_valid=False, luhn_valid=True),
    # last four missing
    expect("19850113", kind="personnummer", form="missing_serial", normalised=None,
           birth_date=dt.date(1985, 1, 13), birth_date_known=True, birth_date_valid=True,
           luhn_valid=None, birth_number_zero=None, sex=None),
    expect("19850113-", form="missing_serial", birth_date=dt.date(1985, 1, 13), luhn_valid=None),
    expect("19850113-XXXX", form="missing_serial", birth_date=dt.date(1985, 1, 13), luhn_valid=None),
    expect("19850113-xxxx", form="missing_serial", luhn_valid=None),
    expect("19850113XXXX", form="missing_serial", luhn_valid=None),
    expect("19850113xxxx", form="missing_serial", luhn_valid=None),
    expect("19140168-XXXX", kind="samordningsnummer", form="missing_serial", birth_date=dt.date(1914, 1, 8)),
    expect("19851313-XXXX", kind="personnummer", form="missing_serial", birth_date=None, birth_date_valid=False),
    # bad check digit
    expect(flip_check(PN_MAN), kind="personnummer", form="canonical", luhn_valid=False, birth_date_valid=True,
           birth_date=dt.date(1985, 1, 13), normalised=flip_check(PN_MAN)),
    expect(flip_check(SN), kind="samordningsnummer", luhn_valid=False),
    expect(flip_check(SN_BOTH), kind="samordningsnummer", luhn_valid=False, birth_date_known=False),
    # invalid dates (only the date wrong: the check digit is recomputed)
    expect(with_luhn("19851313999"), kind="personnummer", form="canonical", luhn_valid=True,
           birth_date_known=True, birth_date_valid=False, birth_date=None),
    expect(with_luhn("19850230999"), kind="personnummer", birth_date_valid=False, luhn_valid=True),
    expect(with_luhn("19850229999"), kind="personnummer", birth_date_valid=False, luhn_valid=True),
    expect(with_luhn("19000229980"), kind="personnummer", birth_date_valid=False),  # 1900 is not a leap year
    expect(with_luhn("19850132999"), kind="personnummer", birth_date_valid=False),
    expect(with_luhn("19850100999"), kind="personnummer", birth_date_valid=False),
    expect(with_luhn("19850013999"), kind="personnummer", birth_date_valid=False),  # month 00, not samordning
    expect(with_luhn("19850431999"), kind="personnummer", birth_date_valid=False),
    expect(with_luhn("21850113999"), kind="personnummer", birth_date_valid=False, luhn_valid=True),  # century 21
    expect(with_luhn("17850113999"), kind="personnummer", birth_date_valid=False),
    expect(with_luhn("19850192999"), kind="samordningsnummer", birth_date_valid=False, birth_date_known=True,
           luhn_valid=True),  # samordning day 92
    expect(with_luhn("19850199999"), kind="samordningsnummer", birth_date_valid=False),
    expect(with_luhn("19850290999"), kind="samordningsnummer", birth_date_valid=False),  # 30 Feb + 60
    expect(with_luhn("19851361999"), kind="samordningsnummer", birth_date_valid=False),  # month 13
    # 29 February in leap years (Skatteverket test numbers)
    expect(PN_LEAP_2000, kind="personnummer", birth_date=dt.date(2000, 2, 29), birth_date_valid=True),
    expect(PN_LEAP_1896, kind="personnummer", birth_date=dt.date(1896, 2, 29), birth_date_valid=True),
    expect(SN_LEAP, kind="samordningsnummer", birth_date=dt.date(2020, 2, 29), birth_date_valid=True),
    # birth number 000 with a correct check digit: only the birth number is wrong
    expect(with_luhn("19850113000"), kind="personnummer", form="canonical", luhn_valid=True,
           birth_number_zero=True, birth_date_valid=True),
    expect("850113-" + with_luhn("19850113000")[8:], form="ten_digits", birth_number_zero=True, luhn_valid=True),
    # whitespace: its own malformation, never stripped
    expect(" " + PN_MAN, kind="malformed", form="whitespace", normalised=None, luhn_valid=None, birth_date=None,
           birth_date_known=None, birth_date_valid=None, birth_number_zero=None, sex=None),
    expect(PN_MAN + " ", kind="malformed", form="whitespace"),
    expect(PN_MAN + "\n", kind="malformed", form="whitespace"),
    expect("\t" + PN_MAN, kind="malformed", form="whitespace"),
    expect("\u00a0" + PN_MAN, kind="malformed", form="whitespace"),
    expect("19850113-9995 ", kind="malformed", form="whitespace"),
    expect("   ", kind="malformed", form="whitespace"),
    # letters and other garbage
    expect("19850113ABCD", kind="malformed", form="malformed", normalised=None, luhn_valid=None),
    expect("1985011399A5", kind="malformed", form="malformed"),
    expect("19850113 9995", kind="malformed", form="malformed"),  # inner space
    expect("19850113/9995", kind="malformed", form="malformed"),
    expect("1985-01-13-9995", kind="malformed", form="malformed"),
    expect(PN_MAN + "1", kind="malformed", form="malformed"),
    expect(PN_MAN[1:], kind="malformed", form="malformed"),  # 11 digits
    expect("abc", kind="malformed", form="malformed"),
    expect("19850113-XXX", kind="malformed", form="malformed"),
    # null and empty
    expect(None, kind=None, form=None, normalised=None, birth_date=None, birth_date_known=None,
           birth_date_valid=None, luhn_valid=None, birth_number_zero=None, sex=None, m=None),
    expect("", kind=None, form=None, normalised=None, luhn_valid=None, m=None),
    # ---- reserve numbers -----------------------------------------------------------------------------------
    # Region Stockholm
    expect(SLL_MAN, kind="reserve_stockholm", form="canonical", normalised=SLL_MAN, luhn_valid=True,
           birth_date=None, birth_date_known=False, birth_date_valid=None, birth_number_zero=None, sex="odd",
           m="****"),
    expect(SLL_WOMAN, kind="reserve_stockholm", luhn_valid=True, sex="even"),
    expect(flip_check(SLL_MAN), kind="reserve_stockholm", luhn_valid=False, birth_date_known=False),
    # National reserve identity
    expect(NRID_2099, kind="reserve_national", form="canonical", normalised=NRID_2099, luhn_valid=True,
           birth_date=dt.date(2099, 12, 31), birth_date_known=True, birth_date_valid=True,
           birth_number_zero=None, sex="even", m="23991231-****"),
    expect(NRID_2099_NO_SEX, kind="reserve_national", luhn_valid=True, sex=None),
    expect(NRID_1999_SERIES_26, kind="reserve_national", luhn_valid=True, birth_date=dt.date(1999, 12, 31),
           sex="odd"),
    expect(NRID_NO_DATE, kind="reserve_national", luhn_valid=True, birth_date=None, birth_date_known=False,
           birth_date_valid=None, sex="odd", m="****"),
    expect(NRID_2099[:8] + "-" + NRID_2099[8:], kind="reserve_national", form="separator", normalised=NRID_2099,
           luhn_valid=True),
    expect(flip_check(NRID_2099), kind="reserve_national", luhn_valid=False),
    expect(flip_check(NRID_NO_DATE), kind="reserve_national", luhn_valid=False),
    expect(nrid("23990230ZZ2"), kind="reserve_national", luhn_valid=True, birth_date_valid=False, birth_date=None),
    expect(nrid("24991231ZZ2"), kind="reserve_national", luhn_valid=True, birth_date_valid=False),  # no century
    expect(nrid("21991231ZZ2"), kind="malformed"),  # 18-21 are never used
    expect(nrid("19991231ZZ2"), kind="malformed"),
    expect(nrid("99991231ZZ2"), kind="malformed"),
    expect(nrid("00991231ZZ2"), kind="malformed"),  # unknown date needs MM 20-99 and DD 40-59
    expect(nrid("23991231IZ2"), kind="malformed"),  # I, O, Q, V, W are not used
    expect(nrid("23991231ZW2"), kind="malformed"),
    expect(NRID_2099.lower(), kind="malformed"),
    # Västra Götalandsregionen
    expect(VGR_M, kind="reserve_vgr", form="canonical", normalised=VGR_M, luhn_valid=True,
           birth_date=dt.date(2099, 12, 31), birth_date_known=True, birth_date_valid=True,
           birth_number_zero=None, sex="odd", m="20991231-****"),
    expect(VGR_K, kind="reserve_vgr", luhn_valid=True, sex="even"),
    expect(VGR_X, kind="reserve_vgr", luhn_valid=True, sex=None),
    expect(flip_check(VGR_M), kind="reserve_vgr", luhn_valid=False),
    expect(vgr("20990230", "K", "08"), kind="reserve_vgr", luhn_valid=True, birth_date_valid=False),
    expect(VGR_M.lower(), kind="malformed"),
    expect(VGR_M[:8] + "Y" + VGR_M[9:], kind="malformed"),
    # another region's local format is not recognised
    expect("20991231DA0A", kind="malformed"),
]


@pytest.mark.parametrize(("value", "fields"), CASES, ids=[repr(v) for v, _ in CASES])
def test_cases(value: str | None, fields: dict) -> None:
    row = parse_one(value)
    for name, expected in fields.items():
        assert row[name] == expected, (name, row)


def test_cases_in_one_frame_match_single_rows() -> None:
    values = [v for v, _ in CASES]
    frame = parse_many(values)
    for value, (_, fields) in zip(values, CASES, strict=True):
        row = frame.filter(pl.col("v").eq_missing(value)).row(0, named=True)
        for name, expected in fields.items():
            assert row[name] == expected, (value, name, row)


def test_output_schema_and_vocabularies() -> None:
    frame = pl.DataFrame({"v": [v for v, _ in CASES]}, schema={"v": pl.Utf8})
    out = frame.select(pnr.parse(pl.col("v")))
    assert out.schema["v"] == pl.Struct(
        {
            "kind": pl.Utf8,
            "form": pl.Utf8,
            "normalised": pl.Utf8,
            "birth_date": pl.Date,
            "birth_date_known": pl.Boolean,
            "birth_date_valid": pl.Boolean,
            "luhn_valid": pl.Boolean,
            "birth_number_zero": pl.Boolean,
            "sex": pl.Utf8,
        }
    )
    flat = out.unnest("v")
    assert set(flat["kind"].drop_nulls()) <= set(pnr.KINDS)
    assert set(flat["form"].drop_nulls()) <= set(pnr.FORMS)
    assert set(flat["sex"].drop_nulls()) <= {"odd", "even"}
    assert set(pnr.RESERVE_SCHEMES) == {k for k in pnr.KINDS if k.startswith("reserve_")}
    for scheme in pnr.RESERVE_SCHEMES.values():
        assert scheme["breaks_canonical_form"] is True
        assert "carries_sex" in scheme


def test_reserve_numbers_are_never_personnummer() -> None:
    reserve = [SLL_MAN, SLL_WOMAN, NRID_2099, NRID_NO_DATE, VGR_M, VGR_K, VGR_X]
    broken = [flip_check(v) for v in reserve]
    out = parse_many(reserve + broken)
    assert out["kind"].str.starts_with("reserve_").all()
    assert out.filter(pl.col("birth_number_zero").is_not_null()).height == 0


def test_works_in_lazy_and_streaming_queries(test_numbers: pl.DataFrame) -> None:
    extra = pl.DataFrame(
        {"person_id": [c[0] for c in CASES], "file": [None] * len(CASES)}, schema=test_numbers.schema
    )
    lf = pl.concat([test_numbers, extra]).lazy()
    query = (
        lf.with_columns(p=pnr.parse(pl.col("person_id")), masked=pnr.mask(pl.col("person_id")))
        .filter(~pl.col("p").struct.field("luhn_valid"))
        .select("person_id", pl.col("p").struct.field("kind"), "masked")
    )
    in_memory = query.collect()
    streamed = query.collect(engine="streaming")
    assert in_memory.sort("person_id").equals(streamed.sort("person_id"))
    assert in_memory.height > 0
    assert not in_memory["person_id"].is_in(test_numbers["person_id"].implode()).any()


# ----------------------------------------------------------------------------------------------------------------
# mask
# ----------------------------------------------------------------------------------------------------------------
MASK_PATTERN = re.compile(r"^(?:\*\*\*\*|[0-9A-Z]{6}(?:[0-9]{2})?-\*\*\*\*)$")


def test_mask_never_reveals_the_last_four() -> None:
    values = [v for v, _ in CASES] + NAMED
    out = parse_many(values)
    for value, masked in zip(out["v"].to_list(), out["m"].to_list(), strict=True):
        if value is None or value == "":
            assert masked is None
            continue
        assert MASK_PATTERN.match(masked), (value, masked)
        if masked != "****":
            shown = masked.split("-")[0]
            assert value.startswith(shown)
            assert len(shown) <= 8
            # nothing after the date part is shown
            assert masked.endswith("-****")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (PN_MAN, "19850113-****"),
        ("19850113-9995", "19850113-****"),
        ("19850113+9995", "19850113-****"),
        ("850113-9995", "850113-****"),
        ("8501139995", "850113-****"),
        ("19850113", "19850113-****"),
        ("19850113-XXXX", "19850113-****"),
        (SN_BOTH, "19310060-****"),
        (flip_check(PN_MAN), "19850113-****"),
        (" " + PN_MAN, "****"),
        ("abc", "****"),
        (SLL_MAN, "****"),
        (NRID_NO_DATE, "****"),
        (NRID_2099, "23991231-****"),
        (VGR_K, "20991231-****"),
        (None, None),
        ("", None),
    ],
)
def test_mask_examples(value: str | None, masked: str | None) -> None:
    assert parse_one(value)["m"] == masked


# ----------------------------------------------------------------------------------------------------------------
# age_at
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(1985, 1, 13), dt.date(2020, 1, 13), 35),  # birthday
        (dt.date(1985, 1, 13), dt.date(2020, 1, 12), 34),  # day before
        (dt.date(1985, 1, 13), dt.date(2020, 1, 14), 35),
        (dt.date(1985, 12, 31), dt.date(2020, 1, 1), 34),
        (dt.date(1985, 1, 13), dt.date(1985, 1, 13), 0),
        (dt.date(1985, 1, 13), dt.date(1986, 1, 12), 0),
        (dt.date(2000, 2, 29), dt.date(2024, 2, 29), 24),  # leap-day birthday in a leap year
        (dt.date(2000, 2, 29), dt.date(2024, 2, 28), 23),
        (dt.date(2000, 2, 29), dt.date(2023, 2, 28), 22),  # non-leap year: not yet on 28 Feb ...
        (dt.date(2000, 2, 29), dt.date(2023, 3, 1), 23),  # ... but on 1 March
        (dt.date(1896, 2, 29), dt.date(1900, 3, 1), 4),
        (dt.date(1896, 2, 29), dt.date(1900, 2, 28), 3),
    ],
)
def test_age_at(born: dt.date, on: dt.date, age: int) -> None:
    out = pl.DataFrame({"born": [born], "on": [on]}).select(pnr.age_at(pl.col("born"), pl.col("on")))
    assert out.dtypes == [pl.Int32]
    assert out.item() == age


def test_age_at_from_parsed_ids_and_nulls() -> None:
    frame = pl.DataFrame(
        {"v": [PN_LEAP_2000, SN_LEAP, SN_BOTH, None], "on": [dt.date(2023, 2, 28)] * 4},
        schema={"v": pl.Utf8, "on": pl.Date},
    )
    out = frame.select(pnr.age_at(pnr.parse(pl.col("v")).struct.field("birth_date"), pl.col("on")))
    assert out["age"].to_list() == [22, 2, None, None]


# ----------------------------------------------------------------------------------------------------------------
# Scalar helpers
# ----------------------------------------------------------------------------------------------------------------
def test_scalar_helpers() -> None:
    assert pnr.luhn_digit(PN_MAN[2:11]) == int(PN_MAN[11])
    with pytest.raises(ValueError):
        pnr.luhn_digit("12345678")
    with pytest.raises(ValueError):
        pnr.luhn_digit("12345678a")
    for good in (PN_MAN, PN_WOMAN, SN, SN_BOTH, "19850113-9995", SLL_MAN, NRID_2099, NRID_NO_DATE, VGR_X):
        assert pnr.is_valid(good), good
    for bad in (
        flip_check(PN_MAN),
        "8501139995",
        "19850113",
        " " + PN_MAN,
        with_luhn("19850113000"),
        with_luhn("19851313999"),
        flip_check(SLL_MAN),
        nrid("23990230ZZ2"),
        "abc",
        "",
        None,
    ):
        assert not pnr.is_valid(bad), bad
    row = pnr.parse_value(PN_MAN)
    assert set(row) == set(FIELDS)
    assert row["birth_date"] == dt.date(1985, 1, 13)


def test_luhn_check_digit_rejects_non_digits() -> None:
    out = pl.DataFrame({"v": ["12345678", "1234567890", "12345678a", None, " 12345678", "123456789"]}).select(
        pnr.luhn_check_digit(pl.col("v"))
    )
    assert out[:, 0].to_list()[:5] == [None] * 5
    assert out[:, 0].to_list()[5] == pnr.luhn_digit("123456789")


# ----------------------------------------------------------------------------------------------------------------
# Property tests
# ----------------------------------------------------------------------------------------------------------------
# Valid 9-digit prefixes ÅÅMMDDNNN with a real date and birth number 001-999. The century is 20 and the years
# 2090-2099, so the generated 12-digit numbers lie in the future and cannot belong to anyone; samordningsnummer
# (day + 60) are drawn too.
prefixes = st.builds(
    lambda born, serial, coordination: (
        f"{born:%y%m}{born.day + (60 if coordination else 0):02d}{serial:03d}"
    ),
    st.dates(min_value=dt.date(2090, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.integers(min_value=1, max_value=999),
    st.booleans(),
)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(st.lists(prefixes, min_size=1, max_size=200), st.integers(min_value=1, max_value=9))
def test_property_appending_the_check_digit_validates(batch: list[str], shift: int) -> None:
    frame = pl.DataFrame({"prefix": batch}).with_columns(c=pnr.luhn_check_digit(pl.col("prefix")))
    frame = frame.with_columns(
        good=pl.lit("20") + pl.col("prefix") + pl.col("c").cast(pl.Utf8),
        bad=pl.lit("20") + pl.col("prefix") + ((pl.col("c") + shift) % 10).cast(pl.Utf8),
    )
    parsed = frame.select(g=pnr.parse(pl.col("good")), b=pnr.parse(pl.col("bad")))  # parse each column once
    out = parsed.select(
        good=pl.col("g").struct.field("luhn_valid"),
        bad=pl.col("b").struct.field("luhn_valid"),
        kind=pl.col("g").struct.field("kind"),
        date_ok=pl.col("g").struct.field("birth_date_valid"),
    )
    assert out["good"].all()
    assert not out["bad"].any()
    assert out["bad"].null_count() == 0
    assert out["kind"].is_in(["personnummer", "samordningsnummer"]).all()
    assert out["date_ok"].all()
    for prefix, c in zip(frame["prefix"].to_list(), frame["c"].to_list(), strict=True):
        assert c == pnr.luhn_digit(prefix) == ref_luhn([int(ch) for ch in prefix])


@PROPERTY_SETTINGS
@given(st.lists(st.text(alphabet="0123456789", min_size=9, max_size=9), min_size=1, max_size=200))
def test_property_vectorised_luhn_matches_scalar(batch: list[str]) -> None:
    out = pl.DataFrame({"nine": batch}).select(pnr.luhn_check_digit(pl.col("nine")))[:, 0].to_list()
    assert out == [pnr.luhn_digit(nine) for nine in batch]
