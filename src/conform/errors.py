"""Errors that stop a check before it starts (exit code NOT_CHECKED). Problems inside an export are findings.

A user-facing error is a key of the message catalogue's ``error_messages`` (reports_templates/labels.yaml) and its
parameters, so that the command line says it in the reader's language: ``text(lang)``; ``str()`` is the English.
A parameter may itself be a :class:`Msg` (a clause such as "did you mean …?"), worded in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conform.catalogue import fill, labels


@dataclass(frozen=True)
class Msg:
    """A catalogue message: its key under ``error_messages`` and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        catalogue = labels(lang)["error_messages"]
        if self.key not in catalogue:
            raise KeyError(f"no message {self.key!r} in the catalogue's error_messages ({lang})")
        return fill(catalogue[self.key], **{k: _worded(v, lang) for k, v in self.params.items()})


def msg(key: str, **params: Any) -> Msg:
    return Msg(key, params)


@dataclass(frozen=True)
class Joined:
    """Parts worded one after the other, without a separator (a file name and a ", line 5")."""

    parts: list

    def text(self, lang: str) -> str:
        return "".join(_worded(p, lang) for p in self.parts)


def _worded(value: Any, lang: str) -> str:
    if isinstance(value, (Msg, Joined)):
        return value.text(lang)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_worded(v, lang) for v in value)
    return str(value)


def utf8_reason(reason: str) -> Msg | str:
    """Python's reason why bytes are not UTF-8, in the catalogue's words where it has them."""
    key = "utf8_" + reason.replace(" ", "_")
    return Msg(key) if key in labels("en")["error_messages"] else reason


class ConformError(Exception):
    """A user-facing error: the message says what is wrong, where, and what to do."""

    def __init__(self, key: str, /, **params: Any):
        self.message = Msg(key, params)
        super().__init__(key)

    def text(self, lang: str = "en") -> str:
        return self.message.text(lang)

    def __str__(self) -> str:
        return self.text("en")


class ProfileError(ConformError):
    pass


class RuleFileError(ConformError):
    pass


class UsageError(ConformError):
    pass


class MappingError(ConformError):
    """A mapping file that is not valid, or that does not fit the export: names the file, line and key."""
