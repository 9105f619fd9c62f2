"""`conform report … --pdf FILE`: the HTML report laid out as PDF/A-3b for a municipality's diarium, carrying the
result JSON as an associated file. Real runs of the command line on fixtures/example (and example-defects for
person-IDs), read back with pypdf.

The embedded JSON is compared with what `conform check --format json` writes with nothing dropped: both runs have
SOURCE_DATE_EPOCH set (conform.clock), which fixes `generated_at`, the one field that names the time a result was
made. Without it, two PDFs of the same input differ in that field only (and in the attachment's dates, which are
that field): tested too.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pypdf
import pytest
import time_machine
from click.testing import CliRunner

from conform.cli import main
from conform.errors import UsageError
from conform.model import ExitCode
from conform.render.pdf import library, report_pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "fixtures" / "example"
DEFECTS = ROOT / "fixtures" / "example-defects"
AS_OF = ["--as-of", "2025-06-30"]
EPOCH = "1735689600"  # 2025-01-01T00:00:00Z
VENDOR = "Leverantör AB"
FULL_ID = re.compile(r"\b(?:19|20)\d{6}-?[0-9A-Z]{4}\b")
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _pango_missing() -> str | None:
    try:
        library()
    except UsageError as exc:
        return exc.text("en")
    return None


# As the browser tests need chromium: a machine without the Pango library cannot lay out a PDF (.ci/run installs
# it, so CI runs every test here); there `--pdf` ends in one line naming what to install, tested below anyway.
needs_pango = pytest.mark.skipif(_pango_missing() is not None, reason=f"{_pango_missing()}")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """One report of fixtures/example as PDF and HTML together, and the check's JSON, made with a fixed
    SOURCE_DATE_EPOCH and fingerprint key (set here: the suite's function-scoped fixtures come after a module's)."""
    folder = tmp_path_factory.mktemp("pdf")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setenv("CONFORM_FINGERPRINT_KEY", "conform-test-key-not-secret-0000")
        report = run("report", EXAMPLE, *AS_OF, "--vendor", VENDOR, "--pdf", folder / "rapport.pdf",
                     "--html", folder / "rapport.html")
        assert report.exit_code == ExitCode.OK, report.output
        checked = run("check", EXAMPLE, *AS_OF, "--format", "json", "--output", folder / "result.json")
        assert checked.exit_code == ExitCode.OK, checked.output
    return {"pdf": folder / "rapport.pdf", "html": folder / "rapport.html", "json": folder / "result.json",
            "folder": folder}


def attachments(path: Path) -> dict[str, bytes]:
    return {name: contents[0] for name, contents in pypdf.PdfReader(path).attachments.items()}


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


# -- (1) PDF/A-3b: what the file declares ---------------------------------------------------------------------

@needs_pango
def test_xmp_declares_pdf_a_3b(made):
    reader = pypdf.PdfReader(made["pdf"])
    xmp = ET.fromstring(re.search(rb"<rdf:RDF.*</rdf:RDF>", reader.xmp_metadata.stream.get_data(), re.DOTALL).group(0))
    declared = [d.attrib for d in xmp.iter(f"{RDF}Description") if f"{PDFAID}part" in d.attrib]
    assert [(d[f"{PDFAID}part"], d[f"{PDFAID}conformance"]) for d in declared] == [("3", "B")]
    assert reader.pdf_header == "%PDF-1.7"
    root = reader.trailer["/Root"]
    # An sRGB output intent for PDF/A, and the document's language.
    assert [intent["/S"] for intent in root["/OutputIntents"]] == ["/GTS_PDFA1"]
    assert root["/Lang"] == "sv"
    # Every font is embedded (PDF/A forbids relying on the reader's fonts), and they are the DejaVu the page names.
    fonts = {font["/BaseFont"] for page in reader.pages for font in
             (f.get_object() for f in page["/Resources"]["/Font"].values())}
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+DejaVu-Sans(-Mono)?(-Bold|-Oblique)*", f) for f in fonts), fonts
    for font in (f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()):
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor, font["/BaseFont"]


@needs_pango
def test_the_result_is_an_associated_file_of_type_json(made):
    reader = pypdf.PdfReader(made["pdf"])
    root = reader.trailer["/Root"]
    associated = [f.get_object() for f in root["/AF"]]
    assert len(associated) == 1  # named once (WeasyPrint itself lists it twice)
    spec = associated[0]
    assert (spec["/F"], spec["/UF"], spec["/AFRelationship"]) == ("resultat.json", "resultat.json", "/Data")
    assert spec["/Desc"].startswith("Kontrollens resultat")
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application/json"
    # The attachment's dates are the result's own generated_at (SOURCE_DATE_EPOCH here), never the clock's.
    assert stream["/Params"]["/ModDate"] == stream["/Params"]["/CreationDate"] == "D:20250101000000Z"
    # The document states no time of making: no dates in the Info dictionary or in the XMP.
    assert not {"/CreationDate", "/ModDate"} & set(reader.metadata)
    assert b"CreateDate" not in reader.xmp_metadata.stream.get_data()
    assert b"ModifyDate" not in reader.xmp_metadata.stream.get_data()


# -- (2) the attachment is the check's JSON -------------------------------------------------------------------

@needs_pango
def test_attachment_is_what_check_writes(made):
    """Byte for byte, nothing dropped: both were made with the same SOURCE_DATE_EPOCH and fingerprint key."""
    embedded = attachments(made["pdf"])
    assert list(embedded) == ["resultat.json"]
    assert embedded["resultat.json"] == made["json"].read_bytes()
    document = json.loads(embedded["resultat.json"])
    assert document["format"] == "conform-result" and document["as_of"] == "2025-06-30"
    assert document["generated_at"] == "2025-01-01T00:00:00Z"
    assert document["fingerprints"] is not None


@needs_pango
def test_english_report_attaches_result_json_in_english(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    made = run("report", EXAMPLE, *AS_OF, "--lang", "en", "--pdf", tmp_path / "report.pdf")
    assert made.exit_code == ExitCode.OK, made.output
    assert "PDF report written to" in made.output
    checked = run("check", EXAMPLE, *AS_OF, "--lang", "en", "--format", "json", "--output", tmp_path / "en.json")
    assert checked.exit_code == ExitCode.OK
    embedded = attachments(tmp_path / "report.pdf")
    assert list(embedded) == ["result.json"]
    assert embedded["result.json"] == (tmp_path / "en.json").read_bytes()
    texts = page_texts(tmp_path / "report.pdf")
    assert f"Page 1 of {len(texts)}" in texts[0]


# -- (3) headers and footers, (4) Swedish text --------------------------------------------------------------------

@needs_pango
def test_every_page_has_its_header_and_footer(made):
    texts = page_texts(made["pdf"])
    pages = len(texts)
    assert pages >= 7  # the summary and six appendices, each on a page of its own
    for number in {1, pages}:
        text = texts[number - 1]
        assert f"Rapport för {VENDOR}" in text
        assert "Referensdatum 2025-06-30" in text
        assert f"Sida {number} av {pages}" in text
        assert "conform 0.1.0 · basinformation-1.0 1.0.0" in text
    assert all(f"Sida {n} av {pages}" in text for n, text in enumerate(texts, 1))


@needs_pango
def test_swedish_text_extracts_as_written(made):
    text = "\n".join(page_texts(made["pdf"]))
    for words in ["Informationsmängd", "Samordnad individuell plan", "Måluppfyllelse", "Bilaga 6",
                  "Bedömningen vilar på", "Äldreomsorg", "Funktionshindersområdet", "Ekonomiskt bistånd",
                  "Skall-krav uppfyllda: 17 av 17"]:
        assert words in text, words
    assert "\ufffd" not in text


@needs_pango
def test_the_pdf_is_the_html_report(made):
    """What the page says, the PDF says: the headings of the HTML written beside it, in order."""
    html = made["html"].read_text(encoding="utf-8")
    headings = [re.sub(r"<[^>]+>", "", h).replace("&amp;", "&").strip()
                for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.DOTALL)]
    text = re.sub(r"\s+", " ", "\n".join(page_texts(made["pdf"])))
    positions = [text.find(h) for h in headings if "visually-hidden" not in h]
    assert len(positions) >= 6 and -1 not in positions and positions == sorted(positions), headings


@needs_pango
def test_charts_are_drawn_in_the_series_colours(made):
    """The charts' SVG is styled by the page's CSS (WeasyPrint reads only an SVG's own <style>): every bar of the
    first two series is filled in its colour of report.css, not in SVG's default black (the legend's keys, HTML,
    would show the colours either way)."""
    css = (ROOT / "reports_templates" / "report.css").read_text(encoding="utf-8")
    html = made["html"].read_text(encoding="utf-8")
    streams = b"".join(page.get_contents().get_data() for page in pypdf.PdfReader(made["pdf"]).pages)
    fills = [tuple(round(float(v), 3) for v in m.groups())
             for m in re.finditer(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", streams)]
    for n in range(2):
        colour = re.search(rf"--s{n}:\s*#([0-9a-f]{{6}})", css).group(1)
        bars = len(re.findall(rf'<rect class="s{n}"', html))
        assert bars >= 5
        assert fills.count(tuple(round(int(colour[i:i + 2], 16) / 255, 3) for i in (0, 2, 4))) >= bars, colour


# -- (5) --from ----------------------------------------------------------------------------------------------------

@needs_pango
def test_report_from_a_stored_result_gives_the_pdf(made, tmp_path):
    stored = made["json"]
    out = tmp_path / "från.pdf"
    again = run("report", "--from", stored, "--vendor", VENDOR, "--pdf", out)
    assert again.exit_code == ExitCode.OK, again.output
    assert "PDF-rapporten skriven till" in again.output
    # The stored result as loaded, and the same pages as the report made from the export.
    assert attachments(out) == {"resultat.json": stored.read_bytes()}
    assert page_texts(out) == page_texts(made["pdf"])


@needs_pango
def test_a_stored_result_with_full_ids_is_attached_masked(tmp_path, monkeypatch):
    """A result made with --reveal-ids, reported without it: the page masks person-IDs, and so does the JSON the
    PDF carries; with --reveal-ids they stay in full in both."""
    revealed = tmp_path / "revealed.json"
    assert run("check", DEFECTS, *AS_OF, "--format", "json", "--reveal-ids", "--output", revealed).exit_code == 1
    full = {e["key"] for r in json.loads(revealed.read_text(encoding="utf-8"))["rules"] for e in r["examples"]
            if e["key"] and FULL_ID.fullmatch(e["key"])}
    assert len(full) > 5
    made = run("report", "--from", revealed, "--pdf", tmp_path / "masked.pdf")
    assert made.exit_code == ExitCode.FINDINGS, made.output
    embedded = attachments(tmp_path / "masked.pdf")["resultat.json"].decode("utf-8")
    text = "\n".join(page_texts(tmp_path / "masked.pdf"))
    assert json.loads(embedded)["person_ids_masked"] is True
    assert not {i for i in full if i in embedded or i in text}
    assert re.search(r"\b\d{8}-\*\*\*\*", text) and re.search(r"\b\d{8}-\*\*\*\*", embedded)
    shown = run("report", "--from", revealed, "--reveal-ids", "--pdf", tmp_path / "full.pdf")
    assert shown.exit_code == ExitCode.FINDINGS, shown.output
    assert attachments(tmp_path / "full.pdf")["resultat.json"] == revealed.read_bytes()


# -- (6) the same input gives the same bytes ------------------------------------------------------------------

@needs_pango
def test_same_input_gives_the_same_bytes_a_year_later(made, tmp_path, monkeypatch):
    """With the clock a year ahead, the same input, --as-of and SOURCE_DATE_EPOCH give the same PDF, byte for
    byte: WeasyPrint's own default dates (now) reach nothing."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=365), tick=False):
        again = run("report", EXAMPLE, *AS_OF, "--vendor", VENDOR, "--pdf", tmp_path / "again.pdf")
    assert again.exit_code == ExitCode.OK, again.output
    assert (tmp_path / "again.pdf").read_bytes() == made["pdf"].read_bytes()


@needs_pango
def test_without_source_date_epoch_only_the_results_creation_time_differs(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    today = tmp_path / "today.pdf"
    later = tmp_path / "later.pdf"
    assert run("report", EXAMPLE, *AS_OF, "--pdf", today).exit_code == ExitCode.OK
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=365), tick=False):
        assert run("report", EXAMPLE, *AS_OF, "--pdf", later).exit_code == ExitCode.OK
    first, second = (pypdf.PdfReader(p) for p in (today, later))
    assert [p.get_contents().get_data() for p in first.pages] == [p.get_contents().get_data() for p in second.pages]
    a, b = (json.loads(attachments(p)["resultat.json"]) for p in (today, later))
    assert a.pop("generated_at") != b.pop("generated_at")
    assert a == b


# -- (7) errors: one line, never over an input, never a traceback --------------------------------------------------

@needs_pango
def test_refuses_to_write_over_an_input(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    for source in EXAMPLE.iterdir():
        (export / source.name).write_bytes(source.read_bytes())
    target = export / "person.csv"
    before = target.read_bytes()
    refused = run("report", export, *AS_OF, "--pdf", target)
    assert refused.exit_code == ExitCode.NOT_CHECKED
    assert refused.output.strip().splitlines() == [
        f"conform: {target} är en fil i exporten; conform skriver aldrig över sina indata. Välj en annan sökväg."]
    assert target.read_bytes() == before
    # Nor over the stored result a report is made from, nor over the HTML written beside it.
    stored = tmp_path / "result.json"
    assert run("check", export, *AS_OF, "--format", "json", "--output", stored).exit_code == ExitCode.OK
    kept = stored.read_bytes()
    refused = run("report", "--from", stored, "--pdf", stored, "--lang", "en")
    assert refused.exit_code == ExitCode.NOT_CHECKED
    assert "is the result the report is made from" in refused.output
    assert stored.read_bytes() == kept
    same = run("report", export, *AS_OF, "--html", tmp_path / "r.pdf", "--pdf", tmp_path / "r.pdf")
    assert same.exit_code == ExitCode.NOT_CHECKED and "samma fil" in same.output
    assert not (tmp_path / "r.pdf").exists()


@needs_pango
def test_pdf_alone_needs_no_html_and_writes_nothing_on_standard_output(made, tmp_path):
    made_alone = run("report", "--from", made["json"], "--pdf", tmp_path / "r.pdf")
    assert made_alone.exit_code == ExitCode.OK
    assert made_alone.stdout == ""
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-1.7")


@pytest.mark.parametrize("lang, words", [("sv", "WeasyPrint hittar inte systembiblioteket libpango-1.0-0"),
                                         ("en", "WeasyPrint cannot find the system library libpango-1.0-0")])
def test_missing_pango_is_one_line_naming_what_to_install(tmp_path, lang, words):
    """WeasyPrint fails to import without Pango (printing a banner on standard output and raising OSError, as
    its text/ffi.py does): a stand-in package that does just that comes first on the path."""
    fake = tmp_path / "fake" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "print('\\n-----\\n\\nWeasyPrint could not import some external libraries.\\n\\n-----\\n')\n"
        "raise OSError(\"cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file: "
        "No such file or directory\")\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(fake.parent)}
    ran = subprocess.run([sys.executable, "-m", "conform", "report", str(EXAMPLE), *AS_OF, "--lang", lang,
                          "--pdf", str(tmp_path / "r.pdf")], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert ran.returncode == ExitCode.NOT_CHECKED
    assert ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], ran.stderr
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" in lines[0]
    assert not (tmp_path / "r.pdf").exists()


# -- nothing is fetched --------------------------------------------------------------------------------------------

def png() -> bytes:
    """A 1×1 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


@needs_pango
def test_only_data_uris_are_loaded(tmp_path, monkeypatch):
    """A page naming an image on disk, one on the network and one as a data: URI: only the data: URI is drawn
    (the report itself names none; this holds if a value ever did)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    (tmp_path / "red.png").write_bytes(png())
    inline = base64.b64encode(png()).decode("ascii")
    page = (f'<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>t</title>'
            f'<link rel="stylesheet" href="{(tmp_path / "x.css").as_uri()}"></head><body><p>Hej</p>'
            f'<img src="{(tmp_path / "red.png").as_uri()}" alt="fil">'
            f'<img src="http://127.0.0.1:9/red.png" alt="nät">'
            f'<img src="data:image/png;base64,{inline}" alt="data"></body></html>')
    document = {"generated_at": "2025-01-01T00:00:00Z"}
    reader = pypdf.PdfReader(io.BytesIO(report_pdf(page, json.dumps(document), "sv")))
    assert len(reader.pages[0].images) == 1
    assert "Hej" in reader.pages[0].extract_text()
