"""Errors that stop a check before it starts (exit code NOT_CHECKED). Problems inside an export are findings."""

from __future__ import annotations


class ConformError(Exception):
    """A user-facing error: the message says what is wrong, where, and what to do."""


class ProfileError(ConformError):
    pass


class RuleFileError(ConformError):
    pass


class UsageError(ConformError):
    pass


class MappingError(ConformError):
    """A mapping file that is not valid, or that does not fit the export: names the file, line and key."""
