from __future__ import annotations

import polars as pl

from conform.context import MissingInput
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

    def checks(self, rule, ctx):
        p: AllowedValuesParams = rule.params
        if p.table != ctx.table:
            return []
        practice = ctx.practice
        own_set = ctx.spec.field(p.field).information_set
        # Sub-values the municipality declared for the set are its values too.
        allowed = with_other_forms(allowed_values(ctx.profile, p.value_set, p.column)
                                   + list(practice.local_values.get(own_set, {})))
        ibic = _in_ibic_group(ctx) if own_set in practice.ibic_sets else None
        if ctx.spec.field(p.field).is_list:
            bad = offending_items(ctx.items(p.field), allowed)
            if ibic is not None:  # in a target group declared to use IBIC, a declared IBIC value is valid too
                bad = pl.when(ibic).then(bad.list.eval(pl.element().filter(~practice.ibic_valid(pl.element())))) \
                    .otherwise(bad)
            return [RowCheck(bad.list.len() > 0, p.field, bad.list.join(ctx.profile.list_delimiter))]
        value = ctx.raw(p.field)
        mask = value.is_not_null() & ~value.is_in(allowed)
        if ibic is not None:
            mask = mask & ~(ibic & practice.ibic_valid(value))
        return [RowCheck(mask, p.field, value)]

    def validate(self, params, profile):
        problems = field_problems(profile, params.table, params.field)
        try:
            frame = profile.value_set(params.value_set)
        except Exception as exc:  # noqa: BLE001 - reported as a rule-file problem
            return problems + [str(exc)]
        if params.column and params.column not in frame.columns:
            problems.append(f"value set {params.value_set!r} has no column {params.column!r}")
        return problems
