"""The long run of the hostile-input suite: thousands of broken and hostile exports through `conform check`.

    python bench/fuzz.py --cases 10000                # every family in turn, seeds 0..
    python bench/fuzz.py --replay quotes:17 --keep    # one case again, its folder kept for a look

Cases come from tests/hostile_cases.py (the families the CI suite samples). Worker processes run each case
through the command line in-process, with an address-space cap (`--memory-gb`, as the corpus that found the
crashes used), and write every output: the JSON result and, in turn, the HTML report, the text report, JUnit,
Markdown and the violations file. The parent gives each case `--timeout` seconds; a worker that does not answer
is killed (a hang) and one that dies is an abort. A case is clean when the run ends with exit 0, 1 or 2, nothing
it wrote holds a traceback, the last line of defence did not fire, no output holds a full test person-ID, the
HTML holds no unescaped markup from the export, and the input is byte-identical afterwards.

Results go to bench/out/fuzz.json; the outcome table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
CLEAN = "clean"



def worker(memory_gb: float) -> None:
    """Read `family seed` lines, answer one JSON line each."""
    import resource

    limit = int(memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from hostile_cases import run_case

    for line in sys.stdin:
        family, seed = line.split()
        work = Path(tempfile.mkdtemp(prefix="fuzz-"))
        try:
            row = run_case(family, int(seed), work)
        except Exception as exc:  # the case could not be built: a fault of the suite, reported as such
            row = {"family": family, "seed": int(seed), "outcome": "case not built",
                   "detail": f"{type(exc).__name__}: {str(exc)[:200]}", "exit": None, "seconds": 0}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        # The worker's peak resident memory so far (KiB on Linux): the run's largest is the most any case took.
        row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        row["peak_vm_mib"] = _peak_virtual_mib()
        print(json.dumps(row), flush=True)


def _peak_virtual_mib() -> int | None:
    """The worker's peak address space (VmPeak), which the cap limits."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("VmPeak:")), None)
    return int(line.split()[1]) // 1024 if line else None


class Worker:
    def __init__(self, memory_gb: float, tmp: Path):
        # A temporary folder of its own: the crash reports a case leaves are told apart from another worker's.
        own = Path(tempfile.mkdtemp(dir=tmp))
        env = os.environ | {"TMPDIR": str(own), "PYTHONPATH": str(REPO / "src")}
        self.process = subprocess.Popen([sys.executable, __file__, "--worker", "--memory-gb", str(memory_gb)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                        start_new_session=True)
        self.case: tuple[str, int] | None = None
        self.deadline = 0.0
        self.done = 0

    def send(self, case: tuple[str, int], timeout: float) -> None:
        self.case, self.deadline = case, time.monotonic() + timeout
        self.process.stdin.write(f"{case[0]} {case[1]}\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def run(cases: list[tuple[str, int]], workers: int, timeout: float, memory_gb: float, recycle: int) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="conform-fuzz-"))
    pool = [Worker(memory_gb, tmp) for _ in range(workers)]
    pending, rows = list(reversed(cases)), []
    started = time.monotonic()
    try:
        for w in pool:
            if pending:
                w.send(pending.pop(), timeout)
        while any(w.case for w in pool):
            busy = [w for w in pool if w.case]
            wait = max(min(w.deadline for w in busy) - time.monotonic(), 0)
            ready, _, _ = select.select([w.process.stdout for w in busy], [], [], wait)
            for w in list(busy):
                if w.process.stdout in ready:
                    line = w.process.stdout.readline()
                    if line:
                        rows.append(json.loads(line))
                        if rows[-1]["outcome"] != CLEAN:
                            print(f"  {w.case[0]}:{w.case[1]}  {rows[-1]['outcome']}  {rows[-1].get('detail')}",
                                  file=sys.stderr, flush=True)
                    else:
                        code = w.process.wait()
                        rows.append({"family": w.case[0], "seed": w.case[1], "outcome": "abort",
                                     "detail": f"exit status {code} after {w.done} cases in this worker",
                                     "exit": code, "seconds": None})
                        print(f"  {w.case[0]}:{w.case[1]}  abort  {rows[-1]['detail']}", file=sys.stderr, flush=True)
                elif time.monotonic() >= w.deadline:
                    rows.append({"family": w.case[0], "seed": w.case[1], "outcome": f"hang (> {timeout:g} s)",
                                 "detail": None, "exit": None, "seconds": timeout})
                    print(f"  {w.case[0]}:{w.case[1]}  hang", file=sys.stderr, flush=True)
                    w.kill()
                else:
                    continue
                w.done += 1
                if w.done >= recycle and w.process.poll() is None:
                    w.kill()  # a fresh process now and then: the cap is a bound per check, not per thousand
                if w.process.poll() is not None:
                    pool[pool.index(w)] = w = Worker(memory_gb, tmp)
                w.case = None
                if pending:
                    w.send(pending.pop(), timeout)
                if len(rows) % 250 == 0:
                    bad = sum(r["outcome"] != CLEAN for r in rows)
                    print(f"{len(rows)}/{len(cases)} cases, {bad} not clean, "
                          f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    finally:
        for w in pool:
            w.process.stdin.close()
            w.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def table(rows: list[dict]) -> str:
    outcomes = Counter(r["outcome"] for r in rows)
    clean_exits = Counter(r["exit"] for r in rows if r["outcome"] == CLEAN)
    by_family = defaultdict(Counter)
    for r in rows:
        by_family[r["family"]][r["outcome"] if r["outcome"] != CLEAN else f"exit {r['exit']}"] += 1
    lines = ["| outcome | cases |", "|---|---|"]
    for exit_code in sorted(clean_exits):
        lines.append(f"| handled cleanly, exit {exit_code} | {clean_exits[exit_code]} |")
    for outcome in ["traceback", "unexpected error", "bad exit code", "abort", "person-ID in output",
                    "unescaped markup", "input modified", "case not built"]:
        lines.append(f"| {outcome} | {outcomes.get(outcome, 0)} |")
    hangs = sum(n for o, n in outcomes.items() if o.startswith("hang"))
    lines.append(f"| hang | {hangs} |")
    lines.append(f"| **total** | **{len(rows)}** |")
    seconds = [r["seconds"] for r in rows if r.get("seconds") is not None]
    lines += ["", "| family | cases | exit 0 | exit 1 | exit 2 | not clean | median s | max s |",
              "|---|---|---|---|---|---|---|---|"]
    for family in sorted(by_family):
        counts = by_family[family]
        times = [r["seconds"] for r in rows if r["family"] == family and r.get("seconds") is not None]
        lines.append(f"| {family} | {sum(counts.values())} | {counts['exit 0']} | {counts['exit 1']} | "
                     f"{counts['exit 2']} | {sum(n for o, n in counts.items() if not o.startswith('exit'))} | "
                     f"{statistics.median(times):.2f} | {max(times):.2f} |")
    if seconds:
        lines += ["", f"Per case: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s."]
    peaks = [r["peak_rss_mib"] for r in rows if r.get("peak_rss_mib")]
    virtual = [r["peak_vm_mib"] for r in rows if r.get("peak_vm_mib")]
    if peaks:
        lines.append(f"Peak resident memory of any worker: {max(peaks)} MiB; peak address space: "
                     f"{max(virtual, default=0)} MiB.")
    return "\n".join(lines)


def main() -> None:
    from hostile_cases import FAMILIES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--memory-gb", type=float, default=4.0)
    parser.add_argument("--recycle", type=int, default=1_000_000,
                        help="start a fresh worker process after this many cases")
    parser.add_argument("--replay", help="family:seed, run in this process")
    parser.add_argument("--keep", action="store_true", help="with --replay: keep the case's folder")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "fuzz.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.memory_gb)
        return
    if args.replay:
        from hostile_cases import run_case

        family, seed = args.replay.split(":")
        work = Path(tempfile.mkdtemp(prefix="fuzz-replay-"))
        print(json.dumps(run_case(family, int(seed), work), indent=1))
        if args.keep:
            from hostile_cases import build
            case = build(family, int(seed), work / "again")
            print(f"case kept: conform --debug check {case.export} {' '.join(case.args)}")
        else:
            shutil.rmtree(work)
        return
    families = args.families.split(",")
    cases = [(families[i % len(families)], args.first_seed + i // len(families)) for i in range(args.cases)]
    started = time.monotonic()
    rows = run(cases, args.workers, args.timeout, args.memory_gb, args.recycle)
    elapsed = time.monotonic() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cases": len(rows), "seconds": round(elapsed), "workers": args.workers,
                                    "timeout": args.timeout, "memory_gb": args.memory_gb, "rows": rows},
                                   indent=0), encoding="utf-8")
    print(table(rows))
    print(f"\n{len(rows)} cases in {elapsed / 60:.1f} min with {args.workers} workers; rows in {args.out}")
    for r in rows:
        if r["outcome"] != CLEAN:
            print(f"  {r['family']}:{r['seed']}  {r['outcome']}  {r.get('detail')}")


if __name__ == "__main__":
    main()
