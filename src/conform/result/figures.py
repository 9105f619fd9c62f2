"""The figures a report shows beyond the verdict, computed once, during the check, from the export's records and
the findings: each record's target group, the information sets per target group, what the export shows of the
system's capability, value-set coverage and the follow-up aggregates.

They are plain, language-neutral data (codes and counts), serialised in the JSON result under `figures`, so that
a renderer only words and lays them out, and a report can be made again from a stored result with no export
present. An export checked in one piece is read into memory once for them (the check held each of its tables,
one at a time, anyway); a larger one is scanned again by each query, which cuts it down to counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from conform import personnummer
from conform.check.views import HASH, key_hash
from conform.input.readers.source import ROW
from conform.model import Rule, SetResult, Status
from conform.profile import Profile
from conform.values import parse_date
from conform.vocabulary import closest, profile_lexicon

GROUP_FIELD = "malgrupp"
OTHER_GROUP = "?"            # records whose target group is missing, unknown or cannot be followed to
# The fewest records with a value that can show whether a system registers several values of a [1..*] set.
MIN_RECORDS_FOR_CAPABILITY = 50
NONSTANDARD_LISTED = 25      # non-standard values listed per value set, the most frequent first
NO_CELL = "none"             # a target group with no records of an information set's tables
MATCHED = "__matched"


class Tables:
    """The export's tables as lazy frames, and which columns each has. `in_memory`: read each table once, for
    every figure to query in memory (an export checked in one piece, whose tables the check held one at a time
    anyway); else every figure scans the files again, holding only its counts."""

    def __init__(self, export, in_memory: bool = False):
        self.frames: dict[str, pl.LazyFrame] = {n: t.frame for n, t in export.tables.items() if t.frame is not None}
        if in_memory:
            self.frames = dict(zip(self.frames, (f.lazy() for f in pl.collect_all(list(self.frames.values())))))
        self.columns = {n: f.collect_schema().names() for n, f in self.frames.items()}

    def __getitem__(self, table: str) -> pl.LazyFrame:
        return self.frames[table]

    def has(self, table: str, *columns: str) -> bool:
        return table in self.frames and all(c in self.columns[table] for c in columns)


@dataclass
class Figures:
    """`document`: what the JSON result carries under `figures`; `record_groups`: (table, row, group) of every
    record with a finding, for the target groups of the listed findings."""

    document: dict
    record_groups: pl.DataFrame


def compute(profile: Profile, rules: list[Rule], export, hits: pl.DataFrame, attributed: pl.LazyFrame,
            sets: list[SetResult], in_memory: bool = False) -> Figures:
    """`hits`: every finding that counts; `attributed`: the same attributed to the sets they count against
    (conform.result.attribution.attribution), as the set verdicts were counted from."""
    tables = Tables(export, in_memory)
    codes = group_codes(profile)
    membership = _membership(profile, tables, codes, hits)
    groups = codes + ([OTHER_GROUP] if membership.records.filter(pl.col("group") == OTHER_GROUP).height else [])
    status = {s.id: s.status for s in sets}
    coverage = value_set_coverage(profile, tables)
    return Figures({
        "groups": groups,
        "matrix": _matrix(profile, attributed, sets, membership, groups),
        "capability": _capability(profile, tables, status),
        "coverage": coverage,
        "follow_up": {
            "persons": _persons_by_group_and_sex(profile, tables, codes),
            "days": _median_days(tables, codes),
            "open": _not_executed(rules, hits, membership.found),
        },
    }, membership.found)


def _joined(left: pl.LazyFrame, right: pl.LazyFrame, on: str) -> pl.DataFrame:
    """`left` with the rows of `right` whose `on` equals its own (a left join), matched as the engine matches a
    record to its parent: on the keys' 64-bit hashes, proven to have matched equal texts, else on the texts
    (conform.check.views.key_hash; matching integers takes about half the time of matching texts)."""
    hashed = (left.with_columns(key_hash(pl.col(on)).alias(HASH))
              .join(right.rename({on: MATCHED}).with_columns(key_hash(pl.col(MATCHED)).alias(HASH)), on=HASH,
                    how="left")
              .drop(HASH).collect())
    if hashed.select((pl.col(MATCHED).is_null() | (pl.col(MATCHED) == pl.col(on))).all()).item():
        return hashed.drop(MATCHED)
    return left.join(right, on=on, how="left").collect()


def group_codes(profile: Profile) -> list[str]:
    frame = profile.value_set(GROUP_FIELD)
    column = profile.value_column(GROUP_FIELD)
    return [r[column] for r in frame.iter_rows(named=True) if r[column]]


# -- target groups ----------------------------------------------------------------------------------------------

@dataclass
class Membership:
    """Records per (table, group), and the groups of the records that have findings (table, row, group)."""

    records: pl.DataFrame
    found: pl.DataFrame


def _membership(profile: Profile, tables: Tables, codes: list[str], hits: pl.DataFrame) -> Membership:
    """The target group(s) of every record, followed along the foreign keys from the table that holds malgrupp
    (a person belongs to every group they were aktualiserad in), counted per group and kept for the records
    with findings only. A record whose group is missing, not a standard code or cannot be followed (a dangling
    reference) is in OTHER_GROUP.

    Tables are settled one at a time, each read once and keeping (key, group) for the next only until that has
    used it, so no more than two tables' keys are held at once."""
    holder = next((t for t, s in profile.tables.items() if GROUP_FIELD in s.field_names), None)
    lazy = tables.frames
    has = tables.has
    found = (hits.filter(pl.col("row").is_not_null()).select(pl.col("table").cast(pl.String), "row").unique())
    key_groups: dict[str, pl.DataFrame] = {}   # table -> (key, group), unique: the groups of each primary key
    records, with_findings, settled = [], [], set()

    def settle(table: str, rows: pl.LazyFrame | pl.DataFrame, keyed: bool) -> pl.DataFrame:
        """Count a table's records (ROW, group and, where `keyed`, its key) per group, keep the groups of those
        with findings and its keys' groups; the table's rows, read once, for what else needs them."""
        frame = (rows.lazy().with_columns(pl.col(ROW).cast(pl.Int64), pl.col("group").fill_null(OTHER_GROUP))
                 .collect())
        records.append(frame.group_by("group").len("records").select(table=pl.lit(table), group="group",
                                                                     records="records"))
        mine = found.filter(pl.col("table") == table).select("row")
        with_findings.append(frame.join(mine, left_on=ROW, right_on="row", how="semi")
                             .select(table=pl.lit(table), row=ROW, group="group"))
        settled.add(table)
        if keyed:
            key_groups[table] = frame.select("key", "group").unique()
        return frame

    if holder is not None and has(holder, GROUP_FIELD):
        spec = profile.tables[holder]
        own = spec.foreign_key[0] if spec.foreign_key and has(holder, spec.foreign_key[0]) else None
        keyed = has(holder, spec.primary_key)
        group = pl.when(pl.col(GROUP_FIELD).is_in(codes)).then(GROUP_FIELD).otherwise(pl.lit(OTHER_GROUP))
        source = settle(holder, lazy[holder].select(
            ROW, group=group, *([pl.col(spec.primary_key).alias("key")] if keyed else []),
            *([pl.col(own).alias("link")] if own else [])), keyed)
        # Upwards: the tables the holder points to (person) take the groups of the records pointing at them.
        below = holder
        for parent in profile.parent_chain(holder):
            up, _ = profile.tables[below].foreign_key
            if not has(below, up) or (below != holder and below not in key_groups):
                break
            if below == holder:
                link = source.select(pl.col("link").alias("key"), "group")
            else:
                pk = profile.tables[below].primary_key
                link = (lazy[below].select(pl.col(up).alias("fk"), pl.col(pk).alias("key")).collect()
                        .join(key_groups[below], on="key").select(pl.col("fk").alias("key"), "group"))
            key_groups[parent] = link.unique()
            pk = profile.tables[parent].primary_key
            if has(parent, pk):
                settle(parent, _joined(lazy[parent].select(ROW, pl.col(pk).alias("key")), key_groups[parent].lazy(),
                                       "key"), keyed=False)
            below = parent
        del source
        # Downwards: every table below takes the groups of the record it points to.
        pending = [t for t in profile.tables if holder in profile.parent_chain(t)]
        for table in sorted(pending, key=lambda t: len(profile.parent_chain(t))):
            down, parent = profile.tables[table].foreign_key
            if parent not in key_groups or not has(table, down):
                continue
            pk = profile.tables[table].primary_key
            keyed = has(table, pk)
            settle(table, _joined(lazy[table].select(ROW, pl.col(down).alias("link"),
                                                     *([pl.col(pk).alias("key")] if keyed else [])),
                                  key_groups[parent].lazy().rename({"key": "link"}), "link"), keyed)
            if all(c in settled or c not in pending for c in profile.children(parent)):
                key_groups.pop(parent)  # every table below it is settled
    for table in list(lazy):
        if table not in settled:
            settle(table, lazy[table].select(ROW, group=pl.lit(None, pl.String)), keyed=False)
    schema = {"table": pl.String, "group": pl.String, "records": pl.UInt32}
    return Membership(pl.concat(records) if records else pl.DataFrame(schema=schema),
                      pl.concat(with_findings) if with_findings else
                      pl.DataFrame(schema={"table": pl.String, "row": pl.Int64, "group": pl.String}))


# -- the information sets per target group ----------------------------------------------------------------------

def _matrix(profile: Profile, attributed: pl.LazyFrame, sets: list[SetResult], membership: Membership,
            groups: list[str]) -> list[dict]:
    """Per information set, one cell per target group: the group's records of the set's tables, those with an
    error or a warning that counts against the set (the same attribution as the set verdicts), and the cell's
    status. A set missing from the export is missing in every group."""
    set_tables = pl.DataFrame(
        [{"set": s.id, "table": t} for s in profile.information_sets
         for t in sorted({t for t, _ in profile.fields_of_set(s.id)})],
        schema={"set": pl.String, "table": pl.String})
    records = (set_tables.join(membership.records, on="table")
               .group_by("set", "group").agg(pl.col("records").sum()))
    row = pl.struct("table", "row")
    bad = (attributed.filter(pl.col("row").is_not_null())
           .with_columns(pl.col("table", "set", "severity").cast(pl.String))
           .join(membership.found.lazy(), on=["table", "row"])
           .group_by("set", "group")
           .agg(errors=row.filter(pl.col("severity") == "error").n_unique(),
                warnings=row.filter(pl.col("severity") == "warning").n_unique())
           .collect())
    rowless = (attributed.filter(pl.col("row").is_null()).with_columns(pl.col("set").cast(pl.String))
               .group_by("set")
               .agg(error=(pl.col("severity") == "error").any(), warning=(pl.col("severity") == "warning").any())
               .collect())
    cells = {(r["set"], r["group"]): r for r in records.join(bad, on=["set", "group"], how="left")
             .fill_null(0).iter_rows(named=True)}
    whole = {r["set"]: r for r in rowless.iter_rows(named=True)}
    out = []
    for s in sets:
        row_cells = []
        for group in groups:
            cell = cells.get((s.id, group))
            n = cell["records"] if cell else 0
            errors = cell["errors"] if cell else 0
            warnings = cell["warnings"] if cell else 0
            if s.status is Status.MISSING:
                status = Status.MISSING.value
            elif n == 0:
                status = NO_CELL
            elif errors or whole.get(s.id, {}).get("error"):
                status = Status.NONCONFORMANT.value
            elif warnings or whole.get(s.id, {}).get("warning"):
                status = Status.WARNINGS.value
            else:
                status = Status.CONFORMANT.value
            row_cells.append({"group": group, "status": status, "records": n, "errors": errors,
                              "warnings": warnings})
        out.append({"set": s.id, "cells": row_cells})
    return out


# -- capability -------------------------------------------------------------------------------------------------

def _capability(profile: Profile, tables: Tables, status: dict[str, Status]) -> list[dict]:
    """What the export shows about what the system can register: several values where the standard allows
    them ([1..*]), fields that never hold a value, information sets missing altogether. Each item: its kind,
    the set, the figures it rests on and whether it is ok, a problem or cannot be told (too few records)."""
    items: list = [{"kind": "missing", "status": "problem", "set": s.id} for s in profile.information_sets
                   if status.get(s.id) is Status.MISSING]
    # Each "several" item is asked as a query of (records with a value, most values in one record), all of them
    # answered in one pass at the end.
    several: list[tuple[str, str, pl.LazyFrame]] = []
    for s in profile.information_sets:
        if s.cardinality != "1..*" or status.get(s.id) is Status.MISSING:
            continue
        for table, f in profile.fields_of_set(s.id):
            if f.is_list and tables.has(table, f.name):
                items_per = (pl.col(f.name).str.split(profile.list_delimiter)
                             .list.eval(pl.element().filter(pl.element() != "")).list.len())
                several.append((s.id, table, tables[table].select(n=items_per).filter(pl.col("n") > 0)))
        # A [1..*] set held by rows of a child table (insats per beslut): rows per parent record.
        holders = [(t, f) for t, f in profile.fields_of_set(s.id) if not f.is_list]
        for table in sorted({t for t, _ in holders}):
            fk = profile.tables[table].foreign_key
            names = [f.name for t, f in holders if t == table and tables.has(table, f.name)]
            if fk is None or not names or not tables.has(table, fk[0]):
                continue
            filled = tables[table].filter(pl.any_horizontal(pl.col(n).is_not_null() for n in names))
            several.append((s.id, fk[1], filled.group_by(fk[0]).agg(n=pl.len()).select("n")))
    empties = [(table, f) for table, spec in profile.tables.items() for f in spec.fields
               if f.information_set and tables.has(table, f.name)]
    answers = pl.collect_all(
        [q.select(n=pl.len(), most=pl.col("n").max()) for _, _, q in several]
        + [tables[t].select(pl.len().alias("height"), *(pl.col(f.name).null_count().alias(f.name)
                                                         for u, f in empties if u == t))
           for t in dict.fromkeys(t for t, _ in empties)])
    for (set_id, table, _), answer in zip(several, answers):
        n, most = int(answer["n"].item()), int(answer["most"].item() or 0)
        verdict = "unknown" if n < MIN_RECORDS_FOR_CAPABILITY else "problem" if most <= 1 else "ok"
        items.append({"kind": "several", "status": verdict, "set": set_id, "table": table, "records": n,
                      "most": most, "minimum": MIN_RECORDS_FOR_CAPABILITY})
    nulls = dict(zip(dict.fromkeys(t for t, _ in empties), answers[len(several):]))
    for table, f in empties:
        height = nulls[table]["height"].item()
        if height and nulls[table][f.name].item() == height:
            items.append({"kind": "empty", "status": "problem", "set": f.information_set, "table": table,
                          "field": f.name, "records": int(height)})
    return items


# -- value-set coverage -----------------------------------------------------------------------------------------

def value_set_coverage(profile: Profile, tables: Tables) -> list[dict]:
    """Per information set and value set: the standard values the export shows (with the records holding each),
    those it never shows, and the values it holds that are not in the standard (the most frequent listed, each
    with the closest standard value where one can be named, person-ID-shaped values masked)."""
    entries: dict[tuple, list[tuple[str, str]]] = {}
    for table, spec in profile.tables.items():
        for f in spec.fields:
            if f.value_set:
                key = (f.information_set or f.name, f.value_set, profile.field_value_column(f.name, f.value_set))
                entries.setdefault(key, []).append((table, f.name))
    order = {s.id: s.order for s in profile.information_sets}
    ordered = sorted(entries.items(), key=lambda e: order.get(e[0][0], 99))
    # Every field's values counted in one pass over the tables.
    observations = pl.collect_all([observed_values(profile, tables, fields) for _, fields in ordered])
    out = []
    for ((set_id, value_set, column), fields), observed in zip(ordered, observations):
        frame = profile.value_set(value_set)
        standard = list(dict.fromkeys(v for v in frame[column].to_list() if v))
        counts = dict(zip(observed["value"].to_list(), observed["records"].to_list()))
        # The lexicon translates into the value set's own values (for målgrupp its codes), not into other columns.
        known = profile_lexicon(profile).of(value_set) if column == profile.value_column(value_set) else {}
        outside = sorted(((v, n) for v, n in counts.items() if v not in set(standard)), key=lambda vn: (-vn[1], vn[0]))
        nonstandard = []
        for value, n in outside[:NONSTANDARD_LISTED]:
            match, basis = closest(value, standard, known, profile.list_delimiter, codes=column == "kod")
            # A value outside the set may be anything a broken line shifted there, a person-ID included.
            nonstandard.append({"value": personnummer.mask_text(value), "records": n, "closest": match or None,
                                "basis": basis or None})
        read = any(tables.has(t, f) for t, f in fields)
        present = [[v, counts[v]] for v in standard if v in counts]
        out.append({
            "set": set_id, "value_set": value_set, "column": column, "fields": [[t, f] for t, f in fields],
            "read": read, "standard_total": len(standard),
            "present": present,
            "never": [v for v in standard if v not in counts],
            "nonstandard": nonstandard, "nonstandard_total": len(outside),
            "complete": read and len(present) == len(standard) and not outside,
        })
    return out


def observed_values(profile: Profile, tables: Tables, fields: list[tuple[str, str]]) -> pl.LazyFrame:
    """(value, records): how many records hold each value, over the given fields, list items counted apiece
    (an item repeated within one record counts once)."""
    frames = []
    for table, name in fields:
        if not tables.has(table, name):
            continue
        raw = pl.col(name)
        if profile.tables[table].field(name).is_list:
            frame = tables[table].select(value=raw.str.split(profile.list_delimiter).list.unique()).explode("value")
        else:
            frame = tables[table].select(value=raw)
        frames.append(frame.filter(pl.col("value").is_not_null() & (pl.col("value") != "")))
    if not frames:
        return pl.LazyFrame(schema={"value": pl.String, "records": pl.UInt32})
    return pl.concat(frames).group_by("value").len("records")


# -- follow-up --------------------------------------------------------------------------------------------------

def _in_groups(column: str, codes: list[str]) -> pl.Expr:
    return pl.when(pl.col(column).is_in(codes)).then(column).otherwise(pl.lit(OTHER_GROUP))


def _persons_by_group_and_sex(profile: Profile, tables: Tables, codes: list[str]) -> dict | None:
    """Persons per target group and juridiskt kön (a person in two groups counts in each), and persons in all;
    None where the export cannot tell."""
    if not (tables.has("aktualisering", "person_id", GROUP_FIELD) and tables.has("person", "person_id")):
        return None
    sexes = profile.values("juridiskt_kon")
    sex = pl.col("juridiskt_kon") if tables.has("person", "juridiskt_kon") else pl.lit(None, pl.String)
    # A person written twice counts by the first row (a deterministic choice; conflicts are PID-011's finding).
    person = tables["person"].select("person_id", sex=sex).unique("person_id", keep="first")
    pairs = (_joined(tables["aktualisering"].filter(pl.col("person_id").is_not_null())
                     .select("person_id", group=pl.col(GROUP_FIELD)).unique(), person, "person_id").lazy()
             .with_columns(group=_in_groups("group", codes), sex=_in_groups("sex", sexes)))
    per_pair, persons = pl.collect_all([pairs.group_by("group", "sex").len("persons").sort("group", "sex"),
                                        pairs.select(pl.col("person_id").n_unique())])
    return {"sexes": sexes, "counts": per_pair.to_dicts(), "persons": int(persons.item())}


def _median_days(tables: Tables, codes: list[str]) -> dict | None:
    """Median days from aktualisering to beslut and from beslut to verkställande, per target group, with the
    number of pairs each rests on; None where the export cannot tell."""
    if not (tables.has("aktualisering", "aktualisering_id", GROUP_FIELD, "datum_aktualisering")
            and tables.has("beslut", "beslut_id", "aktualisering_id", "datum_beslut")):
        return None
    # A key used twice counts by its first row: tables are read in file order.
    # Each read and its dates parsed once, for both steps.
    akt, beslut = (frame.lazy() for frame in pl.collect_all([
        tables["aktualisering"].select("aktualisering_id", group=pl.col(GROUP_FIELD),
                                       d0=parse_date(pl.col("datum_aktualisering")))
        .unique("aktualisering_id", keep="first"),
        tables["beslut"].select("beslut_id", "aktualisering_id", d1=parse_date(pl.col("datum_beslut")))]))
    first = (_joined(beslut, akt, "aktualisering_id").lazy()
             .select("group", days=(pl.col("d1") - pl.col("d0")).dt.total_days()))
    if tables.has("insats", "beslut_id", "datum_verkstallande"):
        decided = (_joined(beslut.unique("beslut_id", keep="first"), akt, "aktualisering_id").lazy()
                   .select("beslut_id", "group", "d1"))
        second = (_joined(tables["insats"].select("beslut_id", d2=parse_date(pl.col("datum_verkstallande"))),
                          decided, "beslut_id").lazy()
                  .select("group", days=(pl.col("d2") - pl.col("d1")).dt.total_days()))
    else:
        second = first.clear()
    aggregates = [frame.filter(pl.col("days").is_not_null() & (pl.col("days") >= 0))
                  .with_columns(group=_in_groups("group", codes))
                  .group_by("group").agg(median=pl.col("days").median(), pairs=pl.len()).sort("group")
                  for frame in (first, second)]
    decision, execution = pl.collect_all(aggregates)
    return {"decision": decision.to_dicts(), "execution": execution.to_dicts()}


def _not_executed(rules: list[Rule], hits: pl.DataFrame, record_groups: pl.DataFrame) -> dict:
    """Decisions not executed in time (the rules of kind executed_within, mode open): records per target group
    and in all."""
    codes = [r.code for r in rules if r.kind == "executed_within" and getattr(r.params, "mode", "") == "open"]
    found = (hits.filter(pl.col("rule").cast(pl.String).is_in(codes) & pl.col("row").is_not_null())
             .select("table", "row").unique().with_columns(pl.col("table").cast(pl.String)))
    per_group = (found.join(record_groups, on=["table", "row"], how="left").fill_null(OTHER_GROUP)
                 .group_by("group").len("records").sort("group"))
    return {"rules": codes, "counts": per_group.to_dicts(), "records": found.height}
