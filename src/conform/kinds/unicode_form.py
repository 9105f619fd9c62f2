from __future__ import annotations

import polars as pl

from conform.kinds.allowed_values import allowed_values
from conform.kinds.base import Params, RowCheck, RuleKind
from conform.values import other_unicode_forms


class UnicodeForm(RuleKind):
    """A value of a value set stored in another Unicode form than NFC (å as a + a combining ring): the same
    text to a reader and to the value-set rules, which compare after NFC normalisation, but not byte for byte,
    so another system that compares bytes may not recognise it. Applies to every field with a value set."""

    name = "unicode_form"
    summary = "Value-set text not in Unicode NFC"
    Params = Params

    def checks(self, rule, ctx):
        out = []
        for f in ctx.spec.fields:
            if f.value_set is None or not ctx.has(f.name):
                continue
            forms = other_unicode_forms(allowed_values(ctx.profile, f.value_set,
                                                       ctx.profile.field_value_column(f.name, f.value_set)))
            if not forms:
                continue
            if f.is_list:
                items = ctx.items(f.name)
                mask = items.list.eval(pl.element().is_in(forms)).list.any()
            else:
                mask = ctx.raw(f.name).is_in(forms)
            out.append(RowCheck(mask, f.name, ctx.raw(f.name)))
        return out
