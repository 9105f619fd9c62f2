"""Every finding is counted; only the first findings of each rule are listed in full (conform.model.MAX_LISTED).

A table that fails many rules on millions of short rows is counted exactly without holding every finding's texts,
so the figures and the verdict must never depend on the cut: these tests check with a cut of a few findings and
with none, on generated exports of every defect rate, in one piece and in buckets, and compare everything the
reports count. The lists (violations, examples, fingerprints) hold the first findings of each rule, and say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from conform import api, model
from conform.cli import main
from conform.render.diff import diff, diff_html, diff_text
from conform.generator import generate
from conform.render.document import build
from documents import make_document

AS_OF = dt.date(2025, 6, 30)
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "example"
SORT = ["rule", "table", "row", "field", "key"]


@pytest.fixture(scope="module", params=[0.05, 0.5], ids=lambda r: f"defects={r}")
def population(request, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("listed") / "canonical"
    generate(folder, persons=120, defects=request.param, seed=int(request.param * 100) + 11)
    return folder


def figures(result) -> dict:
    """Everything a report counts, from a result."""
    return {
        "sets": [(s.id, s.status, s.records, s.records_with_errors, s.records_with_warnings, s.violated_rules,
                  s.column_failure) for s in result.sets],
        "counts": result.counts_by_rule(),
        "severities": result.counts_by_severity(),
        "conformance": result.conformance,
        "exit": result.exit_code(model.Severity.ERROR),
    }


@pytest.mark.parametrize("bucket_records", [None, 300], ids=["one piece", "buckets"])
@pytest.mark.parametrize("listed", [0, 1, 2])
def test_figures_are_exact_past_the_cut_and_the_list_is_the_first_findings(population, listed, bucket_records):
    options = {"as_of": AS_OF} | ({"bucket_records": bucket_records} if bucket_records else {})
    full = api.check(population, **options)
    cut = api.check(population, listed=listed, **options)
    assert max(full.counts_by_rule().values()) > 2, "the export must have rules with more findings than listed"
    assert figures(cut) == figures(full)
    # The first `listed` findings of each rule, in the order of the full list.
    first = full.findings.sort(SORT, nulls_last=True).filter(pl.int_range(pl.len()).over("rule") < listed)
    assert cut.findings.sort(SORT, nulls_last=True).equals(first)
    assert cut.unlisted() == {code: (min(n, listed), n) for code, n in full.counts_by_rule().items() if n > listed}
    assert full.unlisted() == {}
    # The HTML report's matrix counts from every finding, too.
    from conform.render.html import build_report

    assert build_report(cut)["report"]["matrix"] == build_report(full)["report"]["matrix"]


def test_the_result_document_says_how_many_of_each_rule_it_lists(population):
    result = api.check(population, as_of=AS_OF, listed=2)
    document = build(result, fingerprint_key=b"k" * 32)
    rules = {r["code"]: r for r in document["rules"]}
    assert any(r["count"] > r["listed"] == 2 for r in rules.values())
    for code, rule in rules.items():
        assert rule["listed"] == min(rule["count"], 2)
        assert len(document["fingerprints"]["rules"].get(code, [])) == rule["listed"]
    assert sum(r["count"] for r in rules.values()) == sum(document["summary"]["findings"].values())


def short_rows(tmp_path: Path, rows: int) -> Path:
    """The example export with `rows` short rows appended to beslut: four findings each, no broken line."""
    export = tmp_path / "export"
    import shutil

    shutil.copytree(EXAMPLE, export)
    with (export / "beslut.csv").open("a", encoding="utf-8", newline="") as out:
        out.write("a,a,a,\n" * rows)
    return export


def test_millions_of_findings_are_counted_and_the_lists_cut_and_said(tmp_path, monkeypatch):
    """The shape that exhausted memory in the long fuzz run (two million `a,a,a,` rows), scaled down: every
    finding counts, the violations list and the fingerprints hold the first of each rule, and the user is told."""
    monkeypatch.setattr(model, "MAX_LISTED", 50)
    export = short_rows(tmp_path, 5_000)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30", "--format", "json",
                                       "-o", str(out / "r.json"), "--violations", str(out / "v.csv")])
    assert result.exit_code == 1, result.output
    document = json.loads((out / "r.json").read_text(encoding="utf-8"))
    rules = {r["code"]: r for r in document["rules"] if r["count"]}
    many = {code for code, r in rules.items() if r["count"] >= 4_999}  # the first `a` is no duplicate key
    assert {"STR-006", "INT-001", "INT-003", "CAR-006"} <= many
    assert all(rules[code]["listed"] == 50 for code in many)
    beslut = next(s for s in document["information_sets"] if s["id"] == "problematik")
    assert beslut["records_with_errors"] >= 5_000 and beslut["status"] == "unsupported"
    with (out / "v.csv").open(encoding="utf-8-sig", newline="") as f:
        listed = list(csv.DictReader(f))
    assert len(listed) == sum(r["listed"] for r in rules.values())
    assert "listan tar upp de första 50 avvikelserna per regel" in result.stderr
    assert "STR-006 (5\u00a0000)" in result.stderr


def test_diff_compares_a_rule_listed_in_part_by_its_count(tmp_path):
    """A rule with more findings than a result lists is compared by count; the others still record by record."""
    patch = {"set": {"person": {"201401042385": {"juridiskt_kon": "Kvinna"}, "198502069993": {"ursprung": "Sverige"},
                                "193801147061": {"juridiskt_kon": "Man"}}}}
    old = make_document(tmp_path, "old", patch)
    new = make_document(tmp_path, "new", patch, listed=1)
    d = diff(old, new)
    assert d["record_level"] is True
    val001 = next(r for r in d["rules"] if r["code"] == "VAL-001")
    assert (val001["old_count"], val001["new_count"]) == (2, 2)
    assert val001["new_findings"] is None and val001["change"] == "persisting"
    assert d["regression"] is False
    assert d["summary"]["findings"]["error"]["new_findings"] is None  # not every error rule was compared by record
    assert all("Jämförda på antal: VAL-001." in page for page in (diff_text(d, "sv"), diff_html(d, "sv")))
    # Within its cut, the same result compares record by record.
    again = make_document(tmp_path, "again", patch)
    val001 = next(r for r in diff(old, again)["rules"] if r["code"] == "VAL-001")
    assert (val001["new_findings"], val001["persisting_findings"]) == (0, 2)
