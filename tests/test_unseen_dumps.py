"""Dump shapes written by a helper session that had not read the drafter or the readers (tests/unseen_dumps/:
SHAPE.md says what each is, mapping.yaml is its writer's hand-made mapping, expected_differences.md what the
mapping format cannot express). Two questions, on material this project did not shape to its tools:

- does the hand-written mapping reproduce the findings of the canonical export the dump was made from?
- does the unedited draft of `conform init-mapping` ever give a final verdict? It must not: until reviewed, every
  verdict through it is provisional (exit 3). bench/unseen.py measures how close the draft comes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode

SHAPES = Path(__file__).parent / "unseen_dumps"
AS_OF = ("--as-of", "2025-06-30")
# What each writer found the mapping format cannot say (expected_differences.md): two aktualiseringstyp codes
# joined by "#" in a single-valued column are read as one unknown value (VAL-004), not as several (CAR-015).
DIFFERENCES = {"CAR-015": (2, 0)}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def counts(*args) -> dict[str, int]:
    done = run("check", *args, *AS_OF, "--format", "json")
    assert done.exit_code in (ExitCode.OK, ExitCode.FINDINGS), done.output
    return {r["code"]: r["count"] for r in json.loads(done.stdout)["rules"]}


@pytest.fixture(scope="module")
def flat_workbook(tmp_path_factory) -> Path:
    """The report workbook without its title lines: conform finds no heading row below a title yet (left for
    later, see the closing note of issue 24), so the rest of the shape is tested on this variant, which its
    writer's build.py makes."""
    out = tmp_path_factory.mktemp("workbook")
    subprocess.run([sys.executable, str(SHAPES / "report_workbook" / "build.py"), "--no-title-rows", str(out)],
                   check=True, capture_output=True, cwd=SHAPES / "report_workbook")
    return next(out.rglob("*.xlsx"))


def _with_differences(canonical: dict[str, int]) -> dict[str, int]:
    return canonical | {code: mapped for code, (_, mapped) in DIFFERENCES.items()}


def test_the_sql_dump_through_its_writers_mapping_finds_what_the_canonical_export_holds():
    shape = SHAPES / "sql_dump"
    canonical = counts(shape / "canonical")
    assert {code: canonical[code] for code in DIFFERENCES} == {code: was for code, (was, _) in DIFFERENCES.items()}
    assert counts(shape / "export", "--mapping", shape / "mapping.yaml") == _with_differences(canonical)


def test_the_report_workbook_through_its_writers_mapping_finds_what_the_canonical_export_holds(flat_workbook):
    shape = SHAPES / "report_workbook"
    canonical = counts(shape / "canonical")
    assert counts(flat_workbook, "--mapping", shape / "mapping.yaml") == _with_differences(canonical)


def test_a_workbook_whose_headings_stand_below_a_title_is_named_not_guessed():
    shape = SHAPES / "report_workbook"
    book = next((shape / "export").glob("*.xlsx"))
    done = run("check", book, "--mapping", shape / "mapping.yaml", *AS_OF)
    assert done.exit_code == ExitCode.NOT_CHECKED
    assert "Personer" in done.output and "Personnummer" in done.output and "Traceback" not in done.output


def test_the_unedited_draft_of_the_sql_dump_gives_no_final_verdict(tmp_path):
    export = SHAPES / "sql_dump" / "export"
    drafted = run("init-mapping", export)
    assert drafted.exit_code == 0, drafted.output
    mapping = tmp_path / "draft.yaml"
    mapping.write_text(drafted.stdout, encoding="utf-8")
    done = run("check", export, "--mapping", mapping, *AS_OF, "--format", "json")
    document = json.loads(done.stdout)
    assert (done.exit_code, document["summary"]["verdict"]) == (ExitCode.PROVISIONAL, "provisional")
    # What is left to review is named: the fields the draft was unsure of, and its open questions.
    open_items = document["mapping"]["open_items"]
    assert open_items["draft"] and (open_items["fields"] or open_items["unmapped"])
    assert document["summary"]["provisional"]["findings"] > 0
