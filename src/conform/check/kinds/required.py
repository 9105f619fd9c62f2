from __future__ import annotations

import polars as pl

from conform.check.kinds.base import Params, RowCheck, RuleKind, field_problems


class RequiredParams(Params):
    table: str
    fields: list[str]
    """The rule fails where every one of these fields is empty (one field: it is required; several: at least
    one of them must hold a value, as an insats row may give the code, the name, or both)."""


class Required(RuleKind):
    """A value must be present: the lower bound of cardinality [1] and [1..*]."""

    name = "required"
    summary = "Required value is missing"
    Params = RequiredParams

    def table_checks(self, rule, ctx):
        p: RequiredParams = rule.params
        cols = [ctx.raw(f) for f in p.fields]
        empty = pl.all_horizontal([c.is_null() | (c.str.strip_chars() == "") for c in cols])
        return [RowCheck(empty, p.fields[0], pl.lit(None, pl.String))]

    def validate(self, params, profile):
        return field_problems(profile, params.table, *params.fields)
