"""Readers for what vendors really send: CSV in any common dialect and encoding, Excel workbooks, Parquet,
JSON Lines, and zip archives of these, each read as tables of text with a report of exactly how it was read.

Public interface
================
``detect(path) -> list[Source]``
    One :class:`Source` per table in a file, folder or ``.zip``: the encoding, dialect and header as found.
``read(source) -> polars.LazyFrame``
    ``__row`` (1-based data-record number) and every column as text, empty -> null.
``opened(path)``
    A context manager around ``detect`` that removes the private temporary folders made inside it.
``excel_damage(expr) -> polars.Expr``
    "scientific" / "decimal" / "leading_zeros" / null for a person-ID column (see :mod:`.damage`).
``ReaderError``
    A :class:`conform.errors.ConformError` naming the file (``archive.zip:member`` for a zip member), and the
    sheet or line where it applies.

Guarantees: decoding is strict (never a U+FFFD), every byte of a text file is checked; nothing is written over
or beside the input: extracted zip members and UTF-8 copies of Windows-1252/ISO-8859-1 files go to private
folders made by :func:`tempfile.mkdtemp`, removed at the end of ``opened`` or at exit (``cleanup()``).
``private_dir(purpose)`` makes such a folder for a caller's own intermediate files (removed at exit);
``temp_dir_under(folder)`` makes them all in `folder` inside its block (`--temp-dir`), ``temp_base()`` says where.

Rows: a CSV record, JSON line or sheet row whose fields are all empty (a blank line) is not a data row and is not
numbered. Excel sheets with no header row are passed over.
"""

from conform.input.readers._temp import base as temp_base
from conform.input.readers._temp import cleanup, private_dir
from conform.input.readers._temp import under as temp_dir_under
from conform.input.readers.core import UNREADABLE, Unreadable, detect, opened, outside, read, refused
from conform.input.readers.damage import CODES as EXCEL_DAMAGE_CODES
from conform.input.readers.damage import excel_damage
from conform.input.readers.source import ENCODINGS, FORMATS, ReaderError, Source

__all__ = ["EXCEL_DAMAGE_CODES", "ENCODINGS", "FORMATS", "UNREADABLE", "ReaderError", "Source", "Unreadable",
           "cleanup", "detect",
           "excel_damage", "opened", "outside", "private_dir", "read", "refused", "temp_base", "temp_dir_under"]
