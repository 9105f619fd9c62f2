"""A drafted crosswalk never reverses or guesses a meaning (issue 13).

A crosswalk turns a value the rules would report into one they accept, and a hurried reviewer accepts what the
draft proposes. So the drafter never proposes one across polarity (ja/nej, positive/negative, a negation on one
side only), from a value the standard itself has, on a loose spelling, or for an insats name against the KSI code
on its own row. Each case is tested on a vendor export whose values were rewritten the way a real system writes
them, with enough records each that they are the system's vocabulary, not data errors.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conform import api
from conform.cli import main
from conform.input.mapping.draft import draft_mapping
from conform.vocabulary import closest, opposite, polarity

VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"


@pytest.mark.parametrize(("a", "b"), [
    ("Positiv förändring", "Negativ förändring"),
    ("Ej behov av SIP", "Nej, men det finns behov av SIP"),
    ("Ingen SIP", "Ja, SIP finns"),
    ("Nej", "Ja, för mindre än 2 år sedan"),
    ("Inte född i Sverige", "Född i Sverige"),
    ("Förbättring", "Försämring"),
    ("Positiv förändring", "Positiv förändring målet inte uppfyllt"),
])
def test_values_that_say_the_opposite_are_opposite(a, b):
    assert opposite(a, b) and opposite(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("Ej behov av SIP", "Nej, det finns inget behov av SIP"),
    ("Ej aktuell", "Ej aktuell (måluppfyllelse ej aktuell)"),   # a parenthesis restates, it does not negate twice
    ("Målet ej uppnått", "Nej (måluppfyllelse ej uppnådd)"),
    ("Nej", "Nej (måluppfyllelse ej uppnådd)"),
    ("Vet ej", "Vet inte"),
    ("Okänt", "Vet inte"),                                      # unknown, not a negation
    ("Uppgift saknas", "Vet inte"),
    ("Född utanför Europa", "Född i övriga Europa"),              # "utanför" is no negation
    ("Ja", "Ja, SIP finns"),
])
def test_values_that_agree_are_not_opposite(a, b):
    assert not opposite(a, b)
    assert polarity(a)[2] == polarity(b)[2]


def test_closest_never_offers_the_opposite_and_spelling_needs_the_bar():
    scale = ["Positiv förändring och målet uppfyllt", "Positiv förändring målet inte uppfyllt", "Ingen förändring",
             "Negativ förändring", "Går inte att bedöma"]
    assert closest("Positiv forandring", scale, {}) == (None, None)
    assert closest("Negativ forandring", scale, {}) == ("Negativ förändring", "spelling")
    insatser = ["Boendestöd", "Akut/tillfälligt boende", "Kontaktperson"]
    assert closest("Boende akut", insatser, {}, cutoff=0.85) == (None, None)
    assert closest("Kontaktperson barn", insatser, {}, cutoff=0.85) == (None, None)


# -- drafts of a rewritten vendor export ---------------------------------------------------------------------

def rewrite(path: Path, change) -> None:
    """Rewrite a CSV file of the export row by row (`change(row, i)` edits the dict in place)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    for i, row in enumerate(rows):
        change(row, i)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def drafted(tmp_path_factory) -> tuple[dict, str]:
    """The normalised vendor, rewritten: local values that invite a reversed or guessed crosswalk, each on
    enough records (about 5 % of its column) to be drafted as vocabulary."""
    export = tmp_path_factory.mktemp("draft") / "export"
    shutil.copytree(VENDORS / "normalised" / "export", export)

    def insatser(row, i):
        if 0 <= i < 25:                  # a local name and its KSI code: the code decides
            row["KSI"], row["InsatsNamn"] = "YAD.20.15", "Boende akut"
        elif 25 <= i < 50:
            row["KSI"], row["InsatsNamn"] = "YAC.80.ZZ", "Kontaktperson barn"
        elif 50 <= i < 75:               # a name that disagrees with its code: left for the rules
            row["KSI"], row["InsatsNamn"] = "YAD.20.15", "Hemhjälp extra"
        elif 75 <= i < 100:              # one name, many codes: the code cannot decide
            row["KSI"], row["InsatsNamn"] = ("YAA.45.ZZ", "YAB.20.ZZ")[i % 2], "Stöd i vardagen"
        elif 100 <= i < 125:             # the KSI name of a code outside the list: standard, never crosswalked
            row["KSI"], row["InsatsNamn"] = "YAC.10.00", "Omedelbart omhändertagande enligt 6 § LVU"
        if row["Maluppfyllelse"] == "Positiv förändring och målet uppfyllt":
            row["Maluppfyllelse"] = "Positiv förändring"  # a positive change, goal not said: no proposal

    def uppfoljningar(row, i):
        if row["SIP"] == "Nej, det finns inget behov av SIP":
            row["SIP"] = "Ej behov av SIP"
        if row["Maluppfyllelse"] == "Negativ förändring":
            row["Maluppfyllelse"] = "Negativ forandring"   # the same words without å, ä, ö: same sense

    def klienter(row, i):
        row["Kon"] = {"Flicka/Kvinna": "K", "Pojke/Man": "M"}.get(row["Kon"], row["Kon"])
        row["Ursprung"] = {"Vet inte": "Okänt", "Född i övriga Europa": "Europa (ej Sverige)"}.get(row["Ursprung"],
                                                                                                 row["Ursprung"])

    def arenden(row, i):
        row["Verksamhet"] = {"BOU": "Barn o unga", "EKB": "Ek. bistånd", "FUNK": "LSS"}.get(row["Verksamhet"],
                                                                                          row["Verksamhet"])

    rewrite(export / "insatser.csv", insatser)
    rewrite(export / "uppfoljningar.csv", uppfoljningar)
    rewrite(export / "klienter.csv", klienter)
    rewrite(export / "arenden.csv", arenden)
    text = draft_mapping(export, api.load()[0])
    return yaml.safe_load(text), text


def crosswalk(draft: dict, table: str, field: str) -> dict:
    return draft["tables"][table]["fields"][field].get("values", {})


def test_an_insats_name_goes_where_its_ksi_code_says(drafted):
    draft, text = drafted
    names = crosswalk(draft, "insats", "insats")
    assert names["Boende akut"] == "Akut/tillfälligt boende"      # not Boendestöd, by spelling
    assert names["Kontaktperson barn"] == "Kontaktperson (barn och unga)"   # not the LSS Kontaktperson
    assert "its KSI code YAD.20.15" in text


def test_an_insats_name_against_its_code_or_with_many_codes_is_left_for_the_rules(drafted):
    draft, _ = drafted
    names = crosswalk(draft, "insats", "insats")
    assert "Hemhjälp extra" not in names and "Stöd i vardagen" not in names
    notes = " ".join(draft["unmapped"])
    assert "'Hemhjälp extra' (25×) does not agree with its KSI code YAD.20.15" in notes
    assert "'Stöd i vardagen' (25×) is written with several KSI codes" in notes
    assert "Omedelbart omhändertagande enligt 6 § LVU" not in names
    assert "'Omedelbart omhändertagande enligt 6 § LVU' (25×) is a standard value of another code" in notes


def test_no_crosswalk_across_polarity_or_on_an_open_meaning(drafted):
    draft, _ = drafted
    assert "Positiv förändring" not in crosswalk(draft, "insats", "maluppfyllelse")
    assert crosswalk(draft, "uppfoljning", "sip").get("Ej behov av SIP") in (None, "Nej, det finns inget behov av SIP")
    assert crosswalk(draft, "uppfoljning", "maluppfyllelse").get("Negativ forandring") == "Negativ förändring"
    for table, spec in draft["tables"].items():
        for field, mapped in spec["fields"].items():
            for local, standard in (mapped.get("values") or {}).items():
                assert not opposite(str(local), str(standard)), (table, field, local, standard)


@pytest.mark.parametrize("shape", ["normalised", "wide", "workbook"])
def test_no_bundled_vendor_draft_crosswalks_across_polarity(shape):
    draft = yaml.safe_load(draft_mapping(VENDORS / shape / "export", api.load()[0]))
    for spec in draft["tables"].values():
        for mapped in spec["fields"].values():
            for local, standard in (mapped.get("values") or {}).items():
                assert not opposite(str(local), str(standard)), (local, standard)


def test_generate_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "person.csv").write_text("mine\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["generate", str(folder), "--persons", "3"])
    assert refused.exit_code == 2 and "är inte tom" in refused.output
    assert (folder / "person.csv").read_text(encoding="utf-8") == "mine\n"
    forced = CliRunner().invoke(main, ["generate", str(folder), "--persons", "3", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (folder / "person.csv").read_text(encoding="utf-8").startswith("person_id")
    fresh = CliRunner().invoke(main, ["generate", str(tmp_path / "new"), "--persons", "3"])
    assert fresh.exit_code == 0 and (tmp_path / "new" / "person.csv").is_file()


def test_what_every_swedish_system_writes_comes_from_the_lexicon_and_says_so(drafted):
    draft, text = drafted
    assert crosswalk(draft, "person", "juridiskt_kon") == {"K": "Flicka/Kvinna", "M": "Pojke/Man"}
    ursprung = crosswalk(draft, "person", "ursprung")
    assert ursprung["Okänt"] == "Vet inte" and ursprung["Europa (ej Sverige)"] == "Född i övriga Europa"
    malgrupp = crosswalk(draft, "aktualisering", "malgrupp")
    assert (malgrupp["Barn o unga"], malgrupp["LSS"]) == ("BoU", "Funk")
    assert malgrupp["Ek. bistånd"] == "EkB"   # the standard's own column heading for the target group
    assert "\"K\": \"Flicka/Kvinna\"  # 0.95 (lexicon lexicon.yaml: 'K')" in text


def test_a_users_own_lexicon_extends_the_profiles_and_is_named(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "normalised" / "export", export)
    rewrite(export / "klienter.csv", lambda row, i: row.update(
        Kon={"Flicka/Kvinna": "Kvinnokön", "Pojke/Man": "Manskön"}.get(row["Kon"], row["Kon"])))
    mine = tmp_path / "kommunens-lexikon.yaml"
    mine.write_text("juridiskt_kon:\n  Kvinnokön: Flicka/Kvinna\n  Manskön: Pojke/Man\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init-mapping", str(export), "--lexicon", str(mine)])
    assert result.exit_code == 0, result.output
    draft = yaml.safe_load(result.stdout)
    assert crosswalk(draft, "person", "juridiskt_kon") == {"Kvinnokön": "Flicka/Kvinna", "Manskön": "Pojke/Man"}
    assert "(lexicon kommunens-lexikon.yaml: 'Kvinnokön')" in result.stdout


@pytest.mark.parametrize(("text", "says"), [
    ("juridiskt_kön:\n  K: Flicka/Kvinna\n", ("mine.yaml:1", "profilen har ingen värdemängd 'juridiskt_kön'")),
    ("juridiskt_kon:\n  K: Kvinna\n", ("mine.yaml:2", "'Kvinna' är inget värde i värdemängden juridiskt_kon")),
    ("- K\n", ("mine.yaml", "ett lexikon listar under varje värdemängd")),
    ("juridiskt_kon: [K]\n", ("mine.yaml:1", "ett lexikon listar under varje värdemängd")),
    ("juridiskt_kon:\n  yes: Flicka/Kvinna\n", ("mine.yaml:1", "YAML läser som sant eller falskt inom citattecken")),
])
def test_a_broken_lexicon_is_a_one_line_error_naming_file_and_line(text, says, tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["init-mapping", str(VENDORS / "normalised" / "export"), "--lexicon", str(mine)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert all(part in result.output for part in says), result.output
