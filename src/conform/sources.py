"""Reads an export folder into lazy, all-text tables and reports what is wrong with its files.

Nothing here judges values; it finds the files, checks headers against the profile, proves the bytes are
UTF-8 (hashing them in the same pass, for the report's evidence) and finds rows with the wrong number of fields,
which CSV readers otherwise pad or drop silently.
"""

from __future__ import annotations

import csv
from concurrent.futures import Future, ThreadPoolExecutor
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conform.context import ROW
from conform.errors import UsageError, msg
from conform.model import FINDING_COLUMNS, InputFile
from conform.profile import Profile
from conform.details import detail, detail_expr
from conform.readers.text import field_count, first_undecodable, is_not_utf8, odd_quotes

CHUNK = 1 << 22
PROBLEM_COLUMNS = {"check": pl.String(), **FINDING_COLUMNS}
HASHERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conform-sha256")
QUOTE = '"'
SEPARATOR = ","


@dataclass
class TableSource:
    name: str
    path: Path
    header: list[str]
    frame: pl.LazyFrame | None = None
    digest: Future | None = None
    # How the file was read, for the report's evidence (a mapped export names the vendor's file or sheet).
    shown: str | None = None
    encoding: str | None = "utf-8"
    format: str = "csv"
    delimiter: str | None = SEPARATOR
    sheet: str | None = None

    @property
    def sha256(self) -> str | None:
        return self.digest.result() if self.digest else None


@dataclass
class Export:
    path: Path
    package: dict
    tables: dict[str, TableSource] = field(default_factory=dict)
    problems: list[pl.DataFrame] = field(default_factory=list)  # structure findings, with a `check` column
    mapping: dict | None = None  # how a mapped export was read (conform.mapping.open_mapped_export)
    rescans_text: bool = False  # each scan of a table's frame parses its text file again

    def available(self) -> dict[str, set[str]]:
        return {name: set(t.header) for name, t in self.tables.items() if t.frame is not None}

    def inputs(self, records: dict[str, int]) -> list[InputFile]:
        return [InputFile(t.name, t.shown or t.path.name, t.sha256, records.get(t.name), t.encoding, t.format,
                          t.delimiter, t.sheet)
                for t in self.tables.values()]

    def structure_findings(self, codes: dict[str, str], outside_sets: set[tuple[str, str]] = frozenset()
                           ) -> pl.DataFrame:
        """The problems found while reading, as findings of the structure rules (check name -> rule code). A
        missing column in `outside_sets` ((table, field) pairs of no information set: keys, målgrupp) is a
        ``missing_link_column``: the standard does not ask for it, conform's model of the export does."""
        if not self.problems:
            return pl.DataFrame(schema=FINDING_COLUMNS)
        problems = pl.concat(self.problems, how="vertical")
        outside = pl.concat_str("table", pl.lit("."), "field").is_in([f"{t}.{f}" for t, f in outside_sets])
        problems = problems.with_columns(
            check=pl.when((pl.col("check") == "missing_column") & outside).then(pl.lit("missing_link_column"))
            .otherwise(pl.col("check")))
        return (problems.filter(pl.col("check").is_in(list(codes)))
                .with_columns(rule=pl.col("check").replace_strict(codes, default=None))
                .select(list(FINDING_COLUMNS)))

    def problem(self, check: str, table: str, **cols) -> None:
        row = {"check": check, "rule": None, "table": table} | {k: cols.get(k) for k in FINDING_COLUMNS
                                                                 if k not in ("rule", "table")}
        self.problems.append(pl.DataFrame([row], schema=PROBLEM_COLUMNS))

    def missing_field(self, table: str, name: str, derivable: bool, why: str | None) -> None:
        """A field of the profile the export does not hold: noted as derived (``derived_<field>``) where the
        engine computes it, else a missing column, with `why`."""
        if derivable:
            self.problem("derived_" + name, table, field=name)
        else:
            self.problem("missing_column", table, field=name, other=why)


def open_export(path: Path, profile: Profile, derivable: frozenset[tuple[str, str]] = frozenset()) -> Export:
    """Open an export folder. A missing column in `derivable` ((table, field) pairs the engine can compute) is
    reported as derived, not as missing."""
    if not path.exists():
        raise UsageError("no_such_path", path=path)
    if not path.is_dir():
        raise UsageError("export_not_folder", path=path, files=[t + ".csv" for t in profile.tables])
    package = read_package(path)
    export = Export(path, package, rescans_text=True)
    declared = {r.get("name"): r.get("path") for r in package.get("resources", []) if isinstance(r, dict)}
    files, headers = {}, {}
    for table in profile.tables:
        file = path / (declared.get(table) or f"{table}.csv")
        if not file.is_file():
            export.problem("missing_table", table, value=file.name)
            continue
        files[table] = file
        try:
            headers[table] = _read_header(file)
        except UnicodeDecodeError:
            headers[table] = None
    if not files:
        found = sorted(p.name for p in path.iterdir() if p.is_file())[:8]
        raise UsageError("export_no_tables", path=path, files=[t + ".csv" for t in profile.tables],
                         found=found or msg("no_files"))
    scans = _ragged_rows({t: (files[t], len(h)) for t, h in headers.items() if h is not None})
    for table, file in files.items():
        spec = profile.tables[table]
        _open_table(export, table, file, headers[table], scans.get(table), list(spec.field_names),
                    {f for t, f in derivable if t == table})
    return export


# A data package descriptor is a few kilobytes; a larger one inside a zip is refused unread (it could be a bomb).
MAX_PACKAGE_BYTES = 1 << 20


def read_package(path: Path) -> dict:
    """The export's datapackage.json ({} without one): beside the tables in a folder, or at the root of a zip.
    Its `created` date is the default reference date."""
    if path.is_file() and zipfile.is_zipfile(path):
        return _zip_package(path)
    descriptor = path / "datapackage.json"
    if not path.is_dir() or not descriptor.is_file():
        return {}
    return _parse_package(descriptor, lambda: descriptor.read_text(encoding="utf-8"))


def _zip_package(archive: Path) -> dict:
    where = f"{archive}!datapackage.json"
    try:
        with zipfile.ZipFile(archive) as zf:
            try:
                info = zf.getinfo("datapackage.json")
            except KeyError:
                return {}
            if info.file_size > MAX_PACKAGE_BYTES:
                raise UsageError("package_too_large", where=where, size=info.file_size, limit=MAX_PACKAGE_BYTES)
            raw = zf.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError):
        return {}  # the reader reports an unreadable archive, naming the file
    return _parse_package(Path(where), lambda: raw.decode("utf-8"))


def _parse_package(descriptor: Path, read) -> dict:
    try:
        package = json.loads(read())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UsageError("package_not_json", where=descriptor, detail=exc) from exc
    if not isinstance(package, dict):
        raise UsageError("package_not_object", where=descriptor)
    return package


def _open_table(export: Export, table: str, file: Path, header: list[str] | None, ragged: pl.DataFrame | None,
                expected: list[str], derivable: set[str]) -> None:
    """`ragged` is the ragged-row scan of the file, None when the scan found it is not UTF-8 text."""
    # Hashing runs beside the checks (hashlib releases the GIL); the digest is the report's evidence.
    source = TableSource(table, file, [], digest=HASHERS.submit(sha256_of, file))
    export.tables[table] = source
    line = _bare_carriage_return(file)
    if line is not None:
        # Old Mac (CR-only) or mixed line endings: the CSV reader sees one endless line, so the file cannot be
        # read record by record; it is a finding naming the line, and the other tables are still checked.
        export.problem("unreadable", table, other=detail("cr_line_endings", line))
        return
    if ragged is not None and ragged.height:
        export.problems.append(ragged)
    if header is None or ragged is None:
        bad = first_undecodable(file, "utf-8")
        if bad is not None:
            position, line, reason = bad
            export.problem("unreadable", table, row=line - 1 if line > 1 else None,
                           other=detail("not_utf8", reason, position, line))
            return
    if header is None:
        export.problem("unreadable", table, other=detail("no_header"))
        return
    source.header = header
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        export.problem("unreadable", table, other=detail("duplicate_columns", ", ".join(duplicates)))
        return
    hint = None
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        sep = next(s for s in ";\t|" if s in header[0])
        hint = detail("delimiter", {"\t": "TAB"}.get(sep, sep))
    for column in expected:
        if column not in header:
            export.missing_field(table, column, column in derivable and hint is None, hint)
    for column in header:
        if column not in expected:
            export.problem("unknown_column", table, field=column)
    present = [c for c in header if c in expected]
    source.frame = (
        pl.scan_csv(file, infer_schema=False, encoding="utf8", truncate_ragged_lines=True,
                    row_index_name=ROW, row_index_offset=1, quote_char=QUOTE, separator=SEPARATOR)
        .select(ROW, *present)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def _bare_carriage_return(file: Path, sample: int = 1 << 20) -> int | None:
    """The line (1-based) of the first carriage return not followed by a line feed in the file's first MiB, or
    None. A CR-only file shows one at once; a file with CRLF line ends has none."""
    with file.open("rb") as fh:
        head = fh.read(sample)
    at = next((i for i in _crs(head) if head[i + 1:i + 2] not in (b"\n", b"")), None)
    return None if at is None else head.count(b"\n", 0, at) + 1


def _crs(data: bytes):
    at = data.find(b"\r")
    while at != -1:
        yield at
        at = data.find(b"\r", at + 1)


def sha256_of(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_header(file: Path) -> list[str] | None:
    with file.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        return None
    return next(csv.reader(io.StringIO(first), delimiter=SEPARATOR, quotechar=QUOTE))


def _ragged_query(table: str, file: Path, width: int) -> pl.LazyFrame:
    """Data rows whose number of fields differs from the header's, found line by line as one vectorised scan.

    Quoted sections are removed before counting separators. A line with an odd number of quotes is part of a
    field with a line break inside; such lines cannot be judged one by one and are left to the CSV reader.
    """
    lines = pl.scan_lines(file, name="text").with_row_index("line", offset=1)
    fields = field_count(pl.col("text"), SEPARATOR, QUOTE)
    balanced = odd_quotes(pl.col("text"), QUOTE) == 0
    return (
        lines.filter((pl.col("line") > 1) & (pl.col("text").str.len_bytes() > 0) & balanced & (fields != width))
        .select(
            check=pl.lit("ragged_row"), rule=pl.lit(None, pl.String), table=pl.lit(table),
            row=(pl.col("line") - 1).cast(pl.Int64), key=pl.lit(None, pl.String), field=pl.lit(None, pl.String),
            value=pl.lit(None, pl.String),
            other=detail_expr("ragged", pl.col("line"), fields, pl.lit(width)),
        )
    )


def _ragged_rows(files: dict[str, tuple[Path, int]]) -> dict[str, pl.DataFrame | None]:
    """The ragged-row scans of all files at once; None for a file the scan found not to be UTF-8 text (the scan
    proves that as it goes, so the bytes are decoded in Python only to locate a bad one)."""
    queries = {t: _ragged_query(t, file, width) for t, (file, width) in files.items()}
    try:
        return dict(zip(queries, pl.collect_all(list(queries.values()))))
    except pl.exceptions.ComputeError:
        return {t: _collect_utf8(q) for t, q in queries.items()}


def _collect_utf8(query: pl.LazyFrame) -> pl.DataFrame | None:
    try:
        return query.collect()
    except pl.exceptions.ComputeError as exc:
        if is_not_utf8(exc):
            return None
        raise
