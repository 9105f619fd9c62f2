"""Which information sets a finding counts against, and the verdict per set that follows: the result stage's
one attribution, used by the set verdicts, accepted deviations and the figures alike."""

from __future__ import annotations

import polars as pl

from conform.model import SYSTEMATIC_SHARE, Rule, SetResult, Status, as_hits
from conform.profile import Profile


def field_sets(profile: Profile) -> dict[tuple[str, str], str | None]:
    """The information set of every field of the profile ((table, field) -> set id, None for keys and målgrupp)."""
    return {(t, f.name): f.information_set for t, spec in profile.tables.items() for f in spec.fields}


def set_results(profile: Profile, rules: list[Rule], attributed: pl.LazyFrame, records: dict[str, int],
                available: dict[str, set[str]], derivable: frozenset = frozenset()) -> list[SetResult]:
    """Verdict per information set (see :class:`conform.model.Status`): missing when the export holds none of its
    fields (and cannot derive them), else by the krav findings that count against it (see
    :func:`attribute_findings`): how many of its records they concern, and whether one concerns a whole column
    or file. `attributed`: every finding that counts, attributed (:func:`attribution` of the hits);
    `available`: the columns each table of the export holds; `derivable`: the (table, field) the engine computes
    where a table lacks them."""
    # Counted per set from every finding: records with findings by severity, krav records per rule, and whether
    # a krav finding concerns a whole file or column. Rows are distinct within a table, so records are counted
    # per table (integers, not pairs) and summed.
    by_severity, by_rule, whole = pl.collect_all([
        attributed.filter(pl.col("row").is_not_null()).group_by("set", "severity", "table")
        .agg(records=pl.col("row").n_unique()).group_by("set", "severity").agg(pl.col("records").sum()),
        attributed.filter(pl.col("severity") == "error").group_by("set", "rule", "table")
        .agg(records=pl.col("row").n_unique()).group_by("set", "rule").agg(pl.col("records").sum()),
        attributed.group_by("set", "severity").agg(rowless=pl.col("row").is_null().any(), findings=pl.len()),
    ])
    records_of = {(s, v): n for s, v, n in by_severity.select(pl.col("set", "severity").cast(pl.String), "records")
                  .rows()}
    found = {(s, v): (rowless, n) for s, v, rowless, n in whole.select(pl.col("set", "severity").cast(pl.String),
                                                                         "rowless", "findings").rows()}
    violated_by_set: dict[str, list[tuple[str, int]]] = {}
    for s, rule, n in by_rule.select(pl.col("set", "rule").cast(pl.String), "records").rows():
        violated_by_set.setdefault(s, []).append((rule, n))
    results = []
    for s in profile.information_sets:
        holders = profile.fields_of_set(s.id)
        tables = sorted({t for t, _ in holders})
        present = [(t, f) for t, f in holders if f.name in available.get(t, set())]
        covering = sorted(r.code for r in rules if s.id in r.information_sets)
        n = sum(records.get(t, 0) for t in tables)
        errors = records_of.get((s.id, "error"), 0)
        warnings = records_of.get((s.id, "warning"), 0)
        violated = [rule for rule, _ in sorted(violated_by_set.get(s.id, []), key=lambda r: (-r[1], r[0]))]
        column_failure, krav = found.get((s.id, "error"), (False, 0))
        derived = [(t, f) for t, f in holders if (t, f.name) in derivable and t in available]
        if not present and not derived:
            status = Status.MISSING
        elif column_failure or (n and errors >= SYSTEMATIC_SHARE * n):
            # A whole column or file of the set is missing or unreadable, or nearly every record fails.
            status = Status.UNSUPPORTED
        elif krav:
            status = Status.NONCONFORMANT
        elif found.get((s.id, "warning"), (False, 0))[1]:
            status = Status.WARNINGS
        else:
            status = Status.CONFORMANT
        results.append(SetResult(s.id, s.name, status, n, errors, warnings, covering, violated, column_failure))
    return results


def attribute_findings(findings: pl.DataFrame, by_code: dict[str, Rule], field_sets: dict) -> pl.DataFrame:
    """One row per (finding, information set) it counts against (rule, table, row, field, severity, set; the
    texts as categories), for listed findings or hits alike: a finding concerns the sets its rule covers, and of
    those only the ones its own record can hold.

    - A finding on a field of an information set counts against that set where the rule covers it; where the
      rule does not, against the rule's sets that the field's table holds.
    - A finding about a whole file or record (no field) counts against the rule's sets that its table holds.
    - A finding on a field of no set (målgrupp, a key, a column the standard does not know) counts against none.

    So a set's records with findings are always records of the tables that hold it: never more than its records.
    """
    return attribution(findings, by_code, field_sets).collect()


def attribution(findings: pl.DataFrame, by_code: dict[str, Rule], field_sets: dict) -> pl.LazyFrame:
    """:func:`attribute_findings` as a query: which sets a finding counts against depends on its rule, table
    and field only, so those few combinations are attributed and the findings joined to them."""
    cat = pl.Categorical()
    rule_sets = pl.DataFrame(
        [{"rule": c, "set": s, "severity": r.severity.value} for c, r in by_code.items() for s in r.information_sets],
        schema={"rule": cat, "set": cat, "severity": cat},
    )
    field_set = pl.DataFrame(
        [{"table": t, "field": f, "field_set": s} for (t, f), s in field_sets.items() if s],
        schema={"table": cat, "field": cat, "field_set": cat},
    )
    table_sets = field_set.select("table", pl.col("field_set").alias("set")).unique()
    # Compact (as hits) whether listed findings or hits come in: the joins run on categories, not texts.
    compact = as_hits(findings)
    combos = (compact.select("rule", "table", "field").unique()
              .join(field_set, on=["table", "field"], how="left")
              .join(rule_sets.select("rule", pl.col("set").alias("field_set"), covered=pl.lit(True)),
                    on=["rule", "field_set"], how="left"))
    own_set = combos.filter(pl.col("covered")).select("rule", "table", "field", pl.col("field_set").alias("set"))
    by_table = (combos.filter(pl.col("field").is_null()
                              | (pl.col("field_set").is_not_null() & pl.col("covered").is_null()))
                .select("rule", "table", "field").join(table_sets, on="table"))
    sets = pl.concat([own_set, by_table]).join(rule_sets, on=["rule", "set"], how="inner")
    return (compact.lazy().join(sets.lazy(), on=["rule", "table", "field"], how="inner", nulls_equal=True)
            .select("rule", "table", "row", "field", "severity", "set"))
