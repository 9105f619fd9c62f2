from __future__ import annotations

from typing import Literal

import polars as pl

from conform import personnummer
from conform.check.kinds.base import Params, RowCheck, RuleKind, text


class AgeMatchesParams(Params):
    table: str = "aktualisering"
    field: str = "alder"
    on: str = "datum_aktualisering"
    tolerance_days: int = 2
    """How far the date in a person-ID may lie from the true birth date (Skatteverket, since 2009)."""
    mode: Literal["contradicts", "near_birthday"]


class AgeMatches(RuleKind):
    """Ålder must be the age in whole years at `on`, from the person-ID's birth date.

    Because the date in a number can differ from the true birth date by a day or two, an age that matches a
    birth date up to `tolerance_days` away is `near_birthday` (a warning); any other mismatch `contradicts`.
    Not judged where the ID has no readable birth date (samordningsnummer with month 00 or day 60, reserve
    numbers without a date).
    """

    name = "age_matches"
    summary = "Ålder contradicts the person-ID"
    Params = AgeMatchesParams

    def table_checks(self, rule, ctx):
        p: AgeMatchesParams = rule.params
        age = ctx.integer(p.field)
        birth, on = ctx.person("birth_date"), ctx.date(p.on)
        shift = pl.duration(days=p.tolerance_days)
        exact = ctx.computed("age_exact", personnummer.age_at(birth, on))
        # An earlier birth date gives the higher age; the tolerance window spans [age(birth+d), age(birth-d)].
        low = ctx.computed(f"age_low_{p.tolerance_days}", personnummer.age_at(birth + shift, on))
        high = ctx.computed(f"age_high_{p.tolerance_days}", personnummer.age_at(birth - shift, on))
        judged = age.is_not_null() & exact.is_not_null()
        within = (age >= low) & (age <= high)
        mask = judged & (age != exact) & (within if p.mode == "near_birthday" else ~within)
        return [RowCheck(mask, p.field, ctx.raw(p.field), text(exact))]
