"""All of Skatteverket's test personal identity numbers pass the person-ID rules."""

from __future__ import annotations

from datetime import date

import polars as pl

from conform import api
from conform.resources import TESTPERSONNUMMER_DIR
from rulecases import write_export


def test_every_skatteverket_test_number_passes_the_person_id_rules(tmp_path):
    write_export(tmp_path, {})
    numbers = pl.concat([pl.read_csv(TESTPERSONNUMMER_DIR / f, infer_schema=False)
                         for f in ("personnummer.csv", "samordningsnummer.csv")])
    assert numbers.height == 23_966
    sex_digit = pl.col("person_id").str.slice(10, 1).cast(pl.Int8)
    persons = numbers.select(
        "person_id",
        juridiskt_kon=pl.when(sex_digit % 2 == 0).then(pl.lit("Flicka/Kvinna")).otherwise(pl.lit("Pojke/Man")),
        ursprung=pl.lit("Vet inte"),
    )
    persons.write_csv(tmp_path / "person.csv")
    result = api.check(tmp_path, as_of=date(2025, 6, 30))
    person_findings = result.findings.filter(pl.col("table") == "person")
    assert person_findings.is_empty(), person_findings.group_by("rule").len()
