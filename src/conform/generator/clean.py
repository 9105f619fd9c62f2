"""The clean synthetic export: every record drawn with numpy in bulk, then turned into all-text Polars frames.

Records are kept as parallel numpy arrays (dates as int64 days since 1970-01-01, coded values as indexes into
the value sets, -1 for "empty"); :func:`frames` turns them into the five tables of the canonical export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

import numpy as np
import polars as pl

from conform.generator import dates as D
from conform.generator.dates import NA
from conform.generator.persons import Numbers, TakenNumbers, load_test_numbers, synthesise
from conform.generator.valuesets import ValueSets


@dataclass(frozen=True)
class GroupParams:
    """Realism parameters of one target group (keyed by malgrupp.csv's kod); not value sets."""

    share: float
    age_lo: int
    age_hi: int
    peak: tuple[float, float] | None = None   # ages drawn around (mean, sd) instead of uniformly
    mostly_below: int | None = None           # 90 % of ages at or below this
    unknown_birth: bool = False               # samordningsnummer without a readable birth date may appear
    may_die: bool = False                     # "Brukaren har avlidit" is used as a closure reason
    turns_18: bool = False                    # "Barnet har fyllt 18 år ..." is used as a closure reason


GROUP_PARAMS: dict[str, GroupParams] = {
    "Äldre": GroupParams(0.30, 65, 100, peak=(82.0, 8.0), may_die=True),
    "EkB": GroupParams(0.25, 18, 80, unknown_birth=True),
    "BoU": GroupParams(0.20, 0, 20, mostly_below=17, turns_18=True),
    "Funk": GroupParams(0.15, 0, 90, unknown_birth=True, may_die=True),
    "Vux": GroupParams(0.10, 18, 80, unknown_birth=True),
}
DEFAULT_PARAMS = GroupParams(0.10, 18, 80)

SAMORDNING_SHARE = 0.05
UNKNOWN_BIRTH_SHARE = 0.10   # of the samordningsnummer in groups that allow it
AKT_PER_PERSON = ([1, 2, 3], [0.82, 0.14, 0.04])
BESLUT_SHARE = 0.92
INSATS_PER_BESLUT = ([0, 1, 2, 3], [0.08, 0.64, 0.20, 0.08])
NEVER_STARTED_SHARE = 0.02
CLOSED_SHARE = 0.55
UPPF_PER_INSATS = ([0, 1, 2, 3], [0.30, 0.35, 0.25, 0.10])
LIST_SIZES = ([1, 2, 3], [0.60, 0.30, 0.10])
REASON_SIZES = ([1, 2], [0.75, 0.25])
FILLED_OPTIONAL = 0.9    # ursprung, tidigare_kontakt
FILLED_SIP = 0.85
MIN_WINDOW_DAYS = 60
BIRTHDAY_MARGIN = 3      # no datum_aktualisering this close to a birthday anniversary
# Persons are drawn in blocks of this many, each block from its own random stream, so that an export can be
# written a chunk at a time in flat memory and still be the same whatever the chunk. Up to one block the stream
# is the one the generator has always used, so small exports are unchanged.
BLOCK = 100_000
OLDEST_BIRTH_YEARS = 130  # synthesised birth dates lie within this many years before as_of


@dataclass
class World:
    vs: ValueSets
    as_of: int
    start: int  # first day of the 5-year window
    # person
    p_id: np.ndarray
    p_group: np.ndarray
    p_birth: np.ndarray
    p_known: np.ndarray
    p_odd: np.ndarray
    p_samordning: np.ndarray
    p_kon: np.ndarray
    p_ursprung: np.ndarray
    synthesised: int
    # aktualisering
    a_person: np.ndarray = field(default=None)
    a_group: np.ndarray = field(default=None)
    a_date: np.ndarray = field(default=None)
    a_typ: np.ndarray = field(default=None)
    a_orsak: np.ndarray = field(default=None)
    a_tk: np.ndarray = field(default=None)
    a_alder: np.ndarray = field(default=None)
    # beslut
    b_akt: np.ndarray = field(default=None)
    b_date: np.ndarray = field(default=None)
    b_prob: np.ndarray = field(default=None)
    # insats
    i_beslut: np.ndarray = field(default=None)
    i_item: np.ndarray = field(default=None)
    i_code: np.ndarray = field(default=None)   # -1 none, else index into insats_kod (>= 0) or -2-j for andra_kod[j]
    i_named: np.ndarray = field(default=None)
    i_verkst: np.ndarray = field(default=None)
    i_avslut: np.ndarray = field(default=None)
    i_orsak: np.ndarray = field(default=None)
    i_mal: np.ndarray = field(default=None)
    # uppfoljning
    u_insats: np.ndarray = field(default=None)
    u_date: np.ndarray = field(default=None)
    u_sip: np.ndarray = field(default=None)
    u_mal: np.ndarray = field(default=None)

    @classmethod
    def concat(cls, blocks: list[World]) -> World:
        """One world of consecutive blocks, their row references shifted to the joined tables."""
        if len(blocks) == 1:
            return blocks[0]
        shift = {"a_person": "person", "b_akt": "aktualisering", "i_beslut": "beslut", "u_insats": "insats"}
        offsets = dict.fromkeys(shift.values(), 0)
        parts: dict[str, list[np.ndarray]] = {}
        for block in blocks:
            for f in fields(cls):
                value = getattr(block, f.name)
                if isinstance(value, np.ndarray):
                    parts.setdefault(f.name, []).append(value + offsets[shift[f.name]] if f.name in shift else value)
            for table, n in block.counts.items():
                if table in offsets:
                    offsets[table] += n
        first = blocks[0]
        joined = {name: np.concatenate(arrays) for name, arrays in parts.items()}
        return cls(vs=first.vs, as_of=first.as_of, start=first.start,
                   synthesised=sum(b.synthesised for b in blocks), **joined)

    @property
    def counts(self) -> dict[str, int]:
        return {"person": len(self.p_id), "aktualisering": len(self.a_person), "beslut": len(self.b_akt),
                "insats": len(self.i_beslut), "uppfoljning": len(self.u_insats)}


def group_params(vs: ValueSets) -> list[GroupParams]:
    """Parameters per group of malgrupp.csv, with the target ages kept inside the group's plausible ages."""
    out = []
    for g in vs.groups:
        p = GROUP_PARAMS.get(g.kod, DEFAULT_PARAMS)
        lo = max(p.age_lo, g.age_min or 0)
        hi = min(p.age_hi, g.age_max if g.age_max is not None else 110)
        out.append(GroupParams(p.share, lo, max(lo, hi), p.peak, p.mostly_below, p.unknown_birth, p.may_die,
                               p.turns_18))
    return out


def _shares_to_counts(shares: np.ndarray, n: int) -> np.ndarray:
    shares = shares / shares.sum()
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    rest = n - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    return counts


def pick_distinct(rng, row_group: np.ndarray, pools: list[np.ndarray], sizes=LIST_SIZES) -> np.ndarray:
    """Per row, 1..k distinct indexes from its group's pool (k drawn from ``sizes``), ascending, -1 padded."""
    width = max(sizes[0])
    out = np.full((len(row_group), width), -1, dtype=np.int64)
    for g, pool in enumerate(pools):
        rows = np.flatnonzero(row_group == g)
        if len(rows) == 0 or len(pool) == 0:
            continue
        take = min(width, len(pool))
        order = np.argsort(rng.random((len(rows), len(pool))), axis=1)[:, :take]
        vals = np.asarray(pool)[order]
        k = np.minimum(rng.choice(sizes[0], size=len(rows), p=sizes[1]), take)
        vals = np.where(np.arange(take)[None, :] < k[:, None], vals, np.iinfo(np.int64).max)
        vals.sort(axis=1)
        vals[vals == np.iinfo(np.int64).max] = -1
        out[rows, :take] = vals
    return out


def _pick_from(rng, row_group: np.ndarray, pools: list[np.ndarray]) -> np.ndarray:
    out = np.full(len(row_group), -1, dtype=np.int64)
    for g, pool in enumerate(pools):
        rows = np.flatnonzero(row_group == g)
        if len(rows) and len(pool):
            out[rows] = np.asarray(pool)[rng.integers(0, len(pool), size=len(rows))]
    return out


class _Window:
    def __init__(self, start: int, end: int):
        self.start, self.end = start, end

    def bounds(self, birth: np.ndarray, lo_age, hi_age) -> tuple[np.ndarray, np.ndarray]:
        lo = np.maximum(np.maximum(self.start, D.add_years(birth, lo_age)), birth + 7)
        hi = np.minimum(self.end, D.add_years(birth, np.asarray(hi_age) + 1) - 1)
        return lo, hi


def _sample_ages(rng, p: GroupParams, n: int) -> np.ndarray:
    if p.peak is not None:
        ages = np.rint(rng.normal(p.peak[0], p.peak[1], size=n))
    elif p.mostly_below is not None and p.mostly_below < p.age_hi:
        low = rng.integers(p.age_lo, p.mostly_below + 1, size=n)
        high = rng.integers(p.mostly_below + 1, p.age_hi + 1, size=n)
        ages = np.where(rng.random(n) < 0.9, low, high)
    else:
        ages = rng.integers(p.age_lo, p.age_hi + 1, size=n)
    return np.clip(ages, p.age_lo, p.age_hi).astype(np.int64)


class IdPools:
    """What the blocks of one export share: Skatteverket's test numbers (and which are given out) and every number
    taken, so that no two persons of the export have the same ID."""

    def __init__(self, as_of: int):
        pn, sn = load_test_numbers()
        self.lists = {"pn": (pn, np.zeros(len(pn.ids), bool)), "sn": (sn, np.zeros(len(sn.ids), bool))}
        last_year = int(D.ymd(np.array([as_of]))[0][0])
        first_year = min(last_year - OLDEST_BIRTH_YEARS, int(min(pn.ids.min(), sn.ids.min()) // 10**8))
        self.taken = TakenNumbers(first_year, last_year)
        self.taken.add(pn.ids)
        self.taken.add(sn.ids)


def _persons(rng, vs: ValueSets, n: int, as_of: int, window: _Window, id_pools: IdPools):
    params = group_params(vs)
    counts = _shares_to_counts(np.array([p.share for p in params]), n)
    group = rng.permutation(np.repeat(np.arange(len(params)), counts))
    pools = id_pools.lists
    pn, pn_used = pools["pn"]
    ids = np.zeros(n, np.int64)
    birth = np.zeros(n, np.int64)
    known = np.ones(n, bool)
    samordning = np.zeros(n, bool)
    synth_mask = np.zeros(n, bool)

    def feasible(nums: Numbers, p: GroupParams) -> np.ndarray:
        lo, hi = window.bounds(nums.birth, p.age_lo, p.age_hi)
        return (hi - lo >= MIN_WINDOW_DAYS) & (nums.birth <= as_of - 7)

    # the scarcest groups pick from the test lists first
    ratio = []
    for gi, p in enumerate(params):
        ratio.append((feasible(pn, p) & ~pn_used).sum() / max(1, counts[gi]))
    for gi in np.argsort(ratio, kind="stable"):
        p = params[gi]
        members = np.flatnonzero(group == gi)
        n_sn = int(round(SAMORDNING_SHARE * len(members)))
        n_unknown = int(round(UNKNOWN_BIRTH_SHARE * n_sn)) if p.unknown_birth else 0
        parts = [("sn", False, members[:n_unknown]), ("sn", True, members[n_unknown:n_sn]),
                 ("pn", True, members[n_sn:])]
        for kind, want_known, rows in parts:
            nums, used = pools[kind]
            cand = np.flatnonzero(~used & (nums.known == want_known) & feasible(nums, p))
            take = rng.permutation(cand)[: len(rows)]
            used[take] = True
            got = rows[: len(take)]
            ids[got], birth[got], known[got] = nums.ids[take], nums.birth[take], nums.known[take]
            samordning[got] = kind == "sn"
            rest = rows[len(take):]
            if len(rest) == 0:
                continue
            # beyond the test lists: synthesise birth dates that fit the group (numbers made in one batch below)
            b = np.zeros(len(rest), np.int64)
            todo = np.arange(len(rest))
            for _ in range(100):
                if len(todo) == 0:
                    break
                ref = rng.integers(window.start, window.end + 1, size=len(todo))
                cand_b = D.add_years(ref, -_sample_ages(rng, p, len(todo))) - rng.integers(0, 365, size=len(todo))
                lo, hi = window.bounds(cand_b, p.age_lo, p.age_hi)
                ok = (hi - lo >= MIN_WINDOW_DAYS) & (cand_b <= as_of - 7)
                b[todo[ok]] = cand_b[ok]
                todo = todo[~ok]
            birth[rest] = b
            samordning[rest] = kind == "sn"
            synth_mask[rest] = True
    if synth_mask.any():
        rows = np.flatnonzero(synth_mask)
        ids[rows] = synthesise(rng, birth[rows], samordning[rows], id_pools.taken)
    odd = ((ids // 10) % 10) % 2 == 1
    return params, group, ids, birth, known, samordning, odd, int(synth_mask.sum())


def blocks(vs: ValueSets, persons: int, seed: int, as_of: int) -> Iterator[World]:
    """The export's persons and their records, :data:`BLOCK` persons at a time."""
    id_pools = IdPools(as_of)
    for index, first in enumerate(range(0, persons, BLOCK)):
        stream = np.random.SeedSequence([seed, 20250630, 1], spawn_key=(index,) if index else ())
        yield _block(vs, min(BLOCK, persons - first), np.random.default_rng(stream), as_of, id_pools)


def build(vs: ValueSets, persons: int, seed: int, as_of: int) -> World:
    """The whole export in one world (the defects reach across it)."""
    return World.concat(list(blocks(vs, persons, seed, as_of)))


def _block(vs: ValueSets, persons: int, rng: np.random.Generator, as_of: int, id_pools: IdPools) -> World:
    start = int(D.add_years(np.array([as_of]), -5)[0]) + 1
    window = _Window(start, as_of)
    params, group, ids, birth, known, samordning, odd, synthesised = _persons(rng, vs, persons, as_of, window,
                                                                             id_pools)
    kon = np.where(odd, vs.kon_odd, vs.kon_even)
    ursprung = np.where(rng.random(persons) < FILLED_OPTIONAL,
                        rng.integers(0, len(vs.ursprung), size=persons), -1)
    w = World(vs=vs, as_of=as_of, start=start, p_id=ids, p_group=group, p_birth=birth, p_known=known, p_odd=odd,
              p_samordning=samordning, p_kon=kon, p_ursprung=ursprung, synthesised=synthesised)

    # --- aktualisering ----------------------------------------------------------------------------------------
    k = rng.choice(AKT_PER_PERSON[0], size=persons, p=AKT_PER_PERSON[1])
    a_person = np.repeat(np.arange(persons), k)
    lo_age = np.array([p.age_lo for p in params])[group]
    hi_age = np.array([p.age_hi for p in params])[group]
    lo, hi = window.bounds(birth, lo_age, hi_age)
    lo, hi = lo[a_person], hi[a_person]
    a_date = np.zeros(len(a_person), np.int64)
    todo = np.arange(len(a_person))
    for _ in range(200):
        if len(todo) == 0:
            break
        d = lo[todo] + np.floor(rng.random(len(todo)) * (hi[todo] - lo[todo] + 1)).astype(np.int64)
        a_date[todo] = d
        p = a_person[todo]
        near = known[p] & (D.anniversary_distance(birth[p], d) <= BIRTHDAY_MARGIN)
        todo = todo[near]
    order = np.lexsort((a_person, a_date))
    a_person, a_date = a_person[order], a_date[order]
    n_a = len(a_person)
    w.a_person, w.a_date = a_person, a_date
    w.a_group = group[a_person]
    w.a_alder = D.age(birth[a_person], a_date)
    w.a_typ = rng.integers(0, len(vs.aktualiseringstyp), size=n_a)
    marked_pools = [g.marked for g in vs.groups]
    w.a_orsak = pick_distinct(rng, w.a_group, marked_pools)
    w.a_tk = np.where(rng.random(n_a) < FILLED_OPTIONAL, rng.integers(0, len(vs.tidigare_kontakt), size=n_a), -1)

    # --- beslut -----------------------------------------------------------------------------------------------
    delay = np.minimum(np.floor(rng.exponential(18.0, size=n_a)), 90).astype(np.int64)
    b_date = a_date + delay
    has = (rng.random(n_a) < BESLUT_SHARE) & (b_date <= as_of)
    w.b_akt = np.flatnonzero(has)
    w.b_date = b_date[has]
    n_b = len(w.b_akt)
    b_group = w.a_group[w.b_akt]
    w.b_prob = pick_distinct(rng, b_group, marked_pools)

    # --- insats -----------------------------------------------------------------------------------------------
    n_per = rng.choice(INSATS_PER_BESLUT[0], size=n_b, p=INSATS_PER_BESLUT[1])
    i_beslut = np.repeat(np.arange(n_b), n_per)
    n_i = len(i_beslut)
    i_group = b_group[i_beslut]
    i_bdate = w.b_date[i_beslut]
    item = _pick_from(rng, i_group, [g.insats for g in vs.groups])
    has_code = np.array([c is not None for c in vs.insats_kod])[item]
    u = rng.random(n_i)
    code = np.where(has_code & (u < 0.93), item, -1)        # both (85 %) or code only (8 %)
    named = ~has_code | (u < 0.85) | (u >= 0.93)              # both or name only (7 %)
    # flera_koder insatser: name only, or name + one of the codes that code them
    for it, codes in vs.mapped_codes.items():
        rows = np.flatnonzero((item == it) & (rng.random(n_i) < 0.5))
        if len(codes) and len(rows):
            code[rows] = -2 - codes[rng.integers(0, len(codes), size=len(rows))]
    never = rng.random(n_i) < NEVER_STARTED_SHARE
    verkst = i_bdate + np.minimum(np.floor(rng.exponential(14.0, size=n_i)), 60).astype(np.int64)
    executed = ~never & (verkst <= as_of)
    closed = executed & (rng.random(n_i) < CLOSED_SHARE) & (verkst < as_of)
    avslut = verkst + 1 + np.floor(rng.exponential(220.0, size=n_i)).astype(np.int64)
    late = avslut > as_of
    avslut = np.where(late, verkst + 1 + np.floor(rng.random(n_i) * np.maximum(as_of - verkst, 0)).astype(np.int64),
                      avslut)
    never_end = np.minimum(i_bdate + 1 + np.floor(rng.exponential(20.0, size=n_i)).astype(np.int64), as_of)
    w.i_verkst = np.where(executed, verkst, NA)
    w.i_avslut = np.where(closed, avslut, np.where(never, never_end, NA))
    orsak = pick_distinct(rng, np.zeros(n_i, np.int64), [vs.normal_reasons], REASON_SIZES)
    orsak[~closed] = -1
    orsak[never] = [vs.reason["never_started"], -1]
    mal = _pick_from(rng, i_group, [g.scale_values for g in vs.groups])
    mal[~(closed | never)] = -1
    w.i_beslut, w.i_item, w.i_code, w.i_named, w.i_orsak, w.i_mal = i_beslut, item, code, named, orsak, mal

    # --- uppfoljning --------------------------------------------------------------------------------------------
    n_u_per = np.where(executed, rng.choice(UPPF_PER_INSATS[0], size=n_i, p=UPPF_PER_INSATS[1]), 0)
    u_insats = np.repeat(np.arange(n_i), n_u_per)
    u_start = w.i_verkst[u_insats]
    u_end = np.where(closed, avslut, as_of)[u_insats]
    u_date = u_start + np.floor(rng.random(len(u_insats)) * (u_end - u_start + 1)).astype(np.int64)
    order = np.lexsort((u_date, u_insats))
    w.u_insats, w.u_date = u_insats[order], u_date[order]
    n_u = len(u_insats)
    u_group = i_group[w.u_insats]
    w.u_sip = np.where(rng.random(n_u) < FILLED_SIP, rng.integers(0, len(vs.sip), size=n_u), -1)
    w.u_mal = _pick_from(rng, u_group, [g.scale_values for g in vs.groups])

    # --- closure reasons with a meaning ---------------------------------------------------------------------------
    i_person = a_person[w.b_akt[i_beslut]]
    turns = np.array([p.turns_18 for p in params])[i_group]
    adult = known[i_person] & (avslut >= D.add_years(birth[i_person], 18) + BIRTHDAY_MARGIN)
    t18 = turns & closed & adult & (rng.random(n_i) < 0.6)
    orsak[t18] = [vs.reason["turned_18"], -1]
    # death: only on an insats that closes on the person's last date, when none of their insatser is open
    last = person_last_date(w)
    open_count = np.bincount(i_person[~(closed | never)], minlength=persons)
    dies = np.array([p.may_die for p in params])[i_group]
    death = dies & closed & ~t18 & (avslut == last[i_person]) & (open_count[i_person] == 0)
    death &= rng.random(n_i) < 0.35
    orsak[death] = [vs.reason["deceased"], -1]
    return w


def person_last_date(w: World) -> np.ndarray:
    """Each person's latest date in any table."""
    last = np.full(len(w.p_id), NA, dtype=np.int64)
    i_akt = w.b_akt[w.i_beslut]
    for person, d in ((w.a_person, w.a_date), (w.a_person[w.b_akt], w.b_date),
                      (w.a_person[i_akt], w.i_verkst), (w.a_person[i_akt], w.i_avslut),
                      (w.a_person[i_akt[w.u_insats]], w.u_date)):
        np.maximum.at(last, person, d)
    return last


# --- to text ------------------------------------------------------------------------------------------------------
def lookup(values: list[str], idx: np.ndarray) -> pl.Series:
    table = pl.Series(list(values) + [None], dtype=pl.String)
    return table.gather(np.where(np.asarray(idx) < 0, len(values), idx))


def join_list(values: list[str], idx2d: np.ndarray, delimiter: str = "|") -> pl.Series:
    cols = [lookup(values, idx2d[:, j]).alias(f"c{j}") for j in range(idx2d.shape[1])]
    joined = pl.DataFrame(cols).select(
        pl.concat_str([pl.col(c.name) for c in cols], separator=delimiter, ignore_nulls=True).alias("v"))["v"]
    return pl.DataFrame({"v": joined}).select(pl.when(pl.col("v") != "").then(pl.col("v")))["v"]


def date_text(days: np.ndarray) -> pl.Series:
    arr = np.where(days == NA, np.datetime64("NaT"), np.asarray(days).astype("datetime64[D]"))
    return pl.Series(arr.astype("datetime64[D]")).cast(pl.String)


def key_width(n: int) -> int:
    return max(7, len(str(n)))


KEY_PREFIX = {"aktualisering": "A", "beslut": "B", "insats": "I", "uppfoljning": "U"}


def key_widths(persons: int) -> dict[str, int]:
    """Digits of each table's keys, from the most rows ``persons`` can have, so that a chunk's keys can be written
    before the later chunks are drawn (up to 370,000 persons this is seven digits, as the counts would give)."""
    most = {"aktualisering": persons * max(AKT_PER_PERSON[0])}
    most["beslut"] = most["aktualisering"]
    most["insats"] = most["beslut"] * max(INSATS_PER_BESLUT[0])
    most["uppfoljning"] = most["insats"] * max(UPPF_PER_INSATS[0])
    return {table: key_width(n) for table, n in most.items()}


def keys(prefix: str, n: int, first: int, width: int) -> pl.Series:
    """Keys ``first + 1`` .. ``first + n``."""
    numbers = pl.int_range(first + 1, first + n + 1, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    return pl.select((pl.lit(prefix) + numbers).alias("k"))["k"]


def frames(w: World, widths: dict[str, int], first: dict[str, int] | None = None) -> dict[str, pl.DataFrame]:
    """The five tables of ``w``; its keys are numbered from ``first`` (the rows of the chunks before it)."""
    vs = w.vs
    first = first or {}

    def table_keys(table: str, n: int) -> pl.Series:
        return keys(KEY_PREFIX[table], n, first.get(table, 0), widths[table])

    pid = pl.Series(w.p_id).cast(pl.String)
    person = pl.DataFrame({
        "person_id": pid,
        "juridiskt_kon": lookup(vs.kon, w.p_kon),
        "ursprung": lookup(vs.ursprung, w.p_ursprung),
    })
    akt_keys = table_keys("aktualisering", len(w.a_person))
    akt = pl.DataFrame({
        "aktualisering_id": akt_keys,
        "person_id": pid.gather(w.a_person),
        "malgrupp": lookup(vs.malgrupp, w.a_group),
        "datum_aktualisering": date_text(w.a_date),
        "aktualiseringstyp": lookup(vs.aktualiseringstyp, w.a_typ),
        "aktualiseringsorsak": join_list(vs.orsak, w.a_orsak),
        "tidigare_kontakt": lookup(vs.tidigare_kontakt, w.a_tk),
        "alder": pl.Series(w.a_alder).cast(pl.String),
    })
    beslut_keys = table_keys("beslut", len(w.b_akt))
    beslut = pl.DataFrame({
        "beslut_id": beslut_keys,
        "aktualisering_id": akt_keys.gather(w.b_akt),
        "datum_beslut": date_text(w.b_date),
        "problematik": join_list(vs.orsak, w.b_prob),
    })
    insats_keys = table_keys("insats", len(w.i_beslut))
    code_values = [k or "" for k in vs.insats_kod] + list(vs.andra_kod)
    code_idx = np.where(w.i_code >= 0, w.i_code, np.where(w.i_code <= -2, len(vs.insats_kod) + (-2 - w.i_code), -1))
    insats = pl.DataFrame({
        "insats_id": insats_keys,
        "beslut_id": beslut_keys.gather(w.i_beslut),
        "insats_kod": lookup(code_values, code_idx),
        "insats": lookup(vs.insats_name, np.where(w.i_named, w.i_item, -1)),
        "datum_verkstallande": date_text(w.i_verkst),
        "datum_avslut": date_text(w.i_avslut),
        "orsak_avslut": join_list(vs.orsak_avslut, w.i_orsak),
        "maluppfyllelse": lookup(vs.maluppfyllelse, w.i_mal),
    })
    uppf = pl.DataFrame({
        "uppfoljning_id": table_keys("uppfoljning", len(w.u_insats)),
        "insats_id": insats_keys.gather(w.u_insats),
        "datum_uppfoljning": date_text(w.u_date),
        "sip": lookup(vs.sip, w.u_sip),
        "maluppfyllelse": lookup(vs.maluppfyllelse, w.u_mal),
    })
    return {"person": person, "aktualisering": akt, "beslut": beslut, "insats": insats, "uppfoljning": uppf}
