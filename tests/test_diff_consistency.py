"""`conform diff` never contradicts itself: over pairs of generated releases, the summary, the heading and the
regression reasons agree with the per-rule detail, in the JSON and in the text and HTML pages, Swedish and English.

A procurement team saw FÖRSÄMRING with three new errors above "Regler: 0 med nya avvikelser" and three rules marked
KVARSTÅR: a rule that had findings before and got more was called persisting by its counts while the regression
reasons counted its new findings. Each release here is an export of conform's own generator, checked with
conform.api.check and written as `conform check --format json` writes it; the diff runs through the CLI on the files.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.api import check
from conform.catalogue import fill, labels
from conform.cli import main
from conform.generator import generate
from conform.model import ExitCode
from conform.render.document import build
from conform.result import fingerprint

AS_OF = datetime.date(2025, 6, 30)
PERSONS = 200
# The key conftest gives the CLI, and another: results made with different keys are compared by count.
TEST_KEY = "conform-test-key-not-secret-0000"
OTHER_KEY = "another-ci-secret-not-secret-0000"
BAD_STATUSES = {"nonconformant", "unsupported", "missing"}
CHANGES = ("new", "resolved", "persisting", "not_evaluated")

# name: (generator seed, defect rate, what to do to the written export, fingerprint key)
RELEASES = {
    "base": (7, 0.02, None, TEST_KEY),
    "base_again": (7, 0.02, None, TEST_KEY),
    "more_defects": (7, 0.1, None, TEST_KEY),
    "reseeded": (8, 0.02, None, TEST_KEY),
    "clean": (7, 0.0, None, TEST_KEY),
    "no_uppfoljning": (7, 0.02, "drop_uppfoljning", TEST_KEY),
    "more_defects_other_key": (7, 0.1, None, OTHER_KEY),
}

# (old, new, the verdict the detail must give, or None where either could do)
PAIRS = [
    ("base", "more_defects", "regression"),
    ("more_defects", "base", "improvement"),
    ("base", "reseeded", "regression"),
    ("reseeded", "base", "regression"),
    ("clean", "base", "regression"),
    ("base", "clean", "improvement"),
    ("base", "no_uppfoljning", "regression"),
    ("no_uppfoljning", "base", None),
    ("base", "base_again", "unchanged"),
    ("clean", "clean", "unchanged"),
    ("base", "more_defects_other_key", "regression"),
    ("more_defects_other_key", "base", "improvement"),
]


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("releases")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, (seed, rate, damage, key) in RELEASES.items():
            folder = root / name
            generate(folder, persons=PERSONS, defects=rate, seed=seed)
            if damage == "drop_uppfoljning":
                (folder / "uppfoljning.csv").unlink()
            mp.setenv("CONFORM_FINGERPRINT_KEY", key)
            document = build(check(folder, as_of=AS_OF), lang="sv", reveal_ids=False,
                             fingerprint_key=fingerprint.key())
            out[name] = root / f"{name}.json"
            out[name].write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


def run_diff(old: Path, new: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", str(old), str(new), *args], catch_exceptions=False)
    return result.exit_code, result.output


# -- what the detail says -----------------------------------------------------------------------------------------

def has_new(rule: dict) -> bool:
    """NEW has a finding of the rule that OLD did not: by fingerprint, or (by counts) at least the growth."""
    if rule["new_findings"] is not None:
        return rule["new_findings"] > 0
    return rule["new_count"] > rule["old_count"]


def change_from_detail(rule: dict) -> str:
    if not rule["new_count"]:
        return "not_evaluated" if rule["not_evaluated_in"] else "resolved"
    return "new" if has_new(rule) else "persisting"


def verdict_from_detail(d: dict) -> str:
    worse = any(r["severity"] == "error" and has_new(r) for r in d["rules"]) or any(
        s["change"] == "worse" and s["new_status"] in BAD_STATUSES for s in d["information_sets"])
    if worse:
        return "regression"
    better = any(r["resolved_findings"] or r["delta"] < 0 for r in d["rules"]) or any(
        s["change"] == "better" for s in d["information_sets"])
    if any(has_new(r) for r in d["rules"]) or any(s["change"] == "worse" for s in d["information_sets"]):
        # Worse below the error level only: no regression, but no improvement either.
        return "mixed" if better else "worse below errors"
    return "improvement" if better else "unchanged"


def counts_from_detail(d: dict) -> dict[str, int]:
    return {change: sum(1 for r in d["rules"] if change_from_detail(r) == change) for change in CHANGES}


def summary_counts(d: dict) -> dict[str, int]:
    return {change: d["summary"][f"rules_{change}"] for change in CHANGES}


def assert_json_agrees(d: dict) -> None:
    derived = counts_from_detail(d)
    assert summary_counts(d) == derived
    for r in d["rules"]:
        assert r["change"] == change_from_detail(r), r["code"]
        if r["change"] == "persisting":
            assert not has_new(r) and r["new_findings"] in (0, None), r["code"]
        assert min(r["old_count"], r["new_count"]) >= 0 and r["delta"] == r["new_count"] - r["old_count"]
        if r["new_findings"] is not None:
            parts = (r["new_findings"], r["resolved_findings"], r["persisting_findings"])
            assert min(parts) >= 0, r["code"]
            assert r["new_count"] == r["new_findings"] + r["persisting_findings"], r["code"]
            if r["change"] == "not_evaluated":
                # NEW could not run the rule: its old findings are neither resolved nor persisting.
                assert parts == (0, 0, 0), r["code"]
            else:
                assert r["old_count"] == r["resolved_findings"] + r["persisting_findings"], r["code"]
            assert len(r["examples"]["new"]) <= r["new_findings"], r["code"]
            assert len(r["examples"]["resolved"]) <= r["resolved_findings"], r["code"]
    assert sum(derived.values()) == len(d["rules"])
    s = d["summary"]
    assert min(v for k, v in s.items() if k != "findings") >= 0
    assert s["sets_better"] + s["sets_worse"] + s["sets_same"] == len(d["information_sets"])
    for sev, f in s["findings"].items():
        mine = [r for r in d["rules"] if r["severity"] == sev]
        assert (f["old"], f["new"]) == (sum(r["old_count"] for r in mine), sum(r["new_count"] for r in mine))
        assert (f["old"], f["new"]) == (d["old"]["findings"][sev], d["new"]["findings"][sev])
        if f["new_findings"] is None:
            continue
        assert f["new_findings"] == sum(r["new_findings"] for r in mine)
        assert f["new"] == f["new_findings"] + f["persisting_findings"]
        unchecked = sum(r["old_count"] for r in mine if r["change"] == "not_evaluated")
        assert f["old"] == f["resolved_findings"] + f["persisting_findings"] + unchecked
    regressed = {r["code"]: r for r in d["rules"] if r["severity"] == "error" and has_new(r)}
    reasons = {r["code"]: r for r in d["regression_reasons"] if r["kind"] == "rule"}
    assert set(reasons) == set(regressed)
    for code, reason in reasons.items():
        rule = regressed[code]
        assert reason["added"] > 0 and reason["added"] == (rule["new_findings"] if rule["new_findings"] is not None
                                                           else rule["delta"])
    assert d["regression"] is (verdict_from_detail(d) == "regression")


# -- what the pages say -------------------------------------------------------------------------------------------

def pattern(label: str, **groups: str) -> str:
    """A label with its {placeholders} as named groups, the rest literal."""
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)\}", label):
        out += re.escape(label[pos:m.start()]) + f"(?P<{m.group(1)}>{groups.get(m.group(1), NUMBER)})"
        pos = m.end()
    return out + re.escape(label[pos:])


NUMBER = r"[\d\u00a0 ,]+"


def number(text: str) -> int:
    return int(re.sub(r"[\u00a0 ,]", "", text))


def summary_from(text: str, D: dict) -> dict[str, int]:
    m = re.search(pattern(D["summary"]), text)
    assert m, "no summary line"
    return {"new": number(m["new"]), "resolved": number(m["resolved"]), "persisting": number(m["persisting"])}


def text_detail(text: str, D: dict, L: dict) -> dict[str, tuple[str, int | None]]:
    """Per rule code in the text's detail: its change (by label) and its new findings where the line gives them."""
    label_of = {D["changes"][c].upper(): c for c in CHANGES}
    findings = pattern(D["rule_findings"])
    detail = {}
    block = text.split("\n" + D["rules_title"] + "\n", 1)[1]
    for line in block.splitlines():
        m = re.match(r"^  (?P<label>\S.*?)\s+(?P<code>[A-Z]{3}-\d{3}) \[(?P<sev>[^\]]+)\] ", line)
        if not m:
            continue
        assert m["label"] in label_of, line
        assert m["sev"] in L["severity_names"].values(), line
        f = re.search(findings, line)
        detail[m["code"]] = (label_of[m["label"]], number(f["new"]) if f else None)
    return detail


def html_detail(page: str, D: dict) -> dict[str, str]:
    overview = page.split('<table class="overview">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<span class="chg chg-(\w+)">([^<]*)</span></td>\s*<td class="mono">([A-Z]{3}-\d{3})</td>',
                      overview)
    for change, label, _ in rows:
        assert label == D["changes"][change]
    return {code: change for change, _, code in rows}


def assert_pages_agree(d: dict, old: Path, new: Path, lang: str) -> None:
    L = labels(lang)
    D = L["diff"]
    code, text = run_diff(old, new, "--lang", lang)
    assert code == (ExitCode.FINDINGS if d["regression"] else ExitCode.OK)
    heading = D["regression"] if d["regression"] else D["no_regression"]
    assert re.search(rf"^{re.escape(heading.upper())}: ", text, re.MULTILINE), heading
    expected = {c: d["summary"][f"rules_{c}"] for c in ("new", "resolved", "persisting")}
    assert summary_from(text, D) == expected
    if d["rules"]:
        detail = text_detail(text, D, L)
        assert {c: v[0] for c, v in detail.items()} == {r["code"]: r["change"] for r in d["rules"]}
        for c in ("new", "resolved", "persisting"):
            assert sum(1 for v in detail.values() if v[0] == c) == expected[c]
        assert all(v[1] in (0, None) for v in detail.values() if v[0] == "persisting")
        assert all(v[1] is None or v[1] > 0 for v in detail.values() if v[0] == "new")
        # The heading's regression reasons name only rules the detail calls new.
        worst = [m.group(1) for m in re.finditer(r"^  - ([A-Z]{3}-\d{3}) \[", text, re.MULTILINE)]
        assert all(detail[w][0] == "new" for w in worst)
    if lang == "sv":
        # Swedish stays Swedish: no change id or English change word.
        english = labels("en")["diff"]
        for word in ("persisting", "not_evaluated", english["changes"]["new"], english["changes"]["resolved"]):
            assert word not in text.lower(), word

    code, page = run_diff(old, new, "--lang", lang, "--format", "html")
    page = html.unescape(page)
    assert re.search(rf'<div class="verdict-value">{re.escape(heading)}</div>', page)
    assert summary_from(page, D) == expected
    if d["rules"]:
        assert html_detail(page, D) == {r["code"]: r["change"] for r in d["rules"]}


# -- the tests ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "verdict"), PAIRS, ids=[f"{o}->{n}" for o, n, _ in PAIRS])
def test_summary_heading_and_detail_agree(releases, old, new, verdict):
    code, out = run_diff(releases[old], releases[new], "--format", "json")
    d = json.loads(out)
    assert code == (ExitCode.FINDINGS if d["regression"] else ExitCode.OK)
    assert_json_agrees(d)
    if verdict is not None:
        assert verdict_from_detail(d) == verdict
    assert d["record_level"] is (RELEASES[old][3] == RELEASES[new][3])
    for lang in ("sv", "en"):
        assert_pages_agree(d, releases[old], releases[new], lang)


def test_a_rule_that_gains_findings_is_not_called_persisting(releases):
    """The reported case: rules with findings in both releases, more of them in NEW. Each is "nya avvikelser",
    counted so in the summary line, never KVARSTÅR."""
    code, out = run_diff(releases["base"], releases["more_defects"], "--format", "json")
    d = json.loads(out)
    assert code == ExitCode.FINDINGS
    grown = [r for r in d["rules"] if r["old_count"] and r["new_findings"]]
    assert len(grown) >= 3 and all(r["change"] == "new" for r in grown)
    assert d["summary"]["rules_new"] >= len(grown)
    _, text = run_diff(releases["base"], releases["more_defects"])
    D = labels("sv")["diff"]
    line = fill(D["summary"], new=d["summary"]["rules_new"], resolved=d["summary"]["rules_resolved"],
                persisting=d["summary"]["rules_persisting"], better=d["summary"]["sets_better"],
                worse=d["summary"]["sets_worse"], same=d["summary"]["sets_same"])
    assert line in text and text.startswith("Förändring")
    for r in grown:
        assert re.search(rf"^  NYA AVVIKELSER\s+{r['code']} ", text, re.MULTILINE), r["code"]
        assert not re.search(rf"^  KVARSTÅR\s+{r['code']} ", text, re.MULTILINE), r["code"]
