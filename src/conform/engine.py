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
    """Builds the per-table views the checks run on."""

    def __init__(self, profile: Profile, export: Export, death_reason: str | None):
        self.profile = profile
        self.export = export
        self.death_reason = death_reason

    def frame(self, table: str, columns: set[str]) -> pl.LazyFrame:
        """A table's own columns (raw text) and derived columns, renamed ``table.column``."""
        spec = self.profile.tables[table]
        raw = {spec.primary_key} | {c for c in columns if not c.startswith("__")}
        if spec.foreign_key:
            raw.add(spec.foreign_key[0])
        raw &= set(self.export.tables[table].header)
        lf = self.export.tables[table].frame
        exprs = [pl.col(ROW)] + [pl.col(c).alias(col_name(table, c)) for c in sorted(raw)]
        if PERSON_ID in columns:
            exprs.append(personnummer.parse(pl.col("person_id")).alias(col_name(table, PERSON_ID)))
        if EXISTS in columns:
            exprs.append(pl.lit(True).alias(col_name(table, EXISTS)))
        lf = lf.select(exprs)
        if DEATH_DATE in columns:
            lf = lf.join(self.death_dates(), left_on=col_name(table, "person_id"), right_on="__person",
                         how="left")
        return lf

    def lineage(self, table: str, needs: dict[str, set[str]]) -> pl.LazyFrame:
        """`table`'s frame with the needed columns of its ancestors joined along the foreign keys.

        Ancestors are deduplicated on their key first (keeping the first row), so a duplicate parent key, which
        is a finding of its own, never multiplies the child's records.
        """
        chain = self.profile.parent_chain(table)
        wanted = [i for i, p in enumerate(chain) if needs.get(p)]
        upper = None
        for parent in reversed(chain[: wanted[-1] + 1] if wanted else []):
            spec = self.profile.tables[parent]
            lf = self.frame(parent, needs.get(parent, set())).drop(ROW)
            lf = lf.unique(subset=[col_name(parent, spec.primary_key)], keep="first", maintain_order=False)
            if upper is not None:
                lf = self._join_parent(lf, parent, upper)
            upper = lf
        base = self.frame(table, needs.get(table, set()))
        return self._join_parent(base, table, upper) if upper is not None else base

    def _join_parent(self, lf: pl.LazyFrame, table: str, parent_frame: pl.LazyFrame) -> pl.LazyFrame:
        fk, parent = self.profile.tables[table].foreign_key
        parent_key = col_name(parent, self.profile.tables[parent].primary_key)
        return lf.join(parent_frame, left_on=col_name(table, fk), right_on=parent_key, how="left", coalesce=False)

    def death_dates(self) -> pl.LazyFrame:
        """Per person-ID, the earliest datum_avslut of an insats closed for the death reason."""
        lf = self.lineage("insats", {"insats": {"orsak_avslut", "datum_avslut"}, "aktualisering": {"person_id"}})
        reasons = values.split_list(pl.col("insats.orsak_avslut"), self.profile.list_delimiter)
        return (lf.filter(reasons.list.contains(self.death_reason).fill_null(False))
                .group_by(pl.col("aktualisering.person_id").alias("__person"))
                .agg(values.parse_date(pl.col("insats.datum_avslut")).min().alias(col_name("person", DEATH_DATE))))

    def child_max(self, table: str, child: str, column: str) -> pl.LazyFrame:
        fk, _ = self.profile.tables[child].foreign_key
        return (self.export.tables[child].frame
                .group_by(pl.col(fk).alias("__parent"))
                .agg(values.parse_date(pl.col(column)).max().alias(child_max_name(child, column))))

    def view(self, ctx: TableContext) -> pl.LazyFrame:
        lf = self.lineage(ctx.table, ctx.needs)
        key = col_name(ctx.table, ctx.spec.primary_key)
        for child, column in sorted(ctx.child_needs):
            lf = lf.join(self.child_max(ctx.table, child, column), left_on=key, right_on="__parent", how="left")
        return lf


def _death_reason(rules: list[Rule]) -> str | None:
    for rule in rules:
        reason = getattr(rule.params, "death_reason", None)
        if reason:
            return reason
    return None


def run(profile: Profile, rules: list[Rule], export: Export, as_of: date,
        progress: Progress | None = None) -> EngineRun:
    available = export.available()
    views = Views(profile, export, _death_reason(rules))
    result = EngineRun(empty_findings())
    parts = []
    tables = [t for t in profile.tables if t in available]
    for done, table in enumerate(tables):
        if progress:
            progress(table, done, len(tables))
        ctx = TableContext(profile, table, as_of, available)
        checks: list[tuple[Rule, RowCheck]] = []
        for rule in rules:
            try:
                checks += [(rule, c) for c in KINDS[rule.kind].checks(rule, ctx)]
            except MissingInput:
                result.not_evaluated.setdefault(rule.code, set()).add(table)
        if checks:
            parts.append(_evaluate(table, ctx, views.view(ctx), checks))
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
