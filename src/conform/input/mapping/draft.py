"""`conform init-mapping`: a first draft of a mapping for an export conform has never seen, for a person to review.

Every guess is scored and written with its confidence (0-1); anything below
:data:`~conform.input.mapping.proposals.REVIEW_BELOW` is marked ``REVIEW``, and what could not be mapped at all is
listed under ``unmapped``. Nothing is guessed silently.

How a column is matched to a field: its heading against the field's names (the field id, the spec's name of the
information set, the field title, and the vendor headings in the profile's ``headings.yaml``), ignoring case,
accents, spaces and punctuation; and its values against what the field holds (person-IDs, dates, KSI codes,
ages, value-set values). A table is read from the file or sheet whose columns match its fields best; a wide file
may hold several. A table whose file has no ID column gets a key derived from the columns that identify its
records (the parent's key plus its own dates and codes).

This module runs the steps, each in a module of its own: the export's code table (:mod:`.code_tables`), the
columns of each table (:mod:`.tables`, scored in :mod:`.columns` by the words of :mod:`.words`), keys and links
(:mod:`.keys`), the values of the fields found and their crosswalks (:mod:`.field_values`, :mod:`.crosswalks`),
and the YAML (:mod:`.draft_yaml`). What the draft holds is in :mod:`.proposals`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conform.input import readers
from conform.input.mapping.apply import source_ids
from conform.input.mapping.code_tables import read_code_table
from conform.input.mapping.columns import Drafter
from conform.input.mapping.draft_yaml import render_yaml
from conform.input.mapping.field_values import refine
from conform.input.mapping.proposals import Draft, Note, masked
from conform.input.mapping.samples import SAMPLE_ROWS, sampled_columns
from conform.input.mapping.tables import plan_tables
from conform.profile import Profile
from conform.vocabulary import Lexicon, profile_lexicon

__all__ = ["Draft", "draft", "draft_mapping", "render_yaml"]

def draft_mapping(export: Path, profile: Profile, lexicon: Lexicon | None = None) -> str:
    """The draft (YAML text). `lexicon`: the local values known (the profile's own, :func:`profile_lexicon`,
    unless given, e.g. extended with a user's file)."""
    return render_yaml(draft(export, profile, lexicon))


def draft(export: Path, profile: Profile, lexicon: Lexicon | None = None) -> Draft:
    """What a draft mapping of `export` proposes, with its evidence (see :func:`draft_mapping`)."""
    with readers.opened(export) as sources:
        named = source_ids(export, sources)
        frames = {sid: readers.read(s) for sid, s in named.items()}
        samples = dict(zip(frames, pl.collect_all([f.head(SAMPLE_ROWS) for f in frames.values()])))
        code_sources, codes = read_code_table(frames)
        drafter = Drafter(profile, samples, lexicon or profile_lexicon(profile), codes, code_sources)
        code_files = set(code_sources.values())
        plan, unmapped = plan_tables(drafter, profile, {sid: s for sid, s in named.items() if sid not in code_files})
        refine(drafter, profile, plan, frames, unmapped)
        used = {sid: {c for s, fields in plan.values() if s == sid for d in fields.values()
                      for c in (*d.columns, *d.derive)} for sid in named}
    planned = {s for s, _ in plan.values()}
    for sid, source in named.items():
        if sid in planned:
            rest = [c for c in source.header if c not in used[sid]]
            if rest:
                unmapped.append(Note("unused_columns", {"source": sid, "columns": masked(", ".join(rest))}))
        elif sid not in code_files:
            # A cover sheet, a sheet of totals, a file of the system's own: no table of the standard is read from it.
            unmapped.append(Note("unused_source", {"source": sid}))
    return Draft(export, profile, plan, unmapped,
                 sampled_columns({sid: s.header for sid, s in named.items()}, samples))
