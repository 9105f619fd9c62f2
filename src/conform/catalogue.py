"""The message catalogue (reports_templates/labels.yaml): every word conform shows, in each language.

It is the bottom layer: errors, the command line, the drafter and every renderer word their text from it, and it
imports nothing of conform's but where the data lies.
"""

from __future__ import annotations

from functools import cache

import yaml

from conform.resources import TEMPLATES_DIR

# libyaml where the platform has it: the catalogue is read on every run, and the pure-Python parser takes a
# noticeable part of a small check.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def labels(lang: str) -> dict:
    return _catalogue()[lang]


@cache
def _catalogue() -> dict:
    return yaml.load((TEMPLATES_DIR / "labels.yaml").read_text(encoding="utf-8"), Loader=LOADER)  # noqa: S506


def plural(entry: str | dict, n: int) -> str:
    """A label that depends on a count: {one: ..., other: ...} (a plain string is the same for every count).
    Swedish and English share CLDR's rule for whole numbers: "one" for exactly 1, "other" for the rest."""
    if isinstance(entry, str):
        return entry
    return entry["one"] if n == 1 else entry["other"]


def fill(template: str, **values) -> str:
    """A label with {placeholders}; values that are not in the label are ignored."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template
