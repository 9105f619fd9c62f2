"""Integrity defects (INT): a record copied under its own key, a reference to a parent that does not exist or to
none at all."""

from __future__ import annotations

import numpy as np

from conform.generator.clean import KEY_PREFIX, key_width
from conform.generator.defects.context import Ctx
from conform.generator.defects.shared import Injector, spread

# The column of each child table that names its parent, and the parent table.
FK = {"aktualisering": ("person_id", "person"), "beslut": ("aktualisering_id", "aktualisering"),
      "insats": ("beslut_id", "beslut"), "uppfoljning": ("insats_id", "insats")}
# A missing parent is named as the generator names keys, so only its absence gives it away.
PREFIX = KEY_PREFIX


def int_001(c: Ctx, n: int) -> int:
    def variant(table):
        def run(m):
            level = "person" if table == "person" else "akt"
            rows = c.pick(table, np.ones(c.frames[table].height, bool), m, level=level)
            for r in rows:
                c.added[table].append({"copy": int(r)})
                c.expect(table, c.key(table, r), "INT-001")
            return len(rows)
        return run
    return spread(n, [variant(t) for t in ("insats", "aktualisering", "beslut", "uppfoljning", "person")])


def _broken_reference(rule: str):
    """An injector that points a child at a parent key no table holds (INT-003) or at none (INT-004)."""
    def inject(c: Ctx, n: int) -> int:
        def variant(table):
            column, parent = FK[table]

            def run(m):
                rows = c.pick(table, np.ones(c.frames[table].height, bool), m)
                missing = PREFIX[parent] + "9" * (key_width(c.frames[parent].height) + 1)
                for r in rows:
                    c.set(table, column, r, missing if rule == "INT-003" else None)
                    c.expect(table, c.key(table, r), rule)
                return len(rows)
            return run
        return spread(n, [variant(t) for t in ("beslut", "insats", "uppfoljning")])
    return inject


INJECTORS: dict[str, Injector] = {
    "INT-001": int_001,
    "INT-003": _broken_reference("INT-003"),
    "INT-004": _broken_reference("INT-004"),
}
