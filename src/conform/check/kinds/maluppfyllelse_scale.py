from __future__ import annotations

import polars as pl

from conform.check.kinds.base import GROUP_SEP, Params, RowCheck, RuleKind, field_problems


class ScaleParams(Params):
    table: str
    field: str
    value_set: str = "maluppfyllelse"
    scale_column: str = "scale"
    group_scale_column: str = "maluppfyllelse_skala"


class MaluppfyllelseScale(RuleKind):
    """A Måluppfyllelse value from the other scale than the target group's: BBIC for individ- och
    familjeomsorg, IBIC for vård och omsorg (which scale a group uses is `malgrupp.csv`'s
    maluppfyllelse_skala). Values on neither scale are the value-set rule's finding."""

    name = "maluppfyllelse_scale"
    summary = "Måluppfyllelse on the wrong scale for the target group"
    Params = ScaleParams

    def table_checks(self, rule, ctx):
        p: ScaleParams = rule.params
        scales = ctx.profile.value_set(p.value_set)
        groups = ctx.profile.value_set("malgrupp")
        value = ctx.raw(p.field)
        group = ctx.raw("aktualisering.malgrupp")
        value_column = ctx.profile.value_column(p.value_set)
        scale_of_value = dict(zip(scales[value_column], scales[p.scale_column]))
        scale_of_group = dict(zip(groups["kod"], groups[p.group_scale_column]))
        # The (group, value) pairs on the wrong scale, so that the check is one membership test; the expected
        # scale is looked up only for the records that fail it.
        wrong = [f"{g}{GROUP_SEP}{v}" for g, expected in scale_of_group.items() if expected
                 for v, scale in scale_of_value.items() if scale and scale != expected]
        expected = group.replace_strict(scale_of_group, default=None)
        return [RowCheck(pl.concat_str([group, pl.lit(GROUP_SEP), value]).is_in(wrong), p.field, value, expected)]

    def validate(self, params, profile):
        return field_problems(profile, params.table, params.field)
