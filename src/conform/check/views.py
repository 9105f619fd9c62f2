"""The views the engine's checks run on: per table, one materialised frame with exactly the columns its checks
need, built top-down along the foreign keys so that each parent's context is cut once from its own view.

:class:`Views` coordinates the parts, each in its own module: the table's own columns (:mod:`.columns`), its
parent's context (:mod:`.parents`) and the lookups across records (:mod:`.lookups`), among them those a bucket
of a large export needs from the whole export (:class:`Shared`).
"""

from __future__ import annotations

import polars as pl

from conform.check.columns import PARSED, Records, ViewColumns
from conform.check.context import TableContext, col_name
from conform.check.lookups import PERSON, Lookups, Read, Shared, child_max, death_dates, first_rows
from conform.check.parents import HASH, ParentContexts, ParentLink, cut_context, key_hash
from conform.input.sources import Export
from conform.profile import Profile

__all__ = ["HASH", "PARSED", "PERSON", "Read", "Shared", "Views", "child_max", "death_dates", "first_rows",
           "key_hash"]


class Views:
    """Builds the per-table views the checks run on, top-down along the foreign keys.

    A table's view holds its own needed columns, the context of its parent (the parent's needed columns and
    theirs, one row per parent key) and aggregates of its children. Each view is materialised once; the
    context a child needs is then cut from it, so no file is read and no join is made twice.
    """

    def __init__(self, profile: Profile, export: Export, death_reason: str | None,
                 contexts: dict[str, TableContext], shared: Shared | None = None):
        self.profile = profile
        self.export = export
        self.death_reason = death_reason
        self.contexts = contexts
        self.shared = shared
        self.records = Records(export)
        self.lookups = Lookups(profile, self.records.read, death_reason, shared)
        self.columns = ViewColumns(profile, export, contexts, self.records, self.lookups)
        self.parents = ParentContexts(profile, contexts)

    def view(self, ctx: TableContext) -> pl.DataFrame:
        """A table's view. Its records meet their parent's context on the keys' hashes; should two different
        keys share a hash, the view is built again on the key texts."""
        link = self.parents.link(ctx.table)
        view = self._build(ctx, link, hashed=True)
        if link is not None:
            if not self.parents.proven(view, link):
                view = self._build(ctx, link, hashed=False)
            self.parents.served(ctx.table, link.parent)
        return view

    def _build(self, ctx: TableContext, link: ParentLink | None, hashed: bool) -> pl.DataFrame:
        """The view; with `hashed`, the parent's context is matched on the keys' hashes (see :func:`key_hash`)."""
        table = ctx.table
        wanted = ctx.needs.get(table, set()) | self.columns.needed_from(table).get(table, set())
        lf = self.columns.frame(table, wanted)
        if link is not None:
            # The hash is this module's key_hash, looked up at each build, so a test can make two keys collide.
            lf = self.parents.join(lf, link, key_hash if hashed else None)
        key = col_name(table, ctx.spec.primary_key)
        lf = self.lookups.with_child_maxima(lf, ctx.child_needs, key)
        if ctx.first_row_needed:
            lf = self.lookups.with_first_row(lf, table, key)
        for stage in (ctx.typed, ctx.derived):
            if stage:
                lf = lf.with_columns(stage.values())
        return lf.collect()

    def keep_context(self, table: str, view: pl.DataFrame, duplicate_keys: bool) -> None:
        """Cut, from a table's materialised view, the context its children need (see :func:`cut_context`)."""
        below = self.columns.needed_from(table)
        key = col_name(table, self.profile.tables[table].primary_key)
        self.parents.keep(table, cut_context(view, key, below, duplicate_keys) if any(below.values()) else None)
