from __future__ import annotations

import polars as pl

from conform.check.kinds.allowed_values import outside_set, values_of
from conform.check.kinds.base import Params, RowCheck, RuleKind
from conform.values import other_unicode_forms


class UnicodeForm(RuleKind):
    """A value of a value set stored in another Unicode form than NFC (å as a + a combining ring): the same
    text to a reader and to the value-set rules, which compare after NFC normalisation, but not byte for byte,
    so another system that compares bytes may not recognise it. Applies to every field with a value set."""

    name = "unicode_form"
    summary = "Value-set text not in Unicode NFC"
    Params = Params

    def table_checks(self, rule, ctx):
        out = []
        for f in ctx.spec.fields:
            if f.value_set is None or not ctx.has(f.name):
                continue
            column = ctx.profile.field_value_column(f.name, f.value_set)
            forms = other_unicode_forms(values_of(ctx, f.name, f.value_set, column))
            if not forms:
                continue
            # Only a value outside the set as written can be another form of one in it: the lookup of the
            # forms is asked of those records only (the value-set rule's lookup selects them).
            if f.is_list:
                another_form = ctx.items(f.name).list.eval(pl.element().is_in(forms)).list.any()
            else:
                another_form = ctx.raw(f.name).is_in(forms)
            out.append(RowCheck(outside_set(ctx, f.name, f.value_set, column), f.name, ctx.raw(f.name),
                                narrow=another_form))
        return out
