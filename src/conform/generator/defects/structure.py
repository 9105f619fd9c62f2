"""Structure defects (STR): values that cannot be read as their type, a date or a number."""

from __future__ import annotations

import numpy as np

from conform.generator.defects.context import Ctx
from conform.generator.defects.samples import INVALID, bad_date
from conform.generator.defects.shared import Injector, spread


def str_006(c: Ctx, n: int) -> int:
    w = c.w

    def variant(table, column, days):
        def run(m):
            rows = c.pick(table, np.ones(len(days), bool), m)
            for j, r in enumerate(rows):
                c.set(table, column, r, bad_date(int(days[r]), j + int(r)))
                c.expect(table, c.key(table, r), "STR-006")
            return len(rows)
        return run
    # not datum_verkstallande / datum_avslut: an unreadable one would count as absent for the plausibility rules
    return spread(n, [variant("aktualisering", "datum_aktualisering", w.a_date),
                      variant("beslut", "datum_beslut", w.b_date),
                      variant("uppfoljning", "datum_uppfoljning", w.u_date)])


def str_007(c: Ctx, n: int) -> int:
    rows = c.pick("aktualisering", np.ones(len(c.w.a_person), bool), n)
    for j, r in enumerate(rows):
        c.set("aktualisering", "alder", r, INVALID["alder"][j % 3])
        c.expect("aktualisering", c.key("aktualisering", r), "STR-007")
    return len(rows)


INJECTORS: dict[str, Injector] = {
    "STR-006": str_006,
    "STR-007": str_007,
}
