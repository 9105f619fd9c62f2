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
