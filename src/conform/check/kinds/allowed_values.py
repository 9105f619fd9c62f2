from __future__ import annotations

import polars as pl

from conform.check.context import MissingInput
from conform.check.kinds.base import Params, RowCheck, RuleKind, field_problems
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


def values_of(ctx, field: str, value_set: str, column: str | None = None) -> list[str]:
    """A field's valid strings as written: its value set's, and the sub-values the municipality declared for its
    information set (its local practice)."""
    own_set = ctx.spec.field(field).information_set
    return allowed_values(ctx.profile, value_set, column) + list(ctx.practice.local_values.get(own_set, {}))


def outside_set(ctx, field: str, value_set: str, column: str | None = None) -> pl.Expr:
    """True where a value (any item, for a list field) is none of the field's valid strings as written.

    One lookup per record, computed once per view and shared by the field's value-set rule and its Unicode-form
    rule: a value written in another Unicode form is outside here, and the two rules tell it apart from a wrong
    value on the few records this selects (RowCheck.narrow), not on every record."""
    allowed = values_of(ctx, field, value_set, column)
    if ctx.spec.field(field).is_list:
        expr = offending_items(ctx.items(field), allowed).list.len() > 0
    else:
        value = ctx.raw(field)
        expr = value.is_not_null() & ~value.is_in(allowed)
    return ctx.computed(f"outside.{field}.{value_set}.{column or ctx.profile.value_column(value_set)}", expr)


def _in_ibic_group(ctx) -> pl.Expr | None:
    """True where the record's target group is one the municipality declared to use IBIC; None where the
    export does not say the target group (then the standard's list applies to every record)."""
    try:
        group = ctx.raw("aktualisering.malgrupp")
    except MissingInput:
        return None
    return group.is_in(list(ctx.practice.ibic_groups)).fill_null(False)


class AllowedValues(RuleKind):
    """Every value (every item, for a [1..*] field) must be one of the value set's strings, verbatim: case,
    spaces and dashes included, compared after Unicode NFC normalisation. As the municipality declared (its
    local practice): its sub-values of the set are valid, and in target groups declared to use IBIC, so are
    its IBIC values for Aktualiseringsorsak and Problematik."""

    name = "allowed_values"
    summary = "Value not in the value set"
    Params = AllowedValuesParams

    def table_checks(self, rule, ctx):
        p: AllowedValuesParams = rule.params
        practice = ctx.practice
        outside = outside_set(ctx, p.field, p.value_set, p.column)
        # Asked only of the records outside the set as written: another Unicode form of a valid value is valid.
        allowed = with_other_forms(values_of(ctx, p.field, p.value_set, p.column))
        ibic = _in_ibic_group(ctx) if ctx.spec.field(p.field).information_set in practice.ibic_sets else None
        if ctx.spec.field(p.field).is_list:
            bad = offending_items(ctx.items(p.field), allowed)
            if ibic is not None:  # in a target group declared to use IBIC, a declared IBIC value is valid too
                bad = pl.when(ibic).then(bad.list.eval(pl.element().filter(~practice.ibic_valid(pl.element())))) \
                    .otherwise(bad)
            return [RowCheck(outside, p.field, bad.list.join(ctx.profile.list_delimiter), narrow=bad.list.len() > 0)]
        value = ctx.raw(p.field)
        wrong = ~value.is_in(allowed)
        if ibic is not None:
            wrong = wrong & ~(ibic & practice.ibic_valid(value))
        return [RowCheck(outside, p.field, value, narrow=wrong)]

    def validate(self, params, profile):
        problems = field_problems(profile, params.table, params.field)
        try:
            frame = profile.value_set(params.value_set)
        except Exception as exc:  # noqa: BLE001 - reported as a rule-file problem
            return problems + [str(exc)]
        if params.column and params.column not in frame.columns:
            problems.append(f"value set {params.value_set!r} has no column {params.column!r}")
        return problems
