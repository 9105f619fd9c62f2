"""Which file or sheet holds each of the profile's tables, and which of its columns each field: the file whose
columns match the table's fields best by their headings (a wide file may hold several tables), each column taken
for one field at most, a choice between two columns about as likely marked for review. Then the keys and links
(:mod:`conform.input.mapping.keys`) and what stays unmapped.
"""

from __future__ import annotations

import polars as pl

from conform.input.mapping.columns import Drafter, best_format, stem
from conform.input.mapping.keys import find_keys
from conform.input.mapping.proposals import REVIEW_BELOW, Drafted, Note, masked
from conform.input.mapping.words import BIRTH, QUALIFIERS, words
from conform.profile import FieldSpec, Profile

ACCEPT = 0.5            # the least confidence of a column proposed for a field, and of a file for a table


def plan_tables(drafter: Drafter, profile: Profile, named) -> tuple[dict, list[Note]]:
    """Per table: (source id, {field: Drafted}) for the source that matches the table's fields best."""
    plan: dict[str, tuple[str, dict[str, Drafted]]] = {}
    unmapped: list[Note] = []
    claimed: dict[str, set[str]] = {}   # per file, the columns of earlier tables' fields that are no key or link
    for table, spec in profile.tables.items():
        keys = {spec.primary_key, spec.foreign_key[0] if spec.foreign_key else None}
        best = None
        for sid in named:
            fields: dict[str, Drafted] = {}
            taken: set[str] = set()
            # A column holds one field: an insats's måluppfyllelse is no uppföljning's, whatever file is missing.
            options = [(c, f) for f in spec.fields for c in drafter.candidates(sid, table, f)
                       if c.confidence >= ACCEPT and not claimed.get(sid, set()) & set(c.columns)]
            for cand, f in sorted(options, key=lambda o: -o[0].confidence):
                if f.name in fields or taken & set(cand.columns):
                    continue
                fields[f.name] = Drafted(f, cand.columns, confidence=cand.confidence, why=cand.why)
                taken |= set(cand.columns)
            for name, d in fields.items():
                d.alternatives = [c for c, f in options if f.name == name and c.columns != d.columns][:3]
                rival = next((c for c in d.alternatives if drafter.rivals(sid, d, c)), None)
                if rival is not None:  # two columns about as likely: the order of the columns must not decide
                    d.confidence = min(d.confidence, REVIEW_BELOW - 0.01)
                    d.why = Note("rival", {"why": d.why, "rival": masked(stem(rival.columns))})
            # Values alone fill a field of a file the headings chose, never choose one: the aktualiseringsorsak
            # of a file of aktualiseringar must not make it a file of beslut for its problematik.
            score = sum(d.confidence for n, d in fields.items() if n not in keys and not _by_content(d.why))
            if best is None or score > best[0]:
                best = (score, sid, fields)
        if best is None or best[0] < ACCEPT:
            unmapped.append(Note("no_table", {"table": table}))
            continue
        plan[table] = (best[1], best[2])
        _only_date(drafter, profile.tables[table].fields, *plan[table])
        claimed.setdefault(best[1], set()).update(c for n, d in best[2].items() if n not in keys for c in d.columns)
    find_keys(drafter, profile, plan, {sid: s.header for sid, s in named.items()})
    for table, (sid, fields) in plan.items():
        for f in profile.tables[table].fields:
            if f.name not in fields:
                unmapped.append(Note("no_column", {"table": table, "field": f.name, "source": sid}))
    return plan, unmapped


def _by_content(why: Note | None) -> bool:
    """Whether a field was taken by its column's values alone (its heading unknown)."""
    if why is not None and why.key == "rival":
        return _by_content(why.params["why"])
    return why is not None and why.key == "column_by_content"


def _only_date(drafter: Drafter, specs: list[FieldSpec], sid: str, fields: dict[str, Drafted]) -> None:
    """A table's one date field no heading named, read from its file's one date column no field uses: dates
    look alike, but one left over for one missing has nowhere else to go. Proposed for review."""
    missing = [f for f in specs if f.type == "date" and f.name not in fields]
    if len(missing) != 1 or len([f for f in specs if f.type == "date"]) != 1:
        return
    used = {c for d in fields.values() for c in d.columns}
    sample = drafter.samples[sid]
    others = [f.name for spec in drafter.profile.tables.values() for f in spec.fields
              if f.type == "date" and f.name != missing[0].name]

    def free_date(column: str) -> bool:
        sparse = sample[column].null_count() > sample.height / 2
        if sparse or any(q in w for w in words(column) for q in (*QUALIFIERS, *BIRTH)):
            return False  # another date, the birth date, or one a record seldom has
        if any(drafter.vocab.heading_score(column, "", other) >= 0.45 for other in others):
            return False  # another step's date, copied into this file
        return best_format(sample[column])[1] >= 0.9

    dates = [c for c, t in sample.schema.items() if t == pl.String and c not in used and free_date(c)]
    if len(dates) == 1:
        fmt, share = best_format(sample[dates[0]])
        share *= 1 - sample[dates[0]].null_count() / max(sample.height, 1)  # of all rows, not of the filled
        fields[missing[0].name] = Drafted(missing[0], (dates[0],), confidence=0.6, why=Note("only_date", {
            "heading": masked(dates[0]), "content": Note("content_dates", {"format": fmt}), "share": share}))
