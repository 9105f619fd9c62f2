from __future__ import annotations

from conform.check.kinds.base import Params, RowCheck, RuleKind


class SingleValueParams(Params):
    exclude: list[str] = []
    """Fields (``table.field``) to leave out."""


class SingleValue(RuleKind):
    """A field the profile gives cardinality [1] or [0..1] must not hold several values joined by the list
    delimiter. Applies to every such field of an information set, so a new field is covered without a new rule;
    fields of no set (keys, målgrupp) have no cardinality in the standard."""

    name = "single_value"
    summary = "Several values in a single-valued field"
    Params = SingleValueParams

    def table_checks(self, rule, ctx):
        delimiter = ctx.profile.list_delimiter
        out = []
        for f in ctx.spec.fields:
            if f.is_list or f.type != "string" or not f.information_set or f"{ctx.table}.{f.name}" in rule.params.exclude:
                continue
            if f.name == ctx.spec.primary_key or not ctx.has(f.name):
                continue
            value = ctx.raw(f.name)
            out.append(RowCheck(value.str.contains(delimiter, literal=True), f.name, value))
        return out
