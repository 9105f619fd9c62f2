"""The HTML report: golden file, escaping, self-containment, the figures behind it, and a real headless browser.

Regenerate the golden file with CONFORM_UPDATE_GOLDEN=1 after a deliberate change to the report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform import api
from conform.cli import main
from conform.model import ExitCode
from conform.formatting import Formatter
from conform.render.html import CSP, build_report
from conform.vocabulary import closest, profile_lexicon
from browser import ARTIFACTS, CONSOLE_PROBLEMS, browse, needs_browser
from rulecases import write_export

GOLDEN = Path(__file__).parent / "golden" / "report.html"
AS_OF = ["--as-of", "2025-06-30"]

# The base rule-case export with a few findings of different kinds: a value outside the value set with a
# near spelling, the spec's own synonym example, a date order error, a decision not executed within three
# months (PLA-002), and a value that is part of a standard value.
FINDINGS = {"set": {
    "person": {"201401042385": {"juridiskt_kon": "Kvinna"}},
    "aktualisering": {"A_EKB": {"aktualiseringsorsak": "Ej självförsörjande|Hemlöshet"}},
    "beslut": {"B_VUX": {"datum_beslut": "2024-02-28"}},
    "insats": {"I_FUNK": {"datum_verkstallande": None}},
    "uppfoljning": {"U_VUX": {"sip": "Ja"}},
}}

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "</td></tr></table><script>alert(3)</script>",
    "<svg onload=alert(4)>",
    "{{ 7*7 }}<!--",
]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def rows_of(html: str, table_class: str) -> int:
    """The row headings of the first table of that class."""
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S)
    assert table, table_class
    return table.group(1).count('<th scope="row">')


@pytest.fixture
def golden_html(tmp_path, monkeypatch) -> str:
    write_export(tmp_path / "export", FINDINGS)
    monkeypatch.chdir(tmp_path)  # the report names the export by the path given: keep it relative and stable
    result = run("report", "export", *AS_OF, "--html", "report.html", "--vendor", "Testsystem AB",
                 "--system-version", "2.1")
    assert result.exit_code == ExitCode.FINDINGS
    return (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.fixture
def hostile_export(tmp_path) -> Path:
    folder = tmp_path / "hostile"
    write_export(folder, {
        "set": {
            "person": {"201401042385": {"juridiskt_kon": HOSTILE[0], "ursprung": HOSTILE[1]}},
            "aktualisering": {"A_BOU": {"aktualiseringsorsak": f"Brister i omsorg|{HOSTILE[2]}",
                                        "aktualiseringstyp": HOSTILE[3]}},
            "uppfoljning": {"U_VUX": {"sip": HOSTILE[4]}},
        },
        "add": {"insats": [{"insats_id": "<b>I_X</b>", "beslut_id": "B_BOU", "insats": HOSTILE[2],
                            "datum_verkstallande": "2024-04-01"}]},
    })
    (folder / "datapackage.json").write_text(json.dumps(
        {"name": "hostile", "title": "<script>alert('title')</script>", "version": "<i>9</i>"}), encoding="utf-8")
    return folder


def test_golden_report(golden_html):
    # Compared byte for byte: the page holds no creation time, so it is the same on any day.
    html = golden_html
    if os.environ.get("CONFORM_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(html, encoding="utf-8")
    assert GOLDEN.is_file(), f"no golden file; create it with CONFORM_UPDATE_GOLDEN=1 pytest {__file__}"
    expected = GOLDEN.read_text(encoding="utf-8")
    assert html == expected, ("the HTML report differs from tests/golden/report.html; if the change is "
                              "intended, regenerate with CONFORM_UPDATE_GOLDEN=1")


def test_golden_report_content(golden_html):
    html = golden_html
    assert 'lang="sv"' in html
    assert "Ej godkänd" in html and "Testsystem AB" in html and "2.1" in html
    assert "2025-06-30" in html and "basinformation-1.0" in html
    for name in ("person.csv", "aktualisering.csv", "beslut.csv", "insats.csv", "uppfoljning.csv"):
        assert name in html
    assert len(re.findall(r"\b[0-9a-f]{64}\b", html)) == 5  # every input file's SHA-256
    assert rows_of(html, "requirements") == rows_of(html, "matrix") == 17   # the 17 sets, in the summary and appendix
    for rule in ("DAT-001", "PLA-002", "VAL-001", "VAL-005", "VAL-017"):
        assert rule in html
    assert "Boendeproblematik</span>" in html or "→</span> Boendeproblematik" in html  # Hemlöshet's synonym
    assert "20140104-****" in html and "201401042385" not in html  # person-IDs masked


def test_english(tmp_path):
    write_export(tmp_path / "export", FINDINGS)
    result = run("report", str(tmp_path / "export"), *AS_OF, "--lang", "en")
    assert result.exit_code == ExitCode.FINDINGS
    assert 'lang="en"' in result.output
    assert "Not approved" in result.output and "Information sets per target group" in result.output
    assert "Children and young people" in result.output


def test_check_html_option(tmp_path):
    write_export(tmp_path / "export", {})
    out = tmp_path / "out" / "report.html"
    result = run("check", str(tmp_path / "export"), *AS_OF, "--html", str(out))
    assert result.exit_code == ExitCode.OK
    assert "Samlad bedömning: GODKÄND" in result.output  # the text report still goes to standard output
    html = out.read_text(encoding="utf-8")
    assert "Godkänd" in html and "<!DOCTYPE html>" in html


def test_report_refuses_to_overwrite_the_export(tmp_path):
    write_export(tmp_path / "export", {})
    result = run("report", str(tmp_path / "export"), "--html", str(tmp_path / "export" / "person.csv"))
    assert result.exit_code == ExitCode.NOT_CHECKED


def test_values_from_the_export_are_escaped(hostile_export):
    result = run("report", str(hostile_export), *AS_OF)
    html = result.output
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html  # datapackage.json title
    assert "&lt;i&gt;9&lt;/i&gt;" in html
    assert "&lt;svg onload=alert(4)&gt;" in html
    assert "{{ 7*7 }}" in html or "{{ 7*7 }}&lt;!--" in html  # no template evaluation of data
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<svg onload" not in lowered
    assert "<b>i_x</b>" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", html), "an event-handler attribute reached the markup"


def test_self_contained(golden_html):
    html = golden_html
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'.replace("'", "&#39;") in html
    assert "default-src 'none'" in CSP and "script-src 'none'" in CSP
    assert not re.search(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html and "@font-face" not in html
    assert "@page" in html and "size: A4" in html and "@media print" in html


def test_matrix_per_target_group(tmp_path):
    write_export(tmp_path, FINDINGS)
    result = api.check(tmp_path, as_of=date(2025, 6, 30))
    report = build_report(result)["report"]
    assert [g["code"] for g in report["groups"]] == ["BoU", "Vux", "Äldre", "Funk", "EkB"]
    rows = {r["id"]: r for r in report["matrix"]}
    kon = {c["group"]: c for c in rows["juridiskt_kon"]["cells"]}
    assert kon["BoU"]["status"] == "nonconformant" and kon["BoU"]["share"] == "0\u00a0%"  # the one BoU person
    assert kon["Vux"]["status"] == "conformant" and kon["Vux"]["share"] == "100\u00a0%"  # 2 Vux persons
    assert kon["Vux"]["records"] == "2"
    assert rows["juridiskt_kon"]["overall"]["share"] == "83\u00a0%"  # 5 of 6, rounded down
    # No follow-up was registered for EkB: no records there, shown as "–".
    ekb = {c["group"]: c for c in rows["datum_uppfoljning"]["cells"]}["EkB"]
    assert ekb["status"] == "none" and ekb["share"] == "–"
    verk = {c["group"]: c for c in rows["datum_verkstallande"]["cells"]}
    assert verk["Funk"]["status"] == "warnings" and verk["BoU"]["status"] == "conformant"
    # A decision before its aktualisering is conform's reading (DAT-001, tolkning): a remark, not an error.
    beslut = {c["group"]: c for c in rows["datum_beslut"]["cells"]}
    assert beslut["Vux"]["status"] == "warnings" and beslut["Vux"]["share"] == "100\u00a0%"
    sip = {c["group"]: c for c in rows["sip"]["cells"]}
    assert sip["Vux"]["status"] == "nonconformant" and sip["Vux"]["share"] == "0\u00a0%"  # sip = Ja (VAL-017)


def test_unknown_target_group_gets_its_own_column(tmp_path):
    write_export(tmp_path, {"set": {"aktualisering": {"A_SAM": {"malgrupp": "Barn"}}}})
    report = build_report(api.check(tmp_path))["report"]
    assert report["groups"][-1]["code"] == "?"
    problematik = {c["group"]: c for c in next(r for r in report["matrix"] if r["id"] == "problematik")["cells"]}
    assert problematik["?"]["records"] == "1"


def test_coverage(tmp_path):
    write_export(tmp_path, FINDINGS)
    coverage = {c["name"]: c for c in build_report(api.check(tmp_path))["report"]["coverage"]}
    orsak = coverage["Aktualiseringsorsak"]
    assert {"value": "Hemlöshet", "count": "1", "closest": "Boendeproblematik", "basis": "i lexikonet över lokala värden"} \
        in orsak["nonstandard"]
    assert "Utsatt för våld/övergrepp" in orsak["never"]
    assert {"value": "Boendeproblematik", "count": "1"} in orsak["present"]
    kon = coverage["Juridiskt kön"]
    assert kon["nonstandard"][0]["value"] == "Kvinna" and kon["nonstandard"][0]["closest"] == "Flicka/Kvinna"
    assert [p["value"] for p in kon["present"]] == ["Flicka/Kvinna", "Pojke/Man"]
    typ = coverage["Aktualiseringstyp"]
    assert typ["complete"] and not typ["never"]


def test_closest_standard_value():
    known = profile_lexicon(api.load()[0]).of("aktualiseringsorsak_problematik")
    assert closest("Hemlöshet", ["Boendeproblematik", "Annat/Övrigt"], known) == ("Boendeproblematik", "lexicon")
    assert closest("ansökan ", ["Ansökan", "Anmälan"], {}) == ("Ansökan", "case")
    assert closest("Ansökan|Anmälan", ["Ansökan", "Anmälan"], {}, "|") == (None, "several")
    assert closest("Brukaren flyttat", ["Brukaren har flyttat", "Andra orsaker"], {})[0] == \
        "Brukaren har flyttat"
    assert closest("YAC.45.ZZ", ["YAC.95.ZZ"], {}, codes=True) == (None, None)
    assert closest("Arbetslöshet", ["Ej självförsörjande", "Boendeproblematik"], {}) == (None, None)


def test_capability_single_value_and_always_empty(tmp_path):
    many = [{"aktualisering_id": f"A{i:03d}", "person_id": "198502069993", "malgrupp": "Vux",
             "datum_aktualisering": "2024-03-01", "aktualiseringstyp": "Ansökan",
             "aktualiseringsorsak": "Boendeproblematik", "tidigare_kontakt": "Nej", "alder": "39"}
            for i in range(50)]
    write_export(tmp_path, {
        "set": {"aktualisering": {"A_BOU": {"aktualiseringsorsak": "Brister i omsorg"},
                                  "A_ALDRE": {"aktualiseringsorsak": "Behov av omsorg"},
                                  "A_EKB": {"aktualiseringsorsak": "Ej självförsörjande"}},
                "person": {pid: {"ursprung": None} for pid in
                           ["201401042385", "198502069993", "193801147061", "199001032391", "198000602394"]}},
        "add": {"aktualisering": many},
    })
    items = build_report(api.check(tmp_path, as_of=date(2025, 6, 30)))["report"]["capability"]
    texts = {(i["set"], i["status"]): i["text"] for i in items}
    assert texts[("Aktualiseringsorsak", "problem")].startswith(
        "Systemet verkar bara kunna registrera en Aktualiseringsorsak per aktualisering")
    assert "56" in texts[("Aktualiseringsorsak", "problem")]
    assert texts[("Ursprung", "problem")] == "Fältet person.ursprung är tomt i alla 6 personer."
    # Six decisions are too few to judge "one insats per beslut".
    assert ("Insats", "unknown") in texts


def test_small_counts_are_suppressed(golden_html, tmp_path):
    fmt = Formatter("sv")
    assert [fmt.count(n) for n in (0, 1, 4, 5, 1234)] == ["0", "<5", "<5", "5", "1\u00a0234"]
    assert Formatter("en").count(1234) == "1,234"
    write_export(tmp_path, FINDINGS)
    charts = build_report(api.check(tmp_path))["report"]["charts"]
    persons = charts[0]["svg"]
    # Every group has fewer than five persons: no bar is drawn, every value reads "<5" or "0".
    assert all(not b["draw"] and b["text"] in ("<5", "0") for r in persons["rows"] for b in r["bars"])
    assert "PLA-002" in charts[2]["title"]
    assert '<rect class="s0"' not in golden_html.split('id="figures"')[1].split("</figure>")[0]


def test_report_on_the_example_fixture():
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    report = build_report(api.check(fixtures / "example"))["report"]
    assert report["verdict"] == "conformant"
    # Large enough to judge the [1..*] sets: the example export holds several values where allowed.
    several = [i for i in report["capability"] if i["status"] == "ok"]
    assert {i["set"] for i in several} >= {"Aktualiseringsorsak", "Problematik", "Insats",
                                           "Orsak till avslut av insats"}
    persons = report["charts"][0]["svg"]
    assert any(b["draw"] for r in persons["rows"] for b in r["bars"])


# -- a real browser -----------------------------------------------------------------------------------------------

@needs_browser
def test_browser_renders_report(golden_html, tmp_path):
    page = tmp_path / "report.html"
    shot = tmp_path / "report.png"
    rendered = browse(page, tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file() and shot.stat().st_size > 10_000, rendered.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "report.png")
    shutil.copyfile(page, ARTIFACTS / "report.html")
    problems = [line for line in rendered.stderr.splitlines() if CONSOLE_PROBLEMS.search(line)]
    assert not problems, "\n".join(problems)

    dom = browse(page, tmp_path / "profile-2", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not [line for line in dom.stderr.splitlines() if CONSOLE_PROBLEMS.search(line)]
    html = dom.stdout
    assert 'class="verdict verdict-nonconformant"' in html and "Ej godkänd" in html
    assert rows_of(html, "requirements") == rows_of(html, "matrix") == 17
    assert html.count('<svg class="chart"') >= 4


@needs_browser
def test_browser_shows_hostile_values_as_text(hostile_export, tmp_path):
    page = tmp_path / "hostile.html"
    assert run("report", str(hostile_export), *AS_OF, "--html", str(page)).exit_code == ExitCode.FINDINGS
    shot = tmp_path / "hostile.png"
    rendered = browse(page, tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file(), rendered.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "hostile.png")
    assert not [line for line in rendered.stderr.splitlines() if CONSOLE_PROBLEMS.search(line)]
    dom = browse(page, tmp_path / "profile-2", "--dump-dom").stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom.lower() and "<img" not in dom.lower()


@pytest.mark.parametrize("name", ["Leverantör \"AB\" </style><script>alert(1)</script>", "a \\ b; } body { x: y",
                                  "Omsorg · Äldre\u00ad\nny rad", ""])
def test_a_running_header_is_a_css_string_no_value_can_leave(name):
    """A vendor's name stands in the printed pages' headers as a CSS string: every character that could end the
    string, the rule or the <style> element is escaped, and the escapes read back to the name."""
    from conform.render.templates import css_string

    text = str(css_string(name))
    assert text.startswith('"') and text.endswith('"')
    inner = text[1:-1]
    assert not re.search(r'["<>;{}\n]', inner) and "\\" not in re.sub(r"\\[0-9a-f]+ ", "", inner)
    assert re.sub(r"\\([0-9a-f]+) ", lambda m: chr(int(m.group(1), 16)), inner) == name
