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
import re
from pathlib import Path

import polars as pl

from conform.errors import utf8_reason
from conform.input.readers.source import ReaderError

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


LEGACY = ("cp1252", "iso-8859-1")  # tried in this order when a file is not UTF-8


class NotUtf8(ValueError):
    """Raised by :func:`check_records` when the file it was told is UTF-8 is not."""


def bom_encoding(path: Path, where: str) -> str | None:
    """"utf-8-sig" for a file that starts with a UTF-8 byte-order mark, else None; raises for an empty file and
    for UTF-16 and UTF-32 text, which conform does not read."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if not head or head == codecs.BOM_UTF8:
        raise ReaderError(where, "reader_empty")
    for bom, name in _UNSUPPORTED_BOMS:
        if head.startswith(bom):
            raise ReaderError(where, "reader_utf16", encoding=name)
    return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else None


def not_utf8_after_bom(path: Path, where: str) -> ReaderError:
    offset, line, reason = first_undecodable(path, "utf-8")
    return ReaderError(where, "reader_bom_not_utf8", line=line, byte=offset, reason=utf8_reason(reason))


def utf8_encoding(path: Path, where: str) -> str | None:
    """"utf-8" or "utf-8-sig" for a UTF-8 file (every byte checked), None for a file that is not UTF-8."""
    bom = bom_encoding(path, where)
    if first_undecodable(path, "utf-8") is None:
        return bom or "utf-8"
    if bom:
        raise not_utf8_after_bom(path, where)
    return None


def _records(text: str, delimiter: str, quotechar: str, complete: bool) -> list[list[str]]:
    """The sample's records, blank ones (no field filled) included."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar))
    except csv.Error:
        return []
    return rows if complete else rows[:-1]


def _width(text: str, delimiter: str, quotechar: str, complete: bool) -> int | None:
    """The field count shared by the sample's first non-blank records from the headings on (counting only
    delimiters outside quotes), or None when they disagree."""
    records = _records(text, delimiter, quotechar, complete)
    widths = {len(r) for r in [r for r in records[below_title(records):] if any(r)][:CONSISTENCY_RECORDS]}
    return widths.pop() if len(widths) == 1 else None


def _filled(record: list[str]) -> list[str]:
    return [v for v in record if v.strip()]


TITLE_RECORDS_AT_MOST = 20  # title and blank lines passed over to find the headings
BODY_RECORDS = 5            # records below the headings that must share their width


def below_title(records: list[list[str]]) -> int:
    """The index of the heading record among a file's first records (blank ones included): 0, unless the file
    opens with title lines, as a report generator's often does (a title, a printing stamp, "Kommun:;Exempelkommun",
    a blank line).

    The headings are the first record of two or more distinct values whose width the next non-blank records
    share (all but one of them). A record above them is passed over only as a title: one value, or two with a
    blank line between it and the headings (two values right above a wider table are a short header, not a
    title). So a file whose first record is not a title is read from it, as before, whatever follows: a ragged or
    damaged file stays one, never a table found further down. A file with no such headings is read from its
    first record. conform's own reading: the standard says nothing of files."""
    two_valued = False  # a title of two values passed over, with no blank line below it yet
    for i, record in enumerate(records[:TITLE_RECORDS_AT_MOST + 1]):
        values = _filled(record)
        if not values:
            two_valued = False
            continue
        body = [r for r in records[i + 1:i + 1 + 2 * BODY_RECORDS] if _filled(r)][:BODY_RECORDS]
        # All but one of them: a ragged record among the first is then named on its own line, below the headings.
        if (len(values) >= 2 and len(set(values)) == len(values) and not two_valued and body
                and sum(len(r) == len(record) for r in body) >= max(1, len(body) - 1)):
            return i
        if len(values) > 2 or (len(values) == 2 and two_valued):
            return 0
        two_valued = two_valued or len(values) == 2
    return 0


def bare_carriage_return(sample: str | bytes, complete: bool) -> int | None:
    """The line (1-based) of the first carriage return in `sample` not followed by a line feed (CR-only or mixed
    line endings), or None. A CR that ends a sample cut short (not `complete`) may be followed by one, and is not
    judged."""
    pattern, lf = (_BARE_CR, "\n") if isinstance(sample, str) else (_BARE_CR_BYTES, b"\n")
    found = pattern.search(sample)
    if found is None or (not complete and found.start() == len(sample) - 1):
        return None
    return sample.count(lf, 0, found.start()) + 1


_BARE_CR = re.compile("\r(?!\n)")
_BARE_CR_BYTES = re.compile(b"\r(?!\n)")


def sniff(path: Path, encoding: str, where: str) -> tuple[str, str, str]:
    """(delimiter, quotechar, line_ending) of a CSV file, from a sample of its first characters."""
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(SAMPLE)
        complete = not fh.read(1)
    if not sample.strip():
        raise ReaderError(where, "reader_no_header")
    newline = sample.find("\n")
    if newline < 0 and "\r" in sample:
        raise ReaderError(where, "reader_old_mac")
    line = bare_carriage_return(sample, complete)
    if line is not None:  # mixed line endings: the CSV readers would disagree on where the header ends
        raise ReaderError(where, "reader_mixed_line_endings", line=line)
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


def heading_line(path: Path, encoding: str, delimiter: str, quotechar: str) -> int:
    """The number of lines above the headings: those of the title and blank records :func:`below_title` passes
    over; 0 where the headings open the file, or where its first records cannot be read (the header's own
    reading then says why)."""
    starts, records = [], []
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar=quotechar)
        try:
            while len(records) <= 2 * (TITLE_RECORDS_AT_MOST + BODY_RECORDS):
                before = reader.line_num
                record = next(reader, None)
                if record is None:
                    break
                starts.append(before)
                records.append(record)
        except csv.Error:
            return 0
    return starts[below_title(records)] if records else 0


def header_of(path: Path, encoding: str, delimiter: str, quotechar: str, where: str, skip: int = 0) -> list[str]:
    """The first record whose fields are not all empty below the first `skip` lines (a title's:
    :func:`heading_line`), read with the csv module (one record only)."""
    with path.open(encoding=encoding, newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter, quotechar=quotechar, strict=True)
        try:
            header = next(reader, None)
            while header is not None and not any(header):
                header = next(reader, None)
        except csv.Error as exc:
            raise ReaderError(where, "reader_quoting", line=skip + reader.line_num, detail=exc) from exc
    if header is None:
        raise ReaderError(where, "reader_no_header")
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ReaderError(where, "reader_duplicate_columns", line=skip + 1,
                          columns=[f"'{d}'" for d in duplicates])
    return header


def field_count(line: pl.Expr, delimiter: str, quotechar: str) -> pl.Expr:
    """The number of fields in a line (or record) of CSV text: its delimiters outside quoted sections, plus one."""
    q = re.escape(quotechar)
    return line.str.replace_all(f"{q}[^{q}]*{q}", "").str.count_matches(delimiter, literal=True) + 1


def odd_quotes(line: pl.Expr, quotechar: str) -> pl.Expr:
    """1 where a line holds an odd number of quote characters (it opens or closes a field with a line break
    inside), else 0."""
    return (line.str.count_matches(quotechar, literal=True) % 2).cast(pl.Int64)


def misplaced_quotes(line: pl.Expr, delimiter: str, quotechar: str) -> pl.Expr:
    """Whether a line holds a quoted section that is not a whole field (``1,"xy"z`` or ``1,x"y"z``): with every
    quoted section (doubled quotes inside included) replaced by a marker, a marker must stand between delimiters
    or the line's ends, and no quote may be left."""
    marker, q, d = "\ue000", re.escape(quotechar), {"\t": "\\t"}.get(delimiter, re.escape(delimiter))
    stripped = line.str.replace_all(f"(?:{q}[^{q}]*{q})+", marker)
    return (stripped.str.contains(quotechar, literal=True)
            | stripped.str.contains(f"[^{d}]{marker}|{marker}[^{d}\r]"))


def is_not_utf8(exc: pl.exceptions.ComputeError) -> bool:
    """Whether a Polars error is its UTF-8 validation failing (Polars proves every line it reads is UTF-8)."""
    return "utf8" in str(exc).lower() or "utf-8" in str(exc).lower()


def check_records(utf8: Path, delimiter: str, quotechar: str, width: int, where: str, skip: int = 0) \
        -> tuple[int, bool]:
    """(number of data records, whether the file has blank lines) of a UTF-8 CSV file (`utf8`, a transcoded copy
    for other encodings) below its first `skip` lines (a title's), proving that every record has `width` fields;
    raises on the first that has not, and on a quoted field never closed.

    One vectorised pass over the lines (no Python per record): a line inside a quoted field (an odd number of
    quote characters before it) continues the record above it; quoted sections are removed before delimiters are
    counted. Records whose fields are all empty (blank lines) are not counted: :func:`conform.input.readers.read` drops
    them too.
    """
    q, d = re.escape(quotechar), re.escape(delimiter)
    shape = {
        "fields": field_count(pl.col("text"), delimiter, quotechar),
        # Every field empty or an empty quoted field: the records read() drops (a quoted value is not empty).
        "blank": pl.col("text").str.contains(f"^(?:{q}{q})?(?:{d}(?:{q}{q})?)*\r?$"),
        "odd": odd_quotes(pl.col("text"), quotechar),
    }
    lines = pl.scan_lines(utf8, name="text").with_row_index("line", offset=1).filter(pl.col("line") > skip)
    per_line = lines.with_columns(**shape).with_columns(data_record=(~pl.col("blank")).cum_sum() - 1)
    # Most files have no line break inside a field: then each line is a record, and only odd lines matter.
    try:
        suspects, counts = pl.collect_all([
            per_line.filter((pl.col("odd") == 1) | ((pl.col("fields") != width) & ~pl.col("blank")
                                                    & (pl.col("data_record") > 0))).head(1),
            per_line.select((~pl.col("blank")).sum().alias("records"), pl.col("blank").any().alias("blank"),
                            pl.col("odd").sum().alias("quoted")),
        ])
    except pl.exceptions.ComputeError as exc:
        # Polars validates every line as UTF-8: this pass is also the proof that the file is UTF-8.
        if is_not_utf8(exc):
            raise NotUtf8(str(exc)) from exc
        raise
    records, blank, quoted = counts.row(0)
    if quoted == 0:
        if suspects.height:
            _ragged(suspects.row(0, named=True), width, delimiter, where)
        return max(int(records) - 1, 0), bool(blank)
    # Lines inside a quoted field (an odd number of quotes before them) continue the record above.
    records = (lines.with_columns(odd=shape["odd"])
               .with_columns(inside=((pl.col("odd").cum_sum() - pl.col("odd")) % 2 == 1))
               .with_columns(record=(~pl.col("inside")).cum_sum())
               .group_by("record", maintain_order=True)
               .agg(pl.col("line").first(), pl.col("text").str.join("\n"), pl.col("odd").sum().alias("quotes"))
               .with_columns(fields=shape["fields"], blank=shape["blank"])
               .filter(~pl.col("blank")).with_row_index("data_record")  # 0 is the header
               .collect())
    if records.height and records["quotes"][-1] % 2 == 1:
        raise ReaderError(where, "reader_quote_unclosed", line=int(records["line"][-1]))
    bad = records.filter((pl.col("data_record") > 0) & (pl.col("fields") != width)).head(1)
    if bad.height:
        _ragged(bad.row(0, named=True), width, delimiter, where)
    return max(records.height - 1, 0), True  # lines inside quoted fields may look blank: filter to be safe


def _ragged(record: dict, width: int, delimiter: str, where: str) -> None:
    raise ReaderError(where, "reader_ragged", line=record["line"], record=record["data_record"],
                      fields=record["fields"], width=width, delimiter={"\t": "TAB"}.get(delimiter, delimiter))


def transcode(path: Path, encoding: str, folder: Path) -> Path:
    """A UTF-8 copy of `path` in `folder` (line endings and every character kept), written in chunks."""
    target = folder / f"{path.stem}.utf-8{path.suffix}"
    with path.open(encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(TEXT_CHUNK):
            dst.write(chunk)
    return target
