"""How good an unedited draft mapping is for a generated vendor shape, against what the generator knows: the
mapping a reviewer would end with, the vendor's own words, and every finding the injected defects must cause.

Used by the tests (tests/test_drafting.py) and the benchmark (bench/drafting.py): one measure, one place.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from conform.errors import ConformError
from conform.generator.vendors import (CODED_DELIMITER, CODED_NAMES, ENGLISH_NAMES, LIST_FIELDS, SYNONYMS_NAMES,
                                       code_tables, local_words, read_canonical, write_shape)

NAMES = {"synonyms": SYNONYMS_NAMES, "english": ENGLISH_NAMES, "coded": CODED_NAMES}
DATE_FORMATS = {"english": "%Y-%m-%d %H:%M:%S"}
DELIMITERS = {"synonyms": ";", "coded": CODED_DELIMITER}


@dataclass
class Quality:
    shape: str
    review: int = 0                                            # lines the draft marks REVIEW
    structure_edits: list[str] = field(default_factory=list)   # columns, sources, formats the draft has wrong
    crosswalk_edits: list[str] = field(default_factory=list)   # local values added, removed or re-pointed
    wrong: list[str] = field(default_factory=list)             # proposed crosswalks that say something else
    expected: int = 0
    found: int = 0                                             # findings through the draft (non-info)
    true: int = 0                                              # of those, findings the generator expects
    missed: pl.DataFrame | None = None
    extra: pl.DataFrame | None = None

    @property
    def edits(self) -> int:
        return len(self.structure_edits) + len(self.crosswalk_edits)

    @property
    def recall(self) -> float:
        return self.true / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.true / self.found if self.found else 1.0


def vocabulary(shape: str) -> dict[str, dict[str, str]]:
    """Per field, the vendor's word -> the standard value it stands for."""
    if shape == "synonyms":
        fields = {f for _, headings in SYNONYMS_NAMES.values() for f in headings}
        return {f: {local: standard for standard, local in local_words(f).items()} for f in fields if local_words(f)}
    if shape == "coded":
        return {f: {code: standard for standard, code in codes.items()} for f, codes in code_tables().items()}
    return {}


def reviewed_mapping(shape: str, canonical: dict[str, pl.DataFrame], delimiter: str = "|") -> dict:
    """The mapping a careful reviewer ends with: every column where the generator put it, and a crosswalk for
    every vendor word the export holds."""
    words = vocabulary(shape)
    tables = {}
    for table, (file, headings) in NAMES[shape].items():
        fields = {}
        for name, heading in headings.items():
            spec: dict = {"column": heading}
            if name.startswith("datum_") and shape in DATE_FORMATS:
                spec["date_format"] = DATE_FORMATS[shape]
            if name in LIST_FIELDS and shape in DELIMITERS:
                spec["delimiter"] = DELIMITERS[shape]
            present = set(canonical[table][name].drop_nulls().str.split(delimiter).explode().str.strip_chars())
            used = {local: standard for local, standard in words.get(name, {}).items() if standard in present}
            if used:
                spec["values"] = used
            fields[name] = spec
        tables[table] = {"source": file, "fields": fields}
    return {"conform_mapping": 1, "profile": "basinformation-1.0", "tables": tables}


def _normal(spec, list_delimiter: str = "|") -> dict:
    spec = {"column": spec} if isinstance(spec, str) else dict(spec)
    # A reviewer's marks, not the mapping's meaning: deleting `review` is the act of reviewing, not an edit.
    for ignored in ("confidence", "note", "review"):
        spec.pop(ignored, None)
    if spec.get("delimiter") == list_delimiter:  # the profile's own: the same as none
        spec.pop("delimiter")
    if isinstance(spec.get("date_format"), str):
        spec["date_format"] = [spec["date_format"]]
    return spec


def edits(draft: dict, reviewed: dict) -> tuple[list[str], list[str]]:
    """(structural edits, crosswalk edits) that turn the draft into the reviewed mapping: one per source, field
    spec or local value added, removed or pointed elsewhere."""
    structure, crosswalk = [], []
    for table, want in reviewed["tables"].items():
        got = draft["tables"].get(table)
        if got is None or got["source"] != want["source"]:
            structure.append(f"{table}: source")
            continue
        for name, spec in want["fields"].items():
            w, g = _normal(spec), _normal(got["fields"].get(name, {}))
            wv, gv = w.pop("values", {}), g.pop("values", {})
            if w != g:
                structure.append(f"{table}.{name}: {g} -> {w}")
            crosswalk += [f"{table}.{name}: {k!r}" for k in sorted(set(wv) | set(gv)) if wv.get(k) != gv.get(k)]
        structure += [f"{table}.{n}: not in the reviewed mapping" for n in got["fields"] if n not in want["fields"]]
    return structure, crosswalk


def wrong_crosswalks(draft: dict, reviewed: dict) -> list[str]:
    """Proposed crosswalks a reviewer must not accept: a vendor word sent to another standard value, or a value
    the vendor never used as a word (a data error) sent to a standard value, which would hide the error."""
    wrong = []
    for table, got in draft["tables"].items():
        want = reviewed["tables"].get(table, {}).get("fields", {})
        for name, spec in got["fields"].items():
            truth = _normal(want.get(name, {})).get("values", {})
            for local, standard in (_normal(spec).get("values") or {}).items():
                if truth.get(local) != standard:
                    wrong.append(f"{table}.{name}: {local!r} -> {standard!r} (truth: {truth.get(local)!r})")
    return wrong


def findings(result, rules: set[str]) -> pl.DataFrame:
    """The (table, key, rule) of every finding that judges a record: warnings and errors, and notes of the rules
    the generator injects (a defect may be a note by its basis)."""
    severity = pl.DataFrame({"rule": [r.code for r in result.rules],
                             "severity": [r.severity.value for r in result.rules]})
    return (result.findings.join(severity, on="rule")
            .filter((pl.col("severity") != "info") | pl.col("rule").is_in(sorted(rules)))
            .select("table", "key", "rule").unique())


def measure(canonical: Path, shape: str, workdir: Path, drafter: Callable[[Path], str] | None = None) -> Quality:
    """Write `shape` from the generated `canonical` export, draft a mapping for it (with `drafter`, export ->
    YAML text; this checkout's by default), check it through the unedited draft and compare with the generator's
    truth."""
    from conform import api
    from conform.input.mapping.draft import draft_mapping

    export = workdir / shape
    write_shape(read_canonical(canonical), shape, export)
    profile = api.load()[0]
    text = drafter(export) if drafter is not None else draft_mapping(export, profile)
    draft = yaml.safe_load(text)
    reviewed = reviewed_mapping(shape, read_canonical(canonical), profile.list_delimiter)
    quality = Quality(shape, review=text.count("# REVIEW"))
    quality.structure_edits, quality.crosswalk_edits = edits(draft, reviewed)
    quality.wrong = wrong_crosswalks(draft, reviewed)
    path = workdir / f"{shape}.draft.yaml"
    path.write_text(text, encoding="utf-8")
    created = json.loads((canonical / "datapackage.json").read_text(encoding="utf-8"))["created"]
    try:
        result = api.check(export, mapping=path, as_of=dt.date.fromisoformat(created[:10]))
    except ConformError:  # a draft that maps no key cannot be checked at all: nothing found
        result = None
    expected = pl.read_csv(canonical / "expected_findings.csv", infer_schema=False).select("table", "key", "rule")
    if result is None:
        quality.expected, quality.missed = expected.unique().height, expected.unique()
        quality.extra = expected.clear()
        return quality
    found = findings(result, set(expected["rule"].to_list()))
    on = ["table", "key", "rule"]
    quality.expected, quality.found = expected.unique().height, found.height
    quality.true = found.join(expected, on=on, how="semi", nulls_equal=True).height
    quality.missed = expected.unique().join(found, on=on, how="anti", nulls_equal=True)
    quality.extra = found.join(expected, on=on, how="anti", nulls_equal=True)
    return quality

