"""The defect context :class:`Ctx`: the clean world, which cases are claimed, the edits and the expected findings.

Every injector works through it: :meth:`Ctx.pick` chooses records from cases no other defect has claimed,
:meth:`Ctx.set` and :attr:`Ctx.added` record the corruption, :meth:`Ctx.expect` the findings it must cause, and
:meth:`Ctx.apply` writes it all into the frames at the end.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl

from conform.generator.clean import World
from conform.generator.dates import NA
from conform.generator.defects.samples import INVALID

PK = {"person": "person_id", "aktualisering": "aktualisering_id", "beslut": "beslut_id", "insats": "insats_id",
      "uppfoljning": "uppfoljning_id"}


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

    # -- what is corrupted so far ------------------------------------------------------------------------------------
    def listed(self, table: str) -> np.ndarray:
        """Rows of `table` (as generated) that an expected finding names, under their key as it will be written
        (a person-ID change renames the person's row)."""
        keys = self.keys[table].to_list()
        for r, new in self.edits.get((table, PK[table]), {}).items():
            keys[r] = new
        named = {key for t, key, _ in self.expected if t == table}
        return np.fromiter((k in named for k in keys), dtype=bool, count=len(keys))

    def edited(self, table: str) -> np.ndarray:
        """Rows of `table` with any cell changed."""
        mask = np.zeros(self.frames[table].height, bool)
        for (t, _), cells in self.edits.items():
            if t == table and cells:
                mask[np.fromiter(cells.keys(), dtype=np.int64, count=len(cells))] = True
        return mask

    def defective_records(self) -> int:
        """Records with an expected finding: one per (table, key) the findings name. A record copied under its
        own key is one finding on the copy (the checker reports the second of the two), a second person row
        under another key one more record."""
        return len({(table, key) for table, key, _ in self.expected})

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
