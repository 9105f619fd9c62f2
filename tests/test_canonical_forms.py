"""The canonical tables as they arrive: zipped, at the archive's root or in its one folder, are read without a
mapping, to the same verdict and figures as the plain folder, with the archive's datapackage.json honoured (the
reference date among it) and a note that says so."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures"


def zipped(folder: Path, archive: Path, inside: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"{inside}{f.name}")
    return archive


def checked(export: Path, out: Path) -> tuple[int, dict]:
    ran = CliRunner().invoke(main, ["check", str(export), "--format", "json", "--output", str(out)])
    return ran.exit_code, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("example", ["example", "example-defects"])
@pytest.mark.parametrize("inside", ["", "export-2025/"], ids=["at the root", "in one folder"])
def test_a_zipped_export_is_read_as_its_folder(tmp_path, example, inside):
    code, plain = checked(EXAMPLES / example, tmp_path / "plain.json")
    archive = zipped(EXAMPLES / example, tmp_path / "export.zip", inside)
    zipped_code, read = checked(archive, tmp_path / "zipped.json")
    assert zipped_code == code
    for part in ("summary", "information_sets", "figures"):
        assert read[part] == plain[part], part
    assert [(r["code"], r["count"]) for r in read["rules"]] == [(r["code"], r["count"]) for r in plain["rules"]]
    assert read["as_of"] == plain["as_of"] and read["as_of_source"] == "package"  # its datapackage.json
    assert read["notes"] == sorted(plain["notes"] + ["read_from_zip"])
    assert [f["path"] for f in read["export"]["files"]] == [f"export.zip:{inside}{f['path']}"
                                                            for f in plain["export"]["files"]]
    assert [f["sha256"] for f in read["export"]["files"]] == [f["sha256"] for f in plain["export"]["files"]]


def test_a_zip_without_the_tables_is_named_as_the_archive(tmp_path):
    archive = tmp_path / "annat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("rapport.txt", "inget här")
    ran = CliRunner().invoke(main, ["check", str(archive), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED
    assert str(archive) in ran.output and "rapport.txt" in ran.output and "conform-zip-" not in ran.output


def test_a_zip_whose_member_climbs_out_is_refused_unread(tmp_path):
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../person.csv", "person_id\n")
    ran = CliRunner().invoke(main, ["check", str(archive), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED and "Traceback" not in ran.output
    assert not (tmp_path.parent / "person.csv").exists()


# ------------------------------------------------------------------------------ a workbook, CSV saved by Excel

AS_OF = ["--as-of", "2025-06-30"]  # the example's own reference date (its datapackage.json), which a workbook lacks
TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]


def workbook(folder: Path, target: Path, far_corner: str | None = None, sheet_names=None,
             empty_strings: bool = False) -> Path:
    """The five tables as the sheets of one workbook, every cell as text, as xlsxwriter (not conform) writes it;
    with `far_corner`, that table's sheet also has one value in the sheet's last cell, XFD1048576; with
    `empty_strings`, an empty field is a cell holding "" (as report writers and a formula ="" leave it), not a
    blank cell."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target))
    for table in TABLES:
        sheet = book.add_worksheet((sheet_names or {}).get(table, table))
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                for j, value in enumerate(row):
                    if value or empty_strings:
                        sheet.write_string(i, j, value)
        if table == far_corner:
            sheet.write_string(1_048_575, 16_383, "x")
    book.close()
    return target


def checked_as_of(export: Path, out: Path) -> tuple[int, dict]:
    ran = CliRunner().invoke(main, ["check", str(export), *AS_OF, "--format", "json", "--output", str(out)])
    assert "Traceback" not in ran.output, ran.output
    return ran.exit_code, json.loads(out.read_text(encoding="utf-8"))


def same_judgement(read: dict, plain: dict) -> None:
    for part in ("summary", "information_sets", "figures"):
        assert read[part] == plain[part], part
    assert [(r["code"], r["count"]) for r in read["rules"]] == [(r["code"], r["count"]) for r in plain["rules"]]


@pytest.mark.parametrize("example", ["example", "example-defects"])
def test_a_workbook_with_one_sheet_per_table_is_read_as_the_folder(tmp_path, example):
    code, plain = checked_as_of(EXAMPLES / example, tmp_path / "plain.json")
    book = workbook(EXAMPLES / example, tmp_path / "export.xlsx",
                    sheet_names={"person": "Person", "insats": "INSATS"})  # named as the tables, in any case
    read_code, read = checked_as_of(book, tmp_path / "book.json")
    assert read_code == code
    same_judgement(read, plain)
    assert read["notes"] == sorted(plain["notes"] + ["read_from_workbook"])
    files = {f["table"]: f for f in read["export"]["files"]}
    assert files["insats"]["path"] == "export.xlsx:INSATS" and files["insats"]["format"] == "xlsx"
    assert {f["sha256"] for f in files.values()} == {hashlib.sha256(book.read_bytes()).hexdigest()}


def test_a_workbook_whose_empty_cells_hold_empty_strings_is_read_as_the_folder(tmp_path):
    code, plain = checked_as_of(EXAMPLES / "example", tmp_path / "plain.json")
    book = workbook(EXAMPLES / "example", tmp_path / "export.xlsx", empty_strings=True)
    read_code, read = checked_as_of(book, tmp_path / "book.json")
    assert (read_code, read["summary"]["findings"]) == (code, plain["summary"]["findings"])
    same_judgement(read, plain)


def test_a_workbook_without_a_sheet_named_as_a_table_names_its_sheets(tmp_path):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "annat.xlsx"))
    book.add_worksheet("Blad1").write_string(0, 0, "personnummer")
    book.close()
    ran = CliRunner().invoke(main, ["check", str(tmp_path / "annat.xlsx"), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED and "Traceback" not in ran.output
    assert "Blad1" in ran.output and "init-mapping" in ran.output


def test_a_workbook_sheet_with_a_value_in_its_far_corner_is_refused_not_loaded(tmp_path):
    # The workbook reader holds a sheet as one grid from its first value to its last: 17 billion cells here,
    # which aborted the process. Run apart, under a memory limit, so that a regression fails this test only.
    book = workbook(EXAMPLES / "example", tmp_path / "hörnet.xlsx", far_corner="insats")
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30));"
              "from conform.cli import main; sys.exit(main())")
    ran = subprocess.run([sys.executable, "-c", script, "check", str(book), *AS_OF, "--format", "json"],
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == ExitCode.FINDINGS, ran.stderr
    doc = json.loads(ran.stdout)
    unreadable = next(r for r in doc["rules"] if r["code"] == "STR-004")
    assert unreadable["count"] == 1 and unreadable["examples"][0]["table"] == "insats"
    assert "XFD1048576" in unreadable["examples"][0]["message"]
    statuses = {s["id"]: s["status"] for s in doc["information_sets"]}
    assert statuses["insats"] == statuses["datum_verkstallande"] == "missing"
    assert statuses["juridiskt_kon"] == "conformant"  # the other sheets are read


def test_a_far_corner_sheet_is_refused_when_drafting_a_mapping_too(tmp_path):
    book = workbook(EXAMPLES / "example", tmp_path / "hörnet.xlsx", far_corner="person")
    ran = CliRunner().invoke(main, ["init-mapping", str(book), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED and "Traceback" not in ran.output
    assert "XFD1048576" in ran.output and "'person'" in ran.output


def test_formatting_far_from_the_values_is_no_obstacle(tmp_path):
    # Excel writes a cell that is only formatted (<c r="XFD1048576" s="1"/>), and its <dimension> may claim the
    # whole sheet: the reader passes both over, and so does the guard.
    book = workbook(EXAMPLES / "example", tmp_path / "formaterad.xlsx")
    rewritten = tmp_path / "formaterad2.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
            dst.writestr(info, data)
    code, plain = checked_as_of(EXAMPLES / "example", tmp_path / "plain.json")
    read_code, read = checked_as_of(rewritten, tmp_path / "read.json")
    assert read_code == code
    same_judgement(read, plain)


# ------------------------------------------------------------------- forms made by office software, not by us

WILD = Path(__file__).resolve().parent / "canonical_forms_wild"  # made by a helper with LibreOffice: CASES.md
SAME_AS_THE_FOLDER = {
    "excel_sv_csv": ["read_other_encoding", "read_other_separator"],  # ; Windows-1252 CRLF
    "utf8_bom_semicolon": ["read_other_separator"],                    # Excel's "CSV UTF-8"
    "tab_utf8": ["read_other_separator"],
    "unicode_text": ["read_other_encoding", "read_other_separator"],  # Excel's "Unicode text": UTF-16, tab
    "workbook.xlsx": ["read_from_workbook"],
    "workbook_typed.xlsx": ["read_from_workbook"],                     # IDs as numbers, dates as date cells
    "workbook_claims_whole_sheet.xlsx": ["read_from_workbook"],
    "example.zip": ["read_from_zip"],
    "example_macos.zip": ["read_from_zip"],
    "example_macos_dotunderscore_beside.zip": ["read_from_zip"],
}


@pytest.mark.parametrize("form", sorted(SAME_AS_THE_FOLDER))
def test_the_example_as_office_software_saved_it_is_judged_as_the_folder(tmp_path, form):
    code, plain = checked_as_of(EXAMPLES / "example", tmp_path / "plain.json")
    read_code, read = checked_as_of(WILD / form, tmp_path / "read.json")
    assert read_code == code
    same_judgement(read, plain)
    assert read["notes"] == sorted(SAME_AS_THE_FOLDER[form])


@pytest.mark.parametrize("form", ["workbook_far_corner.xlsx", "workbook_far_corner_calc.xlsx"])
def test_a_stray_value_in_the_far_corner_makes_that_sheet_unreadable_only(tmp_path, form):
    code, read = checked_as_of(WILD / form, tmp_path / "read.json")
    assert code == ExitCode.FINDINGS
    assert [(r["code"], r["count"]) for r in read["rules"] if r["count"] and r["severity"] == "error"] == [
        ("STR-004", 1)]
    statuses = {s["id"]: s["status"] for s in read["information_sets"]}
    assert statuses["insats"] == statuses["orsak_avslut"] == "missing"
    assert statuses["person_id"] == statuses["sip"] == "conformant"


def test_person_ids_that_a_spreadsheet_turned_into_numbers_are_not_accepted(tmp_path):
    code, read = checked_as_of(WILD / "mangled_by_excel", tmp_path / "read.json")
    assert code == ExitCode.FINDINGS and read["summary"]["verdict"] != "conformant"
    counts = {r["code"]: r["count"] for r in read["rules"]}
    assert counts["PID-014"] == 300  # every person's ID, named as spoilt by a spreadsheet program
    statuses = {s["id"]: s["status"] for s in read["information_sets"]}
    assert statuses["person_id"] in ("nonconformant", "unsupported")


def test_with_a_mapping_a_far_corner_sheet_is_unreadable_and_the_other_sheets_are_checked(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    drafted = CliRunner().invoke(main, ["init-mapping", str(WILD / "workbook.xlsx"), "--output", str(mapping)])
    assert drafted.exit_code == 0, drafted.output
    book = tmp_path / "workbook.xlsx"  # the mapping names its sheets as this file's
    book.write_bytes((WILD / "workbook_far_corner.xlsx").read_bytes())
    ran = CliRunner().invoke(main, ["check", str(book), "--mapping", str(mapping), *AS_OF, "--format", "json"])
    assert ran.exit_code == ExitCode.PROVISIONAL, ran.output  # an unreviewed draft: no final verdict
    doc = json.loads(ran.output)
    unreadable = next(r for r in doc["rules"] if r["code"] == "STR-004")
    assert unreadable["count"] == 1 and "XFD1048576" in unreadable["examples"][0]["message"]
    records = {f["table"]: f["records"] for f in doc["export"]["files"]}
    assert records == {"person": 300, "aktualisering": 376, "beslut": 350, "insats": 0, "uppfoljning": 504}


def test_a_utf16_mark_before_bytes_that_are_no_utf16_is_unreadable_not_a_crash(tmp_path):
    # Found by the fuzz suite: a UTF-16 byte-order mark, then a lone surrogate and plain bytes.
    export = tmp_path / "export"
    export.mkdir()
    for source in (EXAMPLES / "example").iterdir():
        (export / source.name).write_bytes(source.read_bytes())
    (export / "aktualisering.csv").write_bytes(b"\xff\xfe\x00\xd8" + b'aktualisering_id,person_id\n"')
    code, read = checked_as_of(export, tmp_path / "read.json")
    assert code == ExitCode.FINDINGS
    unreadable = next(r for r in read["rules"] if r["code"] == "STR-004")
    assert unreadable["count"] == 1 and "aktualisering" in unreadable["examples"][0]["message"]
    assert {s["id"]: s["status"] for s in read["information_sets"]}["datum_aktualisering"] == "missing"
