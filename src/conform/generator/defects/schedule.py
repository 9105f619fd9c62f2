"""The one run of injection: every family's injectors in one registry, how many defects each rule gets, and the
order they are planted in (which decides the draws, so it is part of the seed's contract)."""

from __future__ import annotations

import numpy as np
import polars as pl

from conform.generator.clean import World
from conform.generator.defects import (cardinality, date_order, integrity, person_id, plausibility, structure,
                                       value_sets)
from conform.generator.defects.context import Ctx
from conform.generator.defects.fill import fill
from conform.generator.defects.shared import Injector

# The order of the families is the order of the rules: quotas() and inject() walk it, so another order draws
# differently and changes the export of every seed.
INJECTORS: dict[str, Injector] = {
    **structure.INJECTORS,
    **cardinality.INJECTORS,
    **value_sets.INJECTORS,
    **date_order.INJECTORS,
    **person_id.INJECTORS,
    **integrity.INJECTORS,
    **plausibility.INJECTORS,
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
# The case-isolated injectors plant at most this share of the records as defects, spread evenly over the rules;
# above it the rare rules run out of cases and the order of the rules, not the rates, would decide what is
# planted. What a higher rate asks for beyond it is made up by record-local defects (:func:`.fill.fill`).
PRIMARY_MAX = 0.12


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
    """Corrupt about ``rate`` of the records: afterwards about ``rate`` of all the records carry at least one
    finding. Returns the frames, the expected findings and the defects per rule.

    First the case-isolated injectors plant ``min(rate, PRIMARY_MAX)`` of the records as defects, evenly over
    the rules (one defect per case, so each names one record, a few of them more). Then, if fewer than
    ``rate`` of the records (added rows included) are named by an expected finding, :func:`.fill.fill` plants
    record-local defects on records not yet corrupted until they are. Below ``PRIMARY_MAX`` the first step
    already reaches the rate, and the second draws nothing."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20250630, 2]))
    c = Ctx(w, frames, rng)
    records = sum(f.height for f in frames.values())
    want = quotas(int(round(min(rate, PRIMARY_MAX) * records)), len(w.p_id), rng)
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
    # the rest of the rate: local defects on records no defect names yet
    target = int(round(rate * (records + sum(len(rows) for rows in c.added.values()))))
    have = c.defective_records()
    if have < target:
        for code, got in fill(c, target - have).items():
            done[code] += got
    out, expected = c.apply()
    return out, expected, {code: done[code] for code in INJECTORS if done[code]}
