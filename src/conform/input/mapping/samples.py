"""The columns of an export's files, each with its most common values (masked): what a person choosing the column
of a field is shown, on the mapping review of `conform serve`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conform.input import readers
from conform.input.mapping.apply import source_ids
from conform.input.mapping.draft import SAMPLE_ROWS
from conform.input.mapping.field_values import SAMPLES
from conform.input.mapping.proposals import masked


def column_samples(export: Path) -> dict[str, list[dict]]:
    """Per file or sheet of `export` (by the id a mapping's ``source`` names), its columns in the file's order,
    each with the :data:`SAMPLES` most common values of its first :data:`SAMPLE_ROWS` rows and how many rows hold
    each (the most common first, then by value). Values are masked; the headings are as the file has them,
    since a mapping names them (a page masks them when it shows them)."""
    with readers.opened(export) as sources:
        named = source_ids(export, sources)
        frames = pl.collect_all([readers.read(s).head(SAMPLE_ROWS) for s in named.values()])
    found = {}
    for (sid, source), frame in zip(named.items(), frames, strict=True):
        found[sid] = [{"column": c, "samples": _common(frame[c])} for c in source.header]
    return found


def _common(values: pl.Series) -> list[list]:
    counted = values.drop_nulls().value_counts(name="n").sort(["n", values.name], descending=[True, False])
    return [[masked(str(v)), int(n)] for v, n in counted.head(SAMPLES).iter_rows()]
