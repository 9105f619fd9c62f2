"""A large export is drawn and written a chunk at a time: the files are the same whatever the chunk, and every
record is as valid as in an export drawn in one piece.

The block (the persons drawn from one random stream) is made small here so that a few thousand persons span
several blocks; at its real size the same code runs on a hundred thousand persons a block.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conform.generator import TABLES, clean, generate
from conform.generator.persons import TakenNumbers, luhn
from tests.test_defect_rate import exact_difference, measured

AS_OF = dt.date(2025, 6, 30)
PERSONS = 2500
SMALL_BLOCK = 700
PARENT = {"aktualisering": ("person", "person_id"), "beslut": ("aktualisering", "aktualisering_id"),
          "insats": ("beslut", "beslut_id"), "uppfoljning": ("insats", "insats_id")}


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(clean, "BLOCK", SMALL_BLOCK)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_files_are_the_same_whatever_the_chunk(small_blocks, tmp_path):
    written = {}
    for chunk in (SMALL_BLOCK, 1500, PERSONS):   # one block a write, two or three blocks a write, all in one
        summary = generate(tmp_path / str(chunk), persons=PERSONS, seed=11, as_of=AS_OF, chunk=chunk)
        written[chunk] = files(tmp_path / str(chunk))
        assert summary.counts == {t: pl.read_csv(tmp_path / str(chunk) / f"{t}.csv").height for t in TABLES}
    assert written[SMALL_BLOCK] == written[1500] == written[PERSONS]
    # and the blocks really differ: a block is not a copy of the first one
    person = pl.read_csv(tmp_path / str(PERSONS) / "person.csv", infer_schema=False)
    assert person.height == PERSONS


def test_records_stay_whole_across_chunks(tmp_path, monkeypatch):
    # Äldre has some 2,000 fitting test numbers: at 900 Äldre a block, the later blocks synthesise numbers
    monkeypatch.setattr(clean, "BLOCK", 3000)
    summary = generate(tmp_path, persons=12_000, seed=12, as_of=AS_OF, chunk=3000)
    tables = {t: pl.read_csv(tmp_path / f"{t}.csv", infer_schema=False) for t in TABLES}
    ids = tables["person"]["person_id"]
    assert ids.n_unique() == 12_000   # no two blocks hand out the same number
    numbers = ids.cast(pl.Int64).to_numpy()
    assert (luhn(numbers // 10) == numbers % 10).all()
    assert summary.synthesised_ids > 900
    for table, (parent, key) in PARENT.items():
        own = tables[table][f"{table}_id"]
        # keys run on from chunk to chunk: 1, 2, ... with no gap and no repeat
        assert own.str.slice(1).cast(pl.Int64).to_list() == list(range(1, own.len() + 1))
        assert tables[table][key].is_in(tables[parent][key].implode()).all(), table


def test_a_chunked_export_is_clean_to_the_check(small_blocks, tmp_path):
    generate(tmp_path, persons=PERSONS, seed=13, as_of=AS_OF, chunk=SMALL_BLOCK)
    defective, _, defects, _ = measured(tmp_path)
    assert defective == 0 and defects.is_empty(), defects.head()


def test_defects_over_several_blocks_stay_exact(small_blocks, tmp_path):
    summary = generate(tmp_path, persons=PERSONS, defects=0.1, seed=14, as_of=AS_OF, chunk=SMALL_BLOCK)
    assert summary.persons == PERSONS and summary.defects
    diff = exact_difference(tmp_path)
    assert diff.is_empty(), diff.head(20)


def test_up_to_one_block_the_first_stream_is_kept(tmp_path, monkeypatch):
    """An export of at most one block is drawn exactly as before blocks existed, whatever the block size."""
    generate(tmp_path / "a", persons=400, seed=15, as_of=AS_OF)
    monkeypatch.setattr(clean, "BLOCK", 400)
    generate(tmp_path / "b", persons=400, seed=15, as_of=AS_OF, chunk=1)
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_key_widths_follow_the_most_rows_possible():
    assert set(clean.key_widths(370_000).values()) == {7}
    widths = clean.key_widths(10_000_000)
    assert widths == {"aktualisering": 8, "beslut": 8, "insats": 8, "uppfoljning": 9}


def test_taken_numbers_remember_what_was_added():
    taken = TakenNumbers(1900, 2025)
    ids = np.array([194107086985, 194107756982, 202012312386], dtype=np.int64)
    assert not taken.contains(ids).any()
    taken.add(ids[:2])
    assert taken.contains(ids).tolist() == [True, True, False]
    # a number of another check digit is the same ÅÅÅÅMMDDNNN: taken too
    assert taken.contains(np.array([194107086980])).tolist() == [True]
    with pytest.raises(ValueError):
        taken.contains(np.array([189001011234]))
