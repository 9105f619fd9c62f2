"""The report as a document to attach to a decision: printed by a real browser (headless chromium through
Playwright) and audited with axe-core.

- A defective vendor's summary fits on at most three A4 pages, and every appendix (bilaga) starts a page of
  its own, in order.
- Every printed page has a header (who the report is about, the reference date) and a footer (the tool and
  profile, page x of y).
- Table headings break between words or at a soft hyphen, never inside a word, on screen and on paper.
- The report, the comparison and the diff pass axe-core's WCAG 2.1 A/AA rules and its landmark and heading
  rules (DOS-lagen asks WCAG 2.1 AA of public-sector web content).

The PDF and page images are kept under test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conform import api
from conform.render.compare import compare, compare_html
from conform.render.diff import diff, diff_html
from conform.generator import generate
from conform.render.document import build
from conform.render.html import report_html
from browser import ARTIFACTS, Browser, axe_problems, broken_words, needs_playwright, pdf_pages

pytestmark = needs_playwright

VENDOR = "Leverantör Prov AB"
SUMMARY_PAGES = 3


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """Reports of a 2,000-person export with defects, of a clean one, and the English report; a comparison of
    three vendors and a diff."""
    root = tmp_path_factory.mktemp("print")
    out = {}
    results = {}
    for name, defects in (("defective", 0.05), ("clean", 0.0), ("some", 0.005)):
        export = root / name
        generate(export, persons=2000 if name == "defective" else 300, defects=defects, seed=7)
        results[name] = api.check(export)
    for name, lang in (("defective", "sv"), ("clean", "sv"), ("defective-en", "en")):
        result = results[name.removesuffix("-en")]
        page = root / f"report-{name}.html"
        page.write_text(report_html(result, lang=lang, vendor=VENDOR, system_version="4.2"), encoding="utf-8")
        out[f"report-{name}"] = page
    documents = {n: build(r) for n, r in results.items()}
    page = root / "compare.html"
    page.write_text(compare_html(compare([documents["clean"], documents["some"], documents["defective"]],
                                         names=["Alfa AB", "Beta AB", "Gamma AB"])), encoding="utf-8")
    out["compare"] = page
    page = root / "diff.html"
    page.write_text(diff_html(diff(documents["some"], documents["defective"])), encoding="utf-8")
    out["diff"] = page
    return out


def printed(browser: Browser, page: Path) -> list[str]:
    pdf = browser.pdf(page, page.with_suffix(".pdf"))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(pdf, ARTIFACTS / pdf.name)
    return pdf_pages(pdf)


def first_page_with(texts: list[str], pattern: str) -> int:
    return next(i for i, text in enumerate(texts, start=1) if re.search(pattern, text))


@pytest.mark.parametrize("name", ["report-defective", "report-clean"])
def test_the_summary_fits_three_pages_and_each_appendix_starts_a_page(browser, pages, name):
    texts = printed(browser, pages[name])
    starts = [first_page_with(texts, rf"Bilaga {n}\. ") for n in range(1, 7)]
    assert 2 <= starts[0] <= SUMMARY_PAGES + 1, f"the summary takes {starts[0] - 1} pages"
    assert starts == sorted(starts) and len(set(starts)) == 6, starts
    for n, start in enumerate(starts, start=1):
        # The appendix's heading is the first thing on its page, after the running header.
        body = texts[start - 1].split("Sida ", 1)[-1]
        assert re.search(rf"^\d+ av \d+\D.{{0,120}}?Bilaga {n}\. ", body), (n, body[:200])
    summary = " ".join(texts[:starts[0] - 1])
    assert "Krav per informationsmängd" in summary and "Vad betyder detta – nästa steg" in summary
    if name == "report-defective":
        assert "Ej godkänd" in summary and "Det som hindrar godkänt" in summary
        assert "Begär av leverantören en rättad export" in summary
    else:
        assert "Inget hindrar godkänt" in summary


def test_every_printed_page_has_a_header_and_a_footer(browser, pages):
    texts = printed(browser, pages["report-defective"])
    assert len(texts) > SUMMARY_PAGES + 6
    for number, text in enumerate(texts, start=1):
        assert f"Rapport för {VENDOR}" in text, number
        assert "Referensdatum 2025-06-30" in text, number
        assert f"Sida {number} av {len(texts)}" in text, number
        assert "conform " in text and "basinformation-1.0" in text, number
    english = printed(browser, pages["report-defective-en"])
    assert f"Page 1 of {len(english)}" in english[0] and "Reference date 2025-06-30" in english[0]


@pytest.mark.parametrize("media,width", [("screen", 1280), ("screen", 900), ("print", 700)])
def test_headings_never_break_inside_a_word(browser, pages, media, width):
    tab = browser.open(pages["report-defective"])
    assert broken_words(tab, "thead th", width, media) == []
    tab.close()
    tab = browser.open(pages["compare"])
    assert broken_words(tab, "thead th", width, media) == []
    tab.close()


def test_a_word_split_inside_is_detected(browser, tmp_path):
    """The measure above can fail: a heading squeezed into a narrow column with overflow-wrap: anywhere."""
    page = tmp_path / "narrow.html"
    page.write_text('<!DOCTYPE html><html lang="sv"><body><table><thead><tr>'
                    '<th style="width: 30px; overflow-wrap: anywhere">Äldreomsorg</th></tr></thead></table>'
                    '</body></html>', encoding="utf-8")
    tab = browser.open(page)
    assert broken_words(tab, "thead th", 800) == ["Äldreomsorg"]
    tab.close()


@pytest.mark.parametrize("name", ["report-defective", "report-clean", "report-defective-en", "compare", "diff"])
def test_pages_pass_the_automated_accessibility_check(browser, pages, name):
    results = browser.axe(pages[name])
    assert axe_problems(results) == []


def test_the_accessibility_check_finds_a_violation(browser, tmp_path):
    """axe is really running: a page without lang, with an image without alt text and pale text, fails."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><main><h1>x</h1><img src="data:image/png;base64,">'
                    '<p style="color:#ccc;background:#fff">blek text</p></main></body></html>', encoding="utf-8")
    problems = " ".join(axe_problems(browser.axe(page)))
    assert "html-has-lang" in problems and "image-alt" in problems and "color-contrast" in problems


def test_the_pages_stay_silent_and_load_nothing(browser, pages):
    for name, page in pages.items():
        tab = browser.open(page)
        assert tab.console_problems == [], name
        tab.close()
