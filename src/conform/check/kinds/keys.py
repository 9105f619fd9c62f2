from __future__ import annotations

from typing import Literal

import polars as pl

from conform.check.kinds.base import Params, RowCheck, RuleKind


class KeysParams(Params):
    check: Literal["unique", "present", "reference", "reference_present"]
    exclude: list[str] = []
    """Tables to leave out: where a key is also an information set (Person-ID), its cardinality rule says so."""


class Keys(RuleKind):
    """Keys and references, for every table of the profile from its primary and foreign keys.

    - unique: a primary key used by an earlier row (the later rows are the findings);
    - present: a record without a primary key;
    - reference: a foreign key naming a record that does not exist in the parent table;
    - reference_present: a record without its foreign key (a child must belong somewhere).
    """

    name = "keys"
    summary = "Primary and foreign key integrity"
    Params = KeysParams

    def validate(self, params, profile):
        return [f"unknown table {t!r}" for t in params.exclude if t not in profile.tables]

    def table_checks(self, rule, ctx):
        check = rule.params.check
        spec = ctx.spec
        if ctx.table in rule.params.exclude:
            return []
        if check in ("unique", "present"):
            key = ctx.raw(spec.primary_key)
            if check == "present":
                return [RowCheck(key.is_null(), spec.primary_key, key)]
            later = ctx.row != ctx.first_row()
            return [RowCheck(key.is_not_null() & later, spec.primary_key, key)]
        if spec.foreign_key is None:
            return []
        field, parent = spec.foreign_key
        fk = ctx.raw(field)
        if check == "reference_present":
            return [RowCheck(fk.is_null(), field, fk)]
        return [RowCheck(fk.is_not_null() & ~ctx.exists(parent), field, fk, pl.lit(parent))]
