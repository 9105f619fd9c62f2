"""`conform report --from RESULT.json`: the whole report, every appendix included, made again from a stored
result with no export present, in either language, byte for byte the report made directly from the export."""

from __future__ import annotations

import json
import re
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
    assert "EXPORT att kontrollera" in result.output


def test_options_of_the_check_are_named_as_ignored(tmp_path):
    out = tmp_path / "result.json"
    run("check", FIXTURES / "example", *AS_OF, "--format", "json", "--output", out)
    result = run("report", "--from", out, "--as-of", "2030-01-01", "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.OK
    assert "--as-of" in result.output and "ignoreras" in result.output


@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
def test_a_result_with_person_ids_in_full_is_masked_unless_asked(tmp_path, reveal):
    """A result made with --reveal-ids shows person-IDs in full only in a report that asks for them too: the
    report from it is the one a check with (or without) --reveal-ids makes."""
    export = FIXTURES / "example-defects"
    out = tmp_path / "revealed.json"
    assert run("check", export, *AS_OF, "--format", "json", "--reveal-ids", "--output", out).exit_code == 1
    assert not json.loads(out.read_text(encoding="utf-8"))["person_ids_masked"]
    asked = ["--reveal-ids"] if reveal else []
    run("report", "--from", out, "--html", tmp_path / "stored.html", *asked)
    run("report", export, *AS_OF, "--html", tmp_path / "direct.html", *asked)
    stored = (tmp_path / "stored.html").read_text(encoding="utf-8")
    assert stored == (tmp_path / "direct.html").read_text(encoding="utf-8")
    full_ids = re.findall(r"\b(?:19|20)\d{6}[-+]?\d{4}\b", stored)
    assert bool(full_ids) == reveal, full_ids[:3]


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("stored")
    run("check", FIXTURES / "example-defects", *AS_OF, "--format", "json", "--output", folder / "result.json")
    return json.loads((folder / "result.json").read_text(encoding="utf-8"))


def _cell(d: dict) -> dict:
    return d["figures"]["matrix"][0]["cells"][0]


def _nonstandard(d: dict, value: dict) -> None:
    coverage = d["figures"]["coverage"][0]
    coverage["nonstandard"] = [value]
    coverage["nonstandard_total"] = max(coverage["nonstandard_total"], 1)


# Results edited by hand (each within the schema, or nearly): a report from any of them would show impossible
# figures or fail half-way. (An adversarial review's findings.)
EDITS = {
    "optional field removed": lambda d: d.pop("accepted_deviations"),
    "rule message removed": lambda d: [r.pop("message") for r in d["rules"]],
    "summary field removed": lambda d: d["summary"].pop("blocking_rules"),
    "unknown note": lambda d: d["notes"].append("hello"),
    "unknown blocking rule": lambda d: d["summary"]["blocking_rules"].append("ZZZ-999"),
    "no rules": lambda d: d.update(rules=[]),
    "unknown set in capability": lambda d: d["figures"]["capability"].append(
        {"kind": "missing", "status": "problem", "set": "no_such_set"}),
    "unknown field in coverage": lambda d: d["figures"]["coverage"][0].update(fields=[["nope", "nope"]]),
    "unknown basis": lambda d: _nonstandard(d, {"value": "x", "records": 1, "closest": None, "basis": "zzz"}),
    "more errors than records in a cell": lambda d: _cell(d).update(records=1, errors=500),
    "more errors than records in a set": lambda d: d["information_sets"][0].update(records=3,
                                                                                   records_with_errors=999999),
    "rules evaluated beyond the rules": lambda d: d["summary"].update(rules_evaluated=500),
    "skall met beyond the sets": lambda d: d["summary"].update(skall_met=99),
    "set missing from the matrix": lambda d: d["figures"]["matrix"].pop(3),
    "target groups duplicated": lambda d: d["figures"]["groups"].append(d["figures"]["groups"][0]),
    "no target groups": lambda d: d["figures"].update(groups=[]),
    "verdict edited": lambda d: d["summary"].update(verdict="conformant"),
    "findings zeroed": lambda d: d["summary"].update(findings={"error": 0, "warning": 0, "info": 0}),
    "absurd median": lambda d: d["figures"]["follow_up"]["days"]["decision"][0].update(median=1e308),
    "other profile version": lambda d: d["profile"].update(version="9.9.9"),
    "a profile named by a path": lambda d: d["profile"].update(name="../../tmp/profile"),
    "older format": lambda d: d.update(format_version="1.4"),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_edited_result_is_one_clear_line(tmp_path, stored, edit):
    document = json.loads(json.dumps(stored))
    EDITS[edit](document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run("report", "--from", path, "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.NOT_CHECKED, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "edited.json" in lines[0], result.output
    assert not re.search(r"Error\b|Traceback|oväntat fel", result.output), result.output
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("text, words", [
    ('{"format": "conform-result", "n": NaN}', "ett tal som inte kan vara"),
    ('{"format": "conform-result", "n": ' + "9" * 5000 + "}", "ett tal som inte kan vara"),
], ids=["NaN", "5000 digits"])
def test_numbers_json_has_not_are_refused(tmp_path, text, words):
    path = tmp_path / "result.json"
    path.write_text(text, encoding="utf-8")
    result = run("report", "--from", path, "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.NOT_CHECKED and words in result.output, result.output


def test_a_result_saved_with_a_byte_order_mark_is_read(tmp_path, stored):
    path = tmp_path / "bom.json"
    path.write_text("\ufeff" + json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    assert run("report", "--from", path, "--html", tmp_path / "r.html").exit_code == ExitCode.FINDINGS


def test_a_result_in_another_encoding_is_one_line(tmp_path, stored):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(stored, ensure_ascii=False).encode("latin-1", errors="replace"))
    result = run("report", "--from", path, "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.NOT_CHECKED and "inte UTF-8-text" in result.output, result.output
    assert "codec" not in result.output


def test_the_stored_result_is_never_written_over_not_even_through_a_hard_link(tmp_path, stored):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    before = path.read_bytes()
    (tmp_path / "link.json").hardlink_to(path)
    for target in (path, tmp_path / "link.json"):
        result = run("report", "--from", path, "--html", target)
        assert result.exit_code == ExitCode.NOT_CHECKED and "skriver aldrig över" in result.output
    assert path.read_bytes() == before


def test_control_characters_in_a_result_are_never_obeyed(tmp_path, stored):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(dict(stored, format_version="\x1b[31mRED\x1b[0m")), encoding="utf-8")
    result = run("report", "--from", path, "--html", tmp_path / "r.html")
    assert result.exit_code == ExitCode.NOT_CHECKED and "\x1b" not in result.output and "\\x1b" in result.output
    document = json.loads(json.dumps(stored))
    document["export"]["package"]["name"] = "x\x00y\x1b[31m\u202eevil"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert run("report", "--from", path, "--html", tmp_path / "r.html").exit_code == ExitCode.FINDINGS
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert not any(c in page for c in "\x00\x1b\u202e") and "\\u202eevil" in page


def test_a_folder_given_for_a_file_is_named(tmp_path, stored):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    for args in (["--from", tmp_path, "--html", tmp_path / "r.html"], ["--from", path, "--html", tmp_path]):
        result = run("report", *args)
        assert result.exit_code == ExitCode.NOT_CHECKED
        assert f"{tmp_path} är en mapp" in result.output, result.output
