"""`conform convert`: an export (with its mapping, any vendor's shape) written out as the profile's canonical data
package, for a municipality's own follow-up and for other tools.

The five tables as UTF-8 CSV (or Parquet), each with the columns of the standard the export holds, in the order
of its records in the vendor's files, with the mapping's crosswalks, date formats and derived keys applied: the
records exactly as `conform check` reads them. Beside them a ``datapackage.json`` with the profile's Table
Schemas and where the data came from: each source file's SHA-256, the mapping's SHA-256 and the crosswalks it
applied. The descriptor is checked by frictionless (the Data Package standard's own library) before it is
written; nothing in the records is changed or judged here, so a defect of the export is a defect of the package,
for `conform check` (or `frictionless validate`) to report.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from conform import __version__, clock
from conform.input.readers.source import ROW
from conform.errors import UsageError
from conform.profile import Profile
from conform.input.sources import Export

FORMATS = ("csv", "parquet")


def convert(export: Export, profile: Profile, outdir: Path, fmt: str = "csv") -> dict:
    """Write `export` (as opened by :func:`conform.input.sources.open_export` or
    :func:`conform.input.mapping.open_mapped_export`) to `outdir` as a data package; returns the descriptor."""
    outdir.mkdir(parents=True, exist_ok=True)
    standard = _profile_package(profile)
    template = {r["name"]: r for r in standard["resources"]}
    resources = []
    for table, source in export.tables.items():
        if source.frame is None:
            continue
        columns = [f for f in profile.tables[table].field_names if f in source.header]
        records = source.frame.sort(ROW).select(columns)
        path = outdir / f"{table}.{fmt}"
        if fmt == "parquet":
            records.sink_parquet(path)
        else:
            records.sink_csv(path, include_bom=False, line_terminator="\n")
        resource = copy.deepcopy(template[table])
        resource["path"] = path.name
        if fmt == "parquet":
            resource.update(format="parquet", mediatype="application/vnd.apache.parquet")
            resource.pop("encoding", None)
        schema = resource["schema"]
        schema["fields"] = [f for f in schema["fields"] if f["name"] in columns]
        schema["foreignKeys"] = [k for k in schema.get("foreignKeys", [])
                                 if all(f in columns for f in _list(k["fields"]))
                                 and k["reference"]["resource"] in export.tables]
        if not all(f in columns for f in _list(schema.get("primaryKey", []))):
            schema.pop("primaryKey", None)
        resources.append(resource)
    descriptor = {
        "profile": "tabular-data-package",
        "name": f"{profile.name}-{_slug(export.path.stem)}",
        "title": f"{standard.get('title', profile.name)}: {export.path.name}",
        "created": _created(export),
        "resources": resources,
        "conform": {
            "converted_by": f"conform {__version__}",
            "converted_at": clock.timestamp(),
            "profile": {"name": profile.name, "version": profile.version},
            "export": str(export.path),
            "sources": [{"table": t, "path": s.shown or s.path.name, "sha256": s.sha256, "format": s.format,
                         "encoding": s.encoding, "sheet": s.sheet} for t, s in export.tables.items()],
            "mapping": None if export.mapping is None else {
                k: export.mapping[k] for k in ("path", "sha256", "vendor", "crosswalks", "derived_fields",
                                               "unmapped_fields")},
        },
    }
    descriptor = {k: v for k, v in descriptor.items() if v is not None}
    _validated(descriptor)
    (outdir / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    return descriptor


def _created(export: Export) -> str | None:
    """The export's own reference date where it has one: a check of the package then judges the same day."""
    return export.package.get("created") if isinstance(export.package.get("created"), str) else None


def _validated(descriptor: dict) -> None:
    """The descriptor as the Data Package standard describes it (frictionless' metadata check, no data read)."""
    from frictionless import Package

    problems = [e.note for e in Package.metadata_validate(descriptor)]
    if problems:  # a fault of conform's, not of the user's input: the profile's schemas must make a valid package
        raise UsageError("convert_descriptor", detail="; ".join(problems[:3]))


def _profile_package(profile: Profile) -> dict:
    return json.loads((profile.path / "datapackage.json").read_text(encoding="utf-8"))


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in text.lower())
    return cleaned.strip("-") or "export"
