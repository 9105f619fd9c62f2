from __future__ import annotations

import polars as pl

from conform.kinds.base import Params, RowCheck, RuleKind, field_problems
from conform.values import other_unicode_forms


class AllowedValuesParams(Params):
    table: str
    field: str
    value_set: str
    column: str | None = None
    """Column of the value-set file holding the values; default: the one the profile declares."""


def allowed_values(profile, value_set: str, column: str | None = None) -> list[str]:
    if column is None:
        return profile.values(value_set)
    return [v for v in profile.value_set(value_set)[column].to_list() if v]


def with_other_forms(allowed: list[str]) -> list[str]:
    """The allowed strings and their other Unicode forms: text is compared after NFC normalisation, so a value
    stored decomposed is not a value-set finding (the unicode_form rule notes it)."""
    return allowed + other_unicode_forms(allowed)


def offending_items(items: pl.Expr, allowed: list[str]) -> pl.Expr:
    """The items of a list field that are not allowed (an empty item counts as not allowed)."""
    return items.list.eval(pl.element().filter(~pl.element().is_in(allowed)))


class AllowedValues(RuleKind):
    """Every value (every item, for a [1..*] field) must be one of the value set's strings, verbatim: case,
    spaces and dashes included, compared after Unicode NFC normalisation."""

    name = "allowed_values"
    summary = "Value not in the value set"
    Params = AllowedValuesParams

    def checks(self, rule, ctx):
        p: AllowedValuesParams = rule.params
        if p.table != ctx.table:
            return []
        allowed = with_other_forms(allowed_values(ctx.profile, p.value_set, p.column))
        if ctx.spec.field(p.field).is_list:
            bad = offending_items(ctx.items(p.field), allowed)
            return [RowCheck(bad.list.len() > 0, p.field, bad.list.join(ctx.profile.list_delimiter))]
        value = ctx.raw(p.field)
        return [RowCheck(value.is_not_null() & ~value.is_in(allowed), p.field, value)]

    def validate(self, params, profile):
        problems = field_problems(profile, params.table, params.field)
        try:
            frame = profile.value_set(params.value_set)
        except Exception as exc:  # noqa: BLE001 - reported as a rule-file problem
            return problems + [str(exc)]
        if params.column and params.column not in frame.columns:
            problems.append(f"value set {params.value_set!r} has no column {params.column!r}")
        return problems
