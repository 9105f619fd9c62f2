"""The profile's value sets as the generator needs them: lists of strings and index arrays.

Every value string the generator writes comes from these files (``profiles/<profile>/valuesets/*.csv``); the Python
code only knows the *roles* some values play (which closure reason records a death, ...), found by a keyword and
checked to match exactly one value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from conform.resources import DEFAULT_PROFILE, profile_dir

# Closure reasons with a meaning the generator must respect, found in orsak_avslut.csv by a keyword.
REASON_ROLES = {
    "deceased": "avlidit",
    "turned_18": "fyllt 18",
    "never_started": "påbörjades aldrig",
}


def _read(folder: Path, name: str) -> pl.DataFrame:
    path = folder / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"value set file missing: {path}")
    return pl.read_csv(path, infer_schema=False, encoding="utf8")


def _values(frame: pl.DataFrame, column: str = "value") -> list[str]:
    return [v for v in frame[column].to_list() if v]


@dataclass
class Group:
    """One target group (a row of malgrupp.csv) and what may be written for it."""

    index: int
    kod: str
    areas: tuple[str, ...]
    scale: str
    age_min: int | None
    age_max: int | None
    marked: np.ndarray      # indexes into ValueSets.orsak of the values marked X for this group
    unmarked: np.ndarray    # indexes of the other values
    insats: np.ndarray      # indexes into ValueSets.insats_* of valid (non-over-category) insatser of its areas
    over: np.ndarray        # over-category insatser of its areas
    foreign: np.ndarray     # coded insatser (typ insats) of areas that are not the group's
    scale_values: np.ndarray   # indexes into ValueSets.maluppfyllelse on the group's scale
    other_scale: np.ndarray    # indexes on the other scale(s)
    other_info_codes: np.ndarray  # indexes into ValueSets.andra_kod: lagrum/beslut codes of its areas


class ValueSets:
    def __init__(self, profile: str = DEFAULT_PROFILE):
        folder = profile_dir(profile) / "valuesets"
        self.folder = folder
        kon = _read(folder, "juridiskt_kon")
        self.kon: list[str] = _values(kon)
        parity = kon["sex_digit_parity"].to_list()
        self.kon_even = parity.index("even")
        self.kon_odd = parity.index("odd")
        self.ursprung = _values(_read(folder, "ursprung"))
        self.aktualiseringstyp = _values(_read(folder, "aktualiseringstyp"))
        self.tidigare_kontakt = _values(_read(folder, "tidigare_kontakt"))
        self.sip = _values(_read(folder, "sip"))
        self.orsak_avslut = _values(_read(folder, "orsak_avslut"))

        matrix = _read(folder, "aktualiseringsorsak_problematik")
        self.orsak = _values(matrix)  # shared by aktualiseringsorsak and problematik

        mal = _read(folder, "maluppfyllelse")
        self.maluppfyllelse = _values(mal)
        mal_scale = np.array(mal["scale"].to_list())

        ins = _read(folder, "insats")
        self.insats_name: list[str] = ins["insats"].to_list()
        self.insats_kod: list[str | None] = ins["kod"].to_list()
        self.insats_area = np.array(ins["omrade"].to_list())
        self.insats_typ = np.array(ins["typ"].to_list())

        andra = _read(folder, "ksi_andra_koder")
        self.andra_kod: list[str] = andra["kod"].to_list()
        self.andra_area = np.array(andra["omrade"].to_list())
        self.andra_insats: list[str | None] = andra["insats"].to_list()
        # flera_koder insats index -> indexes of the codes that code it
        self.mapped_codes: dict[int, np.ndarray] = {}
        for i, name in enumerate(self.insats_name):
            if self.insats_typ[i] == "flera_koder":
                self.mapped_codes[i] = np.array([j for j, n in enumerate(self.andra_insats) if n == name],
                                                dtype=np.int64)
        other_info = np.array([n is None for n in self.andra_insats])

        self.reason: dict[str, int] = {}
        for role, word in REASON_ROLES.items():
            hits = [i for i, v in enumerate(self.orsak_avslut) if word in v]
            if len(hits) != 1:
                raise ValueError(f"orsak_avslut.csv: expected one value containing {word!r}, found {len(hits)}")
            self.reason[role] = hits[0]
        self.normal_reasons = np.array([i for i in range(len(self.orsak_avslut)) if i not in self.reason.values()])

        groups = _read(folder, "malgrupp")
        self.groups: list[Group] = []
        coded_insats = np.array([k is not None for k in self.insats_kod])
        for gi, row in enumerate(groups.iter_rows(named=True)):
            kod = row["kod"]
            column = kod if kod in matrix.columns else row["spec_kolumn"]
            if column not in matrix.columns:
                raise ValueError(f"aktualiseringsorsak_problematik.csv has no column for target group {kod!r}")
            x = np.array([(v or "").strip().upper() == "X" for v in matrix[column].to_list()])
            areas = tuple(a for a in (row["ksi_omraden"] or "").split("|") if a)
            in_area = np.isin(self.insats_area, areas)
            self.groups.append(Group(
                index=gi, kod=kod, areas=areas, scale=row["maluppfyllelse_skala"],
                age_min=int(row["rimlig_alder_min"]) if row["rimlig_alder_min"] else None,
                age_max=int(row["rimlig_alder_max"]) if row["rimlig_alder_max"] else None,
                marked=np.flatnonzero(x), unmarked=np.flatnonzero(~x),
                insats=np.flatnonzero(in_area & (self.insats_typ != "overkategori")),
                over=np.flatnonzero(in_area & (self.insats_typ == "overkategori") & coded_insats),
                foreign=np.flatnonzero(~in_area & (self.insats_typ == "insats") & coded_insats),
                scale_values=np.flatnonzero(mal_scale == row["maluppfyllelse_skala"]),
                other_scale=np.flatnonzero(mal_scale != row["maluppfyllelse_skala"]),
                other_info_codes=np.flatnonzero(other_info & np.isin(self.andra_area, areas)),
            ))
        self.malgrupp = [g.kod for g in self.groups]
        # marked[g, v]: value v of the matrix is suggested for group g
        self.marked = np.zeros((len(self.groups), len(self.orsak)), dtype=bool)
        for g in self.groups:
            self.marked[g.index, g.marked] = True

    def group(self, kod: str) -> Group:
        return self.groups[self.malgrupp.index(kod)]

    def all_strings(self) -> set[str]:
        """Every value string of every set (to prove an invalid sample is really outside them)."""
        out = set(self.kon) | set(self.ursprung) | set(self.aktualiseringstyp) | set(self.tidigare_kontakt)
        out |= set(self.sip) | set(self.orsak_avslut) | set(self.orsak) | set(self.maluppfyllelse)
        out |= set(self.insats_name) | {k for k in self.insats_kod if k} | set(self.andra_kod) | set(self.malgrupp)
        return out
