from __future__ import annotations

from typing import Literal

import polars as pl

from conform import personnummer
from conform.check.kinds.base import Params, RowCheck, RuleKind
from conform.input.readers.damage import excel_damage_sparse

Condition = Literal["separator", "ten_digits", "missing_serial", "malformed", "invalid_date", "luhn",
                    "birth_number_zero", "reserve_nonstandard", "excel_damage"]
NUMBERS = ("personnummer", "samordningsnummer")


class PersonIdParams(Params):
    condition: Condition


class PersonId(RuleKind):
    """The form of the person's ID (person.person_id), read by conform.personnummer.parse.

    Conditions: `separator` (ÅÅÅÅMMDD-NNNN), `ten_digits` (century missing), `missing_serial` (last four
    missing), `malformed` (anything else that is no known form), `invalid_date` (no such calendar date; a
    samordningsnummer's day less 60), `luhn` (check digit), `birth_number_zero` (NNN = 000) and
    `reserve_nonstandard` (a reserve number of a recognised scheme that breaks ÅÅÅÅMMDDNNNN or carries no sex;
    the finding names the scheme), `excel_damage` (a number a spreadsheet wrote in scientific notation, with a
    decimal fraction, or without its leading zeros; see conform.input.readers.damage; the finding names the kind).
    Reserve numbers are recognised before the Luhn check and never reported as broken personnummer; a damaged
    number is reported as damaged, not also as malformed. A person-ID of a reserve-number scheme the municipality
    declared (its local practice) is that reserve number: only a separator or spreadsheet damage is reported.
    """

    name = "person_id"
    on_table = "person"
    coded_other = True
    summary = "Person-ID form"
    Params = PersonIdParams

    def table_checks(self, rule, ctx):
        pid = ctx.person
        kind, form = pid("kind"), pid("form")
        number = kind.is_in(NUMBERS)
        reserve = kind.is_in(list(personnummer.RESERVE_SCHEMES))
        breaking = [k for k, scheme in personnummer.RESERVE_SCHEMES.items() if scheme["breaks_canonical_form"]]
        complete = form.is_in(["canonical", "separator"])  # the other forms are their own findings
        # Damaged numbers never parse as a form of their own: classify only the malformed ones.
        malformed = pl.when(kind == "malformed").then(ctx.raw("person_id"))
        damage = ctx.computed("excel_damage", excel_damage_sparse(malformed))
        mask = {
            "separator": number & (form == "separator"),
            "ten_digits": form == "ten_digits",
            "missing_serial": form == "missing_serial",
            "malformed": (kind == "malformed") & ~form.is_in(["ten_digits", "missing_serial"]) & damage.is_null(),
            # A reserve number with an impossible date or a wrong check digit is broken too; null means the
            # scheme has no date or no check digit, which is not judged.
            "invalid_date": complete & (pid("birth_date_valid") == False),  # noqa: E712
            "luhn": complete & (pid("luhn_valid") == False),  # noqa: E712
            "birth_number_zero": number & pid("birth_number_zero"),
            "reserve_nonstandard": kind.is_in(breaking) | (reserve & pid("sex").is_null()),
            "excel_damage": damage.is_not_null(),
        }[rule.params.condition]
        if ctx.practice.reserve_numbers and rule.params.condition not in ("separator", "excel_damage"):
            mask = mask & ~ctx.practice.reserve_number(ctx.raw("person_id"))
        other = {"reserve_nonstandard": kind, "excel_damage": damage}.get(rule.params.condition)
        return [RowCheck(mask.fill_null(False), "person_id", ctx.raw("person_id"), other)]
