"""The violations CSV: one row per violation, the data owner's working list (keys and values in full)."""

from __future__ import annotations

from pathlib import Path

from conform.model import CheckResult
from conform.render.findings import with_messages

COLUMNS = ["table", "row", "key", "rule", "severity", "category", "field", "value", "other", "message"]


def write_violations(result: CheckResult, path: Path, lang: str = "sv") -> int:
    frame = with_messages(result.findings, result.rules, lang).select(COLUMNS)
    frame.write_csv(path)
    return frame.height
