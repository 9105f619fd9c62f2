"""The figures a report shows beyond the verdict, computed once, during the check, from the export's records and
the findings: each record's target group, the information sets per target group, what the export shows of the
system's capability, value-set coverage and the follow-up aggregates.

They are plain, language-neutral data (codes and counts), serialised in the JSON result under `figures`, so that
a renderer only words and lays them out, and a report can be made again from a stored result with no export
present. They are counted from the views the checks run on (:class:`Tally`), as the engine holds each table's
view, so no table is read or joined again for them; a bucketed export's counts are added up bucket by bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from conform import personnummer
from conform.check.context import MissingInput, TableContext
from conform.check.views import HASH, key_hash
from conform.input.readers.source import ROW
from conform.model import Rule, SetResult, Status
from conform.profile import Profile
from conform.vocabulary import closest, profile_lexicon

GROUP_FIELD = "malgrupp"
OTHER_GROUP = "?"            # records whose target group is missing, unknown or cannot be followed to
# The fewest records with a value that can show whether a system registers several values of a [1..*] set.
MIN_RECORDS_FOR_CAPABILITY = 50
NONSTANDARD_LISTED = 25      # non-standard values listed per value set, the most frequent first
NO_CELL = "none"             # a target group with no records of an information set's tables


@dataclass
class _Plan:
    """What the figures take from one table's view: expressions over its columns, asked of its context."""

    group: pl.Expr | None = None      # the record's target group (a code or OTHER_GROUP), followed down the keys
    upward: tuple[pl.Expr, pl.Expr | None] | None = None  # a table above the holder: (its key, its link up)
    link: pl.Expr | None = None       # the holder's link to the table above it
    texts: dict[str, pl.Expr] = field(default_factory=dict)  # field -> its text, counted per distinct text
    # (set, parent table, record holds one of the set's fields, its link to the parent, the parent exists)
    children: list[tuple[str, str, pl.Expr, pl.Expr, pl.Expr | None]] = field(default_factory=list)
    empties: dict[str, pl.Expr] = field(default_factory=dict)   # information-set field -> its values
    persons: tuple[pl.Expr, pl.Expr] | None = None              # (person_id, juridiskt kön) of an aktualisering
    days: tuple[str, pl.Expr, pl.Expr] | None = None            # (the step, its first date, its second date)


class Tally:
    """The figures' counts, taken while the engine holds each table's view (:func:`conform.check.engine.evaluate`
    calls :meth:`observe`), from the columns they asked the tables' contexts for (:meth:`ask`): no table is read
    again for them. A bucketed export is tallied bucket by bucket, and everything a bucket cannot settle alone
    (a record above the target group's table, a child whose parent is missing, a person's groups, the medians)
    is kept as small parts and settled once, at the end (:meth:`figures`).

    A record below the table holding målgrupp takes the group of the record its key names, the first by row
    where a key is used twice, as every check's context does; a record above it (the person) takes every group
    it was aktualiserad in."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.codes = group_codes(profile)
        self.holder = next((t for t, s in profile.tables.items() if GROUP_FIELD in s.field_names), None)
        self.plans: dict[str, _Plan] = {}
        self.available: dict[str, set[str]] = {}
        self.records: list[pl.DataFrame] = []            # (table, group, records)
        self.found: list[pl.DataFrame] = []              # (table, row, group) of the records with findings
        self.above: dict[str, list[pl.DataFrame]] = {}   # table above the holder -> (row, key, up) of its records
        self.above_found: dict[str, list[pl.DataFrame]] = {}  # ... -> (row) of its records with findings
        self.links: list[pl.DataFrame] = []              # (key, group): the holder's links up, with its groups
        # (table, field) -> (value, records): records per distinct text of a value-set or list field. A list's
        # items are counted from these (a few thousand texts), not by splitting every record's.
        self.texts: dict[tuple[str, str], list[pl.DataFrame]] = {}
        self.children: dict[tuple[str, str], list[pl.DataFrame]] = {}  # (set, table) -> (records, most)
        self.orphans: dict[tuple[str, str], list[pl.DataFrame]] = {}   # (set, table) -> (parent, n), parent missing
        self.nulls: dict[str, list[pl.DataFrame]] = {}   # table -> (height, nulls per field)
        self.persons: list[pl.DataFrame] = []            # (person_id, group, sex)
        self.days: dict[str, list[pl.DataFrame]] = {}    # step -> (group, days, pairs)

    def has(self, table: str, *columns: str) -> bool:
        return table in self.available and all(c in self.available[table] for c in columns)

    # -- what each table's view must hold ------------------------------------------------------------------------
    def ask(self, contexts: dict[str, TableContext]) -> None:
        """Ask each table's context for the columns the figures need, where the export has them."""
        profile, holder = self.profile, self.holder
        above = profile.parent_chain(holder) if holder else []
        self.available = next(iter(contexts.values())).available if contexts else {}
        for table, ctx in contexts.items():
            spec = profile.tables[table]
            plan = self.plans[table] = _Plan()
            if holder and (table == holder or holder in profile.parent_chain(table)):
                raw = _asked(ctx.raw, f"{holder}.{GROUP_FIELD}")
                plan.group = None if raw is None else _in_groups(raw, self.codes)
            if table == holder and plan.group is not None and spec.foreign_key:
                plan.link = _asked(ctx.raw, spec.foreign_key[0])
            if table in above:
                key = _asked(ctx.raw, spec.primary_key)
                up = _asked(ctx.raw, spec.foreign_key[0]) if spec.foreign_key else None
                plan.upward = (key, up) if key is not None else None
            for f in spec.fields:
                raw = _asked(ctx.raw, f.name) if f.value_set or f.information_set else None
                if raw is None:
                    continue
                if f.value_set or f.is_list:
                    plan.texts[f.name] = raw
                if f.information_set:
                    plan.empties[f.name] = raw
            self._ask_several(ctx, plan)
            if table == "aktualisering" and plan.group is not None and self.has("person", "person_id"):
                pid = _asked(ctx.raw, "person_id")
                sex = _asked(ctx.raw, "person.juridiskt_kon")
                if pid is not None:
                    plan.persons = (pid, _in_groups(sex if sex is not None else pl.lit(None, pl.String),
                                                    profile.values("juridiskt_kon")))
            steps = {"beslut": ("decision", "aktualisering.datum_aktualisering", "datum_beslut"),
                     "insats": ("execution", "beslut.datum_beslut", "datum_verkstallande")}
            if table in steps and self.has("beslut", "beslut_id"):
                step, first, second = steps[table]
                dates = [_asked(ctx.date, first), _asked(ctx.date, second)]
                if all(d is not None for d in dates):
                    plan.days = (step, *dates)

    def _ask_several(self, ctx: TableContext, plan: _Plan) -> None:
        """Whether the system registers several values of a [1..*] set held by rows of a child table: records
        per parent (insats per beslut). A list field's items per record are counted from its texts."""
        profile, table = self.profile, ctx.table
        fk = profile.tables[table].foreign_key
        for s in profile.information_sets:
            if s.cardinality != "1..*":
                continue
            mine = [f for t, f in profile.fields_of_set(s.id) if t == table]
            holding = [plan.empties[f.name] for f in mine if not f.is_list and f.name in plan.empties]
            link = _asked(ctx.raw, fk[0]) if fk and holding else None
            if link is not None:
                exists = _asked(ctx.exists, fk[1])
                plan.children.append((s.id, fk[1], pl.any_horizontal(v.is_not_null() for v in holding), link,
                                      exists))

    # -- one table's view (of the export, or of one bucket of it) --------------------------------------------------
    def observe(self, table: str, view: pl.DataFrame, hits: pl.DataFrame) -> None:
        """Take a table's counts from its view; `hits`: the view's findings."""
        plan = self.plans[table]
        rows = hits.select(pl.col("row").cast(pl.Int64)).unique()
        lazy = view.lazy()
        if plan.upward is not None:
            key, up = plan.upward
            self.above.setdefault(table, []).append(view.select(
                row=pl.col(ROW).cast(pl.Int64), key=key, up=up if up is not None else pl.lit(None, pl.String)))
            self.above_found.setdefault(table, []).append(rows)
            member = None
        else:
            member = lazy.select(row=pl.col(ROW).cast(pl.Int64),
                                 group=plan.group if plan.group is not None else pl.lit(OTHER_GROUP))
        queries: list[tuple[Callable[[pl.DataFrame], None], pl.LazyFrame]] = []

        def query(keep: Callable[[pl.DataFrame], None], frame: pl.LazyFrame) -> None:
            queries.append((keep, frame))

        if member is not None:
            query(self.records.append, member.group_by("group").len("records")
                  .select(table=pl.lit(table), group="group", records="records"))
            query(self.found.append, member.join(rows.lazy(), on="row", how="semi")
                  .select(table=pl.lit(table), row="row", group="group"))
        # Where the holder's link up is the person-ID (an aktualisering names its person), one distinct
        # (person, group, juridiskt kön) serves both the groups of the persons and the persons per group and sex.
        persons_linked = (plan.persons is not None and plan.link is not None
                          and plan.link.meta.output_name() == plan.persons[0].meta.output_name())
        if plan.link is not None:
            query(self.links.append, lazy.select(key=plan.link, group=plan.group,
                                                 **({"sex": plan.persons[1]} if persons_linked else {}))
                  .filter(pl.col("key").is_not_null()).unique())
        for name, text in plan.texts.items():
            query(self.texts.setdefault((table, name), []).append,
                  lazy.select(value=text).filter(pl.col("value").is_not_null()).group_by("value").len("records"))
        for set_id, _, filled, link, exists in plan.children:
            holding = lazy.filter(filled)
            settled = holding.filter(exists) if exists is not None else holding.clear()
            query(self.children.setdefault((set_id, table), []).append,
                  settled.group_by(link).agg(n=pl.len()).select(records=pl.len(), most=pl.col("n").max()))
            query(self.orphans.setdefault((set_id, table), []).append,
                  (holding.filter(~exists) if exists is not None else holding)
                  .group_by(parent=link).agg(n=pl.len()))
        if plan.empties:
            query(self.nulls.setdefault(table, []).append,
                  lazy.select(pl.len().alias("height"),
                              *(v.null_count().alias(name) for name, v in plan.empties.items())))
        if plan.persons is not None and not persons_linked:
            pid, sex = plan.persons
            query(self.persons.append, lazy.select(person_id=pid, group=plan.group, sex=sex)
                  .filter(pl.col("person_id").is_not_null()).unique())
        if plan.days is not None:
            step, first, second = plan.days
            query(self.days.setdefault(step, []).append,
                  lazy.select(group=plan.group if plan.group is not None else pl.lit(OTHER_GROUP),
                              days=(second - first).dt.total_days())
                  .filter(pl.col("days").is_not_null() & (pl.col("days") >= 0)).group_by("group", "days")
                  .len("pairs"))
        for (keep, _), answer in zip(queries, pl.collect_all([q for _, q in queries])):
            keep(answer)

    # -- the figures, once every table is tallied ----------------------------------------------------------------
    def figures(self, rules: list[Rule], hits: pl.DataFrame, attributed: pl.LazyFrame,
                sets: list[SetResult]) -> Figures:
        """`hits`: every finding that counts; `attributed`: the same attributed to the sets they count against
        (conform.result.attribution.attribution), as the set verdicts were counted from."""
        membership = self._membership(hits)
        groups = self.codes + ([OTHER_GROUP] if membership.records.filter(pl.col("group") == OTHER_GROUP).height
                               else [])
        status = {s.id: s.status for s in sets}
        return Figures({
            "groups": groups,
            "matrix": _matrix(self.profile, attributed, sets, membership, groups),
            "capability": self._capability(status),
            "coverage": self._coverage(),
            "follow_up": {
                "persons": self._persons(),
                "days": self._days(),
                "open": _not_executed(rules, hits, membership.found),
            },
        }, membership.found)

    def _membership(self, hits: pl.DataFrame) -> Membership:
        """Records per (table, group), and the groups of the records with findings that count. The tables above
        the holder take the groups of the records that name them, level by level."""
        records, found = list(self.records), list(self.found)
        pairs = _union(self.links, {"key": pl.String, "group": pl.String})
        if "sex" in pairs.columns:  # a person's sex is the first row's: within one view, one per person
            pairs = pairs.drop("sex") if len(self.links) == 1 else pairs.select("key", "group").unique()
        for table in (self.profile.parent_chain(self.holder) if self.holder else []):
            if table not in self.above:
                break
            rows = pl.concat(self.above[table])
            grouped = _joined(rows, pairs, "key")
            member = grouped.select("row", pl.col("group").fill_null(OTHER_GROUP))
            records.append(member.group_by("group").len("records")
                           .select(table=pl.lit(table), group="group", records="records"))
            found.append(member.join(pl.concat(self.above_found[table]), on="row", how="semi")
                         .select(table=pl.lit(table), row="row", group="group"))
            pairs = (grouped.filter(pl.col("group").is_not_null() & pl.col("up").is_not_null())
                     .select(key="up", group="group").unique())
        schema = {"table": pl.String, "group": pl.String, "records": pl.UInt32}
        counted = (pl.concat(records).group_by("table", "group").agg(pl.col("records").sum()) if records
                   else pl.DataFrame(schema=schema))
        # Only the findings that count: a record whose every finding an accepted deviation took out has none.
        counting = (hits.filter(pl.col("row").is_not_null())
                    .select(pl.col("table").cast(pl.String), pl.col("row").cast(pl.Int64)).unique())
        groups = (pl.concat(found).join(counting, on=["table", "row"], how="semi") if found else
                  pl.DataFrame(schema={"table": pl.String, "row": pl.Int64, "group": pl.String}))
        return Membership(counted, groups)

    def _capability(self, status: dict[str, Status]) -> list[dict]:
        """What the export shows about what the system can register: several values where the standard allows
        them ([1..*]), fields that never hold a value, information sets missing altogether. Each item: its kind,
        the set, the figures it rests on and whether it is ok, a problem or cannot be told (too few records)."""
        profile = self.profile
        items: list = [{"kind": "missing", "status": "problem", "set": s.id} for s in profile.information_sets
                       if status.get(s.id) is Status.MISSING]
        for s in profile.information_sets:
            if s.cardinality != "1..*" or status.get(s.id) is Status.MISSING:
                continue
            # (table, records holding a value, the most values one of them holds): a list field's records with
            # at least one item; a child table's parents with at least one record holding the set.
            answers = []
            for table, f in profile.fields_of_set(s.id):
                if f.is_list and (table, f.name) in self.texts:
                    held = (self._texts(table, f.name)
                            .select("records", n=pl.col("value").str.split(profile.list_delimiter)
                                    .list.eval(pl.element().filter(pl.element() != "")).list.len())
                            .filter(pl.col("n") > 0))
                    answers.append((table, held["records"].sum(), held["n"].max()))
            for (set_id, table), parts in sorted(self.children.items()):
                if set_id != s.id:
                    continue
                settled = pl.concat(parts)
                orphans = pl.concat(self.orphans[(set_id, table)]).group_by("parent").agg(pl.col("n").sum())
                answers.append((profile.tables[table].foreign_key[1], settled["records"].sum() + orphans.height,
                                max(settled["most"].max() or 0, orphans["n"].max() or 0)))
            for table, records, most in answers:
                n, most = int(records or 0), int(most or 0)
                verdict = "unknown" if n < MIN_RECORDS_FOR_CAPABILITY else "problem" if most <= 1 else "ok"
                items.append({"kind": "several", "status": verdict, "set": s.id, "table": table, "records": n,
                              "most": most, "minimum": MIN_RECORDS_FOR_CAPABILITY})
        for table, spec in profile.tables.items():
            if table not in self.nulls:
                continue
            nulls = pl.concat(self.nulls[table]).sum()
            height = int(nulls["height"].item())
            for f in spec.fields:
                if f.name in nulls.columns and f.name != "height" and height and nulls[f.name].item() == height:
                    items.append({"kind": "empty", "status": "problem", "set": f.information_set, "table": table,
                                  "field": f.name, "records": height})
        return items

    def _coverage(self) -> list[dict]:
        """Per information set and value set: the standard values the export shows (with the records holding
        each), those it never shows, and the values it holds that are not in the standard (the most frequent
        listed, each with the closest standard value where one can be named, person-ID-shaped values masked)."""
        profile = self.profile
        entries: dict[tuple, list[tuple[str, str]]] = {}
        for table, spec in profile.tables.items():
            for f in spec.fields:
                if f.value_set:
                    key = (f.information_set or f.name, f.value_set, profile.field_value_column(f.name, f.value_set))
                    entries.setdefault(key, []).append((table, f.name))
        order = {s.id: s.order for s in profile.information_sets}
        out = []
        for (set_id, value_set, column), fields in sorted(entries.items(), key=lambda e: order.get(e[0][0], 99)):
            observed = self._observed(fields)
            frame = profile.value_set(value_set)
            standard = list(dict.fromkeys(v for v in frame[column].to_list() if v))
            counts = dict(zip(observed["value"].to_list(), observed["records"].to_list()))
            # The lexicon translates into the value set's own values (for målgrupp its codes), not other columns.
            known = profile_lexicon(profile).of(value_set) if column == profile.value_column(value_set) else {}
            outside = sorted(((v, n) for v, n in counts.items() if v not in set(standard)),
                             key=lambda vn: (-vn[1], vn[0]))
            nonstandard = []
            for value, n in outside[:NONSTANDARD_LISTED]:
                match, basis = closest(value, standard, known, profile.list_delimiter, codes=column == "kod")
                # A value outside the set may be anything a broken line shifted there, a person-ID included.
                nonstandard.append({"value": personnummer.mask_text(value), "records": n, "closest": match or None,
                                    "basis": basis or None})
            read = any(self.has(t, f) for t, f in fields)
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

    def _texts(self, table: str, name: str) -> pl.DataFrame:
        """(value, records): the records holding each distinct text of a field."""
        parts = self.texts[(table, name)]
        return parts[0] if len(parts) == 1 else pl.concat(parts).group_by("value").agg(pl.col("records").sum())

    def _observed(self, fields: list[tuple[str, str]]) -> pl.DataFrame:
        """(value, records): how many records hold each value, over the given fields, a list's items counted
        apiece (an item repeated within one record counts once)."""
        frames = []
        for table, name in fields:
            if (table, name) not in self.texts:
                continue
            texts = self._texts(table, name)
            if self.profile.tables[table].field(name).is_list:
                texts = (texts.with_columns(pl.col("value").str.split(self.profile.list_delimiter).list.unique())
                         .explode("value"))
            frames.append(texts.filter(pl.col("value").is_not_null() & (pl.col("value") != "")))
        if not frames:
            return pl.DataFrame(schema={"value": pl.String, "records": pl.UInt32})
        return pl.concat(frames).group_by("value").agg(pl.col("records").sum())

    def _persons(self) -> dict | None:
        """Persons per target group and juridiskt kön (a person in two groups counts in each), and persons in
        all; None where the export cannot tell. A person written twice counts by the first row (PID-011's
        finding)."""
        if self.plans.get("aktualisering") is None or self.plans["aktualisering"].persons is None:
            return None
        pairs = (_union(self.persons, {"person_id": pl.String, "group": pl.String, "sex": pl.String})
                 if self.persons or not self.links else
                 _union(self.links, {}).select(person_id="key", group="group", sex="sex"))
        return {"sexes": self.profile.values("juridiskt_kon"),
                "counts": pairs.group_by("group", "sex").len("persons").sort("group", "sex").to_dicts(),
                "persons": int(pairs["person_id"].n_unique())}

    def _days(self) -> dict | None:
        """Median days from aktualisering to beslut and from beslut to verkställande, per target group, with
        the number of pairs each rests on (the medians found from the counts of each number of days); None
        where the export cannot tell."""
        if self.plans.get("beslut") is None or self.plans["beslut"].days is None:
            return None
        out = {}
        for step in ("decision", "execution"):
            counted = (pl.concat(self.days[step]).group_by("group", "days").agg(pl.col("pairs").sum())
                       if self.days.get(step) else
                       pl.DataFrame(schema={"group": pl.String, "days": pl.Int64, "pairs": pl.UInt32}))
            cumulative = (counted.sort("group", "days")
                          .with_columns(below=pl.col("pairs").cum_sum().over("group"),
                                        n=pl.col("pairs").sum().over("group")))
            # The middle pair (an odd number), else the mean of the two middle ones.
            middle = cumulative.group_by("group").agg(
                low=pl.col("days").filter(pl.col("below") >= (pl.col("n") + 1) // 2).first(),
                high=pl.col("days").filter(pl.col("below") >= pl.col("n") // 2 + 1).first(),
                pairs=pl.col("n").first())
            out[step] = (middle.select("group", median=(pl.col("low") + pl.col("high")) / 2,
                                       pairs=pl.col("pairs").cast(pl.UInt32))
                         .sort("group").to_dicts())
        return out


def _joined(left: pl.DataFrame, right: pl.DataFrame, on: str) -> pl.DataFrame:
    """`left` with the rows of `right` whose `on` equals its own (a left join), matched as the engine matches a
    record to its parent: on the keys' 64-bit hashes, proven to have matched equal texts, else on the texts
    (conform.check.views.key_hash)."""
    matched = "__matched"
    hashed = (left.lazy().with_columns(key_hash(pl.col(on)).alias(HASH))
              .join(right.lazy().rename({on: matched}).with_columns(key_hash(pl.col(matched)).alias(HASH)), on=HASH,
                    how="left")
              .drop(HASH).collect())
    if hashed.select((pl.col(matched).is_null() | (pl.col(matched) == pl.col(on))).all()).item():
        return hashed.drop(matched)
    return left.join(right, on=on, how="left")


def _union(parts: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    """The distinct rows of parts each of which is distinct already (one per bucket)."""
    if len(parts) == 1:
        return parts[0]
    return pl.concat(parts).unique() if parts else pl.DataFrame(schema=schema)


def _asked(ask: Callable[..., pl.Expr], *args) -> pl.Expr | None:
    """A column of the view, or None where the export cannot give it."""
    try:
        return ask(*args)
    except MissingInput:
        return None


def _in_groups(value: pl.Expr, codes: list[str]) -> pl.Expr:
    """`value` where it is one of `codes`, else OTHER_GROUP (a missing value too)."""
    return pl.when(value.is_in(codes)).then(value).otherwise(pl.lit(OTHER_GROUP))


@dataclass
class Figures:
    """`document`: what the JSON result carries under `figures`; `record_groups`: (table, row, group) of every
    record with a finding, for the target groups of the listed findings."""

    document: dict
    record_groups: pl.DataFrame


def group_codes(profile: Profile) -> list[str]:
    frame = profile.value_set(GROUP_FIELD)
    column = profile.value_column(GROUP_FIELD)
    return [r[column] for r in frame.iter_rows(named=True) if r[column]]


@dataclass
class Membership:
    """Records per (table, group), and the groups of the records that have findings (table, row, group)."""

    records: pl.DataFrame
    found: pl.DataFrame

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


def _not_executed(rules: list[Rule], hits: pl.DataFrame, record_groups: pl.DataFrame) -> dict:
    """Decisions not executed in time (the rules of kind executed_within, mode open): records per target group
    and in all."""
    codes = [r.code for r in rules if r.kind == "executed_within" and getattr(r.params, "mode", "") == "open"]
    found = (hits.filter(pl.col("rule").cast(pl.String).is_in(codes) & pl.col("row").is_not_null())
             .select("table", "row").unique().with_columns(pl.col("table").cast(pl.String)))
    per_group = (found.join(record_groups, on=["table", "row"], how="left").fill_null(OTHER_GROUP)
                 .group_by("group").len("records").sort("group"))
    return {"rules": codes, "counts": per_group.to_dicts(), "records": found.height}
