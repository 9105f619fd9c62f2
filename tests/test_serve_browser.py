"""`conform serve` used as a person would: the real server on a local port, driven in Debian's chromium.

A procurement officer creates an evaluation, uploads three vendors' exports as zip files, waits for the checks,
reads the comparison and downloads a report as PDF. Every page passes axe-core's WCAG 2.1 AA rules, stays silent
in the console (no policy violation) and loads nothing from another origin.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from browser import ARTIFACTS, axe_problems, needs_playwright
from conform.generator import generate
from conform.serve import address
from conform.serve.app import Service, create_app
from serving import ROOT, TOKEN, zipped

UNSEEN = ROOT / "tests" / "data" / "serve-unseen" / "export"

pytestmark = needs_playwright


class Running:
    """The page's real server (uvicorn) on a free port of 127.0.0.1, in a thread of the test."""

    def __init__(self, workdir: Path):
        import uvicorn

        self.service = Service(workdir, "sv")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(create_app(self.service, TOKEN), host="127.0.0.1", port=self.port,
                                log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        end = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < end, "the server did not start"
            time.sleep(0.05)
        self.url = address("127.0.0.1", self.port, TOKEN)
        self.origin = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> list[Path]:
    """Three vendors' test exports, zipped: clean, a few defects, many."""
    root = tmp_path_factory.mktemp("vendors")
    zips = []
    for name, rate, seed in (("alfa", 0.0, 21), ("beta", 0.01, 22), ("gamma", 0.2, 23)):
        folder = root / name
        generate(folder, persons=300, defects=rate, seed=seed)
        (folder / "expected_findings.csv").unlink(missing_ok=True)
        target = root / f"{name}.zip"
        target.write_bytes(zipped(folder))
        zips.append(target)
    return zips


def finished(tab, timeout: float = 300.0) -> None:
    """Wait while the page reloads itself for a running check."""
    end = time.monotonic() + timeout
    while tab.locator("meta[http-equiv=refresh]").count():
        assert time.monotonic() < end, "the checks did not finish"
        tab.wait_for_timeout(500)
        tab.reload()


def shot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_an_evaluation_start_to_finish_in_the_browser(browser, exports, tmp_path):
    running = Running(tmp_path / "work")
    context = browser.context(accept_downloads=True)
    try:
        context.set_default_timeout(60_000)
        tab = browser.open(running.url, context=context)
        assert tab.url == running.origin + "/"          # the key went into a cookie, not the address
        tab.fill("#name", "Upphandling av verksamhetssystem 2026")
        tab.fill("#as_of", "2025-06-30")
        tab.click("button[type=submit]")
        evaluation_url = tab.url
        # the requirements, set in the form before any vendor is added
        tab.click("text=Ställ in kraven")
        tab.select_option("select[name='level.ursprung']", "bor")
        tab.fill("input[name='weight.ursprung']", "2")
        tab.fill("input[name='tolerance.ursprung']", "5")
        tab.click("text=Spara kraven")
        assert tab.url == evaluation_url and "egen kravfil" in tab.inner_text("body")
        for path, vendor in zip(exports, ["Alfa AB", "Beta AB", "Gamma AB"], strict=True):
            tab.fill("#vendor_name", vendor)
            tab.set_input_files("#export", str(path))
            tab.click("form[action$='/vendors'] button[type=submit]")
        assert tab.locator("text=Sidan uppdateras av sig själv").count() or tab.locator("td").count()
        finished(tab)
        rows = tab.locator("tbody tr")
        assert rows.count() == 3
        verdicts = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)]
        assert verdicts[0] == "godkänd" and verdicts[2] == "ej godkänd", verdicts
        shot(tab, "serve-evaluation")

        with tab.expect_download() as download:
            tab.get_by_label("Rapport PDF/A: Beta AB").click()
        pdf = tmp_path / "beta.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")

        with tab.expect_download() as download:
            tab.get_by_label("resultat (JSON): Gamma AB").click()
        result = tmp_path / "gamma.json"
        download.value.save_as(result)
        assert json.loads(result.read_text(encoding="utf-8"))["summary"]["verdict"] == "nonconformant"

        comparison = browser.open(evaluation_url + "/comparison", context=context)
        text = comparison.inner_text("body")
        assert text.index("Alfa AB") < text.index("Gamma AB")   # ranked: the clean export first
        shot(comparison, "serve-comparison")

        report = tab.get_by_label("Rapport HTML: Alfa AB").get_attribute("href")
        evaluation_path = evaluation_url.removeprefix(running.origin)
        for path in ["/?lang=en", "/?lang=sv", evaluation_path, evaluation_path + "/requirements", "/releases",
                     "/evaluations/ffffffffffff"]:
            problems = axe_problems(browser.axe(running.origin + path, context=context))
            assert problems == [], (path, problems)
        # The report and the comparison are served in a sandbox (their policy), where axe cannot run: they are
        # audited as the files they are when downloaded.
        for name, path in (("report", report), ("comparison", evaluation_url + "/comparison")):
            saved = tmp_path / f"{name}.html"
            saved.write_text(context.request.get(running.origin + path if path.startswith("/") else path).text(),
                             encoding="utf-8")
            problems = axe_problems(browser.axe(saved))
            assert problems == [], (name, problems)
        for opened in (tab, comparison):
            assert opened.console_problems == []

        tab.click("button.danger")
        tab.locator("text=Inga uppladdade exporter finns kvar").wait_for()
        assert not list((tmp_path / "work").rglob("export.zip"))
        again = browser.open(running.origin + report, context=context)
        assert "Alfa AB" in again.inner_text("body")   # rendered from the kept result
        shot(tab, "serve-deleted")
    finally:
        context.close()
        running.stop()


def test_a_mapping_review_and_a_release_comparison_in_the_browser(browser, exports, tmp_path):
    """A unit manager reviews the mapping drafted for an export nobody here has seen (tests/data/serve-unseen),
    choosing what the system's local values mean, until the verdict is final; a vendor compares two releases."""
    running = Running(tmp_path / "work")
    context = browser.context()
    try:
        context.set_default_timeout(60_000)
        tab = browser.open(running.url, context=context)
        tab.fill("#name", "Granskning av mappning")
        tab.fill("#as_of", "2025-06-30")
        tab.click("button[type=submit]")
        tab.fill("#vendor_name", "Okänt system AB")
        tab.set_input_files("#export", str(UNSEEN / "utdrag_ifo.csv"))
        tab.click("form[action$='/vendors'] button[type=submit]")
        finished(tab)
        assert tab.locator("tbody tr td").nth(1).inner_text() == "preliminär"
        tab.get_by_label("Granska mappningen: Okänt system AB").click()
        assert "Kvar att granska" in tab.inner_text("body")
        problems = axe_problems(browser.axe(tab.url, context=context))
        assert problems == [], problems
        # the domain expert knows what the system's words mean
        tab.get_by_label("Ursprung: Rumänien", exact=True).select_option(label="Född i övriga Europa")
        tab.get_by_label("Ursprung: Finland", exact=True).select_option(label="Född i övriga Europa")
        for select in tab.locator("select[name^='value.']").all():   # the rest: the vendor's own values
            if select.input_value() == "":
                select.select_option("asis")
        for box in tab.locator("input[type=checkbox]").all():
            box.check()
        shot(tab, "serve-mapping-review")
        tab.click("text=Spara och kontrollera igen")
        finished(tab)
        verdict = tab.locator("tbody tr td").nth(1).inner_text()
        assert verdict in ("godkänd", "godkänd med anmärkningar", "ej godkänd"), verdict
        tab.get_by_label("Granska mappningen: Okänt system AB").click()
        assert "bedömningen är slutlig" in tab.inner_text("body")
        mapping = context.request.get(tab.url + ".yaml").text()
        assert '"Rumänien": Född i övriga Europa' in mapping or "Rumänien: Född i övriga Europa" in mapping
        assert tab.console_problems == []

        # a vendor's release comparison, from two exports
        releases = browser.open(running.origin + "/releases", context=context)
        releases.set_input_files("#before", str(exports[0]))
        releases.set_input_files("#after", str(exports[2]))
        releases.fill("#release_as_of", "2025-06-30")
        releases.click("text=Visa skillnaderna")
        shown = releases.inner_text("body")
        assert "alfa.zip" in shown and "gamma.zip" in shown
        shot(releases, "serve-release-diff")
    finally:
        context.close()
        running.stop()


def test_a_page_opened_without_the_key_is_refused(browser, tmp_path):
    running = Running(tmp_path / "work")
    context = browser.context()
    try:
        tab = context.new_page()
        response = tab.goto(running.origin + "/")
        assert response.status == 403
        assert "nyckeln" in tab.inner_text("body")
    finally:
        context.close()
        running.stop()
