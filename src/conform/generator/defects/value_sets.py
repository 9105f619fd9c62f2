"""Value-set defects (VAL): a value outside its set, a reason or problem not suggested for the target group, an
insats code or name that does not fit the group or each other, a goal-attainment value from another scale."""

from __future__ import annotations

import numpy as np

from conform.generator.defects.context import Ctx
from conform.generator.defects.samples import INVALID
from conform.generator.defects.shared import Injector, set_insats


def _replace(table: str, column: str, rule: str, samples: list[str]):
    """An injector that writes the invalid `samples` in turn into a single-valued `column`."""
    def inject(c: Ctx, n: int) -> int:
        mask = np.ones(c.frames[table].height, bool)
        rows = c.pick(table, mask, n, level="person" if table == "person" else "akt")
        for j, r in enumerate(rows):
            c.set(table, column, r, samples[j % len(samples)])
            c.expect(table, c.key(table, r), rule)
        return len(rows)
    return inject


def _replace_item(table: str, column: str, rule: str, choose):
    """Replace one item of a multi-valued field with choose(c, row, items) (None: not possible on this row)."""
    def inject(c: Ctx, n: int) -> int:
        mask = c.frames[table][column].is_not_null().to_numpy()
        if table == "insats":
            mask &= c.i_normal
        done = 0
        while done < n:
            rows = c.pick(table, mask, n - done)
            if len(rows) == 0:
                break
            for r in rows:
                items = c.items(table, column, r)
                new = choose(c, r, items)
                if new is None:
                    continue
                items[int(c.rng.integers(0, len(items)))] = new
                c.set(table, column, r, "|".join(items))
                c.expect(table, c.key(table, r), rule)
                done += 1
            mask[rows] = False
        return done
    return inject


def _invalid(kind):
    return lambda c, r, items: INVALID[kind][int(c.rng.integers(0, len(INVALID[kind])))]


def _unmarked(table):
    def choose(c: Ctx, r, items):
        akt = c.akt_of[table][r]
        g = c.vs.groups[c.w.a_group[akt]]
        free = [c.vs.orsak[v] for v in g.unmarked if c.vs.orsak[v] not in items]
        return c.choice(free) if free else None
    return choose


def val_010(c: Ctx, n: int) -> int:
    rows = c.pick("insats", np.ones(len(c.w.i_beslut), bool), n)
    for j, r in enumerate(rows):
        set_insats(c, r, INVALID["insats_kod"][j % 3], None)
        c.expect("insats", c.key("insats", r), "VAL-010")
    return len(rows)


def val_011(c: Ctx, n: int) -> int:
    ok = np.array([len(g.other_info_codes) > 0 for g in c.vs.groups])[c.i_group]
    rows = c.pick("insats", ok, n)
    for r in rows:
        g = c.vs.groups[c.i_group[r]]
        set_insats(c, r, c.vs.andra_kod[c.choice(g.other_info_codes)], None)
        c.expect("insats", c.key("insats", r), "VAL-011")
    return len(rows)


def _insats_from(c: Ctx, n: int, rule: str, candidates) -> int:
    """Give `n` insatser one of their group's `candidates(group)` (code and name), each expecting `rule`."""
    ok = np.array([len(candidates(g)) > 0 for g in c.vs.groups])[c.i_group]
    rows = c.pick("insats", ok, n)
    for r in rows:
        it = c.choice(candidates(c.vs.groups[c.i_group[r]]))
        set_insats(c, r, c.vs.insats_kod[it], c.vs.insats_name[it])
        c.expect("insats", c.key("insats", r), rule)
    return len(rows)


def val_013(c: Ctx, n: int) -> int:
    return _insats_from(c, n, "VAL-013", lambda g: g.over)


def val_014(c: Ctx, n: int) -> int:
    rows = c.pick("insats", np.ones(len(c.w.i_beslut), bool), n)
    for j, r in enumerate(rows):
        set_insats(c, r, None, INVALID["insats"][j % 3])
        c.expect("insats", c.key("insats", r), "VAL-014")
    return len(rows)


def _coded(c: Ctx, g) -> np.ndarray:
    return np.array([i for i in g.insats if c.vs.insats_kod[i] is not None and c.vs.insats_typ[i] == "insats"])


def val_015(c: Ctx, n: int) -> int:
    ok = np.array([len(_coded(c, g)) >= 2 for g in c.vs.groups])[c.i_group]
    rows = c.pick("insats", ok, n)
    for r in rows:
        a, b = c.rng.choice(_coded(c, c.vs.groups[c.i_group[r]]), size=2, replace=False)
        set_insats(c, r, c.vs.insats_kod[a], c.vs.insats_name[b])
        c.expect("insats", c.key("insats", r), "VAL-015")
    return len(rows)


def val_016(c: Ctx, n: int) -> int:
    return _insats_from(c, n, "VAL-016", lambda g: g.foreign)


def _wrong_scale(table: str, rule: str):
    """An injector that writes a maluppfyllelse from a scale other than the target group's."""
    def inject(c: Ctx, n: int) -> int:
        if table == "insats":
            mask, group = c.i_normal.copy(), c.i_group
        else:
            mask, group = np.ones(len(c.w.u_insats), bool), c.i_group[c.w.u_insats]
        rows = c.pick(table, mask, n)
        for r in rows:
            g = c.vs.groups[group[r]]
            c.set(table, "maluppfyllelse", r, c.vs.maluppfyllelse[c.choice(g.other_scale)])
            c.expect(table, c.key(table, r), rule)
        return len(rows)
    return inject


def _invalid_closure_mal(c: Ctx, n: int) -> int:
    rows = c.pick("insats", c.i_normal, n)
    for j, r in enumerate(rows):
        c.set("insats", "maluppfyllelse", r, INVALID["maluppfyllelse"][j % 3])
        c.expect("insats", c.key("insats", r), "VAL-020")
    return len(rows)


INJECTORS: dict[str, Injector] = {
    "VAL-001": _replace("person", "juridiskt_kon", "VAL-001", INVALID["juridiskt_kon"]),
    "VAL-002": _replace("person", "ursprung", "VAL-002", INVALID["ursprung"]),
    "VAL-003": _replace("aktualisering", "malgrupp", "VAL-003", INVALID["malgrupp"]),
    "VAL-004": _replace("aktualisering", "aktualiseringstyp", "VAL-004", INVALID["aktualiseringstyp"]),
    "VAL-005": _replace_item("aktualisering", "aktualiseringsorsak", "VAL-005", _invalid("orsak")),
    "VAL-006": _replace_item("aktualisering", "aktualiseringsorsak", "VAL-006", _unmarked("aktualisering")),
    "VAL-007": _replace("aktualisering", "tidigare_kontakt", "VAL-007", INVALID["tidigare_kontakt"]),
    "VAL-008": _replace_item("beslut", "problematik", "VAL-008", _invalid("orsak")),
    "VAL-009": _replace_item("beslut", "problematik", "VAL-009", _unmarked("beslut")),
    "VAL-010": val_010,
    "VAL-011": val_011,
    "VAL-013": val_013,
    "VAL-014": val_014,
    "VAL-015": val_015,
    "VAL-016": val_016,
    "VAL-017": _replace("uppfoljning", "sip", "VAL-017", INVALID["sip"]),
    "VAL-018": _replace("uppfoljning", "maluppfyllelse", "VAL-018", INVALID["maluppfyllelse"]),
    "VAL-019": _wrong_scale("uppfoljning", "VAL-019"),
    "VAL-020": _invalid_closure_mal,
    "VAL-021": _wrong_scale("insats", "VAL-021"),
    "VAL-022": _replace_item("insats", "orsak_avslut", "VAL-022", _invalid("orsak_avslut")),
}
