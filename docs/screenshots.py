"""Make the screenshots in docs/screenshots/: the printed summary pages of a clean and of a defective vendor's
report, and the first two pages of a three-vendor comparison, as the report's readers see them on paper.

    .venv/bin/python docs/screenshots.py

Needs what the test suite needs (`pip install -e '.[test]'`, Debian's chromium) and pdftoppm (Debian's
poppler-utils) to turn the printed pages into images. The exports are generated (synthetic, deterministic per
seed), so the pictures can be made again on any machine and show no real person.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import Browser, pdf_pages  # noqa: E402

from conform import api  # noqa: E402
from conform.render.compare import compare, compare_html  # noqa: E402
from conform.generator import generate  # noqa: E402
from conform.render.document import build  # noqa: E402
from conform.render.html import report_html  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
AS_OF = dt.date(2025, 6, 30)
VENDORS = [("Alfa Omsorgssystem AB", 0.0, "clean"), ("Beta Verksamhetsdata AB", 0.005, None),
           ("Gamma Socialsystem AB", 0.05, "defective")]


def main() -> None:
    if shutil.which("pdftoppm") is None:
        raise SystemExit("docs/screenshots.py needs pdftoppm: apt-get install poppler-utils")
    OUT.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        with tempfile.TemporaryDirectory(prefix="conform-screenshots-") as tmp:
            work = Path(tmp)
            documents = []
            for i, (vendor, defects, name) in enumerate(VENDORS):
                export = work / f"vendor{i}"
                generate(export, persons=2000, defects=defects, seed=11 + i, as_of=AS_OF)
                result = api.check(export)
                documents.append(build(result))
                if name is None:
                    continue
                page = work / f"report-{name}.html"
                page.write_text(report_html(result, vendor=vendor, system_version="4.2"), encoding="utf-8")
                texts = pdf_pages(browser.pdf(page, page.with_suffix(".pdf")))
                summary = next(i for i, text in enumerate(texts, start=1) if "Bilaga 1. " in text) - 1
                _pages(page.with_suffix(".pdf"), f"report-{name}", 1, summary)
            page = work / "compare.html"
            page.write_text(compare_html(compare(documents, names=[v for v, _, _ in VENDORS])), encoding="utf-8")
            _pages(browser.pdf(page, page.with_suffix(".pdf")), "compare", 1, 2)
    finally:
        browser.close()
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(OUT.glob("*.png"))))


def _pages(pdf: Path, stem: str, first: int, last: int) -> None:
    for old in OUT.glob(f"{stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(first), "-l", str(last), str(pdf),
                    str(OUT / stem)], check=True)


if __name__ == "__main__":
    main()
