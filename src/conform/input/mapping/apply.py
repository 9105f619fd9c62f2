"""Turns a vendor export and its mapping into the canonical tables the engine checks.

Every step is a Polars expression over the whole column: renaming, reading dates in the vendor's format,
joining multi-valued cells or columns with the profile's delimiter, crosswalking local values to standard ones,
and, for a wide file that holds several tables, one record per distinct combination of the table's fields.
Nothing is judged here; a value the mapping cannot read (a date in no listed format, a local value with no
crosswalk) is passed on as written, for the rules to report.

Wide files: a table read from a file that also feeds other tables keeps one record per distinct combination of
its mapped fields, numbered by the first data record it appears on. If the export gives the same key two
different values for a field, that key appears twice, which the key and consistency rules report: the export
contradicts itself. A key derived from columns (``derive``) is written ``file:row``, the file and first data
record of the combination, so no personal data goes into a key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from conform.input import readers
from conform.input.readers.source import ROW
from conform.errors import MappingError, msg
from conform.input.mapping.spec import EXCEL_EPOCH, EXCEL_SERIAL, EXCEL_SERIAL_TEXT, FieldMap, Mapping, TableMap
from conform.profile import FieldSpec, Profile

PRESENT = "__present"
FIRST = "__first."  # the first row of a derived key's combination, before it is written as text
LOCAL = "__local."  # the vendor's own values of a crosswalked field, kept to count them after deduplication


@dataclass
class MappedTable:
    """A canonical table to build from the vendor's export (`query`), with where it comes from."""

    name: str
    query: pl.LazyFrame
    source: readers.Source
    source_id: str
    fields: list[str]


@dataclass
class CrosswalkUse:
    table: str
    field: str
    columns: str
    local: str
    standard: str
    records: int


class SourceRefused(Exception):
    """The query engine could not read a source that passed the readers' checks (see readers.refused)."""

    def __init__(self, source_id: str, error: readers.ReaderError):
        super().__init__(source_id)
        self.source_id, self.error = source_id, error


def source_ids(export: Path, sources: list[readers.Source]) -> dict[str, readers.Source]:
    """Each source under the name a mapping uses: its path relative to the export (a zip's member path when the
    export is the zip), plus ``:Sheet`` for a workbook sheet."""
    root = str(export)
    named = {}
    for s in sources:
        where = s.where
        if where == root:
            rel = Path(root).name
        elif where.startswith(root + "/") or where.startswith(root + ":"):
            rel = where[len(root) + 1:]
        else:
            rel = where
        named[f"{rel}:{s.sheet}" if s.sheet is not None else rel] = s
    return named


def _find_source(mapping: Mapping, tmap: TableMap, named: dict[str, readers.Source]) -> tuple[str, readers.Source]:
    if tmap.source in named:
        return tmap.source, named[tmap.source]
    sheets = {s.sheet: (k, s) for k, s in named.items() if s.sheet is not None}
    if tmap.source in sheets and len({s.path for s in named.values()}) == 1:  # a lone workbook: sheet name alone
        return sheets[tmap.source]
    close = difflib.get_close_matches(tmap.source, list(named), n=1, cutoff=0.5)
    raise MappingError("mapping_no_source", where=mapping.where("tables", tmap.name, "source"), source=tmap.source,
                       hint=msg("did_you_mean", value=close[0]) if close else "", available=sorted(named))


def _check_columns(mapping: Mapping, tmap: TableMap, source_id: str, source: readers.Source) -> None:
    header = set(source.header)
    for f in tmap.fields.values():
        for column in f.source_columns:
            if column not in header:
                close = difflib.get_close_matches(column, source.header, n=1, cutoff=0.6)
                key = "column" if f.column else "columns" if f.columns else "derive"
                raise MappingError("mapping_no_column", where=mapping.where("tables", tmap.name, "fields", f.name, key),
                                   source=source_id, column=column,
                                   hint=msg("did_you_mean", value=close[0]) if close else "", available=source.header)


def _crosswalk(expr: pl.Expr, values: dict[str, str]) -> pl.Expr:
    return expr.replace(list(values), list(values.values())) if values else expr


def _date(expr: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    """ISO dates from the vendor's formats; a value none of them reads stays as written, for the date rules."""
    if not formats:
        return expr
    readings = [_serial(expr) if fmt == EXCEL_SERIAL else
                expr.str.to_datetime(fmt, strict=False, exact=True).dt.strftime("%Y-%m-%d") for fmt in formats]
    return pl.coalesce(*readings, expr)


def _serial(expr: pl.Expr) -> pl.Expr:
    """An Excel serial day number (five digits, 1927 to 2173, a whole day: "44013" or "44013.0") as its ISO date;
    null for anything else, which the date rules then report as written."""
    days = expr.str.extract(EXCEL_SERIAL_TEXT).cast(pl.Int64)
    return (pl.lit(EXCEL_EPOCH).str.to_date() + pl.duration(days=days)).dt.strftime("%Y-%m-%d")


def _list(items: pl.Expr, f: FieldMap, delimiter: str) -> pl.Expr:
    cleaned = items.list.eval(_crosswalk(pl.element().str.strip_chars(), f.values)).list.eval(
        pl.element().filter(pl.element().str.len_bytes() > 0))
    # Null for no items; `replace` reads the joined text once, where a when/then would compute the lists twice.
    return cleaned.list.join(delimiter).replace("", None)


def field_expr(f: FieldMap, spec: FieldSpec, list_delimiter: str) -> pl.Expr:
    """The canonical text of one field, from the vendor's columns."""
    if f.value is not None:
        return pl.lit(f.value, pl.String)
    if f.columns:
        return _list(pl.concat_list([pl.col(c) for c in f.columns]).list.drop_nulls(), f, list_delimiter)
    column = pl.col(f.column)
    if spec.is_list and f.delimiter:
        return _list(column.str.split(f.delimiter), f, list_delimiter)
    if spec.is_list and f.values:
        return _list(column.str.split(list_delimiter), f, list_delimiter)
    return _date(_crosswalk(column, f.values), f.date_formats)


def _present(spec, tmap: TableMap) -> pl.Expr:
    """Over the file's columns: rows of a wide file that hold a record of this table, because a column of its own
    (not one of its link to the parent, which the parent's rows hold too) has a value. A row holding only a
    person makes no aktualisering."""
    link = spec.foreign_key[0] if spec.foreign_key else None
    parent_columns = set(tmap.fields[link].source_columns) if link in tmap.fields else set()
    own = {c for n, f in tmap.fields.items() if n != link for c in f.source_columns} - parent_columns
    return pl.any_horizontal(pl.col(c).is_not_null() for c in sorted(own)) if own else pl.lit(True)


def _local_text(f: FieldMap) -> pl.Expr:
    """The vendor's own text of a crosswalked field as written (a list of texts for a field spread over several
    columns). It is split into items only when counted, on its distinct texts (:func:`crosswalk_uses`)."""
    if f.columns:
        return pl.concat_list([pl.col(c) for c in f.columns])
    return pl.col(f.column)


def with_first_rows(frame: pl.LazyFrame, keys: set[frozenset[str]]) -> tuple[pl.LazyFrame, dict[frozenset[str], str]]:
    """`frame` with, per set of columns a derived key is made of, the first data row of the file holding each
    combination of them (null where all are empty), and the name of that column.

    Each is a window over the file's rows, so a table's own key and its children's links to it agree without a
    join; it is computed once per file, not once per table that uses it. A key whose columns include another
    key's is grouped on that key's first row (one integer standing for its columns) and the columns it adds,
    which is cheaper than grouping on all of them as text (a wide file's keys nest: aktualisering, beslut, ...).
    """
    names: dict[frozenset[str], str] = {}
    for i, columns in enumerate(sorted(keys, key=lambda k: (len(k), sorted(k)))):
        inner = max((k for k in names if k < columns), key=len, default=frozenset())
        group = [pl.col(names[inner])] if inner else []
        group += [pl.col(c) for c in sorted(columns - inner)]
        present = pl.any_horizontal(pl.col(c).is_not_null() for c in sorted(columns))
        names[columns] = f"{FIRST}{i}"
        frame = frame.with_columns(pl.when(present).then(pl.col(ROW).min().over(group)).alias(names[columns]))
    return frame, names


def _key_text(first_row: pl.Expr, source_id: str) -> pl.Expr:
    # Written after deduplication, so that a million repeated rows never each format a string.
    return pl.format("{}:{}", pl.lit(source_id), first_row)


def _key_rows(frame: pl.LazyFrame, columns: tuple[str, ...], first_row: str, source_id: str) -> pl.LazyFrame:
    """One row per distinct combination of `columns`: its derived key (for links into another file)."""
    return (frame.select(*columns, pl.col(first_row).alias("__first"))
            .filter(pl.col("__first").is_not_null()).unique(list(columns))
            .select(*columns, _key_text(pl.col("__first"), source_id).alias("__key")))


def build_tables(export: Path, mapping: Mapping, profile: Profile, named: dict[str, readers.Source],
                 staging: Path | None = None) -> dict[str, MappedTable]:
    """The query of each canonical table; columns ``__local.<field>`` hold the vendor's own values of crosswalked
    fields (see :func:`crosswalk_uses`). With `staging` (a private folder), a file that feeds several tables is
    first copied there as Parquet, in one streaming pass."""
    located = {t: _find_source(mapping, tmap, named) for t, tmap in mapping.tables.items()}
    for t, (source_id, source) in located.items():
        _check_columns(mapping, mapping.tables[t], source_id, source)
    shared = mapping.shared_sources()
    frames = {sid: readers.read(source) for sid, source in dict(located.values()).items()}
    keys: dict[str, set[frozenset[str]]] = {}  # per source, the column sets its records' derived keys are made of
    for table, tmap in mapping.tables.items():
        spec = profile.tables[table]
        for name, f in tmap.fields.items():
            if f.derive:
                owner = table if name == spec.primary_key else spec.foreign_key[1]
                keys.setdefault(located[owner][0], set()).add(frozenset(f.derive))
    # A wide file feeds several tables, and each table reads it for its own columns. Parsing the text once into
    # a columnar copy makes those reads cheap without holding the file in memory (which would cost a GiB more
    # at the peak at 1M persons, bench/README.md).
    staged = set()
    if staging is not None:
        for i, sid in enumerate(sorted({located[t][0] for t, tmap in mapping.tables.items() if tmap.source in shared})):
            copy = staging / f"source-{i}.parquet"
            try:
                frames[sid].sink_parquet(copy, compression="lz4", statistics=False)
            except pl.exceptions.PolarsError as exc:
                raise SourceRefused(sid, readers.refused(dict(located.values())[sid], exc)) from exc
            frames[sid] = pl.scan_parquet(copy)
            staged.add(sid)
    first_rows: dict[str, dict[frozenset[str], str]] = {}
    for i, (sid, sets) in enumerate(keys.items()):
        source_frame = frames[sid]
        frames[sid], first_rows[sid] = with_first_rows(source_frame, sets)
        if sid in staged:
            # The windows read only the key columns; written beside the copy (a column of integers each), they
            # are computed once, not once per table.
            copy = staging / f"keys-{i}.parquet"
            frames[sid].select(first_rows[sid].values()).sink_parquet(copy, compression="lz4", statistics=False)
            frames[sid] = pl.concat([source_frame, pl.scan_parquet(copy)], how="horizontal")
    built = {}
    for table, tmap in mapping.tables.items():
        source_id, source = located[table]
        spec = profile.tables[table]
        frame = frames[source_id]
        derived = {name: f for name, f in tmap.fields.items() if f.derive}
        plain = [name for name in tmap.fields if name not in derived]
        links = {}  # derived keys computed on this table's own rows (its own key, a parent in the same file)
        for name, f in derived.items():
            owner = tmap if name == spec.primary_key else mapping.tables[spec.foreign_key[1]]
            if located[owner.name][0] == source_id:
                links[name] = pl.col(first_rows[source_id][frozenset(f.derive)]).alias(FIRST + name)
        raw_keys = sorted({c for n, f in derived.items() if n not in links for c in f.derive})
        columns = sorted({c for n in plain for c in tmap.fields[n].source_columns} | set(raw_keys))
        lf = frame.select(pl.col(ROW), *columns, *links.values(), _present(spec, tmap).alias(PRESENT))
        # A derived key's first row stands for the columns it is derived from (equal first rows, equal columns),
        # so distinct rows are found on that one integer instead of on those texts.
        determined = {c for n in links for c in derived[n].derive}
        firsts = [FIRST + n for n in links]
        if tmap.source in shared:
            # A wide file repeats a record on many rows: keep its distinct rows before any value is read, then
            # once more after (two spellings a crosswalk maps to one value are one record).
            lf = lf.filter(pl.col(PRESENT)).unique(subset=[*firsts, *(c for c in columns if c not in determined)],
                                                   keep="first", maintain_order=True)
        lf = lf.select(pl.col(ROW), *[field_expr(tmap.fields[n], spec.field(n), profile.list_delimiter).alias(n)
                                      for n in plain],
                       *(pl.col(FIRST + n) for n in links),
                       *[pl.col(c).alias(f"__raw.{c}") for c in raw_keys],
                       *[_local_text(f).alias(LOCAL + n) for n, f in tmap.fields.items() if f.values])
        if tmap.source in shared:
            read_elsewhere = [n for n in plain if not set(tmap.fields[n].source_columns) <= determined]
            lf = lf.unique(subset=[*firsts, *read_elsewhere, *(f"__raw.{c}" for c in raw_keys)], keep="first",
                           maintain_order=True)
        lf = lf.with_columns(_key_text(pl.col(FIRST + n), source_id).alias(n) for n in links)
        joined = False
        for name, f in derived.items():
            if name in links:
                continue
            joined = True
            owner = mapping.tables[spec.foreign_key[1]]
            owner_key = owner.fields[profile.tables[owner.name].primary_key]
            owner_id, _ = located[owner.name]
            owner_keys = _key_rows(frames[owner_id], owner_key.derive,
                                   first_rows[owner_id][frozenset(owner_key.derive)], owner_id)
            lf = lf.join(owner_keys.rename({o: f"__raw.{c}" for o, c in zip(owner_key.derive, f.derive)}),
                         on=[f"__raw.{c}" for c in f.derive], how="left", nulls_equal=True) \
                .rename({"__key": name})
        lf = lf.select(ROW, *[n for n in spec.field_names if n in tmap.fields],
                       *[LOCAL + n for n, f in tmap.fields.items() if f.values])
        if joined:  # a join gives no order; everything else keeps the file's
            lf = lf.sort(ROW)
        built[table] = MappedTable(table, lf, source, source_id, [n for n in spec.field_names if n in tmap.fields])
    return built


def crosswalk_uses(profile: Profile, tmaps: dict[str, TableMap], frames: dict[str, pl.LazyFrame]) -> list[CrosswalkUse]:
    """How many records of each built table hold each local value a crosswalk maps (the buyer sees the system's
    own vocabulary), counted from the tables' ``__local.`` columns in one pass. A multi-valued field's text is
    split into items once per distinct text, not once per record."""
    fields = [(t, name, f) for t, tmap in tmaps.items() for name, f in tmap.fields.items() if f.values]
    counts = pl.collect_all([_local_counts(frames[t], name, f, profile.tables[t].field(name), profile.list_delimiter)
                             for t, name, f in fields])
    uses = []
    for (table, name, f), found in zip(fields, counts):
        found = dict(found.iter_rows())
        uses += [CrosswalkUse(table, name, ", ".join(f.source_columns), local, standard, int(found.get(local, 0)))
                 for local, standard in f.values.items()]
    return uses


def _local_counts(frame: pl.LazyFrame, name: str, f: FieldMap, spec: FieldSpec, list_delimiter: str) -> pl.LazyFrame:
    """(local value, records) for the values `f` crosswalks; an item repeated in one record counts twice."""
    local = frame.select(pl.col(LOCAL + name).alias("local"))
    if f.columns:
        texts = local.explode("local").group_by("local").len()
    else:
        texts = local.group_by("local").len()
        if spec.is_list:
            items = pl.col("local").str.split(f.delimiter or list_delimiter).list.eval(pl.element().str.strip_chars())
            texts = texts.with_columns(items).explode("local")
    return (texts.filter(pl.col("local").is_in(list(f.values)))
            .group_by("local").agg(pl.col("len").sum()))


def unmapped_columns(mapping: Mapping, tables: dict[str, MappedTable]) -> dict[str, list[str]]:
    """Per source the built tables read, the columns no field uses."""
    used: dict[str, set[str]] = {}
    header: dict[str, list[str]] = {}
    for table, built in tables.items():
        used.setdefault(built.source_id, set()).update(
            c for f in mapping.tables[table].fields.values() for c in f.source_columns)
        header[built.source_id] = built.source.header
    return {sid: [c for c in header[sid] if c not in cols] for sid, cols in used.items()
            if any(c not in cols for c in header[sid])}
