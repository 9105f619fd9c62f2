"""Text files: encoding detection over every byte, dialect sniffing, a field-count check of every record, and
transcoding to UTF-8 in a private folder.

Encoding rule (first that holds): a UTF-8 byte-order mark -> ``utf-8-sig`` (the rest must then be UTF-8); every
byte valid UTF-8 -> ``utf-8``; every byte defined in Windows-1252 -> ``cp1252``; else ``iso-8859-1`` (which maps
every byte). Files are read in chunks, so a file that is UTF-8 for its first megabytes and not after is caught.
Every decode is strict: nothing is ever replaced by U+FFFD.

A text in ISO-8859-1 that has no byte in 0x80-0x9F decodes to the same characters under both, and is reported as
``cp1252`` by the rule above; only a file holding one of the five bytes Windows-1252 leaves undefined (0x81, 0x8D,
0x8F, 0x90, 0x9D) is reported as ``iso-8859-1``.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from conform.readers.source import ReaderError

CHUNK = 1 << 22          # bytes per read when checking an encoding
TEXT_CHUNK = 1 << 20     # characters per read when transcoding
SAMPLE = 1 << 16         # characters sniffed for the dialect
DELIMITERS = ",;\t|"
CONSISTENCY_RECORDS = 50

_UNSUPPORTED_BOMS = [  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
]


def first_undecodable(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """(byte offset, line, reason) of the first byte that does not decode strictly, or None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, lines = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start, lines + chunk.count(b"\n", 0, exc.start), exc.reason
            lines += chunk.count(b"\n")
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset, lines, exc.reason
    return None


def detect_encoding(path: Path, where: str) -> str:
    with path.open("rb") as fh:
        head = fh.read(4)
    if not head or head == codecs.BOM_UTF8:
        raise ReaderError(where, "the file is empty")
    for bom, name in _UNSUPPORTED_BOMS:
        if head.startswith(bom):
            raise ReaderError(where, f"the file is {name} text (it starts with a {name} byte-order mark); "
                                     "save it as UTF-8 or Windows-1252")
    bad = first_undecodable(path, "utf-8")
    if bad is None:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if head.startswith(codecs.BOM_UTF8):
        offset, line, reason = bad
        raise ReaderError(where, f"starts with a UTF-8 byte-order mark but is not UTF-8 at byte {offset} "
                                 f"({reason})", line=line)
    return "cp1252" if first_undecodable(path, "cp1252") is None else "iso-8859-1"


def _records(text: str, delimiter: str, quotechar: str, complete: bool) -> list[list[str]]:
    try:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar) if any(r)]
    except csv.Error:
        return []
    return rows if complete else rows[:-1]


def _width(text: str, delimiter: str, quotechar: str, complete: bool) -> int | None:
    """The field count shared by the sample's first records (counting only delimiters outside quotes), or None
    when they disagree."""
    widths = {len(r) for r in _records(text, delimiter, quotechar, complete)[:CONSISTENCY_RECORDS]}
    return widths.pop() if len(widths) == 1 else None


def sniff(path: Path, encoding: str, where: str) -> tuple[str, str, str]:
    """(delimiter, quotechar, line_ending) of a CSV file, from a sample of its first characters."""
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(SAMPLE)
        complete = not fh.read(1)
    if not sample.strip():
        raise ReaderError(where, "the file is empty (no header line)")
    newline = sample.find("\n")
    if newline < 0 and "\r" in sample:
        raise ReaderError(where, "the file uses old Mac line endings (CR only); save it with CRLF or LF")
    line_ending = "\r\n" if newline > 0 and sample[newline - 1] == "\r" else "\n"
    if not complete:  # do not judge a record cut by the sample's end
        sample = sample[:sample.rfind("\n") + 1] or sample
    quotechar = '"'
    try:
        sniffed = csv.Sniffer().sniff(sample[:SAMPLE // 2], delimiters=DELIMITERS)
        delimiter = sniffed.delimiter
        if sniffed.quotechar == "'" and '"' not in sample:
            quotechar = "'"
    except csv.Error:
        delimiter = None
    if delimiter is not None and (_width(sample, delimiter, quotechar, complete) or 0) > 1:
        return delimiter, quotechar, line_ending
    # Fallback: the candidate splitting the first records into one consistent number of fields, the most fields
    # winning; with none consistent, the one most frequent (outside quotes) in the header line.
    widths = {d: _width(sample, d, quotechar, complete) or 0 for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: widths[d])
    if widths[best] > 1:
        return best, quotechar, line_ending
    header_line = sample.split("\n", 1)[0]
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return (best if counts[best] else (delimiter or ",")), quotechar, line_ending


def check_records(path: Path, encoding: str, delimiter: str, quotechar: str, where: str) -> tuple[list[str], int]:
    """(header, number of data records), reading every record; raises on the first record whose field count
    differs from the header's, or on broken quoting. Records whose fields are all empty (blank lines) are not
    counted: :func:`conform.readers.read` drops them too."""
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, quotechar=quotechar, strict=True)
            try:
                header = next(reader, None)
                while header is not None and not any(header):
                    header = next(reader, None)
                if header is None:
                    raise ReaderError(where, "the file is empty (no header line)")
                width, records, start = len(header), 0, reader.line_num + 1
                for record in reader:
                    if any(record):
                        records += 1
                        if len(record) != width:
                            raise ReaderError(
                                where, f"data record {records} has {len(record)} fields, the header has {width} "
                                       f"(delimiter {delimiter!r})", line=start)
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise ReaderError(where, f"broken quoting: {exc}", line=reader.line_num) from exc
    finally:
        csv.field_size_limit(limit)
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ReaderError(where, f"column(s) named twice in the header: {', '.join(map(repr, duplicates))}", line=1)
    return header, records


def transcode(path: Path, encoding: str, folder: Path) -> Path:
    """A UTF-8 copy of `path` in `folder` (line endings and every character kept), written in chunks."""
    target = folder / f"{path.stem}.utf-8{path.suffix}"
    with path.open(encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(TEXT_CHUNK):
            dst.write(chunk)
    return target
