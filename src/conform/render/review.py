"""The review page of `conform init-mapping --html`: the draft's evidence laid out for a person who reviews the YAML.

The YAML stays the artefact; the page only helps to read it. For every field it shows the column chosen and its
alternatives, sample values, every proposed crosswalk with its evidence and record count, what stays unmapped,
and, for every REVIEW line, what accepting it changes in a check and what it costs if it is wrong. Everything is
worded here from the catalogue (labels.yaml, ``review`` and ``draft``), so the template only loops.

Nothing from the export reaches the page unmasked: headings, file names, local values and the notes that quote
them pass through :func:`conform.personnummer.mask_text`, since a draft is shared for review and a person-ID in
the wrong column or heading must not travel with it.
"""

from __future__ import annotations


from conform import __version__, clock
from conform.input.mapping.proposals import REVIEW_BELOW, Draft, Drafted, Note
from conform.personnummer import mask_text
from conform.profile import Profile
from conform.formatting import decimal_text, int_text
from conform.render.templates import CSP, basename, environment
from conform.catalogue import fill, labels, plural


def review_html(draft: Draft, lang: str = "sv") -> str:
    """One self-contained page (inline CSS, strict CSP, nothing loaded) reviewing `draft`, in `lang`."""
    template = environment(html=True).get_template("review.html.j2")
    return template.render(p=review_page(draft, lang), L=labels(lang), R=labels(lang)["review"], lang=lang,
                           csp=CSP)


def review_page(draft: Draft, lang: str = "sv") -> dict:
    """The page as plain data: every text worded and masked, every figure counted."""
    R = labels(lang)["review"]
    names = reader_names(draft.profile, lang)
    by_field: dict[tuple[str, str], list[Note]] = {}
    general: list[Note] = []
    for note in draft.unmapped:
        table = note.params.get("table")
        if table in draft.plan and "field" in note.params:
            by_field.setdefault((table, note.params["field"]), []).append(note)
        else:
            general.append(note)

    tables = []
    for table, spec in draft.profile.tables.items():
        if table not in draft.plan:
            continue
        source, fields = draft.plan[table]
        drafted = [_field(table, fields[f.name], by_field.pop((table, f.name), []), names, lang)
                   for f in spec.fields if f.name in fields]
        # Fields the draft found no column for: their notes (no_column, ...) are all there is to show.
        missing = [_text(n, lang, names) for f in spec.fields if f.name not in fields
                   for n in by_field.pop((table, f.name), [])]
        tables.append({"noun": names[table], "id": table, "source": mask_text(source), "fields": drafted,
                       "missing": missing})
    general += [n for notes in by_field.values() for n in notes]

    every = [d for _, fields in draft.plan.values() for d in fields.values()]
    crosswalks = [c for d in every for c in d.values.values()]
    return {
        "export": mask_text(basename(str(draft.export))),
        "profile": draft.profile.title,
        "date": clock.today().isoformat(),
        "version": __version__,
        "threshold": _confidence(REVIEW_BELOW, lang),
        "summary": [
            (R["summary_rows"]["fields"], int_text(len(every), lang)),
            (R["summary_rows"]["review_fields"], int_text(sum(1 for d in every if _review(d.confidence)), lang)),
            (R["summary_rows"]["crosswalks"], int_text(len(crosswalks), lang)),
            (R["summary_rows"]["review_crosswalks"],
             int_text(sum(1 for c in crosswalks if _review(c.confidence)), lang)),
            (R["summary_rows"]["unmapped"], int_text(len(draft.unmapped), lang)),
        ],
        "tables": tables,
        "unmapped": [_text(n, lang, names) for n in general],
    }


def reader_names(profile: Profile, lang: str) -> dict[str, str]:
    """What Note.text needs to word a field for a reader: "table.field" -> the standard's name of the field,
    table -> its noun in `lang`; a Swedish page then shows no internal id."""
    nouns = labels(lang)["html"]["table_nouns"]
    names = {table: nouns.get(table, [table])[0] for table in profile.tables}
    names.update({f"{t}.{f.name}": f.title for t, spec in profile.tables.items() for f in spec.fields})
    return names


def _field(table: str, d: Drafted, notes: list[Note], names: dict[str, str], lang: str) -> dict:
    R = labels(lang)["review"]
    columns = [mask_text(c) for c in (d.derive or d.columns)]
    alternatives = [{"columns": [mask_text(c) for c in a.columns], "confidence": _confidence(a.confidence, lang),
                     "why": _text(a.why, lang, names)} for a in d.alternatives]
    crosswalks = [{"local": mask_text(local), "standard": c.standard, "confidence": _confidence(c.confidence, lang),
                   "basis": _text(c.basis, lang, names), "records": int_text(c.records, lang),
                   "review": _review(c.confidence)} for local, c in d.values.items()]
    effects = []
    if _review(d.confidence):
        effects.append(_field_effect(d, columns, alternatives, lang))
    for local, c in d.values.items():
        if _review(c.confidence):
            effects.append({
                "what": fill(R["crosswalk_line"], local=mask_text(local), standard=c.standard),
                "accept": fill(plural(R["effect_crosswalk"], c.records), n=int_text(c.records, lang),
                               local=mask_text(local), standard=c.standard),
                "risk": R["risk_crosswalk"], "instead": R["instead_crosswalk"]})
    return {
        "name": names[f"{table}.{d.spec.name}"], "id": d.spec.name, "derived": bool(d.derive), "columns": columns,
        "confidence": _confidence(d.confidence, lang), "review": _review(d.confidence),
        "why": _text(d.why, lang, names) if d.why else "",
        "date_format": d.date_format, "delimiter": d.delimiter,
        "alternatives": alternatives,
        "samples": [(value, int_text(n, lang)) for value, n in d.samples],  # masked by the draft
        "crosswalks": crosswalks, "unmapped": [_text(n, lang, names) for n in notes], "effects": effects,
    }


def _field_effect(d: Drafted, columns: list[str], alternatives: list[dict], lang: str) -> dict:
    R = labels(lang)["review"]
    listed = _quoted(columns)
    if d.derive:
        return {"what": R["key_line"], "accept": fill(R["effect_key"], columns=listed), "risk": R["risk_key"],
                "instead": R["instead_key"]}
    samples = ", ".join(f"'{value}' ({int_text(n, lang)}×)" for value, n in d.samples)
    accept = fill(R["effect_field"] if samples else R["effect_field_empty"], columns=listed, samples=samples)
    others = "; ".join(f"{_quoted(a['columns'])} ({a['confidence']})" for a in alternatives)
    instead = fill(R["instead_field"], alternatives=others) if alternatives else R["no_alternatives"]
    return {"what": fill(R["field_line"], columns=listed), "accept": accept, "risk": R["risk_field"],
            "instead": instead}


def _quoted(columns: list[str]) -> str:
    return ", ".join(f"'{c}'" for c in columns)


def _text(note: Note, lang: str, names: dict[str, str]) -> str:
    # A note may quote a heading (the column note) or a list of them (unused_columns) as the export has them.
    return mask_text(note.text(lang, names))


def _review(confidence: float) -> bool:
    return confidence < REVIEW_BELOW


def _confidence(value: float, lang: str) -> str:
    return decimal_text(value, ".2f", lang)
