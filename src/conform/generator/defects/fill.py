"""Record-local defects that bring the share of defective records up to the rate asked for.

The case-isolated injectors of the other modules plant at most one defect per case, which tops out near one
defective record per aktualisering (some 15-18 % of the records). :func:`fill` corrupts more records, one
defect each, chosen uniformly from the records no defect names yet, until ``rate`` of the records carry a
finding. Every defect here is *local*: an error-level value of one field of the record itself (a value outside
its set, an unreadable number, a required value left empty) that only its own rule reads. No date, person-ID,
target group, key or reference is touched, so a local defect causes exactly its own finding, changes no
finding of another record and can share a case with any other defect. Records an earlier defect edited or
named are never chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from conform.generator.defects.context import Ctx
from conform.generator.defects.samples import INVALID

# Values of no set, as a system's placeholder or leaked internal code: no word, spelling or letter of them is
# any standard value's, no lexicon has them, and they are no number (a coded shape writes numbers). At a high
# rate a defect value is frequent, and a frequent near-synonym ("Kvinna", "Delvis", the samples of
# :data:`~.samples.INVALID`) reads as the vendor's own vocabulary to a mapping drafter; these read as errors.
GARBLED = ["XX", "ZZ", "QQ9"]
GARBLED_CODES = ["XX.00", "ZZ", "QQ9"]


@dataclass(frozen=True)
class Local:
    """One local defect: the rule it breaks, its table, where it can go (a mask of rows) and how it is planted
    on row r (the j-th of its kind)."""

    rule: str
    table: str
    where: Callable[[Ctx], np.ndarray]
    plant: Callable[[Ctx, int, int], None]


def _filled(table: str, column: str) -> Callable[[Ctx], np.ndarray]:
    return lambda c: c.frames[table][column].is_not_null().to_numpy()


def _all(table: str) -> Callable[[Ctx], np.ndarray]:
    return lambda c: np.ones(c.frames[table].height, bool)


def _normal_closed(c: Ctx) -> np.ndarray:
    return c.i_normal.copy()


def _empty(table: str, column: str) -> Callable[[Ctx, int, int], None]:
    def plant(c: Ctx, r: int, j: int) -> None:
        c.set(table, column, r, None)
    return plant


def _value(table: str, column: str, samples: list[str]) -> Callable[[Ctx, int, int], None]:
    def plant(c: Ctx, r: int, j: int) -> None:
        c.set(table, column, r, samples[j % len(samples)])
    return plant


def _item(table: str, column: str, samples: list[str]) -> Callable[[Ctx, int, int], None]:
    """Replace one item of a multi-valued field by a value of no set."""
    def plant(c: Ctx, r: int, j: int) -> None:
        items = c.items(table, column, r)
        items[int(c.rng.integers(0, len(items)))] = samples[j % len(samples)]
        c.set(table, column, r, "|".join(items))
    return plant


def _insats(code: bool, name: bool) -> Callable[[Ctx, int, int], None]:
    def plant(c: Ctx, r: int, j: int) -> None:
        c.set("insats", "insats_kod", r, GARBLED_CODES[j % 3] if code else None)
        c.set("insats", "insats", r, GARBLED[j % 3] if name else None)
    return plant


# The order is part of the seed's contract: it decides which kind a chosen record gets.
LOCAL: list[Local] = [
    Local("CAR-001", "person", _filled("person", "juridiskt_kon"), _empty("person", "juridiskt_kon")),
    Local("VAL-001", "person", _all("person"), _value("person", "juridiskt_kon", GARBLED)),
    Local("VAL-002", "person", _all("person"), _value("person", "ursprung", GARBLED)),
    Local("CAR-003", "aktualisering", _filled("aktualisering", "aktualiseringstyp"),
          _empty("aktualisering", "aktualiseringstyp")),
    Local("CAR-004", "aktualisering", _filled("aktualisering", "aktualiseringsorsak"),
          _empty("aktualisering", "aktualiseringsorsak")),
    Local("CAR-005", "aktualisering", _filled("aktualisering", "alder"), _empty("aktualisering", "alder")),
    Local("STR-007", "aktualisering", _all("aktualisering"), _value("aktualisering", "alder", INVALID["alder"])),
    Local("VAL-005", "aktualisering", _filled("aktualisering", "aktualiseringsorsak"),
          _item("aktualisering", "aktualiseringsorsak", GARBLED)),
    Local("VAL-007", "aktualisering", _all("aktualisering"),
          _value("aktualisering", "tidigare_kontakt", GARBLED)),
    Local("CAR-006", "beslut", _filled("beslut", "problematik"), _empty("beslut", "problematik")),
    Local("VAL-008", "beslut", _filled("beslut", "problematik"), _item("beslut", "problematik", GARBLED)),
    Local("CAR-008", "insats", _all("insats"), _insats(False, False)),
    Local("VAL-010", "insats", _all("insats"), _insats(True, False)),
    Local("VAL-014", "insats", _all("insats"), _insats(False, True)),
    Local("CAR-011", "insats", _normal_closed, _empty("insats", "orsak_avslut")),
    Local("CAR-012", "insats", _normal_closed, _empty("insats", "maluppfyllelse")),
    Local("VAL-020", "insats", _normal_closed, _value("insats", "maluppfyllelse", GARBLED)),
    Local("VAL-022", "insats", _normal_closed, _item("insats", "orsak_avslut", GARBLED)),
    Local("CAR-010", "uppfoljning", _filled("uppfoljning", "maluppfyllelse"),
          _empty("uppfoljning", "maluppfyllelse")),
    Local("VAL-017", "uppfoljning", _all("uppfoljning"), _value("uppfoljning", "sip", GARBLED)),
    Local("VAL-018", "uppfoljning", _all("uppfoljning"),
          _value("uppfoljning", "maluppfyllelse", GARBLED)),
]
TABLES = ("person", "aktualisering", "beslut", "insats", "uppfoljning")


def fill(c: Ctx, n: int) -> dict[str, int]:
    """Plant a local defect on up to n records that no defect names or edited yet, drawn uniformly over the
    five tables; returns the defects planted per rule."""
    done: dict[str, int] = {}
    if n <= 0:
        return done
    valid = set(GARBLED + GARBLED_CODES) & c.vs.all_strings()
    if valid:
        raise ValueError(f"garbled samples that are valid values: {sorted(valid)}")
    kinds = {t: [k for k in LOCAL if k.table == t] for t in TABLES}
    fits = {t: np.column_stack([k.where(c) for k in kinds[t]]) for t in TABLES}
    tables, rows = [], []
    for i, t in enumerate(TABLES):
        free = np.flatnonzero(~c.listed(t) & ~c.edited(t) & fits[t].any(axis=1))
        tables.append(np.full(len(free), i))
        rows.append(free)
    table_of, row_of = np.concatenate(tables), np.concatenate(rows)
    chosen = c.rng.permutation(len(row_of))[:n]
    turn = dict.fromkeys(TABLES, 0)
    for x in chosen:
        t, r = TABLES[int(table_of[x])], int(row_of[x])
        options = np.flatnonzero(fits[t][r])
        kind = kinds[t][int(options[turn[t] % len(options)])]
        turn[t] += 1
        j = done.get(kind.rule, 0)
        kind.plant(c, r, j)
        c.expect(t, c.key(t, r), kind.rule)
        done[kind.rule] = j + 1
    return done
