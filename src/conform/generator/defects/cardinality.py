"""Cardinality defects (CAR): a required field left empty, a field filled where it must stay empty, two values in
a single-valued field."""

from __future__ import annotations

import numpy as np

from conform.generator.defects.context import Ctx
from conform.generator.defects.shared import Injector, set_insats, spread


def _empty(table: str, column: str, rule: str, mask_fn=None):
    """An injector that empties `column` where mask_fn(c) holds (by default: where it is filled)."""
    def inject(c: Ctx, n: int) -> int:
        mask = mask_fn(c) if mask_fn else c.frames[table][column].is_not_null().to_numpy()
        rows = c.pick(table, mask, n, level="person" if table == "person" else "akt")
        for r in rows:
            c.set(table, column, r, None)
            c.expect(table, c.key(table, r), rule)
        return len(rows)
    return inject


def car_008(c: Ctx, n: int) -> int:
    rows = c.pick("insats", np.ones(len(c.w.i_beslut), bool), n)
    for r in rows:
        set_insats(c, r, None, None)
        c.expect("insats", c.key("insats", r), "CAR-008")
    return len(rows)


def car_011(c: Ctx, n: int) -> int:
    return _empty("insats", "orsak_avslut", "CAR-011", lambda c: c.i_normal)(c, n)


def car_012(c: Ctx, n: int) -> int:
    return _empty("insats", "maluppfyllelse", "CAR-012", lambda c: c.i_normal)(c, n)


def car_013(c: Ctx, n: int) -> int:
    rows = c.pick("insats", c.i_open & c.i_exec, n)
    for r in rows:
        c.set("insats", "orsak_avslut", r, c.vs.orsak_avslut[c.choice(c.vs.normal_reasons)])
        c.expect("insats", c.key("insats", r), "CAR-013")
    return len(rows)


def car_014(c: Ctx, n: int) -> int:
    rows = c.pick("insats", c.i_open & c.i_exec, n)
    for r in rows:
        g = c.vs.groups[c.i_group[r]]
        c.set("insats", "maluppfyllelse", r, c.vs.maluppfyllelse[c.choice(g.scale_values)])
        c.expect("insats", c.key("insats", r), "CAR-014")
    return len(rows)


def car_015(c: Ctx, n: int) -> int:
    """Two values of the set joined by '|' in a single-valued field. The joined string is not a value of the set
    either, so the field's value-set rule fires too (the checker compares a single-valued field whole)."""
    vs = c.vs

    def variant(table, column, values, also):
        def run(m):
            level = "person" if table == "person" else "akt"
            rows = c.pick(table, np.ones(c.frames[table].height, bool), m, level=level)
            for r in rows:
                a, b = c.rng.choice(len(values), size=2, replace=False)
                c.set(table, column, r, f"{values[a]}|{values[b]}")
                c.expect(table, c.key(table, r), "CAR-015")
                c.expect(table, c.key(table, r), also)
            return len(rows)
        return run
    return spread(n, [variant("aktualisering", "aktualiseringstyp", vs.aktualiseringstyp, "VAL-004"),
                      variant("uppfoljning", "sip", vs.sip, "VAL-017"),
                      variant("aktualisering", "tidigare_kontakt", vs.tidigare_kontakt, "VAL-007"),
                      variant("person", "ursprung", vs.ursprung, "VAL-002")])


INJECTORS: dict[str, Injector] = {
    "CAR-001": _empty("person", "juridiskt_kon", "CAR-001"),
    "CAR-002": _empty("aktualisering", "datum_aktualisering", "CAR-002"),
    "CAR-003": _empty("aktualisering", "aktualiseringstyp", "CAR-003"),
    "CAR-004": _empty("aktualisering", "aktualiseringsorsak", "CAR-004"),
    "CAR-005": _empty("aktualisering", "alder", "CAR-005"),
    "CAR-006": _empty("beslut", "problematik", "CAR-006"),
    "CAR-007": _empty("beslut", "datum_beslut", "CAR-007"),
    "CAR-008": car_008,
    "CAR-009": _empty("uppfoljning", "datum_uppfoljning", "CAR-009"),
    "CAR-010": _empty("uppfoljning", "maluppfyllelse", "CAR-010"),
    "CAR-011": car_011,
    "CAR-012": car_012,
    "CAR-013": car_013,
    "CAR-014": car_014,
    "CAR-015": car_015,
    "CAR-016": _empty("aktualisering", "malgrupp", "CAR-016"),
}
