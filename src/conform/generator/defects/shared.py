"""Small helpers more than one family of defects uses: sharing a quota over variants, random days, writing a
date or an insats."""

from __future__ import annotations

from collections.abc import Callable

from conform.generator import dates as D
from conform.generator.defects.context import Ctx

# An injector takes (ctx, n), injects up to n defects and returns how many it injected.
Injector = Callable[[Ctx, int], int]


def spread(n: int, variants: list[Callable[[int], int]]) -> int:
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


def random_days(c: Ctx, lo: int, hi: int) -> int:
    """A number of days from lo to hi, both included, drawn from the context's generator."""
    return int(c.rng.integers(lo, hi + 1))


def set_date(c: Ctx, table: str, column: str, r: int, days: int) -> None:
    c.set(table, column, r, D.iso(days))


def set_insats(c: Ctx, r: int, code: str | None, name: str | None) -> None:
    """Set an insats's code and its name at once (None empties the field)."""
    c.set("insats", "insats_kod", r, code)
    c.set("insats", "insats", r, name)
