"""Local words and the standard values they stand for: known synonyms (reports_templates/synonyms.yaml) and
the closest standard value of a non-standard one. Used by the report's value-set coverage and by
`conform init-mapping` when it proposes crosswalks."""

from __future__ import annotations

import difflib
import re
from functools import cache

import yaml

from conform.resources import TEMPLATES_DIR

SYNONYMS_FILE = "synonyms.yaml"


@cache
def synonyms() -> dict[str, dict[str, str]]:
    """Known local terms per value set (casefolded) -> the standard value (reports_templates/synonyms.yaml)."""
    data = yaml.safe_load((TEMPLATES_DIR / SYNONYMS_FILE).read_text(encoding="utf-8")) or {}
    return {vs: {str(k).strip().casefold(): str(v) for k, v in (terms or {}).items()} for vs, terms in data.items()}


def closest(value: str, standard: list[str], value_set: str, delimiter: str | None = None,
            codes: bool = False) -> tuple[str | None, str | None]:
    """(closest standard value, basis) for a value outside the standard: a known synonym, a value that differs
    in case or spacing only, several standard values in a field that takes one, the one standard value that
    begins with or contains it as a word, or (not for codes, where near spellings mean nothing) the nearest
    spelling by difflib."""
    key = " ".join(value.split()).casefold()
    known = synonyms().get(value_set, {})
    if key in known and known[key] in standard:
        return known[key], "synonym"
    folded = {" ".join(s.split()).casefold(): s for s in standard}
    if key in folded:
        return folded[key], "case"
    if delimiter and delimiter in value and all(p.strip() in standard for p in value.split(delimiter)):
        return None, "several"
    if codes:
        return None, None
    word = re.compile(rf"(?<!\w){re.escape(key)}(?!\w)")
    containing = [s for f, s in folded.items() if len(key) > 1 and word.search(f)]
    if len(containing) == 1:
        return containing[0], "contains"
    match = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return (folded[match[0]], "spelling") if match else (None, None)


