"""The bundled fixtures: made by the generator, up to date, and judged exactly as the generator intended."""

from __future__ import annotations

import filecmp
from pathlib import Path

import polars as pl
import pytest

from conform import api
from conform.generator import generate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# How the bundled fixtures are made; regenerate with `conform generate` and these arguments.
MADE_WITH = {
    "example": {"persons": 300, "defects": 0.0, "seed": 1},
    "example-defects": {"persons": 300, "defects": 0.05, "seed": 2},
}


@pytest.mark.parametrize("name", sorted(MADE_WITH))
def test_fixture_is_what_the_generator_makes(name, tmp_path):
    generate(tmp_path / name, **MADE_WITH[name])
    made = sorted(p.name for p in (tmp_path / name).iterdir())
    assert made == sorted(p.name for p in (FIXTURES / name).iterdir())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / name, FIXTURES / name, made, shallow=False)
    assert not mismatch and not errors, f"regenerate fixtures/{name}: {mismatch or errors} differ"


def test_clean_example_has_no_error_or_warning():
    result = api.check(FIXTURES / "example")
    judged = result.findings.join(_severities(result), on="rule").filter(pl.col("severity") != "info")
    assert judged.is_empty(), judged


def test_every_injected_defect_is_found_and_nothing_else_fails():
    folder = FIXTURES / "example-defects"
    expected = pl.read_csv(folder / "expected_findings.csv", infer_schema=False).select("table", "key", "rule")
    result = api.check(folder)
    # Notes are judged only for the rules the generator injects: an injected defect may be a note by its basis.
    found = (result.findings.join(_severities(result), on="rule")
             .filter((pl.col("severity") != "info") | pl.col("rule").is_in(expected["rule"].unique().to_list()))
             .select("table", "key", "rule").unique())
    missed = expected.join(found, on=["table", "key", "rule"], how="anti", nulls_equal=True)
    extra = found.join(expected, on=["table", "key", "rule"], how="anti", nulls_equal=True)
    assert missed.is_empty(), f"injected but not found:\n{missed}"
    assert extra.is_empty(), f"found on records the generator left clean:\n{extra}"
    rule_codes = {r.code for r in result.rules if r.kind != "structure"}
    assert len(set(expected["rule"]) & rule_codes) >= 60, "the defects fixture should exercise almost every rule"


def _severities(result) -> pl.DataFrame:
    return pl.DataFrame({"rule": [r.code for r in result.rules], "severity": [r.severity.value for r in result.rules]})
