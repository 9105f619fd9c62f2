"""Title lines above a CSV file's headings (issue 24): a report generator's file often opens with a title, a
printing stamp and a blank line before the table. The forms in tests/titled_csv/ were written by a helper that had
not read the readers (CASES.md says how); each must be read to the same judgement as the plain example, and a
table's findings must name the same records, counted from its headings, not from the file's first line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "tests" / "titled_csv"
TABLES = ("person", "aktualisering", "beslut", "insats", "uppfoljning")


def checked(export: Path, out: Path, *more: str) -> tuple[int, dict]:
    ran = CliRunner().invoke(main, ["check", str(export), "--format", "json", "--output", str(out), *more])
    assert ran.exit_code in (0, 1, 3), ran.output
    return ran.exit_code, json.loads(out.read_text(encoding="utf-8"))


def findings(document: dict) -> list[tuple]:
    return sorted((r["code"], e["table"], e["row"], e["field"], e["value"])
                  for r in document["rules"] for e in r["examples"])


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> dict:
    return checked(ROOT / "fixtures" / "example", tmp_path_factory.mktemp("plain") / "r.json")[1]


@pytest.mark.parametrize("form", ["title_blank", "title_stamp", "title_quoted", "title_only_file"])
def test_a_titled_form_reads_as_the_plain_example(plain, tmp_path, form):
    code, read = checked(FORMS / form, tmp_path / "r.json")
    for part in ("summary", "information_sets", "figures"):
        assert read[part] == plain[part], part
    assert [(r["code"], r["count"]) for r in read["rules"]] == [(r["code"], r["count"]) for r in plain["rules"]]
    assert findings(read) == findings(plain)
    assert "read_below_title" in read["notes"]
    assert [f["records"] for f in read["export"]["files"]] == [f["records"] for f in plain["export"]["files"]]


def test_headings_on_the_first_line_are_read_from_it(plain, tmp_path):
    """The control form: no title, and beslut's first record has no ID. Its findings name that record as the
    first, and no line is passed over."""
    _, read = checked(FORMS / "no_title", tmp_path / "r.json")
    assert "read_below_title" not in read["notes"]
    extra = sorted(set(findings(read)) - set(findings(plain)))
    assert [(code, table, row) for code, table, row, *_ in extra] == [("INT-002", "beslut", 1),
                                                                      ("INT-003", "insats", 1)]


def titled(source: Path, target: Path, title: str = "Rapport ur verksamhetssystemet\n\n") -> Path:
    shutil.copytree(source, target)
    for table in TABLES:
        path = target / f"{table}.csv"
        path.write_bytes(title.encode("utf-8") + path.read_bytes())
    return target


def test_findings_in_a_titled_file_name_the_records_as_counted_from_the_headings(tmp_path):
    """The defect example, broken lines and stray quotes included, with a title and a blank line above every
    table: every finding names the same record, as the plain files do."""
    defects = ROOT / "fixtures" / "example-defects"
    _, plain = checked(defects, tmp_path / "plain.json")
    _, read = checked(titled(defects, tmp_path / "titled"), tmp_path / "titled.json")
    assert findings(read) == findings(plain) and findings(plain)
    assert [(r["code"], r["count"]) for r in read["rules"]] == [(r["code"], r["count"]) for r in plain["rules"]]
    assert read["summary"] == plain["summary"]


def test_a_first_line_that_names_no_column_and_no_headings_below_is_still_the_header(tmp_path):
    """A damaged header (no name of the table's) with no headings below it is read from line 1, as before: its
    columns are unknown and the table's are missing, never a data line taken for headings."""
    export = shutil.copytree(ROOT / "fixtures" / "example", tmp_path / "export")
    path = export / "person.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("pnr,kon,urspr\n" + "".join(lines[1:]), encoding="utf-8")
    _, read = checked(export, tmp_path / "r.json")
    assert "read_below_title" not in read["notes"]
    unknown = next(r for r in read["rules"] if r["code"] == "STR-003")
    assert sorted(e["field"] for e in unknown["examples"]) == ["kon", "pnr", "urspr"]


def test_a_title_more_than_twenty_lines_long_is_not_passed_over(tmp_path):
    export = titled(ROOT / "fixtures" / "example", tmp_path / "export", "Rapport\n" * 21)
    _, read = checked(export, tmp_path / "r.json")
    assert "read_below_title" not in read["notes"]
    assert read["summary"]["verdict"] == "nonconformant"


# -- through a mapping: the readers of any vendor's files ----------------------------------------------------------

def drafted(export: Path) -> str:
    done = CliRunner().invoke(main, ["init-mapping", str(export)])
    assert done.exit_code == 0, done.output
    return "\n".join(line for line in done.stdout.splitlines() if not line.startswith(("# Draft", "vendor:")))


@pytest.fixture(scope="module")
def plain_mapped(tmp_path_factory) -> tuple[str, dict]:
    folder = tmp_path_factory.mktemp("mapped")
    draft = drafted(ROOT / "fixtures" / "example")
    (folder / "m.yaml").write_text(draft, encoding="utf-8")
    return draft, checked(ROOT / "fixtures" / "example", folder / "r.json", "--mapping", str(folder / "m.yaml"))[1]


@pytest.mark.parametrize("form", ["title_blank", "title_stamp", "title_quoted"])
def test_a_titled_form_drafts_and_checks_through_a_mapping_as_the_plain_example(plain_mapped, tmp_path, form):
    draft, plain = plain_mapped
    assert drafted(FORMS / form) == draft
    (tmp_path / "m.yaml").write_text(draft, encoding="utf-8")
    _, read = checked(FORMS / form, tmp_path / "r.json", "--mapping", str(tmp_path / "m.yaml"))
    assert findings(read) == findings(plain) and read["summary"] == plain["summary"]
    assert "read_below_title" in read["notes"]
    assert [f["records"] for f in read["export"]["files"]] == [300, 376, 350, 454, 504]


@pytest.mark.parametrize("records, at", [
    ([["Rapport"], ["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]], 1),
    ([["Insatser per 2025-06-30"], ["Kommun:", "Exempelkommun"], [], ["a", "b", "c"], ["1", "2", "3"]], 3),
    # two values right above the table: a short header, not a title, without the blank line a title has below
    ([["Insatser per 2025-06-30"], ["Kommun:", "Exempelkommun"], ["a", "b", "c"], ["1", "2", "3"]], 0),
    ([["Beslut", "", ""], ["a", "b", "c"], ["1", "2", "3"]], 1),             # a title Excel padded to the width
    ([["a", "b", "c"], ["1", "2", "3"]], 0),
    ([["a", "b", "c", "d", "e"], ["1", "2", "3", "4", "5", "6"], ["1", "2", "3", "4", "5", "6"]], 0),  # ragged
    ([["a", "b"], ["1", "2", "3"], ["x", "y", "z"], ["4", "5", "6"]], 0),   # two headings for three columns
    ([["id"], ["1"], ["2"]], 0),                                            # one column: nothing to pass over
    ([["Rapport"]] * 21 + [["a", "b", "c"], ["1", "2", "3"]], 0),           # more title than any report has
])
def test_only_title_lines_are_passed_over(records, at):
    from conform.input.readers.text import below_title
    assert below_title(records) == at


def test_a_ragged_file_below_a_title_names_the_line_as_in_the_file(tmp_path):
    from conform.input.readers import detect
    from conform.input.readers.source import ReaderError
    path = tmp_path / "t.csv"
    path.write_text("Rapport\n\na,b,c\n1,2,3\n4,5,6\n7,8\n", encoding="utf-8")
    with pytest.raises(ReaderError) as raised:
        detect(path)
    assert raised.value.line == 6 and raised.value.problem.params["record"] == 3  # the third record below


def test_a_canonical_workbook_with_a_title_on_every_sheet_reads_as_the_plain_example(plain, tmp_path):
    """Each sheet opens with a report's title and a blank row; read as the canonical tables, not refused as a
    vendor's workbook whose first rows name no column."""
    import csv

    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "export.xlsx")
    for table in TABLES:
        sheet = book.add_worksheet(table)
        sheet.write_string(0, 0, f"Rapport: {table}")
        with open(ROOT / "fixtures" / "example" / f"{table}.csv", encoding="utf-8", newline="") as fh:
            for r, row in enumerate(csv.reader(fh)):
                for c, value in enumerate(row):
                    if value:
                        sheet.write_string(r + 2, c, value)
    book.close()
    _, read = checked(tmp_path / "export.xlsx", tmp_path / "r.json", "--as-of", plain["as_of"])
    assert findings(read) == findings(plain) and read["summary"] == plain["summary"]
    assert read["notes"] == ["read_below_title", "read_from_workbook"]
