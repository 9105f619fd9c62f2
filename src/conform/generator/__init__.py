"""Synthetic vendor exports in conform's canonical shape, clean or with known defects (see :func:`generate`)."""

from conform.generator.core import EXPECTED_FILE, TABLES, Summary, generate

__all__ = ["EXPECTED_FILE", "TABLES", "Summary", "generate"]
