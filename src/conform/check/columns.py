"""What a view holds of its own table: the columns that the table's checks, and those of the tables below it, ask
for (:meth:`ViewColumns.needed_from`), read once and named ``table.column`` (:meth:`ViewColumns.frame`).
"""

from __future__ import annotations

import polars as pl

from conform import personnummer
from conform.check.context import DEATH_DATE, EXISTS, PERSON_ID, TableContext, col_name
from conform.check.lookups import PERSON, Lookups
from conform.input.readers.source import ROW
from conform.input.sources import Export
from conform.profile import Profile

PARSED = "__parsed_person_id"


class Records:
    """A table's records, by name, for its view and for the lookups of other views.

    Where each scan parses the text again (a canonical CSV export), a table a lookup reads before the table's
    own view is parsed once and kept for that view.
    """

    def __init__(self, export: Export):
        self.export = export
        self._kept: dict[str, pl.DataFrame] = {}
        self._viewed: set[str] = set()

    def read(self, table: str) -> pl.LazyFrame:
        if table in self._kept:
            return self._kept[table].lazy()
        frame = self.export.tables[table].frame
        if self.export.rescans_text and table not in self._viewed:
            self._kept[table] = frame.collect()
            return self._kept[table].lazy()
        return frame

    def for_view(self, table: str, exprs: list[pl.Expr]) -> pl.LazyFrame:
        """The records as the table's view selects them (`exprs`)."""
        self._viewed.add(table)
        lf = self.read(table).select(exprs)
        self._kept.pop(table, None)  # the query holds it now, and frees it once the view is built
        return lf


class ViewColumns:
    """The columns of a table's view that come from the table itself: raw text and derived."""

    def __init__(self, profile: Profile, export: Export, contexts: dict[str, TableContext], records: Records,
                 lookups: Lookups):
        self.profile = profile
        self.export = export
        self.contexts = contexts
        self.records = records
        self.lookups = lookups

    def needed_from(self, table: str) -> dict[str, set[str]]:
        """Columns of `table` and of its ancestors that the tables below it ask for."""
        wanted: dict[str, set[str]] = {}
        for ctx in self.contexts.values():
            chain = self.profile.parent_chain(ctx.table)
            if table in chain:
                for t in chain[chain.index(table):]:
                    wanted.setdefault(t, set()).update(ctx.needs.get(t, set()))
        return wanted

    def frame(self, table: str, columns: set[str]) -> pl.LazyFrame:
        """A table's own columns (raw text) and derived columns, renamed ``table.column``."""
        spec = self.profile.tables[table]
        raw = {spec.primary_key} | {c for c in columns if not c.startswith("__")}
        if spec.foreign_key:
            raw.add(spec.foreign_key[0])
        raw &= set(self.export.tables[table].header) | set(spec.keys)  # a missing key is a column of nulls
        exprs = [pl.col(ROW)] + [pl.col(c).alias(col_name(table, c)) for c in sorted(raw)]
        person_fields = sorted(c for c in columns if c.startswith(PERSON_ID))
        if person_fields:
            exprs.append(personnummer.parse(pl.col("person_id")).alias(PARSED))
        if EXISTS in columns:
            exprs.append(pl.lit(True).alias(col_name(table, EXISTS)))
        if DEATH_DATE in columns:
            exprs.append(pl.col("person_id").alias(PERSON))
        lf = self.records.for_view(table, exprs)
        if person_fields:  # parsed once, then only the fields asked for are kept
            lf = lf.with_columns(pl.col(PARSED).struct.field(c.removeprefix(PERSON_ID)).alias(col_name(table, c))
                                 for c in person_fields).drop(PARSED)
        if DEATH_DATE in columns:
            lf = lf.join(self.lookups.death_dates(), on=PERSON, how="left").drop(PERSON)
        return lf
