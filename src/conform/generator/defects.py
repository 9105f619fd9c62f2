"""Known defects in a clean synthetic export, and the findings they must cause.

:data:`INJECTORS` maps every rule code to the function that plants that defect. Each injection corrupts one
record (a person-ID change also rewrites the person's aktualisering rows so no reference breaks) and lists
every finding it causes in ``expected_findings.csv`` as ``table,key,rule``: the record that holds the offending
value, or, where two records are compared, the later step's / the child's record.

Isolation: an injection claims the whole case it touches, so no two defects share a case and no defect makes
another record fail:

* person-level defects (person-ID, juridiskt kön, ursprung, a person row copied, a death) claim the person and
  all of their aktualiseringar with everything below them;
* all other defects claim one aktualisering with its beslut, insatser and uppföljningar.

Persons whose birth date cannot be read and persons who died in the clean data ("Brukaren har avlidit") are
never corrupted. Insatser closed with a reason that has a meaning (died, turned 18, never started) keep it.
Since a case takes one defect, the share of corrupted records tops out near one per aktualisering (about 18 %
of the records); a higher ``defects`` rate gives that many.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
import polars as pl

from conform.generator import dates as D
from conform.generator.clean import World, key_width
from conform.generator.dates import NA
from conform.generator.persons import luhn

PK = {"person": "person_id", "aktualisering": "aktualisering_id", "beslut": "beslut_id", "insats": "insats_id",
      "uppfoljning": "uppfoljning_id"}
FK = {"aktualisering": ("person_id", "person"), "beslut": ("aktualisering_id", "aktualisering"),
      "insats": ("beslut_id", "beslut"), "uppfoljning": ("insats_id", "insats")}
PREFIX = {"aktualisering": "A", "beslut": "B", "insats": "I", "uppfoljning": "U"}

# Invalid samples: strings an export might hold that are in no value set (checked at run time).
INVALID = {
    "juridiskt_kon": ["Kvinna", "Man", "K"],
    "ursprung": ["Sverige", "Utlandet", "Okänt"],
    "malgrupp": ["Barn", "Missbruk", "LSS"],
    "aktualiseringstyp": ["Orosanmälan", "Egen ansökan", "Remiss"],
    "orsak": ["Hemlöshet", "Missbruk", "Arbetslöshet"],
    "tidigare_kontakt": ["Ja", "Okänt", "Nej, aldrig"],
    "insats_kod": ["YAX.99.ZZ", "YAC.99.ZZ", "YAA.05"],
    "insats": ["Hemtjänst dag", "Boende", "Övrig insats"],
    "sip": ["Ja", "SIP finns", "Nej, ingen SIP"],
    "maluppfyllelse": ["Delvis", "Bra", "Målet uppfyllt"],
    "orsak_avslut": ["Flyttat", "Avliden", "Klar"],
    "alder": ["abc", "-3", "12.5"],
    "pid_letters": ["ABCD", "TEST", "NNNN"],
}


def _bad_date(days: int, variant: int) -> str:
    """A date written in a way that is not ISO 8601, or that is no real date."""
    y, m, d = (int(v[0]) for v in D.ymd(np.array([days])))
    variant %= 4
    if variant == 1 and (m < 10 or d < 10):
        return f"{y}-{m}-{d}"
    if variant == 0:
        return f"{y}/{m:02d}/{d:02d}"
    if variant == 3:
        last = int(D.from_ymd(np.array([y]), np.array([m + 1]), np.array([1]))[0]
                   - D.from_ymd(np.array([y]), np.array([m]), np.array([1]))[0])
        return f"{y}-{m:02d}-{last + 1:02d}"
    return f"{y}{m:02d}{d:02d}"


class Ctx:
    """The clean world, the frames being corrupted, the claims and the expected findings."""

    def __init__(self, w: World, frames: dict[str, pl.DataFrame], rng: np.random.Generator):
        self.w, self.vs, self.rng, self.frames = w, w.vs, rng, frames
        vs = self.vs
        bad = {v for vals in INVALID.values() for v in vals} & vs.all_strings()
        if bad:
            raise ValueError(f"invalid samples that are valid values: {sorted(bad)}")
        n_p, n_a, n_i = len(w.p_id), len(w.a_person), len(w.i_beslut)
        self.i_akt = w.b_akt[w.i_beslut]
        self.u_akt = self.i_akt[w.u_insats]
        self.akt_of = {"aktualisering": np.arange(n_a), "beslut": w.b_akt, "insats": self.i_akt,
                       "uppfoljning": self.u_akt}
        self.p_claim = np.zeros(n_p, bool)
        self.p_touched = np.zeros(n_p, bool)
        self.a_claim = np.zeros(n_a, bool)
        # persons never corrupted: unreadable birth date, or died in the clean data
        i_person = w.a_person[self.i_akt]
        self.i_person = i_person
        deceased = np.zeros(n_p, bool)
        deceased[i_person[(w.i_orsak == vs.reason["deceased"]).any(axis=1)]] = True
        self.p_excluded = deceased | ~w.p_known
        # insats facts
        self.i_group = w.a_group[self.i_akt]
        self.i_closed = w.i_avslut != NA
        self.i_exec = w.i_verkst != NA
        special = np.isin(w.i_orsak, list(vs.reason.values())).any(axis=1)
        self.i_special = special
        self.i_normal = self.i_closed & self.i_exec & ~special      # closed after being executed, plain reasons
        self.i_open = ~self.i_closed
        self.i_bdate = w.b_date[w.i_beslut]
        self.i_adate = w.a_date[self.i_akt]
        self.i_birth = w.p_birth[i_person]
        self.n_uppf = np.bincount(w.u_insats, minlength=n_i)
        self.first_uppf = np.full(n_i, np.iinfo(np.int64).max)
        np.minimum.at(self.first_uppf, w.u_insats, w.u_date)
        self.last_uppf = np.full(n_i, NA)
        np.maximum.at(self.last_uppf, w.u_insats, w.u_date)
        # beslut facts
        n_b = len(w.b_akt)
        self.b_nins = np.bincount(w.i_beslut, minlength=n_b)
        unstarted = self.i_open & ~self.i_exec
        self.b_unstarted = np.bincount(w.i_beslut[unstarted], minlength=n_b)
        gap = np.where(self.i_exec, w.i_verkst - self.i_bdate, 0)
        self.b_maxgap = np.zeros(n_b, np.int64)
        np.maximum.at(self.b_maxgap, w.i_beslut, gap)
        self.a_nins = np.bincount(self.i_akt, minlength=n_a)
        self.a_beslut = np.full(n_a, -1)
        self.a_beslut[w.b_akt] = np.arange(n_b)
        order = np.argsort(w.a_person, kind="stable")
        self._akt_by_person = order
        self._akt_starts = np.searchsorted(w.a_person[order], np.arange(n_p + 1))
        # output
        self.keys = {t: frames[t][PK[t]] for t in frames}
        self.edits: dict[tuple[str, str], dict[int, str | None]] = defaultdict(dict)
        self.added: dict[str, list[dict]] = defaultdict(list)
        self.expected: list[tuple[str, str, str]] = []
        self.new_ids: set[str] = set()

    # -- choosing records --------------------------------------------------------------------------------------
    def pick(self, table: str, mask: np.ndarray, n: int, level: str = "akt", shuffle: bool = True) -> np.ndarray:
        """Up to n rows of `table` where mask holds, each from a case no other defect has claimed; claims them."""
        if n <= 0:
            return np.zeros(0, np.int64)
        rows = np.flatnonzero(mask) if mask.dtype == bool else np.asarray(mask, np.int64)
        if shuffle:
            rows = self.rng.permutation(rows)
        chosen: list[np.ndarray] = []
        got, start, chunk = 0, 0, 4 * n + 64
        while got < n and start < len(rows):
            part = self._claim(table, rows[start:start + chunk], n - got, level)
            chosen.append(part)
            got += len(part)
            start += chunk
            chunk *= 2
        return np.concatenate(chosen) if chosen else np.zeros(0, np.int64)

    def _claim(self, table: str, rows: np.ndarray, n: int, level: str) -> np.ndarray:
        if table == "person":
            person, akt = rows, None
        else:
            akt = self.akt_of[table][rows]
            person = self.w.a_person[akt]
        ok = ~self.p_excluded[person] & ~self.p_claim[person]
        ok &= ~self.p_touched[person] if level == "person" else ~self.a_claim[akt]
        rows, person = rows[ok], person[ok]
        cluster = person if level == "person" else akt[ok]
        _, first = np.unique(cluster, return_index=True)
        first.sort()
        take = first[:n]
        rows, person = rows[take], person[take]
        if level == "person":
            self.p_claim[person] = True
        else:
            self.a_claim[cluster[take]] = True
            self.p_touched[person] = True
        return rows

    def akts_of(self, person: int) -> np.ndarray:
        return self._akt_by_person[self._akt_starts[person]:self._akt_starts[person + 1]]

    # -- writing ---------------------------------------------------------------------------------------------------
    def key(self, table: str, row: int) -> str:
        return self.keys[table][int(row)]

    def set(self, table: str, column: str, row: int, value: str | None) -> None:
        self.edits[(table, column)][int(row)] = value

    def expect(self, table: str, key: str, rule: str) -> None:
        self.expected.append((table, key, rule))

    def value(self, table: str, column: str, row: int) -> str | None:
        return self.frames[table][column][int(row)]

    def items(self, table: str, column: str, row: int) -> list[str]:
        v = self.value(table, column, row)
        return v.split("|") if v else []

    def set_person_id(self, person: int, new: str) -> None:
        self.set("person", "person_id", person, new)
        for a in self.akts_of(person):
            self.set("aktualisering", "person_id", a, new)
        self.new_ids.add(new)

    def choice(self, values):
        return values[int(self.rng.integers(0, len(values)))]

    def apply(self) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
        out = dict(self.frames)
        for (table, column), cells in sorted(self.edits.items()):
            rows = np.fromiter(cells.keys(), dtype=np.int64, count=len(cells))
            series = out[table][column].clone()
            series.scatter(rows, pl.Series(list(cells.values()), dtype=pl.String))
            out[table] = out[table].with_columns(series)
        for table, rows in self.added.items():
            copies = []
            for spec in rows:
                row = dict(out[table].row(spec["copy"], named=True)) if "copy" in spec else {}
                row.update(spec.get("set", {}))
                copies.append(row)
            out[table] = pl.concat([out[table], pl.DataFrame(copies, schema=out[table].schema)])
        expected = pl.DataFrame(self.expected, schema={"table": pl.String, "key": pl.String, "rule": pl.String},
                                orient="row").sort(["rule", "table", "key"], maintain_order=True)
        return out, expected


def _spread(n: int, variants: list[Callable[[int], int]]) -> int:
    """Share n over the variants (rotating), then give what some could not place to the others."""
    k = len(variants)
    quotas = [n // k + (j < n % k) for j in range(k)]
    done = [v(q) for v, q in zip(variants, quotas)]
    left = n - sum(done)
    for v in variants:
        if left <= 0:
            break
        left -= v(left)
    return n - left


# =====================================================================================================================
# Injectors. Each takes (ctx, n), injects up to n defects and returns how many it injected.
# =====================================================================================================================
def _empty(table: str, column: str, rule: str, mask_fn=None):
    def inject(c: Ctx, n: int) -> int:
        mask = mask_fn(c) if mask_fn else c.frames[table][column].is_not_null().to_numpy()
        rows = c.pick(table, mask, n, level="person" if table == "person" else "akt")
        for r in rows:
            c.set(table, column, r, None)
            c.expect(table, c.key(table, r), rule)
        return len(rows)
    return inject


def _replace(table: str, column: str, rule: str, samples: list[str]):
    def inject(c: Ctx, n: int) -> int:
        mask = np.ones(c.frames[table].height, bool)
        rows = c.pick(table, mask, n, level="person" if table == "person" else "akt")
        for j, r in enumerate(rows):
            c.set(table, column, r, samples[j % len(samples)])
            c.expect(table, c.key(table, r), rule)
        return len(rows)
    return inject


def str_006(c: Ctx, n: int) -> int:
    w = c.w

    def variant(table, column, days):
        def run(m):
            rows = c.pick(table, np.ones(len(days), bool), m)
            for j, r in enumerate(rows):
                c.set(table, column, r, _bad_date(int(days[r]), j + int(r)))
                c.expect(table, c.key(table, r), "STR-006")
            return len(rows)
        return run
    # not datum_verkstallande / datum_avslut: an unreadable one would count as absent for the plausibility rules
    return _spread(n, [variant("aktualisering", "datum_aktualisering", w.a_date),
                       variant("beslut", "datum_beslut", w.b_date),
                       variant("uppfoljning", "datum_uppfoljning", w.u_date)])


def str_007(c: Ctx, n: int) -> int:
    rows = c.pick("aktualisering", np.ones(len(c.w.a_person), bool), n)
    for j, r in enumerate(rows):
        c.set("aktualisering", "alder", r, INVALID["alder"][j % 3])
        c.expect("aktualisering", c.key("aktualisering", r), "STR-007")
    return len(rows)


def car_008(c: Ctx, n: int) -> int:
    rows = c.pick("insats", np.ones(len(c.w.i_beslut), bool), n)
    for r in rows:
        _set_insats(c, r, None, None)
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
    return _spread(n, [variant("aktualisering", "aktualiseringstyp", vs.aktualiseringstyp, "VAL-004"),
                       variant("uppfoljning", "sip", vs.sip, "VAL-017"),
                       variant("aktualisering", "tidigare_kontakt", vs.tidigare_kontakt, "VAL-007"),
                       variant("person", "ursprung", vs.ursprung, "VAL-002")])


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


def _set_insats(c: Ctx, r: int, code: str | None, name: str | None) -> None:
    c.set("insats", "insats_kod", r, code)
    c.set("insats", "insats", r, name)


def val_010(c: Ctx, n: int) -> int:
    rows = c.pick("insats", np.ones(len(c.w.i_beslut), bool), n)
    for j, r in enumerate(rows):
        _set_insats(c, r, INVALID["insats_kod"][j % 3], None)
        c.expect("insats", c.key("insats", r), "VAL-010")
    return len(rows)


def val_011(c: Ctx, n: int) -> int:
    ok = np.array([len(g.other_info_codes) > 0 for g in c.vs.groups])[c.i_group]
    rows = c.pick("insats", ok, n)
    for r in rows:
        g = c.vs.groups[c.i_group[r]]
        _set_insats(c, r, c.vs.andra_kod[c.choice(g.other_info_codes)], None)
        c.expect("insats", c.key("insats", r), "VAL-011")
    return len(rows)


def _insats_from(c: Ctx, n: int, rule: str, candidates) -> int:
    """Give `n` insatser one of their group's `candidates(group)` (code and name), each expecting `rule`."""
    ok = np.array([len(candidates(g)) > 0 for g in c.vs.groups])[c.i_group]
    rows = c.pick("insats", ok, n)
    for r in rows:
        it = c.choice(candidates(c.vs.groups[c.i_group[r]]))
        _set_insats(c, r, c.vs.insats_kod[it], c.vs.insats_name[it])
        c.expect("insats", c.key("insats", r), rule)
    return len(rows)


def val_013(c: Ctx, n: int) -> int:
    return _insats_from(c, n, "VAL-013", lambda g: g.over)


def val_014(c: Ctx, n: int) -> int:
    rows = c.pick("insats", np.ones(len(c.w.i_beslut), bool), n)
    for j, r in enumerate(rows):
        _set_insats(c, r, None, INVALID["insats"][j % 3])
        c.expect("insats", c.key("insats", r), "VAL-014")
    return len(rows)


def _coded(c: Ctx, g) -> np.ndarray:
    return np.array([i for i in g.insats if c.vs.insats_kod[i] is not None and c.vs.insats_typ[i] == "insats"])


def val_015(c: Ctx, n: int) -> int:
    ok = np.array([len(_coded(c, g)) >= 2 for g in c.vs.groups])[c.i_group]
    rows = c.pick("insats", ok, n)
    for r in rows:
        a, b = c.rng.choice(_coded(c, c.vs.groups[c.i_group[r]]), size=2, replace=False)
        _set_insats(c, r, c.vs.insats_kod[a], c.vs.insats_name[b])
        c.expect("insats", c.key("insats", r), "VAL-015")
    return len(rows)


def val_016(c: Ctx, n: int) -> int:
    return _insats_from(c, n, "VAL-016", lambda g: g.foreign)


def _wrong_scale(table: str, rule: str):
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


# -- date order -------------------------------------------------------------------------------------------------------
def _k(c: Ctx, lo: int, hi: int) -> int:
    return int(c.rng.integers(lo, hi + 1))


def _set_date(c: Ctx, table: str, column: str, r: int, days: int) -> None:
    c.set(table, column, r, D.iso(days))


def dat_001(c: Ctx, n: int) -> int:
    w = c.w
    a = w.b_akt
    # the new gap to each verkställande (maxgap + (beslut - aktualisering) + k) stays under three months
    room = np.minimum(np.minimum(30, 80 - c.b_maxgap - (w.b_date - w.a_date[a])),
                      w.a_date[a] - w.p_birth[w.a_person[a]] - 1)
    rows = c.pick("beslut", (c.b_unstarted == 0) & (room >= 1), n)
    for r in rows:
        _set_date(c, "beslut", "datum_beslut", r, int(w.a_date[a[r]]) - _k(c, 1, int(room[r])))
        c.expect("beslut", c.key("beslut", r), "DAT-001")
    return len(rows)


def dat_002(c: Ctx, n: int) -> int:
    room = np.minimum(20, c.i_bdate - c.i_adate)
    rows = c.pick("insats", c.i_exec & ~c.i_special & (room >= 1), n)
    for r in rows:
        _set_date(c, "insats", "datum_verkstallande", r, int(c.i_bdate[r]) - _k(c, 1, int(room[r])))
        c.expect("insats", c.key("insats", r), "DAT-002")
    return len(rows)


def dat_003(c: Ctx, n: int) -> int:
    w = c.w
    i = w.u_insats
    room = np.minimum(10, w.i_verkst[i] - c.i_bdate[i])
    rows = c.pick("uppfoljning", room >= 1, n)
    for r in rows:
        _set_date(c, "uppfoljning", "datum_uppfoljning", r, int(w.i_verkst[i[r]]) - _k(c, 1, int(room[r])))
        c.expect("uppfoljning", c.key("uppfoljning", r), "DAT-003")
    return len(rows)


def dat_004(c: Ctx, n: int) -> int:
    room = np.minimum(30, c.last_uppf - c.w.i_verkst)
    rows = c.pick("insats", c.i_normal & (c.n_uppf > 0) & (room >= 1), n)
    for r in rows:
        _set_date(c, "insats", "datum_avslut", r, int(c.last_uppf[r]) - _k(c, 1, int(room[r])))
        c.expect("insats", c.key("insats", r), "DAT-004")
    return len(rows)


def dat_005(c: Ctx, n: int) -> int:
    room = np.minimum(20, c.w.i_verkst - c.i_bdate)
    base = c.i_normal & (room >= 1)

    def run(mask):
        def go(m):
            rows = c.pick("insats", mask, m)
            for r in rows:
                _set_date(c, "insats", "datum_avslut", r, int(c.w.i_verkst[r]) - _k(c, 1, int(room[r])))
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
        _set_date(c, "insats", "datum_avslut", r, int(c.i_bdate[r]) - _k(c, 1, int(room[r])))
        c.expect("insats", c.key("insats", r), "DAT-006")
    more = c.pick("insats", c.i_normal & (room >= 1), n - len(rows))
    for r in more:
        _set_date(c, "insats", "datum_avslut", r, int(c.i_bdate[r]) - _k(c, 1, int(room[r])))
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
        _set_date(c, "aktualisering", "datum_aktualisering", r, int(w.p_birth[w.a_person[r]]) - _k(c, 5, 250))
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
            _set_date(c, "uppfoljning", "datum_uppfoljning", r, w.as_of + _k(c, 1, 60))
            c.expect("uppfoljning", c.key("uppfoljning", r), "DAT-008")
        return len(rows)

    def avslut(m):
        rows = c.pick("insats", c.i_normal, m)
        for r in rows:
            _set_date(c, "insats", "datum_avslut", r, w.as_of + _k(c, 1, 60))
            c.expect("insats", c.key("insats", r), "DAT-008")
        return len(rows)

    def beslut(m):
        rows = c.pick("beslut", c.b_nins == 0, m)
        for r in rows:
            _set_date(c, "beslut", "datum_beslut", r, w.as_of + _k(c, 1, 60))
            c.expect("beslut", c.key("beslut", r), "DAT-008")
        return len(rows)
    return _spread(n, [uppf, avslut, beslut])


# -- person-ID ----------------------------------------------------------------------------------------------------------
def _pid(form: Callable[[Ctx, str, int], str | None], rule: str, mask_fn=None):
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
        _set_date(c, "aktualisering", "datum_aktualisering", r, int(best[r]))
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


# -- integrity ----------------------------------------------------------------------------------------------------------
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
    return _spread(n, [variant(t) for t in ("insats", "aktualisering", "beslut", "uppfoljning", "person")])


def _broken_reference(rule: str):
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
        return _spread(n, [variant(t) for t in ("beslut", "insats", "uppfoljning")])
    return inject


# -- plausibility -------------------------------------------------------------------------------------------------------
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
        _set_date(c, "insats", "datum_verkstallande", r, int(c.i_bdate[r]) + _k(c, 95, int(room[r])))
        c.expect("insats", c.key("insats", r), "PLA-003")
    return len(rows)


def _closure(reason_role: str, rule: str, mask_fn):
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


INJECTORS: dict[str, Callable[[Ctx, int], int]] = {
    "STR-006": str_006,
    "STR-007": str_007,
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
    "DAT-001": dat_001,
    "DAT-002": dat_002,
    "DAT-003": dat_003,
    "DAT-004": dat_004,
    "DAT-005": dat_005,
    "DAT-006": dat_006,
    "DAT-007": dat_007,
    "DAT-008": dat_008,
    **{code: _pid(form, code, (lambda c: ~c.w.p_odd) if code == "PID-007" else None)
       for code, form in PID_FORMS.items()},
    "PID-008": pid_008,
    "PID-009": pid_009,
    "PID-010": pid_010,
    "PID-011": pid_011,
    "INT-001": int_001,
    "INT-003": _broken_reference("INT-003"),
    "INT-004": _broken_reference("INT-004"),
    "PLA-001": pla_001,
    "PLA-002": pla_002,
    "PLA-003": pla_003,
    "PLA-004": _closure("turned_18", "PLA-004", _under_18),
    "PLA-005": pla_005,
    "PLA-006": pla_006,
    "PLA-007": _closure("never_started", "PLA-007", lambda c: c.i_normal),
}


# Rules whose candidates are rare run first; the plain ones absorb what the rare ones could not place.
FIRST = ["PLA-005", "PID-011", "PID-007", "PID-001", "PID-002", "PID-003", "PID-004", "PID-005", "PID-006",
         "PID-008", "CAR-001", "VAL-001", "VAL-002", "DAT-007", "PLA-001", "PLA-004", "PLA-002", "PLA-003",
         "DAT-006", "DAT-005", "DAT-004", "VAL-011", "VAL-013", "PID-010", "DAT-008", "DAT-001", "DAT-002",
         "DAT-003", "PLA-006", "PLA-007", "CAR-011", "CAR-012", "CAR-013", "CAR-014", "VAL-020", "VAL-021",
         "VAL-022", "VAL-006", "VAL-009"]
BULK = ["CAR-002", "CAR-003", "CAR-004", "CAR-005", "CAR-006", "CAR-007", "CAR-008", "CAR-009", "CAR-010",
        "CAR-016", "VAL-003", "VAL-004", "VAL-005", "VAL-007", "VAL-008", "VAL-010", "VAL-014", "VAL-017",
        "VAL-018", "VAL-019", "STR-006", "STR-007", "PID-009", "INT-001", "INT-003", "INT-004"]
MIN_PERSONS_FOR_ALL_RULES = 100


def quotas(n_defects: int, persons: int, rng: np.random.Generator) -> dict[str, int]:
    """Defects per rule: spread evenly, at least one each from 100 persons on (else as many rules as defects)."""
    codes = list(INJECTORS)
    k = len(codes)
    if persons >= MIN_PERSONS_FOR_ALL_RULES or n_defects >= k:
        total = max(n_defects, k)
        return {code: total // k + (j < total % k) for j, code in enumerate(codes)}
    chosen = set(rng.choice(k, size=max(1, n_defects), replace=False).tolist())
    return {code: int(j in chosen) for j, code in enumerate(codes)}


def inject(w: World, frames: dict[str, pl.DataFrame], rate: float, seed: int
           ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, dict[str, int]]:
    """Corrupt about ``rate`` of the records; returns the frames, the expected findings and defects per rule."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20250630, 2]))
    c = Ctx(w, frames, rng)
    records = sum(f.height for f in frames.values())
    want = quotas(int(round(rate * records)), len(w.p_id), rng)
    order = FIRST + [code for code in INJECTORS if code not in FIRST]
    # first one defect per rule (so every rule is present even when cases run short), then the rest
    done = {code: INJECTORS[code](c, min(1, want[code])) for code in order}
    short = 0
    for code in order:
        done[code] += INJECTORS[code](c, want[code] - done[code])
        short += want[code] - done[code]
    # what the rare rules could not place goes to the plain ones, as long as they find cases
    while short > 0:
        placed = 0
        for code in BULK:
            if short <= 0:
                break
            got = INJECTORS[code](c, min(short, max(1, short // len(BULK))))
            done[code] += got
            short -= got
            placed += got
        if placed == 0:
            break
    out, expected = c.apply()
    return out, expected, {code: done[code] for code in INJECTORS if done[code]}
