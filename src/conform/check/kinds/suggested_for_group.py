from __future__ import annotations

import polars as pl

from conform.check.kinds.allowed_values import allowed_values
from conform.check.kinds.base import GROUP_SEP, Params, RowCheck, RuleKind, field_problems


class SuggestedForGroupParams(Params):
    table: str
    field: str
    value_set: str
    """A matrix value set: one row per value, one column per target group (malgrupp code) holding X."""


class SuggestedForGroup(RuleKind):
    """A value of the set that the spec's matrix does not suggest for the case's target group (malgrupp).

    The spec calls the columns "ett förslag på vilka värdemängder som bör vara valbara per målgrupp", so this is
    a recommendation; values outside the whole set and unknown target groups are other rules' findings.
    """

    name = "suggested_for_group"
    summary = "Value not suggested for the target group"
    Params = SuggestedForGroupParams

    def table_checks(self, rule, ctx):
        p: SuggestedForGroupParams = rule.params
        matrix = ctx.profile.value_set(p.value_set)
        value_col = ctx.profile.value_column(p.value_set)
        every_value = allowed_values(ctx.profile, p.value_set)
        # Values of the set the matrix leaves unmarked for a group, as "group␟value" pairs: each item is tagged
        # with its row's group, so one membership test replaces a filter per group.
        groups = [g for g in ctx.profile.values("malgrupp") if g in matrix.columns]
        suggested = {g: set(matrix.filter(pl.col(g) == "X")[value_col].to_list()) for g in groups}
        unsuggested = [f"{g}{GROUP_SEP}{v}" for g in groups for v in every_value if v not in suggested[g]]
        group, raw = ctx.raw("aktualisering.malgrupp"), ctx.raw(p.field)
        delimiter = ctx.profile.list_delimiter if ctx.spec.field(p.field).is_list else None
        # A record without a target group (its parent missing) is not judged: its tag matches no pair.
        tag = pl.concat_str([group.fill_null(""), pl.lit(GROUP_SEP)])
        tagged = tag + (raw.str.replace_all(delimiter, pl.lit(delimiter) + tag, literal=True) if delimiter else raw)
        items = tagged.str.split(delimiter) if delimiter else pl.concat_list([tagged])
        bad = items.list.eval(pl.element().filter(pl.element().is_in(unsuggested)).str.split(GROUP_SEP).list.last())
        mask = bad.list.len() > 0
        practice = ctx.practice
        if ctx.spec.field(p.field).information_set in practice.ibic_sets:
            # A target group declared to use IBIC registers the set by IBIC: the standard's list is not its own.
            mask = mask & ~group.is_in(list(practice.ibic_groups)).fill_null(False)
        return [RowCheck(mask, p.field, bad.list.join(delimiter or ", "), group)]

    def validate(self, params, profile):
        problems = field_problems(profile, params.table, params.field)
        missing = [g for g in profile.values("malgrupp") if g not in profile.value_set(params.value_set).columns]
        return problems + [f"value set {params.value_set!r} has no column for target group {g!r}" for g in missing]
