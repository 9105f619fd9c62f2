"""Splits a large export into buckets of whole persons, so that checking it holds one bucket in memory at a time.

Every record goes to the bucket of its person, found along the foreign keys: a person's own records by their
person-ID (by its digits, so that one person written with and without a separator is one person); a record
below by the bucket of the first record (by row number) its foreign key names. A record whose parent does not
exist, or that names none, goes by its own row, and its children follow it. A record and the parent it names
are therefore always in one bucket, which is all a view needs; what crosses buckets (a key used twice, the
latest follow-up of an insats, a person's date of death) is looked up over the whole export
(:class:`conform.check.views.Shared`).

Buckets are written as Arrow IPC files to a folder the caller owns, one streaming pass per table.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

from conform.input.readers.source import ROW
from conform.profile import Profile
from conform.input.sources import Export, TableSource

# At 1M persons (6.3M records) the check peaks at about 1.2 GiB in one piece; buckets of at most this many
# records keep every export near that, however large (bench/README.md).
RECORDS_PER_BUCKET = 8_000_000
BUCKET = "__bucket"


def bucket_count(records: int, per_bucket: int = RECORDS_PER_BUCKET) -> int:
    return max(1, math.ceil(records / per_bucket))


def person_key(person_id: pl.Expr) -> pl.Expr:
    """What places a person: the last ten digits of the ID (the same for ``19121212-1212``, ``191212121212`` and
    ``121212-1212``), or the ID as written when it holds fewer digits."""
    digits = person_id.str.replace_all(r"\D", "")
    return pl.when(digits.str.len_chars() >= 10).then(digits.str.slice(-10)).otherwise(person_id)


def split(profile: Profile, export: Export, buckets: int, folder: Path) -> tuple[Export, list[Export]]:
    """The export as `buckets` exports of whole persons, each reading its tables from `folder`, and the whole
    export read from there too (cheaper to read again than the text it came from)."""
    readable = {t: s for t, s in export.tables.items() if s.frame is not None}
    order = sorted(readable, key=lambda t: len(profile.parent_chain(t)))
    placed: dict[str, pl.DataFrame] = {}  # per parent table: the bucket of each key's first row
    schemas = {}
    for table in order:
        spec = profile.tables[table]
        frame = readable[table].frame
        schemas[table] = frame.collect_schema()
        # lz4-compressed Arrow IPC: the buckets are written once and read a few times, within this check.
        (frame.with_columns(_bucket(profile, table, schemas[table].names(), placed, buckets))
         .sink_ipc(pl.PartitionBy(folder / table, key=BUCKET, include_key=True), mkdir=True, compression="lz4"))
        placed.pop(spec.foreign_key[1] if spec.foreign_key else "", None)  # its only child has used it
        # A child of the root table is placed by its key alone; deeper ones look their parent's bucket up.
        if spec.foreign_key and profile.children(table) and spec.primary_key in schemas[table].names():
            placed[table] = (pl.scan_ipc(folder / table / "**" / "*.ipc")
                             .filter(pl.col(spec.primary_key).is_not_null())
                             .group_by(pl.col(spec.primary_key).alias("__key"))
                             .agg(pl.col(BUCKET).sort_by(ROW).first()).collect())
    del placed

    def part(files: str | None) -> Export:
        """The export read from the files matching `files` under each table's folder (None: all of them)."""
        out = Export(export.path, export.package, mapping=export.mapping)
        for table, source in export.tables.items():
            frame = None
            if table in readable:
                found = sorted((folder / table).glob(files or "**/*.ipc"))
                frame = (pl.scan_ipc(found).select(schemas[table].names()) if found
                         else pl.LazyFrame(schema=schemas[table]))
            out.tables[table] = TableSource(source.name, source.path, source.header, frame)
        return out

    return part(None), [part(f"{BUCKET}={b}/*.ipc") for b in range(buckets)]


def _bucket(profile: Profile, table: str, columns: list[str], placed: dict[str, pl.DataFrame],
            buckets: int) -> pl.Expr:
    """The bucket of each record of `table` (see the module docstring). A record not placed by a person goes by
    its row: nothing else needs to be beside it, and its children follow it by key."""
    spec = profile.tables[table]
    by_row = pl.col(ROW).cast(pl.UInt64) % buckets

    def by_person(column: str) -> pl.Expr:
        return person_key(pl.col(column)).hash(seed=0) % buckets

    if spec.foreign_key is None:
        key = spec.primary_key
        return (pl.coalesce(by_person(key), by_row) if key in columns else by_row).alias(BUCKET)
    fk, parent = spec.foreign_key
    if fk not in columns:
        return by_row.alias(BUCKET)
    if profile.tables[parent].foreign_key is None:  # the parent is placed by its key alone: no lookup needed
        return pl.coalesce(by_person(fk), by_row).alias(BUCKET)
    lookup = placed.get(parent)
    if lookup is None:
        return by_row.alias(BUCKET)
    found = pl.col(fk).replace_strict(lookup["__key"], lookup[BUCKET], default=None, return_dtype=pl.UInt64)
    return pl.coalesce(found, by_row).alias(BUCKET)
