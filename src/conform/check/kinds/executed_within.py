from __future__ import annotations

from typing import Literal

from conform.check.kinds.base import Params, RowCheck, RuleKind, text


class ExecutedWithinParams(Params):
    months: int = 3
    mode: Literal["open", "late"]


class ExecutedWithin(RuleKind):
    """A decision should be executed within `months` of datum_beslut (a decision under SoL or LSS not executed
    within three months must be reported to IVO). `open`: not executed, not closed, and the time has run out
    by the reference date; `late`: executed, but later than that."""

    name = "executed_within"
    on_table = "insats"
    summary = "Decision not executed in time"
    Params = ExecutedWithinParams

    def table_checks(self, rule, ctx):
        p: ExecutedWithinParams = rule.params
        deadline = ctx.date("beslut.datum_beslut").dt.offset_by(f"{p.months}mo")
        executed = ctx.date("datum_verkstallande")
        if p.mode == "open":
            mask = ctx.raw("datum_verkstallande").is_null() & ctx.raw("datum_avslut").is_null() & (deadline < ctx.as_of)
            return [RowCheck(mask, "datum_verkstallande", ctx.raw("beslut.datum_beslut"), text(deadline))]
        return [RowCheck(executed > deadline, "datum_verkstallande", ctx.raw("datum_verkstallande"),
                         text(deadline))]
