"""conform.input.readers: every table-like thing a vendor sends, read as text, never mangled, nothing written beside it.

All data is written by the tests into tmp_path; person-IDs are Skatteverket's published test numbers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest

from conform.errors import ConformError
from conform.input.readers import ReaderError, Source, detect, excel_damage, opened, read

PNR_FILE = Path(__file__).parents[1] / "src/conform/data/testpersonnummer/personnummer.csv"
PNR = pl.read_csv(PNR_FILE, schema={"person_id": pl.String})["person_id"].to_list()

HEADER = ["Person-ID", "Målgrupp", "Datum för beslut", "Försörjning", "Kommentar"]
SWEDISH_ROWS = [
    [PNR[100], "Äldre", "2024-03-05", "Ej självförsörjande", "Insats – boende, ”akut”"],
    [PNR[101], "BoU", "05/03/2024", "Självförsörjande", "Kostnad 1 200 € – åter"],
    [PNR[102], "Vux", "", "Ej självförsörjande", "Öppenvård; Ärende åäö ÅÄÖ é ü"],
    [PNR[103], "EkB", "2024-12-31 00:00:00", "", "‘enkla’ … • ™ — slut"],
]


def write_csv(path: Path, rows: list[list[str]], *, encoding="utf-8", delimiter=",", newline="\n") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cells(source: Source) -> list[list[str | None]]:
    frame = read(source).collect()
    assert frame.columns == ["__row", *source.header]
    assert frame["__row"].to_list() == list(range(1, frame.height + 1))
    assert all(dtype == pl.String for dtype in frame.drop("__row").dtypes)
    return [list(r) for r in frame.drop("__row").rows()]


def expected(rows: list[list[str]]) -> list[list[str | None]]:
    return [[v if v != "" else None for v in row] for row in rows]


@pytest.fixture
def export(tmp_path):
    """A folder for input files, checked to be byte-for-byte unchanged (and without new files) after the test."""
    folder = tmp_path / "export"
    folder.mkdir()
    yield folder
    assert folder in _BEFORE, "a test must call frozen(folder) once its input files are written"
    assert snapshot(folder) == _BEFORE.pop(folder), "the reader wrote over or beside the input"




_BEFORE: dict[Path, dict[str, str]] = {}


def frozen(folder: Path) -> None:
    """Record the input folder's files and hashes; the `export` fixture compares them after the test."""
    _BEFORE[folder] = snapshot(folder)


# ------------------------------------------------------------------------------------------------ CSV text

def test_windows_1252_semicolon_crlf_round_trips(export):
    file = write_csv(export / "insatser.csv", [HEADER, *SWEDISH_ROWS], encoding="cp1252", delimiter=";",
                     newline="\r\n")
    frozen(export)
    [source] = detect(export)
    assert (source.name, source.format, source.encoding) == ("insatser", "csv", "cp1252")
    assert (source.delimiter, source.quotechar, source.line_ending) == (";", '"', "\r\n")
    assert source.header == HEADER and source.records == len(SWEDISH_ROWS)
    assert source.path == file
    got = cells(source)
    assert got == expected(SWEDISH_ROWS)
    assert not any("\ufffd" in (v or "") for row in got for v in row)


def test_utf8_with_bom(export):
    write_csv(export / "person.csv", [HEADER, *SWEDISH_ROWS], encoding="utf-8-sig")
    frozen(export)
    [source] = detect(export / "person.csv")
    assert source.encoding == "utf-8-sig" and source.header[0] == "Person-ID"
    assert cells(source) == expected(SWEDISH_ROWS)


def test_iso_8859_1(export):
    rows = [["id", "målgrupp", "text"], [PNR[1], "Äldre", "ÅÄÖ åäö é ü ß ½ ©"], [PNR[2], "Vux", "kontroll\x8dtecken"]]
    write_csv(export / "latin1.csv", rows, encoding="iso-8859-1", delimiter=";")
    # without a byte in 0x80-0x9F, ISO-8859-1 and Windows-1252 give the same text: reported as cp1252
    write_csv(export / "plain.csv", rows[:2], encoding="iso-8859-1", delimiter=";")
    frozen(export)
    latin1, plain = detect(export)
    assert latin1.encoding == "iso-8859-1" and cells(latin1) == rows[1:]
    assert plain.encoding == "cp1252" and cells(plain) == rows[1:2]


def test_tab_separated(export):
    write_csv(export / "beslut.tsv", [HEADER, *SWEDISH_ROWS], delimiter="\t")
    frozen(export)
    [source] = detect(export)
    assert (source.delimiter, source.encoding, source.line_ending) == ("\t", "utf-8", "\n")
    assert cells(source) == expected(SWEDISH_ROWS)


def test_quoted_fields_with_delimiters_quotes_and_line_breaks(export):
    rows = [["id", "anteckning", "målgrupp"],
            [PNR[5], "rad ett\r\nrad två; med semikolon", "Äldre"],
            [PNR[6], 'han sa "hej"; sedan\nny rad\noch en till', "BoU"],
            [PNR[7], "enkel", ""],
            [PNR[8], ";;;", '"']]
    write_csv(export / "multi.csv", rows, encoding="cp1252", delimiter=";", newline="\r\n")
    frozen(export)
    [source] = detect(export)
    assert source.delimiter == ";" and source.records == 4
    frame = read(source).collect()
    assert frame["__row"].to_list() == [1, 2, 3, 4]  # records, not lines
    assert cells(source) == expected(rows[1:])


def test_blank_lines_are_not_rows(export):
    (export / "gles.csv").write_bytes(b"a,b\n1,2\n\n3,4\n\n\n")
    frozen(export)
    [source] = detect(export)
    assert source.records == 2
    assert read(source).collect().rows() == [(1, "1", "2"), (2, "3", "4")]


def test_utf8_first_megabytes_then_cp1252(export):
    ascii_row = [PNR[0], "Vux", "2024-01-01", "Självförsörjande".encode("ascii", "replace").decode(), "x" * 60]
    filler = []
    size = 0
    while size <= 2 * 1024 * 1024:
        filler.append(ascii_row)
        size += len(";".join(ascii_row)) + 2
    rows = [["person_id", "malgrupp", "datum", "forsorjning", "kommentar"], *filler, *SWEDISH_ROWS]
    file = write_csv(export / "stor.csv", rows, encoding="cp1252", delimiter=";", newline="\r\n")
    assert file.read_bytes()[: 2 * 1024 * 1024].decode("utf-8")  # really UTF-8 for the first 2 MB
    frozen(export)
    [source] = detect(export)
    assert source.encoding == "cp1252" and source.records == len(rows) - 1
    got = read(source).tail(len(SWEDISH_ROWS)).collect().drop("__row").rows()
    assert [list(r) for r in got] == expected(SWEDISH_ROWS)


def test_single_column_csv(export):
    (export / "ids.csv").write_text("person_id\n" + "\n".join(PNR[:3]) + "\n", encoding="utf-8")
    frozen(export)
    [source] = detect(export)
    assert source.header == ["person_id"] and cells(source) == [[p] for p in PNR[:3]]


# -------------------------------------------------------------------------------------- xlsx, parquet, jsonl

def write_workbook(path: Path, ten_digit: str) -> None:
    import xlsxwriter
    workbook = xlsxwriter.Workbook(str(path))
    people = workbook.add_worksheet("Personer")
    people.write_row(0, 0, ["Person-ID", "Målgrupp"])
    people.write_number(1, 0, int(PNR[10]))                                   # an ID typed as a number
    people.write_number(2, 0, int(PNR[11]), workbook.add_format({"num_format": "0.00E+00"}))  # shown as 1.9E+11
    people.write_string(3, 0, f"{PNR[12][0]}.{PNR[12][1:6]}E+11")          # text from a CSV Excel had saved
    people.write_number(4, 0, int(ten_digit))                                 # 10-digit form lost its zero
    people.write_string(5, 0, PNR[13])
    for row, value in enumerate(["Äldre", "Ej självförsörjande", "BoU", "Vux", "Funk"], 1):
        people.write_string(row, 1, value)
    decisions = workbook.add_worksheet("Beslut")
    decisions.write_row(0, 0, ["Beslut-ID", "Datum för beslut", "Belopp"])
    decisions.write_row(1, 0, ["B1", "2024-03-05", 0.1])
    decisions.write_row(2, 0, ["B2", "", 1200])
    workbook.add_worksheet("Tom")  # an empty sheet is passed over
    workbook.close()


def test_xlsx_sheets_as_text_tables(export):
    ten = next(p for p in PNR if p.startswith("200"))[2:]
    write_workbook(export / "leverantör.xlsx", ten)
    frozen(export)
    people, decisions = detect(export)
    assert (people.name, people.format, people.sheet, people.encoding) == ("leverantör:Personer", "xlsx",
                                                                          "Personer", None)
    assert decisions.header == ["Beslut-ID", "Datum för beslut", "Belopp"]
    got = read(people).with_columns(damage=excel_damage(pl.col("Person-ID"))).collect()
    assert got["Person-ID"].to_list() == [PNR[10], PNR[11], f"{PNR[12][0]}.{PNR[12][1:6]}E+11", ten.lstrip("0"),
                                          PNR[13]]
    assert got["damage"].to_list() == [None, None, "scientific", "leading_zeros", None]
    assert got["Målgrupp"].to_list() == ["Äldre", "Ej självförsörjande", "BoU", "Vux", "Funk"]
    assert cells(decisions) == [["B1", "2024-03-05", "0.1"], ["B2", None, "1200"]]


def test_parquet_columns_as_text(export):
    pl.DataFrame({"person_id": [int(PNR[1]), None], "namn": ["Äldre", "Vux"], "datum": [None, "2024-01-02"]},
                 schema_overrides={"datum": pl.String}).with_columns(
        pl.col("datum").str.to_date()).write_parquet(export / "person.parquet")
    frozen(export)
    [source] = detect(export)
    assert (source.format, source.encoding, source.header) == ("parquet", None, ["person_id", "namn", "datum"])
    assert cells(source) == [[PNR[1], "Äldre", None], [None, "Vux", "2024-01-02"]]


def test_jsonl_columns_as_text(export):
    lines = [{"person_id": int(PNR[3]), "målgrupp": "Äldre", "tidigare": True},
             {"person_id": PNR[4], "målgrupp": "Ej självförsörjande – EkB", "tidigare": None, "extra": ""}]
    (export / "person.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                                         encoding="utf-8")
    frozen(export)
    [source] = detect(export)
    assert source.format == "jsonl" and source.encoding == "utf-8"
    assert set(source.header) == {"person_id", "målgrupp", "tidigare", "extra"}
    got = read(source).collect()
    assert got["person_id"].to_list() == [PNR[3], PNR[4]]
    assert got["målgrupp"].to_list() == ["Äldre", "Ej självförsörjande – EkB"]
    assert got["tidigare"].to_list() == ["true", None] and got["extra"].to_list() == [None, None]


# ------------------------------------------------------------------------------------------------------ zip

def test_zip_of_csv_and_xlsx(export, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    write_csv(work / "insats.csv", [HEADER, *SWEDISH_ROWS], encoding="cp1252", delimiter=";", newline="\r\n")
    write_workbook(work / "bok.xlsx", "0101011234")
    with zipfile.ZipFile(export / "leverans.zip", "w") as zf:
        zf.write(work / "insats.csv", "data/insats.csv")
        zf.write(work / "bok.xlsx", "bok.xlsx")
    frozen(export)
    with opened(export / "leverans.zip") as sources:
        assert [s.name for s in sources] == ["bok:Personer", "bok:Beslut", "insats"]
        assert sources[2].origin == f"{export / 'leverans.zip'}:data/insats.csv"
        assert sources[2].encoding == "cp1252" and cells(sources[2]) == expected(SWEDISH_ROWS)
        assert read(sources[0]).collect().height == 5
        private = {s.path.parent for s in sources}
        assert all(export not in p.parents for p in private)
    assert not any(p.exists() for p in private), "private folders are removed when opened() ends"


def test_zip_slip_is_refused(export, tmp_path):
    with zipfile.ZipFile(export / "ond.zip", "w") as zf:
        zf.writestr("ok.csv", "a,b\n1,2\n")
        zf.writestr("../evil.csv", "a,b\n1,2\n")
    frozen(export)
    with pytest.raises(ReaderError, match=r"ond\.zip.*'\.\./evil\.csv'.*unsafe path") as caught:
        detect(export)
    assert isinstance(caught.value, ConformError)
    assert not (tmp_path / "evil.csv").exists() and not (export.parent / "evil.csv").exists()


def test_zip_absolute_member_is_refused(export):
    with zipfile.ZipFile(export / "abs.zip", "w") as zf:
        zf.writestr(zipfile.ZipInfo("/etc/evil.csv"), "a\n1\n")
    frozen(export)
    with pytest.raises(ReaderError, match="unsafe path"):
        detect(export)


# ------------------------------------------------------------------------------------------ excel_damage

def damage(values: list[str | None]) -> list[str | None]:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(excel_damage(pl.col("v")))[
        "excel_damage"].to_list()


def test_excel_damage_on_damaged_test_numbers():
    p = PNR[200]
    born_200x = [x for x in PNR if x.startswith("200")]
    assert born_200x
    forms = {
        f"{p[0]}.{p[1:6]}E+11": "scientific", f"{p[0]},{p[1:6]}E+11": "scientific",
        f"{p[0]}.{p[1:]}e11": "scientific", f"{p[2]}.{p[3:7]}E+09": "scientific",
        f"{p}.0": "decimal", f"{p[2:]},00": "decimal",
        p: None, p[2:]: None, f"{p[:8]}-{p[8:]}": None, f" {p}": None, "": None, None: None,
    }
    assert damage(list(forms)) == list(forms.values())
    lost = [str(int(x[2:])) for x in born_200x]  # what Excel keeps of 0YMMDDNNNN typed as a number
    assert {len(x) for x in lost} <= {7, 8, 9}
    assert set(damage(lost)) == {"leading_zeros"}
    # a 9-digit value that does not pad to a valid ten-digit personnummer is not called Excel damage
    assert damage(["123456789", "101011235"]) == [None, None]


def test_excel_damage_no_false_positive_on_skatteverket_numbers():
    assert len(PNR) == 21726
    frame = pl.DataFrame({"v": PNR}).with_columns(ten=pl.col("v").str.slice(2))
    assert frame.select(excel_damage(pl.col("v")).is_not_null().sum()).item() == 0
    assert frame.select(excel_damage(pl.col("ten")).is_not_null().sum()).item() == 0


# ------------------------------------------------------------------------------------------------- errors

def test_corrupt_xlsx_names_the_file(export):
    (export / "trasig.xlsx").write_bytes(b"PK\x03\x04 not really a workbook" * 20)
    frozen(export)
    with pytest.raises(ReaderError, match=r"trasig\.xlsx: not a readable Excel workbook"):
        detect(export)


def test_empty_file_names_the_file(export):
    (export / "tom.csv").write_bytes(b"")
    (export / "bom.csv").write_bytes(b"\xef\xbb\xbf")
    frozen(export)
    for name in ("tom.csv", "bom.csv"):
        with pytest.raises(ReaderError, match=rf"{name}: the file is empty"):
            detect(export / name)


def test_ragged_csv_names_the_first_bad_line(export):
    # the quoted line break makes record 2 start on line 4
    (export / "ojämn.csv").write_bytes("a;b;c\r\n1;\"x\r\ny\";3\r\n2;2;2\r\n3;3\r\n4;4;4;4\r\n".encode("cp1252"))
    frozen(export)
    with pytest.raises(ReaderError, match=r"ojämn\.csv, line 5: data record 3 has 2 fields, the header has 3") \
            as caught:
        detect(export)
    assert caught.value.line == 5


def test_ragged_csv_without_quotes_names_the_first_bad_line(export):
    # no quoted field at all: every line is a record (the fast path), and a blank line is no record
    (export / "kort.csv").write_text("a;b;c\n1;1;1\n\n2;2;2\n3;3\n", encoding="utf-8")
    frozen(export)
    with pytest.raises(ReaderError, match=r"kort\.csv, line 5: data record 3 has 2 fields, the header has 3") as caught:
        detect(export)
    assert caught.value.line == 5


def test_every_field_quoted_counts_records_and_finds_ragged_ones(export):
    # Some systems quote every value: a quoted value is not an empty field, so such records count (and are
    # checked), while a record of empty quoted fields only is a blank one.
    (export / "citerad.csv").write_text('"a","b"\n"1","2"\n"",""\n"3",""\n', encoding="utf-8")
    (export / "citerad_ojamn.csv").write_text('"a","b"\n"1","2"\n"3","4","5"\n', encoding="utf-8")
    frozen(export)
    with pytest.raises(ReaderError, match=r"citerad_ojamn\.csv, line 3: data record 2 has 3 fields, the header has 2"):
        detect(export)
    (export / "citerad_ojamn.csv").unlink()
    frozen(export)
    [source] = detect(export)
    assert source.records == 2
    assert read(source).collect().rows() == [(1, "1", "2"), (2, "3", None)]


def test_a_quoted_field_never_closed_is_named(export):
    (export / "citat.csv").write_text('a,b\n1,"öppen\n2,2\n', encoding="utf-8")
    frozen(export)
    with pytest.raises(ReaderError, match=r"citat\.csv, line 2: broken quoting: a quoted field is never closed"):
        detect(export)


def test_ragged_csv_in_a_zip_names_the_member(export):
    with zipfile.ZipFile(export / "paket.zip", "w") as zf:
        zf.writestr("del/insats.csv", "a,b\n1,2\n1,2,3\n")
    frozen(export)
    with pytest.raises(ReaderError, match=r"paket\.zip:del/insats\.csv, line 3"):
        detect(export)


def test_other_errors_name_the_file(export):
    (export / "bom.csv").write_bytes(b"\xef\xbb\xbfa,b\n1,\xc4ldre\n")
    (export / "u16.csv").write_bytes("a,b\n".encode("utf-16"))
    (export / "trasig.zip").write_bytes(b"not a zip")
    (export / "trasig.parquet").write_bytes(b"PAR1 nope")
    (export / "fel.jsonl").write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    (export / "dubbel.csv").write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    (export / "tomt").mkdir()
    frozen(export)
    cases = {"bom.csv": r"bom\.csv, line 2: starts with a UTF-8 byte-order mark but is not UTF-8",
             "u16.csv": r"u16\.csv: the file is UTF-16 text", "trasig.zip": r"trasig\.zip: not a readable zip",
             "trasig.parquet": r"trasig\.parquet: not a readable Parquet file",
             "fel.jsonl": r"fel\.jsonl, line 2: not valid JSON Lines",
             "dubbel.csv": r"dubbel\.csv, line 1: column names given more than once in the header: 'a'",
             "tomt": r"tomt: no table found"}
    for name, pattern in cases.items():
        with pytest.raises(ReaderError, match=pattern):
            detect(export / name)
    with pytest.raises(ReaderError, match="no such file"):
        detect(export / "saknas.csv")
