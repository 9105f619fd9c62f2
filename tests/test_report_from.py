"""`conform report --from RESULT.json`: the whole report, every appendix included, made again from a stored
result with no export present, in either language, byte for byte the report made directly from the export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
AS_OF = ["--as-of", "2025-06-30"]


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def stored_and_direct(tmp_path: Path, export: Path, lang: str, *options: str) -> tuple[bytes, bytes, int, int]:
    """(the report from the stored result, the report made directly, their exit codes); the export is deleted
    before the stored result is reported, so that nothing can be read from it."""
    copy = tmp_path / "export"
    shutil.copytree(export, copy)
    direct = tmp_path / "direct.html"
    made = run("report", copy, *AS_OF, *options, "--html", direct, "--lang", lang, "--vendor", "Leverantör AB")
    checked = run("check", copy, *AS_OF, *options, "--format", "json", "--output", tmp_path / "result.json")
    assert made.exit_code == checked.exit_code, (made.output, checked.output)
    shutil.rmtree(copy)
    stored = tmp_path / "stored.html"
    again = run("report", "--from", tmp_path / "result.json", "--html", stored, "--lang", lang,
                "--vendor", "Leverantör AB")
    assert again.exit_code in (ExitCode.OK, ExitCode.FINDINGS), again.output
    return stored.read_bytes(), direct.read_bytes(), again.exit_code, made.exit_code


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("fixture", ["example", "example-defects"])
def test_stored_result_makes_the_same_report(tmp_path, fixture, lang):
    stored, direct, code_stored, code_direct = stored_and_direct(tmp_path, FIXTURES / fixture, lang)
    assert stored == direct
    assert code_stored == code_direct
    assert b'id="coverage"' in stored and b'id="figures"' in stored and b'id="matrix"' in stored


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_stored_mapped_result_makes_the_same_report(tmp_path, lang):
    vendor = FIXTURES / "vendors" / "wide"
    stored, direct, *_ = stored_and_direct(tmp_path, vendor / "export", lang, "--mapping", vendor / "mapping.yaml")
    assert stored == direct


def test_stored_result_under_requirements(tmp_path):
    requirements = tmp_path / "krav.yaml"
    assert run("init-requirements", "--output", requirements).exit_code == 0
    text = requirements.read_text(encoding="utf-8")
    lenient = text.replace("level: skall, tolerance: 0}", "level: bor, weight: 2, tolerance: 0.05}", 3)
    assert lenient != text
    requirements.write_text(lenient, encoding="utf-8")
    stored, direct, code_stored, code_direct = stored_and_direct(tmp_path, FIXTURES / "example-defects", "sv",
                                                                 "--requirements", requirements)
    assert stored == direct and code_stored == code_direct


def test_result_made_in_english_reported_in_swedish(tmp_path):
    """A result's examples are worded in the language it was made in; the report words them again."""
    export = FIXTURES / "example-defects"
    assert run("check", export, *AS_OF, "--format", "json", "--lang", "en", "--output", tmp_path / "en.json") \
        .exit_code == ExitCode.FINDINGS
    run("report", "--from", tmp_path / "en.json", "--html", tmp_path / "stored.html")
    run("report", export, *AS_OF, "--html", tmp_path / "direct.html")
    assert (tmp_path / "stored.html").read_bytes() == (tmp_path / "direct.html").read_bytes()


def test_figures_are_in_the_json_result(tmp_path):
    out = tmp_path / "result.json"
    run("check", FIXTURES / "example-defects", *AS_OF, "--format", "json", "--output", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    figures = document["figures"]
    assert figures["groups"][:5] == ["BoU", "Vux", "Äldre", "Funk", "EkB"]
    assert {row["set"] for row in figures["matrix"]} == {s["id"] for s in document["information_sets"]}
    examples = [e for r in document["rules"] for e in r["examples"] if e["row"] is not None]
    assert examples and all(e["groups"] for e in examples)
    # The text report needs no figures, and the check that writes it computes none.
    assert run("check", FIXTURES / "example-defects", *AS_OF, "--format", "text").exit_code == ExitCode.FINDINGS


def test_a_result_without_figures_is_one_clear_line(tmp_path):
    out = tmp_path / "result.json"
    run("check", FIXTURES / "example", *AS_OF, "--format", "json", "--output", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    document["figures"] = None
    out.write_text(json.dumps(document), encoding="utf-8")
    result = run("report", "--from", out, "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.NOT_CHECKED
    assert "saknar rapportens siffror" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("args", [[], ["fixtures/example", "--from", "r.json"]], ids=["neither", "both"])
def test_report_needs_one_source(args, tmp_path):
    result = run("report", *args, "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.NOT_CHECKED
    assert "antingen en EXPORT" in result.output


def test_options_of_the_check_are_named_as_ignored(tmp_path):
    out = tmp_path / "result.json"
    run("check", FIXTURES / "example", *AS_OF, "--format", "json", "--output", out)
    result = run("report", "--from", out, "--as-of", "2030-01-01", "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.OK
    assert "--as-of" in result.output and "ignoreras" in result.output
