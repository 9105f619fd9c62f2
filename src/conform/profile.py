"""Loads a profile: the Frictionless data package that says what the standard is (tables, fields, value sets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import jsonschema
import polars as pl

from conform.errors import ProfileError
from conform.resources import SCHEMAS_DIR, profile_dir


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    information_set: str | None
    datatype: str
    cardinality: str
    value_set: str | None
    title: str

    @property
    def is_list(self) -> bool:
        return self.type == "list"

    @property
    def required(self) -> bool:
        return self.cardinality in ("1", "1..*")


@dataclass(frozen=True)
class TableSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    primary_key: str
    foreign_key: tuple[str, str] | None  # (own field, parent table); each canonical table has at most one parent

    @property
    def keys(self) -> list[str]:
        """The table's own key and its foreign key, the columns that link it to the others."""
        return [self.primary_key] + ([self.foreign_key[0]] if self.foreign_key else [])

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class InformationSet:
    order: int
    id: str
    name: str
    name_en: str
    datatype: str
    cardinality: str
    description: str


class Standard:
    """The standard's published text, split into its top-level sections, so that a rule's quote can be proven to
    stand word for word in the section it names. Words are compared with runs of white space folded into one
    space (the text's line breaks come from its layout, not its wording); every character is kept as published."""

    def __init__(self, path: Path, sections: list[str]):
        self.path = path
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError("profile_standard_unreadable", path=path, detail=exc) from exc
        starts, at = [], 0
        for heading in sections:
            # A heading is the first line after the previous heading that reads exactly so: "Utmaningar och
            # avvägningar" recurs inside every information set, and only its first, top-level, use is a section.
            found = next((i for i in range(at, len(lines)) if lines[i].strip() == heading), None)
            if found is None:
                raise ProfileError("profile_no_section", path=path, heading=heading, line=at + 1)
            starts.append(found)
            at = found + 1
        ends = starts[1:] + [len(lines)]
        self.sections: dict[str, str] = {h: fold(" ".join(lines[s:e])) for h, s, e in zip(sections, starts, ends)}

    def contains(self, section: str, quote: str) -> bool:
        return section in self.sections and fold(quote) in self.sections[section]


def fold(text: str) -> str:
    return " ".join(text.split())


class Profile:
    """A loaded, schema-validated profile."""

    def __init__(self, path: Path, descriptor: dict):
        self.path = path
        self.descriptor = descriptor
        self.name: str = descriptor["name"]
        self.version: str = descriptor["version"]
        self.title: str = descriptor.get("title", self.name)
        conform = descriptor["conform"]
        self.list_delimiter: str = conform["list_delimiter"]
        self.tables: dict[str, TableSpec] = {r["name"]: _table_spec(r) for r in descriptor["resources"]}
        self._value_set_refs: dict[str, dict] = conform["value_sets"]
        self._information_sets_path = path / conform["information_sets"]
        self._standard_ref: dict | None = conform.get("standard")

    @cached_property
    def standard(self) -> Standard | None:
        """The standard's text, where the profile ships it."""
        ref = self._standard_ref
        return Standard(self.path / ref["path"], ref["sections"]) if ref else None

    @cached_property
    def information_sets(self) -> list[InformationSet]:
        frame = self._read_csv(self._information_sets_path)
        return [
            InformationSet(int(r["order"]), r["id"], r["name"], r["name_en"], r["datatype"], r["cardinality"],
                           r["description"])
            for r in frame.sort(pl.col("order").cast(pl.Int32)).iter_rows(named=True)
        ]

    def information_set(self, set_id: str) -> InformationSet:
        for s in self.information_sets:
            if s.id == set_id:
                return s
        raise KeyError(set_id)

    def value_set(self, set_id: str) -> pl.DataFrame:
        """A value set as a string-typed frame, exactly as written in its CSV."""
        if set_id not in self._value_set_refs:
            raise ProfileError("profile_no_value_set", path=self.path / "datapackage.json", set=set_id)
        return self._value_sets[set_id]

    @property
    def value_set_ids(self) -> list[str]:
        return list(self._value_set_refs)

    def value_column(self, set_id: str) -> str:
        """The column of a value set's file that holds its values."""
        return self._value_set_refs[set_id]["column"]

    def field_value_column(self, field_name: str, set_id: str) -> str:
        """The column of a value set that a field's values are compared with: a code field (insats_kod) takes the
        value set's codes, not its names."""
        if field_name.endswith("_kod") and "kod" in self.value_set(set_id).columns:
            return "kod"
        return self.value_column(set_id)

    def values(self, set_id: str) -> list[str]:
        return [v for v in self.value_set(set_id)[self.value_column(set_id)].to_list() if v is not None]

    @cached_property
    def _value_sets(self) -> dict[str, pl.DataFrame]:
        return {sid: self._read_csv(self.path / ref["path"]) for sid, ref in self._value_set_refs.items()}

    def fields_of_set(self, set_id: str) -> list[tuple[str, FieldSpec]]:
        return [(t.name, f) for t in self.tables.values() for f in t.fields if f.information_set == set_id]

    def parent_chain(self, table: str) -> list[str]:
        """Tables above `table` along its foreign keys, nearest first."""
        chain, current = [], self.tables[table]
        while current.foreign_key is not None:
            parent = current.foreign_key[1]
            chain.append(parent)
            current = self.tables[parent]
        return chain

    def children(self, table: str) -> list[str]:
        return [t.name for t in self.tables.values() if t.foreign_key and t.foreign_key[1] == table]

    def _read_csv(self, path: Path) -> pl.DataFrame:
        try:
            return pl.read_csv(path, infer_schema=False, encoding="utf8")
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise ProfileError("profile_data_unreadable", path=path, detail=exc) from exc

    def validate_value_sets(self) -> None:
        """Every value set file exists, has its declared column, and no value twice."""
        for sid, ref in self._value_set_refs.items():
            frame = self.value_set(sid)
            column = ref["column"]
            if column not in frame.columns:
                raise ProfileError("profile_column_missing", path=self.path / ref["path"], column=column,
                                   columns=frame.columns)
            dupes = frame.filter(pl.col(column).is_not_null() & pl.col(column).is_duplicated())[column].unique()
            if sid != "insats" and len(dupes):
                raise ProfileError("profile_duplicates", path=self.path / ref["path"], values=dupes.to_list())


def _table_spec(resource: dict) -> TableSpec:
    schema = resource["schema"]
    fields = tuple(
        FieldSpec(
            name=f["name"], type=f["type"], information_set=f.get("information_set"),
            datatype=f.get("datatype", ""), cardinality=f.get("cardinality", "0..1"),
            value_set=f.get("value_set"), title=f.get("title", f["name"]),
        )
        for f in schema["fields"]
    )
    pk = schema["primaryKey"]
    pk = pk[0] if isinstance(pk, list) else pk
    fk = None
    for ref in schema.get("foreignKeys", []):
        own = ref["fields"][0] if isinstance(ref["fields"], list) else ref["fields"]
        fk = (own, ref["reference"]["resource"])
    return TableSpec(resource["name"], fields, pk, fk)


def load_profile(name_or_path: str) -> Profile:
    """Load and validate a profile by bundled name or folder path; raises ProfileError naming file and place."""
    folder = profile_dir(name_or_path)
    descriptor_path = folder / "datapackage.json"
    if not descriptor_path.is_file():
        raise ProfileError("profile_missing", name=name_or_path, path=descriptor_path)
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError("profile_bad_json", path=descriptor_path, detail=exc) from exc
    schema = json.loads((SCHEMAS_DIR / "profile.schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(descriptor), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "/"
        raise ProfileError("profile_schema", path=descriptor_path, where=where, detail=first.message)
    profile = Profile(folder, descriptor)
    profile.validate_value_sets()
    return profile


@cache
def field_titles(profile_name: str) -> dict[str, str]:
    """"table.field" → the standard's name of the field, for the profile a result was made with (empty where
    that profile is not installed here: the field ids are shown then)."""
    try:
        profile = load_profile(profile_name)
    except ProfileError:
        return {}
    return {f"{t}.{f.name}": f.title for t, spec in profile.tables.items() for f in spec.fields}
