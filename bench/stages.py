"""Where a check's time and memory go, stage by stage, in memory and in buckets.

    python bench/stages.py --export bench/out/export-1000000 [--bucket-records 2000000] [--repeats 3]

Each run is a fresh process that checks the export as `conform check --format json` does (figures included)
and stamps the time at each step the check reports as progress (conform.cli.progress): loading the profile and
rules, reading the export (opening it and proving every line), each table (its view, its checks and its figures'
counts), putting the result together (attribution, set verdicts, the figures' settling) and the JSON document;
its peak resident memory is read from the kernel (`ru_maxrss`). With --bucket-records the export is checked in
buckets of that many records (conform.input.partition), as a larger export would be. Prints each stage's median
over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

RUN = r"""
import json, resource, sys, time
from pathlib import Path
from conform import api
from conform.render.document import build

stamps = [("profile and rules", time.perf_counter())]
def step(name, done, total):
    stamps.append((name, time.perf_counter()))
kwargs = {"bucket_records": int(sys.argv[2])} if sys.argv[2] != "0" else {}
result = api.check(Path(sys.argv[1]), as_of=__import__("datetime").date(2025, 6, 30), progress=step, **kwargs)
stamps.append(("JSON document", time.perf_counter()))
json.dumps(build(result, lang="sv", fingerprint_key=bytes(32)), ensure_ascii=False)
stamps.append(("end", time.perf_counter()))
stages = {}
for (name, at), (_, until) in zip(stamps, stamps[1:]):
    stages[name] = stages.get(name, 0.0) + until - at  # a table's steps add up over the buckets
stages.pop("done", None)
print(json.dumps({"stages": stages, "total": stamps[-1][1] - stamps[0][1],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(export: Path, bucket_records: int) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN, str(export), str(bucket_records)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, required=True)
    parser.add_argument("--bucket-records", type=int, default=0, help="check in buckets of this many records")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = [run(args.export, args.bucket_records) for _ in range(args.repeats)]
    names = list(runs[0]["stages"])
    how = (f"in buckets of {args.bucket_records:,} records" if args.bucket_records
           else "in one piece or in buckets, as the check chooses by its size")
    print(f"{args.export} ({how}, {args.repeats} runs, medians)")
    print("| stage | seconds | share |")
    print("|---|---|---|")
    total = statistics.median(r["total"] for r in runs)
    for name in names:
        seconds = statistics.median(r["stages"].get(name, 0.0) for r in runs)
        print(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")
    print(f"| **all** | **{total:.2f}** | |")
    print(f"peak resident memory: {statistics.median(r['peak_mib'] for r in runs):.0f} MiB")


if __name__ == "__main__":
    main()
