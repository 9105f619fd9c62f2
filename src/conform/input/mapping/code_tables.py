"""The export's own code table, where it has one: a file or sheet that gives, per coded column, each code and its
text. Many systems export one beside coded data; it is the system's own word for what a code means, so a draft
reads coded columns through it and its crosswalks are no guesses.
"""

from __future__ import annotations

import polars as pl

from conform.vocabulary import fold

CONFLICT = "\0"         # a code table's text for a code it gives two different texts
# Headings of a code table (the system's codes with their texts, per column), folded.
CODE_TABLE_COLUMNS = {
    "column": {"falt", "variabel", "kolumn", "attribut", "field", "variable", "column"},
    "code": {"kod", "kodvarde", "varde", "code", "value"},
    "text": {"text", "klartext", "benamning", "beskrivning", "namn", "label", "description", "name"},
}


def read_code_table(frames: dict[str, pl.LazyFrame]) -> tuple[str | None, dict[str, dict[str, str]]]:
    """(its source id, folded column heading -> {code: text}) of the first file or sheet with a column naming the
    coded column, one with the code and one with its text (:data:`CODE_TABLE_COLUMNS`); (None, {}) if none."""
    for sid, frame in frames.items():
        headings = frame.collect_schema().names()
        roles = {role: next((h for h in headings if fold(h) in names), None)
                 for role, names in CODE_TABLE_COLUMNS.items()}
        if None in roles.values():
            continue
        rows = frame.select(*(pl.col(roles[r]).str.strip_chars() for r in ("column", "code", "text"))).collect()
        codes: dict[str, dict[str, str]] = {}
        conflicting: set[tuple[str, str]] = set()
        for column, code, text in rows.iter_rows():
            if column and code and text:
                said = codes.setdefault(fold(column), {}).setdefault(code, text)
                if fold(said) != fold(text):
                    conflicting.add((fold(column), code))
        # A code the table gives two texts (per table, or by mistake) means neither for sure: left for a person.
        for column, code in conflicting:
            codes[column][code] = CONFLICT
        if codes:
            return sid, codes
    return None, {}
