"""Person-ID defects (PID): a personnummer in the wrong form or with a wrong check digit, a juridiskt kön or an
Ålder that contradicts it, the same person twice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from conform.generator import dates as D
from conform.generator.dates import NA
from conform.generator.defects.context import Ctx
from conform.generator.defects.samples import INVALID
from conform.generator.defects.shared import Injector, set_date
from conform.generator.persons import luhn


def _pid(form: Callable[[Ctx, str, int], str | None], rule: str, mask_fn=None):
    """An injector that rewrites a person's ID as form(c, id, j) gives it, everywhere the person is named."""
    def inject(c: Ctx, n: int) -> int:
        mask = mask_fn(c) if mask_fn else np.ones(len(c.w.p_id), bool)
        done = 0
        while done < n:
            rows = c.pick("person", mask, n - done, level="person")
            if len(rows) == 0:
                break
            mask[rows] = False
            for j, p in enumerate(rows):
                new = form(c, c.key("person", p), done + j)
                if new is None or new in c.new_ids:
                    continue  # the person stays claimed, untouched
                c.set_person_id(p, new)
                c.expect("person", new, rule)
                done += 1
        return done
    return inject


def _with_luhn(eleven: str) -> str:
    return eleven + str(int(luhn(np.array([int(eleven)]))[0]))


PID_FORMS = {
    "PID-001": lambda c, s, j: f"{s[:8]}-{s[8:]}",
    "PID-002": lambda c, s, j: s[2:],
    "PID-003": lambda c, s, j: s[:8],
    "PID-004": lambda c, s, j: s[:8] + INVALID["pid_letters"][j % 3],
    "PID-005": lambda c, s, j: _with_luhn(s[:4] + "13" + s[6:11]),
    "PID-006": lambda c, s, j: s[:11] + str((int(s[11]) + int(c.rng.integers(1, 10))) % 10),
    "PID-007": lambda c, s, j: _with_luhn(s[:8] + "000"),
}


def pid_008(c: Ctx, n: int) -> int:
    rows = c.pick("person", np.ones(len(c.w.p_id), bool), n, level="person")
    for p in rows:
        wrong = c.vs.kon_even if c.w.p_odd[p] else c.vs.kon_odd
        c.set("person", "juridiskt_kon", p, c.vs.kon[wrong])
        c.expect("person", c.key("person", p), "PID-008")
    return len(rows)


def _age_bounds(c: Ctx, group: int) -> tuple[int, int]:
    g = c.vs.groups[group]
    return (g.age_min or 0), (g.age_max if g.age_max is not None else 120)


def pid_009(c: Ctx, n: int) -> int:
    w = c.w
    rows = c.pick("aktualisering", np.ones(len(w.a_person), bool), n)
    for r in rows:
        lo, hi = _age_bounds(c, w.a_group[r])
        age = int(w.a_alder[r])
        options = [age + d for d in (2, 3, 4, -2, -3, -4) if lo <= age + d <= hi]
        if not options:  # cannot happen with target ages inside the plausible ones; keep the record clean
            continue
        c.set("aktualisering", "alder", r, str(c.choice(options)))
        c.expect("aktualisering", c.key("aktualisering", r), "PID-009")
    return len(rows)


def pid_010(c: Ctx, n: int) -> int:
    """Move the aktualisering to the day before or after a birthday and write the age one off, as a system
    reading a birth date a day or two out would."""
    w = c.w
    birth = w.p_birth[w.a_person]
    _, bm, bd = D.ymd(birth)
    mmdd = bm * 100 + bd
    ok = ~((mmdd >= 226) & (mmdd <= 304))   # keep clear of 29 February
    upper = np.where(c.a_beslut >= 0, w.b_date[np.maximum(c.a_beslut, 0)], w.as_of)
    upper = np.minimum(upper, w.as_of)
    y, _, _ = D.ymd(w.a_date)
    best = np.full(len(w.a_date), NA)
    best_alder = np.zeros(len(w.a_date), np.int64)
    lo_age = np.array([_age_bounds(c, g)[0] for g in range(len(c.vs.groups))])[w.a_group]
    hi_age = np.array([_age_bounds(c, g)[1] for g in range(len(c.vs.groups))])[w.a_group]
    for shift in (0, -1):
        anniversary = D.from_ymd(y + shift, bm, bd)
        for step, off in ((-1, 1), (1, -1)):
            new = anniversary + step
            alder = D.age(birth, new) + off
            fits = (new <= upper) & (new >= birth + 370) & (alder >= lo_age) & (alder <= hi_age)
            better = fits & ((best == NA) | (np.abs(new - w.a_date) < np.abs(best - w.a_date)))
            best = np.where(better, new, best)
            best_alder = np.where(better, alder, best_alder)
    rows = c.pick("aktualisering", ok & (best != NA), n)
    for r in rows:
        set_date(c, "aktualisering", "datum_aktualisering", r, int(best[r]))
        c.set("aktualisering", "alder", r, str(int(best_alder[r])))
        c.expect("aktualisering", c.key("aktualisering", r), "PID-010")
    return len(rows)


def pid_011(c: Ctx, n: int) -> int:
    """The same person twice: the plain and the hyphenated form of one number, with different ursprung. Both rows
    are PID-011 findings; the hyphenated one is also PID-001. The keys differ, so no duplicate key."""
    rows = c.pick("person", c.w.p_ursprung >= 0, n, level="person")
    for p in rows:
        s = c.key("person", p)
        hyphenated = f"{s[:8]}-{s[8:]}"
        other = [u for i, u in enumerate(c.vs.ursprung) if i != c.w.p_ursprung[p]]
        c.added["person"].append({"copy": int(p), "set": {"person_id": hyphenated, "ursprung": c.choice(other)}})
        c.expect("person", s, "PID-011")
        c.expect("person", hyphenated, "PID-011")
        c.expect("person", hyphenated, "PID-001")
    return len(rows)


INJECTORS: dict[str, Injector] = {
    **{code: _pid(form, code, (lambda c: ~c.w.p_odd) if code == "PID-007" else None)
       for code, form in PID_FORMS.items()},
    "PID-008": pid_008,
    "PID-009": pid_009,
    "PID-010": pid_010,
    "PID-011": pid_011,
}
