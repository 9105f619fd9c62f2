from __future__ import annotations

from typing import Literal

from conform.check.kinds.base import Params, RowCheck, RuleKind, text


class DateBoundParams(Params):
    bound: Literal["birth_date", "as_of", "death"]
    death_reason: str | None = None
    """With bound `death`: the orsak_avslut value that records the person's death, verbatim."""


class DateBound(RuleKind):
    """No event of a person may lie before the person's birth date (read from the person-ID; not judged where
    the ID carries no readable birth date) or after the reference date (`--as-of`); with bound `death`, after
    the date an insats of the person closed with "Brukaren har avlidit". Applies to every date field."""

    name = "date_bound"
    summary = "Date outside the person's lifetime or after the reference date"
    Params = DateBoundParams

    def validate(self, params, profile):
        if params.bound == "death" and params.death_reason not in profile.values("orsak_avslut"):
            return [f"death_reason {params.death_reason!r} is not a value of orsak_avslut"]
        return []

    def table_checks(self, rule, ctx):
        bound = rule.params.bound
        out = []
        for f in ctx.spec.fields:
            if f.type != "date" or not ctx.has(f.name):
                continue
            value = ctx.date(f.name)
            if bound == "as_of":
                limit = ctx.as_of
                mask = value > limit
            elif bound == "birth_date":
                limit = ctx.person("birth_date")
                mask = value < limit
            else:
                limit = ctx.death_date()
                mask = value > limit
            out.append(RowCheck(mask, f.name, ctx.raw(f.name), text(limit)))
        return out
