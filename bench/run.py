"""Benchmark: `conform check` against the floor (DuckDB reading every field of the same CSVs as text) and against
`frictionless validate` with the profile's Table Schemas, measured in one run, reported as medians and ratios.

    python bench/run.py                       # 1M persons, 3 repeats; frictionless at 100k; memory at 1M and 3M
    python bench/run.py --persons 200000 --repeats 1 --no-scaling --frictionless-persons 20000   # a quick look

Vendor shapes (issue 4): the same population as the vendors of fixtures/vendors/ would send it (normalised CSV and
one wide Windows-1252 file at --persons, an Excel workbook at --workbook-persons: a sheet holds at most 1,048,576
rows), checked through the fixtures' reviewed mappings, against their own floor (reading those files) and the
canonical check of the same population, the three taking turns.

Peak memory is the maximum resident set size reported by /usr/bin/time -v for each command. Exports are made by
`conform generate` (deterministic per seed) under bench/out/ and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]
AS_OF = "2025-06-30"


def export_for(persons: int) -> Path:
    folder = OUT / f"export-{persons}"
    if not (folder / "uppfoljning.csv").is_file():
        print(f"generating {persons:,} persons into {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "conform", "generate", str(folder), "--persons", str(persons),
                        "--seed", "7", "--as-of", AS_OF, "--force"], check=True)
    return folder


def shape_for(shape: str, persons: int) -> Path:
    folder = OUT / f"{shape}-{persons}"
    if not folder.is_dir():
        print(f"generating {persons:,} persons as the {shape} vendor into {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "conform", "generate", str(folder), "--persons", str(persons),
                        "--seed", "7", "--as-of", AS_OF, "--shape", shape, "--force"], check=True)
    return folder


SHAPE_FLOOR = """
import duckdb, sys
con = duckdb.connect()
for path, delim in {files!r}:
    source = "read_csv('" + path + "', all_varchar=true, header=true, delim='" + delim + "', quote='\\"')"
    columns = [r[0] for r in con.execute("describe select * from " + source).fetchall()]
    con.execute("select " + ", ".join('max(length("' + c + '"))' for c in columns) + " from " + source).fetchall()
"""
WORKBOOK_FLOOR = """
import fastexcel
book = fastexcel.read_excel({path!r})
for sheet in book.sheet_names:
    book.load_sheet(sheet, dtypes="string").to_polars()
"""


def shape_floor_command(folder: Path, shape: str) -> list[str]:
    """The least any checker must do with the vendor's own files: DuckDB reading every field as text (of a UTF-8
    copy of the wide file, made outside the timing: DuckDB reads no Windows-1252), or fastexcel reading every
    sheet of the workbook as text."""
    if shape == "workbook":
        return [sys.executable, "-c", WORKBOOK_FLOOR.format(path=str(next(folder.glob("*.xlsx"))))]
    files = []
    for csv_file in sorted(folder.glob("*.csv")):
        if shape == "wide":
            copy = OUT / f"{folder.name}.utf-8.csv"
            if not copy.exists():
                copy.write_text(csv_file.read_text(encoding="cp1252"), encoding="utf-8")
            files.append((str(copy), ";"))
        else:
            files.append((str(csv_file), ","))
    return [sys.executable, "-c", SHAPE_FLOOR.format(files=files)]


def decoding_floor_command(folder: Path) -> list[str] | None:
    """The wide file's floor with its decoding counted: glibc's iconv (C, the fastest Windows-1252 decoder on the
    machine) writing the UTF-8 copy, then DuckDB reading it as above. None without iconv."""
    if shutil.which("iconv") is None:
        return None
    source = next(folder.glob("*.csv"))
    copy = OUT / f"{folder.name}.iconv.csv"
    copy.unlink(missing_ok=True)  # written afresh and removed by each run, as conform does with its copy
    script = SHAPE_FLOOR.format(files=[(str(copy), ";")])
    src, dst = shlex.quote(str(source)), shlex.quote(str(copy))
    return ["sh", "-c", f"iconv -f CP1252 -t UTF-8 {src} > {dst} && "
                        f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}; rc=$?; rm -f {dst}; exit $rc"]


def mapped_command(folder: Path, shape: str) -> list[str]:
    mapping = ROOT / "fixtures" / "vendors" / shape / "mapping.yaml"
    return conform_command(folder) + ["--mapping", str(mapping)]


def timed(command: list[str]) -> tuple[float, int, int, float]:
    """Wall seconds, peak RSS in KiB, exit code and CPU seconds (user + system) of a command run under
    /usr/bin/time -v. CPU seconds vary less than wall seconds when other machines share the host."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]}… failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, int(match.group(1)) if match else -1, done.returncode, cpu


FLOOR = """
import duckdb, sys
con = duckdb.connect()
for table in {tables!r}:
    source = "read_csv('{folder}/" + table + ".csv', all_varchar=true, header=true, delim=',', quote='\\"')"
    columns = [r[0] for r in con.execute("describe select * from " + source).fetchall()]
    # Touch every field of every row: the least any checker must do.
    con.execute("select " + ", ".join('max(length("' + c + '"))' for c in columns) + " from " + source).fetchall()
"""


def floor_command(folder: Path) -> list[str]:
    return [sys.executable, "-c", FLOOR.format(tables=TABLES, folder=folder)]


def conform_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "conform", "check", str(folder), "--as-of", AS_OF, "--format", "json",
            "--output", str(OUT / "report.json")]


def frictionless_package(folder: Path) -> Path:
    """The profile's data package with its resources pointing at this export's files."""
    profile = json.loads((ROOT / "profiles" / "basinformation-1.0" / "datapackage.json").read_text(encoding="utf-8"))
    for resource in profile["resources"]:
        resource["path"] = str(folder / f"{resource['name']}.csv")
    profile.pop("conform", None)
    target = OUT / f"frictionless-{folder.name}.json"
    target.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    return target


def frictionless_command(folder: Path) -> list[str]:
    binary = shutil.which("frictionless") or str(Path(sys.executable).parent / "frictionless")
    return [binary, "validate", str(frictionless_package(folder)), "--trusted"]


def interleaved(commands: dict[str, list[str]], repeats: int) -> dict[str, list[tuple[float, int, int, float]]]:
    """Each command run `repeats` times, taking turns, so that a floor and a check see the same machine state."""
    runs: dict[str, list] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            runs[name].append(timed(command))
    return runs


def median_run(command: list[str], repeats: int) -> dict:
    return summary([timed(command) for _ in range(repeats)])


def summary(runs: list[tuple[float, int, int, float]]) -> dict:
    return {"seconds": [round(r[0], 3) for r in runs],
            "median_cpu_seconds": round(statistics.median(r[3] for r in runs), 3),
            "median_seconds": round(statistics.median(r[0] for r in runs), 3),
            "peak_rss_mib": round(max(r[1] for r in runs) / 1024, 1)}


def records(folder: Path) -> int:
    return sum(sum(1 for _ in (folder / f"{t}.csv").open(encoding="utf-8")) - 1 for t in TABLES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--frictionless-persons", type=int, default=100_000)
    parser.add_argument("--scaling-persons", type=int, default=3_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--no-frictionless", action="store_true")
    parser.add_argument("--workbook-persons", type=int, default=100_000)
    parser.add_argument("--no-shapes", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    main_export = export_for(args.persons)
    result: dict = {"persons": args.persons, "records": records(main_export), "repeats": args.repeats}
    runs = interleaved({"floor": floor_command(main_export), "check": conform_command(main_export)}, args.repeats)
    result["floor"], result["check"] = summary(runs["floor"]), summary(runs["check"])
    result["check_vs_floor"] = round(result["check"]["median_seconds"] / result["floor"]["median_seconds"], 2)
    result["check_vs_floor_cpu"] = round(
        result["check"]["median_cpu_seconds"] / result["floor"]["median_cpu_seconds"], 2)

    if not args.no_shapes:
        result["shapes"] = {}
        sizes = {"normalised": args.persons, "wide": args.persons, "workbook": args.workbook_persons}
        for shape, persons in sizes.items():
            folder = shape_for(shape, persons)
            # The canonical check of the same population takes turns with the shape's floor and check: a mapped
            # check does all of its work and its own, so its ratio to the shape's floor is the headroom left.
            commands = {"floor": shape_floor_command(folder, shape), "check": mapped_command(folder, shape),
                        "canonical_check": conform_command(export_for(persons))}
            if shape == "wide" and (decoding := decoding_floor_command(folder)) is not None:
                commands["floor_with_decoding"] = decoding
            runs = interleaved(commands, args.repeats)
            run = summary(runs["check"])
            floor = summary(runs["floor"])
            canonical = summary(runs["canonical_check"])["median_seconds"]
            run |= {"persons": persons, "own_floor_seconds": floor["median_seconds"],
                    "vs_own_floor": round(run["median_seconds"] / floor["median_seconds"], 2),
                    "vs_own_floor_cpu": round(run["median_cpu_seconds"] / floor["median_cpu_seconds"], 2),
                    "canonical_check_seconds": canonical,
                    "vs_canonical_check": round(run["median_seconds"] / canonical, 2),
                    "canonical_check_vs_own_floor": round(canonical / floor["median_seconds"], 2)}
            if "floor_with_decoding" in runs:
                decoded = summary(runs["floor_with_decoding"])
                run |= {"own_floor_with_decoding_seconds": decoded["median_seconds"],
                        "vs_own_floor_with_decoding": round(run["median_seconds"] / decoded["median_seconds"], 2),
                        "vs_own_floor_with_decoding_cpu": round(
                            run["median_cpu_seconds"] / decoded["median_cpu_seconds"], 2)}
            result["shapes"][shape] = run

    if not args.no_frictionless:
        small = export_for(args.frictionless_persons)
        result["frictionless_persons"] = args.frictionless_persons
        # frictionless is slow: run once, beside the first of the checks it is compared with.
        runs = interleaved({"check": conform_command(small), "frictionless": frictionless_command(small)}, 1)
        runs["check"] += [timed(conform_command(small)) for _ in range(args.repeats - 1)]
        result["frictionless"], result["check_small"] = summary(runs["frictionless"]), summary(runs["check"])
        result["frictionless_vs_check"] = round(
            result["frictionless"]["median_seconds"] / result["check_small"]["median_seconds"], 1)
        result["frictionless_vs_check_cpu"] = round(
            result["frictionless"]["median_cpu_seconds"] / result["check_small"]["median_cpu_seconds"], 1)

    if not args.no_scaling:
        large = export_for(args.scaling_persons)
        result["scaling_persons"] = args.scaling_persons
        result["check_large"] = median_run(conform_command(large), 1)
        result["memory_growth"] = round(result["check_large"]["peak_rss_mib"] / result["check"]["peak_rss_mib"], 2)
        result["input_growth"] = round(records(large) / result["records"], 2)

    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
