"""The violations CSV: one row per violation, the data owner's working list (keys and values in full)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conform.model import CheckResult
from conform.render.findings import with_messages

COLUMNS = ["table", "row", "key", "rule", "severity", "category", "field", "value", "other", "message", "as_of"]


def write_violations(result: CheckResult, path: Path, lang: str = "sv") -> int:
    frame = (with_messages(result.findings, result.rules, lang)
             .with_columns(as_of=pl.lit(result.as_of)).select(COLUMNS))
    frame.write_csv(path)
    return frame.height
