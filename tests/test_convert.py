"""`conform convert`: a vendor's export, read through its mapping, written as the standard's data package.

The package must be what the Data Package standard describes (frictionless validates it, data included), and a
check of it must come to the same verdict, set by set and rule by rule, as the check of the vendor's export
through its mapping: the records are exactly those conform read. Row numbers differ (they point into the files
checked), so findings are compared by what they say, not where.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform import api
from conform.cli import main
from conform.generator import generate
from conform.generator.vendors import SHAPES, read_canonical, write_shape

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
AS_OF = "2025-06-30"


def verdict(result) -> dict:
    """What a check concludes: every set's status and counts, and the findings per rule."""
    return {"sets": [(s.id, s.status, s.records, s.records_with_errors, s.records_with_warnings, s.violated_rules)
                     for s in result.sets],
            "rules": result.counts_by_rule()}


def converted(tmp_path: Path, export: Path, mapping: Path, *options: str) -> tuple[Path, object]:
    out = tmp_path / "package"
    result = CliRunner().invoke(main, ["convert", str(export), str(out), "--mapping", str(mapping), *options])
    assert result.exit_code == 0, result.output
    assert "datapaketet skrivet till" in result.output
    return out, result


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("convert") / "canonical"
    generate(folder, persons=60, defects=0.0, seed=5)
    return folder


@pytest.mark.parametrize("shape", SHAPES)
def test_a_clean_vendor_converts_to_a_package_frictionless_validates(shape, population, tmp_path):
    from frictionless import validate

    export = tmp_path / shape
    write_shape(read_canonical(population), shape, export)
    out, _ = converted(tmp_path, export, VENDORS / shape / "mapping.yaml")
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == ["person", "aktualisering", "beslut", "insats",
                                                             "uppfoljning"]
    assert descriptor["conform"]["mapping"]["sha256"] and all(s["sha256"] for s in descriptor["conform"]["sources"])


@pytest.mark.parametrize("shape", SHAPES)
def test_the_package_checks_as_the_vendor_export_does(shape, tmp_path):
    """The bundled vendors (with their defects): the same verdict set by set and the same findings per rule."""
    export, mapping = VENDORS / shape / "export", VENDORS / shape / "mapping.yaml"
    out, _ = converted(tmp_path, export, mapping)
    mapped = api.check(export, mapping=mapping, as_of=dt.date.fromisoformat(AS_OF))
    package = api.check(out, as_of=dt.date.fromisoformat(AS_OF))
    assert verdict(package) == verdict(mapped)
    crosswalked = {u["local"] for u in json.loads((out / "datapackage.json").read_text())["conform"]["mapping"]
                   ["crosswalks"]}
    # The crosswalks applied are named (where the mapping has any), and the package holds standard values instead.
    assert crosswalked or "values:" not in mapping.read_text(encoding="utf-8")
    tables = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
    assert not any(f",{local}," in tables for local in crosswalked if local not in ("Ja", "Nej"))


def test_parquet_tables_hold_the_same_records(tmp_path):
    import polars as pl

    export, mapping = VENDORS / "normalised" / "export", VENDORS / "normalised" / "mapping.yaml"
    csv_out, _ = converted(tmp_path / "a", export, mapping)
    parquet_out, _ = converted(tmp_path / "b", export, mapping, "--format", "parquet")
    for table in ("person", "insats"):
        as_csv = pl.read_csv(csv_out / f"{table}.csv", infer_schema=False)
        assert pl.read_parquet(parquet_out / f"{table}.parquet").equals(as_csv)


def test_convert_never_writes_into_its_input_nor_over_a_folder_unasked(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "normalised" / "export", export)
    mapping = VENDORS / "normalised" / "mapping.yaml"
    into = CliRunner().invoke(main, ["convert", str(export), str(export / "out"), "--mapping", str(mapping)])
    assert into.exit_code == 2 and "skriver aldrig i sina indata" in into.output
    assert not (export / "out").exists()
    full = tmp_path / "full"
    full.mkdir()
    (full / "mine.txt").write_text("x", encoding="utf-8")
    refused = CliRunner().invoke(main, ["convert", str(export), str(full), "--mapping", str(mapping)])
    assert refused.exit_code == 2 and "är inte tom" in refused.output
    assert CliRunner().invoke(main, ["convert", str(export), str(full), "--mapping", str(mapping),
                                     "--force"]).exit_code == 0


def test_a_canonical_export_with_a_broken_line_converts_what_it_can_and_says_so(tmp_path):
    """Without a mapping the export is the canonical folder; the line that cannot be read is not in the package,
    and the user is sent to `check` for it."""
    export = tmp_path / "export"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "example", export)
    with (export / "insats.csv").open("a", encoding="utf-8") as f:
        f.write('"I9,B1\n')
    out = tmp_path / "package"
    result = CliRunner().invoke(main, ["convert", str(export), str(out)])
    assert result.exit_code == 0, result.output
    assert "problem när exporten lästes" in result.output and f"conform check {export}" in result.output
    written = (out / "insats.csv").read_text(encoding="utf-8")
    assert "I9" not in written and written.count("\n") == (export / "insats.csv").read_text().count("\n") - 1
