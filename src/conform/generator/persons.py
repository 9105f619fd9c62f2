"""Person-IDs for the synthetic export: Skatteverket's test numbers first, synthesised numbers only beyond them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from conform.generator.dates import from_ymd, ymd
from conform.resources import TESTPERSONNUMMER_DIR


def luhn(eleven: np.ndarray) -> np.ndarray:
    """Check digit of ``ÅÅÅÅMMDDNNN`` numbers: Luhn over the last nine digits (ÅÅMMDDNNN), weights 2,1,2,..."""
    nine = np.asarray(eleven, dtype=np.int64) % 10**9
    total = np.zeros(nine.shape, dtype=np.int64)
    for j in range(9):
        digit = (nine // 10 ** (8 - j)) % 10
        if j % 2 == 0:
            digit = digit * 2
            digit = np.where(digit > 9, digit - 9, digit)
        total += digit
    return (10 - total % 10) % 10


@dataclass
class Numbers:
    """Parsed 12-digit IDs."""

    ids: np.ndarray          # int64 ÅÅÅÅMMDDNNNC
    samordning: np.ndarray   # bool: day + 60
    known: np.ndarray        # bool: the birth date can be read
    birth: np.ndarray        # int64 days; for unknown dates an approximation (mid-year / mid-month)
    odd: np.ndarray          # bool: the sex digit is odd


def parse(ids: np.ndarray) -> Numbers:
    ids = np.asarray(ids, dtype=np.int64)
    y = ids // 10**8
    m = (ids // 10**6) % 100
    dd = (ids // 10**4) % 100
    samordning = dd >= 60
    known = ~(samordning & ((m == 0) | (dd == 60)))
    day = np.where(samordning, dd - 60, dd)
    birth = np.where(known, from_ymd(y, np.where(m == 0, 7, m), np.maximum(day, 1)),
                     from_ymd(y, np.where(m == 0, 7, m), 15))
    odd = ((ids // 10) % 10) % 2 == 1
    return Numbers(ids, samordning, known, birth, odd)


def load_test_numbers() -> tuple[Numbers, Numbers]:
    """Skatteverket's test personnummer and samordningsnummer (see the folder's SOURCE.md)."""
    out = []
    for name in ("personnummer", "samordningsnummer"):
        frame = pl.read_csv(TESTPERSONNUMMER_DIR / f"{name}.csv", schema={"person_id": pl.String})
        out.append(parse(frame["person_id"].cast(pl.Int64).to_numpy()))
    return out[0], out[1]


class TakenNumbers:
    """The person numbers in use, as one bit per ``ÅÅÅÅMMDDNNN`` (the check digit follows from it).

    A bitmap rather than a set or a sorted array: at ten million persons a set of Python ints takes gigabytes and
    merging sorted arrays grows with every chunk, while the bitmap is some 25 MB and answers in constant time.
    """

    def __init__(self, first_year: int, last_year: int):
        self.first_year, self.years = first_year, last_year - first_year + 1
        self.bits = np.zeros((self.years * 13 * 100 * 1000 + 7) // 8, dtype=np.uint8)

    def _index(self, ids: np.ndarray) -> np.ndarray:
        eleven = np.asarray(ids, dtype=np.int64) // 10
        year = eleven // 10**7
        if len(eleven) and (year.min() < self.first_year or year.max() >= self.first_year + self.years):
            raise ValueError("person number outside the years the generator keeps track of")
        month, day, serial = (eleven // 10**5) % 100, (eleven // 1000) % 100, eleven % 1000
        return (((year - self.first_year) * 13 + month) * 100 + day) * 1000 + serial

    def contains(self, ids: np.ndarray) -> np.ndarray:
        index = self._index(ids)
        return (self.bits[index >> 3] >> (index & 7).astype(np.uint8)) & 1 == 1

    def add(self, ids: np.ndarray) -> None:
        index = self._index(ids)
        np.bitwise_or.at(self.bits, index >> 3, np.left_shift(1, index & 7).astype(np.uint8))


def synthesise(rng: np.random.Generator, birth: np.ndarray, samordning: np.ndarray, taken: TakenNumbers) -> np.ndarray:
    """New valid 12-digit numbers for the given birth dates (birth number 001-999 at random, correct Luhn digit),
    unique among themselves and against ``taken`` (which is updated)."""
    y, m, d = ymd(birth)
    d = np.where(samordning, d + 60, d)
    head = (y * 10000 + m * 100 + d) * 1000
    ids = np.zeros(len(birth), dtype=np.int64)
    todo = np.arange(len(birth))
    for _ in range(200):
        if len(todo) == 0:
            break
        serial = rng.integers(1, 1000, size=len(todo))
        eleven = head[todo] + serial
        fresh = eleven * 10 + luhn(eleven)
        # a number is bad if it is taken already, or repeats an earlier number of this round
        bad = taken.contains(fresh)
        _, first = np.unique(fresh, return_index=True)
        repeat = np.ones(len(fresh), dtype=bool)
        repeat[first] = False
        bad |= repeat
        ids[todo] = fresh
        taken.add(fresh[~bad])
        todo = todo[bad]
    if len(todo):
        raise RuntimeError("could not find free person numbers")
    return ids


__all__ = ["Numbers", "TakenNumbers", "load_test_numbers", "luhn", "parse", "synthesise"]
