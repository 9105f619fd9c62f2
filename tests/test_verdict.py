"""The verdict a buyer can defend: what the standard allows is never an error, findings count only against the
sets they concern, and the reference date is reproducible."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from conform import api
from conform.cli import main
from conform.model import ExitCode, Severity, Status
from conform.render.findings import overall_verdict
from rulecases import write_export

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
AS_OF = dt.date(2025, 6, 30)

# What the standard allows, each of which an earlier conform called an error:
ALLOWED_VARIANTS = {
    "set": {
        # "Även om kommunen inte använder IBIC i övrigt så kan värdemängderna nedan användas": an IBIC value in a
        # Vux case, at a follow-up and at closure.
        "uppfoljning": {"U_VUX": {"maluppfyllelse": "Delvis (måluppfyllelse delvis uppnådd)"}},
        "insats": {
            "I_BOU": {"maluppfyllelse": "Ja (måluppfyllelse uppnådd)"},
            # The Insats lists are split by area "i presentationen": Boendestöd for a Vux person.
            "I_VUX": {"insats_kod": "YAA.45.ZZ", "insats": "Boendestöd"},
            # A valid KSI code with KSI's own wording, and with a local wording ("egna benämningar").
            "I_ALDRE": {"insats": "Hemtjänst, personlig omvårdnad"},
            "I_FUNK": {"insats": "Assistans enligt LSS"},
        },
        "person": {
            # Text in Unicode decomposed form (NFD).
            "193801147061": {"ursprung": "Fo\u0308dd i o\u0308vriga Europa"},
            # A reserve number of the spec's own form ÅÅÅÅMMDDNNNN (its last digit is no Luhn digit).
            "198502069993": {"person_id": "198502069990"},
        },
        "aktualisering": {"A_VUX": {"person_id": "198502069990"}},
    },
}


def _extra_column(folder: Path) -> None:
    """An extra field, which the standard wants recorded "i andra fält"."""
    path = folder / "person.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",kommun"] + [line + ",Exempelby" for line in lines[1:]]) + "\n",
                    encoding="utf-8")


def test_an_export_holding_only_what_the_standard_allows_gets_no_error(tmp_path):
    as_of = write_export(tmp_path, ALLOWED_VARIANTS)
    _extra_column(tmp_path)
    result = api.check(tmp_path, as_of=as_of)
    by_code = {r.code: r for r in result.rules}
    errors = result.findings.filter(
        pl.col("rule").replace_strict({c: r.severity.value for c, r in by_code.items()}) == "error")
    assert errors.is_empty(), errors
    assert overall_verdict(result) is not Status.NONCONFORMANT
    assert result.exit_code(Severity.ERROR) == ExitCode.OK
    # Each variant is still said, at the severity its basis gives.
    said = set(result.findings["rule"])
    assert {"VAL-019", "VAL-021", "VAL-016", "VAL-023", "STR-009", "PID-006", "STR-003"} <= said, said
    assert all(by_code[c].severity is not Severity.ERROR for c in said)


def test_dropping_malgrupp_leaves_every_set_conformant(tmp_path):
    as_of = write_export(tmp_path, {"drop_columns": {"aktualisering": ["malgrupp"]}})
    result = api.check(tmp_path, as_of=as_of)
    assert {s.id: s.status for s in result.sets} == {s.id: Status.CONFORMANT for s in result.sets}
    assert set(result.findings["rule"]) == {"STR-010"}
    assert overall_verdict(result) is Status.WARNINGS


def test_a_missing_key_column_or_an_unknown_target_group_fails_no_set(tmp_path):
    as_of = write_export(tmp_path / "key", {"drop_columns": {"beslut": ["aktualisering_id"]}})
    assert {s.status for s in api.check(tmp_path / "key", as_of=as_of).sets} == {Status.CONFORMANT}
    for group in ("Barn", None):
        folder = tmp_path / f"group-{group}"
        as_of = write_export(folder, {"set": {"aktualisering": {"A_BOU": {"malgrupp": group}}}})
        result = api.check(folder, as_of=as_of)
        assert {s.status for s in result.sets} == {Status.CONFORMANT}, (group, result.findings)
        assert not result.findings.is_empty()


def test_a_finding_counts_only_against_the_sets_its_record_holds(tmp_path):
    as_of = write_export(tmp_path, {"set": {"person": {"201401042385": {"juridiskt_kon": "Kvinna"}}}})
    result = api.check(tmp_path, as_of=as_of)
    failing = {s.id for s in result.sets if s.status is not Status.CONFORMANT}
    assert failing == {"juridiskt_kon"}


def _zipped_normalised(archive: Path, created: str | None) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted((VENDORS / "normalised" / "export").iterdir()):
            zf.write(file, file.name)
        if created:
            zf.writestr("datapackage.json", json.dumps({"name": "leverans", "created": created}))
    return archive


def test_a_datapackage_at_the_root_of_a_zip_gives_the_reference_date(tmp_path):
    archive = _zipped_normalised(tmp_path / "leverans.zip", "2025-06-30T08:00:00Z")
    result = api.check(archive, mapping=VENDORS / "normalised" / "mapping.yaml")
    assert (result.as_of, result.as_of_source) == ("2025-06-30", "package")
    folder = api.check(VENDORS / "normalised" / "export", mapping=VENDORS / "normalised" / "mapping.yaml",
                       as_of=AS_OF)
    assert result.findings.equals(folder.findings)


def test_a_reference_date_from_today_is_warned_about_and_recorded(tmp_path):
    archive = _zipped_normalised(tmp_path / "leverans.zip", None)
    out = tmp_path / "result.json"
    runner = CliRunner()
    ran = runner.invoke(main, ["check", str(archive), "--mapping", str(VENDORS / "normalised" / "mapping.yaml"),
                               "--format", "json", "--output", str(out)])
    assert ran.exit_code in (ExitCode.OK, ExitCode.FINDINGS), ran.output
    assert f"referensdatumet är dagens datum ({dt.date.today().isoformat()})" in ran.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert (document["as_of"], document["as_of_source"]) == (dt.date.today().isoformat(), "today")
    junit = runner.invoke(main, ["check", str(archive), "--mapping", str(VENDORS / "normalised" / "mapping.yaml"),
                                 "--format", "junit"])
    assert '<property name="as_of_source" value="today" />' in junit.stdout
    given = runner.invoke(main, ["check", str(archive), "--mapping", str(VENDORS / "normalised" / "mapping.yaml"),
                                 "--as-of", "2025-06-30", "--format", "json"])
    assert "reference date is today" not in given.stderr
