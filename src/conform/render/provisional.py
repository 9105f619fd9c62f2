"""What a provisional result says (the verdict through a mapping with something left to review, see
docs/mapping.md): the mapping file, how much is left, the fields it concerns, the mapping questions, how many
findings depend on it and the verdict once reviewed as the mapping stands. Read from the result document only,
worded in its language, fields by the standard's names (the drafter's reasons are in the mapping file)."""

from __future__ import annotations

from conform.catalogue import fill, plural
from conform.formatting import Formatter
from conform.model import open_fields
from conform.personnummer import mask_text
from conform.render.templates import basename, printable


def provisional(document: dict, titles: dict[str, str], L: dict) -> dict | None:
    """The provisional box's texts (None for a final verdict). `titles`: "table.field" -> the standard's name;
    `L`: the catalogue's labels in the document's language."""
    if document["summary"]["verdict"] != "provisional":
        return None
    fmt = Formatter(document["language"])
    figures, open_items = document["summary"]["provisional"], document["mapping"]["open_items"]
    questions = open_items["questions"]
    P = L["html"]["provisional"]
    verdict = L["verdict_names"][document["summary"]["verdict_if_reviewed"]]
    items = plural(L["items_word"], figures["open_items"])
    return {
        "lead": fill(P["lead"], file=printable(basename(document["mapping"]["path"])),
                     open=fmt.int(figures["open_items"]), items=items),
        "draft": P["draft"] if open_items["draft"] else None,
        "fields": list(dict.fromkeys(titles.get(key, key.split(".", 1)[1]) for key in open_fields(open_items))),
        "findings": P["findings"].format(findings=fmt.int(figures["findings"])),
        "if_reviewed": P["if_reviewed"].format(verdict=verdict),
        "text": fill(L["provisional_text"], file=printable(basename(document["mapping"]["path"])),
                     open=fmt.int(figures["open_items"]), items=items, findings=fmt.int(figures["findings"]),
                     verdict=verdict.upper()),
        "questions": [_question(q, titles, L, fmt) for q in questions],
    }


def _question(q: dict, titles: dict[str, str], L: dict, fmt: Formatter) -> str:
    """One mapping question's line; with the code table's text where the export's code table explains the value
    (format 1.7 on)."""
    text = q.get("text")
    return fill(L["mapping_question_coded" if text else "mapping_question"],
                field=titles.get(f"{q['table']}.{q['field']}", q["field"]), value=printable(mask_text(q["value"])),
                text=printable(mask_text(text or "")), records=fmt.int(q["records"]), share=fmt.share(q["share"]),
                closest=q["closest"] or L["no_closest"])
