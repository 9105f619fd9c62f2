"""Runs compiled rules over an export with Polars: one view per table, all of its checks in one pass.

For each table the engine asks every rule kind for its row checks (vectorised boolean expressions), builds one
view of the table with exactly the columns those checks need (the record's own, its parent's context joined
along the foreign key, aggregates of its children, the parsed person-ID), and evaluates every check over it,
keeping only violating records. Tables go top-down so that each parent's context is cut once from its own view.
Every rule runs on every record; every violation is counted (as a compact hit: rule, table, row, field), and
the first `listed` of each check are kept in full (key, value, compared value) for the lists.

A large export is checked in buckets of whole persons (:mod:`conform.input.partition`), one bucket at a time. What a
record needs from outside its bucket (the first row of a key used twice, the latest follow-up of an insats, the
date of the person's death) is then computed once over the whole export (:class:`Shared`) and looked up.
The views themselves, and those lookups, are built by :mod:`conform.check.views`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from conform.check.context import DEATH_DATE, MissingInput, TableContext, col_name
from conform.check.kinds import KINDS, RowCheck
from conform.check.views import Shared, Views, child_max, death_dates, first_rows
from conform.input.readers.source import ROW
from conform.input.requirements import LocalPractice
from conform.input.sources import Export
from conform.model import FINDING_COLUMNS, HIT_COLUMNS, MAX_LISTED, Rule, empty_findings, empty_hits
from conform.profile import Profile

MASK = "__mask"
Progress = Callable[[str, int, int], None]  # (table about to be checked, tables done, tables in all)
# Called with each table's view and its findings (as hits) while the engine holds the view: what a caller
# counts of the records besides the findings (conform.result.figures.Tally) is counted without reading again.
Observer = Callable[[str, pl.DataFrame, pl.DataFrame], None]


@dataclass
class Compiled:
    """The rules as row checks per table, for an export with the given columns."""

    tables: list[str]  # top-down along the foreign keys: a table's view needs its parent's context
    contexts: dict[str, TableContext]
    checks: dict[str, list[tuple[Rule, RowCheck]]]
    death_reason: str | None
    duplicate_rules: set[str]  # codes of the rules that find duplicate keys
    not_evaluated: dict[str, set[str]] = field(default_factory=dict)  # rule code -> tables it could not run on


def _death_reason(rules: list[Rule]) -> str | None:
    for rule in rules:
        reason = getattr(rule.params, "death_reason", None)
        if reason:
            return reason
    return None


def compile_rules(profile: Profile, rules: list[Rule], available: dict[str, set[str]], as_of: date,
                  practice: LocalPractice | None = None) -> Compiled:
    """Every rule as row checks for each table the export has, as the declared local `practice` says; a rule
    needing a missing table or column is recorded as not evaluated there."""
    tables = sorted((t for t in profile.tables if t in available), key=lambda t: len(profile.parent_chain(t)))
    compiled = Compiled(tables, {}, {}, _death_reason(rules),
                        {r.code for r in rules if r.kind == "keys" and r.params.check == "unique"})
    for table in tables:
        ctx = compiled.contexts[table] = TableContext(profile, table, as_of, available, practice)
        compiled.checks[table] = []
        for rule in rules:
            try:
                compiled.checks[table] += [(rule, c) for c in KINDS[rule.kind].checks(rule, ctx)]
            except MissingInput:
                compiled.not_evaluated.setdefault(rule.code, set()).add(table)
    for table in (t for t in profile.tables if t not in available):
        # A rule on a table the export lacks did not run there: it is not evaluated, never "no findings" (a
        # release that lost a table must not show the table's rules as fixed). Asked as if the table were
        # there with every field of the profile.
        whole = available | {table: set(profile.tables[table].field_names)}
        ctx = TableContext(profile, table, as_of, whole, practice)
        for rule in rules:
            try:
                runs_here = bool(KINDS[rule.kind].checks(rule, ctx))
            except MissingInput:
                runs_here = False  # it needs another table the export lacks as well: not named here
            if runs_here:
                compiled.not_evaluated.setdefault(rule.code, set()).add(table)
    return compiled


def shared_lookups(profile: Profile, compiled: Compiled, export: Export) -> Shared:
    """The lookups a bucket's checks need from the whole export (see :class:`Shared`): the repeated keys first,
    then the latest child dates of those keys and the dates of death together."""
    contexts = compiled.contexts.values()
    first = [c.table for c in contexts if c.first_row_needed]
    child = sorted({need for c in contexts for need in c.child_needs})
    deaths = any(DEATH_DATE in c.needs.get("person", set()) for c in contexts) and compiled.death_reason

    def read(table: str) -> pl.LazyFrame:
        return export.tables[table].frame

    repeated = dict(zip(first, pl.collect_all([first_rows(export, profile, t) for t in first])))
    for parent in {profile.tables[c].foreign_key[1] for c, _ in child} - set(repeated):
        repeated[parent] = first_rows(export, profile, parent).collect()
    maxima = [child_max(read, profile, c, column)
              .join(repeated[profile.tables[c].foreign_key[1]].lazy(), left_on="__parent", right_on="__key",
                    how="semi")
              for c, column in child]
    frames = pl.collect_all(maxima + ([death_dates(read, profile, compiled.death_reason)] if deaths else []))
    return Shared({t: repeated[t] for t in first}, dict(zip(child, frames)), frames[-1] if deaths else None)


def evaluate(profile: Profile, compiled: Compiled, export: Export, shared: Shared | None = None,
             progress: Progress | None = None, listed: int = MAX_LISTED, observe: Observer | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the first `listed` findings of each check by row, in full; every finding as a hit) of the compiled
    checks over an export (or one bucket of it, with the whole export's `shared` lookups); `observe` is shown
    each table's view."""
    views = Views(profile, export, compiled.death_reason, compiled.contexts, shared)
    found, hits = [], []
    for done, table in enumerate(compiled.tables):
        if progress:
            progress(table, done, len(compiled.tables))
        ctx, checks = compiled.contexts[table], compiled.checks[table]
        view = views.view(ctx)
        listed_here, hits_here = _evaluate(table, ctx, view, checks, listed) if checks else (empty_findings(),
                                                                                          empty_hits())
        found.append(listed_here)
        hits.append(hits_here)
        if observe:
            observe(table, view, hits_here)
        # Without a uniqueness rule nothing says whether keys repeat, so deduplicate to be safe.
        duplicates = (not compiled.duplicate_rules
                      or hits_here.filter(pl.col("rule").is_in(sorted(compiled.duplicate_rules))).height > 0)
        views.keep_context(table, view, duplicates)
        del view  # before the next view is built, so two are never held at once
    return (pl.concat(found, how="vertical") if found else empty_findings(),
            pl.concat(hits, how="vertical") if hits else empty_hits())


def _evaluate(table: str, ctx: TableContext, view: pl.DataFrame, checks: list[tuple[Rule, RowCheck]],
              listed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All checks of a table in one pass: each mask becomes a boolean column over the whole view (so window
    expressions see every record), only records that fail any of them are kept, and the findings are cut from
    that small frame per check: every one as a hit, the first `listed` by row in full."""
    masks = [c.mask.fill_null(False).alias(f"{MASK}{i}") for i, (_, c) in enumerate(checks)]
    violating = (view.lazy().with_columns(masks)
                 .filter(pl.any_horizontal(pl.col(f"{MASK}{i}") for i in range(len(checks))))
                 .collect())
    if violating.is_empty():
        return empty_findings(), empty_hits()
    key = pl.col(col_name(table, ctx.spec.primary_key)) if ctx.spec.primary_key in ctx.available[table] \
        else pl.lit(None, pl.String)
    found, hits = [], []
    for i, (rule, check) in enumerate(checks):
        part = violating.filter(pl.col(f"{MASK}{i}"))
        if check.narrow is not None and not part.is_empty():
            part = part.filter(check.narrow.fill_null(False))
        if part.is_empty():
            continue
        hits.append(part.select(
            rule=pl.lit(rule.code, HIT_COLUMNS["rule"]), table=pl.lit(table, HIT_COLUMNS["table"]),
            row=pl.col(ROW).cast(pl.Int64), field=pl.lit(check.field, HIT_COLUMNS["field"])))
        if part.height > listed:  # the values are worded for the listed findings only
            part = part.bottom_k(listed, by=ROW)
        # One chunk: Polars 2.1 evaluates a list.eval over a frame of several chunks in parallel and can fail an
        # internal length assertion there (a panic, about one check in fifteen of a small bucketed export).
        part = part.rechunk()
        found.append(part.select(
            rule=pl.lit(rule.code), table=pl.lit(table), row=pl.col(ROW).cast(pl.Int64), key=key,
            field=pl.lit(check.field, pl.String), value=check.value.cast(pl.String),
            other=(check.other if check.other is not None else pl.lit(None)).cast(pl.String),
        ))
    if not found:
        return empty_findings(), empty_hits()
    return pl.concat(found, how="vertical").select(list(FINDING_COLUMNS)), pl.concat(hits, how="vertical")
