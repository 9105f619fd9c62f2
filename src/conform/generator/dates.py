"""Vectorised calendar arithmetic on dates held as int64 days since 1970-01-01 (NA = :data:`NA`)."""

from __future__ import annotations

from datetime import date

import numpy as np

NA = np.int64(-(10**9))  # "no date"; far below any real date, so comparisons with it must be masked


def day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    dd = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dd


def from_ymd(y, m, d) -> np.ndarray:
    """Days of (y, m, d); a day past the month's end rolls over (29 February of a non-leap year -> 1 March)."""
    months = (np.asarray(y, dtype=np.int64) - 1970) * 12 + (np.asarray(m, dtype=np.int64) - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + np.asarray(d, np.int64) - 1


def add_years(days: np.ndarray, years) -> np.ndarray:
    y, m, d = ymd(days)
    return from_ymd(y + np.asarray(years, dtype=np.int64), m, d)


def age(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Whole years at ``on``; the age goes up on the birthday (1 March for 29 February in non-leap years)."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(on)
    return oy - by - ((om * 100 + od) < (bm * 100 + bd)).astype(np.int64)


def anniversary_distance(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Days from ``on`` to the nearest birthday anniversary (either direction)."""
    by, bm, bd = ymd(birth)
    oy, _, _ = ymd(on)
    best = None
    for shift in (-1, 0, 1):
        dist = np.abs(on - from_ymd(oy + shift, bm, bd))
        best = dist if best is None else np.minimum(best, dist)
    return best


def iso(days: int) -> str:
    return str(np.int64(days).astype("datetime64[D]"))
