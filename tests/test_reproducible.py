"""Reproducible outputs: the same export, options and --as-of give the same bytes on any day.

Only the JSON result's `generated_at` carries the time a document was made, and SOURCE_DATE_EPOCH fixes that too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import time_machine
from click.testing import CliRunner

from conform.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AS_OF = ["--as-of", "2025-06-30"]
A_YEAR = timedelta(days=365)


def outputs(folder: Path, export: Path) -> dict[str, bytes]:
    """Every output of one check and one report of `export`, written into `folder`."""
    folder.mkdir(parents=True)
    runner = CliRunner()
    for fmt, name in [("text", "check.txt"), ("json", "result.json"), ("junit", "junit.xml"),
                      ("markdown", "summary.md")]:
        result = runner.invoke(main, ["check", str(export), *AS_OF, "--format", fmt, "--output", str(folder / name)])
        assert result.exit_code in (0, 1), result.output
    result = runner.invoke(main, ["report", str(export), *AS_OF, "--html", str(folder / "report.html"),
                                  "--vendor", "Testsystem AB"])
    assert result.exit_code in (0, 1), result.output
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def without_generated_at(raw: bytes) -> dict:
    document = json.loads(raw)
    document.pop("generated_at")
    return document


def test_outputs_are_the_same_a_year_later(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    export = FIXTURES / "example-defects"
    today = outputs(tmp_path / "today", export)
    with time_machine.travel(datetime.now(timezone.utc) + A_YEAR, tick=False):
        later = outputs(tmp_path / "later", export)

    assert today.keys() == later.keys() == {"check.txt", "result.json", "junit.xml", "summary.md", "report.html"}
    for name in today.keys() - {"result.json"}:
        assert today[name] == later[name], f"{name} differs a year later"
    assert without_generated_at(today["result.json"]) == without_generated_at(later["result.json"])
    # The clock did move: the one field named for the creation time says so.
    assert json.loads(today["result.json"])["generated_at"] != json.loads(later["result.json"])["generated_at"]


def test_source_date_epoch_fixes_the_creation_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01T00:00:00Z
    export = FIXTURES / "example"
    first = outputs(tmp_path / "first", export)
    with time_machine.travel(datetime.now(timezone.utc) + A_YEAR, tick=False):
        second = outputs(tmp_path / "second", export)

    assert first == second
    assert json.loads(first["result.json"])["generated_at"] == "2025-01-01T00:00:00Z"


def test_golden_comparisons_hold_a_year_from_now():
    """The suite's golden tests, run again with the clock a year ahead (tests/conftest.py's _shifted_clock)."""
    env = {**os.environ, "CONFORM_TEST_CLOCK_SHIFT_DAYS": "365"}
    env.pop("CONFORM_UPDATE_GOLDEN", None)
    env.pop("SOURCE_DATE_EPOCH", None)
    tests = Path(__file__).parent
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "golden",
         *(str(tests / name) for name in ("test_html.py", "test_cli.py", "test_ci_formats.py",
                                          "test_compare_diff.py"))],
        env=env, capture_output=True, text=True, cwd=tests.parent, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    passed = int(run.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    assert passed >= 6, run.stdout[-500:]
