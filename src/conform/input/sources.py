"""Reads an export folder into lazy, all-text tables and reports what is wrong with its files.

Nothing here judges values; it finds the files, checks headers against the profile, proves the bytes are
UTF-8 (hashing them in the same pass, for the report's evidence) and finds rows with the wrong number of fields,
which CSV readers otherwise pad or drop silently.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from conform import jsonfile
from conform.details import detail, detail_expr
from conform.errors import UsageError, msg, utf8_reason
from conform.input.readers import _temp
from conform.input.readers.core import extract, outside
from conform.input.readers.extent import MAX_SHEET_CELLS
from conform.input.readers.source import ROW, ReaderError
from conform.input.readers.text import (bare_carriage_return, field_count, first_undecodable, is_not_utf8,
                                        misplaced_quotes, odd_quotes, transcode)
from conform.model import FINDING_COLUMNS, InputFile
from conform.profile import Profile

CHUNK = 1 << 22
# The longest line (so the largest cell) a table may have: a real record is a few hundred bytes.
MAX_LINE_BYTES = 1 << 20
# The most broken lines (wrong number of fields, unreadable) a table may have before the file as a whole is
# reported unreadable.
MAX_BROKEN_LINES = 100_000
# The most columns a table's header may have: a canonical table has at most ten, a vendor's wide file a few
# hundred.
MAX_COLUMNS = 10_000
PROBLEM_COLUMNS = {"check": pl.String(), **FINDING_COLUMNS}
HASHERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conform-sha256")
QUOTE = '"'
SEPARATOR = ","
WORKBOOKS = (".xlsx", ".xlsm")
# The separators a canonical table may use: the standard's comma, Swedish Excel's semicolon, tab and bar.
SEPARATORS = (",", ";", "\t", "|")
TITLE_LINES_AT_MOST = 20  # title and blank lines passed over to find a table's headings


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
    # Records left out of `frame` (malformed quotes): still records of the export, each with its finding.
    left_out: int = 0

    @property
    def sha256(self) -> str | None:
        return self.digest.result() if self.digest else None


@dataclass
class Export:
    path: Path
    package: dict
    tables: dict[str, TableSource] = field(default_factory=dict)
    problems: list[pl.DataFrame] = field(default_factory=list)  # structure findings, with a `check` column
    mapping: dict | None = None  # how a mapped export was read (conform.input.mapping.open_mapped_export)
    rescans_text: bool = False  # each scan of a table's frame parses its text file again
    notes: list[str] = field(default_factory=list)  # how the export was found (read from a zip archive)

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
        of_no_set = pl.concat_str("table", pl.lit("."), "field").is_in([f"{t}.{f}" for t, f in outside_sets])
        problems = problems.with_columns(
            check=pl.when((pl.col("check") == "missing_column") & of_no_set).then(pl.lit("missing_link_column"))
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


def open_export(path: Path, profile: Profile, derivable: frozenset[tuple[str, str]] = frozenset(),
                careful: bool = False) -> Export:
    """Open an export folder. A missing column in `derivable` ((table, field) pairs the engine can compute) is
    reported as derived, not as missing.

    Every line with an odd number of quotes is an unreadable-row finding and is left out of the table as read
    (no value of the standard holds a line break, so a record is one line). A quote inside a field with an even
    number of quotes on its line (``1,"xy"z``) costs a second regular-expression pass over every line, so it is
    looked for only when `careful`: :func:`conform.api.check` opens the export again that way if the CSV reader
    refuses a table."""
    if not path.exists():
        raise UsageError("no_such_path", path=path)
    if path.is_file() and path.suffix.lower() in WORKBOOKS:
        return _open_workbook(path, profile, derivable, careful)
    if path.is_file() and zipfile.is_zipfile(path):
        return _open_zipped(path, profile, derivable, careful)
    if not path.is_dir():
        raise UsageError("export_not_folder", path=path, files=[t + ".csv" for t in profile.tables])
    package = read_package(path)
    export = Export(path, package, rescans_text=True)
    resources = package.get("resources")
    declared = {r.get("name"): r.get("path") for r in (resources if isinstance(resources, list) else [])
                if isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("path"), str)}
    files, headers, separators, readable, encodings, at = {}, {}, {}, {}, {}, {}
    root = path.resolve()
    for table in profile.tables:
        name = declared.get(table) or f"{table}.csv"
        file = path / name
        leads = outside(root, file)
        if leads is not None:
            export.problem("unreadable", table, other=detail(leads, name[:200]))
            continue
        if not file.is_file():
            export.problem("missing_table", table, value=name[:200])
            continue
        files[table] = file
        if _utf16(file):
            # Excel's "Unicode text": read from a UTF-8 copy, line for line. A UTF-16 mark before bytes that are no
            # UTF-16 text is read as any file is, and so unreadable, naming its first bad byte.
            try:
                readable[table] = transcode(file, "utf-16", _temp.private_dir("utf16"))
                encodings[table] = "utf-16"
            except UnicodeDecodeError:
                pass
        try:
            names = profile.tables[table].field_names
            at[table] = _heading_line(readable.get(table, file), names)
            separators[table] = _separator(readable.get(table, file), names, at[table])
            headers[table] = _read_header(readable.get(table, file), separators[table], at[table])
        except UnicodeDecodeError:
            headers[table] = None
        except HeaderTooLong:
            export.problem("unreadable", table, other=detail("line_too_long", 1, MAX_LINE_BYTES))
            del files[table]
    if not files:
        found = sorted(p.name for p in path.iterdir() if p.is_file())[:8]
        raise UsageError("export_no_tables", path=path, files=[t + ".csv" for t in profile.tables],
                         found=found or msg("no_files"))
    readable = {t: readable.get(t, f) for t, f in files.items()}
    encodings = {t: encodings.get(t) or _utf8_name(f) for t, f in files.items()}
    scans = _ragged_rows({t: (readable[t], len(h), separators[t], at[t]) for t, h in headers.items()
                          if h is not None}, careful)
    for table, file in files.items():
        if (headers[table] is None or scans.get(table) is None) and readable[table] is file and _windows_1252(file):
            # Saved by Excel ("CSV (semikolonavgränsad)") or another Windows program: read from a UTF-8 copy,
            # line for line, so that findings name the rows of the file as sent.
            readable[table] = transcode(file, "cp1252", _temp.private_dir("cp1252"))
            encodings[table] = "cp1252"
            headers[table] = _read_header(readable[table], separators[table], at[table])
            scans[table] = _collect_utf8(_ragged_query(table, readable[table], len(headers[table] or []),
                                                       separators[table], at[table], careful))
    for table, file in files.items():
        spec = profile.tables[table]
        _open_table(export, table, file, readable[table], encodings[table], separators[table], headers[table],
                    scans.get(table), list(spec.field_names), {f for t, f in derivable if t == table}, spec.keys,
                    at.get(table, 1))
    read = [t for t in export.tables.values() if t.frame is not None]
    if any(t.encoding in ("cp1252", "utf-16") for t in read):
        export.notes.append("read_other_encoding")
    if any(t.delimiter != SEPARATOR for t in read):
        export.notes.append("read_other_separator")
    if any(line > 1 for table, line in at.items() if export.tables[table].frame is not None):
        export.notes.append("read_below_title")
    return export


def _open_zipped(archive: Path, profile: Profile, derivable: frozenset[tuple[str, str]], careful: bool) -> Export:
    """The canonical tables zipped, at the archive's root or in its one folder, read as that folder would be,
    its datapackage.json honoured (the reference date among it): the archive is extracted into a private
    temporary folder, behind the readers' guards against zip bombs and paths that climb out. Each table is
    shown as the archive's member."""
    top = folder = extract(archive, str(archive))
    inner = [p for p in top.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if not any((top / f"{t}.csv").is_file() for t in profile.tables) and len(inner) == 1 and inner[0].is_dir():
        folder = inner[0]
    if not any((folder / f"{t}.csv").is_file() for t in profile.tables):
        found = sorted(p.relative_to(top).as_posix() for p in top.rglob("*") if p.is_file())[:8]
        raise UsageError("export_no_tables", path=archive, files=[t + ".csv" for t in profile.tables],
                         found=found or msg("no_files"))
    export = open_export(folder, profile, derivable, careful)
    for table in export.tables.values():
        table.shown = f"{archive.name}:{table.path.relative_to(top).as_posix()}"
    export.notes.append("read_from_zip")
    return export


def _open_workbook(workbook: Path, profile: Profile, derivable: frozenset[tuple[str, str]], careful: bool
                   ) -> Export:
    """The canonical tables as the sheets of one workbook, each sheet named as its table (in any case). Each
    sheet is written cell by cell, as the text of what Excel stored, to a CSV file in a private temporary folder,
    and read as that folder would be. A sheet whose values reach too far for the workbook reader's memory is
    refused unread (conform.input.readers.extent): its table is unreadable, and the others are read."""
    from conform.input.readers.core import excel_reader
    from conform.input.readers.extent import sheet_extent

    book = excel_reader(workbook, str(workbook))
    sheets = {name.strip().casefold(): name for name in book.sheet_names}
    found = {table: sheets[table.casefold()] for table in profile.tables if table.casefold() in sheets}
    extents = {table: sheet_extent(workbook, sheet) for table, sheet in found.items()}
    if not any(extents[t] is None and _sheet_values(book, s) & set(profile.tables[t].field_names)
               for t, s in found.items()):
        # A vendor's workbook may well have a sheet called "Beslut": it is canonical only where a sheet named as
        # a table also holds a column of it, named as the standard's (below a report's title, where it has one:
        # read as a folder, each table's headings are then found where they stand).
        raise UsageError("export_no_tables", path=workbook, files=", ".join(profile.tables),
                         found=", ".join(book.sheet_names[:8]) or msg("no_files"))
    folder = _temp.private_dir("xlsx")
    too_large = {}
    for table, sheet in found.items():
        extent = extents[table]
        if extent is not None:
            too_large[table] = extent
            continue
        try:
            # A cell holding an empty string (xlsxwriter, a formula ="") is as empty as a blank one, not a value "".
            book.load_sheet(sheet, dtypes="string").to_polars().with_columns(pl.all().replace("", None)) \
                .write_csv(folder / f"{table}.csv")
        except Exception as exc:  # fastexcel raises its own CalamineError family
            raise ReaderError(str(workbook), "reader_sheet_bad", sheet=sheet, detail=str(exc).strip()[:200]) \
                from exc
    export = open_export(folder, profile, derivable, careful) if len(too_large) < len(found) \
        else Export(folder, {}, rescans_text=True)
    export.path = workbook
    # Tables without a sheet are named as the sheet they lack; a refused sheet is unreadable, not missing.
    export.problems = [p.with_columns(value=pl.when(pl.col("check") == "missing_table")
                                      .then(pl.lit(f"{workbook.name}:") + pl.col("table")).otherwise("value"))
                       .filter(~((pl.col("check") == "missing_table") & pl.col("table").is_in(list(too_large))))
                       for p in export.problems]
    for table, extent in too_large.items():
        export.problem("unreadable", table, other=detail("sheet_too_large", found[table], extent.far_cell,
                                                         _grouped(extent.cells), _grouped(MAX_SHEET_CELLS)))
    digest = HASHERS.submit(sha256_of, workbook)
    for table, source in export.tables.items():
        source.path, source.digest, source.shown = workbook, digest, f"{workbook.name}:{found[table]}"
        source.format, source.sheet, source.encoding, source.delimiter = "xlsx", found[table], None, None
    export.notes = [n for n in export.notes if n not in ("read_other_encoding", "read_other_separator")]
    export.notes.append("read_from_workbook")
    return export


def _sheet_values(book, sheet: str) -> set[str]:
    """The values of a sheet's first rows: its headings, and any title above them."""
    try:
        rows = book.load_sheet(sheet, header_row=None, n_rows=TITLE_LINES_AT_MOST + 1, dtypes="string")
        return {value for row in rows.to_polars().rows() for value in row if value}
    except Exception:  # fastexcel raises its own CalamineError family; the sheet is read, and reported, later
        return set()


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", "\u00a0")


# A data package descriptor is a few kilobytes; a larger one inside a zip is refused unread (it could be a bomb).
MAX_PACKAGE_BYTES = 1 << 20


def read_package(path: Path) -> dict:
    """The export's datapackage.json ({} without one): beside the tables in a folder, or at the root of a zip.
    Its `created` date is the default reference date."""
    if path.is_file() and zipfile.is_zipfile(path):
        return _zip_package(path)
    descriptor = path / "datapackage.json"
    if not path.is_dir() or not descriptor.is_file() or outside(path.resolve(), descriptor):
        return {}
    size = descriptor.stat().st_size
    if size > MAX_PACKAGE_BYTES:
        raise UsageError("package_too_large", where=descriptor, size=size, limit=MAX_PACKAGE_BYTES)
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
        package = jsonfile.loads(read())
    except jsonfile.TooDeep as exc:
        raise UsageError("json_too_deep", path=descriptor, limit=jsonfile.MAX_DEPTH) from exc
    except UnicodeDecodeError as exc:
        raise UsageError("package_not_utf8", where=descriptor, byte=exc.start, reason=utf8_reason(exc.reason)) \
            from exc
    except json.JSONDecodeError as exc:
        raise UsageError("package_not_json", where=descriptor, line=exc.lineno, column=exc.colno) from exc
    if not isinstance(package, dict):
        raise UsageError("package_not_object", where=descriptor)
    return package


def _open_table(export: Export, table: str, file: Path, readable: Path, encoding: str, separator: str,
                header: list[str] | None, ragged: pl.DataFrame | None, expected: list[str], derivable: set[str],
                spec_keys: list[str], heading: int = 1) -> None:
    """`readable` is `file` or its UTF-8 copy (a Windows-1252 file); `ragged` is the ragged-row scan of it, None
    when the scan found it is not UTF-8 text; `heading` the line its headings stand on (below title lines)."""
    # Hashing runs beside the checks (hashlib releases the GIL); the digest is the report's evidence.
    source = TableSource(table, file, [], digest=HASHERS.submit(sha256_of, file), encoding=encoding,
                         delimiter=separator)
    export.tables[table] = source
    line = _bare_carriage_return(readable)
    if line is not None:
        # Old Mac (CR-only) or mixed line endings: the CSV reader sees one endless line, so the file cannot be
        # read record by record; it is a finding naming the line, and the other tables are still checked.
        export.problem("unreadable", table, other=detail("cr_line_endings", line))
        return
    if ragged is not None and ragged.height > MAX_BROKEN_LINES:
        # A file this broken is not a CSV of the table (a multi-megabyte cell, another file's content): listing
        # every line would say nothing more and could fill the memory.
        export.problem("unreadable", table, other=detail("too_many_broken_lines", MAX_BROKEN_LINES))
        return
    scanned = readable
    if ragged is not None and ragged.height:
        export.problems.append(ragged)
        broken = ragged.filter(pl.col("check") == "unreadable_row")["row"]
        if len(broken):
            readable = _without_lines(scanned, broken + heading, separator, heading)
            source.left_out = len(broken)
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
    if len(header) > MAX_COLUMNS:
        export.problem("unreadable", table, other=detail("too_many_columns", len(header), MAX_COLUMNS))
        return
    source.header = header
    duplicates = sorted({c for c, n in Counter(header).items() if n > 1})
    if duplicates:
        export.problem("unreadable", table, other=detail("duplicate_columns", ", ".join(duplicates)))
        return
    hint = None
    if len(header) == 1 and any(sep in header[0] for sep in SEPARATORS if sep != separator):
        sep = next(s for s in SEPARATORS if s != separator and s in header[0])
        hint = detail("delimiter", {"\t": "TAB"}.get(sep, sep))
    for column in expected:
        if column not in header:
            export.missing_field(table, column, column in derivable and hint is None, hint)
    for column in header:
        if column not in expected:
            export.problem("unknown_column", table, field=column)
    present = [c for c in header if c in expected]
    # The copy without the malformed lines keeps each record's number in its first column.
    numbered = {"row_index_name": ROW, "row_index_offset": 1, "skip_lines": heading - 1} \
        if readable is scanned else {}
    frame = pl.scan_csv(readable, infer_schema=False, encoding="utf8", truncate_ragged_lines=True,
                        quote_char=QUOTE, separator=separator, **numbered)
    source.frame = with_missing_keys(frame.select(ROW, *present).with_columns(pl.col(ROW).cast(pl.Int64)),
                                     spec_keys, present)


def with_missing_keys(frame: pl.LazyFrame, keys: list[str], present: list[str]) -> pl.LazyFrame:
    """The frame with a column of nulls for each of the table's `keys` (its own key, its foreign key) it lacks.
    A missing key column is a finding of its own (STR-010) and the rules that need it are not evaluated, but
    the queries that link the tables read the keys of every table: as nulls, a missing key links no record."""
    missing = [k for k in keys if k not in present]
    return frame.with_columns(pl.lit(None, pl.String).alias(k) for k in missing) if missing else frame


def _without_lines(file: Path, lines: pl.Series, separator: str, heading: int = 1) -> Path:
    """A copy of `file` in a private temporary folder from its headings (on line `heading`) on, without `lines`
    (1-based), each record led by its number in the original (``__row``), so that findings name the rows of the
    file as sent."""
    copy = _temp.private_dir("quotes") / file.name
    number = pl.col("line")
    text = pl.col("text")
    (pl.scan_lines(file, name="text").with_row_index("line", offset=1)
     .filter(~number.is_in(lines.implode()) & (number >= heading))
     .select(pl.when(number == heading).then(pl.lit(ROW + separator) + text.str.strip_prefix("\ufeff"))
             .otherwise((number - heading).cast(pl.String) + pl.lit(separator) + text))
     .sink_csv(copy, include_header=False, quote_style="never"))
    return copy


def _bare_carriage_return(file: Path, sample: int = 1 << 20) -> int | None:
    """The line of the first carriage return not followed by a line feed in the file's first MiB, or None (a CR
    that is the sample's last byte is not judged). A CR-only file shows one at once; a file with CRLF line ends
    has none."""
    with file.open("rb") as fh:
        head = fh.read(sample)
    return bare_carriage_return(head, complete=False)


def sha256_of(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_header(file: Path, separator: str, heading: int = 1) -> list[str] | None:
    """The header's column names (on line `heading`); None for a file without one. Raises
    :class:`HeaderTooLong` for a line up to it longer than MAX_LINE_BYTES, read no further."""
    first = ""
    with file.open(encoding="utf-8-sig", newline="") as fh:
        for _ in range(heading):
            first = fh.readline(MAX_LINE_BYTES + 1)
            if len(first) > MAX_LINE_BYTES:
                raise HeaderTooLong
    if not first.strip():
        return None
    previous = csv.field_size_limit(MAX_LINE_BYTES)
    try:
        return next(csv.reader(io.StringIO(first), delimiter=separator, quotechar=QUOTE))
    finally:
        csv.field_size_limit(previous)


class HeaderTooLong(ValueError):
    pass


def _first_lines(file: Path, n: int) -> list[str]:
    """The file's first `n` lines (fewer in a shorter file), without line ends or a byte-order mark, each read
    byte for byte (the table's names are ASCII, so whatever the file's encoding). A line longer than
    MAX_LINE_BYTES is read no further: the lines end before it, and on the first line it raises
    :class:`HeaderTooLong` (a later one is a data line's finding)."""
    lines = []
    with file.open("rb") as fh:
        while len(lines) < n and (line := fh.readline(MAX_LINE_BYTES + 1)):
            if len(line) > MAX_LINE_BYTES:
                if not lines:
                    raise HeaderTooLong
                break
            lines.append(line.removeprefix(codecs.BOM_UTF8).decode("latin-1").rstrip("\r\n"))
    return lines


def _names_found(line: str, names: set[str], separator: str) -> int:
    return len(names & {c.strip().strip(QUOTE) for c in line.split(separator)})


def _separator(file: Path, expected, heading: int = 1) -> str:
    """The separator of a table's header line (line `heading`): of the common ones (comma, semicolon as Swedish
    Excel saves, tab, bar), the one that splits it into the most of the table's own column names; a comma where
    none splits out any, or where the comma does as well as another."""
    line = (_first_lines(file, heading) or [""])[-1]
    names = set(expected)
    return max(SEPARATORS, key=lambda s: (_names_found(line, names, s), s == SEPARATOR))


def _heading_line(file: Path, expected) -> int:
    """The 1-based line a table's headings stand on: the first, unless it names none of the table's columns and
    a line among the first TITLE_LINES_AT_MOST names at least two of them. A report generator's file often opens
    with a title and a blank line (conform's own reading: the standard says nothing of files); a file whose
    first line is a damaged header is read from it as before."""
    names = set(expected)
    lines = _first_lines(file, TITLE_LINES_AT_MOST + 1)
    found = [max(_names_found(line, names, s) for s in SEPARATORS) for line in lines]
    if not found or found[0] > 0:
        return 1
    return next((i + 1 for i, n in enumerate(found) if n >= min(2, len(names))), 1)


def _utf16(file: Path) -> bool:
    with file.open("rb") as fh:
        head = fh.read(4)
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE)


def _utf8_name(file: Path) -> str:
    with file.open("rb") as fh:
        return "utf-8-sig" if fh.read(3) == codecs.BOM_UTF8 else "utf-8"


# Two or more bytes that together are one UTF-8 character beyond ASCII.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _windows_1252(file: Path) -> bool:
    """Whether a file that is not UTF-8 is Windows-1252 text, as Excel and other Windows programs save CSV:
    every byte defined in Windows-1252, no NUL, and no character written as UTF-8 in it. A file with both is UTF-8
    damaged in places, not another encoding, and read as Windows-1252 every å in it would become "Ã¥": it stays
    unreadable, naming its first bad byte."""
    if first_undecodable(file, "cp1252") is not None:
        return False
    with file.open("rb") as fh:
        tail = b""
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk or _UTF8_SEQUENCE.search(tail + chunk):  # NUL: UTF-16 or UTF-32 without a mark
                return False
            tail = chunk[-3:]
    return True


def _ragged_query(table: str, file: Path, width: int, separator: str, heading: int, careful: bool) -> pl.LazyFrame:
    """Data lines (below the headings, on line `heading`) that cannot be read (a malformed quote, a line longer
    than MAX_LINE_BYTES) and data rows whose number of fields differs from the header's, found line by line as
    one vectorised scan (quoted sections are removed before separators are counted); at most MAX_BROKEN_LINES + 1
    of them."""
    lines = pl.scan_lines(file, name="text").with_row_index("line", offset=1)
    text, length = pl.col("text"), pl.col("text").str.len_bytes()
    fields = field_count(text, separator, QUOTE)
    malformed = odd_quotes(text, QUOTE) == 1
    if careful:
        malformed = malformed | misplaced_quotes(text, separator, QUOTE)
    too_long = length > MAX_LINE_BYTES
    return (
        lines.filter((pl.col("line") > heading) & (length > 0) & (too_long | malformed | (fields != width)))
        .head(MAX_BROKEN_LINES + 1)
        .select(
            check=pl.when(too_long | malformed).then(pl.lit("unreadable_row")).otherwise(pl.lit("ragged_row")),
            rule=pl.lit(None, pl.String), table=pl.lit(table),
            row=(pl.col("line") - heading).cast(pl.Int64), key=pl.lit(None, pl.String),
            field=pl.lit(None, pl.String),
            value=pl.lit(None, pl.String),
            other=pl.when(too_long).then(detail_expr("line_too_long", pl.col("line"), pl.lit(MAX_LINE_BYTES)))
            .when(malformed).then(detail_expr("stray_quote", pl.col("line")))
            .otherwise(detail_expr("ragged", pl.col("line"), fields, pl.lit(width))),
        )
    )


def _ragged_rows(files: dict[str, tuple[Path, int, str, int]], careful: bool) -> dict[str, pl.DataFrame | None]:
    """The ragged-row scans of all files at once; None for a file the scan found not to be UTF-8 text (the scan
    proves that as it goes, so the bytes are decoded in Python only to locate a bad one)."""
    queries = {t: _ragged_query(t, file, *layout, careful) for t, (file, *layout) in files.items()}
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
