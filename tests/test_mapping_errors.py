"""A mapping that does not fit the profile or the export stops the check with one clear message naming the
mapping file, its line and the key; the export is never touched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform import api
from conform.cli import main
from conform.errors import ConformError, MappingError

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
REVIEWED = (VENDORS / "wide" / "mapping.yaml").read_text(encoding="utf-8")


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vendor.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _check(export: Path, mapping: Path):
    return api.check(export, mapping=mapping)


@pytest.mark.parametrize("change, needle, message", [
    (("column: Kön", "column: Kon"), "column: Kon",
     "tables/person/fields/juridiskt_kon/column': socialtjanst_export.csv has no column 'Kon'; did you mean 'Kön'?"),
    (("Manlig: Pojke/Man", "Manlig: Man"), "Manlig: Man",
     "tables/person/fields/juridiskt_kon/values/Manlig': 'Man' is not a value of the value set of person.juridiskt_kon "
     "(juridiskt_kon); did you mean 'Pojke/Man'?"),
    (("source: socialtjanst_export.csv\n    fields:\n      person_id", "source: export.csv\n    fields:\n      person_id"),
     "source: export.csv", "tables/person/source': the export has no file or sheet 'export.csv'"),
    (("  beslut:\n", "  beslutt:\n"), "beslutt:", "tables/beslutt': no table 'beslutt' in the profile"),
    (("datum_beslut: {column: Datum för beslut, date_format: \"%d/%m/%Y\"}", "datum_beslut: {column: Datum för beslut, "
      "date_format: \"dd/mm/yyyy\"}"), "dd/mm/yyyy", "'dd/mm/yyyy' is no strftime format"),
    (("sip:\n        column: SIP", "sip:\n        column: SIP\n        delimiter: \"+\""), "delimiter: \"+\"",
     "uppfoljning.sip holds one value, not a list"),
    (("malgrupp:\n        column: Verksamhet", "malgrupp:\n        column: Verksamhet\n        value: BoU"),
     "malgrupp:", "give exactly one of 'column', 'columns', 'value' and 'derive' (found column, value)"),
    (("      person_id: Personnummer\n      malgrupp", "      persn_id: Personnummer\n      malgrupp"), "persn_id",
     "table aktualisering has no field 'persn_id'"),
])
def test_mapping_errors_name_the_file_line_and_key(tmp_path, change, needle, message):
    old, new = change
    assert old in REVIEWED
    text = REVIEWED.replace(old, new, 1)
    mapping = _mapping(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        _check(VENDORS / "wide" / "export", mapping)
    assert str(caught.value).startswith(f"{mapping}:{_line_of(text, needle)}: '")
    assert message in str(caught.value)


def test_a_derived_link_must_list_as_many_columns_as_the_parent_key(tmp_path):
    text = REVIEWED.replace("      aktualisering_id: {derive: [Personnummer, Verksamhet, Datum för aktualisering]}\n"
                            "      datum_beslut", "      aktualisering_id: {derive: [Personnummer, Verksamhet]}\n"
                            "      datum_beslut", 1)
    with pytest.raises(MappingError, match=r"the key of aktualisering is derived from 3 columns"):
        _check(VENDORS / "wide" / "export", _mapping(tmp_path, text))


def test_not_yaml_and_wrong_version_are_named(tmp_path):
    with pytest.raises(MappingError, match=r"vendor.yaml:2: not valid YAML \(column 1\): a bracket"):
        _check(VENDORS / "wide" / "export", _mapping(tmp_path, "tables: [unclosed\n"))
    with pytest.raises(MappingError, match=r"vendor.yaml:2: 'conform_mapping': 2 must be 1"):
        _check(VENDORS / "wide" / "export", _mapping(tmp_path, REVIEWED.replace("conform_mapping: 1",
                                                                                  "conform_mapping: 2")))


def test_an_unreadable_sheet_or_workbook_is_named(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "verksamhetssystem.xlsx").write_bytes(b"PK\x03\x04 this is no workbook")
    mapping = _mapping(tmp_path, (VENDORS / "workbook" / "mapping.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ConformError, match=r"verksamhetssystem.xlsx: not a readable Excel workbook"):
        _check(export, mapping)


def test_cli_gives_exit_2_and_no_traceback_and_leaves_the_export_untouched(tmp_path):
    export = VENDORS / "wide" / "export"
    digest = hashlib.sha256((export / "socialtjanst_export.csv").read_bytes()).hexdigest()
    mapping = _mapping(tmp_path, REVIEWED.replace("column: Kön", "column: Kon"))
    run = CliRunner().invoke(main, ["check", str(export), "--mapping", str(mapping)])
    assert run.exit_code == 2
    assert "Traceback" not in run.output and "har ingen kolumn 'Kon'; menade du 'Kön'?" in run.output
    assert hashlib.sha256((export / "socialtjanst_export.csv").read_bytes()).hexdigest() == digest


def test_cli_refuses_to_write_over_the_mapping_or_the_vendor_file(tmp_path):
    export = VENDORS / "wide" / "export"
    mapping = _mapping(tmp_path, REVIEWED)
    run = CliRunner().invoke(main, ["check", str(export), "--mapping", str(mapping), "-o", str(mapping)])
    assert run.exit_code == 2 and "conform skriver aldrig över sina indata" in run.output
    single = export / "socialtjanst_export.csv"
    run = CliRunner().invoke(main, ["check", str(single), "--mapping", str(mapping), "--html", str(single)])
    assert run.exit_code == 2 and "conform skriver aldrig över sina indata" in run.output


def test_a_non_canonical_export_without_mapping_points_to_init_mapping():
    run = CliRunner().invoke(main, ["check", str(VENDORS / "workbook" / "export" / "verksamhetssystem.xlsx")])
    assert run.exit_code == 2 and "conform init-mapping" in run.output


def test_a_folder_of_vendor_files_without_mapping_points_to_init_mapping():
    run = CliRunner().invoke(main, ["check", str(VENDORS / "wide" / "export")])
    assert run.exit_code == 2 and "ingen av profilens tabeller" in run.output
    assert "socialtjanst_export.csv" in run.output and "conform init-mapping" in run.output


def test_a_date_format_polars_cannot_use_is_a_mapping_error_not_a_crash(tmp_path):
    text = REVIEWED.replace('datum_beslut: {column: Datum för beslut, date_format: "%d/%m/%Y"}',
                            'datum_beslut: {column: Datum för beslut, date_format: "%d/%m/%Y %H"}', 1)
    with pytest.raises(MappingError, match=r"'tables/beslut/fields/datum_beslut/date_format': '%d/%m/%Y %H' is "
                                           r"no strftime format"):
        _check(VENDORS / "wide" / "export", _mapping(tmp_path, text))
