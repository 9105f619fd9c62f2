"""The mapping review as a form, for the domain expert who knows what a local code means: per field the column it
is read from (the file's columns, each with its most common values, masked), per local value the standard value
it means or "leave as it is" (with its records), and every guess of the draft to confirm.

What the form shows comes from the mapping file, the vendor's last result (the local values and their records:
`mapping.crosswalks`, `mapping.left_as_written`, the open questions) and the export's columns
(:func:`conform.input.mapping.samples.column_samples`). A saved form gives the mapping file's document with the
person's choices: a crosswalk or ``as_written`` per local value, the ``review`` line gone where the field is
confirmed, an ``unmapped`` item gone where it is settled, and ``draft`` gone when the whole is confirmed. The
form's inputs are numbered, never named by a heading or a value of the export, so no person-ID travels in them;
the mapping's digest rides with the form, so a form shown before another change cannot overwrite it.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass

import polars as pl

from conform.catalogue import fill, labels
from conform.formatting import int_text
from conform.input.mapping.columns import best_format
from conform.input.mapping.draft_yaml import review_reasons
from conform.input.mapping.proposals import Draft
from conform.input.mapping.questions import standard_values
from conform.input.mapping.spec import FieldMap, Mapping
from conform.personnummer import mask_text
from conform.profile import Profile
from conform.render.review import reader_names

AS_WRITTEN = "asis"
KEEP = "keep"     # a field's column the file's columns do not list (a sheet named alone, say): kept as it is
MASKED = "-****"  # what mask_text leaves of a person-ID: such a value cannot be crosswalked, nor is it a question


@dataclass(frozen=True)
class Local:
    """One local value of a field, as the form lists it."""

    value: str
    records: int
    question: bool = False
    closest: str | None = None


def draft_notes(draft: Draft, languages: tuple[str, ...]) -> dict:
    """The draft's notes in each language, for a page that shows a field's guess or an open question in its
    reader's words (the mapping file holds them in English): ``fields`` by "table.field", ``unmapped`` by the
    item's text in the file."""
    names = {lang: reader_names(draft.profile, lang) for lang in languages}
    fields = {f"{table}.{name}": {lang: mask_text("; ".join(review_reasons(d, lang, names[lang])))
                                  for lang in languages}
              for table, (_, drafted) in draft.plan.items() for name, d in drafted.items() if review_reasons(d)}
    unmapped = {u.text(): {lang: mask_text(u.text(lang, names[lang])) for lang in languages} for u in draft.unmapped}
    return {"fields": fields, "unmapped": unmapped}


def digest(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def locals_of(mapping: Mapping, document: dict | None, table: str, name: str) -> list[Local]:
    """The local values of a field the form asks about, in a fixed order: those the mapping crosswalks or leaves
    as written, then the export's other non-standard values, the most frequent first (from the last result)."""
    f = mapping.tables[table].fields.get(name)
    found = (document or {}).get("mapping") or {}
    records: dict[str, int] = {}
    for use in found.get("crosswalks", []):
        if (use["table"], use["field"]) == (table, name):
            records[use["local"]] = use["records"]
    for left in found.get("left_as_written", []):
        if (left["table"], left["field"]) == (table, name):
            records[left["value"]] = left["records"]
    questions = {q["value"]: q for q in ((found.get("open_items") or {}).get("questions") or [])
                 if (q["table"], q["field"]) == (table, name)}
    listed = list(dict.fromkeys([*f.values, *f.as_written, *records, *questions] if f else [*records, *questions]))
    return [Local(v, records.get(v, questions.get(v, {}).get("records", 0)), v in questions,
                  questions[v]["closest"] if v in questions else None) for v in listed if MASKED not in v]


def review_form(mapping: Mapping, document: dict | None, columns: dict[str, list[dict]], notes: dict,
                profile: Profile, lang: str) -> dict:
    """What the page shows, every text worded in `lang` and every value of the export masked."""
    W = labels(lang)["serve"]
    nouns = labels(lang)["html"]["table_nouns"]
    general = []
    by_field: dict[tuple[str, str], list[dict]] = {}
    for i, (table, name, text) in enumerate(mapping.unmapped):
        item = {"i": i, "text": _note(notes.get("unmapped", {}).get(text), lang, text, W["open_item"])}
        if table in mapping.tables and name:
            by_field.setdefault((table, name), []).append(item)
        else:
            general.append(item)
    tables = []
    for table, tmap in mapping.tables.items():
        heads = columns_of(columns, tmap.source)
        fields = []
        for spec in profile.tables[table].fields:
            f = tmap.fields.get(spec.name)
            key = f"{table}.{spec.name}"
            allowed = standard_values(profile, table, spec.name)
            fields.append({
                "key": key, "name": spec.title, "fixed": _fixed(f, W),
                "options": [(i, _option(h, W)) for i, h in enumerate(heads)],
                "chosen": next((i for i, h in enumerate(heads) if f and h["column"] == f.column),
                               KEEP if f and f.column else None),
                "kept": mask_text(f.column) if f and f.column else "",
                "review": None if f is None or f.review is None else
                _note(notes.get("fields", {}).get(key), lang, f.review, W["guess_generic"]),
                "standard": allowed,
                "values": [{"local": mask_text(v.value), "records": int_text(v.records, lang),
                            "question": v.question, "closest": v.closest,
                            "chosen": _chosen_value(f, v.value, allowed)}
                           for v in (locals_of(mapping, document, table, spec.name) if allowed else [])],
                "unmapped": by_field.pop((table, spec.name), []),
            })
        tables.append({"id": table, "noun": nouns.get(table, [table])[0], "source": mask_text(tmap.source),
                       "fields": fields})
    general += [item for items in by_field.values() for item in items]
    return {"draft": mapping.draft, "tables": tables, "general": general}


def reviewed(form, mapping: Mapping, document: dict | None, columns: dict[str, list[dict]],
             profile: Profile) -> dict:
    """The mapping file's document with the filled-in form's choices (see the module's description)."""
    data = copy.deepcopy(mapping.doc.data)
    for table, tmap in mapping.tables.items():
        heads = columns_of(columns, tmap.source)
        fields = data["tables"][table]["fields"]
        for spec in profile.tables[table].fields:
            key, f = f"{table}.{spec.name}", tmap.fields.get(spec.name)
            if f is None or f.column is not None:
                _column(fields, spec, heads, form.get(f"column.{key}"))
            if spec.name not in fields:
                continue
            allowed = standard_values(profile, table, spec.name)
            if allowed:
                _values(fields, spec.name, allowed, form, key, locals_of(mapping, document, table, spec.name))
            if form.get(f"reviewed.{key}") and isinstance(fields[spec.name], dict):
                fields[spec.name].pop("review", None)
    settled = {i for i in range(len(mapping.unmapped)) if form.get(f"settled.{i}")}
    if "unmapped" in data:
        data["unmapped"] = [item for i, item in enumerate(data["unmapped"] or []) if i not in settled]
    if form.get("whole"):
        data.pop("draft", None)
    return data


def _index(chosen, count: int) -> int | None:
    """An option's number as the form sent it, None unless it is one of `count` (a crafted value is ignored)."""
    if isinstance(chosen, str) and re.fullmatch(r"[0-9]{1,9}", chosen) and int(chosen) < count:
        return int(chosen)
    return None


def columns_of(columns: dict[str, list[dict]], source: str) -> list[dict]:
    """The listed columns of a mapping's source: by its id, or by a lone workbook's sheet named alone (as the
    check finds it: conform.input.mapping.apply)."""
    if source in columns:
        return columns[source]
    sheets = [sid for sid in columns if ":" in sid and sid.rsplit(":", 1)[1] == source]
    return columns[sheets[0]] if len(sheets) == 1 else []


def _column(fields: dict, spec, heads: list[dict], chosen) -> None:
    """A field read from one column: the column chosen (an index into the file's columns), none, or as it was."""
    if chosen == "":
        fields.pop(spec.name, None)
        return
    at = _index(chosen, len(heads))
    if at is None:
        return
    head = heads[at]
    current = fields.get(spec.name)
    entry = dict(current) if isinstance(current, dict) else {}
    if entry.get("column") == head["column"] or current == head["column"]:
        return
    entry["column"] = head["column"]
    if spec.type == "date" and "date_format" not in entry and head["samples"]:
        fmt, share = best_format(pl.Series([str(v) for v, _ in head["samples"]]))
        if fmt and fmt != "%Y-%m-%d" and share > 0.5:
            entry["date_format"] = fmt
    fields[spec.name] = entry


def _values(fields: dict, name: str, allowed: list[str], form, key: str, local: list[Local]) -> None:
    """Each local value's choice: a standard value (a crosswalk), as written, or not answered (neither)."""
    entry = fields[name] if isinstance(fields[name], dict) else {"column": fields[name]}
    values = dict(entry.get("values") or {})
    as_written = list(entry.get("as_written") or [])
    for i, v in enumerate(local):
        chosen = form.get(f"value.{key}.{i}")
        standard = _index(chosen, len(allowed))
        if chosen not in ("", AS_WRITTEN) and standard is None:
            continue   # not an option of the list: the value stays as the mapping has it
        values.pop(v.value, None)
        if v.value in as_written:
            as_written.remove(v.value)
        if chosen == AS_WRITTEN:
            as_written.append(v.value)
        elif standard is not None:
            values[v.value] = allowed[standard]
    for name_, kept in (("values", values), ("as_written", as_written)):
        if kept:
            entry[name_] = kept
        else:
            entry.pop(name_, None)
    fields[name] = entry


def _chosen_value(f: FieldMap | None, value: str, allowed: list[str]) -> str:
    """What the mapping says of a local value: its standard value's number, as written, or nothing yet ("").
    Nothing is answered for the person: a value the mapping says nothing of may be a question the result did not
    list (it lists the first 50), and only the person may settle it."""
    if f is not None and value in f.values and f.values[value] in allowed:
        return str(allowed.index(f.values[value]))
    if f is not None and value in f.as_written:
        return AS_WRITTEN
    return ""


def _fixed(f: FieldMap | None, W: dict) -> str | None:
    """How a field not read from one column is read, for a field the form does not change."""
    if f is None or f.column is not None:
        return None
    if f.derive:
        return fill(W["fixed_derive"], columns=mask_text(", ".join(f.derive)))
    if f.columns:
        return fill(W["fixed_columns"], columns=mask_text(", ".join(f.columns)))
    return fill(W["fixed_value"], value=mask_text(f.value or ""))


def _option(head: dict, W: dict) -> str:
    samples = ", ".join(f"{v} ({n})" for v, n in head["samples"])
    return fill(W["column_option"] if samples else W["column_empty"], column=mask_text(head["column"]),
                samples=samples)


def _note(worded: dict | None, lang: str, english: str, generic: str) -> str:
    """A draft's note in `lang`: as the page's draft worded it, else the file's own (English) text on an English
    page, and on a Swedish page a general sentence (a Swedish page holds no English)."""
    if worded and lang in worded:
        return worded[lang]
    return mask_text(english) if lang == "en" else generic
