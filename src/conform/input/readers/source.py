"""What a reader found: one `Source` per table-like thing, and the error raised when a file cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conform.errors import ConformError, Joined, msg

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
# The column every table read gets: the record's 1-based position among the table's data rows, by which a
# finding names its record.
ROW = "__row"
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "iso-8859-1")


class ReaderError(ConformError):
    """A vendor file that cannot be read as sent: the problem (a key of the message catalogue's error_messages,
    and its parameters), naming the file (for a zip member ``archive.zip:member``), and the sheet, line or record
    where that applies."""

    def __init__(self, where: str, problem: str, *, sheet: str | None = None, line: int | None = None,
                 **params):
        self.where, self.sheet, self.line = where, sheet, line
        self.problem = msg(problem, **params)
        place = [where, msg("reader_place_sheet", sheet=sheet) if sheet is not None else "",
                 msg("reader_place_line", line=line) if line else ""]
        super().__init__("reader_error", place=Joined(place), problem=self.problem)


@dataclass(frozen=True)
class Source:
    """One table as found by :func:`conform.input.readers.detect`, and exactly how it is read.

    ``name``        the file's stem, or ``stem:sheet`` for a workbook sheet.
    ``path``        the file read (for a zip member: its copy in a private temporary folder; see ``origin``).
    ``format``      "csv" (also .tsv/.txt), "xlsx", "parquet" or "jsonl".
    ``encoding``    "utf-8", "utf-8-sig", "cp1252", "iso-8859-1"; None for binary formats (xlsx, parquet).
    ``delimiter``, ``quotechar``, ``line_ending`` ("\\n" or "\\r\\n"): the CSV dialect; None for other formats.
    ``sheet``       the workbook sheet's name (xlsx only).
    ``header``      the column names as read.
    ``origin``      where the table came from, for messages: the path, or ``archive.zip:member``.
    ``records``     number of data records (CSV: counted while checking field counts), None if not counted.
    ``blank_lines`` whether rows whose fields are all empty may occur (CSV: proven absent when False).
    ``header_row``  the 0-based row of a workbook sheet, or line of a CSV file, that holds the headings (below a
                    report's title lines; see readers.headings and readers.text.below_title); 0 elsewhere.
    """

    name: str
    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    quotechar: str | None = None
    line_ending: str | None = None
    sheet: str | None = None
    header: list[str] = field(default_factory=list)
    origin: str = ""
    records: int | None = None
    blank_lines: bool = True
    header_row: int = 0

    @property
    def where(self) -> str:
        return self.origin or str(self.path)
