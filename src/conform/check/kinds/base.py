"""What every rule kind is: a name, a summary, a parameter model (which also yields the JSON Schema of its
parameters) and one method that turns a rule into row checks for a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import polars as pl
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from conform.check.context import TableContext
    from conform.model import Rule
    from conform.profile import Profile


# Joins a record's target group and a value into one string ("group␟value"), so that a test of values per
# target group is one membership test over the whole column instead of a filter per group.
GROUP_SEP = "\x1f"


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class RowCheck:
    """A vectorised check on one table's view: `mask` is true on violating records.

    `value` is the offending value as text, `other` what it was compared with (if anything); `field` names the
    field that holds the offending value. A record violates the check where `mask` and, if given, `narrow` hold.
    """

    mask: pl.Expr
    field: str | None
    value: pl.Expr
    other: pl.Expr | None = None
    # A further condition, asked only of the few records the mask selects: for a test too costly to ask of
    # every record that only a rare record needs (is this value outside the set another spelling of one in it?).
    narrow: pl.Expr | None = None


class RuleKind:
    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[Params]] = Params
    # Whether its findings' `other` is a coded detail (conform.details), worded in the report's language.
    coded_other: ClassVar[bool] = False
    # The one table a kind is about, where the kind itself fixes it (person-IDs are the person table's); else a
    # rule names its table in `table`, or the kind applies to every table.
    on_table: ClassVar[str | None] = None

    def checks(self, rule: Rule, ctx: TableContext) -> list[RowCheck]:
        """Row checks of `rule` on ctx.table: none where the rule is about another table (the kind's own, or the
        one the rule names), else the kind's :meth:`table_checks`."""
        table = self.on_table or getattr(rule.params, "table", None)
        if table is not None and table != ctx.table:
            return []
        return self.table_checks(rule, ctx)

    def table_checks(self, rule: Rule, ctx: TableContext) -> list[RowCheck]:
        """Row checks of `rule` on ctx.table, a table the rule applies to; an empty list where it finds none.

        Raise conform.check.context.MissingInput (via the context) when a needed table or column is absent.
        """
        raise NotImplementedError

    def validate(self, params: Params, profile: Profile) -> list[str]:
        """Problems with the parameters against the profile (unknown table, field, value set or value)."""
        return []


def field_problems(profile: Profile, table: str, *fields: str) -> list[str]:
    if table not in profile.tables:
        return [f"unknown table {table!r}"]
    names = profile.tables[table].field_names
    return [f"unknown field {table}.{f}" for f in fields if f not in names]


def text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String)
