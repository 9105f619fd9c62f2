from __future__ import annotations

from typing import Literal

import polars as pl

from conform.check.kinds.base import Params, RowCheck, RuleKind, field_problems


class ConditionalParams(Params):
    table: str
    field: str
    when: str
    """The field whose presence decides."""
    mode: Literal["required", "forbidden"]
    """required: `field` must hold a value where `when` does; forbidden: `field` must be empty where `when` is."""


class Conditional(RuleKind):
    """Cardinality that depends on another field, e.g. orsak_avslut is required exactly when datum_avslut is set."""

    name = "conditional"
    summary = "Value required or forbidden depending on another field"
    Params = ConditionalParams

    def table_checks(self, rule, ctx):
        p: ConditionalParams = rule.params
        field, when = ctx.raw(p.field), ctx.raw(p.when)
        if p.mode == "required":
            return [RowCheck(when.is_not_null() & field.is_null(), p.field, pl.lit(None, pl.String), when)]
        return [RowCheck(when.is_null() & field.is_not_null(), p.field, field)]

    def validate(self, params, profile):
        return field_problems(profile, params.table, params.field, params.when)
