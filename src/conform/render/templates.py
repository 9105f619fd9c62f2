"""The Jinja2 environments, interface labels and page policy every template renderer shares."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import PurePath

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from conform.catalogue import fill, plural
from conform.formatting import Formatter, int_text, share_text, timestamp_text
from conform.resources import TEMPLATES_DIR

# The pages load nothing and run nothing: inline CSS only.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; script-src 'none'; "
       "base-uri 'none'; form-action 'none'")
# Unicode categories never written raw to a terminal or CI log: controls, format characters (bidi), unassigned.
HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@cache
def environment(html: bool, trim: bool = True) -> Environment:
    """HTML templates autoescape every value (a value from an export is shown as text); text templates must
    not, as escaping would mangle values. `trim` drops the newline after a block tag."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=trim, lstrip_blocks=trim, keep_trailing_newline=True)
    env.filters["share"] = share_text
    env.filters["int"] = int_text
    env.filters["timestamp"] = timestamp_text
    env.filters["percent"] = lambda share, lang: Formatter(lang).percent(share)
    env.filters["fill"] = fill
    env.filters["plural"] = plural
    env.filters["basename"] = basename
    env.filters["css_string"] = css_string
    env.filters["printable"] = printable
    return env


def printable(value) -> str:
    """A value for a terminal or a CI log: control characters (escape sequences, NUL) shown as \\xNN."""
    if value is None:
        return ""
    return "".join(c if unicodedata.category(c) not in HIDDEN else f"\\x{ord(c):02x}" if ord(c) < 256
                   else f"\\u{ord(c):04x}" for c in str(value))


def css_string(value) -> Markup:
    """A value as a quoted CSS string for a page's running header or footer: every character but letters,
    digits, space and a few marks as a CSS escape, so that no value can end the string, the rule or the
    <style> element it stands in."""
    text = "" if value is None else str(value)
    # An escape ends with one space, which CSS takes as part of it: a space after it in the text is kept.
    safe = "".join(c if (c.isalnum() and c.isascii()) or c in " .,:-_()" else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{safe}"')


def basename(path: str) -> str:
    """A file's name without its folder (a path on this machine tells a reader nothing and may tell too much)."""
    return PurePath(str(path).replace("\\", "/")).name
