"""`generate`: write a synthetic export (and, with defects, the findings a checker must report)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

import polars as pl

from conform.generator import clean
from conform.generator import dates as D
from conform.generator.valuesets import ValueSets
from conform.resources import DEFAULT_PROFILE

TABLES = ("person", "aktualisering", "beslut", "insats", "uppfoljning")
EXPECTED_FILE = "expected_findings.csv"


@dataclass
class Summary:
    """What :func:`generate` wrote."""

    outdir: Path
    persons: int
    seed: int
    defect_rate: float
    as_of: date
    counts: dict[str, int]                              # rows written per table
    defects: dict[str, int] = field(default_factory=dict)   # injected defects per rule code
    expected: dict[str, int] = field(default_factory=dict)  # rows of expected_findings.csv per rule code
    synthesised_ids: int = 0                            # person-IDs made up beyond Skatteverket's test lists
    paths: list[Path] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def _chunks(vs: ValueSets, persons: int, seed: int, as_of: int, chunk: int) -> Iterator[clean.World]:
    """The export's blocks joined into worlds of at least ``chunk`` persons (the last one may hold fewer)."""
    pending: list[clean.World] = []
    for block in clean.blocks(vs, persons, seed, as_of):
        pending.append(block)
        if sum(b.counts["person"] for b in pending) >= chunk:
            yield clean.World.concat(pending)
            pending = []
    if pending:
        yield clean.World.concat(pending)


def write_csv(frame: pl.DataFrame, path: Path | BinaryIO, header: bool = True) -> None:
    frame.write_csv(path, separator=",", line_terminator="\n", quote_style="necessary", null_value="",
                    include_header=header)


def generate(outdir: Path, persons: int = 200, defects: float = 0.0, seed: int = 1,
             as_of: date = date(2025, 6, 30), profile: str = DEFAULT_PROFILE, chunk: int = clean.BLOCK) -> Summary:
    """Write a realistic synthetic vendor export in conform's canonical shape to ``outdir``.

    Five CSV files (person, aktualisering, beslut, insats, uppfoljning; UTF-8, comma, header, ``\\n``, quoting
    only when needed, ``|`` between the values of a multi-valued field, ISO dates) and ``datapackage.json``
    whose ``created`` is ``as_of``. The same arguments give byte-identical files.

    Clean data is drawn to pass every error and warning rule: value strings come from the profile's value sets,
    ages fit the target group (``malgrupp``) and are never within three days of a birthday, dates follow the
    process (aktualisering ≤ beslut ≤ verkställande ≤ uppföljning ≤ avslut, all after the birth date and none
    after ``as_of``), and closure reasons agree with the record.

    Person-IDs are Skatteverket's published test personnummer and samordningsnummer (about 5 % samordningsnummer,
    a few of them without a readable birth date). Those lists hold some 24,000 numbers, but only the ones whose
    birth date fits a target group's ages in the five-year window can be used (for Äldre about 2,000), so when a
    group needs more persons than its fitting test numbers (large exports and benchmarks) the rest get
    synthesised numbers: a birth date drawn for the group, a random birth number 001-999 and a correct Luhn check
    digit. Such numbers are valid in form and may coincide with real people's; they are meant for volume tests.
    ``Summary.synthesised_ids`` says how many there are.

    With ``defects`` > 0 about that share of the records (of the five tables, added rows included) is made
    defective: each carries at least one finding, and ``expected_findings.csv`` lists ``table,key,rule`` for
    every finding the corruption must cause. Every rule of :data:`conform.generator.defects.INJECTORS` gets at
    least one defect when there are 100 persons or more, so a very low rate gives somewhat more (at 0.005 and
    2,000 persons about 0.0055); above :data:`conform.generator.defects.PRIMARY_MAX` the rest of the rate is
    record-local defects (see :mod:`conform.generator.defects`).

    A clean export is drawn and written ``chunk`` persons at a time (whole blocks of :data:`clean.BLOCK`), so its
    memory does not grow with ``persons``; the files are the same whatever the chunk. Defects reach across the
    whole export (a person's last date, keys used twice), so a defective export is drawn in one piece.
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if not 0.0 <= defects < 1.0:
        raise ValueError("defects must be a share between 0 and 1")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    vs = ValueSets(profile)
    widths = clean.key_widths(persons)
    summary = Summary(outdir=outdir, persons=persons, seed=seed, defect_rate=defects, as_of=as_of,
                      counts=dict.fromkeys(TABLES, 0))
    paths = [outdir / f"{table}.csv" for table in TABLES]
    expected_path = outdir / EXPECTED_FILE
    with ExitStack() as stack:
        files = [stack.enter_context(path.open("wb")) for path in paths]
        for world in _chunks(vs, persons, seed, D.day(as_of), chunk if defects == 0 else persons):
            frames = clean.frames(world, widths, first=summary.counts)
            if defects > 0:
                from conform.generator.defects import inject

                frames, expected, injected = inject(world, frames, defects, seed)
                summary.defects = injected
                summary.expected = dict(sorted(expected.group_by("rule").len().iter_rows()))
            header = summary.records == 0
            for table, file in zip(TABLES, files, strict=True):
                write_csv(frames[table], file, header)
                summary.counts[table] += frames[table].height
            summary.synthesised_ids += world.synthesised
    summary.paths.extend(paths)
    package = {
        "name": f"conform-synthetic-{seed}",
        "created": f"{as_of.isoformat()}T00:00:00Z",
        "resources": [{"name": t, "path": f"{t}.csv"} for t in TABLES],
    }
    package_path = outdir / "datapackage.json"
    package_path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summary.paths.append(package_path)
    if defects > 0:
        write_csv(expected, expected_path)
        summary.paths.append(expected_path)
    elif expected_path.exists():
        expected_path.unlink()  # a stale list from an earlier run would describe other data
    return summary
