"""Is this change slower than an earlier commit? Checks one export with both, taking turns.

    python bench/ab.py --base f7c45cb --export bench/out/export-1000000 [--mapping M.yaml] [--repeats 5]

The earlier commit is checked out in a temporary git worktree and run from its own source (PYTHONPATH), with its
own rules and profile, in the same virtual environment; both run under /usr/bin/time, alternating, so that they
see the same machine state on a shared host. Reports each side's runs and the medians of wall and CPU seconds.
A mapping path inside this checkout is taken from the base's checkout for the base.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(source: Path, export: Path, mapping: Path | None, output: Path) -> tuple[float, float]:
    command = ["/usr/bin/time", "-f", "%e %U %S", sys.executable, "-m", "conform", "check", str(export),
               "--as-of", "2025-06-30", "--format", "json", "--output", str(output)]
    if mapping is not None:
        command += ["--mapping", str(mapping)]
    done = subprocess.run(command, capture_output=True, text=True, env={"PYTHONPATH": str(source / "src"),
                                                                         "PATH": "/usr/bin:/bin"})
    if done.returncode not in (0, 1):
        raise SystemExit(f"{source}: conform failed ({done.returncode}):\n{done.stderr[-2000:]}")
    wall, user, system = map(float, re.findall(r"([\d.]+) ([\d.]+) ([\d.]+)\s*$", done.stderr)[-1])
    return wall, user + system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--export", type=Path, required=True)
    parser.add_argument("--mapping", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="conform-ab-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base], check=True,
                       capture_output=True)
        try:
            sides = {"base": base, "this": ROOT}
            mappings = {"base": args.mapping and base / args.mapping.resolve().relative_to(ROOT),
                        "this": args.mapping}
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
            for _ in range(args.repeats):
                for name, source in sides.items():
                    runs[name].append(timed(source, args.export, mappings[name], Path(tmp) / f"{name}.json"))
                    print(name, *runs[name][-1], flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    medians = {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
               for name, rs in runs.items()}
    for name, (wall, cpu) in medians.items():
        print(f"{name}: median {wall:.2f} s wall, {cpu:.2f} CPU s")
    print(f"this / base: {medians['this'][0] / medians['base'][0]:.3f} wall, "
          f"{medians['this'][1] / medians['base'][1]:.3f} CPU")


if __name__ == "__main__":
    main()
