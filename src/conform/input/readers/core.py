"""detect() and read(): find the tables in whatever a vendor sent, and read each as all-text columns."""

from __future__ import annotations

import json
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from conform.input.readers.source import ROW
from conform.input.readers import _temp, extent, headings, text
from conform.errors import msg
from conform.input.readers.source import ReaderError, Source

SUFFIXES = {".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".zip": "zip"}
MAX_ZIP_DEPTH = 3
# The format of a file that could not be read (detect's `failed`), read as a table without records.
UNREADABLE = "unreadable"
# Zip-bomb guards. A 1M-person export is about 0.6 GB of CSV, which deflate packs 5-10 times.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_BYTES = 8 << 30       # all members together, expanded
MAX_ZIP_RATIO = 200           # expanded / compressed, for a member larger than ZIP_RATIO_FROM
ZIP_RATIO_FROM = 1 << 20
_TRANSCODED: dict[tuple[Path, str], Path] = {}
# Workbook sheets as read while detecting them (calamine parses a whole sheet even for its header), for read()
# inside an ``opened`` block; emptied when the block ends.
_SHEETS: dict[tuple[Path, str], pl.DataFrame] = {}
_OPEN_BLOCKS = [0]
_TRANSCODE_LOCK = threading.Lock()


# ----------------------------------------------------------------------------------------------- detect

def detect(path: str | Path, failed: list[Unreadable] | None = None) -> list[Source]:
    """One :class:`Source` per table in a file, a folder (searched recursively) or a ``.zip`` (extracted to a
    private temporary folder; members with absolute paths or ``..`` are refused). Files whose names start with
    ``.`` or ``~$`` (Excel lock files), ``__MACOSX`` folders and files of other types are passed over; empty
    workbook sheets are passed over. Raises :class:`ReaderError` for anything unreadable, and when nothing
    table-like is found; with `failed`, a file of a folder or archive that cannot be read is added to it
    instead, and the others are read (the error is raised only when no file can be read)."""
    path = Path(path)
    if not path.exists():
        raise ReaderError(str(path), "reader_no_path")
    sources = _detect(path, str(path), 0, failed)
    if not sources:
        if failed:
            raise failed[0].error
        raise ReaderError(str(path), "reader_no_table")
    return sources


@dataclass(frozen=True)
class Unreadable:
    """A file of a folder or archive (or a workbook's sheet) that cannot be read: where it is (as
    :attr:`Source.where`) and why."""

    path: Path
    where: str
    error: ReaderError
    sheet: str | None = None  # one sheet of a workbook, the others read


@contextmanager
def opened(path: str | Path, failed: list[Unreadable] | None = None) -> Iterator[list[Source]]:
    """``with opened(path) as sources:`` detect(), and remove every private temporary folder made inside the
    block (extracted zip members, transcoded copies) when it ends. Frames from read() must be collected inside."""
    mark = _temp.mark()
    _OPEN_BLOCKS[0] += 1
    try:
        yield detect(path, failed)
    finally:
        _OPEN_BLOCKS[0] -= 1
        if not _OPEN_BLOCKS[0]:
            _SHEETS.clear()
        with _TRANSCODE_LOCK:
            for key, copy in list(_TRANSCODED.items()):
                if not copy.exists() or any(copy.is_relative_to(d) for d in _temp._LIVE[mark:]):
                    del _TRANSCODED[key]
        _temp.cleanup(mark)


def _detect(path: Path, where: str, depth: int, failed: list[Unreadable] | None) -> list[Source]:
    if path.is_dir():
        return _walk(path, lambda relative: str(path / relative), depth, failed)
    if path.suffix.lower() not in SUFFIXES:
        raise ReaderError(where, "reader_unknown_suffix", suffix=path.suffix or msg("reader_no_suffix"),
                          suffixes=" ".join(sorted(SUFFIXES)))
    return _detect_file(path, where, depth, failed)


def _walk(folder: Path, where_of, depth: int, failed: list[Unreadable] | None) -> list[Source]:
    """The table-like files under `folder`; a symlink that leads out of it or loops is refused (folders that are
    symlinks are not entered)."""
    files = []
    root = folder.resolve()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        relative = file.relative_to(folder)
        if any(part.startswith((".", "~$")) or part == "__MACOSX" for part in relative.parts):
            continue
        if file.suffix.lower() not in SUFFIXES:
            continue
        leads = outside(root, file)
        if leads is not None:
            _failed(failed, file, ReaderError(where_of(relative), "reader_symlink_outside") if leads == "outside_export"
                    else ReaderError(where_of(relative), "reader_symlink_broken"))
            continue
        files.append((file, where_of(relative)))
    # Files are proven two at a time: each proof is one Polars pass that leaves a core idle part of the time.
    # Results (and the first error) come in file order, so what is reported does not depend on timing.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="conform-detect") as pool:
        detected = [(file, pool.submit(_detect_file, file, where, depth, failed)) for file, where in files]
        found = []
        for file, future in detected:
            try:
                found += future.result()
            except ReaderError as error:
                _failed(failed, file, error)
        return found


def outside(root: Path, file: Path) -> str | None:
    """Why `file` may not be read as part of the export at `root`, or None: "outside_export" for a path or
    symlink that leads out of it (a descriptor's "/etc/passwd" or "../x.csv"), "symlink_broken" for a symlink
    that loops or points to nothing, "bad_path" for a path with a NUL byte."""
    try:
        resolved = file.resolve(strict=file.is_symlink())
    except ValueError:
        return "bad_path"
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return "symlink_broken"
    return None if resolved.is_relative_to(root) else "outside_export"


def _failed(failed: list[Unreadable] | None, file: Path, error: ReaderError) -> None:
    if failed is None:
        raise error
    failed.append(Unreadable(file, error.where, error))


def _detect_file(file: Path, where: str, depth: int, failed: list[Unreadable] | None) -> list[Source]:
    kind = SUFFIXES[file.suffix.lower()]
    if kind != "zip" and file.stat().st_size == 0:
        raise ReaderError(where, "reader_empty")
    if kind == "zip":
        if depth >= MAX_ZIP_DEPTH:
            raise ReaderError(where, "reader_zip_depth", depth=MAX_ZIP_DEPTH)
        folder = extract(file, where)
        return _walk(folder, lambda relative: f"{where}:{relative.as_posix()}", depth + 1, failed)
    if kind == "xlsx":
        return _detect_xlsx(file, where, failed)
    return {"csv": _detect_csv, "parquet": _detect_parquet, "jsonl": _detect_jsonl}[kind](file, where)


def _unsafe(name: str) -> bool:
    normal = name.replace("\\", "/")
    return (normal.startswith("/") or bool(re.match(r"^[A-Za-z]:", normal))
            or ".." in PurePosixPath(normal).parts)


def extract(archive: Path, where: str) -> Path:
    """Extract every member into a new private folder, after refusing the archive if any member's path is
    absolute or climbs out with ``..`` (zip-slip), if it has more than MAX_ZIP_MEMBERS members, or if its
    members declare more than MAX_ZIP_BYTES or a member expands more than MAX_ZIP_RATIO times (a zip bomb). The
    bytes written are counted too, since a member's declared size can lie."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise ReaderError(where, "reader_zip_members", members=len(members), limit=MAX_ZIP_MEMBERS)
            for info in members:
                if _unsafe(info.filename):
                    raise ReaderError(where, "reader_zip_unsafe", member=info.filename)
                if (info.file_size > ZIP_RATIO_FROM
                        and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)):
                    raise ReaderError(where, "reader_zip_bomb", member=info.filename, ratio=MAX_ZIP_RATIO)
            if sum(info.file_size for info in members) > MAX_ZIP_BYTES:
                raise ReaderError(where, "reader_zip_large", limit=_gib(MAX_ZIP_BYTES))
            folder = _temp.private_dir("zip")
            root = folder.resolve()
            for info in members:
                if info.is_dir():
                    continue
                parts = [p for p in PurePosixPath(info.filename.replace("\\", "/")).parts if p not in ("", ".")]
                target = folder.joinpath(*parts)
                if not target.resolve().is_relative_to(root):  # belt and braces after _unsafe
                    raise ReaderError(where, "reader_zip_unsafe", member=info.filename)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as dst:
                    written = 0
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > info.file_size or written > MAX_ZIP_BYTES:
                            raise ReaderError(where, "reader_zip_bomb", member=info.filename, ratio=MAX_ZIP_RATIO)
                        dst.write(chunk)
    except ReaderError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, zlib.error,
            EOFError) as exc:
        raise ReaderError(where, "reader_zip_bad", detail=_first_line(exc)) from exc
    return folder


def _gib(size: int) -> str:
    return f"{size / (1 << 30):g} GiB"


def _encoding(file: Path, where: str) -> str:
    """The file's encoding (see conform.input.readers.text). A file that is not UTF-8 is transcoded to its UTF-8 copy
    in the same pass: the strict decode that makes the copy is what proves Windows-1252, so the file is read
    once, not twice."""
    encoding = text.utf8_encoding(file, where)
    return encoding if encoding is not None else _legacy(file)


def _legacy(file: Path) -> str:
    """Windows-1252 or ISO-8859-1, proven by transcoding the file to its UTF-8 copy."""
    for candidate in text.LEGACY:
        try:
            _utf8_copy(file, candidate)
        except UnicodeDecodeError:
            continue  # a byte Windows-1252 leaves undefined: ISO-8859-1 maps every byte
        return candidate
    raise AssertionError("ISO-8859-1 decodes every byte")  # pragma: no cover


def _detect_csv(file: Path, where: str) -> list[Source]:
    bom = text.bom_encoding(file, where)
    try:
        # Taken as UTF-8 first: the dialect sample and the header decode strictly, and the record check (one
        # Polars pass) proves every other byte, so a UTF-8 file is read once and never decoded in Python.
        return [_csv_source(file, file, bom or "utf-8", where)]
    except (UnicodeDecodeError, text.NotUtf8):
        if bom:
            raise text.not_utf8_after_bom(file, where) from None
    encoding = _legacy(file)
    return [_csv_source(file, _utf8_copy(file, encoding), encoding, where)]


def _csv_source(file: Path, readable: Path, encoding: str, where: str) -> Source:
    delimiter, quotechar, line_ending = text.sniff(file, encoding, where)
    above = text.heading_line(file, encoding, delimiter, quotechar)  # a report's title lines (text.below_title)
    header = text.header_of(file, encoding, delimiter, quotechar, where, above)
    records, blank = text.check_records(readable, delimiter, quotechar, len(header), where, above)
    return Source(file.stem, file, "csv", encoding, delimiter, quotechar, line_ending, None, header, where, records,
                  blank_lines=blank, header_row=above)


def excel_reader(file: Path, where: str):
    import fastexcel

    try:
        return fastexcel.read_excel(str(file))
    except Exception as exc:  # fastexcel raises its own CalamineError family
        raise ReaderError(where, "reader_xlsx_bad", detail=_first_line(exc)) from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _detect_xlsx(file: Path, where: str, failed: list[Unreadable] | None = None) -> list[Source]:
    """One source per sheet with a header. A sheet whose values reach too far to be loaded (readers.extent) is
    added to `failed` on its own, and the workbook's other sheets are read; without `failed` it is raised."""
    workbook = excel_reader(file, where)
    found = []
    for sheet in workbook.sheet_names:
        try:
            extent.guard(file, sheet, where)
        except ReaderError as error:
            if failed is None:
                raise
            failed.append(Unreadable(file, where, error, sheet))
            continue
        try:
            # Inside `opened` the whole sheet is loaded now and kept for read(): calamine parses a whole sheet
            # even to give its header, so loading it twice would read the workbook twice.
            loaded = workbook.load_sheet(sheet, n_rows=None if _OPEN_BLOCKS[0] else 0, dtypes="string")
            header = [c.name for c in loaded.available_columns()]
            at = 0
            if headings.untitled(header):  # a title above the headings? (readers.headings)
                first = workbook.load_sheet(sheet, header_row=None, n_rows=headings.SAMPLE_ROWS, dtypes="string")
                at = headings.heading_row(first.to_polars().rows())
                if at:
                    loaded = workbook.load_sheet(sheet, header_row=at, n_rows=None if _OPEN_BLOCKS[0] else 0,
                                                 dtypes="string")
                    header = [c.name for c in loaded.available_columns()]
            if _OPEN_BLOCKS[0] and header:
                _SHEETS[(file.resolve(), sheet)] = loaded.to_polars()
        except Exception as exc:
            raise ReaderError(where, "reader_sheet_bad", sheet=sheet, detail=_first_line(exc)) from exc
        if header:
            found.append(Source(f"{file.stem}:{sheet}", file, "xlsx", sheet=sheet, header=header, origin=where,
                                header_row=at))
    return found


def _detect_parquet(file: Path, where: str) -> list[Source]:
    try:
        schema = pl.read_parquet_schema(file)
    except Exception as exc:
        raise ReaderError(where, "reader_parquet_bad", detail=_first_line(exc)) from exc
    nested = [f"{name} ({dtype})" for name, dtype in schema.items() if dtype.is_nested()]
    if nested:
        raise ReaderError(where, "reader_nested", columns=nested)
    return [Source(file.stem, file, "parquet", header=list(schema), origin=where)]


def _detect_jsonl(file: Path, where: str) -> list[Source]:
    encoding = _encoding(file, where)
    readable = _utf8_copy(file, encoding)
    try:
        schema = pl.scan_ndjson(readable, infer_schema_length=None).collect_schema()
    except Exception as exc:
        line = _bad_json_line(readable)
        raise ReaderError(where, "reader_jsonl_bad", line=line, detail=_first_line(exc)) from exc
    if not schema:
        raise ReaderError(where, "reader_jsonl_empty")
    return [Source(file.stem, file, "jsonl", encoding, line_ending=None, header=list(schema), origin=where)]


def _bad_json_line(file: Path) -> int | None:
    with file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                if not isinstance(json.loads(line), dict):
                    return number
            except json.JSONDecodeError:
                return number
    return None


def _utf8_copy(file: Path, encoding: str) -> Path:
    """The file itself when it is UTF-8, else its UTF-8 copy in a private folder (made once per file)."""
    if encoding in ("utf-8", "utf-8-sig"):
        return file
    key = (file.resolve(), encoding)
    with _TRANSCODE_LOCK:
        copy = _TRANSCODED.get(key)
        if copy is None or not copy.exists():
            copy = _TRANSCODED[key] = text.transcode(file, encoding, _temp.private_dir("utf8"))
    return copy


def refused(source: Source, exc: Exception) -> ReaderError:
    """Why the query engine could not read a source its checks let through, naming the line where that can be
    found: for CSV, the first line with a quote inside a field (``1,"xy"z``), which the record check, counting
    fields only, passes. Never the engine's own message: it quotes cells."""
    if source.format == "csv":
        lines = pl.scan_lines(_utf8_copy(source.path, source.encoding or "utf-8"), name="text")
        found = (lines.with_row_index("line", offset=1)
                 .filter(text.misplaced_quotes(pl.col("text"), source.delimiter or ",", source.quotechar or '"'))
                 .select("line").head(1).collect())
        if found.height:
            return ReaderError(source.where, "reader_stray_quote", line=int(found["line"][0]))
    return ReaderError(source.where, "reader_engine", sheet=source.sheet, kind=type(exc).__name__)


# ------------------------------------------------------------------------------------------------- read

def _as_text(frame: pl.LazyFrame, columns: list[str], blank_rows: bool = True) -> pl.LazyFrame:
    """Every column as text, empty -> null, rows whose fields are all empty dropped, then a 1-based `__row`.
    With `blank_rows` False (a file proven to have none) no row is tested, so a query that uses a few columns
    parses only those."""
    texts = [pl.col(c).cast(pl.String) for c in columns]
    cleaned = frame.select([pl.when(t.str.len_bytes() > 0).then(t).alias(c) for t, c in zip(texts, columns)])
    if columns and blank_rows:
        cleaned = cleaned.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in columns]))
    return cleaned.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def read(source: Source) -> pl.LazyFrame:
    """The table as a LazyFrame: ``__row`` (Int64, 1-based position among the data records) and every column of
    ``source.header`` as text (String), empty -> null. A non-UTF-8 CSV or JSON Lines file is first transcoded to
    a UTF-8 copy in a private temporary folder; workbook cells are read as the text of what Excel stored (an ID
    typed as a number shows its digits, never a float)."""
    columns = list(source.header)
    if source.format == "csv":
        frame = pl.scan_csv(
            _utf8_copy(source.path, source.encoding or "utf-8"), separator=source.delimiter or ",",
            quote_char=source.quotechar, has_header=True, schema={c: pl.String for c in columns},
            encoding="utf8", skip_lines=source.header_row)
    elif source.format == "jsonl":
        frame = pl.scan_ndjson(_utf8_copy(source.path, source.encoding or "utf-8"),
                               schema={c: pl.String for c in columns})
    elif source.format == "parquet":
        frame = pl.scan_parquet(source.path).select(columns)
    elif source.format == "xlsx":
        cached = _SHEETS.get((source.path.resolve(), source.sheet))
        if cached is not None:
            frame = cached.lazy()
        else:
            workbook = excel_reader(source.path, source.where)
            extent.guard(source.path, source.sheet, source.where)
            try:
                frame = workbook.load_sheet(source.sheet, header_row=source.header_row,
                                            dtypes="string").to_polars().lazy()
            except Exception as exc:
                raise ReaderError(source.where, "reader_sheet_bad", detail=_first_line(exc),
                                  sheet=source.sheet) from exc
        got = frame.collect_schema().names()
        if got != columns:
            raise ReaderError(source.where, "reader_sheet_changed", columns=got,
                              sheet=source.sheet)
    elif source.format == UNREADABLE:
        frame = pl.LazyFrame(schema={c: pl.String for c in columns})
    else:
        raise ReaderError(source.where, "reader_unknown_format", format=source.format)
    return _as_text(frame, columns, source.blank_lines)
