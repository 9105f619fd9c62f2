"""Plausibility defects (PLA): records each valid on its own that a human would question: an age far outside the
target group, an insats not started or started late, a closure reason the record contradicts, events after a death."""

from __future__ import annotations

import numpy as np

from conform.generator import dates as D
from conform.generator.dates import NA
from conform.generator.defects.context import Ctx
from conform.generator.defects.shared import Injector, random_days, set_date


def pla_001(c: Ctx, n: int) -> int:
    """A case relabelled to a target group whose plausible ages the person is far outside. Only cases whose
    reasons and problems are all suggested for the new group and that have no insats qualify, so no value
    rule of the new group fires."""
    w, vs = c.w, c.vs
    n_a = len(w.a_person)
    orsak_ok = np.ones((n_a, len(vs.groups)), bool)
    prob = np.full((n_a, w.b_prob.shape[1]), -1)
    has_b = c.a_beslut >= 0
    prob[has_b] = w.b_prob[c.a_beslut[has_b]]
    for items in (w.a_orsak, prob):
        for j in range(items.shape[1]):
            v = items[:, j]
            orsak_ok &= np.where((v >= 0)[:, None], vs.marked[:, np.maximum(v, 0)].T, True)
    valid = orsak_ok & (c.a_nins == 0)[:, None]
    for g in vs.groups:
        lo, hi = g.age_min, g.age_max
        outside = np.zeros(n_a, bool)
        if lo is not None:
            outside |= w.a_alder <= lo - 3
        if hi is not None:
            outside |= w.a_alder >= hi + 3
        valid[:, g.index] &= outside & (w.a_group != g.index)
    rows = c.pick("aktualisering", valid.any(axis=1), n)
    for r in rows:
        g = c.choice(np.flatnonzero(valid[r]))
        c.set("aktualisering", "malgrupp", r, vs.malgrupp[g])
        c.expect("aktualisering", c.key("aktualisering", r), "PLA-001")
    return len(rows)


def pla_002(c: Ctx, n: int) -> int:
    rows = c.pick("insats", c.i_open & c.i_exec & (c.n_uppf == 0) & (c.i_bdate <= c.w.as_of - 100), n)
    for r in rows:
        c.set("insats", "datum_verkstallande", r, None)
        c.expect("insats", c.key("insats", r), "PLA-002")
    return len(rows)


def pla_003(c: Ctx, n: int) -> int:
    w = c.w
    limit = np.minimum(np.minimum(c.first_uppf, np.where(c.i_closed, w.i_avslut, w.as_of)), w.as_of)
    room = np.minimum(limit - c.i_bdate, 150)
    rows = c.pick("insats", c.i_exec & ~c.i_special & (room >= 100), n)
    for r in rows:
        set_date(c, "insats", "datum_verkstallande", r, int(c.i_bdate[r]) + random_days(c, 95, int(room[r])))
        c.expect("insats", c.key("insats", r), "PLA-003")
    return len(rows)


def _closure(reason_role: str, rule: str, mask_fn):
    """An injector that closes an insats with the reason of `reason_role` where mask_fn(c) says it cannot hold."""
    def inject(c: Ctx, n: int) -> int:
        rows = c.pick("insats", mask_fn(c), n)
        for r in rows:
            c.set("insats", "orsak_avslut", r, c.vs.orsak_avslut[c.vs.reason[reason_role]])
            c.expect("insats", c.key("insats", r), rule)
        return len(rows)
    return inject


def pla_005(c: Ctx, n: int) -> int:
    """A person recorded as dead ("Brukaren har avlidit") on an insats, with later events. Every date field
    after the death is a finding on its record; cases with the fewest such dates are preferred."""
    w = c.w
    big, off = np.int64(10**6), np.int64(500_000)
    i_akt = c.i_akt
    sources = [("aktualisering", np.arange(len(w.a_person)), w.a_person, w.a_date),
               ("beslut", np.arange(len(w.b_akt)), w.a_person[w.b_akt], w.b_date),
               ("insats", np.arange(len(i_akt)), c.i_person, w.i_verkst),
               ("insats", np.arange(len(i_akt)), c.i_person, w.i_avslut),
               ("uppfoljning", np.arange(len(w.u_insats)), c.i_person[w.u_insats], w.u_date)]
    ev_key = np.concatenate([p * big + d + off for _, _, p, d in sources])
    ev_valid = np.concatenate([d != NA for _, _, _, d in sources])
    ev_key = np.sort(ev_key[ev_valid])
    cand = np.flatnonzero(c.i_normal)
    p = c.i_person[cand]
    later = (np.searchsorted(ev_key, p * big + big - 1, side="right")
             - np.searchsorted(ev_key, p * big + w.i_avslut[cand] + off, side="right"))
    cand, later = cand[later > 0], later[later > 0]
    shuffled = c.rng.permutation(len(cand))
    order = shuffled[np.argsort(later[shuffled], kind="stable")]
    rows = c.pick("insats", cand[order], n, level="person", shuffle=False)
    n_p = len(w.p_id)
    index = []
    for table, ids, owner, d in sources:
        order = np.argsort(owner, kind="stable")
        index.append((table, ids[order], d[order], np.searchsorted(owner[order], np.arange(n_p + 1))))
    for r in rows:
        death = w.i_avslut[r]
        person = c.i_person[r]
        c.set("insats", "orsak_avslut", r, c.vs.orsak_avslut[c.vs.reason["deceased"]])
        for table, ids, d, starts in index:
            lo, hi = starts[person], starts[person + 1]
            for x in ids[lo:hi][(d[lo:hi] != NA) & (d[lo:hi] > death)]:
                c.expect(table, c.key(table, x), "PLA-005")
    return len(rows)


def pla_006(c: Ctx, n: int) -> int:
    rows = c.pick("insats", c.i_normal & (c.n_uppf == 0), n)
    for r in rows:
        c.set("insats", "datum_verkstallande", r, None)
        c.expect("insats", c.key("insats", r), "PLA-006")
    return len(rows)


def _under_18(c: Ctx) -> np.ndarray:
    return c.i_normal & (D.age(c.i_birth, np.where(c.i_closed, c.w.i_avslut, 0)) <= 17)



INJECTORS: dict[str, Injector] = {
    "PLA-001": pla_001,
    "PLA-002": pla_002,
    "PLA-003": pla_003,
    "PLA-004": _closure("turned_18", "PLA-004", _under_18),
    "PLA-005": pla_005,
    "PLA-006": pla_006,
    "PLA-007": _closure("never_started", "PLA-007", lambda c: c.i_normal),
}
