"""The requirements file: skall and bör per information set, tolerances, accepted deviations that expire, and the
graded figures that tell vendors apart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conform import api
from conform.cli import main
from conform.render.compare import compare
from conform.errors import UsageError
from conform.generator import generate
from conform.model import ExitCode, Severity, Status
from conform.render.document import build
from conform.formatting import share_text
from conform.render.text import render_text
from rulecases import write_export

# One of six persons with a juridiskt kön outside the value set (VAL-001, krav): 1/6 of the set's records.
ONE_WRONG = {"set": {"person": {"201401042385": {"juridiskt_kon": "Kvinna"}}}}


def requirements(path: Path, sets: dict | None = None, deviations: list | None = None) -> Path:
    path.write_text(yaml.safe_dump({"conform_requirements": 1, "name": "Test", "information_sets": sets or {},
                                    "accepted_deviations": deviations or []}, allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.fixture
def one_wrong(tmp_path) -> Path:
    write_export(tmp_path / "export", ONE_WRONG)
    return tmp_path / "export"


def verdict(result) -> Status:
    return result.evaluation.verdict


def test_the_written_default_judges_as_no_file(one_wrong, tmp_path):
    written = tmp_path / "krav.yaml"
    ran = CliRunner().invoke(main, ["init-requirements", "-o", str(written)])
    assert ran.exit_code == 0, ran.output
    with_file = api.check(one_wrong, as_of=dt.date(2025, 6, 30), requirements=written)
    without = api.check(one_wrong, as_of=dt.date(2025, 6, 30))
    assert verdict(with_file) is verdict(without) is Status.NONCONFORMANT
    assert [e.met for e in with_file.evaluation.sets] == [e.met for e in without.evaluation.sets]
    assert with_file.evaluation.skall_met == 16 and len(with_file.evaluation.skall) == 17


@pytest.mark.parametrize("tolerance, met", [(0.2, True), (1 / 6, True), (0.1, False), (0, False)])
def test_a_tolerance_is_the_largest_share_of_records_with_krav_findings(one_wrong, tmp_path, tolerance, met):
    wanted = requirements(tmp_path / "krav.yaml", {"juridiskt_kon": {"level": "skall", "tolerance": tolerance}})
    result = api.check(one_wrong, as_of=dt.date(2025, 6, 30), requirements=wanted)
    kon = next(e for e in result.evaluation.sets if e.id == "juridiskt_kon")
    assert kon.met is met and kon.error_share == pytest.approx(1 / 6)
    # Within the tolerance the export is godkänd med anmärkningar (the finding is still shown), and a CI gate
    # at error level passes; beyond it, ej godkänd and exit 1.
    assert verdict(result) is (Status.WARNINGS if met else Status.NONCONFORMANT)
    assert result.exit_code(Severity.ERROR) == (ExitCode.OK if met else ExitCode.FINDINGS)
    assert result.exit_code(Severity.WARNING) == ExitCode.FINDINGS
    assert result.findings.filter(result.findings["rule"] == "VAL-001").height == 1


def test_bor_krav_are_weighed_not_failed(one_wrong, tmp_path):
    wanted = requirements(tmp_path / "krav.yaml", {"juridiskt_kon": {"level": "bor", "weight": 2},
                                                   "ursprung": {"level": "bor", "weight": 1}})
    result = api.check(one_wrong, as_of=dt.date(2025, 6, 30), requirements=wanted)
    assert verdict(result) is Status.WARNINGS
    assert result.evaluation.bor_score == pytest.approx(1 / 3)  # ursprung met (1), juridiskt kön not (2)
    assert (result.evaluation.skall_met, len(result.evaluation.skall)) == (15, 15)
    document = build(result)
    assert document["summary"]["bor_score"] == pytest.approx(0.333333)
    assert document["summary"]["blocking_rules"] == []  # nothing in a skall set blocks


def test_an_accepted_deviation_holds_until_it_expires(one_wrong, tmp_path):
    wanted = requirements(tmp_path / "krav.yaml", deviations=[{
        "rule": "VAL-001", "information_sets": ["juridiskt_kon"], "expires": dt.date(2025, 12, 31),
        "justification": "Kvinna/Man används till release 4.2", "accepted_by": "Upphandlingsgruppen"}])
    inside = api.check(one_wrong, as_of=dt.date(2025, 6, 30), requirements=wanted)
    assert verdict(inside) is Status.CONFORMANT
    assert inside.findings.filter(inside.findings["rule"] == "VAL-001").is_empty()
    assert inside.accepted["rule"].to_list() == ["VAL-001"]
    assert inside.exit_code(Severity.ERROR) == ExitCode.OK
    document = build(inside)
    assert document["accepted_deviations"][0] | {"active": True, "findings": 1} == document["accepted_deviations"][0]
    text = render_text(document)
    assert "Accepterade avvikelser" in text and "accepterad avvikelse: 1 avvikelser räknas inte" in text
    assert "Upphandlingsgruppen" in text
    # Page 1 of the report says what was accepted and until when, not only what failed.
    from conform.render.html import report_html

    page = report_html(inside, api.load()[0], "sv")
    summary = page[page.index('id="summary"'):page.index("</section>", page.index('id="summary"'))]
    assert "Accepterade avvikelser i kraft" in summary
    assert "VAL-001 (" in summary and "i Juridiskt kön, gäller till och med 2025-12-31: 1 avvikelse räknas inte." \
        in summary and "Godtagen av Upphandlingsgruppen." in summary

    after = api.check(one_wrong, as_of=dt.date(2026, 1, 1), requirements=wanted)
    assert verdict(after) is Status.NONCONFORMANT
    assert after.accepted.is_empty() and after.findings.filter(after.findings["rule"] == "VAL-001").height == 1
    assert "utgången 2025-12-31: 1 avvikelser räknas igen" in render_text(build(after))


def test_a_deviation_scoped_to_other_sets_accepts_nothing(one_wrong, tmp_path):
    wanted = requirements(tmp_path / "krav.yaml", deviations=[{
        "rule": "VAL-001", "information_sets": ["ursprung"], "justification": "x", "accepted_by": "y"}])
    result = api.check(one_wrong, as_of=dt.date(2025, 6, 30), requirements=wanted)
    assert verdict(result) is Status.NONCONFORMANT and result.accepted.is_empty()


@pytest.mark.parametrize("text, where, what", [
    ("conform_requirements: 1\ninformation_sets: {kon: {level: skall}}\n", "krav.yaml:2", "no information set 'kon'"),
    ("conform_requirements: 1\ninformation_sets: {ursprung: {level: skall, weight: 2}}\n", "krav.yaml:2",
     "information_sets/ursprung"),
    ("conform_requirements: 1\ninformation_sets: {ursprung: {level: bor, tolerance: 1.5}}\n", "krav.yaml:2",
     "the tolerance is a share between 0 and 1"),
    ("conform_requirements: 1\ninformation_sets: {}\naccepted_deviations:\n  - {rule: VAL-999, justification: x,"
     " accepted_by: y}\n", "krav.yaml:4", "no rule 'VAL-999'"),
    ("conform_requirements: 1\ninformation_sets: {}\naccepted_deviations:\n  - {rule: VAL-001, justification: x,"
     " accepted_by: y, expires: '2025-02-30'}\n", "krav.yaml:4", "not a calendar date"),
    ("conform_requirements: 2\ninformation_sets: {}\n", "krav.yaml:1", "conform_requirements"),
])
def test_a_broken_requirements_file_names_file_line_and_key(tmp_path, one_wrong, text, where, what):
    path = tmp_path / "krav.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        api.check(one_wrong, requirements=path)
    assert where in str(raised.value) and what in str(raised.value), str(raised.value)
    ran = CliRunner().invoke(main, ["check", str(one_wrong), "--requirements", str(path)])
    assert ran.exit_code == ExitCode.NOT_CHECKED and "Traceback" not in ran.output


# A buyer's mistakes, each as the buyer writes it: the Swedish line conform answers with names the file, the line
# and the key, and says what is meant; never a crash report.
BUYER_MISTAKES = [
    ("information_sets: {}\naccepted_deviations:\n  - rule: VAL-001\n    justification: x\n    accepted_by: y\n"
     "    expires: 2027-06-31\n", "krav.yaml:7: 'accepted_deviations/0/expires'", "inte ett datum ('2027-06-31')"),
    ("information_sets:\n  ursprung: {level: skall, tolerans: 0.02}\n", "krav.yaml:3: 'information_sets/ursprung/tolerans'",
     "okänd nyckel 'tolerans'; menade du 'tolerance'?"),
    ("information_sets:\n  ursprung: {nivå: bör}\n", "krav.yaml:3: 'information_sets/ursprung/nivå'",
     "menade du 'level'?"),
    ("information_sets:\n  ursprung: {level: Skall}\n", "krav.yaml:3: 'information_sets/ursprung/level'",
     "nivån är skall eller bör (också skrivet bor), inte 'Skall'"),
    ("information_sets:\n  ursprung: {level: skall, tolerance: '2 %'}\n",
     "krav.yaml:3: 'information_sets/ursprung/tolerance'", "(0.02 för 2 %), inte '2 %'"),
    ("information_sets:\n  ursprung: {level: skall, tolerance: 0,02}\n",
     "krav.yaml:3: 'information_sets/ursprung/tolerance'", "toleransen 0,02 har decimalkomma"),
    ("information_sets:\n  ursprung: {level: skall}\n  ursprung: {level: bör, tolerance: 0.05}\n", "krav.yaml:4",
     "nyckeln 'ursprung' står redan på rad 3"),
    ("information_sets:\n  Juridiskt kön: {level: skall}\n", "krav.yaml:3: 'information_sets/Juridiskt kön'",
     "ingen informationsmängd 'Juridiskt kön'; menade du 'juridiskt_kon'?"),
    ("information_sets:\n  ursprung: {level: skall, weight: 2}\n", "krav.yaml:3: 'information_sets/ursprung/weight'",
     "en vikt gäller bara bör-krav"),
]


@pytest.mark.parametrize("text, where, what", BUYER_MISTAKES)
def test_a_buyers_mistake_is_named_in_swedish_with_its_line_and_key(tmp_path, one_wrong, text, where, what):
    path = tmp_path / "krav.yaml"
    path.write_text("conform_requirements: 1\n" + text, encoding="utf-8")
    ran = CliRunner().invoke(main, ["check", str(one_wrong), "--requirements", str(path), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED, ran.output
    line = ran.output.strip()
    assert "\n" not in line and where in line and what in line, line
    assert "oväntat fel" not in line and "Traceback" not in line and "expected" not in line


def test_bor_may_be_written_bör(one_wrong, tmp_path):
    sets = {"juridiskt_kon": {"tolerance": 0, "weight": 2}}
    judged = [api.check(one_wrong, as_of=dt.date(2025, 6, 30), requirements=requirements(
        tmp_path / f"{level}.yaml", {k: v | {"level": level} for k, v in sets.items()})).evaluation
        for level in ("bor", "bör")]
    assert [(e.id, e.level, e.met) for e in judged[0].sets] == [(e.id, e.level, e.met) for e in judged[1].sets]
    assert judged[1].verdict is judged[0].verdict and judged[1].bor_score == judged[0].bor_score


@pytest.mark.parametrize("lang, words", [("sv", "Per informationsmängd"), ("en", "Per information set")])
def test_init_requirements_speaks_the_buyers_language_and_writes_the_same_requirements(lang, words, tmp_path):
    written = tmp_path / f"krav-{lang}.yaml"
    ran = CliRunner().invoke(main, ["init-requirements", "-o", str(written), "--lang", lang])
    assert ran.exit_code == 0, ran.output
    text = written.read_text(encoding="utf-8")
    assert words in text
    data = yaml.safe_load(text)
    assert {k: v for k, v in data.items() if k != "name"} == {
        "conform_requirements": 1, "profile": "basinformation-1.0", "accepted_deviations": [],
        "information_sets": {s.id: {"level": "skall", "tolerance": 0} for s in api.load()[0].information_sets}}


def test_the_cli_records_the_requirements_it_judged_by(one_wrong, tmp_path):
    wanted = requirements(tmp_path / "krav.yaml", {"juridiskt_kon": {"level": "skall", "tolerance": 0.2}})
    out = tmp_path / "result.json"
    ran = CliRunner().invoke(main, ["check", str(one_wrong), "--as-of", "2025-06-30", "--requirements",
                                    str(wanted), "--format", "json", "--output", str(out)])
    assert ran.exit_code == ExitCode.OK, ran.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["summary"]["verdict"] == "warnings"
    assert document["summary"]["requirements"]["path"] == str(wanted) and document["summary"]["requirements"]["sha256"]
    kon = next(s for s in document["information_sets"] if s["id"] == "juridiskt_kon")
    assert (kon["level"], kon["tolerance"], kon["met"], kon["blocking_rule"]) == ("skall", 0.2, True, "VAL-001")


def test_three_vendors_rank_by_their_defect_rates_with_visibly_different_figures(tmp_path):
    documents = []
    for rate in (0.5, 0.005, 0.05):  # not in rank order, so the ranking is the comparison's own
        folder = tmp_path / f"vendor-{rate}"
        generate(folder, persons=1000, defects=rate, seed=11)
        documents.append(build(api.check(folder)))
    matrix = compare(documents, names=["femtio", "en halv", "fem"])
    ranked = sorted(matrix["vendors"], key=lambda v: v["rank"])
    assert [v["name"] for v in ranked] == ["en halv", "fem", "femtio"]
    figures = [share_text(v["conformance"], "sv") for v in ranked]
    assert len(set(figures)) == 3, figures
    assert ranked[0]["conformance"] > ranked[1]["conformance"] > ranked[2]["conformance"]
    assert all(v["blocking_rules"] for v in ranked)  # each says what blocks it


# -- declared local practice ------------------------------------------------------------------------------------

PRACTICE = {
    "ibic": {"target_groups": ["Äldre", "Funk"], "pattern": "[bdes][0-9]{3,4}", "values": ["Boende"]},
    "reserve_numbers": [{"name": "Kommunens reservnummer", "pattern": "R[0-9]{11}"}],
    "local_values": {"aktualiseringsorsak": {"Hemlöshet": "Boendeproblematik", "Trångboddhet": "Boendeproblematik"}},
}
LOCAL = {"set": {
    # IBIC values (ICF codes, a declared value) in the Äldre and Funk cases ...
    "aktualisering": {"A_ALDRE": {"aktualiseringsorsak": "d510|Boende"},
                      # ... a declared local sub-value in an EkB case ...
                      "A_EKB": {"aktualiseringsorsak": "Ej självförsörjande|Hemlöshet"},
                      "A_VUX": {"person_id": "R12345678901"}},
    "beslut": {"B_FUNK": {"problematik": "b1440"}},
    # ... and a person with the municipality's own reserve number (no date, no check digit).
    "person": {"198502069993": {"person_id": "R12345678901"}},
}}


def test_declared_local_practice_is_checked_as_declared(tmp_path):
    as_of = write_export(tmp_path / "export", LOCAL)
    plain = api.check(tmp_path / "export", as_of=as_of)
    assert {"VAL-005", "VAL-008", "PID-004"} <= set(plain.findings["rule"])  # undeclared: errors
    wanted = requirements(tmp_path / "krav.yaml")
    declared = yaml.safe_load(wanted.read_text(encoding="utf-8")) | {"local_practice": PRACTICE}
    wanted.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    result = api.check(tmp_path / "export", as_of=as_of, requirements=wanted)
    assert result.findings.filter(result.findings["rule"].is_in(["VAL-005", "VAL-008", "PID-004", "PID-008",
                                                                   "VAL-006", "VAL-009"])).is_empty()
    assert verdict(result) is not Status.NONCONFORMANT
    document = build(result)
    assert document["local_practice"]["reserve_numbers"] == [{"name": "Kommunens reservnummer",
                                                              "pattern": "R[0-9]{11}"}]
    text = render_text(document)
    assert "Deklarerad lokal praxis" in text and "Hemlöshet → Boendeproblematik" in text
    assert "IBIC i stället för standardens lista för Aktualiseringsorsak, Problematik i målgrupperna Äldre, Funk" \
        in text


def test_declared_practice_does_not_reach_beyond_what_it_declares(tmp_path):
    wrong = {"set": {
        # an ICF code in a Vux case (IBIC declared for Äldre and Funk only), an undeclared local value, and a
        # reserve number of another form
        "aktualisering": {"A_VUX": {"aktualiseringsorsak": "d510"}, "A_EKB": {"aktualiseringsorsak": "Vräkning"},
                          "A_SAM": {"person_id": "98123456789X"}},
        "person": {"198000602394": {"person_id": "98123456789X"}},
    }}
    as_of = write_export(tmp_path / "export", wrong)
    wanted = requirements(tmp_path / "krav.yaml")
    wanted.write_text(yaml.safe_dump(yaml.safe_load(wanted.read_text(encoding="utf-8"))
                                     | {"local_practice": PRACTICE}, allow_unicode=True), encoding="utf-8")
    result = api.check(tmp_path / "export", as_of=as_of, requirements=wanted)
    found = set(zip(result.findings["rule"], result.findings["key"]))
    assert {("VAL-005", "A_VUX"), ("VAL-005", "A_EKB")} <= found
    assert "PID-004" in set(result.findings["rule"])


@pytest.mark.parametrize("practice, what", [
    ({"ibic": {"target_groups": ["Gamla"], "values": ["x"]}}, "no target group 'Gamla'"),
    ({"ibic": {"target_groups": ["Äldre"], "pattern": "(unclosed"}}, "not a regular expression"),
    ({"local_values": {"aktualiseringsorsak": {"Vräkning": "Hemlöshet"}}}, "'Hemlöshet' is not a value"),
    ({"local_values": {"datum_beslut": {"x": "y"}}}, "no information set with a value set"),
    ({"ibic": {"target_groups": ["Äldre"]}}, "local_practice/ibic"),
])
def test_a_broken_practice_names_the_place(tmp_path, one_wrong, practice, what):
    path = requirements(tmp_path / "krav.yaml")
    path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text(encoding="utf-8")) | {"local_practice": practice},
                                   allow_unicode=True), encoding="utf-8")
    with pytest.raises(UsageError, match="krav.yaml:") as raised:
        api.check(one_wrong, requirements=path)
    assert what in str(raised.value), str(raised.value)


def test_compare_judges_results_again_under_a_requirements_file(one_wrong, tmp_path):
    out = tmp_path / "result.json"
    CliRunner().invoke(main, ["check", str(one_wrong), "--as-of", "2025-06-30", "--format", "json", "-o", str(out)])
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["verdict"] == "nonconformant"
    lenient = requirements(tmp_path / "krav.yaml", {"juridiskt_kon": {"level": "skall", "tolerance": 0.2},
                                                     "sip": {"level": "bor", "weight": 1}})
    csv_path = tmp_path / "compare.csv"
    page = tmp_path / "compare.html"
    ran = CliRunner().invoke(main, ["compare", str(out), "--requirements", str(lenient), "--csv", str(csv_path),
                                    "--html", str(page)])
    assert ran.exit_code == 0, ran.output
    html = page.read_text(encoding="utf-8")
    assert "Godkänd med anmärkningar" in html and "17 av 17" not in html and "16 av 16" in html
    # A file with accepted deviations cannot be applied to a result checked without it.
    strict = requirements(tmp_path / "avvikelser.yaml", deviations=[{"rule": "VAL-001", "justification": "x",
                                                                     "accepted_by": "y"}])
    refused = CliRunner().invoke(main, ["compare", str(out), "--requirements", str(strict)])
    assert refused.exit_code == ExitCode.NOT_CHECKED and "kontrollera exporten igen med --requirements" in refused.output


def test_a_declared_local_insats_name_without_a_code_is_valid(tmp_path):
    as_of = write_export(tmp_path / "export", {"set": {"insats": {"I_ALDRE": {"insats_kod": None,
                                                                              "insats": "Hemtjänst natt"}}}})
    assert "VAL-014" in set(api.check(tmp_path / "export", as_of=as_of).findings["rule"])
    wanted = requirements(tmp_path / "krav.yaml")
    wanted.write_text(yaml.safe_dump(yaml.safe_load(wanted.read_text(encoding="utf-8")) | {"local_practice": {
        "local_values": {"insats": {"Hemtjänst natt": "Hemtjänst – Personlig omvårdnad"}}}}, allow_unicode=True),
        encoding="utf-8")
    result = api.check(tmp_path / "export", as_of=as_of, requirements=wanted)
    assert "VAL-014" not in set(result.findings["rule"])
