"""The message catalogue (reports_templates/labels.yaml): every message exists in Swedish and English with the same
placeholders, every key the code raises exists, and Swedish output holds no English.

The Swedish check renders everything a user reads in Swedish: every catalogue message, every rule's message, fix
and reading, the text, Markdown, JUnit and HTML reports, the comparison and the diff of real checks (defects of
every kind, a mapped vendor export, unreadable and ragged files), the review page of a draft mapping,
`conform rules`, `conform explain` of every rule, the help of every command and every error. It fails on any
word of ENGLISH_WORDS, a word list kept here: words that are English and not Swedish. Code stays as it is:
paths, file names, ids with underscores, options (--lang), the names of commands after "conform" and values of
the export are taken out before the words are read.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import html as lxml_html

from conform import api
from conform.cli import main
from conform.render.compare import compare, compare_html
from conform.render.diff import diff, diff_html, diff_text
from conform.errors import Msg
from conform.generator import generate
from conform.input.mapping.draft import draft
from conform.render.document import build
from conform.render.html import report_html
from conform.render.junit import junit_xml
from conform.render.markdown import markdown_summary
from conform.render.review import review_html
from conform.render.text import render_text
from conform.resources import TEMPLATES_DIR
import serving
from documents import FINGERPRINT_KEY
from rulecases import write_export

SRC = Path(__file__).resolve().parents[1] / "src" / "conform"
VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"

# Words that are English and not Swedish. Words Swedish shares are left out ("in", "set", "for", "info", "be",
# "all", "data", "byte", "start", "information", "kind").
ENGLISH_WORDS = {
    "the", "and", "of", "with", "not", "is", "are", "was", "were", "been", "this", "that", "these", "which",
    "from", "into", "has", "have", "had", "should", "must", "cannot", "could", "would", "does", "only",
    "any", "every", "more", "than", "other", "same", "whole", "each", "no", "yes", "none", "its", "it",
    "file", "files", "line", "lines", "field", "fields", "record", "records", "column", "columns", "header",
    "row", "rows", "sheet", "table", "tables", "value", "values", "missing", "error", "errors", "warning",
    "warnings", "finding", "findings", "found", "expected", "invalid", "unknown", "empty", "broken", "damaged",
    "mapping", "mappings", "even", "odd", "scientific", "decimals", "leading", "zeros", "reserve", "number",
    "numbers", "default", "usage", "options", "option", "commands", "show", "written", "write", "report",
    "reports", "rules", "rule", "target", "group", "groups", "share", "without", "approved", "approval",
    "passed", "failed", "stops", "passes", "appendix", "summary", "page", "date", "dates", "reference", "today",
    "requirement", "requirements", "verdict", "vendor", "vendors", "profile", "records", "check", "checked",
    "checks", "fix", "spec", "quote", "reading", "basis", "example", "examples", "message", "sets",
    "standard's", "standards", "severity", "category", "params", "new", "resolved", "persisting",
    "before", "after", "regression", "better", "worse", "unchanged", "compared", "comparison", "please",
    "seems", "delimiter", "continuation", "unexpected",
}
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé']+")
# Code and evidence, taken out before the words are read: paths and names with a dot, slash or underscore,
# command-line options and commands, hashes, {placeholders}.
CODE = re.compile(r"\S*[/\\._@%]\S*|--[\w-]+(?: (?:error|warning|info|sv|en))?|conform\s+[a-z-]+|\[[\w|-]+\]|"
                  r"^  (?:check|report|rules|explain|compare|diff|generate|init-mapping|init-requirements)\b|"
                  r"\[(?:standard|default): [^\]]*\]|\b[0-9a-f]{12,}\b|{\w+!?}|\[[A-Z_ .\]\[]+\]|'[^'\s]+'|JSON Lines",
                  re.M)


def english_in(text: str) -> list[str]:
    words = WORD.findall(CODE.sub(" ", "\n".join(line.rstrip() for line in text.splitlines())))
    return sorted({w for w in words if w.lower().strip("'") in ENGLISH_WORDS and not w.isupper()})


def flat(entry, path=()) -> list[tuple[tuple, str]]:
    if isinstance(entry, dict):
        return [item for key, value in entry.items() for item in flat(value, path + (str(key),))]
    if isinstance(entry, list):
        return [item for i, value in enumerate(entry) for item in flat(value, path + (str(i),))]
    return [(path, str(entry))]


CATALOGUE = yaml.safe_load((TEMPLATES_DIR / "labels.yaml").read_text(encoding="utf-8"))
# Sections that map values the two languages need not share (group names the profile names already, error
# numbers the operating system words in English itself, code words and metavars).
MAPS = {("html", "group_names"), ("cli", "os_errors"), ("detail_values",), ("cli", "metavars")}


def keys(lang: str) -> dict[tuple, str]:
    return {path: text for path, text in flat(CATALOGUE[lang]) if not any(path[:len(m)] == m for m in MAPS)}


# -- the catalogue itself -----------------------------------------------------------------------------------------

def test_every_message_exists_in_both_languages_with_the_same_placeholders():
    sv, en = keys("sv"), keys("en")
    assert sorted(set(sv) ^ set(en)) == []
    placeholder = re.compile(r"{(\w+)[!@]?}")
    for path in sv:
        assert set(placeholder.findall(sv[path])) == set(placeholder.findall(en[path])), path


def test_no_swedish_message_holds_english():
    found = {".".join(path): english_in(text) for path, text in keys("sv").items() if english_in(text)}
    assert found == {}


def test_the_word_list_catches_english():
    """The test above can fail: an English sentence, and an English word among Swedish ones, are caught; code is
    not."""
    assert english_in("the file is missing") == ["file", "is", "missing", "the"]
    assert english_in("Kolumnen saknas (not in the mapping gamma.yaml)") == ["mapping", "not", "the"]
    assert english_in("se conform check --lang en och fil person_id.csv") == []


# -- every error the code raises ----------------------------------------------------------------------------------

ERROR_CLASSES = {"ConformError", "UsageError", "ProfileError", "RuleFileError", "MappingError", "ReaderError"}


def raised_keys() -> dict[str, list[str]]:
    """Every catalogue key the code raises or words (a ConformError's first argument, ReaderError's second,
    msg() and Msg()), with where; a message that is not a constant key is reported under '<not a key>'."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py":  # the plumbing that words the keys
            continue
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ERROR_CLASSES or name in {"msg", "Msg", "error"}:
                at = 1 if name == "ReaderError" else 0
                arg = node.args[at] if len(node.args) > at else None
                where = f"{path.relative_to(SRC)}:{node.lineno}"
                if name == "error" and path.name != "yamlfile.py":
                    continue
                if isinstance(arg, ast.Name) and path.name == "source.py" and arg.id == "problem":
                    continue  # ReaderError passing its own key on
                constant = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                if constant and re.fullmatch(r"[a-z0-9_]+", arg.value):
                    found.setdefault(arg.value, []).append(where)
                elif isinstance(arg, ast.IfExp):
                    for branch in (arg.body, arg.orelse):
                        found.setdefault(getattr(branch, "value", "<not a key>"), []).append(where)
                else:
                    found.setdefault("<not a key>", []).append(where)
    return found


def test_every_error_is_a_catalogue_key():
    found = raised_keys()
    assert "<not a key>" not in found, found.get("<not a key>")
    for lang in ("sv", "en"):
        missing = {key: where for key, where in found.items() if key not in CATALOGUE[lang]["error_messages"]}
        assert missing == {}, lang
    assert len(found) > 60


# -- Swedish output -----------------------------------------------------------------------------------------------

def junit_text(xml: str) -> str:
    """What CI shows of JUnit XML: the failure and skip messages, and the texts (the element and attribute names
    are the format's)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    return "\n".join([e.get("message", "") for e in root.iter() if e.tag in ("failure", "skipped")]
                     + [e.text or "" for e in root.iter() if e.tag in ("failure", "system-out")])


def visible(page: str) -> str:
    tree = lxml_html.fromstring(page)
    for element in tree.xpath("//style|//script|//*[contains(@class, 'mono')]|//blockquote|//*[@class='value']"):
        element.drop_tree()
    return tree.text_content()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    """Everything a Swedish user reads, by where it came from."""
    return render_everything(tmp_path_factory.mktemp("catalogue-sv"), "sv")


def test_everything_renders_in_english_too(tmp_path):
    """Every template and message renders in English as well (a missing key fails the render), and no
    {placeholder} is left unfilled in either language."""
    english = render_everything(tmp_path, "en")
    assert "Usage:" in english["help check"] and "Summary" in english["html genererad"]
    left = {where: re.findall(r"{[a-z_]+}", text) for where, text in english.items()
            if re.findall(r"{[a-z_]+}", text) and not where.startswith(("rule ", "explain"))}
    assert left == {}


def test_no_placeholder_is_left_unfilled_in_swedish(outputs):
    left = {where: re.findall(r"{[a-z_]+}", text) for where, text in outputs.items()
            if re.findall(r"{[a-z_]+}", text) and not where.startswith("rule ")}
    assert left == {}


def render_everything(root: Path, lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    exports = {}
    generated = root / "genererad"
    generate(generated, persons=400, defects=0.5, seed=5)
    exports["genererad"] = (generated, None)
    broken = root / "trasig"
    write_export(broken, {"raw": {
        "person": "person_id,juridiskt_kon,ursprung\n201401042385,Flicka/Kvinna\n198502069993,Pojke/Man,,x\n",
        "beslut": "beslut_id;aktualisering_id;datum_beslut;problematik\n",
    }, "drop_tables": ["uppfoljning"]})
    (broken / "insats.csv").write_bytes("insats_id,beslut_id\nI1,B\xe4\n".encode("latin-1"))
    exports["trasig"] = (broken, None)
    wide = root / "bred"
    shutil.copytree(VENDORS / "wide" / "export", wide)
    mapping = root / "mapping.yaml"
    text = (VENDORS / "wide" / "mapping.yaml").read_text(encoding="utf-8")
    mapping.write_text(re.sub(r"\n      tidigare_kontakt:.*", "", text), encoding="utf-8")
    exports["bred"] = (wide, mapping)
    documents = {}
    for name, (folder, mapped) in exports.items():
        result = api.check(folder, mapping=mapped, as_of=__import__("datetime").date(2025, 6, 30))
        document = build(result, lang=lang, fingerprint_key=FINGERPRINT_KEY)
        documents[name] = document
        out[f"text {name}"] = render_text(document)
        out[f"markdown {name}"] = markdown_summary(document)
        out[f"junit {name}"] = junit_text(junit_xml(document, "warning"))
        out[f"html {name}"] = visible(report_html(result, lang=lang, vendor="Leverantör AB"))
    names = list(documents)
    out["compare"] = visible(compare_html(compare([documents[n] for n in names], names=names), lang))
    d = diff(documents["genererad"], documents["bred"])
    out["diff text"] = diff_text(d, lang)
    out["diff html"] = visible(diff_html(d, lang))
    out["review"] = visible(review_html(draft(wide, api.load()[0]), lang))
    out |= serve_pages(root / "serve", lang)
    runner = CliRunner()
    for command in ["", "check", "report", "rules", "explain", "compare", "diff", "generate", "init-mapping",
                    "init-requirements", "serve"]:
        out[f"help {command}"] = runner.invoke(main, [*command.split(), "--help"], prog_name="conform",
                                               env={"CONFORM_LANG": lang}).output
    for i, line in enumerate([["chekc"], ["check", "--frmat", "json", "."], ["check"], ["check", "--format", "xx", "."],
                              ["generate", "x", "--persons", "0"], ["check", ".", "--as-of", "2025-13-01"],
                              ["compare", "saknas.json"], ["check", "a", "b"]]):
        ran = runner.invoke(main, line, prog_name="conform", env={"CONFORM_LANG": lang})
        assert ran.exit_code == 2, (line, ran.output)
        out[f"usage error {i}"] = ran.output
    out["rules"] = runner.invoke(main, ["rules", "--lang", lang]).output
    for rule in api.load()[1]:
        out[f"explain {rule.code}"] = runner.invoke(main, ["explain", rule.code, "--lang", lang]).output
    for key, text in CATALOGUE[lang]["error_messages"].items():
        out[f"error {key}"] = Msg(key, {p: "X" for p in re.findall(r"{(\w+)}", text)}).text(lang)
    for rule in api.load()[1]:
        out[f"rule {rule.code}"] = " ".join([rule.message[lang], rule.fix[lang], (rule.reading or {}).get(lang, "")])
    return out


def serve_pages(workdir: Path, lang: str) -> dict[str, str]:
    """The pages of `conform serve`: the start page, an evaluation with a vendor checked and one drafted a
    mapping, that mapping's review, the release comparison, a refused form and a page that does not exist."""
    c, service = serving.client(workdir, lang)
    evaluation = serving.create_evaluation(c, service)
    serving.upload(c, service, evaluation, "Leverantör AB", [("export.zip", serving.zipped(serving.EXAMPLE))])
    serving.upload(c, service, evaluation, "Bred AB", serving.folder_files(VENDORS / "wide" / "export"))
    drafted = serving.wait(service, evaluation).vendors[1]
    return {"serve start": visible(c.get("/").text),
            "serve evaluation": visible(c.get(f"/evaluations/{evaluation}").text),
            "serve mapping review": visible(c.get(f"/evaluations/{evaluation}/vendors/{drafted.id}/mapping").text),
            "serve releases": visible(c.get("/releases").text),
            "serve refused": visible(c.post("/evaluations", files={"name": (None, "x")}).text),
            "serve not found": visible(c.get("/evaluations/ffffffffffff").text)}


def test_swedish_output_holds_no_english(outputs):
    found = {where: english_in(text) for where, text in outputs.items() if english_in(text)}
    assert found == {}


def test_swedish_output_names_fields_by_the_standards_names(outputs):
    """No field id followed by its value ("datum_aktualisering 2022-01-31 ligger före …")."""
    ids = {f.name for spec in api.load()[0].tables.values() for f in spec.fields if "_" in f.name}
    pattern = re.compile(r"\b(" + "|".join(sorted(ids, key=len, reverse=True)) + r")\b (=|\d)")
    found = {where: pattern.findall(text) for where, text in outputs.items()
             if not where.startswith(("explain", "help")) and pattern.search(text)}
    assert found == {}


def test_swedish_counts_agree_with_their_nouns(outputs):
    """"1 anmärkningar", "1 avvikelser", "1 fel" with a plural noun: the catalogue's plural forms are used."""
    slips = re.compile(r"(?<![\d,.])1 (avvikelser|anmärkningar|varningar|poster|regler|informationsmängder|"
                       r"nya avvikelser|personer)\b")
    found = {where: slips.findall(text) for where, text in outputs.items() if slips.search(text)}
    assert found == {}


def test_the_sample_covers_what_it_should(outputs):
    """The outputs above include the worded details and errors, so the checks cannot pass by missing them."""
    everything = "\n".join(outputs.values())
    for text in ("inte UTF-8-text", "rubrikraden har", "Den finns inte i mappningen", "Användning:",
                 "det finns inget kommando 'chekc'; menade du 'check'?", "tillåtna värden är text, json",
                 "Standardens ord", "Bilaga 1.", "Det som hindrar godkänt", "filen eller mappen finns inte",
                 "Om du godtar raderna märkta REVIEW"):
        assert text in everything, text

