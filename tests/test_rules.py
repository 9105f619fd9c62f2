"""Every rule, tested by data cases named after its code (`pytest -k VAL-001` runs one rule)."""

from __future__ import annotations

import polars as pl
import pytest

from conform import api
from rulecases import load_cases, write_export

CASES = load_cases()


@pytest.fixture(scope="module")
def rules():
    return api.load()[1]


def test_base_export_has_no_findings(tmp_path):
    as_of = write_export(tmp_path, {})
    result = api.check(tmp_path, as_of=as_of)
    assert result.findings.is_empty(), result.findings


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case, tmp_path):
    as_of = write_export(tmp_path, case.patch)
    result = api.check(tmp_path, as_of=as_of)
    mine = result.findings.filter(pl.col("rule") == case.code)
    found = sorted((t, k) for t, k in mine.select("table", "key").iter_rows())
    assert found == sorted(case.expect), mine


def test_every_rule_has_a_failing_and_a_passing_case(rules):
    failing = {c.code for c in CASES if c.expect}
    passing = {c.code for c in CASES if not c.expect}
    missing = [r.code for r in rules if r.code not in failing or r.code not in passing]
    assert not missing, f"rules without both a failing and a passing case: {missing}"
