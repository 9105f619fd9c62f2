"""Mapping questions: a non-standard value in a large share of a mapped field's records, or one the export's own
code table explains. One record with "Ja" in a field of "Ja, SIP finns" is a vendor's slip; a fifth of the records
with "Ingen SIP, behov finns" is the system's own wording that the mapping does not yet crosswalk, almost always a
question for the mapping, not a defect to fix in the system. So is a code of the system's code table, however
rare: the system says it means something, and only what it means is open (the mapping's `code_texts`, written by
the drafter). Both are conform's own reading: the standard says nothing of mappings.

Each question names the value, its records, their share of the field's filled records, the code table's text
where it has one, and the standard value it (or that text) is closest to (a hint, never a crosswalk). A question
stays open until the mapping settles it: a crosswalk for the value, or the value listed under the field's
`as_written` (a person's word that it is the vendor's own value, which the rules then report). While one is open
the verdict is provisional (conform.model.CheckResult).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from conform.input.mapping.hints import drafting_hints
from conform.input.mapping.spec import TableMap
from conform.personnummer import mask_text
from conform.profile import Profile
from conform.vocabulary import closest, profile_lexicon

# A non-standard value in at least this share of a field's filled records, and in more than one, is a question.
QUESTION_SHARE = 0.05
MOST_QUESTIONS = 50  # per export: a mapping with more open questions has not been reviewed at all
MOST_LEFT = 20       # per field: the non-standard values a reviewer is shown, the most frequent first


@dataclass(frozen=True)
class Question:
    table: str
    field: str
    value: str
    records: int
    share: float
    closest: str | None
    text: str | None = None  # the export's code table's text for the value


@dataclass(frozen=True)
class Left:
    """A value of a mapped field of a value set that is not the standard's after the crosswalks: the rules report
    it as written. What a reviewer may still crosswalk, with its records."""
    table: str
    field: str
    value: str
    records: int


def mapping_questions(profile: Profile, tmaps: dict[str, TableMap], frames: dict[str, pl.LazyFrame]) \
        -> tuple[list[Question], list[Left]]:
    """The open questions of the mapped fields of a value set (not of codes, which are compared as written), and
    each such field's non-standard values (the :data:`MOST_LEFT` most frequent), from the built tables (`frames`:
    the standard values after the crosswalks), counted in one pass."""
    codes = drafting_hints(profile).codes
    fields = [(t, name, f) for t, tmap in tmaps.items() for name, f in tmap.fields.items()
              if standard_values(profile, t, name) and name not in codes and f.value is None]
    queries = [_counts(frames[t], name, profile.tables[t].field(name).is_list, profile.list_delimiter)
               for t, name, _ in fields]
    questions, left = [], []
    for (table, name, f), counted in zip(fields, pl.collect_all(queries)):
        spec = profile.tables[table].field(name)
        allowed = standard_values(profile, table, name)
        filled = int(counted["len"].sum())
        settled = set(allowed) | set(f.as_written)
        lexicon = profile_lexicon(profile).of(spec.value_set)
        others = counted.filter(~pl.col("v").is_in(allowed)).sort(["len", "v"], descending=[True, False])
        left += [Left(table, name, value, records) for value, records in others.head(MOST_LEFT).iter_rows()]
        for value, records in counted.filter(~pl.col("v").is_in(list(settled))).iter_rows():
            if mask_text(value) != value:
                # A person-ID in a field of a value set is data in the wrong place, never a local wording of a
                # standard value: the rules report it, and no question asks what it means.
                continue
            text = f.code_texts.get(value)
            if text is not None or (records > 1 and records >= QUESTION_SHARE * filled):
                near, _ = closest(text, allowed, lexicon) if text else (None, None)
                near = near or closest(value, allowed, lexicon)[0]
                questions.append(Question(table, name, value, records, records / filled, near, text))
    return sorted(questions, key=lambda q: (-q.records, q.table, q.field, q.value))[:MOST_QUESTIONS], left


def standard_values(profile: Profile, table: str, name: str) -> list[str]:
    """The standard values of a field ([] for a field of no value set, or of codes: compared as written)."""
    spec = profile.tables[table].field(name)
    if not spec.value_set or profile.field_value_column(name, spec.value_set) == "kod":
        return []
    column = profile.field_value_column(name, spec.value_set)
    return profile.value_set(spec.value_set)[column].drop_nulls().to_list()


def _counts(frame: pl.LazyFrame, name: str, is_list: bool, delimiter: str) -> pl.LazyFrame:
    """(value, records) of a field: each item of a list field, an item repeated in one record counting twice."""
    values = frame.select(pl.col(name).alias("v")).drop_nulls()
    if is_list:
        values = values.with_columns(pl.col("v").str.split(delimiter)).explode("v") \
            .with_columns(pl.col("v").str.strip_chars()).filter(pl.col("v") != "")
    return values.group_by("v").len()
