from __future__ import annotations

import polars as pl

from conform.check.kinds.base import Params, RowCheck, RuleKind, text


class AgeForGroupParams(Params):
    min_column: str = "rimlig_alder_min"
    max_column: str = "rimlig_alder_max"
    absolute_max: int = 120


class AgeForGroup(RuleKind):
    """The person's age at aktualisering lies far outside what the target group serves (thresholds per group
    in the profile's malgrupp.csv: conform's own, not the spec's), or above any human age. Uses `alder`, or the
    age derived from the person-ID where the export has no `alder` column."""

    name = "age_for_group"
    on_table = "aktualisering"
    summary = "Age implausible for the target group"
    Params = AgeForGroupParams

    def table_checks(self, rule, ctx):
        p: AgeForGroupParams = rule.params
        age, group = ctx.age(), ctx.raw("malgrupp")
        groups = ctx.profile.value_set("malgrupp")
        low = group.replace_strict(dict(zip(groups["kod"], groups[p.min_column])), default=None).cast(pl.Int32)
        high = group.replace_strict(dict(zip(groups["kod"], groups[p.max_column])), default=None).cast(pl.Int32)
        outside = (age < low).fill_null(False) | (age > high).fill_null(False) | (age > p.absolute_max)
        bounds = pl.concat_str([group, pl.lit(": "), low.cast(pl.String).fill_null(""), pl.lit("–"),
                                high.cast(pl.String).fill_null("")])
        return [RowCheck(outside, "alder", text(age), bounds)]
