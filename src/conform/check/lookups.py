"""The lookups a view needs from other records: the latest date of a key's children, the first row of a key used
more than once and a person's date of death. Over a whole export each is computed from the records at hand; a
bucket of a large export completes them from the whole export's :class:`Shared` lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from conform import values
from conform.check.context import DEATH_DATE, FIRST_ROW, child_max_name, col_name
from conform.input.readers.source import ROW
from conform.input.sources import Export
from conform.profile import Profile

PERSON = "__person"  # the raw person_id a derived column is looked up by
Read = Callable[[str], pl.LazyFrame]  # a table's records by name


@dataclass
class Shared:
    """Lookups over a whole export, for checking it bucket by bucket: the first row of each key used more than
    once (per table), the latest date of the children of those keys (per child table and column) and each
    person's date of death."""

    first_rows: dict[str, pl.DataFrame]
    child_max: dict[tuple[str, str], pl.DataFrame]
    death_dates: pl.DataFrame | None


class Lookups:
    """The lookups of one export or one bucket, joined to a view where its checks ask for them."""

    def __init__(self, profile: Profile, read: Read, death_reason: str | None, shared: Shared | None):
        self.profile = profile
        self.read = read
        self.death_reason = death_reason
        self.shared = shared

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

    def with_child_maxima(self, lf: pl.LazyFrame, child_needs: set[tuple[str, str]], key: str) -> pl.LazyFrame:
        """`lf` with, per (child table, column) asked for, the latest date of the children of its `key`."""
        for child, column in sorted(child_needs):
            lf = lf.join(self.child_max(child, column), left_on=key, right_on="__parent", how="left")
        return lf

    def with_first_row(self, lf: pl.LazyFrame, table: str, key: str) -> pl.LazyFrame:
        """`lf` with the first row (by row number) of the records of `table` holding each record's `key`."""
        first = col_name(table, FIRST_ROW)
        if self.shared is None:
            return lf.with_columns(pl.col(ROW).min().over(key).alias(first))
        # The key's other rows may be in other buckets: the first is looked up, else it is this one.
        return (lf.join(self.shared.first_rows[table].lazy(), left_on=key, right_on="__key", how="left")
                .with_columns(pl.coalesce(pl.col("__first"), pl.col(ROW)).alias(first)).drop("__first"))


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
