from __future__ import annotations

import polars as pl

from conform.check.kinds.base import Params, RowCheck, RuleKind


class ConsistentPersonParams(Params):
    fields: list[str] = ["juridiskt_kon", "ursprung"]


class ConsistentPerson(RuleKind):
    """One person, one set of attributes: rows of the person table that name the same person (the same
    person-ID, written with or without a separator) must agree on these fields. Every row of such a person is
    a finding, since the export does not say which is right."""

    name = "consistent_person"
    on_table = "person"
    summary = "One person with conflicting attributes"
    Params = ConsistentPersonParams

    def table_checks(self, rule, ctx):
        person = pl.coalesce(ctx.person("normalised"), ctx.raw("person_id"))
        out = []
        for f in rule.params.fields:
            if not ctx.has(f):
                continue
            value = ctx.raw(f)
            # A person's rows disagree exactly when a row's value is shared by fewer of them than all: counting
            # rows per (person, value) costs a third of counting distinct values per person.
            conflict = pl.len().over([person, value.fill_null("")]) < pl.len().over(person)
            out.append(RowCheck(person.is_not_null() & conflict, f, value))
        return out
