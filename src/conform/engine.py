"""Runs compiled rules over an export with Polars: one lazy query per table, all of its checks at once.

For each table the engine asks every rule kind for its row checks (vectorised boolean expressions), builds one
view of the table with exactly the columns those checks need (the record's own, its ancestors' joined along
the foreign keys, aggregates of its children, the parsed person-ID), and evaluates every check in a single
pass that keeps only violating records. Every rule runs on every record; every violation is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from conform import personnummer, values
from conform.context import (DEATH_DATE, EXISTS, PERSON_ID, ROW, MissingInput, TableContext, child_max_name,
                             col_name)
from conform.kinds import KINDS, RowCheck
from conform.model import FINDING_COLUMNS, Rule, empty_findings
from conform.profile import Profile
from conform.sources import Export

HITS = "__hits"
Progress = Callable[[str, int, int], None]


@dataclass
class EngineRun:
    findings: pl.DataFrame
    not_evaluated: dict[str, set[str]] = field(default_factory=dict)  # rule code -> tables it could not run on


class Views:
    """Builds the per-table views the checks run on.

    Ancestor columns are gathered once per run: each ancestor's context (its own needed columns joined with its
    parent's context) is materialised top-down, so a table's view is one join to its direct parent's context
    rather than a chain of joins repeated for every table.
    """

    def __init__(self, profile: Profile, export: Export, death_reason: str | None,
                 contexts: dict[str, TableContext]):
        self.profile = profile
        self.export = export
        self.death_reason = death_reason
        self.contexts = contexts
        self._ancestors: dict[str, pl.LazyFrame] = {}

    def frame(self, table: str, columns: set[str]) -> pl.LazyFrame:
        """A table's own columns (raw text) and derived columns, renamed ``table.column``."""
        spec = self.profile.tables[table]
        raw = {spec.primary_key} | {c for c in columns if not c.startswith("__")}
        if spec.foreign_key:
            raw.add(spec.foreign_key[0])
        raw &= set(self.export.tables[table].header)
        exprs = [pl.col(ROW)] + [pl.col(c).alias(col_name(table, c)) for c in sorted(raw)]
        if PERSON_ID in columns:
            exprs.append(personnummer.parse(pl.col("person_id")).alias(col_name(table, PERSON_ID)))
        if EXISTS in columns:
            exprs.append(pl.lit(True).alias(col_name(table, EXISTS)))
        lf = self.export.tables[table].frame.select(exprs)
        if DEATH_DATE in columns:
            lf = lf.join(self.death_dates(), left_on=col_name(table, "person_id"), right_on="__person",
                         how="left")
        return lf

    def _needed_above(self, table: str) -> dict[str, set[str]]:
        """Columns of `table` and its ancestors that any table below it (or it) asks for."""
        wanted: dict[str, set[str]] = {}
        for ctx in self.contexts.values():
            chain = [ctx.table, *self.profile.parent_chain(ctx.table)]
            if table in chain:
                for t in chain[chain.index(table):]:
                    wanted.setdefault(t, set()).update(ctx.needs.get(t, set()))
        return wanted

    def ancestor(self, table: str) -> pl.LazyFrame | None:
        """The context of `table` as an ancestor: its needed columns and its own ancestors', one row per key.

        Deduplicated on the key first (keeping the first row), so a duplicate parent key, which is a finding of
        its own, never multiplies a child's records. Materialised once and reused by every table below.
        """
        if table in self._ancestors:
            return self._ancestors[table]
        wanted = self._needed_above(table)
        if not any(wanted.values()):
            return None
        spec = self.profile.tables[table]
        lf = self.frame(table, wanted.get(table, set())).drop(ROW)
        lf = lf.unique(subset=[col_name(table, spec.primary_key)], keep="first", maintain_order=False)
        if spec.foreign_key:
            upper = self.ancestor(spec.foreign_key[1])
            if upper is not None:
                lf = self._join_parent(lf, table, upper)
        self._ancestors[table] = lf.collect().lazy()
        return self._ancestors[table]

    def _join_parent(self, lf: pl.LazyFrame, table: str, parent_frame: pl.LazyFrame) -> pl.LazyFrame:
        fk, parent = self.profile.tables[table].foreign_key
        parent_key = col_name(parent, self.profile.tables[parent].primary_key)
        return lf.join(parent_frame, left_on=col_name(table, fk), right_on=parent_key, how="left", coalesce=False)

    def death_dates(self) -> pl.LazyFrame:
        """Per person-ID, the earliest datum_avslut of an insats closed for the death reason."""
        insats = self.export.tables["insats"].frame.select("beslut_id", "orsak_avslut", "datum_avslut")
        beslut = self.export.tables["beslut"].frame.select("beslut_id", "aktualisering_id") \
            .unique("beslut_id", keep="first")
        aktualisering = self.export.tables["aktualisering"].frame.select("aktualisering_id", "person_id") \
            .unique("aktualisering_id", keep="first")
        reasons = values.split_list(pl.col("orsak_avslut"), self.profile.list_delimiter)
        return (insats.filter(reasons.list.contains(self.death_reason).fill_null(False))
                .join(beslut, on="beslut_id", how="inner")
                .join(aktualisering, on="aktualisering_id", how="inner")
                .group_by(pl.col("person_id").alias("__person"))
                .agg(values.parse_date(pl.col("datum_avslut")).min().alias(col_name("person", DEATH_DATE))))

    def child_max(self, child: str, column: str) -> pl.LazyFrame:
        fk, _ = self.profile.tables[child].foreign_key
        return (self.export.tables[child].frame
                .group_by(pl.col(fk).alias("__parent"))
                .agg(values.parse_date(pl.col(column)).max().alias(child_max_name(child, column))))

    def view(self, ctx: TableContext) -> pl.LazyFrame:
        lf = self.frame(ctx.table, ctx.needs.get(ctx.table, set()))
        if ctx.spec.foreign_key and any(ctx.needs.get(p) for p in self.profile.parent_chain(ctx.table)):
            lf = self._join_parent(lf, ctx.table, self.ancestor(ctx.spec.foreign_key[1]))
        key = col_name(ctx.table, ctx.spec.primary_key)
        for child, column in sorted(ctx.child_needs):
            lf = lf.join(self.child_max(child, column), left_on=key, right_on="__parent", how="left")
        return lf.with_columns(ctx.typed.values()) if ctx.typed else lf


def _death_reason(rules: list[Rule]) -> str | None:
    for rule in rules:
        reason = getattr(rule.params, "death_reason", None)
        if reason:
            return reason
    return None


def run(profile: Profile, rules: list[Rule], export: Export, as_of: date,
        progress: Progress | None = None) -> EngineRun:
    available = export.available()
    result = EngineRun(empty_findings())
    tables = [t for t in profile.tables if t in available]
    contexts: dict[str, TableContext] = {}
    compiled: dict[str, list[tuple[Rule, RowCheck]]] = {}
    for table in tables:
        ctx = contexts[table] = TableContext(profile, table, as_of, available)
        compiled[table] = []
        for rule in rules:
            try:
                compiled[table] += [(rule, c) for c in KINDS[rule.kind].checks(rule, ctx)]
            except MissingInput:
                result.not_evaluated.setdefault(rule.code, set()).add(table)
    views = Views(profile, export, _death_reason(rules), contexts)
    parts = []
    for done, table in enumerate(tables):
        if progress:
            progress(table, done, len(tables))
        if compiled[table]:
            parts.append(_evaluate(table, contexts[table], views.view(contexts[table]), compiled[table]))
    if progress:
        progress("done", len(tables), len(tables))
    if parts:
        result.findings = pl.concat(parts, how="vertical")
    return result


def _evaluate(table: str, ctx: TableContext, view: pl.LazyFrame,
              checks: list[tuple[Rule, RowCheck]]) -> pl.DataFrame:
    hits = pl.concat_list([pl.when(c.mask).then(pl.lit(i, pl.UInt16)) for i, (_, c) in enumerate(checks)])
    violating = (view.with_columns(hits.list.drop_nulls().alias(HITS))
                 .filter(pl.col(HITS).list.len() > 0)
                 .collect(engine="streaming"))
    if violating.is_empty():
        return empty_findings()
    key = pl.col(col_name(table, ctx.spec.primary_key)) if ctx.spec.primary_key in ctx.available[table] \
        else pl.lit(None, pl.String)
    parts = []
    for i, (rule, check) in enumerate(checks):
        part = violating.filter(pl.col(HITS).list.contains(i))
        if part.is_empty():
            continue
        parts.append(part.select(
            rule=pl.lit(rule.code), table=pl.lit(table), row=pl.col(ROW).cast(pl.Int64), key=key,
            field=pl.lit(check.field, pl.String), value=check.value.cast(pl.String),
            other=(check.other if check.other is not None else pl.lit(None)).cast(pl.String),
        ))
    return pl.concat(parts, how="vertical").select(list(FINDING_COLUMNS)) if parts else empty_findings()
