"""`generate --defects R` makes about R of the records defective, as conform's own check measures it.

A record (a row of person, aktualisering, beslut, insats or uppfoljning) is defective when the check reports a
finding on it. Info-level notes of rules the generator never plants are not defects: clean data holds some
(VAL-012 notes a combined KSI code and asks for nothing), and they are left out of the count.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from conform import api
from conform.generator import EXPECTED_FILE, TABLES, generate
from conform.generator.defects import INJECTORS

AS_OF = dt.date(2025, 6, 30)
PERSONS = 2000
# Measured |share / R - 1| at 2,000 persons is under 2 % from R = 0.05 up. Every rule gets at least one defect,
# which at R = 0.005 (68 rules in some 12,700 records) comes to about 0.0055.
TOLERANCE = 0.05
LOW_RATE_CEILING = 1.25


def measured(folder: Path) -> tuple[int, int, pl.DataFrame, float]:
    """(defective records, records, findings that count, conformance figure) of a check of `folder`."""
    result = api.check(folder, as_of=AS_OF, figures=False)
    severity = {r.code: r.severity.value for r in result.rules}
    hits = result.hits.with_columns(pl.col("rule").cast(pl.String), pl.col("table").cast(pl.String))
    defects = hits.filter((pl.col("rule").replace_strict(severity, default=None) != "info")
                          | pl.col("rule").is_in(list(INJECTORS)))
    defective = defects.filter(pl.col("row").is_not_null()).select("table", "row").unique().height
    records = sum(i.records for i in result.inputs if i.table in TABLES)
    return defective, records, defects, result.conformance


def exact_difference(folder: Path) -> pl.DataFrame:
    """Findings per (table, key, rule) where the check and expected_findings.csv disagree (errors and warnings,
    and the injected rules at any severity), as tests/test_generator.py compares them at 5 %."""
    result = api.check(folder, as_of=AS_OF, figures=False, listed=10**9)
    severity = {r.code: r.severity.value for r in result.rules}
    expected = pl.read_csv(folder / EXPECTED_FILE, infer_schema=False).group_by("table", "key", "rule").len()
    findings = result.findings.with_columns(pl.col(c).cast(pl.String) for c in ("table", "key", "rule"))
    judged = pl.col("rule").replace_strict(severity, default=None).is_in(["error", "warning"])
    found = (findings.filter(judged | pl.col("rule").is_in(expected["rule"].unique().to_list()))
             .group_by("table", "key", "rule").len())
    return found.join(expected, on=["table", "key", "rule"], how="full", coalesce=True).filter(
        pl.col("len").fill_null(0) != pl.col("len_right").fill_null(0))


@pytest.mark.parametrize("rate, seed", [(0.005, 1), (0.05, 1), (0.05, 4), (0.2, 2), (0.2, 5), (0.5, 3), (0.5, 6)])
def test_the_share_of_defective_records_is_the_rate(rate, seed, tmp_path):
    summary = generate(tmp_path, persons=PERSONS, defects=rate, seed=seed, as_of=AS_OF)
    defective, records, *_ = measured(tmp_path)
    assert records == summary.records
    share = defective / records
    if rate >= 0.05:
        assert abs(share / rate - 1) <= TOLERANCE, (rate, seed, defective, records, share)
    else:
        assert rate <= share <= LOW_RATE_CEILING * rate, (rate, seed, defective, records, share)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_every_kind_of_defect_still_occurs_and_the_findings_stay_exact(rate, tmp_path):
    summary = generate(tmp_path, persons=PERSONS, defects=rate, seed=8, as_of=AS_OF)
    # every rule keeps its even share of the case-isolated defects (some 22 each at 2,000 persons)
    assert set(summary.defects) == set(INJECTORS)
    assert min(summary.defects.values()) >= 15, summary.defects
    diff = exact_difference(tmp_path)
    assert diff.is_empty(), diff.head(20)


def test_small_exports_at_a_high_rate_stay_exact(tmp_path):
    generate(tmp_path, persons=80, defects=0.5, seed=9, as_of=AS_OF)
    defective, records, *_ = measured(tmp_path)
    assert abs(defective / records - 0.5) <= 0.5 * TOLERANCE
    diff = exact_difference(tmp_path)
    assert diff.is_empty(), diff.head(20)


def test_no_defects_give_a_clean_export(tmp_path):
    summary = generate(tmp_path, persons=PERSONS, defects=0.0, seed=1, as_of=AS_OF)
    defective, _, defects, _ = measured(tmp_path)
    assert defective == 0 and defects.is_empty(), defects.head()
    assert summary.defects == {} and not (tmp_path / EXPECTED_FILE).exists()


def test_three_vendors_differ_visibly(tmp_path):
    conforming, conformance = {}, {}
    for rate in (0.5, 0.005, 0.05):
        folder = tmp_path / f"vendor-{rate}"
        generate(folder, persons=1000, defects=rate, seed=11, as_of=AS_OF)
        defective, records, _, conformance[rate] = measured(folder)
        conforming[rate] = 1 - defective / records
    assert conforming[0.005] > 0.98 > conforming[0.05] > 0.9 > 0.6 > conforming[0.5] > 0.4, conforming
    assert conforming[0.005] - conforming[0.05] >= 0.03 and conforming[0.05] - conforming[0.5] >= 0.3, conforming
    # the conformance figure (errors per information set) follows, the 50 % vendor far below the others
    assert conformance[0.005] > conformance[0.05] > conformance[0.5], conformance
    assert conformance[0.5] < 0.92, conformance


@pytest.mark.parametrize("rate", [0.05, 0.5])
def test_same_seed_same_bytes(rate, tmp_path):
    names = [f"{t}.csv" for t in TABLES] + ["datapackage.json", EXPECTED_FILE]
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((a, 21), (b, 21), (c, 22)):
        generate(folder, persons=400, defects=rate, seed=seed, as_of=AS_OF)
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert any((a / n).read_bytes() != (c / n).read_bytes() for n in names)
