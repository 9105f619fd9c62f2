"""Vendor exports described by a mapping file: read as the profile's canonical tables and checked the same way.

Public interface
================
``load_mapping(path, profile) -> Mapping``
    The YAML mapping, validated by ``schemas/mapping.schema.json`` and against the profile.
``open_mapped_export(path, mapping_path, profile, derivable) -> conform.input.sources.Export``
    The export (a folder, ``.zip``, ``.xlsx`` or single file) as canonical tables, with structure problems
    (unmapped fields) and a summary of how it was mapped (``Export.mapping``).
``draft_mapping(path, profile) -> str``
    ``conform init-mapping``: a reviewed-by-a-person starting point, as YAML text (see :mod:`.draft`).

Errors are :class:`conform.errors.MappingError` (mapping file, line, key) or
:class:`conform.input.readers.ReaderError` (vendor file, sheet, line).
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import polars as pl

from conform.input import readers
from conform.input.readers.source import ROW
from conform.details import detail, in_languages
from conform.personnummer import mask_text
from conform.input.mapping.apply import (MappedTable, SourceRefused, build_tables, crosswalk_uses, source_ids,
                                         unmapped_columns)
from conform.input.mapping.questions import mapping_questions
from conform.input.mapping.spec import Mapping, load_mapping
from conform.profile import Profile
from conform.input.sources import HASHERS, Export, TableSource, read_package, sha256_of, with_missing_keys

__all__ = ["Mapping", "load_mapping", "open_mapped_export"]


def open_mapped_export(path: Path, mapping_path: Path, profile: Profile,
                       derivable: frozenset[tuple[str, str]] = frozenset()) -> Export:
    mapping = load_mapping(mapping_path, profile)
    # Built tables are written to Parquet in a private folder (removed at exit) and freed: the engine then reads
    # only the columns each view needs, as it does from a canonical export, and a wide file is not held twice.
    folder = readers.private_dir("mapped")
    export = Export(path, read_package(path))
    failed: list[readers.Unreadable] = []
    with readers.opened(path, failed) as sources:
        readable = source_ids(path, sources)
        digests: dict[str, Future | None] = {}
        while True:
            # A file that cannot be read is a finding, and its tables are built without records; a file the
            # query engine refuses although the readers passed it joins them, and the tables are built again.
            named = dict(readable)
            unreadable = _unreadable_sources(path, mapping, named, failed)
            named |= {source_id: source for source_id, source, _ in unreadable.values()}
            try:
                tables, parquet = _written(path, mapping, profile, named, folder, digests)
                break
            except SourceRefused as refused:
                source = readable.pop(refused.source_id)
                failed.append(readers.Unreadable(source.path, source.where, refused.error))
        for table, (_, _, error) in unreadable.items():
            export.problem("unreadable", table, other=detail("reader_problem", mask_text(in_languages(error))))
        unmapped = unmapped_columns(mapping, tables)
        built_frames = {t: pl.scan_parquet(p) for t, p in parquet.items()}
        uses = crosswalk_uses(profile, {t: mapping.tables[t] for t in tables}, built_frames)
        questions, left = mapping_questions(profile, {t: mapping.tables[t] for t in tables}, built_frames)
        if any(built.source.header_row for built in tables.values()):
            export.notes.append("read_below_title")
        for table, built in tables.items():
            source = built.source
            export.tables[table] = TableSource(
                table, source.path, built.fields,
                with_missing_keys(pl.scan_parquet(parquet[table]).select(ROW, *built.fields),
                                  profile.tables[table].keys, built.fields),
                digests[built.source_id], shown=built.source_id,
                encoding=source.encoding, format=source.format, delimiter=source.delimiter, sheet=source.sheet)
        for sid, source in named.items():
            if digests.get(sid) is not None and source.origin != str(source.path):
                digests[sid].result()
        del tables
    export.tables = {t: export.tables[t] for t in profile.tables if t in export.tables}
    not_mapped = []
    for table, spec in profile.tables.items():
        if table not in export.tables:
            export.problem("missing_table", table, other=detail("not_in_mapping", mapping_path.name))
            not_mapped += [{"table": table, "field": name, "derived_by_conform": False} for name in spec.field_names]
            continue
        present = export.tables[table].header
        for name in spec.field_names:
            if name not in present:
                export.missing_field(table, name, (table, name) in derivable,
                                     detail("not_in_mapping", mapping_path.name))
                not_mapped.append({"table": table, "field": name, "derived_by_conform": (table, name) in derivable})
    export.mapping = {
        "path": str(mapping_path),
        "sha256": sha256_of(mapping_path),
        "vendor": mapping.vendor,
        "tables": {t: source.shown for t, source in export.tables.items()},
        "crosswalks": [vars(u) for u in uses],
        "unmapped_columns": unmapped,
        "derived_fields": derived_fields(mapping),
        "unmapped_fields": not_mapped,
        # A value is shown by its shape where it looks like a person-ID, as everywhere conform shows a value.
        "left_as_written": [vars(v) | {"value": mask_text(v.value)} for v in left],
        "open_items": mapping.open_items([vars(q) | {"value": mask_text(q.value),
                                                     "text": mask_text(q.text) if q.text else None}
                                          for q in questions]),
    }
    return export


def _written(path: Path, mapping: Mapping, profile: Profile, named: dict[str, readers.Source], folder: Path,
             digests: dict[str, Future | None]) -> tuple[dict[str, MappedTable], dict[str, Path]]:
    """Build the tables and stream each to its Parquet file in `folder`; raises SourceRefused for a file the
    query engine cannot read."""
    tables = build_tables(path, mapping, profile, named, staging=folder)
    # Hashed beside the work, as for a canonical export; a zip member's copy is removed when the block ends,
    # so its digest is awaited there.
    for sid, source in {t.source_id: t.source for t in tables.values()}.items():
        if sid not in digests:
            digests[sid] = HASHERS.submit(sha256_of, source.path) if source.path.is_file() else None
    # Each table is streamed to its file, one after the other (side by side they take no less time and, for a
    # wide file, 0.25 GiB more at the peak); the vendor's own values (``__local.`` columns) go along, to be
    # counted from the files.
    parquet = {table: folder / f"{table}.parquet" for table in tables}
    for table, built in tables.items():
        try:
            built.query.sink_parquet(parquet[table], compression="lz4", statistics=False)
        except pl.exceptions.PolarsError as exc:
            raise SourceRefused(built.source_id, readers.refused(built.source, exc)) from exc
    return tables, parquet


def _unreadable_sources(path: Path, mapping: Mapping, named: dict[str, readers.Source],
                        failed: list[readers.Unreadable]) -> dict[str, tuple[str, readers.Source, readers.ReaderError]]:
    """The tables whose source is a file that could not be read: (source id, a stand-in source without records
    holding the columns the mapping reads from it, why). The tables are still built, empty, so that every other
    table is checked; each gets a finding naming the file and the problem."""
    if not failed:
        return {}
    by_id = source_ids(path, [readers.Source("", f.path, readers.UNREADABLE, origin=f.where, sheet=f.sheet)
                              for f in failed])
    found = {}
    for table, tmap in mapping.tables.items():
        if tmap.source in named:
            continue
        sid = next((s for s in by_id if tmap.source == s
                    or (by_id[s].sheet is None and tmap.source.startswith(s + ":"))), None)
        if sid is None and len(by_id) == 1 and next(iter(by_id)).lower().endswith((".xlsx", ".xlsm")):
            sid = next(iter(by_id))  # a lone workbook's sheet, named by the sheet alone
        if sid is None and len({s.path for s in named.values()} | {f.path for f in failed}) == 1:
            sid = next((s for s, u in by_id.items() if u.sheet == tmap.source), None)  # ditto, one sheet refused
        if sid is None:
            continue
        unreadable = by_id[sid]
        # Every column any table reads from the file (a wide file feeds several), this table's among them.
        columns = sorted({c for other in mapping.tables.values() if other.source == tmap.source
                          for f in other.fields.values() for c in f.source_columns})
        error = next(f.error for f in failed if f.where == unreadable.origin and f.sheet == unreadable.sheet)
        found[table] = (tmap.source, readers.Source(unreadable.name, unreadable.path, readers.UNREADABLE,
                                                    header=columns, origin=unreadable.origin, records=0,
                                                    blank_lines=False, sheet=unreadable.sheet), error)
    return found


def derived_fields(mapping: Mapping) -> list[dict]:
    """The fields the mapping does not read as one column of the vendor's as written: a value given for every
    record, a key composed of columns, a list gathered from several columns, or dates read with a format. Each
    shapes what is checked, so a buyer sees them beside the result."""
    out = []
    for table, tmap in mapping.tables.items():
        for name, f in tmap.fields.items():
            if f.value is not None:
                out.append({"table": table, "field": name, "how": "value", "source": f.value})
            elif f.derive:
                out.append({"table": table, "field": name, "how": "derive", "source": ", ".join(f.derive)})
            elif f.columns:
                out.append({"table": table, "field": name, "how": "columns", "source": ", ".join(f.columns)})
            if f.date_formats:
                out.append({"table": table, "field": name, "how": "date_format", "source": " | ".join(f.date_formats)})
    return out

