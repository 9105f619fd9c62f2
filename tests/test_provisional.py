"""No final verdict on an unreviewed guess (issue 24): a check through a drafted mapping that still holds
`draft: true`, a `review:` mark or an `unmapped` item is provisional (preliminär): JSON verdict "provisional"
with the open items and the verdict it would have once reviewed, exit code 3 whatever the findings, page 1 says
what is left to review, and compare refuses to rank it unless asked to. Once the marks are gone, the verdict is
final. Real files throughout: the normalised vendor fixture, drafted by `conform init-mapping`.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "fixtures" / "vendors" / "normalised"
AS_OF = ("--as-of", "2025-06-30")


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture(scope="module")
def drafted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("provisional")
    shutil.copytree(VENDOR / "export", folder / "export")
    done = run("init-mapping", folder / "export")
    assert done.exit_code == 0, done.output
    (folder / "draft.yaml").write_text(done.stdout, encoding="utf-8")
    return folder


def reviewed(text: str) -> str:
    """The draft as a reviewer leaves it having accepted every guess: the `draft` line, each `review:` line and
    the `unmapped` items gone."""
    text = re.sub(r"(?m)^draft: true\n", "", text)
    text = re.sub(r"(?m)^\s+review: .*\n", "", text)
    return re.sub(r"(?ms)^unmapped:\n(  - .*\n)+", "unmapped: []\n", text)


def check_json(export: Path, mapping: Path, *more: str):
    done = run("check", export, "--mapping", mapping, *AS_OF, "--format", "json", *more)
    return done.exit_code, json.loads(done.stdout)


def test_a_draft_gives_a_provisional_verdict_and_exit_code_3(drafted):
    code, document = check_json(drafted / "export", drafted / "draft.yaml")
    assert code == ExitCode.PROVISIONAL == 3
    summary = document["summary"]
    assert summary["verdict"] == "provisional"
    # The verdict the findings would give is kept, to show what review could change.
    assert summary["verdict_if_reviewed"] in ("conformant", "warnings", "nonconformant")
    open_items = document["mapping"]["open_items"]
    assert open_items["draft"] is True
    assert open_items["unmapped"], "the normalised fixture's rare non-standard values are left for review"
    assert summary["provisional"]["open_items"] == 1 + len(open_items["fields"]) + len(open_items["unmapped"]) + len(
        open_items["questions"])
    # Findings on a field still to review depend on the review: never more than all findings.
    depending = summary["provisional"]["findings"]
    assert 0 < depending <= sum(summary["findings"].values())


def test_the_same_mapping_reviewed_gives_the_final_verdict(drafted, tmp_path):
    _, provisional = check_json(drafted / "export", drafted / "draft.yaml")
    final_mapping = tmp_path / "reviewed.yaml"
    final_mapping.write_text(reviewed((drafted / "draft.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    code, document = check_json(drafted / "export", final_mapping)
    assert document["summary"]["verdict"] == provisional["summary"]["verdict_if_reviewed"]
    assert "provisional" not in document["summary"] and not document["mapping"]["open_items"]
    assert code == (ExitCode.FINDINGS if document["summary"]["verdict"] == "nonconformant" else ExitCode.OK)
    # Review changes nothing but the verdict's standing: the same findings and figures.
    assert document["summary"]["findings"] == provisional["summary"]["findings"]
    assert document["information_sets"] == provisional["information_sets"]


@pytest.mark.parametrize("left", ["draft", "review", "unmapped"])
def test_any_one_open_item_left_keeps_it_provisional(drafted, tmp_path, left):
    text = reviewed((drafted / "draft.yaml").read_text(encoding="utf-8"))
    if left == "draft":
        text = text.replace("tables:\n", "draft: true\ntables:\n", 1)
    elif left == "review":
        text = re.sub(r"(?m)^(\s+)(column: \"[^\"]+\"\n)", r"\1\2\1review: \"checked by nobody yet\"\n", text, count=1)
    else:
        text = text.replace("unmapped: []\n", "unmapped:\n  - \"person.ursprung: 'Sverige' left as written\"\n")
    mapping = tmp_path / f"{left}.yaml"
    mapping.write_text(text, encoding="utf-8")
    code, document = check_json(drafted / "export", mapping)
    assert (code, document["summary"]["verdict"]) == (ExitCode.PROVISIONAL, "provisional")


def test_a_provisional_result_fails_ci_at_every_level(drafted, tmp_path):
    # A reviewed mapping of an export with no finding, but one item left to review: nothing but the review fails.
    clean = tmp_path / "clean.yaml"
    clean.write_text(reviewed(run("init-mapping", ROOT / "fixtures" / "example").stdout).replace(
        "unmapped: []\n", "unmapped:\n  - \"person.ursprung: is Vet inte meant?\"\n"), encoding="utf-8")
    for level in ("error", "warning", "info"):
        junit = run("check", ROOT / "fixtures" / "example", "--mapping", clean, *AS_OF, "--fail-on", level,
                    "--format", "junit")
        assert junit.exit_code == ExitCode.PROVISIONAL
        assert 'name="verdict" value="provisional"' in junit.stdout
        failures = int(re.search(r'<testsuites name="conform" tests="85" failures="(\d+)"', junit.stdout).group(1))
        assert failures == junit.stdout.count("<failure ") and junit.stdout.count('type="provisional"') == 1
        assert 'name="Mappningen granskad" classname="mapping"' in junit.stdout and 'type="provisional"' in junit.stdout
        markdown = run("check", ROOT / "fixtures" / "example", "--mapping", clean, *AS_OF, "--fail-on", level,
                       "--format", "markdown")
        assert markdown.exit_code == ExitCode.PROVISIONAL
        assert f"Med --fail-on {level} **stoppar** kontrollen: bedömningen är preliminär" in markdown.stdout
        assert "släpper kontrollen igenom" not in markdown.stdout
        assert "där 1 punkt ännu inte har granskats" in markdown.stdout  # one item, in the singular


def test_an_unmapped_item_about_a_file_names_no_field(drafted, tmp_path):
    text = reviewed((drafted / "draft.yaml").read_text(encoding="utf-8")).replace(
        "unmapped: []\n", "unmapped:\n  - \"klienter.csv: column(s) no field uses: Anteckning\"\n")
    mapping = tmp_path / "file_item.yaml"
    mapping.write_text(text, encoding="utf-8")
    _, document = check_json(drafted / "export", mapping)
    assert document["mapping"]["open_items"]["unmapped"] == [
        {"table": None, "field": None, "text": "klienter.csv: column(s) no field uses: Anteckning"}]
    page = tmp_path / "r.html"
    run("report", drafted / "export", "--mapping", mapping, *AS_OF, "--html", page)
    assert "Fält att granska" not in page.read_text(encoding="utf-8")  # no field is named: none is shown


def test_a_stored_provisional_result_without_its_figures_is_refused_not_a_crash(drafted, tmp_path):
    stored = tmp_path / "resultat.json"
    run("check", drafted / "export", "--mapping", drafted / "draft.yaml", *AS_OF, "--format", "json",
        "--output", stored)
    document = json.loads(stored.read_text(encoding="utf-8"))
    del document["summary"]["provisional"]
    stored.write_text(json.dumps(document), encoding="utf-8")
    done = run("report", "--from", stored, "--html", tmp_path / "r.html")
    assert done.exit_code == ExitCode.NOT_CHECKED
    assert "resultat.json" in done.output and "oväntat fel" not in done.output


def test_page_one_says_preliminar_and_what_is_left_to_review(drafted, tmp_path):
    page = tmp_path / "rapport.html"
    done = run("report", drafted / "export", "--mapping", drafted / "draft.yaml", *AS_OF, "--html", page)
    assert done.exit_code == ExitCode.PROVISIONAL
    text = page.read_text(encoding="utf-8")
    first = text[:text.index('id="sets"')] if 'id="sets"' in text else text
    assert "Preliminär" in first
    assert 'id="provisional"' in first and "draft.yaml" in first
    assert "Godkänd" not in re.sub(r"<[^>]+>", "", first.split('id="verdict"')[1][:400])


def test_text_output_says_preliminar(drafted):
    done = run("check", drafted / "export", "--mapping", drafted / "draft.yaml", *AS_OF)
    assert done.exit_code == ExitCode.PROVISIONAL
    assert "PRELIMINÄR" in done.stdout


def test_report_from_a_stored_provisional_result_stays_provisional(drafted, tmp_path):
    stored = tmp_path / "resultat.json"
    done = run("check", drafted / "export", "--mapping", drafted / "draft.yaml", *AS_OF, "--format", "json",
               "--output", stored)
    assert done.exit_code == ExitCode.PROVISIONAL
    again = run("report", "--from", stored, "--html", tmp_path / "igen.html")
    assert again.exit_code == ExitCode.PROVISIONAL, again.output
    assert "Preliminär" in (tmp_path / "igen.html").read_text(encoding="utf-8")


def test_compare_refuses_a_provisional_result_unless_asked(drafted, tmp_path):
    provisional = tmp_path / "utkast.json"
    run("check", drafted / "export", "--mapping", drafted / "draft.yaml", *AS_OF, "--format", "json",
        "--output", provisional)
    final = tmp_path / "granskad.json"
    mapping = tmp_path / "reviewed.yaml"
    mapping.write_text(reviewed((drafted / "draft.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    run("check", drafted / "export", "--mapping", mapping, *AS_OF, "--format", "json", "--output", final)
    refused = run("compare", provisional, final, env={"CONFORM_LANG": "sv"})
    assert refused.exit_code == ExitCode.NOT_CHECKED
    assert "utkast.json" in refused.output and "--allow-provisional" in refused.output
    assert "Traceback" not in refused.output
    page = tmp_path / "jamforelse.html"
    allowed = run("compare", provisional, final, "--allow-provisional", "--html", page, "--csv", tmp_path / "j.csv")
    assert allowed.exit_code == 0, allowed.output
    assert "Preliminär" in page.read_text(encoding="utf-8")
    assert "preliminär" in (tmp_path / "j.csv").read_text(encoding="utf-8")


# -- mapping questions: a non-standard value in a large share of a field's records --------------------------------

@pytest.fixture(scope="module")
def worded(drafted, tmp_path_factory) -> Path:
    """The normalised export with a fifth of its SIP answers in the system's own words, which no mapping
    crosswalks: a mapping question, not a fifth of the records in error."""
    folder = tmp_path_factory.mktemp("worded")
    shutil.copytree(drafted / "export", folder / "export")
    path = folder / "export" / "uppfoljningar.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows):
        if i % 5 == 0:
            row["SIP"] = "SIP upprättad"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / "reviewed.yaml").write_text(reviewed((drafted / "draft.yaml").read_text(encoding="utf-8")),
                                          encoding="utf-8")
    return folder


def with_sip(mapping: Path, out: Path, extra: str) -> Path:
    text = mapping.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^(      sip:.*\n        column: "SIP"\n)', lambda m: m.group(1) + extra, text, count=1)
    assert extra in text
    out.write_text(text, encoding="utf-8")
    return out


def test_a_reviewed_mapping_with_an_open_mapping_question_stays_provisional(worded):
    code, document = check_json(worded / "export", worded / "reviewed.yaml")
    assert (code, document["summary"]["verdict"]) == (ExitCode.PROVISIONAL, "provisional")
    questions = document["mapping"]["open_items"]["questions"]
    assert [(q["table"], q["field"], q["value"]) for q in questions] == [("uppfoljning", "sip", "SIP upprättad")]
    records = sum(1 for _ in open(worded / "export" / "uppfoljningar.csv", encoding="utf-8")) - 1
    assert questions[0]["records"] == len(range(0, records, 5)) and 0.05 <= questions[0]["share"] <= 1
    # The rare slips ('Ja', 1×) are the vendor's errors, never questions.
    assert all(q["records"] > 1 for q in questions)


def test_page_one_and_the_text_list_the_mapping_question(worded, tmp_path):
    done = run("check", worded / "export", "--mapping", worded / "reviewed.yaml", *AS_OF)
    assert "Mappningsfrågor" in done.stdout and '"SIP upprättad" i' in done.stdout
    assert "uppfoljning.sip" not in done.stdout.split("Mappningsfrågor")[1].split("\n\n")[0]
    page = tmp_path / "r.html"
    run("report", worded / "export", "--mapping", worded / "reviewed.yaml", *AS_OF, "--html", page)
    assert "SIP upprättad" in page.read_text(encoding="utf-8").split('id="provisional"')[1].split("</div>")[0]


@pytest.mark.parametrize("settled", ['        as_written: ["SIP upprättad"]\n',
                                     '        values:\n          "SIP upprättad": "Ja, SIP finns"\n'])
def test_a_crosswalk_or_as_written_settles_the_question(worded, tmp_path, settled):
    mapping = with_sip(worded / "reviewed.yaml", tmp_path / "settled.yaml", settled)
    code, document = check_json(worded / "export", mapping)
    assert document["summary"]["verdict"] != "provisional" and not document["mapping"]["open_items"]
    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    sip_errors = next(r for r in document["rules"] if r["code"] == "VAL-017")["count"]
    # Left as written, the values are the vendor's errors; crosswalked, they are standard values.
    assert (sip_errors > 50) == ("as_written" in settled)


# -- mapping questions: a code the export's own code table explains, however rare ---------------------------------

SQL_DUMP = ROOT / "tests" / "unseen_dumps" / "sql_dump" / "export"
UNKNOWN_CODE = "9"


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    """The SQL dump shape (tests/unseen_dumps) whose code table gives juridiskt kön a third code, "Uppgift
    saknas", which three persons carry: a code the system explains, and no standard value says, so a draft
    cannot crosswalk it. Drafted, and the draft reviewed as a hurried reviewer would: every mark deleted."""
    folder = tmp_path_factory.mktemp("coded")
    export = folder / "export"
    shutil.copytree(SQL_DUMP, export)
    with (export / "SOC_KODTAB.txt").open("a", encoding="latin-1", newline="") as f:
        f.write(f"KON|{UNKNOWN_CODE}|Uppgift saknas|90||20190301|SYS_KONV\r\n")
    lines = (export / "SOC_PERSON.txt").read_bytes().decode("latin-1").split("\r\n")
    for i in (1, 2, 3):
        cells = lines[i].split("|")
        cells[2] = UNKNOWN_CODE
        lines[i] = "|".join(cells)
    (export / "SOC_PERSON.txt").write_bytes("\r\n".join(lines).encode("latin-1"))
    done = run("init-mapping", export)
    assert done.exit_code == 0, done.output
    (folder / "draft.yaml").write_text(done.stdout, encoding="utf-8")
    (folder / "reviewed.yaml").write_text(reviewed(done.stdout), encoding="utf-8")
    return folder


def test_the_draft_writes_the_code_tables_text_of_a_code_it_cannot_crosswalk(coded):
    text = (coded / "draft.yaml").read_text(encoding="utf-8")
    kon = text.split("      juridiskt_kon:")[1].split("\n      ")[0:]
    block = "\n      ".join(kon).split("      ursprung:")[0]
    assert 'code_texts:  # the export\'s code table' in block and f'"{UNKNOWN_CODE}": "Uppgift saknas"' in block
    assert f'"{UNKNOWN_CODE}": "' not in block.split("values:")[1].split("code_texts:")[0]  # no crosswalk


def test_a_rare_code_the_code_table_explains_is_a_mapping_question(coded):
    code, document = check_json(coded / "export", coded / "reviewed.yaml")
    assert (code, document["summary"]["verdict"]) == (ExitCode.PROVISIONAL, "provisional")
    questions = [q for q in document["mapping"]["open_items"]["questions"] if q["field"] == "juridiskt_kon"]
    assert [(q["value"], q["records"], q["text"]) for q in questions] == [(UNKNOWN_CODE, 3, "Uppgift saknas")]
    # Three persons in hundreds: far below the share that makes a plain value a question.
    assert questions[0]["share"] < 0.05
    done = run("check", coded / "export", "--mapping", coded / "reviewed.yaml", *AS_OF)
    assert f'"{UNKNOWN_CODE}" (enligt systemets kodtabell "Uppgift saknas") i 3 poster' in done.stdout


def test_as_written_settles_a_coded_question_and_leaves_the_code_to_the_rules(coded, tmp_path):
    text = (coded / "reviewed.yaml").read_text(encoding="utf-8")
    settled = re.sub(r'(?m)^(        code_texts:)', f'        as_written: ["{UNKNOWN_CODE}"]\n\\1', text, count=1)
    assert settled != text
    (tmp_path / "settled.yaml").write_text(settled, encoding="utf-8")
    code, document = check_json(coded / "export", tmp_path / "settled.yaml")
    assert not [q for q in (document["mapping"]["open_items"] or {"questions": []})["questions"]
                if q["field"] == "juridiskt_kon"]
    # Left as written, the three persons' code is the vendor's error against the value set.
    assert any(e["value"] == UNKNOWN_CODE for r in document["rules"] for e in r.get("examples", [])
               if "juridiskt_kon" in (e.get("field") or ""))


def test_a_code_tables_text_that_holds_a_person_id_is_masked_in_the_result(coded, tmp_path):
    """A hand-edited mapping can carry anything under code_texts; the result shows it as every value is shown."""
    test_id = "189001019802"  # Skatteverket's test personnummer (shared/data/testpersonnummer)
    text = (coded / "reviewed.yaml").read_text(encoding="utf-8")
    edited = text.replace('"Uppgift saknas"', f'"Uppgift saknas, se {test_id}"', 1)
    assert edited != text
    (tmp_path / "edited.yaml").write_text(edited, encoding="utf-8")
    _, document = check_json(coded / "export", tmp_path / "edited.yaml")
    shown = json.dumps(document["mapping"]["open_items"], ensure_ascii=False)
    assert test_id not in shown and "18900101-****" in shown
