"""The buyer's own requirements (docs/requirements.md): a rule the standard does not require (a date order, a
plausibility check) raised into a skall or bör requirement of the buyer's, with a tolerance on the share of the
records the rule checks that carry its findings. It decides whether a vendor qualifies and counts in the bör
score; the verdict against the standard never changes because of it. The report and the comparison show it as
the buyer's requirement, apart from the standard's.

The exports are generated (`conform generate`, fixed seeds) and checked at a fixed reference date: in the
defective one DAT-001 (a decision dated before its aktualisering, basis tolkning) and PLA-002 each fire on one
record; in the clean one neither does."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import html as lxml_html

from conform import api
from conform.cli import main
from conform.errors import UsageError
from conform.generator import generate
from conform.model import ExitCode, Severity, Status
from conform.render.compare import compare, compare_csv, compare_html, rejudge, validate_result
from conform.render.document import build
from conform.render.html import report_html
from rulecases import write_export

AS_OF = dt.date(2025, 1, 1)
# Every set skall with a tolerance the defective export meets, so that its verdict against the standard is not
# ej godkänd and only the buyer's own requirements can keep it from qualifying.
LENIENT = {"level": "skall", "tolerance": 0.05}


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("own")
    generate(root / "felaktig", persons=300, defects=0.05, seed=1)
    generate(root / "ren", persons=300, defects=0.0, seed=1)
    return {"felaktig": root / "felaktig", "ren": root / "ren"}


@pytest.fixture(scope="module")
def plain(exports) -> dict:
    """The defective export under lenient set requirements and no own requirement: what the standard says."""
    return api.check(exports["felaktig"], as_of=AS_OF, requirements=_write(exports["felaktig"].parent / "s.yaml"))


def _write(path: Path, own: dict | None = None, sets: dict | None = None, deviations: list | None = None) -> Path:
    ids = [s.id for s in api.load()[0].information_sets]
    data = {"conform_requirements": 1, "name": "Upphandling med egna krav",
            "information_sets": {i: dict(LENIENT) for i in ids} | (sets or {})}
    if own is not None:
        data["own_requirements"] = own
    if deviations:
        data["accepted_deviations"] = deviations
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _records(result, table: str) -> int:
    return next(f.records for f in result.inputs if f.table == table)


def _same_standard_verdict(result, plain) -> None:
    """The verdict against the standard, and everything that follows from it, as without the own requirements."""
    assert result.evaluation.verdict is plain.evaluation.verdict
    assert result.exit_code(Severity.ERROR) == plain.exit_code(Severity.ERROR)
    assert [(e.id, e.met) for e in result.evaluation.sets] == [(e.id, e.met) for e in plain.evaluation.sets]
    ours, theirs = build(result)["summary"], build(plain)["summary"]
    for key in ("verdict", "skall_met", "skall_total", "blocking_rules", "findings", "conformance"):
        assert ours[key] == theirs[key], key


# -- skall --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tolerance, met", [(0, False), (0.002, False), (0.01, True), (0.5, True)])
def test_a_skall_requirement_on_a_rule_qualifies_within_its_tolerance(exports, plain, tmp_path, tolerance, met):
    wanted = _write(tmp_path / "krav.yaml", {"DAT-001": {"level": "skall", "tolerance": tolerance}})
    result = api.check(exports["felaktig"], as_of=AS_OF, requirements=wanted)
    (own,) = result.evaluation.own
    # One decision of all the export's decisions (the table DAT-001 checks) is dated before its aktualisering.
    assert (own.figures.records_with_findings, own.figures.records) == (1, _records(result, "beslut"))
    assert own.error_share == pytest.approx(1 / _records(result, "beslut"))
    assert own.met is met
    assert plain.evaluation.verdict is Status.WARNINGS and plain.evaluation.qualified
    assert result.evaluation.qualified is met
    _same_standard_verdict(result, plain)
    document = build(result)
    assert document["summary"]["qualified"] is met and document["own_requirements"][0]["met"] is met
    validate_result(json.loads(json.dumps(document)), "krav")


def test_a_skall_requirement_on_a_rule_without_findings_is_met(exports, tmp_path):
    wanted = _write(tmp_path / "krav.yaml", {"DAT-001": {"level": "skall"}})
    result = api.check(exports["ren"], as_of=AS_OF, requirements=wanted)
    (own,) = result.evaluation.own
    assert own.met and own.figures.records_with_findings == 0 and own.figures.records == _records(result, "beslut")
    assert result.evaluation.qualified


def test_a_rule_that_could_not_run_does_not_meet_it(tmp_path):
    """Without the beslut table DAT-001 cannot run: nothing shows the export keeps the rule."""
    as_of = write_export(tmp_path / "export", {"drop_tables": ["beslut"]})
    wanted = _write(tmp_path / "krav.yaml", {"DAT-001": {"level": "bör", "tolerance": 1}})
    result = api.check(tmp_path / "export", as_of=as_of, requirements=wanted)
    (own,) = result.evaluation.own
    assert not own.figures.evaluated and not own.met and own.error_share is None
    assert result.evaluation.bor_score == 0


def test_an_accepted_deviation_takes_the_findings_out_of_an_own_requirement_too(exports, tmp_path):
    wanted = _write(tmp_path / "krav.yaml", {"DAT-001": {"level": "skall"}},
                    deviations=[{"rule": "DAT-001", "justification": "Migrerade ärenden",
                                 "accepted_by": "Upphandlingsgruppen"}])
    result = api.check(exports["felaktig"], as_of=AS_OF, requirements=wanted)
    assert result.evaluation.own[0].figures.records_with_findings == 0 and result.evaluation.own[0].met


def test_the_denominator_is_every_record_of_the_tables_the_rule_checks(exports, tmp_path):
    wanted = _write(tmp_path / "krav.yaml", {"PLA-002": {"level": "bör"}, "INT-001": {"level": "bör"}})
    result = api.check(exports["felaktig"], as_of=AS_OF, requirements=wanted)
    by_rule = {o.requirement.rule: o.figures for o in result.evaluation.own}
    assert by_rule["PLA-002"].records == _records(result, "insats")
    assert by_rule["INT-001"].records == sum(f.records for f in result.inputs)  # the keys of every table
    # Every rule's figures are in the result, so that `conform compare --requirements` can judge it again.
    rules = {r["code"]: r for r in build(result)["rules"]}
    assert rules["DAT-001"]["records_checked"] == _records(result, "beslut")
    assert rules["DAT-001"]["records_with_findings"] == 1 and not rules["DAT-001"]["column_failure"]


# -- bör ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tolerance, score", [(0, 0.25), (0.01, 1.0)])
def test_a_bor_requirement_on_a_rule_adds_its_weight_when_met(exports, plain, tmp_path, tolerance, score):
    """Ursprung bör, weight 1, within its tolerance (met); PLA-002 bör, weight 3, one record in the insats table
    with a finding: met only with a tolerance."""
    wanted = _write(tmp_path / "krav.yaml", {"PLA-002": {"level": "bör", "weight": 3, "tolerance": tolerance}},
                    sets={"ursprung": {"level": "bör", "weight": 1, "tolerance": 0.05}})
    result = api.check(exports["felaktig"], as_of=AS_OF, requirements=wanted)
    assert result.evaluation.own[0].met is (score == 1.0)
    assert result.evaluation.bor_score == pytest.approx(score)
    assert build(result)["summary"]["bor_score"] == pytest.approx(score)
    # A bör requirement never disqualifies, and never moves the verdict against the standard.
    assert result.evaluation.qualified
    assert result.evaluation.verdict is plain.evaluation.verdict
    assert result.exit_code(Severity.ERROR) == plain.exit_code(Severity.ERROR)


# -- the file -----------------------------------------------------------------------------------------------------

def _refused(tmp_path: Path, export: Path, own_lines: str, lang: str = "sv") -> str:
    path = tmp_path / "krav.yaml"
    path.write_text("conform_requirements: 1\ninformation_sets: {}\nown_requirements:\n" + own_lines,
                    encoding="utf-8")
    ran = CliRunner().invoke(main, ["check", str(export), "--requirements", str(path), "--as-of", "2025-01-01",
                                    "--lang", lang])
    assert ran.exit_code == ExitCode.NOT_CHECKED, ran.output
    line = ran.output.strip()
    assert "\n" not in line and "Traceback" not in line, line
    return line


def test_a_rule_the_standard_requires_cannot_be_raised(exports, tmp_path):
    line = _refused(tmp_path, exports["ren"], "  DAT-001: {level: skall}\n  VAL-001: {level: skall}\n")
    assert "krav.yaml:5: 'own_requirements/VAL-001'" in line, line
    assert "VAL-001 (Juridiskt kön, Värdemängder) är redan ett krav i standarden" in line, line
    english = _refused(tmp_path, exports["ren"], "  VAL-001: {level: skall}\n", "en")
    assert "krav.yaml:4: 'own_requirements/VAL-001'" in english and "already a requirement of the standard" in english
    with pytest.raises(UsageError):
        api.check(exports["ren"], as_of=AS_OF, requirements=tmp_path / "krav.yaml")


@pytest.mark.parametrize("written, meant", [("DAT-099", "DAT-008"), ("dat-001", "DAT-001"), ("PLA 2", "PLA-002"),
                                            ("beslut_before_aktualisering", "DAT-001")])
def test_an_unknown_rule_code_gets_a_did_you_mean(exports, tmp_path, written, meant):
    line = _refused(tmp_path, exports["ren"], f"  {written}: {{level: bör}}\n")
    assert f"krav.yaml:4: 'own_requirements/{written}'" in line, line
    assert f"ingen regel '{written}'; menade du '{meant}'?" in line, line


@pytest.mark.parametrize("own_line, where, what", [
    ("  DAT-001: {level: skall, weight: 2}", "own_requirements/DAT-001/weight", "en vikt gäller bara bör-krav"),
    ("  DAT-001: {level: skall, tolerance: 0,02}", "own_requirements/DAT-001/tolerance", "decimalkomma"),
    ("  DAT-001: {level: skall, tolerans: 0.02}", "own_requirements/DAT-001/tolerans", "menade du 'tolerance'?"),
    ("  DAT-001: {level: skall, anteckning: x}", "own_requirements/DAT-001/anteckning", "menade du 'note'?"),
    ("  DAT-001: {level: måste}", "own_requirements/DAT-001/level", "nivån är skall eller bör"),
])
def test_a_buyers_mistake_in_an_own_requirement_is_named_with_its_line(exports, tmp_path, own_line, where, what):
    line = _refused(tmp_path, exports["ren"], own_line + "\n")
    assert f"krav.yaml:4: '{where}'" in line and what in line, line


def test_the_swedish_key_suggests_the_english_one(exports, tmp_path):
    path = tmp_path / "krav.yaml"
    path.write_text("conform_requirements: 1\ninformation_sets: {}\negna_krav:\n  DAT-001: {level: skall}\n",
                    encoding="utf-8")
    ran = CliRunner().invoke(main, ["check", str(exports["ren"]), "--requirements", str(path), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED
    assert "krav.yaml:3: 'egna_krav': okänd nyckel 'egna_krav'; menade du 'own_requirements'?" in ran.output


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_init_requirements_writes_a_commented_example_that_works_when_uncommented(exports, tmp_path, lang):
    written = tmp_path / "krav.yaml"
    ran = CliRunner().invoke(main, ["init-requirements", "-o", str(written), "--lang", lang])
    assert ran.exit_code == 0, ran.output
    text = written.read_text(encoding="utf-8")
    assert "\n#own_requirements:\n#  DAT-001: {level: skall, tolerance: 0.01, note: " in text
    assert "own_requirements" not in yaml.safe_load(text)  # commented out: the default judges as no file
    uncommented = re.sub(r"(?m)^#(own_requirements:|  (?:DAT-001|PLA-002): )", r"\1", text)
    written.write_text(uncommented, encoding="utf-8")
    result = api.check(exports["felaktig"], as_of=AS_OF, requirements=written)
    assert [(o.requirement.rule, o.requirement.level) for o in result.evaluation.own] == [("DAT-001", "skall"),
                                                                                            ("PLA-002", "bor")]
    assert result.evaluation.own[0].requirement.note


# -- what the buyer reads -----------------------------------------------------------------------------------------

def _visible(page: str, xpath: str) -> str:
    return " ".join(" ".join(e.text_content().split()) for e in lxml_html.fromstring(page).xpath(xpath))


@pytest.fixture(scope="module")
def judged(exports, tmp_path_factory) -> tuple[Path, dict]:
    wanted = _write(tmp_path_factory.mktemp("krav") / "krav.yaml", {
        "DAT-001": {"level": "skall", "note": "Beslutet får inte ligga före aktualiseringen"},
        "PLA-002": {"level": "bör", "weight": 2, "tolerance": 0.05}})
    return wanted, {name: api.check(path, as_of=AS_OF, requirements=wanted) for name, path in exports.items()}


def test_the_report_shows_the_buyers_requirement_apart_from_the_standards(judged, plain):
    _, results = judged
    page = report_html(results["felaktig"], api.load()[0], "sv")
    own = _visible(page, '//*[@id="own-requirements"]/following-sibling::table[1]')
    # The rule by its code and the standard's words it rests on, never its internal name.
    assert "DAT-001 Datum för beslut om insats (eller ej); Datum för aktualisering skall" in own, own
    assert "Beslutet får inte ligga före aktualiseringen" in own and "✗ nej" in own and "✓ ja" in own
    names = {r.code: r.name for r in api.load()[1]}
    assert names["DAT-001"] not in page and names["PLA-002"] not in page  # internal ids
    assert _visible(page, '//*[@id="own-requirements"]') == "Beställarens egna krav"
    # Apart from the standard's requirements: the sets' table does not hold it.
    assert "DAT-001" not in _visible(page, '//table[contains(@class, "requirements") and not(contains(@class, "own"))]')
    assert "Leverantören kvalificerar sig inte enligt kravfilen." in _visible(page, '//*[@id="own-verdict"]')
    assert "Beställarens skall-krav på DAT-001 uppfylls inte" in _visible(page, '//ul[@class="next-steps"]')
    # The verdict against the standard is the one without the buyer's requirements.
    standard = report_html(plain, api.load()[0], "sv")
    assert _visible(page, '//*[@class="verdict-value"]') == _visible(standard, '//*[@class="verdict-value"]')
    assert "Godkänd med anmärkningar" in _visible(page, '//*[@class="verdict-value"]')
    english = report_html(results["felaktig"], api.load()[0], "en")
    assert _visible(english, '//*[@id="own-requirements"]') == "The buyer's own requirements"
    assert "The vendor does not qualify under the requirements file." in _visible(english, '//*[@id="own-verdict"]')


def test_a_report_without_own_requirements_shows_none(plain):
    page = report_html(plain, api.load()[0], "sv")
    assert 'id="own-requirements"' not in page and "Beställarens" not in page


def test_the_comparison_ranks_and_shows_the_buyers_requirement(judged):
    _, results = judged
    documents = [build(results["felaktig"]), build(results["ren"])]
    assert [d["summary"]["verdict"] for d in documents] == ["warnings", "warnings"]
    matrix = compare(documents, names=["Felaktig", "Ren"])
    vendors = {v["name"]: v for v in matrix["vendors"]}
    assert not vendors["Felaktig"]["qualified"] and vendors["Ren"]["qualified"]
    assert (vendors["Ren"]["rank"], vendors["Felaktig"]["rank"]) == (1, 2)
    assert [o["rule"] for o in vendors["Felaktig"]["own_shortfall"]] == ["DAT-001"]
    (dat, pla) = matrix["own_requirements"]
    assert (dat["rule"], [c["met"] for c in dat["cells"]]) == ("DAT-001", [False, True])
    assert (pla["rule"], [c["met"] for c in pla["cells"]]) == ("PLA-002", [True, True])
    page = compare_html(matrix, "sv")
    own = _visible(page, '//*[@id="own-requirements"]/following-sibling::table[1]')
    assert "DAT-001 Datum för beslut om insats (eller ej); Datum för aktualisering" in own, own
    assert "bör (vikt 2) (tolerans 5 %)" in own and "ej uppfyllt" in own
    assert "beslut_before_aktualisering" not in page
    assert "Beställarens krav DAT-001: 0,29 % av posterna med avvikelser (tolerans 0 %)" in _visible(
        page, '//table[@class="standing"]')
    assert _visible(compare_html(matrix, "en"), '//*[@id="own-requirements"]') == "The buyer's own requirements"
    header, *rows = compare_csv(matrix).splitlines()
    assert header.endswith("DAT-001: beställarens krav uppfyllt,PLA-002: beställarens krav uppfyllt")
    assert rows[0].startswith("1,Ren,") and rows[0].endswith(",ja,ja") and rows[1].endswith(",nej,ja")


def test_a_stored_result_judged_again_under_the_file_is_judged_alike(judged, exports):
    """`conform compare --requirements` on results checked without the file: the same outcomes as a check with it."""
    wanted, results = judged
    stored = [build(api.check(exports[name], as_of=AS_OF)) for name in ("felaktig", "ren")]
    again = rejudge(stored, wanted, ["felaktig.json", "ren.json"])
    for document, name in zip(again, ("felaktig", "ren")):
        direct = build(results[name])
        assert document["own_requirements"] == direct["own_requirements"]
        assert document["summary"]["qualified"] == direct["summary"]["qualified"]
        assert document["summary"]["bor_score"] == direct["summary"]["bor_score"]
        assert document["summary"]["verdict"] == direct["summary"]["verdict"]
