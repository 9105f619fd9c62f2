"""How far a workbook sheet's values reach, found before the sheet is loaded.

The workbook reader (calamine, under fastexcel) holds a sheet as one dense grid from its first value to its last.
One value left at the far corner (XFD1048576: someone pressed Ctrl+End and typed) makes that grid 17 billion
cells, and the reader aborts the process for want of memory, even to give the header. So each sheet's XML is
streamed first and a sheet whose values span more cells than MAX_SHEET_CELLS is refused, naming its farthest
cell. Cells without a value (formatting only) are passed over, as the reader passes them over.

The scan is cheap where it matters: rows come in order, so the last row holding a value gives the height, and
the width is looked for among the few cells with three- or two-letter columns before one-letter ones.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from conform.input.readers.source import ReaderError

# A canonical table has at most 1,048,576 rows (the sheet's limit) of about ten columns: 11M cells. A grid of
# this many cells takes a few GiB in the reader.
MAX_SHEET_CELLS = 40_000_000
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # a sheet's own limits
CHUNK = 1 << 22
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A cell that holds something: not self-closing (``<c r="B2" s="1"/>`` is formatting only); any namespace prefix.
_CELL = rb'<(?:\w+:)?c\b[^>]*?\sr="(%s)(\d{1,7})"[^>]*?(?<!/)>'
# The last valued cell of a stretch of XML: greedy, so the engine searches back from its end.
_LAST_CELL = re.compile(rb"(?s).*" + _CELL % rb"[A-Z]{1,3}")
# A valued cell of some columns, found by its reference alone (only a cell's tag has an r="A1"-like attribute):
# anchored on the letters, the engine passes over every other cell at once.
_REFERENCE = rb'r="(%s)(\d{1,7})"[^>]*?(?<!/)>'


@dataclass(frozen=True)
class Extent:
    rows: int
    columns: int
    far_cell: str  # the reference of the cell at the grid's far corner, e.g. "XFD1048576"

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def guard(path, sheet: str, where: str) -> None:
    """Raise a :class:`ReaderError` naming the sheet and its farthest cell when its values span more than
    MAX_SHEET_CELLS cells; pass a sheet the scan cannot find (the reader then says what is wrong)."""
    extent = sheet_extent(path, sheet)
    if extent is not None:
        raise ReaderError(where, "reader_sheet_too_large", sheet=sheet, cell=extent.far_cell,
                          cells=f"{extent.cells:,}".replace(",", " "), limit=f"{MAX_SHEET_CELLS:,}".replace(",", " "))


def sheet_extent(path, sheet: str) -> Extent | None:
    """The grid the sheet's values span when it is more than MAX_SHEET_CELLS cells, else None."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_parts(zf).get(sheet)
            if part is None or part not in zf.namelist():
                return None
            return _extent(lambda: zf.open(part), MAX_SHEET_CELLS)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, RuntimeError, NotImplementedError):
        return None


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member that holds its XML, from the workbook and its relationships."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    parts = {}
    for node in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(node.get(f"{_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[node.get("name", "")] = member
    return parts


def _extent(read, limit: int) -> Extent | None:
    """None when the sheet's values fit in `limit` cells, else the grid they span. `read()` opens the sheet's
    XML anew. Rows come in order, so the last valued cell gives the height. A sheet has at most MAX_ROWS rows,
    so one whose columns stop within ``limit // MAX_ROWS`` fits whatever its height: that is all the first
    pass asks of the width, with one pattern that matches no cell of such a sheet. Only a wider sheet is read a
    second time, for its widest column beyond ``limit // height``."""
    rows, wide = 0, False
    narrow = re.compile(_REFERENCE % _letters_beyond(limit // MAX_ROWS))
    for text in _chunks(read):
        last = _LAST_CELL.match(text)
        if last is not None:
            rows = int(last.group(2))
        wide = wide or narrow.search(text) is not None
    if not wide or not rows or limit // rows >= MAX_COLUMNS:
        return None
    beyond = re.compile(_REFERENCE % _letters_beyond(limit // rows))
    widest = max((_column(m.group(1)) for text in _chunks(read) for m in beyond.finditer(text)), default=0)
    return Extent(rows, widest, f"{_letters(widest)}{rows}") if widest else None


def _chunks(read):
    """The XML in pieces that never cut a tag in two (a cell's tag is short)."""
    tail = b""
    with read() as fh:
        while chunk := fh.read(CHUNK):
            text = tail + chunk
            cut = text.rfind(b"<")
            text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            yield text
    if tail:
        yield tail


def _letters_beyond(column: int) -> bytes:
    """A pattern of the column letters of every column after `column` (1-based): the longer ones, and those of
    the same length that sort after it."""
    own = _letters(column)
    longer = [b"[A-Z]{%d}" % n for n in range(len(own) + 1, 4)]
    same = []
    for i, letter in enumerate(own):
        if letter != "Z":
            rest = b"[A-Z]{%d}" % (len(own) - i - 1) if len(own) - i - 1 else b""
            same.append(own[:i].encode() + b"[%s-Z]" % chr(ord(letter) + 1).encode() + rest)
    return b"(?:" + b"|".join(longer + same) + b")"


def _column(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + byte - 64
    return number


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out
