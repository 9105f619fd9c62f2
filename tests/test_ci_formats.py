"""CI formats of `conform check`: JUnit XML (validated against tests/golden/junit.xsd, a restriction of the Jenkins
xUnit plugin's junit-10.xsd) and the Markdown summary. Golden files: tests/golden/junit.xml and summary.md;
regenerate with CONFORM_UPDATE_GOLDEN=1."""

from __future__ import annotations

import copy
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from conform.render.junit import junit_xml
from conform.render.markdown import markdown_summary
from documents import GOLDEN, assert_golden, make_document

XSD = GOLDEN / "junit.xsd"

VALUE_ERRORS = {"set": {
    "person": {"201401042385": {"juridiskt_kon": "Kvinna"}, "198502069993": {"ursprung": "Sverige"}},
    "aktualisering": {"A_BOU": {"tidigare_kontakt": "Ja"}},
}}
MISSING_TABLE = {"drop_tables": ["uppfoljning"]}
HOSTILE = {"set": {
    "person": {"201401042385": {"juridiskt_kon": "<script>alert('x')</script>",
                                "ursprung": "@team :x: [l](javascript:y) | `z` *w* #12"}},
    "aktualisering": {"A_BOU": {"aktualiseringstyp": "Anm\x01\x1b[31mälan & <b>co</b>"}},
}}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("ci")
    return {
        "clean": make_document(root, "clean", {}),
        "errors": make_document(root, "errors", VALUE_ERRORS),
        "missing": make_document(root, "missing", MISSING_TABLE, lang="en"),
        "hostile": make_document(root, "hostile", HOSTILE),
    }


# -- JUnit -------------------------------------------------------------------------------------------------------

def validate_junit(xml: str) -> None:
    """Against the XSD with lxml (skipped, visibly, where lxml is not installed); the structural checks below
    run either way."""
    etree = pytest.importorskip("lxml.etree", reason="lxml validates the JUnit XML against tests/golden/junit.xsd")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    parsed = etree.fromstring(xml.encode("utf-8"))
    assert schema.validate(parsed), schema.error_log


def cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {c.get("name").split()[0]: c for c in root.iter("testcase")}


@pytest.mark.parametrize("name", ["clean", "errors", "missing", "hostile", "warning_and_info"])
def test_junit_validates_against_the_schema(docs, name):
    validate_junit(junit_xml(docs[name] if name in docs else with_warning_and_info(docs["errors"])))


def with_warning_and_info(document: dict) -> dict:
    """The document with two findings added to one warning rule and one info rule."""
    document = copy.deepcopy(document)
    example = next(r for r in document["rules"] if r["code"] == "VAL-001")["examples"][0]
    for severity in ("warning", "info"):
        rule = next(r for r in document["rules"] if r["severity"] == severity)
        rule["count"] = 2
        rule["examples"] = [dict(example, message=f"{severity} m1"), dict(example, message=f"{severity} m2")]
    return document


@pytest.mark.parametrize("name", ["clean", "errors", "missing", "hostile"])
def test_junit_one_suite_one_case_per_rule(docs, name):
    document = docs[name]
    root = ET.fromstring(junit_xml(document))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "conform basinformation-1.0"
    testcases = suite.findall("testcase")
    assert len(testcases) == len(document["rules"]) == int(suite.get("tests")) == int(root.get("tests"))
    assert [c.get("name") for c in testcases] == [f"{r['code']} {r['name']}" for r in document["rules"]]
    assert [c.get("classname") for c in testcases] == [r["category"] for r in document["rules"]]
    failing = [r for r in document["rules"] if r["code"] in document["summary"]["blocking_rules"]]
    assert int(suite.get("failures")) == len(failing) == len(suite.findall("testcase/failure"))
    assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
    assert suite.get("errors") == "0"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["as_of"] == "2025-06-30" and properties["profile_version"] == document["profile"]["version"]


def test_junit_failure_carries_count_message_and_masked_examples(docs):
    case = cases(junit_xml(docs["errors"]))["VAL-001"]
    failure = case.find("failure")
    assert failure.get("type") == "error"
    message = 'Juridiskt kön "Kvinna" finns inte i värdemängden (Flicka/Kvinna, Pojke/Man).'
    assert failure.get("message") == "1 avvikelse: " + message
    lines = failure.text.splitlines()
    assert lines[0] == "person:1 [20140104-****] " + message
    assert lines[-2].startswith("Åtgärd: ") and lines[-1] == "Standarden: Juridiskt kön, Värdemängder"
    assert "201401042385" not in junit_xml(docs["errors"])
    assert cases(junit_xml(docs["errors"]))["CAR-001"].find("failure") is None


def test_junit_caps_examples_at_20_and_says_how_many_more(docs):
    document = copy.deepcopy(docs["errors"])
    rule = next(r for r in document["rules"] if r["code"] == "VAL-001")
    rule["count"] = 57
    rule["examples"] = [dict(rule["examples"][0], row=i + 1) for i in range(20)]
    failure = cases(junit_xml(document))["VAL-001"].find("failure")
    assert failure.get("message").startswith("57 avvikelser, t.ex.: Juridiskt kön")
    lines = failure.text.splitlines()
    assert len([line for line in lines if line.startswith("person:")]) == 20
    assert "… och 37 till" in failure.text


def test_junit_skips_rules_not_evaluated_and_fills_the_fix(docs):
    by_code = cases(junit_xml(docs["missing"]))
    skipped = by_code["DAT-004"].find("skipped")
    assert skipped is not None and skipped.get("message") == "could not be checked in: insats"
    failure = by_code["STR-001"].find("failure")
    assert failure.get("message") == ("1 finding: Table uppfoljning is missing from the export "
                                      "(expected the file uppfoljning.csv).")
    assert "Fix: Export table uppfoljning as uppfoljning.csv" in failure.text
    assert "{table}" not in failure.text


def test_junit_fails_what_fail_on_fails_and_passes_the_rest_with_output(docs):
    document = with_warning_and_info(docs["errors"])
    warning = next(r for r in document["rules"] if r["severity"] == "warning")
    info = next(r for r in document["rules"] if r["severity"] == "info")
    gate_error = cases(junit_xml(document))
    assert gate_error["VAL-001"].find("failure").get("type") == "error"
    assert gate_error[warning["code"]].find("failure") is None
    out = gate_error[warning["code"]].find("system-out").text
    assert out.startswith("2 avvikelser med allvarligheten varning, under gränsen --fail-on error: de stoppar inte")
    assert "warning m1" in out
    gate_warning = cases(junit_xml(document, "warning"))
    assert gate_warning[warning["code"]].find("failure").get("type") == "warning"
    assert gate_warning[warning["code"]].find("failure").get("message") == "2 avvikelser, t.ex.: warning m1"
    assert gate_warning[info["code"]].find("failure") is None
    assert "info m1" in gate_warning[info["code"]].find("system-out").text
    assert cases(junit_xml(document, "info"))[info["code"]].find("failure").get("type") == "info"


def test_junit_passes_an_error_within_the_tolerance_with_output(docs):
    """A krav finding within the requirements' tolerance does not block godkänt, so the gate at error passes it:
    JUnit shows it as passed, with its findings and why."""
    document = copy.deepcopy(docs["errors"])
    document["summary"]["blocking_rules"] = ["VAL-002"]
    by_code = cases(junit_xml(document))
    assert by_code["VAL-002"].find("failure") is not None
    assert by_code["VAL-001"].find("failure") is None
    assert by_code["VAL-001"].find("system-out").text.startswith(
        "1 avvikelse med allvarligheten fel som inte hindrar godkänt (den ligger inom toleransen")


def test_junit_keeps_export_text_as_text(docs):
    xml = junit_xml(docs["hostile"])
    root = ET.fromstring(xml)                                   # well-formed despite the control characters
    assert "\x01" not in xml and "\x1b" not in xml
    message = cases(xml)["VAL-001"].find("failure").get("message")
    assert "<script>alert('x')</script>" in message            # text content, escaped in the XML source
    assert "<script>" not in xml
    assert root.find("testsuite") is not None


def test_junit_golden(docs):
    assert_golden("junit.xml", junit_xml(docs["errors"]))


# -- Markdown ----------------------------------------------------------------------------------------------------

def test_markdown_summary_golden(docs):
    assert_golden("summary.md", markdown_summary(docs["errors"]))


def test_markdown_summary_content(docs):
    text = markdown_summary(docs["errors"])
    assert "**Samlad bedömning: EJ GODKÄND** (3 fel, 0 varningar, 0 info)" in text
    assert "Referensdatum 2025-06-30" in text and "basinformation-1.0 1.0.0" in text
    set_rows = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(set_rows) == 17
    assert "| 3 | Juridiskt kön | **uppfyller inte** | 6 | 83\u00a0% |" in text
    rule_rows = [line for line in text.splitlines() if re.match(r"\| [A-Z]{3}-\d{3} \|", line)]
    assert [row.split("|")[1].strip() for row in rule_rows] == ["VAL-001", "VAL-002", "VAL-007"]
    assert not any(unicodedata.category(c) == "So" for c in text), "no emoji or symbols"
    english = markdown_summary(docs["missing"])
    assert "**Overall verdict: NOT APPROVED**" in english and "| **missing** |" in english
    # Every rule on the missing table did not run there: not evaluated, never "no findings".
    skipped = [r["code"] for r in docs["missing"]["rules"] if r["not_evaluated_in"]]
    assert len(skipped) > 10 and {"CAR-009", "VAL-017", "INT-001"} <= set(skipped)
    assert f"{len(skipped)} of {docs['missing']['summary']['rules_total']} rules could not be checked." in english


def test_markdown_summary_says_what_the_gate_stops_on(docs):
    text = markdown_summary(docs["errors"])
    assert "Med --fail-on error **stoppar** kontrollen på 3 regler: VAL-001, VAL-002, VAL-007." in text
    assert "| VAL-001 | fel | **stoppar** |" in text
    assert "Med --fail-on error släpper kontrollen igenom exporten." in markdown_summary(docs["clean"])


def test_markdown_summary_clean_export(docs):
    text = markdown_summary(docs["clean"])
    assert "**Samlad bedömning: GODKÄND**" in text and "Inga avvikelser." in text


def test_markdown_summary_escapes_export_values(docs):
    text = markdown_summary(docs["hostile"])
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "<b>" not in text and "&amp;" in text
    assert "\x1b" not in text and "\x01" not in text
    for raw in ("@team", ":x:", "[l](javascript", "`z`", "*w*", "#12"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), text), raw
    assert r"\@team \:x\: \[l\](javascript\:y) \| \`z\` \*w\* \#12" in text
    for line in text.splitlines():
        if line.startswith("| VAL-002 "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6         # the value's | does not add a cell
