"""End to end: the CLI on real export folders."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode
from conform.resources import SCHEMAS_DIR
from rulecases import write_export

AS_OF = ["--as-of", "2025-06-30"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def clean(tmp_path) -> Path:
    write_export(tmp_path / "clean", {})
    return tmp_path / "clean"


@pytest.fixture
def defective(tmp_path) -> Path:
    write_export(tmp_path / "bad", {"set": {
        "person": {"201401042385": {"juridiskt_kon": "Kvinna"}},
        "beslut": {"B_VUX": {"datum_beslut": "2024-02-28"}},
        "aktualisering": {"A_BOU": {"aktualiseringsorsak": "Brister i omsorg|Ej självförsörjande"}},
    }})
    return tmp_path / "bad"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_clean_export_passes_with_exit_0(clean):
    result = run("check", str(clean), *AS_OF)
    assert result.exit_code == ExitCode.OK
    assert "Samlad bedömning: GODKÄND (0 fel, 0 varningar" in result.output
    assert "Referensdatum: 2025-06-30 (angivet med --as-of)" in result.output


def test_errors_give_exit_1_and_name_rule_and_record(defective):
    result = run("check", str(defective), *AS_OF)
    assert result.exit_code == ExitCode.FINDINGS
    assert "VAL-001 [fel · krav] 1 ×" in result.output
    assert "DAT-001 [varning · tolkning] 1 ×" in result.output
    assert "beslut:2 [B_VUX]" in result.output


def test_fail_on_warning(tmp_path):
    write_export(tmp_path, {"set": {"aktualisering": {"A_BOU": {
        "aktualiseringsorsak": "Brister i omsorg|Ej självförsörjande"}}}})
    assert run("check", str(tmp_path), *AS_OF).exit_code == ExitCode.OK
    assert run("check", str(tmp_path), *AS_OF, "--fail-on", "warning").exit_code == ExitCode.FINDINGS


def test_english_output(defective):
    result = run("check", str(defective), *AS_OF, "--lang", "en")
    assert "Overall verdict: NOT APPROVED" in result.output
    assert 'Juridiskt kön "Kvinna" is not in the value set' in result.output


def test_json_is_valid_deterministic_and_masked(defective, tmp_path):
    schema = json.loads((SCHEMAS_DIR / "result.schema.json").read_text(encoding="utf-8"))
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    assert run("check", str(defective), *AS_OF, "--format", "json", "-o", str(first)).exit_code == 1
    assert run("check", str(defective), *AS_OF, "--format", "json", "-o", str(second)).exit_code == 1
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    jsonschema.validate(a, schema)
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b
    assert a["as_of"] == "2025-06-30" and a["summary"]["verdict"] == "nonconformant"
    statuses = {s["id"]: s["status"] for s in a["information_sets"]}
    assert statuses["juridiskt_kon"] == "nonconformant" and statuses["ursprung"] == "conformant"
    assert statuses["aktualiseringsorsak"] == "warnings"
    text = first.read_text()
    assert "201401042385" not in text and "20140104-****" in text


def test_reveal_ids_shows_full_person_id(defective):
    result = run("check", str(defective), *AS_OF, "--format", "json", "--reveal-ids")
    assert "201401042385" in result.output


def test_violations_csv_lists_every_violation_in_full(defective, tmp_path):
    target = tmp_path / "v.csv"
    result = run("check", str(defective), *AS_OF, "--violations", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert list(rows[0])[:9] == ["table", "row", "key", "rule", "severity", "category", "field", "value", "other"]
    assert {(r["rule"], r["table"], r["row"], r["key"]) for r in rows} >= {
        ("VAL-001", "person", "1", "201401042385"), ("DAT-001", "beslut", "2", "B_VUX")}
    assert f"{len(rows)} avvikelser skrivna till" in result.output


@pytest.fixture
def formulas(tmp_path) -> Path:
    """Values a spreadsheet would run as formulas, and a person-ID Excel would turn into a number."""
    write_export(tmp_path / "formulas", {"set": {
        "person": {"201401042385": {"juridiskt_kon": "=HYPERLINK(\"http://x.invalid\";\"klicka\")",
                                    "ursprung": "+46-1"},
                   "198502069993": {"juridiskt_kon": "@SUMMA(A1)", "ursprung": "-1"}},
    }})
    return tmp_path / "formulas"


def test_violations_csv_for_a_swedish_excel_is_bom_semicolon_crlf_and_runs_no_formula(formulas, tmp_path):
    target = tmp_path / "v.csv"
    run("check", str(formulas), *AS_OF, "--violations", str(target), "--csv-dialect", "excel-sv")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and raw.count(b"\r\n") == raw.count(b"\n")
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig", newline=""), delimiter=";"))
    values = {r["value"] for r in rows if r["rule"] in ("VAL-001", "VAL-002")}
    assert values == {"'=HYPERLINK(\"http://x.invalid\";\"klicka\")", "'+46-1", "'@SUMMA(A1)", "'-1"}
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()), row
    assert {r["key"] for r in rows} >= {"201401042385", "198502069993"}     # in full, as text


def test_violations_csv_standard_dialect_has_a_bom_and_commas(defective, tmp_path):
    target = tmp_path / "v.csv"
    run("check", str(defective), *AS_OF, "--violations", str(target))
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbftable,row,key,rule,") and b"\r\n" not in raw


def test_violations_workbook_keeps_ids_as_text_and_runs_no_formula(formulas, tmp_path):
    import zipfile

    import polars as pl

    target = tmp_path / "v.xlsx"
    result = run("check", str(formulas), *AS_OF, "--violations", str(target))
    assert "avvikelser skrivna till" in result.output
    with zipfile.ZipFile(target) as book:
        sheets = {name: book.read(name).decode("utf-8") for name in book.namelist()
                  if name.startswith("xl/worksheets/sheet")}
        workbook = book.read("xl/workbook.xml").decode("utf-8")
    assert 'name="Avvikelser"' in workbook and 'name="Regler"' in workbook
    first = sheets["xl/worksheets/sheet1.xml"]
    assert "<f>" not in first and "<f " not in first                      # no formula anywhere
    assert "<v>" not in first                                             # no number: every cell is a string
    assert 'state="frozen"' in first and "<autoFilter" in first
    frame = pl.read_excel(target, sheet_name="Avvikelser", engine="calamine",
                          infer_schema_length=0)
    assert frame.columns[:4] == ["Tabell", "Rad", "Nyckel", "Regel"]
    assert set(frame["Nyckel"]) >= {"201401042385", "198502069993"}
    assert "=HYPERLINK(\"http://x.invalid\";\"klicka\")" in set(frame["Värde"])   # verbatim, and text
    assert set(frame["Allvarlighet"]) <= {"fel", "varning", "info"}
    assert "Juridiskt kön" in set(frame["Fält"])                        # the standard's name, not the field id
    rules = pl.read_excel(target, sheet_name="Regler", engine="calamine", infer_schema_length=0)
    val001 = rules.filter(pl.col("Regel") == "VAL-001").row(0, named=True)
    assert val001["Allvarlighet"] == "fel" and val001["Grund"] == "krav" and val001["Antal avvikelser"] == "2"
    assert "{" not in val001["Meddelande"] and val001["Informationsmängder"] == "Juridiskt kön"


def test_inputs_are_never_modified(defective, tmp_path):
    before = digests(defective)
    run("check", str(defective), *AS_OF, "--format", "json", "-o", str(tmp_path / "r.json"),
        "--violations", str(tmp_path / "v.csv"))
    refused = run("check", str(defective), *AS_OF, "-o", str(defective / "person.csv"))
    assert refused.exit_code == ExitCode.NOT_CHECKED
    assert "conform skriver aldrig över sina indata" in refused.output
    assert digests(defective) == before


def test_missing_path_is_exit_2_without_traceback(tmp_path):
    result = run("check", str(tmp_path / "nowhere"))
    assert result.exit_code == ExitCode.NOT_CHECKED
    assert "filen eller mappen finns inte" in result.output and "Traceback" not in result.output


def test_output_the_system_refuses_is_exit_2_naming_the_path(clean, tmp_path):
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    result = run("check", str(clean), *AS_OF, "--output", str(tmp_path / "a-file" / "report.txt"))
    assert result.exit_code == ExitCode.NOT_CHECKED
    assert "a-file" in result.output and "Traceback" not in result.output


def test_missing_table_is_a_finding_not_a_crash(tmp_path):
    write_export(tmp_path, {"drop_tables": ["uppfoljning"]})
    result = run("check", str(tmp_path), *AS_OF, "--format", "json")
    assert result.exit_code == ExitCode.FINDINGS
    doc = json.loads(result.output)
    statuses = {s["id"]: s["status"] for s in doc["information_sets"]}
    assert statuses["datum_uppfoljning"] == "missing" and statuses["sip"] == "missing"
    assert statuses["juridiskt_kon"] == "conformant"


def test_a_windows_1252_file_is_read_as_such_with_a_note(tmp_path):
    write_export(tmp_path, {})
    plain = json.loads(run("check", str(tmp_path), *AS_OF, "--format", "json").output)
    person = tmp_path / "person.csv"
    person.write_bytes(person.read_text(encoding="utf-8").encode("cp1252"))
    result = run("check", str(tmp_path), *AS_OF, "--format", "json")
    doc = json.loads(result.output)
    assert result.exit_code == ExitCode.OK and "STR-004" not in {r["code"] for r in doc["rules"] if r["count"]}
    assert doc["information_sets"] == plain["information_sets"] and doc["figures"] == plain["figures"]
    assert doc["notes"] == ["read_other_encoding"]
    assert [f["encoding"] for f in doc["export"]["files"] if f["table"] == "person"] == ["cp1252"]
    text = run("check", str(tmp_path), *AS_OF, "--lang", "sv").output
    assert "Windows-1252" in text and "cp1252" in text


def test_a_utf8_file_damaged_in_one_place_stays_unreadable_and_its_sets_missing(tmp_path):
    # UTF-8 with one Windows-1252 byte (a line pasted from another program): read as Windows-1252 every "ö"
    # elsewhere would turn into "Ã¶", so the file is not guessed at but named with its bad line.
    write_export(tmp_path, {})
    person = tmp_path / "person.csv"
    lines = person.read_text(encoding="utf-8").splitlines(keepends=True)
    assert any("ö" in line for line in lines[3:])
    person.write_bytes("".join(lines[:2]).encode("utf-8") + lines[2].encode("cp1252")
                       + "".join(lines[3:]).encode("utf-8"))
    result = run("check", str(tmp_path), *AS_OF, "--lang", "en")
    assert result.exit_code == ExitCode.FINDINGS
    assert "STR-004" in result.output and "not UTF-8" in result.output and "line 3" in result.output
    doc = json.loads(run("check", str(tmp_path), *AS_OF, "--format", "json").output)
    statuses = {s["id"]: s["status"] for s in doc["information_sets"]}
    assert statuses["juridiskt_kon"] == statuses["ursprung"] == "missing"


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_a_table_with_another_separator_is_read_with_it(tmp_path, separator):
    write_export(tmp_path, {})
    plain = json.loads(run("check", str(tmp_path), *AS_OF, "--format", "json").output)
    for table in ("person", "insats"):
        path = tmp_path / f"{table}.csv"
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, delimiter=separator, lineterminator="\r\n").writerows(rows)
    doc = json.loads(run("check", str(tmp_path), *AS_OF, "--format", "json").output)
    assert doc["information_sets"] == plain["information_sets"] and doc["figures"] == plain["figures"]
    assert [(r["code"], r["count"]) for r in doc["rules"]] == [(r["code"], r["count"]) for r in plain["rules"]]
    assert doc["notes"] == ["read_other_separator"]
    assert {f["table"]: f["delimiter"] for f in doc["export"]["files"]} == {
        "person": separator, "aktualisering": ",", "beslut": ",", "insats": separator, "uppfoljning": ","}


def test_a_header_of_unknown_names_gets_a_delimiter_hint(tmp_path):
    write_export(tmp_path, {"raw": {"person": "pnr;kon;urspr\n201401042385;Flicka/Kvinna;\n"}})
    result = run("check", str(tmp_path), *AS_OF, "--lang", "en")
    assert "STR-002" in result.output and "the file seems to use ; as its delimiter, not a comma" in result.output


def test_ragged_row_is_found(tmp_path):
    write_export(tmp_path, {"raw": {"person": "person_id,juridiskt_kon,ursprung\n"
                                              "201401042385,Flicka/Kvinna\n198502069993,Pojke/Man,\n"}})
    result = run("check", str(tmp_path), *AS_OF, "--format", "json")
    doc = json.loads(result.output)
    ragged = next(r for r in doc["rules"] if r["code"] == "STR-005")
    assert ragged["count"] == 1 and ragged["examples"][0]["row"] == 1


def test_bad_profile_is_exit_2_naming_the_place(tmp_path, clean):
    import shutil

    from conform.resources import profile_dir
    broken = tmp_path / "profile"
    shutil.copytree(profile_dir(), broken)
    descriptor = json.loads((broken / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"]["fields"][1]["cardinality"] = "2"
    (broken / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = run("check", str(clean), "--profile", str(broken))
    assert result.exit_code == ExitCode.NOT_CHECKED
    assert "resources/0/schema/fields/1/cardinality" in result.output


def test_rules_and_explain():
    listing = run("rules")
    assert listing.exit_code == 0 and "PID-006" in listing.output and "VAL-016" in listing.output
    explained = run("explain", "pid-006", "--lang", "en")
    assert "Luhn" in explained.output and "spec:" in explained.output and "example (fail)" in explained.output
    assert run("explain", "XYZ-999").exit_code == ExitCode.NOT_CHECKED


def test_console_script_runs(clean):
    completed = subprocess.run([sys.executable, "-m", "conform", "check", str(clean), *AS_OF],
                               capture_output=True, text=True, env={"CI": "true", "PATH": ""})
    assert completed.returncode == 0, completed.stderr


def _result_json(folder: Path, target: Path) -> Path:
    assert run("check", str(folder), *AS_OF, "--format", "json", "-o", str(target)).exit_code in (0, 1)
    return target


def test_diff_exit_codes_gate_a_release(clean, defective, tmp_path):
    old, new = _result_json(clean, tmp_path / "old.json"), _result_json(defective, tmp_path / "new.json")
    worse = run("diff", str(old), str(new))
    assert worse.exit_code == ExitCode.FINDINGS and "VAL-001" in worse.output
    assert run("diff", str(new), str(old)).exit_code == ExitCode.OK
    as_json = json.loads(run("diff", str(old), str(new), "--format", "json").output)
    assert as_json["format"] == "conform-diff" and as_json["regression"] is True


def test_compare_writes_matrix_and_refuses_other_profiles(clean, defective, tmp_path):
    a, b = _result_json(clean, tmp_path / "a.json"), _result_json(defective, tmp_path / "b.json")
    page, matrix = tmp_path / "c.html", tmp_path / "c.csv"
    done = run("compare", str(a), str(b), "--name", "Leverantör A", "--name", "Leverantör B",
               "--html", str(page), "--csv", str(matrix))
    assert done.exit_code == 0
    assert "Leverantör B" in page.read_text(encoding="utf-8")
    rows = list(csv.reader(matrix.open(encoding="utf-8")))
    # One row per vendor, in rank order, after the headings.
    assert rows[0][:2] == ["Placering", "Leverantör"] and [r[1] for r in rows[1:]] == ["Leverantör A", "Leverantör B"]
    other = json.loads(b.read_text(encoding="utf-8"))
    other["profile"]["version"] = "2.0.0"
    b.write_text(json.dumps(other), encoding="utf-8")
    refused = run("compare", str(a), str(b))
    assert refused.exit_code == ExitCode.NOT_CHECKED and "2.0.0" in refused.output


def test_junit_and_markdown_formats(defective):
    junit = run("check", str(defective), *AS_OF, "--format", "junit")
    assert junit.exit_code == ExitCode.FINDINGS and junit.output.startswith("<?xml")
    assert 'name="VAL-001' in junit.output and "<failure" in junit.output
    markdown = run("check", str(defective), *AS_OF, "--format", "markdown")
    assert "**Samlad bedömning: EJ GODKÄND**" in markdown.output and "| Juridiskt kön |" in markdown.output


GOLDEN = Path(__file__).parent / "golden"


def test_text_report_matches_golden(defective, monkeypatch):
    """The terminal report of a small export, as a person reads it (CONFORM_UPDATE_GOLDEN=1 regenerates)."""
    monkeypatch.chdir(defective.parent)
    text = run("check", defective.name, *AS_OF).output
    golden = GOLDEN / "check.sv.txt"
    if os.environ.get("CONFORM_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_report_without_html_on_a_terminal_says_how_and_prints_no_page(tmp_path):
    """A page of HTML is never printed on a terminal: with no --html there, one line says how to write it; piped,
    the page goes to standard output as before."""
    import pty

    example = Path(__file__).resolve().parents[1] / "fixtures" / "example"
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "conform", "report", str(example), "--lang", "sv"],
                              stdout=terminal, stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path,
                              env=os.environ | {"CONFORM_LANG": "sv"})
        os.set_blocking(controller, False)
        try:
            printed = os.read(controller, 1 << 16)
        except BlockingIOError:
            printed = b""
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.returncode == ExitCode.NOT_CHECKED
    assert "--html rapport.html" in done.stderr and "<html" not in done.stderr
    assert b"<html" not in printed
    piped = subprocess.run([sys.executable, "-m", "conform", "report", str(example)], capture_output=True,
                           text=True, timeout=120, cwd=tmp_path)
    assert piped.returncode in (ExitCode.OK, ExitCode.FINDINGS) and piped.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("command, usage", [
    ("diff", "FÖRE EFTER"), ("compare", "RESULTAT..."), ("explain", "REGELKOD"), ("generate", "UTMAPP")])
def test_swedish_help_names_its_arguments_in_swedish(command, usage):
    shown = CliRunner().invoke(main, [command, "--help"], env={"CONFORM_LANG": "sv"}).output
    assert usage in shown.splitlines()[0], shown
    assert not {"OLD", "NEW", "RESULTS", "CODE", "OUTDIR", "conform.generator"} & set(shown.replace(".", " ").split())


