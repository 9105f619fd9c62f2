"""A real browser for the HTML tests: headless Chromium (Debian's package, installed by .ci/run), run with no
network, no extensions and its console on stderr."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


BROWSER = chromium()
needs_browser = pytest.mark.skipif(BROWSER is None, reason="no chromium found (Debian: apt-get install -y chromium)")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
# The page runs no script, so the browser console must stay silent: any console line (a CSP violation, a blocked
# load, an uncaught error) is a problem.
CONSOLE_PROBLEMS = re.compile(r"Uncaught|Content Security Policy|Refused to|:CONSOLE[:(]")


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=180)


def render_and_dump(page: Path, workdir: Path, name: str) -> str:
    """Screenshot `page` into test-artifacts/`name`.png (asserting the console stayed silent) and return the DOM
    as the browser built it."""
    shot = workdir / f"{name}.png"
    rendered = browse(page, workdir / f"{name}-profile-1", f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file() and shot.stat().st_size > 10_000, rendered.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / f"{name}.png")
    problems = [line for line in rendered.stderr.splitlines() if CONSOLE_PROBLEMS.search(line)]
    assert not problems, "\n".join(problems)
    dom = browse(page, workdir / f"{name}-profile-2", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not [line for line in dom.stderr.splitlines() if CONSOLE_PROBLEMS.search(line)]
    return dom.stdout


# -- driven through Playwright: print to PDF, run axe-core, measure the laid-out page -----------------------------
# Playwright drives the same Debian chromium over the DevTools protocol (no browser download). Scripts run through
# the protocol, not in the page, so the report's CSP (no script) stays as it is.

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Landmarks, headings and the page's structure: axe files these under best practice, not under a WCAG tag.
AXE_STRUCTURE = ["region", "landmark-one-main", "landmark-no-duplicate-main", "landmark-unique",
                 "landmark-banner-is-top-level", "landmark-contentinfo-is-top-level", "landmark-main-is-top-level",
                 "page-has-heading-one", "heading-order", "empty-heading", "empty-table-header"]
# Why axe may leave a contrast check open without it being a problem: the element holds only a symbol (its text
# says the same), SVG chart text (axe cannot see the background of an SVG), too little text to judge, or the
# striped "missing" cells (a background gradient between two light greys, under dark grey text).
AXE_CONTRAST_UNDECIDED = {"nonBmp", "imgNode", "shortTextContent", "bgGradient", "bgImage", "pseudoContent"}


def playwright_available() -> bool:
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return BROWSER is not None


needs_playwright = pytest.mark.skipif(not playwright_available(),
                                      reason="needs chromium, playwright and axe-playwright-python ('.[test]')")


class Browser:
    """One headless chromium for a test module: open a file, print it, audit it."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        flags = [f for f in BROWSER_FLAGS if f not in {"--headless", "--enable-logging=stderr", "--v=0"}]
        self._browser = self._playwright.chromium.launch(executable_path=BROWSER, args=flags)

    def open(self, page: Path | str, width: int = 1280, context=None):
        """A tab showing `page`: a file, or the address of a local server (a request to any other origin is a
        problem, as a console line is)."""
        address = page if isinstance(page, str) else page.resolve().as_uri()
        origin = "file:" if not isinstance(page, str) else "/".join(page.split("/")[:3]) + "/"
        tab = (context or self._browser).new_page()
        tab.set_viewport_size({"width": width, "height": 1000})
        problems = []
        tab.on("console", lambda m: problems.append(m.text))
        tab.on("request", lambda r: problems.append(f"request {r.url}") if not r.url.startswith(origin) else None)
        tab.goto(address)
        tab.console_problems = problems
        return tab

    def context(self, **options):
        """A browser context of its own (its own cookies), for a session with a local server."""
        return self._browser.new_context(**options)

    def pdf(self, page: Path, target: Path) -> Path:
        tab = self.open(page)
        tab.pdf(path=str(target), prefer_css_page_size=True, print_background=True)
        tab.close()
        return target

    def axe(self, page: Path | str, context=None) -> dict:
        """axe-core's results for the page: WCAG 2.1 A and AA, and the structure rules."""
        from axe_playwright_python.sync_playwright import Axe

        tab = self.open(page, context=context)
        tags = Axe().run(tab, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                       "resultTypes": ["violations", "incomplete"]}).response
        structure = Axe().run(tab, options={"runOnly": {"type": "rule", "values": AXE_STRUCTURE},
                                            "resultTypes": ["violations"]}).response
        tab.close()
        return {"violations": tags["violations"] + structure["violations"], "incomplete": tags["incomplete"]}

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()


def axe_problems(results: dict) -> list[str]:
    """Every violation, and every check axe left open for a reason other than AXE_CONTRAST_UNDECIDED."""
    problems = [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:5]]}" for v in results["violations"]]
    for check in results["incomplete"]:
        for node in check["nodes"]:
            keys = {(c.get("data") or {}).get("messageKey") if isinstance(c.get("data"), dict) else None
                    for c in node.get("any", []) + node.get("all", []) + node.get("none", [])}
            if check["id"] != "color-contrast" or not keys <= AXE_CONTRAST_UNDECIDED:
                problems.append(f"undecided {check['id']} {keys} at {node['target']}")
    return problems


def pdf_pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages]


# For every heading cell: the pieces of text between spaces, hyphens and soft hyphens that the layout split over
# two lines (their first and last characters stand on different lines). A character after a soft hyphen where the line
# broke also owns the hyphen drawn at the end of the line before: its own box is its last.
BROKEN_WORDS_JS = """(selector) => {
  const top = (node, at, which) => {
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + 1);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    return rects.length ? Math.round(rects[which === "last" ? rects.length - 1 : 0].top) : null;
  };
  const broken = [];
  for (const cell of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\\s\\u00ad-]+/g;
      let m;
      while ((m = re.exec(node.textContent)) !== null) {
        const first = top(node, m.index, "last");
        const last = top(node, m.index + m[0].length - 1, "first");
        if (m[0].length > 1 && first !== last) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def broken_words(tab, selector: str, width: int, media: str = "screen") -> list[str]:
    tab.emulate_media(media=media)
    tab.set_viewport_size({"width": width, "height": 1000})
    return tab.evaluate(BROKEN_WORDS_JS, selector)
