"""`conform diff OLD.json NEW.json`: what changed between two check results, the upgrade view.

Per rule, its findings are new, resolved or persisting; per information set, the status got better, worse or
stayed the same. Each rule gets one change, decided from its findings (`_change`), and the summary, the regression
reasons and every renderer read that one change, so they cannot disagree: "new" when NEW has any finding of the
rule that OLD did not have (also when OLD had others), "resolved" when NEW has none left, "not_evaluated" when NEW
could not run the rule, else "persisting" (findings remain, none of them new). `regression` is true when NEW has an
error-level finding that OLD did not have, or an information set that became nonconformant, unsupported or
missing: the CLI exits 1 on it, so a vendor's CI can gate a release on `conform diff`.

Record level: when both results carry fingerprints made with the same key (conform.result.fingerprint; every `conform
check --format json` writes them), every listed finding is compared, not only the examples: a finding of NEW
whose fingerprint OLD lacks is new, one of OLD that NEW lacks is resolved, the rest persist. The examples shown
are the saved examples (20 per rule) that are new or resolved. A rule with more findings than a result lists in
full (conform.model.MAX_LISTED) is compared by its count, as without fingerprints. Without comparable
fingerprints (an older result, another key), the change is decided per rule on the counts (more findings than
before: new, so an error rule with more findings is a regression; n → 0 resolved; else persisting) and examples are
compared by identity (table, key, field, value) only where a result's examples are complete; the diff says which
way it compared (`record_level`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

from conform import __version__, clock
from conform.catalogue import labels
from conform.model import SEVERITY_RANK, STATUS_ORDER, Severity, Status
from conform.render.compare import require_same_profile
from conform.render.templates import CSP, environment

DIFF_FORMAT = "conform-diff"
DIFF_FORMAT_VERSION = "1.1"
IDENTITY = ("table", "key", "field", "value")
BAD_STATUSES = {Status.NONCONFORMANT.value, Status.UNSUPPORTED.value, Status.MISSING.value}
WORST = 5    # regressions in the summary; the detail lists them all


def diff(old_doc: dict, new_doc: dict, sources: Sequence[str | Path] | None = None) -> dict:
    """The changes from OLD to NEW as plain, JSON-ready data ("format": "conform-diff").

    `sources` are the two files the documents came from (for messages and the evidence); optional."""
    source_texts = None if sources is None else [str(s) for s in sources]
    require_same_profile([old_doc, new_doc], source_texts)
    comparable = old_doc["person_ids_masked"] == new_doc["person_ids_masked"]
    record_level, why_not = _record_level(old_doc, new_doc)
    old_prints = (old_doc.get("fingerprints") or {}).get("rules", {}) if record_level else {}
    new_prints = (new_doc.get("fingerprints") or {}).get("rules", {}) if record_level else {}

    old_rules = {r["code"]: r for r in old_doc["rules"]}
    new_rules = {r["code"]: r for r in new_doc["rules"]}
    codes = list(new_rules) + [c for c in old_rules if c not in new_rules]
    rules = []
    for code in codes:
        old, new = old_rules.get(code), new_rules.get(code)
        before, after = old_prints.get(code, []), new_prints.get(code, [])
        if record_level and _printed_in_full(old, before) and _printed_in_full(new, after):
            entry = _rule_change_by_record(old, new, before, after)
        else:
            entry = _rule_change(old, new, comparable)
        if entry is not None:
            rules.append(entry)
    rules.sort(key=lambda r: (_CHANGE_ORDER[r["change"]], -SEVERITY_RANK[r["severity"]], r["code"]))

    old_sets = {s["id"]: s for s in old_doc["information_sets"]}
    sets = []
    for s in new_doc["information_sets"]:
        before = old_sets.get(s["id"])
        old_status = before["status"] if before else None
        if old_status is None:
            change = "same"
        else:
            order = STATUS_ORDER[s["status"]] - STATUS_ORDER[old_status]
            change = "worse" if order > 0 else "better" if order < 0 else "same"
        sets.append({
            "id": s["id"], "name": s["name"], "old_status": old_status, "new_status": s["status"], "change": change,
            "old_share": before["conforming_share"] if before else None, "new_share": s["conforming_share"],
            "old_records": before["records"] if before else None, "new_records": s["records"],
        })

    reasons = [{"kind": "set", "id": s["id"], "name": s["name"], "old_status": s["old_status"],
                "new_status": s["new_status"]}
               for s in sets if s["change"] == "worse" and s["new_status"] in BAD_STATUSES]
    # The same change the detail shows: a regression reason per error rule with findings OLD did not have.
    regressed = sorted((r for r in rules if r["severity"] == Severity.ERROR and r["change"] == "new"),
                       key=lambda r: (-_added(r), r["code"]))
    reasons += [{"kind": "rule", "code": r["code"], "spec": r["spec"], "count": r["new_count"],
                 "old_count": r["old_count"], "added": _added(r)} for r in regressed]
    count = lambda change: sum(1 for r in rules if r["change"] == change)  # noqa: E731
    return {
        "format": DIFF_FORMAT,
        "format_version": DIFF_FORMAT_VERSION,
        "generated_at": clock.timestamp(),
        "tool": {"name": "conform", "version": __version__},
        "profile": dict(new_doc["profile"]),
        "old": _side(old_doc, None if source_texts is None else source_texts[0]),
        "new": _side(new_doc, None if source_texts is None else source_texts[1]),
        "regression": bool(reasons),
        "regression_reasons": reasons,
        "worst": reasons[:WORST],
        "record_level": record_level,
        "record_level_unavailable": why_not,
        "summary": {
            "rules_new": count("new"), "rules_resolved": count("resolved"),
            "rules_persisting": count("persisting"), "rules_not_evaluated": count("not_evaluated"),
            "sets_better": sum(1 for s in sets if s["change"] == "better"),
            "sets_worse": sum(1 for s in sets if s["change"] == "worse"),
            "sets_same": sum(1 for s in sets if s["change"] == "same"),
            "findings": _findings_by_severity(rules, record_level),
        },
        "examples_comparable": comparable,
        "rules": rules,
        "information_sets": sets,
    }


_CHANGE_ORDER = {"new": 0, "persisting": 1, "not_evaluated": 2, "resolved": 3}


def _record_level(old_doc: dict, new_doc: dict) -> tuple[bool, str | None]:
    """Whether both results carry fingerprints made with one key; if not, why (a reason code the renderers
    word): "missing" (a result has none: older, or made without) or "key" (made with different keys)."""
    old, new = old_doc.get("fingerprints"), new_doc.get("fingerprints")
    if not old or not new:
        return False, "missing"
    if old["key_id"] != new["key_id"] or old["algorithm"] != new["algorithm"]:
        return False, "key"
    return True, None


def _printed_in_full(rule: dict | None, prints: list[str]) -> bool:
    """Whether a result fingerprints every finding of the rule: a rule with more findings than a result lists
    (conform.model.MAX_LISTED) is compared by its count."""
    return rule is None or len(prints) == rule["count"]


def _added(rule: dict) -> int:
    """The findings of a rule that OLD did not have: counted by record, or at least the growth in count."""
    return _added_count(rule["new_findings"], rule["old_count"], rule["new_count"])


def _added_count(new_findings: int | None, old_count: int, new_count: int) -> int:
    # Without fingerprints a higher count is the only certain sign of a finding OLD did not have.
    return new_findings if new_findings is not None else max(0, new_count - old_count)


def _findings_by_severity(rules: list[dict], record_level: bool) -> dict:
    """Per severity: findings before and after, and (record level) how many are new, resolved and persisting."""
    out = {}
    for severity in Severity:
        mine = [r for r in rules if r["severity"] == severity.value]
        entry = {"old": sum(r["old_count"] for r in mine), "new": sum(r["new_count"] for r in mine)}
        for part in ("new_findings", "resolved_findings", "persisting_findings"):
            # Known only when every rule of the severity was compared record by record.
            known = record_level and all(r[part] is not None for r in mine)
            entry[part] = sum(r[part] for r in mine) if known else None
        out[severity.value] = entry
    return out


def _change(new: dict | None, new_count: int, added: int) -> str:
    """The one change of a rule that the summary, the regression reasons and the detail all show. Deciding it on
    the counts alone (0 -> n new, else persisting) called a rule with new findings among old ones "persisting"
    while the regression reasons counted those same findings as new."""
    if not new_count:
        # A rule NEW could not run (its table or column is missing) has no findings there, but nothing was fixed.
        return "not_evaluated" if (new is None or new["not_evaluated_in"]) else "resolved"
    return "new" if added else "persisting"


def _rule_change_by_record(old: dict | None, new: dict | None, old_prints: list[str],
                           new_prints: list[str]) -> dict | None:
    old_count = old["count"] if old else 0
    new_count = new["count"] if new else 0
    if not old_count and not new_count:
        return None
    before, after = Counter(old_prints), Counter(new_prints)
    added, removed = after - before, before - after
    change = _change(new, new_count, sum(added.values()))
    if change == "not_evaluated":
        removed = Counter()
    new_examples = [e for e in (new["examples"] if new else []) if e.get("fingerprint") in added]
    old_examples = [e for e in (old["examples"] if old else []) if e.get("fingerprint") in removed]
    return _entry(old, new, change, old_count, new_count, {
        "complete": True, "new": [_example(e) for e in new_examples],
        "resolved": [_example(e) for e in old_examples], "persisting": sum((before & after).values()),
    }, new_findings=sum(added.values()), resolved_findings=sum(removed.values()),
        persisting_findings=sum((before & after).values()))


def _rule_change(old: dict | None, new: dict | None, comparable: bool) -> dict | None:
    """One rule's change by counts and examples, or None when it has no finding in either result."""
    old_count = old["count"] if old else 0
    new_count = new["count"] if new else 0
    if not old_count and not new_count:
        return None
    change = _change(new, new_count, _added_count(None, old_count, new_count))
    old_examples = old["examples"] if old else []
    new_examples = new["examples"] if new else []
    old_complete = len(old_examples) == old_count
    new_complete = len(new_examples) == new_count
    old_ids = {_identity(e) for e in old_examples}
    new_ids = {_identity(e) for e in new_examples}
    added = [e for e in new_examples if _identity(e) not in old_ids] if comparable and old_complete else []
    removed = [e for e in old_examples if _identity(e) not in new_ids] if comparable and new_complete else []
    if not old_count:
        # "new" also covers a rule that grew; only a rule OLD did not have at all has every example new.
        added = new_examples
    if change == "resolved":
        removed = old_examples
    if change == "not_evaluated":
        removed = []
    return _entry(old, new, change, old_count, new_count, {
        "complete": comparable and old_complete and new_complete,
        "new": [_example(e) for e in added],
        "resolved": [_example(e) for e in removed],
        "persisting": len(new_ids & old_ids) if comparable else None,
    }, new_findings=None, resolved_findings=None, persisting_findings=None)


def _entry(old: dict | None, new: dict | None, change: str, old_count: int, new_count: int, examples: dict,
           **findings: int | None) -> dict:
    meta = new or old
    return {
        "code": meta["code"], "name": meta["name"], "category": meta["category"], "severity": meta["severity"],
        "spec": meta["spec"], "change": change, "old_count": old_count, "new_count": new_count,
        "delta": new_count - old_count, **findings,
        "not_evaluated_in": new["not_evaluated_in"] if new else [],
        "examples": examples,
    }


def _identity(example: dict) -> tuple:
    return tuple(example.get(k) for k in IDENTITY)


def _example(example: dict) -> dict:
    return {k: example[k] for k in ("table", "row", "key", "field", "value", "message")}


def _side(document: dict, source: str | None) -> dict:
    return {
        "source": source,
        "export_path": document["export"]["path"],
        "as_of": document["as_of"],
        "tool_version": document["tool"]["version"],
        "generated_at": document["generated_at"],
        "verdict": document["summary"]["verdict"],
        "findings": dict(document["summary"]["findings"]),
        "files": [{"table": f["table"], "path": f["path"], "sha256": f["sha256"], "records": f["records"]}
                  for f in document["export"]["files"]],
    }


def exit_code(d: dict) -> int:
    """What `conform diff` exits with: 1 on a regression, else 0 (2 is for errors raised before a diff)."""
    return 1 if d["regression"] else 0


# -- rendering ---------------------------------------------------------------------------------------------------

def diff_text(d: dict, lang: str = "sv") -> str:
    template = environment(html=False).get_template("diff.txt.j2")
    return template.render(d=d, L=labels(lang), D=labels(lang)["diff"], lang=lang)


def diff_html(d: dict, lang: str = "sv") -> str:
    template = environment(html=True).get_template("diff.html.j2")
    return template.render(d=d, L=labels(lang), D=labels(lang)["diff"], lang=lang, csp=CSP)

