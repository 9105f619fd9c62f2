"""A parent's context, handed down to its children: cut from the parent's materialised view, one row per key, the
columns the tables below it ask for (:func:`cut_context`), then joined to each child's records along the foreign
key and freed once every child has it (:class:`ParentContexts`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import polars as pl

from conform.check.context import TableContext, col_name
from conform.input.readers.source import ROW
from conform.profile import Profile

HASH = "__key_hash"


def key_hash(key: pl.Expr) -> pl.Expr:
    """A text key's 64-bit hash, null for no key. Matching a child's records to its parent's context on these
    integers takes about half the time of matching the texts (bench/README.md); the view is then proven to
    have matched equal texts only (:meth:`ParentContexts.proven`)."""
    return pl.when(key.is_not_null()).then(key.hash())


class ParentLink(NamedTuple):
    """How a table's records meet their parent's context, named as in the views."""

    parent: str
    left: str  # the record's foreign-key column
    right: str  # the parent's key column


class ParentContexts:
    """The contexts the tables viewed so far keep for their children, and their joins to the children."""

    def __init__(self, profile: Profile, contexts: dict[str, TableContext]):
        self.profile = profile
        self.contexts = contexts
        self._context: dict[str, pl.DataFrame | None] = {}
        self._served: set[str] = set()

    def keep(self, table: str, context: pl.DataFrame | None) -> None:
        """Keep `table`'s context (None where no table below it asks for any column)."""
        self._context[table] = context

    def link(self, table: str) -> ParentLink | None:
        """Where the parent's context is held for this table, how its records meet it; else None."""
        spec = self.profile.tables[table]
        if not spec.foreign_key or self._context.get(spec.foreign_key[1]) is None:
            return None
        fk, parent = spec.foreign_key
        return ParentLink(parent, col_name(table, fk), col_name(parent, self.profile.tables[parent].primary_key))

    def join(self, lf: pl.LazyFrame, link: ParentLink, hash_of: Callable[[pl.Expr], pl.Expr] | None
             ) -> pl.LazyFrame:
        """The records with the parent's context, matched on `hash_of` the keys (see :func:`key_hash`), or on
        the texts without it."""
        context = self._context[link.parent].lazy()
        if hash_of is None:
            return lf.join(context, left_on=link.left, right_on=link.right, how="left", coalesce=False)
        return (lf.with_columns(hash_of(pl.col(link.left)).alias(HASH))
                .join(context.with_columns(hash_of(pl.col(link.right)).alias(HASH)), on=HASH, how="left")
                .drop(HASH))

    @staticmethod
    def proven(view: pl.DataFrame, link: ParentLink) -> bool:
        """Whether every record of a view met only a parent of the same key text (or none)."""
        return view.select((pl.col(link.right).is_null() | (pl.col(link.right) == pl.col(link.left))).all()).item()

    def served(self, table: str, parent: str) -> None:
        """`table` has joined `parent`'s context; once every child has, it is freed before the next view."""
        self._served.add(table)
        if all(c in self._served for c in self.profile.children(parent) if c in self.contexts):
            del self._context[parent]


def cut_context(view: pl.DataFrame, key: str, below: dict[str, set[str]], duplicate_keys: bool) -> pl.DataFrame:
    """From a table's materialised view, the context its children need: one row per `key`, with the columns the
    tables below ask for (`below`, per table) that the view holds.

    With duplicate keys (a finding of their own) the first row of the file is kept, so a duplicate parent never
    multiplies a child's records.
    """
    columns = [key] + [col_name(t, c) for t, cs in below.items() for c in sorted(cs)
                       if col_name(t, c) in view.columns and col_name(t, c) != key]
    if not duplicate_keys:
        return view.select(columns)
    # The first by row number, not by position: joins may have reordered the view.
    return view.select(ROW, *columns).sort(ROW).unique(subset=[key], keep="first", maintain_order=True).drop(ROW)
