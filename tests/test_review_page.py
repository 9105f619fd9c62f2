"""`conform init-mapping EXPORT --html PAGE`: the review page of a draft mapping, from the command line on real
exports. The YAML stays the artefact: the page shows the same draft (every crosswalk, every REVIEW line with its
alternatives), names fields by the standard's names in Swedish, masks every person-ID and loads nothing."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import html as lxml_html

from conform import api
from conform.cli import main
from conform.input.mapping.draft import draft
from conform.input.mapping.proposals import REVIEW_BELOW
from browser import needs_browser, render_and_dump

WIDE = Path(__file__).resolve().parents[1] / "fixtures" / "vendors" / "wide" / "export"
DATE_LINE = re.compile(r"^# Draft mapping made by .*$", re.M)
PERSON_ID = re.compile(r"(?<!\d)(\d{8}|\d{6})[-+]?\d{4}(?!\d)")
TEST_ID = "191212121212"  # Skatteverket's best-known test personnummer


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review")
    shutil.copytree(WIDE, root / "export")
    return root / "export"


@pytest.fixture(scope="module")
def made(wide) -> dict[str, str]:
    """The Swedish and English pages of the wide vendor's draft, the YAML written beside each, and the YAML
    written without a page."""
    root = wide.parent
    out = {}
    for lang in ("sv", "en"):
        result = run("init-mapping", wide, "--html", root / f"{lang}.html", "-o", root / f"{lang}.yaml",
                     "--lang", lang)
        assert result.exit_code == 0, result.output
        out[lang] = (root / f"{lang}.html").read_text(encoding="utf-8")
        out[f"{lang} yaml"] = (root / f"{lang}.yaml").read_text(encoding="utf-8")
    plain = run("init-mapping", wide, "-o", root / "plain.yaml")
    assert plain.exit_code == 0, plain.output
    out["plain yaml"] = (root / "plain.yaml").read_text(encoding="utf-8")
    return out


def without_date(text: str) -> str:
    return DATE_LINE.sub("", text)


def crafted(root: Path) -> Path:
    """The wide vendor's file with what a review page must cope with: a person-ID in one Kön cell of ten, a
    heading with markup and a person-ID in it, and a misspelled local value that only a spelling can crosswalk
    (a REVIEW crosswalk)."""
    text = (WIDE / "socialtjanst_export.csv").read_bytes().decode("cp1252")
    header, *rows = text.splitlines()
    columns = header.split(";")
    kon, orsak = columns.index("Kön"), columns.index("Orsak till avslut")
    lines = [f"{header};<i>Handläggare</i> {TEST_ID}"]
    for i, row in enumerate(rows):
        cells = row.split(";")
        if i % 10 == 0:
            cells[kon] = TEST_ID
        cells[orsak] = cells[orsak].replace("Brukaren har flyttat", "Brukaren har flytat")
        lines.append(";".join(cells) + ";x")
    folder = root / "crafted"
    folder.mkdir()
    (folder / "export.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return folder


def articles(page: str) -> dict[tuple[int, str], lxml_html.HtmlElement]:
    """The page's field articles by (table section, heading without the REVIEW mark and the English id)."""
    tree = lxml_html.fromstring(page)
    found = {}
    for i, section in enumerate(tree.xpath("//section[@class='table']")):
        for article in section.xpath(".//article"):
            h3 = article.xpath("./h3")[0]
            name = "".join(h3.xpath("./text()")).strip()
            found[(i, name)] = article
    return found


# -- the YAML and the page ----------------------------------------------------------------------------------------

def test_the_yaml_is_written_as_without_the_page(made, wide, tmp_path):
    assert without_date(made["sv yaml"]) == without_date(made["plain yaml"]) == without_date(made["en yaml"])
    page = tmp_path / "page.html"
    to_stdout = run("init-mapping", wide, "--html", page)
    assert to_stdout.exit_code == 0
    assert without_date(to_stdout.stdout) == without_date(made["plain yaml"])
    assert page.is_file()


def test_the_page_is_self_contained(made):
    for lang in ("sv", "en"):
        page = made[lang]
        assert page.startswith("<!DOCTYPE html>")
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
        assert csp and "default-src 'none'" in unescape(csp.group(1)) and "script-src 'none'" in unescape(csp.group(1))
        assert "<script" not in page.lower()
        assert not re.search(r"\b(src|href)\s*=", page, re.I), "the page must load and link nothing"
        assert "@import" not in page and "url(" not in page
        assert f'<html lang="{lang}">' in page


def test_every_crosswalk_of_the_yaml_is_on_the_page_with_its_records(made, wide):
    mapping = yaml.safe_load(made["sv yaml"])
    in_yaml = {(table, name, local, standard) for table, spec in mapping["tables"].items()
               for name, field in spec["fields"].items() for local, standard in (field.get("values") or {}).items()}
    assert len(in_yaml) >= 10
    profile = api.load()[0]
    drafted = draft(wide, profile)
    records = {(t, n, local): c.records for t, (_, fields) in drafted.plan.items() for n, d in fields.items()
               for local, c in d.values.items()}
    tree = lxml_html.fromstring(made["sv"])
    on_page = set()
    for row in tree.xpath("//table[@class='crosswalks']/tbody/tr"):
        cells = [" ".join(c.text_content().split()) for c in row.xpath("./th|./td")]
        on_page.add((cells[0], cells[2], cells[5].replace("\u00a0", "")))
    assert on_page == {(local, standard, str(records[(t, n, local)])) for t, n, local, standard in in_yaml}


def test_review_fields_are_marked_and_show_their_alternatives(made, wide):
    profile = api.load()[0]
    drafted = draft(wide, profile)
    found = articles(made["sv"])
    tables = [t for t in profile.tables if t in drafted.plan]
    review = alternatives = 0
    for i, table in enumerate(tables):
        for name, d in drafted.plan[table][1].items():
            article = found[(i, profile.tables[table].field(name).title)]
            text = article.text_content()
            marked = "review" in article.get("class").split()
            assert marked == (d.confidence < REVIEW_BELOW), (table, name)
            for a in d.alternatives:
                alternatives += 1
                assert all(c in text for c in a.columns), (table, name, a.columns)
            if marked:
                review += 1
                effects = article.xpath(".//div[@class='effects']")
                assert effects, (table, name)
                shown = effects[0].text_content()
                assert all(f"'{c}'" in shown for c in d.derive or d.columns)
                assert all(f"'{c}'" in shown for a in d.alternatives for c in a.columns)
    assert review == made["sv yaml"].count(":  # REVIEW") >= 5
    assert alternatives >= 10


def test_the_swedish_page_names_no_internal_id(made):
    profile = api.load()[0]
    ids = {f.name for spec in profile.tables.values() for f in spec.fields if "_" in f.name}
    ids |= {t for t in profile.tables if not t.isalpha() or t == "uppfoljning"}
    pattern = re.compile(r"\b(" + "|".join(sorted(ids, key=len, reverse=True)) + r")\b")
    assert pattern.findall(made["sv"]) == []
    # The English page names each field by its id as well, as the YAML does: the pattern finds them.
    assert {"datum_aktualisering", "juridiskt_kon", "uppfoljning_id"} <= set(pattern.findall(made["en"]))


def test_the_page_shows_no_full_person_id(made, wide):
    text = (wide / "socialtjanst_export.csv").read_bytes().decode("cp1252")
    ids = {line.split(";")[0] for line in text.splitlines()[1:] if PERSON_ID.fullmatch(line.split(";")[0])}
    assert len(ids) > 100
    for lang in ("sv", "en"):
        assert not [i for i in ids if i in made[lang] or i[2:] in made[lang]]
        assert not PERSON_ID.search(made[lang])
    masked = re.findall(r"\d{8}-\*{4}", made["sv"])
    assert {m[:8] for m in masked} <= {i[:8] for i in ids} and len(masked) >= 5


def test_english_page(made):
    page = unescape(made["en"])
    for text in ("Review of a draft mapping", "Summary", "Proposed crosswalks of local values", "Evidence",
                 "If you accept the lines marked REVIEW", "heading 'Kön' ~ Juridiskt kön"):
        assert text in page, text
    for swedish in ("Granskning", "Sammanfattning", "Underlag", "liknar"):
        assert swedish not in page


# -- what the page must cope with ---------------------------------------------------------------------------------

def test_a_person_id_in_a_heading_or_a_column_is_masked_and_markup_is_text(tmp_path):
    export = crafted(tmp_path)
    page_path, mapping = tmp_path / "page.html", tmp_path / "draft.yaml"
    result = run("init-mapping", export, "--html", page_path, "-o", mapping)
    assert result.exit_code == 0, result.output
    page = page_path.read_text(encoding="utf-8")
    assert TEST_ID not in page and TEST_ID[2:] not in page and not PERSON_ID.search(page)
    # Masked, not dropped: in the Kön column's values and in the heading no field uses.
    assert page.count("19121212-****") >= 2
    assert "&lt;i&gt;Handläggare&lt;/i&gt; 19121212-****" in page and "<i>" not in page


def test_a_review_crosswalk_says_what_accepting_it_changes(tmp_path):
    export = crafted(tmp_path)
    drafted = draft(export, api.load()[0])
    crosswalk = drafted.plan["insats"][1]["orsak_avslut"].values["Brukaren har flytat"]
    assert crosswalk.confidence < REVIEW_BELOW and crosswalk.standard == "Brukaren har flyttat"
    page_path = tmp_path / "page.html"
    assert run("init-mapping", export, "--html", page_path).exit_code == 0
    article = articles(page_path.read_text(encoding="utf-8"))[(3, "Orsak till avslut av insats")]
    assert "review" not in article.get("class").split()  # the field is sure; only its crosswalk is not
    row = article.xpath(".//table[@class='crosswalks']/tbody/tr[th[normalize-space()='Brukaren har flytat']]")[0]
    assert "REVIEW" in row.text_content()
    effects = " ".join(article.xpath(".//div[@class='effects']")[0].text_content().split())
    assert (f"{crosswalk.records} poster med 'Brukaren har flytat' kontrolleras som 'Brukaren har flyttat' i "
            "stället för att rapporteras som värden utanför standarden.") in effects
    assert "kontrolleras ett fel som rätt" in effects


def test_the_page_is_never_written_over_an_input(wide, tmp_path):
    source = wide / "socialtjanst_export.csv"
    before = source.read_bytes()
    result = run("init-mapping", wide, "--html", source)
    assert result.exit_code == 2 and "skriver aldrig över" in result.output
    lexicon = tmp_path / "mitt.yaml"
    lexicon.write_text("{}\n", encoding="utf-8")
    result = run("init-mapping", wide, "--lexicon", lexicon, "--html", lexicon)
    assert result.exit_code == 2 and lexicon.read_text(encoding="utf-8") == "{}\n"
    assert source.read_bytes() == before


# -- in a real browser --------------------------------------------------------------------------------------------

@needs_browser
def test_browser_renders_the_review_page(made, wide, tmp_path):
    page = tmp_path / "review.html"
    page.write_text(made["sv"], encoding="utf-8")
    dom = render_and_dump(page, tmp_path, "review")
    tree = lxml_html.fromstring(dom)
    drafted = draft(wide, api.load()[0])
    assert tree.xpath("//h1")[0].text_content() == "Granskning av utkast till mappning"
    assert tree.xpath("//section[@id='summary']//table[@class='summary']/tbody/tr")
    assert len(tree.xpath("//section[@class='table']")) == len(drafted.plan)
    assert len(tree.xpath("//article")) == sum(len(fields) for _, fields in drafted.plan.values())
    assert len(tree.xpath("//article[contains(@class, 'review')]")) == made["sv yaml"].count(":  # REVIEW")
    assert len(tree.xpath("//table[@class='crosswalks']/tbody/tr")) == made["sv yaml"].count('": "')
    assert tree.xpath("//section[@id='unmapped']/h2")
    assert not tree.xpath("//script")
