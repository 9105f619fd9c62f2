from __future__ import annotations

from conform.check.kinds.base import Params, RowCheck, RuleKind


class SexDigitParams(Params):
    field: str = "juridiskt_kon"
    value_set: str = "juridiskt_kon"
    parity_column: str = "sex_digit_parity"


class SexDigit(RuleKind):
    """Juridiskt kön must agree with the person-ID's sex digit (the third digit of NNNN: even for
    Flicka/Kvinna, odd for Pojke/Man). Not judged where the ID carries no sex or the value is not in the set, nor
    where the ID fails its check digit: it may then be a reserve number of the form ÅÅÅÅMMDDNNNN, which carries
    sex only "förutsatt att" its scheme says so; nor where it is a reserve number of a scheme the municipality
    declared."""

    name = "sex_digit"
    on_table = "person"
    coded_other = True
    summary = "Juridiskt kön contradicts the person-ID"
    Params = SexDigitParams

    def table_checks(self, rule, ctx):
        p: SexDigitParams = rule.params
        parity = ctx.profile.value_set(p.value_set)
        value_column = ctx.profile.value_column(p.value_set)
        expected = ctx.raw(p.field).replace_strict(dict(zip(parity[value_column], parity[p.parity_column])),
                                                    default=None)
        actual = ctx.person("sex")
        trusted = ctx.person("luhn_valid").fill_null(True) & ~ctx.practice.reserve_number(ctx.raw("person_id"))
        return [RowCheck(expected.is_not_null() & actual.is_not_null() & (expected != actual) & trusted, p.field,
                         ctx.raw(p.field), actual)]
