from __future__ import annotations

import polars as pl

from conform.kinds.allowed_values import allowed_values
from conform.kinds.base import Params, RowCheck, RuleKind, field_problems


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

    def checks(self, rule, ctx):
        p: SuggestedForGroupParams = rule.params
        if p.table != ctx.table:
            return []
        matrix = ctx.profile.value_set(p.value_set)
        value_col = ctx.profile.value_column(p.value_set)
        every_value = allowed_values(ctx.profile, p.value_set)
        group = ctx.raw("aktualisering.malgrupp")
        field = ctx.spec.field(p.field)
        items = ctx.items(p.field) if field.is_list else pl.concat_list([ctx.raw(p.field)]).list.drop_nulls()
        # list.eval cannot see the row's group, so branch per group: one filter per target group.
        unsuggested = pl.lit(None, pl.List(pl.String))
        for g in ctx.profile.values("malgrupp"):
            suggested = matrix.filter(pl.col(g) == "X")[value_col].to_list() if g in matrix.columns else []
            wrong = items.list.eval(pl.element().filter(pl.element().is_in(every_value)
                                                        & ~pl.element().is_in(suggested)))
            unsuggested = pl.when(group == g).then(wrong).otherwise(unsuggested)
        return [RowCheck(unsuggested.list.len() > 0, p.field,
                         unsuggested.list.join(ctx.profile.list_delimiter), group)]

    def validate(self, params, profile):
        problems = field_problems(profile, params.table, params.field)
        missing = [g for g in profile.values("malgrupp") if g not in profile.value_set(params.value_set).columns]
        return problems + [f"value set {params.value_set!r} has no column for target group {g!r}" for g in missing]
