"""Date-order defects (DAT): a step dated before the one it follows, before the birth, or after the export."""

from __future__ import annotations

import numpy as np

from conform.generator.defects.context import Ctx
from conform.generator.defects.shared import Injector, random_days, set_date, spread


def dat_001(c: Ctx, n: int) -> int:
    w = c.w
    a = w.b_akt
    # the new gap to each verkställande (maxgap + (beslut - aktualisering) + k) stays under three months
    room = np.minimum(np.minimum(30, 80 - c.b_maxgap - (w.b_date - w.a_date[a])),
                      w.a_date[a] - w.p_birth[w.a_person[a]] - 1)
    rows = c.pick("beslut", (c.b_unstarted == 0) & (room >= 1), n)
    for r in rows:
        set_date(c, "beslut", "datum_beslut", r, int(w.a_date[a[r]]) - random_days(c, 1, int(room[r])))
        c.expect("beslut", c.key("beslut", r), "DAT-001")
    return len(rows)


def dat_002(c: Ctx, n: int) -> int:
    room = np.minimum(20, c.i_bdate - c.i_adate)
    rows = c.pick("insats", c.i_exec & ~c.i_special & (room >= 1), n)
    for r in rows:
        set_date(c, "insats", "datum_verkstallande", r, int(c.i_bdate[r]) - random_days(c, 1, int(room[r])))
        c.expect("insats", c.key("insats", r), "DAT-002")
    return len(rows)


def dat_003(c: Ctx, n: int) -> int:
    w = c.w
    i = w.u_insats
    room = np.minimum(10, w.i_verkst[i] - c.i_bdate[i])
    rows = c.pick("uppfoljning", room >= 1, n)
    for r in rows:
        set_date(c, "uppfoljning", "datum_uppfoljning", r, int(w.i_verkst[i[r]]) - random_days(c, 1, int(room[r])))
        c.expect("uppfoljning", c.key("uppfoljning", r), "DAT-003")
    return len(rows)


def dat_004(c: Ctx, n: int) -> int:
    room = np.minimum(30, c.last_uppf - c.w.i_verkst)
    rows = c.pick("insats", c.i_normal & (c.n_uppf > 0) & (room >= 1), n)
    for r in rows:
        set_date(c, "insats", "datum_avslut", r, int(c.last_uppf[r]) - random_days(c, 1, int(room[r])))
        c.expect("insats", c.key("insats", r), "DAT-004")
    return len(rows)


def dat_005(c: Ctx, n: int) -> int:
    room = np.minimum(20, c.w.i_verkst - c.i_bdate)
    base = c.i_normal & (room >= 1)

    def run(mask):
        def go(m):
            rows = c.pick("insats", mask, m)
            for r in rows:
                set_date(c, "insats", "datum_avslut", r, int(c.w.i_verkst[r]) - random_days(c, 1, int(room[r])))
                c.expect("insats", c.key("insats", r), "DAT-005")
                if c.n_uppf[r]:
                    c.expect("insats", c.key("insats", r), "DAT-004")
            return len(rows)
        return go
    done = run(base & (c.n_uppf == 0))(n)
    return done + run(base & (c.n_uppf > 0))(n - done) if done < n else done


def dat_006(c: Ctx, n: int) -> int:
    """Closure before the decision: preferably on an insats that never started (no verkställande, no
    uppföljning), else on an executed one, which then also closes before those (DAT-005, DAT-004)."""
    room = np.minimum(30, c.i_bdate - c.i_birth - 1)
    never = c.i_closed & ~c.i_exec & (room >= 1)
    rows = c.pick("insats", never, n)
    for r in rows:
        set_date(c, "insats", "datum_avslut", r, int(c.i_bdate[r]) - random_days(c, 1, int(room[r])))
        c.expect("insats", c.key("insats", r), "DAT-006")
    more = c.pick("insats", c.i_normal & (room >= 1), n - len(rows))
    for r in more:
        set_date(c, "insats", "datum_avslut", r, int(c.i_bdate[r]) - random_days(c, 1, int(room[r])))
        key = c.key("insats", r)
        c.expect("insats", key, "DAT-006")
        c.expect("insats", key, "DAT-005")
        if c.n_uppf[r]:
            c.expect("insats", key, "DAT-004")
    return len(rows) + len(more)


def dat_007(c: Ctx, n: int) -> int:
    """An aktualisering before the birth (a report about an unborn child). Every later step is compared with the
    aktualisering, so the aktualisering is the one date that can move before the birth alone; Ålder is then
    written 0 while the person-ID gives -1, which also contradicts the ID (PID-009)."""
    w = c.w
    ok_group = np.array([(g.age_min or 0) == 0 for g in c.vs.groups])[w.a_group]
    rows = c.pick("aktualisering", ok_group, n)
    for r in rows:
        set_date(c, "aktualisering", "datum_aktualisering", r, int(w.p_birth[w.a_person[r]]) - random_days(c, 5, 250))
        c.set("aktualisering", "alder", r, "0")
        key = c.key("aktualisering", r)
        c.expect("aktualisering", key, "DAT-007")
        c.expect("aktualisering", key, "PID-009")
    return len(rows)


def dat_008(c: Ctx, n: int) -> int:
    w = c.w

    def uppf(m):
        rows = c.pick("uppfoljning", c.i_open[w.u_insats], m)
        for r in rows:
            set_date(c, "uppfoljning", "datum_uppfoljning", r, w.as_of + random_days(c, 1, 60))
            c.expect("uppfoljning", c.key("uppfoljning", r), "DAT-008")
        return len(rows)

    def avslut(m):
        rows = c.pick("insats", c.i_normal, m)
        for r in rows:
            set_date(c, "insats", "datum_avslut", r, w.as_of + random_days(c, 1, 60))
            c.expect("insats", c.key("insats", r), "DAT-008")
        return len(rows)

    def beslut(m):
        rows = c.pick("beslut", c.b_nins == 0, m)
        for r in rows:
            set_date(c, "beslut", "datum_beslut", r, w.as_of + random_days(c, 1, 60))
            c.expect("beslut", c.key("beslut", r), "DAT-008")
        return len(rows)
    return spread(n, [uppf, avslut, beslut])


INJECTORS: dict[str, Injector] = {
    "DAT-001": dat_001,
    "DAT-002": dat_002,
    "DAT-003": dat_003,
    "DAT-004": dat_004,
    "DAT-005": dat_005,
    "DAT-006": dat_006,
    "DAT-007": dat_007,
    "DAT-008": dat_008,
}
