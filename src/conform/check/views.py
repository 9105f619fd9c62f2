"""The views the engine's checks run on: per table, one materialised frame with exactly the columns its checks
need (the record's own, its parent's context joined along the foreign key, aggregates of its children, the
parsed person-ID), built top-down so that each parent's context is cut once from its own view; and the lookups
a bucket of a large export needs from the whole export (:class:`Shared`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from conform import personnummer, values
from conform.check.context import (DEATH_DATE, EXISTS, FIRST_ROW, PERSON_ID, TableContext, child_max_name,
                                   col_name)
from conform.input.readers.source import ROW
from conform.input.sources import Export
from conform.profile import Profile

PARSED = "__parsed_person_id"
PERSON = "__person"  # the raw person_id a derived column is looked up by
HASH = "__key_hash"
Read = Callable[[str], pl.LazyFrame]  # a table's records by name


@dataclass
class Shared:
    """Lookups over a whole export, for checking it bucket by bucket: the first row of each key used more than
    once (per table), the latest date of the children of those keys (per child table and column) and each
    person's date of death."""

    first_rows: dict[str, pl.DataFrame]
    child_max: dict[tuple[str, str], pl.DataFrame]
    death_dates: pl.DataFrame | None


class Views:
    """Builds the per-table views the checks run on, top-down along the foreign keys.

    A table's view holds its own needed columns, the context of its parent (the parent's needed columns and
    theirs, one row per parent key) and aggregates of its children. Each view is materialised once; the
    context a child needs is then cut from it, so no file is read and no join is made twice.
    """

    def __init__(self, profile: Profile, export: Export, death_reason: str | None,
                 contexts: dict[str, TableContext], shared: Shared | None = None):
        self.profile = profile
        self.export = export
        self.death_reason = death_reason
        self.contexts = contexts
        self.shared = shared
        self._context: dict[str, pl.DataFrame | None] = {}
        self._served: set[str] = set()
        self._kept: dict[str, pl.DataFrame] = {}
        self._viewed: set[str] = set()

    def read(self, table: str) -> pl.LazyFrame:
        """A table's records. Where each scan parses the text again (a canonical CSV export), a table a lookup
        reads before the table's own view is parsed once and kept for that view."""
        if table in self._kept:
            return self._kept[table].lazy()
        frame = self.export.tables[table].frame
        if self.export.rescans_text and table not in self._viewed:
            self._kept[table] = frame.collect()
            return self._kept[table].lazy()
        return frame

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
        self._viewed.add(table)
        lf = self.read(table).select(exprs)
        self._kept.pop(table, None)  # the query holds it now, and frees it once the view is built
        if person_fields:  # parsed once, then only the fields asked for are kept
            lf = lf.with_columns(pl.col(PARSED).struct.field(c.removeprefix(PERSON_ID)).alias(col_name(table, c))
                                 for c in person_fields).drop(PARSED)
        if DEATH_DATE in columns:
            lf = lf.join(self.death_dates(), on=PERSON, how="left").drop(PERSON)
        return lf

    def needed_from(self, table: str) -> dict[str, set[str]]:
        """Columns of `table` and of its ancestors that the tables below it ask for."""
        wanted: dict[str, set[str]] = {}
        for ctx in self.contexts.values():
            chain = self.profile.parent_chain(ctx.table)
            if table in chain:
                for t in chain[chain.index(table):]:
                    wanted.setdefault(t, set()).update(ctx.needs.get(t, set()))
        return wanted

    def view(self, ctx: TableContext) -> pl.DataFrame:
        link = self._parent_link(ctx.table)
        view = self._build(ctx, link, hashed=True)
        if link is not None:
            parent, left, right = link
            if not view.select((pl.col(right).is_null() | (pl.col(right) == pl.col(left))).all()).item():
                # Two different keys with one 64-bit hash matched: build the view again, matching the texts.
                view = self._build(ctx, link, hashed=False)
            self._served.add(ctx.table)
            if all(c in self._served for c in self.profile.children(parent) if c in self.contexts):
                del self._context[parent]  # every child has joined it: free the memory before the next view
        return view

    def _parent_link(self, table: str) -> tuple[str, str, str] | None:
        """(parent, the record's foreign-key column, the parent's key column), named as in the views, where the
        parent's context is held for this table; else None."""
        spec = self.profile.tables[table]
        if not spec.foreign_key or self._context.get(spec.foreign_key[1]) is None:
            return None
        fk, parent = spec.foreign_key
        return parent, col_name(table, fk), col_name(parent, self.profile.tables[parent].primary_key)

    def _build(self, ctx: TableContext, link: tuple[str, str, str] | None, hashed: bool) -> pl.DataFrame:
        """The view; with `hashed`, the parent's context is matched on the keys' hashes (see :func:`key_hash`)."""
        table, spec = ctx.table, ctx.spec
        below = self.needed_from(table)
        lf = self.frame(table, ctx.needs.get(table, set()) | below.get(table, set()))
        if link is not None:
            parent, left, right = link
            context = self._context[parent].lazy()
            if hashed:
                lf = (lf.with_columns(key_hash(pl.col(left)).alias(HASH))
                      .join(context.with_columns(key_hash(pl.col(right)).alias(HASH)), on=HASH, how="left")
                      .drop(HASH))
            else:
                lf = lf.join(context, left_on=left, right_on=right, how="left", coalesce=False)
        key = col_name(table, spec.primary_key)
        for child, column in sorted(ctx.child_needs):
            lf = lf.join(self.child_max(child, column), left_on=key, right_on="__parent", how="left")
        if ctx.first_row_needed:
            first = col_name(table, FIRST_ROW)
            if self.shared is None:
                lf = lf.with_columns(pl.col(ROW).min().over(key).alias(first))
            else:  # the key's other rows may be in other buckets: the first is looked up, else it is this one
                lf = (lf.join(self.shared.first_rows[table].lazy(), left_on=key, right_on="__key", how="left")
                      .with_columns(pl.coalesce(pl.col("__first"), pl.col(ROW)).alias(first)).drop("__first"))
        for stage in (ctx.typed, ctx.derived):
            if stage:
                lf = lf.with_columns(stage.values())
        return lf.collect()

    def keep_context(self, table: str, view: pl.DataFrame, duplicate_keys: bool) -> None:
        """Cut, from a table's materialised view, the context its children need: one row per key.

        With duplicate keys (a finding of their own) the first row of the file is kept, so a duplicate parent
        never multiplies a child's records.
        """
        below = self.needed_from(table)
        if not any(below.values()):
            self._context[table] = None
            return
        key = col_name(table, self.profile.tables[table].primary_key)
        columns = [key] + [col_name(t, c) for t, cs in below.items() for c in sorted(cs)
                           if col_name(t, c) in view.columns and col_name(t, c) != key]
        if duplicate_keys:
            # The first by row number, not by position: joins may have reordered the view.
            context = (view.select(ROW, *columns).sort(ROW).unique(subset=[key], keep="first", maintain_order=True)
                       .drop(ROW))
        else:
            context = view.select(columns)
        self._context[table] = context

    def death_dates(self) -> pl.LazyFrame:
        if self.shared is not None and self.shared.death_dates is not None:
            return self.shared.death_dates.lazy()
        return death_dates(self.read, self.profile, self.death_reason)

    def child_max(self, child: str, column: str) -> pl.LazyFrame:
        local = child_max(self.read, self.profile, child, column)
        if self.shared is None:
            return local
        # A parent's children are all in the bucket of the parent key's first row; only the later rows of a
        # key used twice, in other buckets, need the lookup over the whole export.
        name = child_max_name(child, column)
        return (local.join(self.shared.child_max[(child, column)].lazy(), on="__parent", how="full",
                           coalesce=True, suffix="#shared")
                .select("__parent", pl.coalesce(name, f"{name}#shared").alias(name)))


def key_hash(key: pl.Expr) -> pl.Expr:
    """A text key's 64-bit hash, null for no key. Matching a child's records to its parent's context on these
    integers takes about half the time of matching the texts (bench/README.md); the view is then proven to
    have matched equal texts only (:meth:`Views.view`)."""
    return pl.when(key.is_not_null()).then(key.hash())


def death_dates(read: Read, profile: Profile, death_reason: str) -> pl.LazyFrame:
    """Per person-ID, the earliest datum_avslut of an insats closed for the death reason.

    The few insatser closed by death are found first; beslut and aktualisering are cut to the records they
    point at before anything is deduplicated or joined, so the lookup costs about one scan of each file.
    """
    reasons = values.split_list(pl.col("orsak_avslut"), profile.list_delimiter)
    # A literal substring test first: splitting every reason list only to find a handful of deaths is slow.
    deaths = (read("insats").select("beslut_id", "orsak_avslut", "datum_avslut")
              .filter(pl.col("orsak_avslut").str.contains(death_reason, literal=True))
              .filter(reasons.list.contains(death_reason).fill_null(False))
              .collect().lazy())
    # A key used twice counts by its first row, by row number: a bucketed export is not read in file order.
    beslut = (read("beslut").select(ROW, "beslut_id", "aktualisering_id")
              .join(deaths, on="beslut_id", how="semi").sort(ROW).unique("beslut_id", keep="first").drop(ROW))
    aktualisering = (read("aktualisering").select(ROW, "aktualisering_id", "person_id")
                     .join(beslut, on="aktualisering_id", how="semi").sort(ROW)
                     .unique("aktualisering_id", keep="first").drop(ROW))
    return (deaths.join(beslut, on="beslut_id", how="inner")
            .join(aktualisering, on="aktualisering_id", how="inner")
            .group_by(pl.col("person_id").alias(PERSON))
            .agg(values.parse_date(pl.col("datum_avslut")).min().alias(col_name("person", DEATH_DATE))))


def child_max(read: Read, profile: Profile, child: str, column: str) -> pl.LazyFrame:
    """Per parent key, the latest date in `column` of its records in the `child` table."""
    fk, _ = profile.tables[child].foreign_key
    return (read(child)
            .group_by(pl.col(fk).alias("__parent"))
            .agg(values.parse_date(pl.col(column)).max().alias(child_max_name(child, column))))


def first_rows(export: Export, profile: Profile, table: str) -> pl.LazyFrame:
    """Keys of `table` used by more than one record, with the first row using each."""
    key = profile.tables[table].primary_key
    return (export.tables[table].frame.filter(pl.col(key).is_not_null())
            .group_by(pl.col(key).alias("__key")).agg(pl.col(ROW).min().alias("__first"), pl.len().alias("__n"))
            .filter(pl.col("__n") > 1).drop("__n"))
