"""A table's records are matched to their parent's context on the keys' 64-bit hashes (conform.check.views.key_hash).
Two different keys with one hash must change nothing: the view is then built again on the key texts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from conform import api
from conform.check import views

EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "example-defects"
AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def builds(monkeypatch) -> list[tuple[str, bool]]:
    """(table, matched on hashes) of every view built from here on."""
    built = []
    build = views.Views._build

    def spy(self, ctx, link, hashed):
        built.append((ctx.table, hashed))
        return build(self, ctx, link, hashed)

    monkeypatch.setattr(views.Views, "_build", spy)
    return built


def test_keys_whose_hashes_collide_are_still_matched_on_their_texts(monkeypatch, builds):
    expected = api.check(EXPORT)
    # The second key of each parent table takes the first's hash, so the first's children match both parents.
    pairs = {}
    for table, key in (("aktualisering", "aktualisering_id"), ("insats", "insats_id")):
        first, second = pl.read_csv(EXPORT / f"{table}.csv", infer_schema=False)[key].unique(maintain_order=True)[:2]
        pairs[second] = first
    real = views.key_hash
    monkeypatch.setattr(views, "key_hash", lambda key: real(key.replace(pairs)))
    collided = api.check(EXPORT)

    assert expected.findings.height > 100
    assert collided.findings.equals(expected.findings)
    assert [s.status for s in collided.sets] == [s.status for s in expected.sets]
    assert ("beslut", False) in builds and ("uppfoljning", False) in builds  # built again on the texts
    assert ("person", False) not in builds and ("insats", False) not in builds  # no collision to match there


def test_views_match_on_hashes_when_no_keys_collide(builds):
    api.check(EXPORT)
    assert builds == [(t, True) for t in ("person", "aktualisering", "beslut", "insats", "uppfoljning")]


def test_the_figures_match_on_texts_where_hashes_collide(monkeypatch):
    """The report's figures match a record to its parent as the views do: every key of a table given one hash
    (every pair collides) leaves every figure as it was."""
    from conform.result import figures

    expected = api.check(EXPORT, as_of=AS_OF).figures
    monkeypatch.setattr(figures, "key_hash", lambda key: pl.when(key.is_not_null()).then(pl.lit(7, pl.UInt64)))
    assert api.check(EXPORT, as_of=AS_OF).figures == expected
