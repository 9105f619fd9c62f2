"""The columns of an export's files, each with its most common values (masked): what a person choosing the column
of a field is shown, on the mapping review of `conform serve`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conform.input import readers
from conform.input.mapping.apply import source_ids
from conform.input.mapping.field_values import SAMPLES
from conform.input.mapping.proposals import masked

SAMPLE_ROWS = 5000      # the rows of each file that columns are judged by (the draft) and shown by (the review)


def column_samples(export: Path) -> dict[str, list[dict]]:
    """Per file or sheet of `export` (by the id a mapping's ``source`` names), its columns in the file's order,
    each with the :data:`SAMPLES` most common values of its first :data:`SAMPLE_ROWS` rows and how many rows hold
    each (the most common first, then by value). Values are masked; the headings are as the file has them,
    since a mapping names them (a page masks them when it shows them)."""
    with readers.opened(export) as sources:
        named = source_ids(export, sources)
        frames = pl.collect_all([readers.read(s).head(SAMPLE_ROWS) for s in named.values()])
    return sampled_columns({sid: s.header for sid, s in named.items()}, dict(zip(named, frames, strict=True)))


def sampled_columns(headers: dict[str, list[str]], samples: dict[str, pl.DataFrame]) -> dict[str, list[dict]]:
    """:func:`column_samples` from rows already read (`samples`: each source's first rows, by its id)."""
    return {sid: [{"column": c, "samples": _common(samples[sid][c])} for c in header]
            for sid, header in headers.items()}


def _common(values: pl.Series) -> list[list]:
    counted = values.drop_nulls().value_counts(name="n").sort(["n", values.name], descending=[True, False])
    return [[masked(str(v)), int(n)] for v, n in counted.head(SAMPLES).iter_rows()]
