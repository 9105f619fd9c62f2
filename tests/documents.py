"""Result documents of real checks for the report-format tests, and golden-file comparison."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from conform.api import check
from conform.render.document import build
from rulecases import write_export

GOLDEN = Path(__file__).parent / "golden"
GENERATED_AT = "2025-07-01T12:00:00Z"
TOOL_VERSION = "0.0.0-test"
FINGERPRINT_KEY = b"conform-test-key-not-secret-0000"


def make_document(root: Path, name: str, patch: dict, lang: str = "sv", reveal_ids: bool = False,
                  fingerprint_key: bytes | None = FINGERPRINT_KEY, listed: int | None = None) -> dict:
    """A result document for an export written under root/name, with the export path as the relative `name`
    and the run-dependent fields (generated_at, tool version) fixed so that outputs can be compared verbatim.
    Its findings carry fingerprints made with a fixed test key, as `conform check --format json` writes them."""
    with contextlib.chdir(root):
        as_of = write_export(Path(name), patch)
        document = build(check(Path(name), as_of=as_of, listed=listed), lang=lang, reveal_ids=reveal_ids,
                         fingerprint_key=fingerprint_key)
    document["generated_at"] = GENERATED_AT
    document["tool"]["version"] = TOOL_VERSION
    return document


def assert_golden(name: str, text: str) -> None:
    """`text` equals tests/golden/`name`; with CONFORM_UPDATE_GOLDEN=1 the golden file is rewritten instead."""
    path = GOLDEN / name
    if os.environ.get("CONFORM_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: run the tests once with CONFORM_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name}: not as golden (CONFORM_UPDATE_GOLDEN=1 updates)"
