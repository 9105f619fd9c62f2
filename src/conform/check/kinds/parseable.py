from __future__ import annotations

from typing import Literal

from conform.check.kinds.base import Params, RowCheck, RuleKind


class ParseableParams(Params):
    type: Literal["date", "integer"]


class Parseable(RuleKind):
    """Every value of a field the profile types as `date` must be ISO 8601 (``YYYY-MM-DD``, a time part
    allowed) and a real calendar date; of a field typed `integer`, a non-negative whole number. Applies to every
    field of that type in the profile."""

    name = "parseable"
    summary = "Value cannot be read as its type"
    Params = ParseableParams

    def table_checks(self, rule, ctx):
        read = ctx.date if rule.params.type == "date" else ctx.integer
        return [RowCheck(ctx.raw(f.name).is_not_null() & read(f.name).is_null(), f.name, ctx.raw(f.name))
                for f in ctx.spec.fields if f.type == rule.params.type and ctx.has(f.name)]
