"""How does `conform init-mapping` do on dump shapes written by someone who had not read the drafter
(tests/unseen_dumps/: each shape's SHAPE.md says what it is, its mapping.yaml is the writer's own, hand-made)?

    python bench/unseen.py [--as-of 2025-06-30]

For each shape: the unedited draft's REVIEW lines and open items; its wrong crosswalks (a local value the writer's
mapping sends to another standard value); the check through the draft against the check through the hand-written
mapping, finding by finding (rule, table, row, field): recall and precision; the verdict each gives and the exit
code. A shape that neither mapping can read is said so, with the error.
"""

from __future__ import annotations

import argparse
import sys

import yaml
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from conform import api  # noqa: E402
from conform.errors import ConformError  # noqa: E402
from conform.input.mapping.draft import draft_mapping  # noqa: E402
from conform.render.findings import overall_verdict  # noqa: E402

SHAPES = ROOT / "tests" / "unseen_dumps"


def findings(result) -> set[tuple]:
    return set(result.hits.select("rule", "table", "row", "field").cast({c: str for c in ("rule", "table", "field")})
               .iter_rows())


def wrong_crosswalks(drafted: dict, written: dict) -> list[str]:
    """The draft's crosswalk entries whose local value the writer's mapping sends elsewhere, for the same field."""
    wrong = []
    for table, tmap in (drafted.get("tables") or {}).items():
        for name, spec in tmap["fields"].items():
            theirs = ((written["tables"].get(table) or {}).get("fields", {}).get(name) or {})
            theirs = theirs.get("values") or {} if isinstance(theirs, dict) else {}
            for local, standard in ((spec.get("values") or {}) if isinstance(spec, dict) else {}).items():
                if local in theirs and theirs[local] != standard:
                    wrong.append(f"{table}.{name}: {local!r} -> {standard!r}, not {theirs[local]!r}")
    return wrong


def export_of(shape: Path) -> Path:
    """The shape's export: its folder, or the one file in it."""
    files = list((shape / "export").iterdir())
    return files[0] if len(files) == 1 else shape / "export"


def measure(shape: Path, as_of: date, work: Path) -> dict:
    profile = api.load()[0]
    export = export_of(shape)
    row = {"shape": shape.name}
    try:
        text = draft_mapping(export, profile)
    except ConformError as exc:
        return row | {"draft": f"not drafted: {exc.text('en')}"}
    drafted = work / f"{shape.name}-draft.yaml"
    drafted.write_text(text, encoding="utf-8")
    row["review_lines"] = text.count("# REVIEW")
    row["wrong_crosswalks"] = wrong_crosswalks(yaml.safe_load(text),
                                               yaml.safe_load((shape / "mapping.yaml").read_text(encoding="utf-8")))
    try:
        truth = api.check(export, as_of=as_of, mapping=shape / "mapping.yaml", figures=False)
    except ConformError as exc:
        return row | {"truth": f"hand-written mapping cannot be checked: {exc.text('en')}"}
    try:
        guessed = api.check(export, as_of=as_of, mapping=drafted, figures=False)
    except ConformError as exc:
        return row | {"draft": f"draft cannot be checked: {exc.text('en')}"}
    expected, found = findings(truth), findings(guessed)
    hit = len(expected & found)
    open_items = guessed.provisional_figures()
    return row | {
        "expected": len(expected), "found": len(found),
        "recall": hit / len(expected) if expected else 1.0, "precision": hit / len(found) if found else 1.0,
        "open_items": open_items["open_items"] if open_items else 0,
        "verdict_draft": "provisional" if guessed.provisional else overall_verdict(guessed).value,
        "verdict_if_reviewed": overall_verdict(guessed).value, "verdict_hand": overall_verdict(truth).value,
        "exit_draft": int(guessed.exit_code(api.model.Severity.ERROR)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="conform-unseen-") as tmp:
        for shape in sorted(p for p in SHAPES.iterdir() if (p / "mapping.yaml").exists()):
            print(measure(shape, args.as_of, Path(tmp)))


if __name__ == "__main__":
    main()
