"""Vendor exports described by a mapping file: read as the profile's canonical tables and checked the same way.

Public interface
================
``load_mapping(path, profile) -> Mapping``
    The YAML mapping, validated by ``schemas/mapping.schema.json`` and against the profile.
``open_mapped_export(path, mapping_path, profile, derivable) -> conform.sources.Export``
    The export (a folder, ``.zip``, ``.xlsx`` or single file) as canonical tables, with structure problems
    (unmapped fields) and a summary of how it was mapped (``Export.mapping``).
``draft_mapping(path, profile) -> str``
    ``conform init-mapping``: a reviewed-by-a-person starting point, as YAML text (see :mod:`.draft`).

Errors are :class:`conform.errors.MappingError` (mapping file, line, key) or
:class:`conform.readers.ReaderError` (vendor file, sheet, line).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conform import readers
from conform.context import ROW
from conform.details import detail
from conform.mapping.apply import build_tables, crosswalk_uses, source_ids, unmapped_columns
from conform.mapping.spec import Mapping, load_mapping
from conform.profile import Profile
from conform.sources import HASHERS, Export, TableSource, read_package, sha256_of

__all__ = ["Mapping", "load_mapping", "open_mapped_export"]


def open_mapped_export(path: Path, mapping_path: Path, profile: Profile,
                       derivable: frozenset[tuple[str, str]] = frozenset()) -> Export:
    mapping = load_mapping(mapping_path, profile)
    # Built tables are written to Parquet in a private folder (removed at exit) and freed: the engine then reads
    # only the columns each view needs, as it does from a canonical export, and a wide file is not held twice.
    folder = readers.private_dir("mapped")
    export = Export(path, read_package(path))
    with readers.opened(path) as sources:
        named = source_ids(path, sources)
        tables = build_tables(path, mapping, profile, named, staging=folder)
        unmapped = unmapped_columns(mapping, tables)
        # Hashed beside the work, as for a canonical export; a zip member's copy is removed when the block ends,
        # so its digest is awaited there.
        digests = {sid: HASHERS.submit(sha256_of, s.path)
                   for sid, s in {t.source_id: t.source for t in tables.values()}.items()}
        # Each table is streamed to its file, one after the other (side by side they take no less time and, for a
        # wide file, 0.25 GiB more at the peak); the vendor's own values (``__local.`` columns) go along, to be
        # counted from the files.
        parquet = {table: folder / f"{table}.parquet" for table in tables}
        for table, built in tables.items():
            built.query.sink_parquet(parquet[table], compression="lz4", statistics=False)
        uses = crosswalk_uses(profile, {t: mapping.tables[t] for t in tables},
                              {t: pl.scan_parquet(p) for t, p in parquet.items()})
        for table, built in tables.items():
            source = built.source
            export.tables[table] = TableSource(
                table, source.path, built.fields, pl.scan_parquet(parquet[table]).select(ROW, *built.fields),
                digests[built.source_id], shown=built.source_id,
                encoding=source.encoding, format=source.format, delimiter=source.delimiter, sheet=source.sheet)
        for sid, source in named.items():
            if sid in digests and source.origin != str(source.path):
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
    }
    return export


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

