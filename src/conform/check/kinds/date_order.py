from __future__ import annotations

from conform.check.kinds.base import Params, RowCheck, RuleKind, field_problems, text


class DateOrderParams(Params):
    table: str
    field: str
    not_before: str
    """``field`` or ``table.field`` of the record or an ancestor (reached along foreign keys)."""
    latest_of_children: bool = False
    """With this, `not_before` names a child table's field and the record's latest child value counts."""


class DateOrder(RuleKind):
    """One step of the process may not come before another: aktualisering ≤ beslut ≤ verkställande ≤
    uppföljning ≤ avslut. The finding belongs to the record of the later step. Missing or unreadable dates
    are other rules' findings, so a comparison with an empty side is not judged."""

    name = "date_order"
    summary = "Date before the step it follows"
    Params = DateOrderParams

    def table_checks(self, rule, ctx):
        p: DateOrderParams = rule.params
        later = ctx.date(p.field)
        if p.latest_of_children:
            child, _, column = p.not_before.partition(".")
            earlier = ctx.child_max_date(child, column)
        else:
            earlier = ctx.date(p.not_before)
        return [RowCheck(later < earlier, p.field, ctx.raw(p.field), text(earlier))]

    def validate(self, params, profile):
        return field_problems(profile, params.table, params.field)
