"""What a profile tells `conform init-mapping` beyond its tables and fields: the headings vendors use for its fields
(headings.yaml) and the part some tables, fields and value sets play in a draft (drafting.yaml). Both are data of
the profile, so that no drafting code knows the standard's ids by heart; each is optional, and read once per
process, as the profile's lexicon is (:func:`conform.vocabulary.profile_lexicon`).

drafting.yaml is checked against the profile when it is read: every table, field and value set it names exists,
or the error names the file, line and key (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from conform.errors import ProfileError
from conform.profile import Profile
from conform.vocabulary import fold
from conform.yamlfile import Located, load_located

HEADINGS_FILE = "headings.yaml"
DRAFTING_FILE = "drafting.yaml"


@dataclass(frozen=True)
class CodeField:
    """A field of codes of a fixed form (drafting.yaml, ``codes``)."""
    name: str
    pattern: str                    # a regular expression every code matches
    note: str                       # the draft's words for values of the form (labels.yaml, ``draft``)
    other_codes: str | None = None  # a value set of codes the field takes besides its own
    other_names: tuple[str, ...] = ()  # the columns of that value set that hold its codes' names
    name_field: str | None = None   # the field that holds a code's name


@dataclass(frozen=True)
class DraftingHints:
    """Everything the two files say, with empty defaults for what a profile leaves out."""
    headings: dict[str, list[str]] = field(default_factory=dict)   # field -> headings vendors use for it
    table_words: tuple[str, ...] = ()                               # tables a heading may name, folded
    identifying: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> fields of a derived key
    person_id: str | None = None                                    # the field of the person-ID
    age: str | None = None                                          # the field of an age in years
    codes: dict[str, CodeField] = field(default_factory=dict)       # code field -> its form and names
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # value set -> columns of other names
    abbreviations: dict[str, str] = field(default_factory=dict)     # a heading's short word, folded -> its words
    distractors: tuple[str, ...] = ()                               # words of a change stamp's heading, folded

    def code_named_in(self, field_name: str) -> CodeField | None:
        """The code field whose codes' names `field_name` holds."""
        return next((c for c in self.codes.values() if c.name_field == field_name), None)


_HINTS: dict[Path, DraftingHints] = {}


def drafting_hints(profile: Profile) -> DraftingHints:
    """The profile's hints for a draft (empty where it has neither file); read once per process."""
    if profile.path not in _HINTS:
        headings_path = profile.path / HEADINGS_FILE
        headings = yaml.safe_load(headings_path.read_text(encoding="utf-8")) if headings_path.is_file() else {}
        drafting_path = profile.path / DRAFTING_FILE
        _HINTS[profile.path] = _read_drafting(load_located(drafting_path, ProfileError), profile, headings or {}) \
            if drafting_path.is_file() else DraftingHints(headings=headings or {})
    return _HINTS[profile.path]


def _read_drafting(doc: Located, profile: Profile, headings: dict[str, list[str]]) -> DraftingHints:
    data = doc.data or {}
    tables = set(profile.tables)
    fields = {f.name for spec in profile.tables.values() for f in spec.fields}
    value_sets = set(profile.value_set_ids)

    def refuse(detail: str, at: tuple) -> ProfileError:
        return ProfileError("profile_schema", path=f"{doc.path}:{doc.line(at)}", where="/".join(map(str, at)),
                            detail=detail)

    def known(name, among: set[str], *at: object) -> str:
        """`name`, if the profile has it."""
        if name not in among:
            raise refuse(f"{name!r} is none of the profile's {', '.join(sorted(among))}", at)
        return name

    def given(entry: dict, key: str, *at: object):
        if key not in entry:
            raise refuse(f"{key!r} is missing", at)
        return entry[key]

    identifying = {}
    for table, names in (data.get("identifying") or {}).items():
        own = {f.name for f in profile.tables[known(table, tables, "identifying", table)].fields}
        identifying[table] = tuple(known(n, own, "identifying", table) for n in names)
    codes = {}
    for name, code in (data.get("codes") or {}).items():
        other, named = code.get("other_codes") or {}, code.get("name_field")
        codes[known(name, fields, "codes", name)] = CodeField(
            name, given(code, "pattern", "codes", name), given(code, "note", "codes", name),
            known(given(other, "value_set", "codes", name, "other_codes"), value_sets, "codes", name, "other_codes")
            if other else None,
            tuple(other.get("names", ())), known(named, fields, "codes", name, "name_field") if named else None)
    person_id, age = data.get("person_id"), data.get("age")
    return DraftingHints(
        headings=headings,
        table_words=tuple(known(t, tables, "table_words") for t in data.get("table_words") or ()),
        identifying=identifying,
        person_id=known(person_id, fields, "person_id") if person_id else None,
        age=known(age, fields, "age") if age else None,
        codes=codes,
        aliases={known(vs, value_sets, "aliases", vs): tuple(columns)
                 for vs, columns in (data.get("aliases") or {}).items()},
        abbreviations={fold(short): str(words) for short, words in (data.get("abbreviations") or {}).items()},
        distractors=tuple(fold(w) for w in data.get("distractors") or ()),
    )
