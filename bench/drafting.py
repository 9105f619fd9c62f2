"""How good is `conform init-mapping` on exports it has never seen? Drafts each generated shape whose headings and
local values are in neither headings.yaml nor lexicon.yaml, checks it through the unedited draft, and compares
with the generator's truth (conform.generator.drafting).

    python bench/drafting.py [--persons 2000] [--defects 0.05 0.2] [--seed 11] [--repeats 3] [--base REV]

Prints one Markdown row per shape and defect rate: the edits the draft needs (columns, formats, crosswalk
entries), the crosswalks it proposes that are wrong (a vendor word sent elsewhere, or a data error sent to a
standard value), the recall and precision of the findings through the draft against expected_findings.csv, and
the median time of the draft alone. With --base, the drafts are made by an earlier commit instead (checked out in
a temporary git worktree and run from its own source, as bench/ab.py does), and measured the same way: how much
a change of the drafter gained. A draft that cannot be checked at all (no key mapped) finds nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from conform import api  # noqa: E402
from conform.generator import generate  # noqa: E402
from conform.generator.drafting import measure  # noqa: E402
from conform.generator.vendors import DRAFTING_SHAPES  # noqa: E402
from conform.input.mapping.draft import draft_mapping  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--defects", type=float, nargs="+", default=[0.05, 0.2])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeats", type=int, default=3, help="draft timings per shape (median reported)")
    parser.add_argument("--base", help="draft with this earlier commit instead")
    args = parser.parse_args()
    profile = api.load()[0]
    print("| shape | persons | defects | REVIEW lines | edits (columns + crosswalk) | wrong crosswalks | "
          "expected findings | found | recall | precision | draft s (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="conform-drafting-") as tmp:
        drafter = _base_drafter(args.base, Path(tmp) / "base") if args.base else \
            (lambda export: draft_mapping(export, profile))
        for rate in args.defects:
            canonical = Path(tmp) / f"canonical-{rate}"
            generate(canonical, persons=args.persons, defects=rate, seed=args.seed)
            for shape in DRAFTING_SHAPES:
                work = Path(tmp) / f"{shape}-{rate}"
                q = measure(canonical, shape, work, drafter)
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    drafter(work / shape)
                    times.append(time.perf_counter() - start)
                print(f"| {shape} | {args.persons:,} | {rate:.0%} | {q.review} | {q.edits} ({len(q.structure_edits)}"
                      f" + {len(q.crosswalk_edits)}) | {len(q.wrong)} | {q.expected:,} | {q.found:,} | "
                      f"{q.recall:.3f} | {f'{q.precision:.3f}' if q.found else '–'} | "
                      f"{statistics.median(times):.2f} |", flush=True)
                for line in (*q.structure_edits, *q.crosswalk_edits, *q.wrong):
                    print(f"<!-- {shape} {rate}: {line} -->")


def _base_drafter(rev: str, checkout: Path):
    """A drafter running `conform init-mapping` from an earlier commit's own source (a process per draft, so its
    timings include the interpreter's start)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(checkout), rev], check=True,
                   capture_output=True)

    def drafter(export: Path) -> str:
        done = subprocess.run([sys.executable, "-m", "conform", "init-mapping", str(export)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(checkout / "src")})
        if done.returncode != 0:
            raise SystemExit(f"{rev}: init-mapping failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return done.stdout

    import atexit
    atexit.register(lambda: subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                            str(checkout)], capture_output=True))
    return drafter


if __name__ == "__main__":
    main()
