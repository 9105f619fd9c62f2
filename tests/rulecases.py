"""Rule data cases: a clean base export (rule_cases/base.yaml) patched per case (rule_cases/<CODE>.yaml).

A case file names one rule and lists cases; each case patches the base and says exactly which records
(table, key) the rule must flag. Patch keys:
  set:      {table: {key: {field: value}}}   change fields of a record (null/empty = empty field)
  add:      {table: [row, ...]}               append rows (missing fields empty)
  remove:   {table: [key, ...]}               drop records
  drop_columns: {table: [field, ...]}         remove columns from a file
  drop_tables: [table, ...]                   remove files
  raw:      {table: "csv text"}               write the file as this text verbatim
  as_of:    "YYYY-MM-DD"                      reference date
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

CASES_DIR = Path(__file__).parent / "rule_cases"


@dataclass
class Case:
    code: str
    name: str
    patch: dict
    expect: list[tuple[str, str | None]]

    @property
    def id(self) -> str:
        return f"{self.code}-{self.name}"


def base() -> dict:
    return yaml.safe_load((CASES_DIR / "base.yaml").read_text(encoding="utf-8"))


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES_DIR.glob("[A-Z][A-Z][A-Z]-[0-9][0-9][0-9].yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["code"] == path.stem, f"{path}: code {doc['code']} does not match the file name"
        for c in doc["cases"]:
            expect = [(t, None if k is None else str(k)) for t, k in c.get("expect", [])]
            cases.append(Case(doc["code"], c["name"], c, expect))
    return cases


def _key_field(rows: list[dict]) -> str:
    return next(iter(rows[0])) if rows else ""


def write_export(folder: Path, patch: dict) -> date:
    doc = base()
    tables: dict[str, list[dict]] = copy.deepcopy(doc["tables"])
    columns = {t: list(rows[0]) for t, rows in tables.items()}
    for table, changes in (patch.get("set") or {}).items():
        key = _key_field(tables[table])
        for record_key, fields in changes.items():
            matches = [r for r in tables[table] if str(r[key]) == str(record_key)]
            assert matches, f"no {table} record {record_key} in base.yaml"
            for r in matches:
                r.update(fields)
    for table, rows in (patch.get("add") or {}).items():
        tables[table].extend(rows)
    for table, keys in (patch.get("remove") or {}).items():
        key = _key_field(tables[table])
        tables[table] = [r for r in tables[table] if str(r[key]) not in {str(k) for k in keys}]
    for table, dropped in (patch.get("drop_columns") or {}).items():
        columns[table] = [c for c in columns[table] if c not in dropped]
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        if table in (patch.get("drop_tables") or []):
            continue
        target = folder / f"{table}.csv"
        if table in (patch.get("raw") or {}):
            target.write_bytes(patch["raw"][table].encode("utf-8"))
            continue
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns[table])
            for r in rows:
                writer.writerow(["" if r.get(c) is None else str(r.get(c)) for c in columns[table]])
    return date.fromisoformat(str(patch.get("as_of") or doc["as_of"]))
