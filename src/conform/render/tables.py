"""The export's tables as the HTML report reads them: lazy frames that its queries cut down to counts, so the
report never holds a whole table in memory (at 3M persons that would be several GiB)."""

from __future__ import annotations

import polars as pl


class Tables:
    def __init__(self, export):
        self.frames: dict[str, pl.LazyFrame] = {n: t.frame for n, t in export.tables.items() if t.frame is not None}
        self.columns = {n: f.collect_schema().names() for n, f in self.frames.items()}

    def __getitem__(self, table: str) -> pl.LazyFrame:
        return self.frames[table]

    def has(self, table: str, *columns: str) -> bool:
        return table in self.frames and all(c in self.columns[table] for c in columns)
