"""conform compare (vendors side by side) and conform diff (before/after), on result documents of real checks.

Each "vendor" is an export written by rulecases.write_export (the clean base of rule_cases/base.yaml, patched),
checked with conform.api.check and turned into the result document by render.document.build, exactly as
`conform check --format json` does. Golden files: tests/golden/diff.*; regenerate with CONFORM_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import re
from pathlib import Path

import pytest

from conform.render.compare import compare, compare_csv, compare_html, load_result, load_results
from conform.render.diff import DIFF_FORMAT, diff, diff_html, diff_text, exit_code
from conform.errors import ConformError
from browser import needs_browser, render_and_dump
from documents import GENERATED_AT, TOOL_VERSION, assert_golden, make_document


# Three vendors: a clean export; one with value-set errors; one without the uppfoljning table.
VALUE_ERRORS = {"set": {
    "person": {"201401042385": {"juridiskt_kon": "Kvinna"}, "198502069993": {"ursprung": "Sverige"}},
    "aktualisering": {"A_BOU": {"tidigare_kontakt": "Ja"}},
}}
MORE_VALUE_ERRORS = {"set": {
    "person": {"201401042385": {"juridiskt_kon": "Kvinna"}, "198502069993": {"ursprung": "Sverige"},
               "193801147061": {"juridiskt_kon": "Man"}},
    "aktualisering": {"A_BOU": {"tidigare_kontakt": "Ja"}},
}}
MISSING_TABLE = {"drop_tables": ["uppfoljning"]}
HOSTILE = {"set": {
    "person": {"201401042385": {"juridiskt_kon": "<script>alert('x')</script>"}},
    "aktualisering": {"A_BOU": {"aktualiseringstyp": "Anm\x07\x1b[31mälan & <b>co</b>"}},
}}


def write_document(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp, "no Content-Security-Policy meta"
    policy = html.unescape(csp.group(1))
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|href)\s*=", page, re.I), "the page must load and link nothing"
    assert "@import" not in page and "url(" not in page


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("vendors")
    return {
        "alfa": make_document(root, "alfa", {}),
        "beta": make_document(root, "beta", VALUE_ERRORS),
        "gamma": make_document(root, "gamma", MISSING_TABLE),
        "beta2": make_document(root, "beta2", MORE_VALUE_ERRORS),
        "hostile": make_document(root, "hostile", HOSTILE),
    }


@pytest.fixture(scope="module")
def matrix(docs) -> dict:
    m = compare([docs["alfa"], docs["beta"], docs["gamma"]], sources=["alfa.json", "beta.json", "gamma.json"])
    m["generated_at"] = GENERATED_AT
    return m


def cell(m: dict, set_id: str, vendor: int) -> dict:
    return next(s for s in m["sets"] if s["id"] == set_id)["cells"][vendor]


# -- reading results ---------------------------------------------------------------------------------------------

def test_load_results_reads_and_validates_documents(tmp_path, docs):
    paths = [write_document(tmp_path / f"{n}.json", docs[n]) for n in ("alfa", "beta")]
    loaded = load_results(paths)
    assert [d["export"]["path"] for d in loaded] == ["alfa", "beta"]
    assert loaded[1] == docs["beta"]


@pytest.mark.parametrize("content, says", [
    ("{not json", "not JSON"),
    ('["a list"]', "not a conform result"),
    ('{"format": "conform-diff", "format_version": "1.0"}', "not a conform check result"),
    ('{"format": "conform-result", "format_version": "9.9"}', "result format version '9.9'"),
])
def test_load_results_names_the_file_that_is_not_a_result(tmp_path, content, says):
    bad = tmp_path / "vendor-x.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ConformError) as err:
        load_results([bad])
    assert str(bad) in str(err.value) and says in str(err.value)


def test_load_results_rejects_a_document_that_breaks_the_schema(tmp_path, docs):
    broken = copy.deepcopy(docs["beta"])
    broken["information_sets"][2]["status"] = "great"
    path = write_document(tmp_path / "broken.json", broken)
    with pytest.raises(ConformError, match=r"broken\.json: not a valid conform result .*information_sets/2/status"):
        load_result(path)
    with pytest.raises(ConformError, match="no such file"):
        load_result(tmp_path / "absent.json")


# -- compare -----------------------------------------------------------------------------------------------------

def test_compare_matrix_sets_by_vendor(matrix):
    assert [v["name"] for v in matrix["vendors"]] == ["alfa", "beta", "gamma"]
    assert matrix["format"] == "conform-compare" and matrix["profile"]["name"] == "basinformation-1.0"
    assert len(matrix["sets"]) == 17
    assert all(len(s["cells"]) == 3 for s in matrix["sets"])
    assert cell(matrix, "juridiskt_kon", 0)["status"] == "conformant"
    assert cell(matrix, "juridiskt_kon", 0)["conforming_share"] == 1.0
    assert cell(matrix, "juridiskt_kon", 1)["status"] == "nonconformant"
    assert cell(matrix, "juridiskt_kon", 1)["conforming_share"] == pytest.approx(5 / 6, abs=1e-6)
    assert cell(matrix, "tidigare_kontakt", 1)["status"] == "nonconformant"
    assert cell(matrix, "datum_uppfoljning", 2) == {"status": "missing", "conforming_share": None, "records": 0,
                                                    "records_with_errors": 0, "records_with_warnings": 0,
                                                    "level": "skall", "tolerance": 0.0, "met": False}
    assert cell(matrix, "datum_uppfoljning", 1)["status"] == "conformant"


def test_compare_summary_row_per_vendor(matrix):
    alfa, beta, gamma = matrix["vendors"]
    assert (alfa["verdict"], beta["verdict"], gamma["verdict"]) == ("conformant", "nonconformant", "nonconformant")
    assert alfa["findings"] == {"error": 0, "warning": 0, "info": 0}
    assert beta["findings"]["error"] == 3
    assert [r["code"] for r in beta["rules_with_findings"]] == ["VAL-001", "VAL-002", "VAL-007"]
    assert [r["code"] for r in gamma["rules_with_findings"]] == ["STR-001"]
    assert alfa["share_sets_conformant"] == 1.0
    assert beta["sets_conformant"] == 14 and beta["share_sets_conformant"] == pytest.approx(14 / 17, abs=1e-6)
    assert gamma["sets_conformant"] == 14          # two sets missing, one nonconformant
    assert beta["as_of"] == "2025-06-30" and beta["tool_version"] == TOOL_VERSION
    assert beta["source"] == "beta.json"
    assert {f["table"] for f in beta["files"]} == {"person", "aktualisering", "beslut", "insats", "uppfoljning"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in beta["files"])
    assert [r["code"] for r in matrix["rules"]] == ["STR-001", "VAL-001", "VAL-002", "VAL-007"]
    assert next(r for r in matrix["rules"] if r["code"] == "VAL-001")["counts"] == [0, 1, 0]
    assert matrix["notes"] == []


def test_compare_uses_given_names_and_keeps_columns_apart(docs):
    m = compare([docs["alfa"], docs["beta"]], names=["Leverantör A", "Leverantör B"])
    assert [v["name"] for v in m["vendors"]] == ["Leverantör A", "Leverantör B"]
    same = compare([docs["alfa"], docs["alfa"]])
    assert [v["name"] for v in same["vendors"]] == ["alfa", "alfa (2)"]
    with pytest.raises(ConformError, match="2 names given for 3 result files"):
        compare([docs["alfa"], docs["beta"], docs["gamma"]], names=["a", "b"])


def test_compare_notes_a_different_reference_date(docs):
    other = copy.deepcopy(docs["beta"])
    other["as_of"] = "2025-01-01"
    m = compare([docs["alfa"], other])
    assert {"code": "as_of_differs"} in m["notes"]
    assert "olika referensdatum" in compare_html(m, "sv")


def test_compare_refuses_results_of_different_profile_versions(docs):
    newer = copy.deepcopy(docs["beta"])
    newer["profile"]["version"] = "1.1.0"
    with pytest.raises(ConformError) as err:
        compare([docs["alfa"], newer], sources=["results/alfa.json", "results/beta.json"])
    message = str(err.value)
    assert "results/alfa.json" in message and "results/beta.json" in message
    assert "basinformation-1.0 1.0.0" in message and "basinformation-1.0 1.1.0" in message
    renamed = copy.deepcopy(docs["beta"])
    renamed["profile"]["name"] = "lokal-profil"
    with pytest.raises(ConformError, match="different profiles"):
        compare([docs["alfa"], renamed])


def test_compare_csv_is_one_row_per_vendor_in_rank_order_in_swedish(matrix):
    text = compare_csv(matrix)
    assert text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["Placering", "Leverantör", "Samlad bedömning", "Kvalificerad", "Bör-poäng",
                           "Andel felfria poster"]
    assert "Juridiskt kön: status" in rows[0] and "Juridiskt kön: andel felfria" in rows[0]
    assert len(rows) == 1 + 3 and len(rows[0]) == 6 + 2 * 17
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])  # in rank order
    by_name = {r[1]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_name["alfa"]["Juridiskt kön: status"] == "uppfyller" and by_name["alfa"]["Kvalificerad"] == "ja"
    assert by_name["beta"]["Juridiskt kön: status"] == "uppfyller inte"
    assert by_name["beta"]["Juridiskt kön: andel felfria"] == "0.833333"
    assert by_name["gamma"]["Samordnad individuell plan, vid uppföljning (SIP): status"] == "saknas"
    english = list(csv.reader(io.StringIO(compare_csv(matrix, "en"))))
    assert english[0][:2] == ["Rank", "Vendor"] and english[1][2] in {"approved", "approved with remarks",
                                                                        "not approved"}
    assert_golden("compare.csv", text)


def test_compare_csv_defuses_spreadsheet_formulas(docs):
    m = compare([docs["alfa"]], names=["=HYPERLINK(\"x\")"])
    rows = list(csv.reader(io.StringIO(compare_csv(m))))
    assert rows[1][1] == "'=HYPERLINK(\"x\")"


def test_compare_html_shows_matrix_legend_summary_and_evidence(matrix, docs):
    page = compare_html(matrix, "sv")
    assert_self_contained(page)
    assert 'lang="sv"' in page
    for text in ("Informationsmängder per leverantör", "uppfyller inte: poster med fel", "saknas i exporten",
                 "stöds inte: en hel kolumn saknas", "Placering", "Skall-krav uppfyllda",
                 "Samlad bedömning", "Ej godkänd", "Godkänd", "VAL-007", "83\u00a0%", "2025-06-30",
                 "conform " + TOOL_VERSION, "beta.json", "Juridiskt kön"):
        assert text in page, text
    for f in docs["gamma"]["export"]["files"]:
        assert f["sha256"] in page
    assert page.count('class="st-nonconformant"') == 3     # beta: three sets
    # gamma has no uppfoljning table: måluppfyllelse lacks a whole column there, so the system shows no support
    assert page.count('class="st-unsupported"') == 1
    assert page.count('class="st-missing"') == 2
    english = compare_html(matrix, "en")
    assert 'lang="en"' in english and "Information sets per vendor" in english and "Not approved" in english


def test_compare_html_shows_a_hostile_vendor_name_as_text(docs):
    m = compare([docs["alfa"], docs["hostile"]], names=["<script>alert(1)</script>", 'x" onmouseover="y'])
    page = compare_html(m, "en")
    assert_self_contained(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onmouseover="y' not in page and "x&#34; onmouseover=&#34;y" in page


def test_compare_shows_each_vendors_mapping_and_warns_when_they_differ(docs):
    mapped = copy.deepcopy(docs["beta"])
    mapped["mapping"] = {
        "path": "/home/upphandling/leverantor-b/mapping.yaml", "sha256": "ab" * 32, "vendor": "Beta AB",
        "tables": {"person": "klienter.csv"}, "unmapped_columns": {"klienter.csv": ["Handläggare"]},
        "crosswalks": [{"table": "person", "field": "juridiskt_kon", "columns": "Kön", "local": "Kvinnlig",
                        "standard": "Flicka/Kvinna", "records": 3},
                       {"table": "person", "field": "juridiskt_kon", "columns": "Kön", "local": "Okänt",
                        "standard": "Pojke/Man", "records": 0}],
        "derived_fields": [{"table": "aktualisering", "field": "malgrupp", "how": "value", "source": "BoU"}],
        "unmapped_fields": [{"table": "person", "field": "ursprung", "derived_by_conform": False}]}
    m = compare([docs["alfa"], mapped], names=["Alfa", "Beta"])
    assert [n["code"] for n in m["notes"]] == ["mapping_differs"]
    assert m["vendors"][1]["mapping"]["sha256"] == "ab" * 32 and m["vendors"][0]["mapping"] is None
    page = compare_html(m, "sv")
    assert "olika mappningar" in page
    assert "mapping.yaml, SHA-256 abababababab…" in page                      # the matrix row
    assert "1 lokalt värde översatt (3 poster)" in page
    assert "ab" * 32 in page and "/home/upphandling" not in page              # the file's name, not its folder
    assert "<td>Kvinnlig</td><td>Flicka/Kvinna</td><td>Juridiskt kön</td>" in page
    assert "1 översättning i mappningen används inte av någon post." in page
    assert "Målgrupp: samma värde för varje post: BoU" in page
    assert "Ingen mappning: exporten lästes i profilens egen form." in page
    same = compare([mapped, copy.deepcopy(mapped)], names=["B1", "B2"])
    assert "mapping_differs" not in [n["code"] for n in same["notes"]]


# -- diff --------------------------------------------------------------------------------------------------------

def test_diff_flags_a_new_error_as_a_regression(docs):
    d = diff(docs["alfa"], docs["beta"], sources=["old.json", "new.json"])
    assert d["format"] == DIFF_FORMAT and d["format_version"] == "1.1"
    assert d["regression"] is True and exit_code(d) == 1
    rules = {r["code"]: r for r in d["rules"]}
    assert set(rules) == {"VAL-001", "VAL-002", "VAL-007"}
    val001 = rules["VAL-001"]
    assert val001["change"] == "new" and (val001["old_count"], val001["new_count"]) == (0, 1)
    assert rules["VAL-001"]["examples"]["new"][0]["key"] == "20140104-****"
    assert {("rule", "VAL-001"), ("rule", "VAL-007"), ("set", "juridiskt_kon")} <= {
        (r["kind"], r.get("code") or r.get("id")) for r in d["regression_reasons"]}
    sets = {s["id"]: s for s in d["information_sets"]}
    assert sets["juridiskt_kon"]["change"] == "worse" and sets["ursprung"]["change"] == "worse"
    assert sets["person_id"]["change"] == "same"
    assert d["summary"]["rules_new"] == 3 and d["summary"]["sets_worse"] == 3 and d["summary"]["sets_same"] == 14
    assert json.loads(json.dumps(d)) == d                     # the JSON output is the dict itself


def test_diff_reverse_resolves_and_is_no_regression(docs):
    d = diff(docs["beta"], docs["alfa"])
    assert d["regression"] is False and exit_code(d) == 0 and d["regression_reasons"] == []
    assert {r["change"] for r in d["rules"]} == {"resolved"}
    assert d["summary"]["rules_resolved"] == 3 and d["summary"]["sets_better"] == 3
    assert all(s["change"] in {"better", "same"} for s in d["information_sets"])


def test_diff_rule_with_a_new_finding_is_new_with_the_count_delta_and_the_new_example(docs):
    d = diff(docs["beta"], docs["beta2"])
    rules = {r["code"]: r for r in d["rules"]}
    val001 = rules["VAL-001"]
    # One finding more than before: the rule has new findings, never "kvarstår" (tests/test_diff_consistency.py).
    assert val001["change"] == "new" and val001["delta"] == 1
    assert val001["examples"]["complete"] is True
    assert [e["key"] for e in val001["examples"]["new"]] == ["19380114-****"]
    assert val001["examples"]["resolved"] == [] and val001["examples"]["persisting"] == 1
    assert rules["VAL-007"]["change"] == "persisting" and rules["VAL-007"]["delta"] == 0
    # More findings of an error rule OLD already had: NEW has an error-level finding OLD did not, a regression.
    assert d["regression"] is True
    assert {"kind": "rule", "code": "VAL-001", "spec": val001["spec"], "count": val001["new_count"],
            "old_count": val001["old_count"], "added": 1} in d["regression_reasons"]
    # Compared record by record: one new finding, one that persists.
    assert d["record_level"] is True
    assert (val001["new_findings"], val001["resolved_findings"], val001["persisting_findings"]) == (1, 0, 1)
    assert d["summary"]["findings"]["error"] == {"old": 3, "new": 4, "new_findings": 1, "resolved_findings": 0,
                                                 "persisting_findings": 3}
    # The reverse (fewer findings) is not.
    assert diff(docs["beta2"], docs["beta"])["regression"] is False
    # By counts (results without fingerprints), the same.
    by_count = diff(by_counts(docs["beta"]), by_counts(docs["beta2"]))
    val001 = next(r for r in by_count["rules"] if r["code"] == "VAL-001")
    assert by_count["record_level"] is False and by_count["record_level_unavailable"] == "missing"
    assert val001["new_findings"] is None and [e["key"] for e in val001["examples"]["new"]] == ["19380114-****"]
    assert by_count["regression"] is True


def by_counts(document: dict) -> dict:
    """The document as a result without fingerprints (an older conform) has it."""
    document = copy.deepcopy(document)
    document["fingerprints"] = None
    for rule in document["rules"]:
        for example in rule["examples"]:
            example.pop("fingerprint", None)
    return document


def test_diff_by_record_sees_a_finding_move_to_another_record(docs, tmp_path):
    """The same count, other records: by counts nothing changed; by record one finding is new (a regression)
    and one resolved."""
    moved = make_document(tmp_path, "moved", {"set": {
        "person": {"193801147061": {"juridiskt_kon": "Man"}, "198502069993": {"ursprung": "Sverige"}},
        "aktualisering": {"A_BOU": {"tidigare_kontakt": "Ja"}}}})
    d = diff(docs["beta"], moved)
    val001 = next(r for r in d["rules"] if r["code"] == "VAL-001")
    assert (val001["old_count"], val001["new_count"]) == (1, 1)
    assert (val001["new_findings"], val001["resolved_findings"], val001["persisting_findings"]) == (1, 1, 0)
    assert [e["key"] for e in val001["examples"]["new"]] == ["19380114-****"]
    assert [e["key"] for e in val001["examples"]["resolved"]] == ["20140104-****"]
    assert d["regression"] is True and [r["code"] for r in d["worst"]] == ["VAL-001"]
    assert diff(by_counts(docs["beta"]), by_counts(moved))["regression"] is False


def test_diff_compares_by_count_when_the_keys_differ(docs, tmp_path):
    other_key = make_document(tmp_path, "beta", VALUE_ERRORS, fingerprint_key=b"another-key-entirely-0000000000")
    d = diff(docs["alfa"], other_key)
    assert d["record_level"] is False and d["record_level_unavailable"] == "key"
    assert "olika nycklar" in diff_text(d, "sv")


def test_diff_missing_table_is_a_regression(docs):
    d = diff(docs["alfa"], docs["gamma"])
    assert d["regression"] is True
    reasons = {(r["kind"], r.get("code") or r.get("id")) for r in d["regression_reasons"]}
    assert {("rule", "STR-001"), ("set", "datum_uppfoljning"), ("set", "sip")} <= reasons
    sets = {s["id"]: s for s in d["information_sets"]}
    sip = sets["sip"]
    assert (sip["old_status"], sip["new_status"], sip["change"]) == ("conformant", "missing", "worse")


def test_diff_rule_that_could_not_run_is_not_called_resolved(docs):
    old = copy.deepcopy(docs["alfa"])
    new = copy.deepcopy(docs["gamma"])
    dat004_old = next(r for r in old["rules"] if r["code"] == "DAT-004")
    dat004_old["count"] = 2
    dat004_old["examples"] = [{"table": "insats", "row": 1, "key": "I_BOU", "field": "datum_avslut",
                               "value": "2024-08-01", "other": "2024-09-01", "message": "m"}] * 2
    assert next(r for r in new["rules"] if r["code"] == "DAT-004")["not_evaluated_in"] == ["insats"]
    d = diff(old, new)
    rule = next(r for r in d["rules"] if r["code"] == "DAT-004")
    assert rule["change"] == "not_evaluated" and rule["examples"]["resolved"] == []
    assert d["summary"]["rules_not_evaluated"] == 1


def test_diff_examples_beyond_the_cap_are_not_judged_by_count(docs):
    old, new = by_counts(docs["beta"]), by_counts(docs["beta"])
    for document, count, start in ((old, 25, 0), (new, 26, 3)):
        rule = next(r for r in document["rules"] if r["code"] == "VAL-001")
        rule["count"] = count
        rule["examples"] = [{"table": "person", "row": i + 1, "key": f"K{i}", "field": "juridiskt_kon",
                             "value": "Kvinna", "other": None, "message": "m"} for i in range(start, start + 20)]
    rule = next(r for r in diff(old, new)["rules"] if r["code"] == "VAL-001")
    assert rule["change"] == "new" and rule["delta"] == 1
    # 20 of 25 examples kept: K20..K22 of NEW may well have been among OLD's 25 findings.
    assert rule["examples"] == {"complete": False, "new": [], "resolved": [], "persisting": 17}


def test_diff_does_not_compare_masked_with_revealed_examples(tmp_path, docs):
    revealed = make_document(tmp_path, "beta", VALUE_ERRORS, reveal_ids=True)
    d = diff(by_counts(docs["beta"]), by_counts(revealed))
    assert d["examples_comparable"] is False
    assert all(r["examples"]["new"] == [] and r["examples"]["persisting"] is None for r in d["rules"])
    # Fingerprints are made from the findings in full, so masking does not keep them from comparing.
    d = diff(docs["beta"], revealed)
    assert d["record_level"] is True and all(r["new_findings"] == 0 for r in d["rules"])


def test_diff_refuses_results_of_different_profile_versions(docs):
    newer = copy.deepcopy(docs["beta"])
    newer["profile"]["version"] = "2.0.0"
    with pytest.raises(ConformError) as err:
        diff(docs["alfa"], newer, sources=["old.json", "new.json"])
    assert "old.json" in str(err.value) and "new.json" in str(err.value) and "2.0.0" in str(err.value)


def test_diff_text_golden(docs):
    d = diff(docs["alfa"], docs["beta"], sources=["alfa.json", "beta.json"])
    assert_golden("diff.sv.txt", diff_text(d, "sv"))
    reverse = diff(docs["beta"], docs["gamma"], sources=["beta.json", "gamma.json"])
    assert_golden("diff.en.txt", diff_text(reverse, "en"))
    d["generated_at"] = GENERATED_AT
    d["tool"]["version"] = TOOL_VERSION
    assert_golden("diff.json", json.dumps(d, ensure_ascii=False, indent=2) + "\n")


def test_diff_text_says_regression_first(docs):
    text = diff_text(diff(docs["alfa"], docs["beta"]), "sv")
    assert text.index("FÖRSÄMRING: Efter har fel som Före inte hade. Det som försämrats mest:") < text.index(
        "Avvikelser per regel")
    assert "VAL-001 [fel]: 1 ny avvikelse (före 0, efter 1) · Juridiskt kön, Värdemängder" in text
    assert "ny regel" not in text
    assert "INGEN FÖRSÄMRING" in diff_text(diff(docs["beta"], docs["alfa"]), "sv")


def test_diff_text_shows_control_characters_escaped(docs):
    text = diff_text(diff(docs["alfa"], docs["hostile"]), "en")
    assert "\x1b" not in text and "\x07" not in text
    assert "Anm\\x07\\x1b[31mälan" in text


def test_diff_html_is_self_contained_and_escapes_export_values(docs):
    page = diff_html(diff(docs["alfa"], docs["hostile"], sources=["<i>old</i>.json", "new.json"]), "sv")
    assert_self_contained(page)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;co&lt;/b&gt;" in page and "<b>co" not in page
    assert "&lt;i&gt;old&lt;/i&gt;.json" in page
    assert "\x1b" not in page and "\x07" not in page
    for text in ("Försämring", "Juridiskt kön", "uppfyller inte", "VAL-001", "Före", "Efter"):
        assert text in page, text
    calm = diff_html(diff(docs["beta"], docs["alfa"]), "en")
    assert_self_contained(calm)
    assert "No regression" in calm and "resolved" in calm
    assert "http://" not in calm and "https://" not in calm


# -- in a real browser --------------------------------------------------------------------------------------------

@needs_browser
def test_browser_renders_the_compare_page_with_hostile_names_as_text(docs, tmp_path):
    m = compare([docs["alfa"], docs["beta"], docs["hostile"]], names=["Alfa", "Beta", "<script>alert(1)</script>"])
    page = tmp_path / "compare.html"
    page.write_text(compare_html(m, "sv"), encoding="utf-8")
    dom = render_and_dump(page, tmp_path, "compare")
    assert "Informationsmängder per leverantör" in dom and "Ej godkänd" in dom
    assert dom.count('class="st-nonconformant"') >= 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script" not in dom.lower()


@needs_browser
def test_browser_renders_the_diff_page(docs, tmp_path):
    page = tmp_path / "diff.html"
    page.write_text(diff_html(diff(docs["alfa"], docs["hostile"], sources=["old.json", "new.json"]), "sv"),
                    encoding="utf-8")
    dom = render_and_dump(page, tmp_path, "diff")
    assert 'class="verdict verdict-nonconformant"' in dom and "Försämring" in dom
    assert '<table class="sets">' in dom and "VAL-001" in dom
    assert "<script" not in dom.lower()


def test_diff_json_follows_its_schema(docs):
    import jsonschema

    from conform.resources import SCHEMAS_DIR

    schema = json.loads((SCHEMAS_DIR / "diff.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for old, new in (("alfa", "beta"), ("beta", "alfa"), ("alfa", "hostile"), ("alfa", "gamma")):
        d = json.loads(json.dumps(diff(docs[old], docs[new], sources=["old.json", "new.json"])))
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(d)]
        assert not errors, (old, new, errors[:5])
    broken = json.loads(json.dumps(diff(docs["alfa"], docs["beta"])))
    broken["rules"][0]["change"] = "improved"
    assert list(validator.iter_errors(broken))


def test_diff_compares_every_finding_not_only_the_examples(tmp_path):
    """A generated export with many findings per rule, then the same records in reverse order with one more
    defect: every finding of the first persists (rows moved, records did not), and exactly the one added is new,
    though each rule has more findings than the 20 examples a result keeps."""
    import shutil

    import polars as pl

    from conform.api import check
    from conform.generator import generate
    from conform.render.document import build
    from documents import FINGERPRINT_KEY

    before = tmp_path / "before"
    generate(before, persons=300, defects=0.5, seed=11)
    after = tmp_path / "after"
    shutil.copytree(before, after)
    person = pl.read_csv(before / "person.csv", infer_schema_length=0)
    valid = (person["juridiskt_kon"].is_in(["Flicka/Kvinna", "Pojke/Man"])
             & person["person_id"].str.contains(r"^\d{12}$"))
    chosen = person.filter(valid)["person_id"][0]
    (person.reverse().with_columns(juridiskt_kon=pl.when(pl.col("person_id") == chosen).then(pl.lit("Kvinna"))
                                   .otherwise(pl.col("juridiskt_kon")))
     .write_csv(after / "person.csv"))
    old = build(check(before), fingerprint_key=FINGERPRINT_KEY)
    new = build(check(after), fingerprint_key=FINGERPRINT_KEY)
    d = diff(old, new)
    assert d["record_level"] is True
    rules = {r["code"]: r for r in d["rules"]}
    assert (rules["VAL-001"]["new_findings"], rules["VAL-001"]["resolved_findings"]) == (1, 0)
    assert rules["VAL-001"]["persisting_findings"] == rules["VAL-001"]["old_count"]
    assert sum(r["new_findings"] for r in d["rules"]) == 1
    assert sum(r["resolved_findings"] for r in d["rules"]) == 0
    assert [r["code"] for r in d["worst"] if r["kind"] == "rule"] == ["VAL-001"]
    beyond_examples = [r for r in d["rules"] if r["old_count"] > 20]
    assert beyond_examples and all(r["persisting_findings"] == r["old_count"] for r in beyond_examples)


def test_the_fingerprint_key_is_kept_private_and_reused(tmp_path, monkeypatch):
    """Without CONFORM_FINGERPRINT_KEY, a random key is made once, readable by its owner only, and used again;
    a short secret or a damaged key file is refused with a message, not a traceback."""
    import stat

    from conform.result import fingerprint
    from conform.errors import UsageError

    monkeypatch.delenv("CONFORM_FINGERPRINT_KEY", raising=False)
    monkeypatch.setenv("CONFORM_FINGERPRINT_KEY_FILE", str(tmp_path / "conf" / "fingerprint.key"))
    first = fingerprint.key()
    assert stat.S_IMODE((tmp_path / "conf" / "fingerprint.key").stat().st_mode) == 0o600
    assert fingerprint.key() == first and len(first) == 32
    (tmp_path / "conf" / "fingerprint.key").write_text("not hex\n")
    with pytest.raises(UsageError, match="not a conform fingerprint key"):
        fingerprint.key()
    monkeypatch.setenv("CONFORM_FINGERPRINT_KEY", "short")
    with pytest.raises(UsageError, match="at least 16"):
        fingerprint.key()
    monkeypatch.setenv("CONFORM_FINGERPRINT_KEY", "a long enough ci secret")
    assert fingerprint.key() != first and fingerprint.key_id(fingerprint.key()) != fingerprint.key_id(first)


def test_fingerprints_hide_the_person_id_and_depend_on_the_key(docs):
    """A result's fingerprints are 16 hexadecimal digits that name no one; another key gives others."""
    import polars as pl

    from conform.result.fingerprint import fingerprints

    findings = pl.DataFrame({"rule": ["VAL-001"] * 2, "table": ["person"] * 2, "row": [1, 2],
                             "key": ["201401042385", "201401042385"], "field": ["juridiskt_kon"] * 2,
                             "value": ["Kvinna"] * 2, "other": [None, None]})
    one = fingerprints(findings, b"k" * 32).to_list()
    assert len(set(one)) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", f) for f in one)   # identical findings: two
    assert fingerprints(findings, b"j" * 32).to_list() != one
    assert "201401042385" not in json.dumps(docs["beta"]["fingerprints"])


def test_a_release_that_lost_a_table_shows_its_rules_as_not_checked_never_as_fixed(tmp_path):
    """The rules on a table the new release lacks did not run there: "not evaluated", not "åtgärdad"."""
    old = make_document(tmp_path, "old", {"set": {"uppfoljning": {"U_BOU": {"sip": "Kanske"}}}})
    new = make_document(tmp_path, "new", MISSING_TABLE)
    skipped = {r["code"] for r in new["rules"] if r["not_evaluated_in"] == ["uppfoljning"]}
    assert len(skipped) > 10 and {"VAL-017", "INT-001", "CAR-009"} <= skipped
    rules = {r["code"]: r for r in diff(old, new)["rules"]}
    assert rules["VAL-017"]["change"] == "not_evaluated", rules["VAL-017"]
    assert not [code for code, r in rules.items() if r["change"] == "resolved" and code in skipped]
