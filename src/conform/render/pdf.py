"""The PDF report for a municipality's diarium: the HTML report (conform.render.html) laid out as PDF/A-3b, with
the result JSON embedded as an associated file, so that the filed document carries the machine-readable result.

One job: the page's HTML and the result's JSON text in, the PDF's bytes out. The page is the one `conform report
--html` writes, so it shows what it shows (the summary first, the appendices, person-IDs masked as there); its
running headers and footers (who, the reference date, page x of y) are the page's own @page margin boxes. Only
the fonts are set here, in a user stylesheet: the DejaVu fonts the project installs (fonts-dejavu-core), so that
the PDF does not depend on which other fonts a machine has.

Laid out by WeasyPrint, which needs the Pango system libraries: where they cannot be loaded, a UsageError names
what to install (WeasyPrint's own banner, printed on standard output, is swallowed). Nothing is fetched: the
page loads nothing, and a URL fetcher that refuses everything but data: URIs makes sure of it.

The same HTML and JSON give the same bytes: the PDF states no creation or modification time (the Info dictionary
and the XMP metadata have none), the attachment's dates are the result's own `generated_at` (when the JSON was
made; SOURCE_DATE_EPOCH fixes it, conform.clock), and the file identifier is a hash of the content.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from datetime import datetime, timezone

from conform.catalogue import labels
from conform.errors import UsageError

VARIANT = "pdf/a-3b"
MIME_TYPE = "application/json"
# ISO 19005-3 names how an associated file relates to the document: the report is a rendering of this data.
RELATIONSHIP = "Data"
# User-origin rules, so !important: they override the page's own font stacks (report.css, the @page boxes).
FONTS_CSS = """
html, body, svg.chart text { font-family: "DejaVu Sans", sans-serif !important; }
.mono, .value, .rule h3 .code, .examples td.where { font-family: "DejaVu Sans Mono", monospace !important; }
@page {
  @top-left { font-family: "DejaVu Sans", sans-serif !important; }
  @top-right { font-family: "DejaVu Sans", sans-serif !important; }
  @bottom-left { font-family: "DejaVu Sans", sans-serif !important; }
  @bottom-right { font-family: "DejaVu Sans", sans-serif !important; }
}
"""
INSTALL = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


def report_pdf(page: str, result_json: str, lang: str) -> bytes:
    """The report `page` (HTML) as PDF/A-3b, with `result_json` (the text of a result document) embedded as
    the attachment named in `lang` (resultat.json, result.json)."""
    weasyprint = library()
    words = labels(lang)["pdf"]
    made = _generated_at(result_json)
    attachment = weasyprint.Attachment(
        string=result_json.encode("utf-8"), name=words["attachment_name"],
        description=words["attachment_description"], created=made, modified=made, relationship=RELATIONSHIP)
    fetcher = _offline_fetcher(weasyprint)
    document = weasyprint.HTML(string=_charts_styled(page), url_fetcher=fetcher).render(
        stylesheets=[weasyprint.CSS(string=FONTS_CSS, url_fetcher=fetcher)])
    # No time of making: the <meta> elements that would set one are not on the page, and none is set here.
    document.metadata.created = document.metadata.modified = None
    return document.write_pdf(pdf_variant=VARIANT, attachments=[attachment], finisher=_finished)


def _charts_styled(page: str) -> str:
    """The page with its own style rules given to each inline chart as well. A browser styles an inline <svg>
    by the page's CSS; WeasyPrint draws it by the SVG's own <style> only, and knows no var(): so each chart gets
    the page's rules (those at the top level of its <style>), with the :root custom properties put in."""
    import tinycss2  # WeasyPrint's own CSS parser, there whenever WeasyPrint is

    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    if style is None:
        return page
    rules = [r for r in tinycss2.parse_stylesheet(style.group(1), skip_comments=True, skip_whitespace=True)
             if r.type == "qualified-rule"]
    custom = {d.name: tinycss2.serialize(d.value).strip()
              for r in rules if tinycss2.serialize(r.prelude).strip() == ":root"
              for d in tinycss2.parse_declaration_list(r.content, skip_comments=True, skip_whitespace=True)
              if d.type == "declaration" and d.name.startswith("--")}
    text = "\n".join(tinycss2.serialize([r]) for r in rules)
    text = re.sub(r"var\(\s*(--[\w-]+)\s*\)", lambda m: custom.get(m.group(1), m.group(0)), text)
    # WeasyPrint splits a `font` shorthand into size and family after the cascade, over any family an !important
    # rule set: split here (as it would), so that the fonts set below hold in the charts too.
    text = re.sub(r"(?<![\w-])font:\s*(\S+)\s+([^;}]+)", r"font-size: \1; font-family: \2", text) + FONTS_CSS
    # Within the SVG the CSS is character data of a <style> element: no "<" may end it.
    text = text.replace("<", "\\3c ")
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + "<style>" + text + "</style>", page)


def _finished(_document, pdf) -> None:
    """The attachment's MIME type stated, not guessed from its name by the platform's mime database; and the
    catalogue's list of associated files (AF) naming it once (WeasyPrint 70 lists it twice)."""
    for item in pdf.objects:
        if isinstance(item, dict) and item.get("Type") == "/Filespec":
            stream = pdf.objects[int(item["EF"]["F"].split()[0])]
            stream.extra["Subtype"] = "/" + MIME_TYPE.replace("/", "#2f")
    if "AF" in pdf.catalog:
        files = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(files)


def _generated_at(result_json: str) -> datetime:
    """When the result was made, as the result says, in UTC without a zone (WeasyPrint writes it with a Z)."""
    made = datetime.fromisoformat(json.loads(result_json)["generated_at"].replace("Z", "+00:00"))
    return made.astimezone(timezone.utc).replace(tzinfo=None) if made.tzinfo else made


def library():
    """WeasyPrint, imported now (the command line asks before a check, so that a missing library is said before
    minutes of checking): importing it loads Pango, and where Pango is missing it prints a banner on standard
    output and raises OSError. That becomes one line naming what to install."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint
    except OSError as exc:
        named = re.search(r"cannot load library '([^']+)'", str(exc))
        raise UsageError("pdf_libraries", library=named.group(1) if named else "Pango", packages=INSTALL) from None
    except ImportError as exc:
        raise UsageError("pdf_weasyprint_missing", detail=exc.name or exc) from None
    return weasyprint


def _offline_fetcher(weasyprint):
    """A URL fetcher that fetches nothing from the network or the disk: a data: URI is read, anything else refused
    (WeasyPrint then leaves the resource out)."""

    class Offline(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                raise ValueError(f"conform loads nothing: {url[:80]}")
            return super().fetch(url, headers)

    return Offline(allowed_protocols=("data",))
