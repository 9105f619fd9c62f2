"""Every figure a report shows is possible: over generated exports of every shape and defect rate, checked with
reviewed and with drafted mappings (whose unmapped local target groups fall in the "?" column), no set and no
set × target-group cell ever has more records with findings than records, and no share leaves 0–100 %."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import yaml

from conform import api
from conform.generator import generate
from conform.generator.drafting import reviewed_mapping, wrong_crosswalks
from conform.generator.vendors import DRAFTING_SHAPES, GROUP_CODES, SHAPES, WIDE_LOCAL, read_canonical, write_shape
from conform.input.mapping.draft import draft_mapping
from conform.model import MAX_LISTED
from conform.render.html import build_report
from conform.vocabulary import opposite

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
AS_OF = dt.date(2025, 6, 30)
RATES = (0.0, 0.05, 0.5)


def assert_possible(result) -> None:
    # Every krav finding counts against a set, so the verdict per set and the export's verdict cannot disagree.
    by_code = {r.code: r for r in result.rules}
    profile = api.load()[0]
    attributed = api.attribute_findings(result.hits, by_code, api.field_sets(profile))
    errors = result.hits.filter(pl.col("rule").is_in([c for c, r in by_code.items() if r.severity.value == "error"]))
    unattributed = errors.join(attributed, on=["rule", "table", "row", "field"], how="anti", nulls_equal=True)
    assert unattributed.is_empty(), unattributed
    # The listed findings are the first of every finding counted, never more.
    counted, listed = result.counts_by_rule(), dict(result.findings.group_by("rule").len().rows())
    assert set(listed) <= set(counted)
    assert all(listed.get(code, 0) == min(n, MAX_LISTED) for code, n in counted.items()), (listed, counted)
    for s in result.sets:
        assert 0 <= s.records_with_errors <= s.records, (s.id, s.records_with_errors, s.records)
        assert 0 <= s.records_with_warnings <= s.records, (s.id, s.records_with_warnings, s.records)
        if s.conforming_share is not None:
            assert 0 <= s.conforming_share <= 1, s.id
    # The figures the check computed, as the JSON result carries them and the report shows them.
    records = {s.id: s.records for s in result.sets}
    for row in result.figures["matrix"]:
        for cell in row["cells"]:
            assert 0 <= cell["errors"] <= cell["records"], (row["set"], cell)
            assert 0 <= cell["warnings"] <= cell["records"], (row["set"], cell)
        # A set's records are its target groups' records: a record is counted once per group it belongs to.
        assert sum(c["records"] for c in row["cells"]) >= records[row["set"]], row
    for item in (i for i in result.figures["capability"] if i["kind"] == "several"):
        # Records holding a value, and the most values one of them holds: both none, or both some.
        assert (item["records"] == 0) == (item["most"] == 0), item
    for entry in result.figures["coverage"]:
        assert len(entry["present"]) + len(entry["never"]) == entry["standard_total"], entry["set"]
        assert entry["nonstandard_total"] >= len(entry["nonstandard"])
    report = build_report(result)["report"]
    for row in report["matrix"]:
        for cell in row["cells"]:
            assert 0 <= cell["errors"] <= cell["n"], (row["id"], cell)


@pytest.fixture(scope="module", params=RATES, ids=lambda r: f"defects={r}")
def population(request, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("population") / "canonical"
    generate(folder, persons=80, defects=request.param, seed=int(request.param * 100) + 3)
    return folder


def test_canonical_figures_are_possible(population):
    assert_possible(api.check(population))


@pytest.mark.parametrize("shape", SHAPES)
def test_mapped_figures_are_possible_with_reviewed_and_drafted_mappings(shape, population, tmp_path):
    export = tmp_path / shape
    write_shape(read_canonical(population), shape, export)
    assert_possible(api.check(export, mapping=VENDORS / shape / "mapping.yaml", as_of=AS_OF))
    draft = draft_mapping(export, api.load()[0])
    assert_no_wrong_crosswalk(yaml.safe_load(draft))
    drafted = tmp_path / "draft.yaml"
    drafted.write_text(without_a_target_group(draft), encoding="utf-8")
    assert_possible(api.check(export, mapping=drafted, as_of=AS_OF))


@pytest.mark.parametrize("shape", DRAFTING_SHAPES)
def test_figures_are_possible_for_shapes_conform_has_never_seen(shape, population, tmp_path):
    """The generated shapes whose headings and words no list of the profile holds: through the mapping a reviewer
    ends with, and through the unedited draft, which proposes no crosswalk the generator's truth contradicts."""
    export = tmp_path / shape
    tables = read_canonical(population)
    write_shape(tables, shape, export)
    reviewed = reviewed_mapping(shape, tables)
    path = tmp_path / "reviewed.yaml"
    path.write_text(yaml.safe_dump(reviewed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert_possible(api.check(export, mapping=path, as_of=AS_OF))
    draft = draft_mapping(export, api.load()[0])
    assert wrong_crosswalks(yaml.safe_load(draft), reviewed) == []
    drafted = tmp_path / "draft.yaml"
    drafted.write_text(without_a_target_group(draft), encoding="utf-8")
    assert_possible(api.check(export, mapping=drafted, as_of=AS_OF))


def assert_no_wrong_crosswalk(draft: dict) -> None:
    """Every crosswalk the draft proposes for a word the generated vendor uses goes to the value the vendor
    wrote it for, and none says the opposite of its local value."""
    truth = {local: standard for words in (*WIDE_LOCAL.values(), GROUP_CODES) for standard, local in words.items()}
    for table in draft["tables"].values():
        for field in table["fields"].values():
            for local, standard in (field.get("values") or {}).items():
                assert truth.get(local, standard) == standard, (local, standard)
                assert not opposite(str(local), str(standard)), (local, standard)


def without_a_target_group(draft: str) -> str:
    """The draft with one local target group left unmapped (as a hurried review leaves it): its records are
    then of no known group, and the value-set rules report the local value."""
    mapping = yaml.safe_load(draft)
    crosswalk = mapping["tables"]["aktualisering"]["fields"]["malgrupp"].get("values")
    if crosswalk:
        crosswalk.pop(sorted(crosswalk)[0])
    return yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)


LENIENT = """conform_requirements: 1
profile: basinformation-1.0
information_sets:
  juridiskt_kon: {level: skall, tolerance: 0.5}
  ursprung: {level: bor, weight: 1, tolerance: 0}
  problematik: {level: skall, tolerance: 0.2}
  insats: {level: bor, weight: 2, tolerance: 0.1}
"""


@pytest.mark.parametrize("requirements", ["default", "lenient"])
def test_ci_formats_fail_exactly_what_the_gate_fails(population, requirements, tmp_path):
    """JUnit's failures are the rules `--fail-on` fails, at every level: there are some exactly when the exit
    code is 1, and the Markdown summary marks the same rules (and says the same of the gate)."""
    import xml.etree.ElementTree as ET

    from conform.model import ExitCode, Severity
    from conform.render.document import build
    from conform.render.gate import failing_rules
    from conform.render.junit import junit_xml
    from conform.render.markdown import markdown_summary

    wanted = None
    if requirements == "lenient":
        wanted = tmp_path / "krav.yaml"
        wanted.write_text(LENIENT, encoding="utf-8")
    result = api.check(population, requirements=wanted)
    document = build(result)
    for level in Severity:
        failing = failing_rules(document, level.value)
        root = ET.fromstring(junit_xml(document, level.value))
        failed = {c.get("name").split()[0] for c in root.iter("testcase") if c.find("failure") is not None}
        assert failed == failing, level
        assert int(root.get("failures")) == len(failed)
        assert bool(failed) == (result.exit_code(level) is ExitCode.FINDINGS), level
        with_output = {c.get("name").split()[0] for c in root.iter("testcase") if c.find("system-out") is not None}
        assert with_output == {r["code"] for r in document["rules"] if r["count"]} - failing
        summary = markdown_summary(document, level.value)
        rows = {line.split("|")[1].strip(): line for line in summary.splitlines()
                if line.startswith("| ") and line.split("|")[1].strip() in {r["code"] for r in document["rules"]}}
        assert {code for code, line in rows.items() if "| **stoppar** |" in line} == failing & set(rows)
        assert set(rows) >= set(sorted(failing)[:5]) or len(rows) == 10   # the rules that stop come first
        assert ("**stoppar** kontrollen" in summary) == bool(failing)


def test_figures_are_the_same_whether_the_export_is_checked_whole_or_in_buckets(population):
    """The figures are counted from each bucket's views and settled at the end: a person's groups, the medians,
    the persons and a parent's children come out as when the export is checked in one piece."""
    whole = api.check(population, as_of=AS_OF)
    bucketed = api.check(population, as_of=AS_OF, bucket_records=150)
    assert bucketed.figures == whole.figures
    order = ["table", "row", "group"]
    assert bucketed.record_groups.sort(order).equals(whole.record_groups.sort(order))


def _cells(result, set_id: str) -> dict[str, int]:
    row = next(r for r in result.figures["matrix"] if r["set"] == set_id)
    return {c["group"]: c["records"] for c in row["cells"]}


def _persons(result) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in result.figures["follow_up"]["persons"]["counts"]:
        counts[c["group"]] = counts.get(c["group"], 0) + c["persons"]
    return counts


def test_a_record_takes_the_group_of_its_parents_first_row_and_a_person_every_group(tmp_path):
    """A beslut under an aktualisering key used twice is counted in the group of the key's first row, as every
    check's context reads it; a person aktualiserad in two groups counts in both."""
    export = tmp_path / "export"
    export.mkdir()
    source = Path(__file__).resolve().parents[1] / "fixtures" / "example"
    for f in source.iterdir():
        (export / f.name).write_bytes(f.read_bytes())
    before = api.check(export, as_of=AS_OF)
    akt = pl.read_csv(export / "aktualisering.csv", infer_schema=False)
    first = akt.row(0, named=True)
    group = first["malgrupp"]
    other = next(g for g in GROUP_CODES if g != group)
    # The first aktualisering's key again, in another group; and a new aktualisering of the same person there.
    again = {**first, "malgrupp": other}
    new = {**first, "aktualisering_id": "A9999999", "malgrupp": other}
    pl.concat([akt, pl.DataFrame([again, new], schema=akt.schema)]).write_csv(export / "aktualisering.csv")
    after = api.check(export, as_of=AS_OF)

    assert _cells(after, "datum_beslut") == _cells(before, "datum_beslut")  # no beslut moved to `other`
    moved = _persons(after)
    assert moved[other] == _persons(before).get(other, 0) + 1 and moved[group] == _persons(before)[group]
    assert after.figures["follow_up"]["persons"]["persons"] == before.figures["follow_up"]["persons"]["persons"]
    # The person's record counts in both groups: one more person record in `other` for Person-ID's sets.
    assert _cells(after, "juridiskt_kon")[other] == _cells(before, "juridiskt_kon").get(other, 0) + 1


def test_a_small_bucketed_export_is_checked_without_a_polars_panic(tmp_path):
    """Polars 2.1 can panic evaluating a list.eval over a frame of several chunks in parallel (the worded value
    of a list field's finding); it did so in about one run in fifteen of this export checked in buckets of 150
    records, and never with one chunk (conform.check.engine rechunks the listed findings). A guard, not a proof:
    the race shows in 2 of 30 runs before the fix and in none of 150 after it (measured outside the suite)."""
    folder = tmp_path / "population"
    generate(folder, persons=80, defects=0.5, seed=53)
    expected = api.check(folder, as_of=AS_OF, bucket_records=150).counts_by_rule()
    for _ in range(15):
        assert api.check(folder, as_of=AS_OF, bucket_records=150).counts_by_rule() == expected
