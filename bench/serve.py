"""How `conform serve` holds up under a large upload: a 1M-person export, zipped, uploaded to the real server
(`conform serve`, started as a user starts it) and checked in the background while the page is asked for
every half second.

    python bench/serve.py [--persons 1000000]

It measures the upload, the check from upload to verdict, how long the evaluation page takes to answer while the
check runs (median, 95th percentile, slowest), which progress states the page showed, and the server's peak
memory. The export is `conform generate --persons N --seed 7` (bench/run.py's), zipped once under bench/out/.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import OUT, export_for  # noqa: E402


def zipped(folder: Path) -> Path:
    target = OUT / f"{folder.name}.zip"
    if not target.exists():
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for path in sorted(folder.glob("*.csv")) + [folder / "datapackage.json"]:
                archive.write(path, path.name)
    return target


def started(workdir: Path) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "conform", "serve", "--workdir", str(workdir), "--port",
                               "8766"], stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        found = re.search(r"(http://\S+token=\S+)", line)
        if found:
            return server, found.group(1)
    raise SystemExit("conform serve printed no address")


def peak_memory_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    archive = zipped(export_for(args.persons))
    with tempfile.TemporaryDirectory(prefix="conform-bench-serve-") as work:
        server, url = started(Path(work))
        try:
            time.sleep(1.0)
            client = httpx.Client(timeout=600, follow_redirects=False)
            client.get(url)  # the key becomes a cookie
            base = url.split("/?")[0]
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(base + "/").text).group(1)
            created = client.post(base + "/evaluations", files={"name": (None, "Bänk"), "as_of": (None, "2025-06-30"),
                                                                "csrf": (None, csrf)})
            evaluation = base + created.headers["location"]
            begin = time.perf_counter()
            with archive.open("rb") as data:
                sent = client.post(evaluation + "/vendors", files={"export": ("export.zip", data),
                                                                   "name": (None, "Leverantör"),
                                                                   "csrf": (None, csrf)})
            uploaded = time.perf_counter()
            assert sent.status_code == 303, sent.text[:500]
            latencies, states = [], []
            while True:
                asked = time.perf_counter()
                page = client.get(evaluation).text
                latencies.append(time.perf_counter() - asked)
                state = re.search(r"<td>(väntar|kontrolleras[^<]*|klar|kunde inte kontrolleras)", page)
                text = " ".join(state.group(1).split()) if state else "?"
                if not states or states[-1] != text:
                    states.append(text)
                if "meta http-equiv=\"refresh\"" not in page:
                    break
                time.sleep(0.5)
            done = time.perf_counter()
            verdict = re.search(r'class="verdict (\w+)"', page)
            result = {
                "persons": args.persons, "zip_mib": round(archive.stat().st_size / 2**20, 1),
                "upload_seconds": round(uploaded - begin, 2), "check_seconds": round(done - uploaded, 2),
                "page_requests": len(latencies),
                "page_median_ms": round(statistics.median(latencies) * 1000, 1),
                "page_p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))] * 1000, 1),
                "page_slowest_ms": round(max(latencies) * 1000, 1),
                "progress_states_shown": states,
                "verdict": verdict.group(1) if verdict else None,
                "server_peak_mib": round(peak_memory_mib(server.pid), 1),
            }
        finally:
            server.terminate()
            server.wait(timeout=120)
    (OUT / "serve.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
