"""Vendor exports through mappings: the example vendors are what the generator makes, their checks agree with
the canonical export's apart from what each shape causes, and `init-mapping` drafts their mappings closely."""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import shutil
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from conform import api
from conform.input import readers
from conform.cli import main
from conform.input.readers.source import ROW
from conform.generator import generate
from conform.generator.drafting import edits
from conform.generator.vendors import SHAPES, read_canonical, write_shape
from conform.input.mapping.apply import LOCAL, crosswalk_uses, field_expr, with_first_rows
from conform.input.mapping.draft import draft_mapping
from conform.input.mapping.spec import FieldMap, TableMap

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VENDORS = FIXTURES / "vendors"
AS_OF = dt.date(2025, 6, 30)
CROSSWALK_EDITS_AT_MOST = 0   # the lexicon and the guards: every bundled vendor's crosswalk drafted as reviewed


@pytest.fixture(scope="module")
def canonical():
    return api.check(FIXTURES / "example-defects")


@pytest.fixture(scope="module")
def vendor_results():
    return {s: api.check(VENDORS / s / "export", mapping=VENDORS / s / "mapping.yaml", as_of=AS_OF) for s in SHAPES}


@pytest.mark.parametrize("shape", SHAPES)
def test_vendor_fixture_is_what_the_generator_makes(shape, tmp_path):
    generate(tmp_path / "canonical", persons=300, defects=0.05, seed=2)
    write_shape(read_canonical(tmp_path / "canonical"), shape, tmp_path / shape)
    made = sorted(p.name for p in (tmp_path / shape).iterdir())
    assert made == sorted(p.name for p in (VENDORS / shape / "export").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / shape, VENDORS / shape / "export", made, shallow=False)
    assert not mismatch and not errors, f"regenerate fixtures/vendors/{shape}: {mismatch or errors} differ"


def _counts(result) -> Counter:
    return Counter(result.findings["rule"].to_list())


def _expected_differences(shape: str) -> dict:
    path = VENDORS / shape / "expected_differences.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


@pytest.mark.parametrize("shape", SHAPES)
def test_checks_agree_with_the_canonical_export_apart_from_what_the_shape_causes(shape, canonical, vendor_results):
    mine, theirs = _counts(vendor_results[shape]), _counts(canonical)
    differences = {rule: {"canonical": theirs[rule], "vendor": mine[rule]}
                   for rule in sorted(set(mine) | set(theirs)) if mine[rule] != theirs[rule]}
    declared = {rule: {k: v[k] for k in ("canonical", "vendor")} for rule, v in _expected_differences(shape).items()}
    assert differences == declared
    # Where the counts agree, the findings do: the same values in the same fields.
    key_fields = {"aktualisering_id", "beslut_id", "insats_id", "uppfoljning_id"}
    columns = ["rule", "table", "field", "value"] if shape == "wide" else ["rule", "table", "row", "key", "field",
                                                                             "value"]

    def comparable(result):
        return (result.findings.filter(~pl.col("rule").is_in(list(declared))
                                       & ~pl.col("field").is_in(list(key_fields)).fill_null(False))
                .select(columns).sort(columns, nulls_last=True))

    assert comparable(vendor_results[shape]).equals(comparable(canonical))


def test_normalised_and_workbook_shapes_cause_no_difference():
    assert not (VENDORS / "normalised" / "expected_differences.yaml").exists()
    assert not (VENDORS / "workbook" / "expected_differences.yaml").exists()


def test_a_crosswalked_value_is_checked_as_standard_and_reported_as_local(vendor_results):
    result = vendor_results["wide"]
    uses = {(c["field"], c["local"]): c for c in result.mapping["crosswalks"]}
    kvinnlig = uses[("juridiskt_kon", "Kvinnlig")]
    assert kvinnlig["standard"] == "Flicka/Kvinna" and kvinnlig["records"] > 100
    assert not result.findings.filter(pl.col("value") == "Kvinnlig").height  # checked as its standard value
    # Every aktualisering with a standard target group in the canonical export has its local name here.
    groups = sum(c["records"] for c in result.mapping["crosswalks"] if c["field"] == "malgrupp")
    canonical = pl.read_csv(FIXTURES / "example-defects" / "aktualisering.csv", infer_schema=False)
    assert groups == canonical.filter(pl.col("malgrupp").is_in(["BoU", "Vux", "Äldre", "Funk", "EkB"])).height


def test_windows_1252_semicolon_file_round_trips_without_a_mangled_character(tmp_path):
    source = VENDORS / "wide" / "export" / "socialtjanst_export.csv"
    with readers.opened(source) as sources:
        (found,) = sources
        frame = readers.read(found).collect()
    assert (found.encoding, found.delimiter, found.line_ending) == ("cp1252", ";", "\r\n")
    cells = {v for column in frame.drop("__row").columns for v in frame[column].drop_nulls().to_list()}
    assert {"Funktionshindersområdet", "Äldreomsorg", "Utrikes född, utanför Europa"} <= cells
    assert not any("\ufffd" in v or "Ã" in v for v in cells)
    rewritten = frame.drop("__row").write_csv(separator=";", line_terminator="\r\n", null_value="")
    assert rewritten.encode("cp1252") == source.read_bytes()


@pytest.mark.parametrize("shape", SHAPES)
def test_init_mapping_drafts_the_reviewed_mapping_but_for_a_few_crosswalk_entries(shape):
    text = draft_mapping(VENDORS / shape / "export", api.load()[0])
    draft = yaml.safe_load(text)
    reviewed = yaml.safe_load((VENDORS / shape / "mapping.yaml").read_text(encoding="utf-8"))
    structure, crosswalk = edits(draft, reviewed)
    assert structure == []
    assert len(crosswalk) <= CROSSWALK_EDITS_AT_MOST, crosswalk
    assert "REVIEW" in text or shape != "wide"  # the wide file's derived keys are guesses to review
    if shape == "wide":  # its local values are what many Swedish systems write: the lexicon knows them
        assert "(lexicon lexicon.yaml: 'SIP upprättad')" in text


def test_init_mapping_lists_rare_non_standard_values_instead_of_crosswalking_them():
    draft = yaml.safe_load(draft_mapping(VENDORS / "normalised" / "export", api.load()[0]))
    kon = draft["tables"]["person"]["fields"]["juridiskt_kon"]
    assert "values" not in kon  # "Kvinna" twice among 300 persons is a data error, not the system's vocabulary
    assert any("juridiskt_kon" in u and "'Kvinna'" in u for u in draft["unmapped"])


def test_the_draft_is_a_valid_mapping_that_checks_the_export(tmp_path):
    draft = tmp_path / "draft.yaml"
    result = CliRunner().invoke(main, ["init-mapping", str(VENDORS / "workbook" / "export"), "-o", str(draft)])
    assert result.exit_code == 0, result.output
    checked = api.check(VENDORS / "workbook" / "export", mapping=draft, as_of=AS_OF)
    assert {f.table for f in checked.inputs} == {"person", "aktualisering", "beslut", "insats", "uppfoljning"}


def test_cli_check_with_mapping_reports_encoding_dialect_and_local_values(tmp_path):
    out = tmp_path / "result.json"
    export = VENDORS / "wide" / "export"
    before = {p.name: p.read_bytes() for p in export.iterdir()}
    run = CliRunner().invoke(main, ["check", str(export), "--mapping", str(VENDORS / "wide" / "mapping.yaml"),
                                    "--as-of", "2025-06-30", "--format", "json", "-o", str(out)])
    assert run.exit_code == 1, run.output  # the population holds error-level defects
    document = json.loads(out.read_text(encoding="utf-8"))
    files = {f["table"]: f for f in document["export"]["files"]}
    assert files["person"]["encoding"] == "cp1252" and files["person"]["delimiter"] == ";"
    assert files["insats"]["path"] == "socialtjanst_export.csv"
    assert document["mapping"]["tables"]["uppfoljning"] == "socialtjanst_export.csv"
    assert {"local": "Inrikes född", "standard": "Född i Sverige"}.items() <= next(
        c for c in document["mapping"]["crosswalks"] if c["local"] == "Inrikes född").items()
    assert {p.name: p.read_bytes() for p in export.iterdir()} == before  # nothing written over the input
    text = CliRunner().invoke(main, ["check", str(export), "--mapping", str(VENDORS / "wide" / "mapping.yaml"),
                                     "--as-of", "2025-06-30"]).output
    assert "Kvinnlig → Flicka/Kvinna" in text and "cp1252" in text


def test_spreadsheet_damaged_person_ids_are_reported_as_such(tmp_path):
    import xlsxwriter
    book = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(book)
    sheet = wb.add_worksheet("Personer")
    sheet.write_row(0, 0, ["Personnummer", "Kön"])
    sheet.write_string(1, 0, "1.99001E+11")      # saved from a cell shown in scientific notation
    sheet.write_number(2, 0, 801012386)          # 0801012386 typed into a number cell
    sheet.write_string(3, 0, "199001032391")
    for r in (1, 2, 3):
        sheet.write_string(r, 1, "Pojke/Man")
    wb.close()
    mapping = tmp_path / "m.yaml"
    mapping.write_text("conform_mapping: 1\nprofile: basinformation-1.0\ntables:\n  person:\n"
                       "    source: export.xlsx:Personer\n    fields: {person_id: Personnummer, juridiskt_kon: Kön}\n",
                       encoding="utf-8")
    result = api.check(book, mapping=mapping, as_of=AS_OF)
    damaged = result.findings.filter(pl.col("rule") == "PID-014").sort("row")
    assert damaged.select("value", "other").rows() == [("1.99001E+11", "scientific"), ("801012386", "leading_zeros")]
    assert result.findings.filter(pl.col("rule") == "PID-004").is_empty()


def test_a_zipped_export_checks_as_the_folder_does(tmp_path, vendor_results):
    import zipfile

    archive = tmp_path / "leverans.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted((VENDORS / "normalised" / "export").iterdir()):
            zf.write(file, file.name)
    zipped = api.check(archive, mapping=VENDORS / "normalised" / "mapping.yaml", as_of=AS_OF)
    assert zipped.findings.equals(vendor_results["normalised"].findings)
    assert [f.path for f in zipped.inputs] == [f.path for f in vendor_results["normalised"].inputs]


def test_vendor_columns_no_field_uses_are_listed(tmp_path, vendor_results):
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "normalised" / "export", export)
    persons = pl.read_csv(export / "klienter.csv", infer_schema=False)
    persons.with_columns(Handläggare=pl.lit("Anna")).write_csv(export / "klienter.csv")
    result = api.check(export, mapping=VENDORS / "normalised" / "mapping.yaml", as_of=AS_OF)
    assert result.mapping["unmapped_columns"] == {"klienter.csv": ["Handläggare"]}
    assert vendor_results["normalised"].mapping["unmapped_columns"] == {}


def test_parquet_and_json_lines_files_and_a_constant_target_group(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    canonical = FIXTURES / "example"
    person = pl.read_csv(canonical / "person.csv", infer_schema=False)
    person.rename({"person_id": "pnr", "juridiskt_kon": "kon"}).write_parquet(folder / "personer.parquet")
    akt = pl.read_csv(canonical / "aktualisering.csv", infer_schema=False).filter(pl.col("malgrupp") == "Äldre")
    akt.drop("malgrupp").write_ndjson(folder / "aldre.jsonl")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "conform_mapping: 1\nprofile: basinformation-1.0\ntables:\n"
        "  person:\n    source: personer.parquet\n    fields: {person_id: pnr, juridiskt_kon: kon, ursprung: ursprung}\n"
        "  aktualisering:\n    source: aldre.jsonl\n    fields:\n"
        "      aktualisering_id: aktualisering_id\n      person_id: person_id\n      malgrupp: {value: Äldre}\n"
        "      datum_aktualisering: datum_aktualisering\n      aktualiseringstyp: aktualiseringstyp\n"
        "      aktualiseringsorsak: aktualiseringsorsak\n      tidigare_kontakt: tidigare_kontakt\n      alder: alder\n",
        encoding="utf-8")
    result = api.check(folder, mapping=mapping, as_of=AS_OF)
    # Every person with an aktualisering is in the constant target group, and so is every aktualisering.
    assert {c["group"] for c in result.figures["follow_up"]["persons"]["counts"]} == {"Äldre"}
    cells = next(r["cells"] for r in result.figures["matrix"] if r["set"] == "aktualiseringstyp")
    assert [c["group"] for c in cells if c["records"]] == ["Äldre"]
    formats = {f.table: f.format for f in result.inputs}
    assert formats == {"person": "parquet", "aktualisering": "jsonl"}
    # The clean example's older persons pass every person and aktualisering rule that can run on two tables.
    judged = result.findings.filter(~pl.col("rule").str.starts_with("STR") & (pl.col("table") != "person"))
    assert judged.is_empty(), judged


def test_a_draft_never_shows_a_person_id_found_in_another_column(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    # Skatteverket's test numbers; the last row has the person-ID in the Kön column too.
    rows = ["Personnummer;Kön"] + [f"{'199001032391' if i % 2 else '198502069993'};Man" for i in range(40)] \
        + ["199001032391;199001032391"]
    (folder / "klienter.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = draft_mapping(folder, api.load()[0])
    listed = [line for line in text.splitlines() if "Kön" in line or "juridiskt_kon" in line]
    assert listed and not any("199001032391" in line for line in listed)
    assert any("19900103-****" in line for line in text.splitlines())


def test_html_report_of_a_mapped_export_shows_how_it_was_read_and_the_local_values(vendor_results):
    from lxml import html as lxml_html

    from conform.render.html import report_html

    page = lxml_html.fromstring(report_html(vendor_results["wide"], "basinformation-1.0", "sv", False, None, None))
    files = [" ".join(td.text_content().split()) for td in page.xpath("//table[@class='files'][1]//tbody/tr/td[4]")]
    assert set(files) == {'csv, cp1252, ";"'}
    local = page.xpath("//table[caption[contains(., 'Lokala värden')]]//tbody/tr")
    rows = {tuple(td.text_content() for td in tr.xpath("td")[:3]) for tr in local}
    assert ("Kvinnlig", "Flicka/Kvinna", "Juridiskt kön") in rows and ("Barn och unga", "BoU", "Målgrupp") in rows
    mapping = vendor_results["wide"].mapping
    assert {"table": "insats", "field": "datum_verkstallande", "how": "date_format", "source": "%d/%m/%Y"} in \
        mapping["derived_fields"]
    assert {"table": "aktualisering", "field": "alder", "derived_by_conform": True} in mapping["unmapped_fields"]
    listed = [" ".join(li.text_content().split()) for li in page.xpath("//ul[@class='plain']/li")]
    assert "Datum för verkställande: datum lästa med formatet %d/%m/%Y" in listed
    assert "Ålder (räknas fram av conform)" in listed
    assert "mapping.yaml" in page.text_content() and mapping["sha256"] in page.text_content()
    assert not page.xpath("//script")
    text = lxml_html.tostring(page, encoding="unicode")
    ids = pl.read_csv(FIXTURES / "example-defects" / "person.csv", infer_schema=False)["person_id"].drop_nulls()
    assert not [i for i in ids.to_list() if len(i) >= 10 and i in text]  # every person-ID masked


def test_init_mapping_reads_english_headings_and_the_specs_names(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    canonical = pl.read_csv(FIXTURES / "example" / "person.csv", infer_schema=False)
    canonical.rename({"person_id": "Personal identity number", "juridiskt_kon": "Legal sex",
                      "ursprung": "Country of birth"}).write_csv(folder / "clients.csv")
    akt = pl.read_csv(FIXTURES / "example" / "aktualisering.csv", infer_schema=False)
    akt.rename({"aktualisering_id": "Case ID", "person_id": "Personal identity number", "malgrupp": "Target group",
                "datum_aktualisering": "Datum för aktualisering", "aktualiseringstyp": "Referral type",
                "aktualiseringsorsak": "Referral reason", "tidigare_kontakt": "Previous contact",
                "alder": "Age"}).write_csv(folder / "cases.csv")
    draft = yaml.safe_load(draft_mapping(folder, api.load()[0]))
    person = draft["tables"]["person"]
    assert person["source"] == "clients.csv"
    assert {n: f["column"] for n, f in person["fields"].items()} == {
        "person_id": "Personal identity number", "juridiskt_kon": "Legal sex", "ursprung": "Country of birth"}
    akt_fields = {n: f.get("column") for n, f in draft["tables"]["aktualisering"]["fields"].items()}
    assert akt_fields == {"aktualisering_id": "Case ID", "person_id": "Personal identity number",
                          "malgrupp": "Target group", "datum_aktualisering": "Datum för aktualisering",
                          "aktualiseringstyp": "Referral type", "aktualiseringsorsak": "Referral reason",
                          "tidigare_kontakt": "Previous contact", "alder": "Age"}
    assert any("beslut" in u for u in draft["unmapped"])  # no file holds beslut: listed, not guessed


def test_a_drafted_mapping_of_the_canonical_export_checks_exactly_as_the_export(tmp_path):
    mapping = tmp_path / "identity.yaml"
    mapping.write_text(draft_mapping(FIXTURES / "example-defects", api.load()[0]), encoding="utf-8")
    through = api.check(FIXTURES / "example-defects", mapping=mapping)  # reference date from datapackage.json
    direct = api.check(FIXTURES / "example-defects")
    assert through.as_of == direct.as_of
    columns = ["rule", "table", "row", "key", "field", "value", "other"]
    structure = pl.col("rule").str.starts_with("STR")  # read by different paths: compared below by count
    assert through.findings.filter(~structure).select(columns).equals(direct.findings.filter(~structure)
                                                                     .select(columns))
    assert _counts(through) == _counts(direct)


def test_nested_derived_keys_equal_a_window_over_all_their_columns():
    """A key derived from its parent key's columns and more is grouped on the parent key's first row; that must
    number every combination exactly as grouping on all of its columns does, empty columns included."""
    rows = [  # person, date, code: repeats, an empty parent part, an empty child part, a wholly empty row
        ("A", "1", "x"), ("A", "1", "y"), ("B", "1", "x"), ("A", "1", "x"), (None, None, "x"), (None, None, "x"),
        ("A", None, None), ("A", None, "x"), (None, None, None), ("B", "1", None), ("A", "1", "y"), ("B", "2", "x"),
    ]
    frame = pl.DataFrame(rows, schema=["p", "d", "c"], orient="row").with_columns(
        pl.int_range(1, len(rows) + 1, dtype=pl.Int64).alias(ROW))
    keys = {frozenset({"p"}), frozenset({"p", "d"}), frozenset({"p", "d", "c"})}
    nested, names = with_first_rows(frame.lazy(), keys)
    got = nested.collect()

    for columns, name in names.items():
        cols = sorted(columns)
        present = pl.any_horizontal(pl.col(c).is_not_null() for c in cols)
        expected = frame.select(pl.when(present).then(pl.col(ROW).min().over(cols)).alias(name))
        assert got[name].to_list() == expected[name].to_list(), cols
    assert got[names[frozenset({"p", "d", "c"})]].to_list() == [1, 2, 3, 1, 5, 5, 7, 8, None, 10, 2, 12]


def test_a_multi_valued_cell_is_split_stripped_crosswalked_and_joined_with_the_profiles_delimiter():
    profile = api.load()[0]
    spec = profile.tables["beslut"].field("problematik")
    f = FieldMap("problematik", column="P", delimiter=",", values={"Bostadsproblem": "Boendeproblematik"})
    cells = ["Bostadsproblem, Annat/Övrigt", " , Bostadsproblem ,, ", ", ,", "", None, "Annat/Övrigt"]
    got = pl.DataFrame({"P": cells}, schema={"P": pl.String}).select(field_expr(f, spec, "|").alias("p"))
    assert got["p"].to_list() == ["Boendeproblematik|Annat/Övrigt", "Boendeproblematik", None, None, None,
                                  "Annat/Övrigt"]


def test_crosswalk_uses_count_each_local_value_per_record_item_and_column():
    profile = api.load()[0]
    tmaps = {
        "beslut": TableMap("beslut", "b.csv", {"problematik": FieldMap(
            "problematik", column="P", delimiter=",",
            values={"Bostadsproblem": "Boendeproblematik", "Oro": "Annat/Övrigt"})}),
        "aktualisering": TableMap("aktualisering", "a.csv", {
            "malgrupp": FieldMap("malgrupp", column="V", values={"Vuxna": "Vux", "Barn": "BoU"}),
            "aktualiseringsorsak": FieldMap("aktualiseringsorsak", columns=("O1", "O2"),
                                            values={"Bostadsproblem": "Boendeproblematik"})}),
    }
    frames = {
        # A record naming the same local value twice counts twice, as the record's items do.
        "beslut": pl.LazyFrame({LOCAL + "problematik": ["Bostadsproblem, Oro", " Bostadsproblem ,Bostadsproblem",
                                                        None, "Annat/Övrigt", "Bostadsproblem, Oro"]}),
        "aktualisering": pl.LazyFrame({
            LOCAL + "malgrupp": ["Vuxna", "Vuxna", None, "Vux"],
            LOCAL + "aktualiseringsorsak": [["Bostadsproblem", None], ["x", "Bostadsproblem"], [None, None],
                                            ["Bostadsproblem", "Bostadsproblem"]]}),
    }
    uses = {(u.table, u.field, u.local): (u.standard, u.records) for u in crosswalk_uses(profile, tmaps, frames)}
    assert uses == {
        ("beslut", "problematik", "Bostadsproblem"): ("Boendeproblematik", 4),
        ("beslut", "problematik", "Oro"): ("Annat/Övrigt", 2),
        ("aktualisering", "malgrupp", "Vuxna"): ("Vux", 2),
        ("aktualisering", "malgrupp", "Barn"): ("BoU", 0),
        ("aktualisering", "aktualiseringsorsak", "Bostadsproblem"): ("Boendeproblematik", 4),
    }
