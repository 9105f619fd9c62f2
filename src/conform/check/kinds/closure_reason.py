from __future__ import annotations

from typing import Literal

from conform import personnummer
from conform.check.kinds.base import Params, RowCheck, RuleKind, text


class ClosureReasonParams(Params):
    reason: str
    """A value of the orsak_avslut value set, verbatim."""
    check: Literal["under_age", "never_started_but_executed", "not_executed_other_reason"]
    age: int = 18


class ClosureReason(RuleKind):
    """A closure reason that contradicts the rest of the record:

    - under_age: the reason (e.g. "Barnet har fyllt 18 år …") says the person reached `age`, but by the
      person-ID they were younger at datum_avslut;
    - never_started_but_executed: the reason says the insats never started (e.g. "Insatsen påbörjades
      aldrig"), yet it has a datum_verkstallande;
    - not_executed_other_reason: a closed insats without datum_verkstallande whose reasons do not include it.
    """

    name = "closure_reason"
    on_table = "insats"
    summary = "Closure reason contradicts the record"
    Params = ClosureReasonParams

    def table_checks(self, rule, ctx):
        p: ClosureReasonParams = rule.params
        has_reason = ctx.items("orsak_avslut").list.contains(p.reason).fill_null(False)
        executed = ctx.raw("datum_verkstallande")
        if p.check == "under_age":
            age = personnummer.age_at(ctx.person("birth_date"), ctx.date("datum_avslut"))
            return [RowCheck(has_reason & (age < p.age), "orsak_avslut", ctx.raw("orsak_avslut"), text(age))]
        if p.check == "never_started_but_executed":
            return [RowCheck(has_reason & executed.is_not_null(), "orsak_avslut", ctx.raw("orsak_avslut"),
                             executed)]
        closed = ctx.raw("datum_avslut").is_not_null()
        return [RowCheck(closed & executed.is_null() & ~has_reason, "datum_verkstallande",
                         ctx.raw("orsak_avslut"))]

    def validate(self, params, profile):
        if params.reason not in profile.values("orsak_avslut"):
            return [f"reason {params.reason!r} is not a value of orsak_avslut"]
        return []
