"""What a draft mapping proposes, and on what evidence: the notes that word the evidence, the columns that could
hold a field, the crosswalks of local values, each field as drafted, and the whole draft. The YAML
(:mod:`conform.input.mapping.draft_yaml`) and the review page (:mod:`conform.render.review`) are both written
from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conform.catalogue import labels
from conform.formatting import decimal_text
from conform.personnummer import mask_text
from conform.profile import FieldSpec, Profile

REVIEW_BELOW = 0.8      # a guess less sure than this is marked REVIEW


@dataclass
class Note:
    """One piece of the draft's evidence, kept as a catalogue key and its parameters (labels.yaml, `draft`) so
    that the YAML's comments and a Swedish review page word it from the same facts. Values quoted from the export
    are masked before they get here; a parameter that is a Note is worded in the same language."""
    key: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "en", names: dict[str, str] | None = None) -> str:
        """The note in `lang`; `names` ("table.field" -> the standard's name, table -> its noun) word the field
        for a reader, where the YAML names it by its id."""
        params = {k: v.text(lang, names) if isinstance(v, Note) else _Number(v) if lang == "sv" and
                  isinstance(v, float) else v for k, v in self.params.items()}
        names = names or {}
        if "field" in params:
            table, name = params.get("table", ""), params["field"]
            params["field"] = names.get(f"{table}.{name}", name)
            params["where"] = f"{params['field']} ({names[table]})" if table in names else \
                f"{table}.{name}" if table else name
        for noun in ("table", "parent"):
            if noun in params:
                params[noun] = names.get(params[noun], params[noun])
        return labels(lang)["draft"][self.key].format(**params)


class _Number(float):
    """A score or share worded the Swedish way: "0,85", "85 %"."""

    def __format__(self, spec: str) -> str:
        return decimal_text(float(self), spec, "sv")


def masked(text: str) -> str:
    """A value quoted from the export with anything shaped like a person-ID masked: a draft is shared for review,
    and a personnummer in the wrong column must not travel with it."""
    return mask_text(text)


@dataclass
class Candidate:
    columns: tuple[str, ...]     # one column, or a numbered group for a multi-valued field
    confidence: float
    why: Note


@dataclass
class Crosswalk:
    standard: str
    confidence: float
    basis: Note
    records: int                 # the sampled records (items, in a multi-valued field) that hold the local value


@dataclass
class Drafted:
    spec: FieldSpec
    columns: tuple[str, ...] = ()
    derive: tuple[str, ...] = ()
    confidence: float = 0.0
    why: Note | None = None
    date_format: str | None = None
    delimiter: str | None = None
    values: dict[str, Crosswalk] = field(default_factory=dict)  # local value -> its proposed standard value
    # The export's code table's text of each code it explains and no crosswalk covers (masked): the system's own
    # word that the code means something, so the check asks about it however rare (mapping.questions).
    code_texts: dict[str, str] = field(default_factory=dict)
    alternatives: list[Candidate] = field(default_factory=list)  # the other columns that could hold the field
    samples: list[tuple[str, int]] = field(default_factory=list)  # (value, records) of the column, masked


@dataclass
class Draft:
    """Everything `init-mapping` found: the plan per table (source id, fields) and what it could not map."""
    export: Path
    profile: Profile
    plan: dict[str, tuple[str, dict[str, Drafted]]]
    unmapped: list[Note]
    # every file's columns with their most common values, masked (conform.input.mapping.samples): what a person
    # choosing another column is shown
    columns: dict[str, list[dict]] = field(default_factory=dict)
