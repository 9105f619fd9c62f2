"""A mapping file, loaded and checked against the profile: what each canonical field is in the vendor's export.

Checks that need only the profile happen here (known tables and fields, crosswalk targets in the value set,
options that fit the field's type, derived keys that line up with their parent's); checks that need the export
(does the column exist?) happen in :mod:`conform.input.mapping.apply`. Both name the mapping file, line and key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import polars as pl

from conform.errors import MappingError, msg
from conform.profile import Profile
from conform.resources import SCHEMAS_DIR
from conform.schema_problems import deepest, problem
from conform.vocabulary import closest, profile_lexicon
from conform.yamlfile import Located, load_located

DATE_TYPES = ("date",)
# The date_format of a date written as Excel's serial day number (44013 is 2020-07-01): what a workbook's date
# cell becomes when a report writer or a CSV export keeps the number instead of the date.
EXCEL_SERIAL = "excel"
# Excel's day 0 (its serials count from 1900-01-01 as 1, with Lotus's leap day 1900-02-29 counted: so from here).
EXCEL_EPOCH = "1899-12-30"
# A serial as a cell holds it: five digits, a whole day ("44013", or "44013.0" from a number cell).
EXCEL_SERIAL_TEXT = r"^\s*(\d{5})(?:\.0+)?\s*$"


@dataclass(frozen=True)
class FieldMap:
    """How one canonical field is read; exactly one of column, columns, value, derive is set."""

    name: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    value: str | None = None
    derive: tuple[str, ...] = ()
    delimiter: str | None = None
    date_formats: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    line: int = 1
    review: str | None = None  # why the draft asks a person to look at this field; None once reviewed
    as_written: tuple[str, ...] = ()  # local values a person has reviewed and leaves to the rules as written
    code_texts: dict[str, str] = field(default_factory=dict)  # the export's code table: code -> text, uncrosswalked

    @property
    def source_columns(self) -> tuple[str, ...]:
        return (self.column,) if self.column else self.columns or self.derive


@dataclass(frozen=True)
class TableMap:
    name: str
    source: str
    fields: dict[str, FieldMap]
    line: int = 1


@dataclass(frozen=True)
class Mapping:
    path: Path
    profile: str
    vendor: str | None
    tables: dict[str, TableMap]
    doc: Located
    draft: bool = False
    unmapped: tuple[tuple[str | None, str | None, str], ...] = ()  # (table, field it names, its text)

    def where(self, *at) -> str:
        return self.doc.where(at)

    def open_items(self, questions: list[dict] = ()) -> dict | None:
        """What a person has still to review before a verdict through this mapping is final: the draft as a whole
        (``draft: true``), each field marked for review, each of the draft's unsettled questions (``unmapped``,
        with the field it names when it names one), and the mapping questions the check found (`questions`:
        conform.input.mapping.questions). None once all are settled, as in a reviewed mapping that fits."""
        fields = [{"table": t, "field": f.name, "reason": f.review}
                  for t, tmap in self.tables.items() for f in tmap.fields.values() if f.review]
        if not (self.draft or fields or self.unmapped or questions):
            return None
        unsettled = [{"table": table, "field": name, "text": text} for table, name, text in self.unmapped]
        return {"draft": self.draft, "fields": fields, "unmapped": unsettled, "questions": list(questions)}

    def shared_sources(self) -> set[str]:
        """Sources that hold more than one table (wide files): each table is then one record per key."""
        seen: dict[str, int] = {}
        for t in self.tables.values():
            seen[t.source] = seen.get(t.source, 0) + 1
        return {s for s, n in seen.items() if n > 1}


@cache
def mapping_schema() -> dict:
    return json.loads((SCHEMAS_DIR / "mapping.schema.json").read_text(encoding="utf-8"))


def load_mapping(path: Path, profile: Profile) -> Mapping:
    doc = load_located(Path(path), MappingError)
    if not isinstance(doc.data, dict):
        raise MappingError("mapping_not_mapping", where=doc.where(()))
    _validate_schema(doc)
    data = doc.data
    if data["profile"] != profile.name:
        raise MappingError("mapping_profile", where=doc.where(("profile",)), mapping=data["profile"],
                           profile=profile.name)
    tables = {}
    for table, raw in data["tables"].items():
        if table not in profile.tables:
            raise MappingError("mapping_no_table", where=doc.where(("tables", table)), table=table,
                               tables=list(profile.tables))
        fields = {}
        for name, spec in raw["fields"].items():
            fields[name] = _field(doc, profile, table, name, spec)
        tables[table] = TableMap(table, raw["source"], fields, doc.line(("tables", table)))
    mapping = Mapping(Path(path), data["profile"], data.get("vendor"), tables, doc, bool(data.get("draft")),
                      tuple(_named(text, profile) for text in data.get("unmapped") or ()))
    _check_keys(mapping, profile)
    return mapping


def _validate_schema(doc: Located) -> None:
    errors = list(jsonschema.Draft202012Validator(mapping_schema()).iter_errors(doc.data))
    if not errors:
        return
    error = deepest(errors)
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        given = [k for k in ("column", "columns", "value", "derive") if k in error.instance]
        raise MappingError("mapping_one_of", where=doc.where(tuple(error.absolute_path)),
                           given=msg("mapping_given", keys=given) if given else "")
    at, what = problem(error)
    raise MappingError("schema", where=doc.where(at), detail=what)


def _field(doc: Located, profile: Profile, table: str, name: str, spec) -> FieldMap:
    at = ("tables", table, "fields", name)
    table_spec = profile.tables[table]
    if name not in table_spec.field_names:
        raise MappingError("mapping_no_field", where=doc.where(at), table=table, field=name,
                           fields=table_spec.field_names)
    if isinstance(spec, str):
        spec = {"column": spec}
    fspec = table_spec.field(name)
    formats = spec.get("date_format", ())
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    if formats and fspec.type not in DATE_TYPES:
        raise MappingError("mapping_not_date", where=doc.where(at + ("date_format",)), table=table, field=name)
    for fmt in formats:
        if fmt != EXCEL_SERIAL and ("%" not in fmt or not _readable_format(fmt)):
            raise MappingError("mapping_bad_format", where=doc.where(at + ("date_format",)), format=fmt)
    if (spec.get("delimiter") or spec.get("columns")) and not fspec.is_list:
        key = "delimiter" if spec.get("delimiter") else "columns"
        raise MappingError("mapping_not_list", where=doc.where(at + (key,)), table=table, field=name)
    is_key = name == table_spec.primary_key or (table_spec.foreign_key and name == table_spec.foreign_key[0])
    if spec.get("derive") and not is_key:
        raise MappingError("mapping_derive_key", where=doc.where(at + ("derive",)), table=table, field=name)
    crosswalk = spec.get("values", {})
    allowed = _allowed_values(profile, fspec.value_set, name)
    if allowed is not None:
        for local, standard in crosswalk.items():
            if standard not in allowed:
                close, _ = closest(standard, allowed, profile_lexicon(profile).of(fspec.value_set or ""))
                listing = msg("its_values", values=allowed) if len(allowed) <= 12 else ""
                raise MappingError("mapping_not_in_set", where=doc.where(at + ("values", local)), value=standard,
                                   table=table, field=name, value_set=fspec.value_set,
                                   hint=msg("did_you_mean", value=close) if close else listing)
        if spec.get("value") is not None and spec["value"] not in allowed:
            raise MappingError("mapping_not_in_set", where=doc.where(at + ("value",)), value=spec["value"],
                               table=table, field=name, value_set=fspec.value_set, hint="")
        delimiter = spec.get("delimiter")
        if delimiter:
            clash = sorted(v for v in set(allowed) | set(crosswalk) if delimiter in v)
            if clash:
                raise MappingError("mapping_delimiter_clash", where=doc.where(at + ("delimiter",)),
                                   delimiter=delimiter, values=[f"'{v}'" for v in clash[:3]])
    return FieldMap(
        name=name, column=spec.get("column"), columns=tuple(spec.get("columns", ())), value=spec.get("value"),
        derive=tuple(spec.get("derive", ())), delimiter=spec.get("delimiter"), date_formats=formats,
        values=dict(crosswalk), line=doc.line(at), review=spec.get("review"),
        as_written=tuple(spec.get("as_written", ())), code_texts=dict(spec.get("code_texts", {})),
    )


def _named(text: str, profile: Profile) -> tuple[str | None, str | None, str]:
    """(table, field, text) of an item under `unmapped`: the profile's field its text begins with ("insats.insats:
    ..."), else none (an item about a file: "klienter.csv: column(s) no field uses")."""
    named = re.match(r"(\w+)\.(\w+):", text)
    if named and named.group(1) in profile.tables and named.group(2) in profile.tables[named.group(1)].field_names:
        return named.group(1), named.group(2), text
    return None, None, text


def _readable_format(fmt: str) -> bool:
    try:
        pl.Series(["2024-03-05"]).str.to_datetime(fmt, strict=False, exact=True)
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        return False
    return True


def _allowed_values(profile: Profile, value_set: str | None, field_name: str) -> list[str] | None:
    """The strings a crosswalk may map to; None where membership is not a fixed list (a code field, such as the
    KSI code, is checked by its own rules)."""
    if value_set is None or profile.field_value_column(field_name, value_set) == "kod":
        return None
    return profile.values(value_set)


def _check_keys(mapping: Mapping, profile: Profile) -> None:
    """Every mapped table has its key; a child's key to a mapped parent is there too, and when the parent's key
    is derived, the child derives it from as many columns."""
    for table, tmap in mapping.tables.items():
        spec = profile.tables[table]
        if spec.primary_key not in tmap.fields:
            raise MappingError("mapping_key_unmapped", where=mapping.where("tables", table, "fields"),
                               key=spec.primary_key)
        if not spec.foreign_key:
            continue
        fk, parent = spec.foreign_key
        if parent not in mapping.tables:
            continue
        if fk not in tmap.fields:
            raise MappingError("mapping_fk_unmapped", where=mapping.where("tables", table, "fields"), table=table,
                               parent=parent, fk=fk)
        parent_key = mapping.tables[parent].fields.get(profile.tables[parent].primary_key)
        child_link = tmap.fields[fk]
        if parent_key is not None and bool(parent_key.derive) != bool(child_link.derive):
            raise MappingError("mapping_fk_derive" if parent_key.derive else "mapping_fk_column",
                               where=mapping.where("tables", table, "fields", fk), parent=parent, table=table, fk=fk)
        if parent_key is not None and parent_key.derive and len(parent_key.derive) != len(child_link.derive):
            raise MappingError("mapping_fk_count", where=mapping.where("tables", table, "fields", fk, "derive"),
                               parent=parent, n=len(parent_key.derive), columns=parent_key.derive)
