"""`conform diff OLD.json NEW.json`: what changed between two check results, the upgrade view.

Per rule, findings are new, resolved or persisting; per information set, the status got better, worse or stayed
the same. `regression` is true when NEW has an error-level finding that OLD did not have (an error rule with more
findings than before), or an information set that became nonconformant or missing: the CLI exits 1 on it, so a vendor's CI can gate a
release on `conform diff`.

Limitation: a result document keeps at most 20 examples per rule (render.document.EXAMPLES_PER_RULE), not every
finding. So new / resolved / persisting is decided per rule on the counts (0 → n is new, n → 0 resolved, both
above 0 persisting with the change in count). Examples are compared by identity (table, key, field, value; the
row number is left out, since rows move between exports) only where that is sound: an example of NEW is called
new only when OLD's examples of the rule are complete (its count ≤ 20), and one of OLD resolved only when NEW's
are, and only when both results mask person-IDs alike. Otherwise the rule says its examples are incomplete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from conform import __version__
from conform.compare import now, require_same_profile
from conform.model import SEVERITY_RANK, STATUS_ORDER, Severity, Status
from conform.render.templates import CSP, environment, labels

DIFF_FORMAT = "conform-diff"
DIFF_FORMAT_VERSION = "1.0"
IDENTITY = ("table", "key", "field", "value")
BAD_STATUSES = {Status.NONCONFORMANT.value, Status.UNSUPPORTED.value, Status.MISSING.value}


def diff(old_doc: dict, new_doc: dict, sources: Sequence[str | Path] | None = None) -> dict:
    """The changes from OLD to NEW as plain, JSON-ready data ("format": "conform-diff").

    `sources` are the two files the documents came from (for messages and the evidence); optional."""
    source_texts = None if sources is None else [str(s) for s in sources]
    require_same_profile([old_doc, new_doc], source_texts)
    comparable = old_doc["person_ids_masked"] == new_doc["person_ids_masked"]

    old_rules = {r["code"]: r for r in old_doc["rules"]}
    new_rules = {r["code"]: r for r in new_doc["rules"]}
    codes = list(new_rules) + [c for c in old_rules if c not in new_rules]
    rules = []
    for code in codes:
        old, new = old_rules.get(code), new_rules.get(code)
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

    # An error rule with more findings than before certainly has a finding OLD did not have, whether it is new
    # (0 -> n) or persisting with a higher count.
    reasons = [{"kind": "rule", "code": r["code"], "spec": r["spec"], "count": r["new_count"],
                "old_count": r["old_count"]}
               for r in rules if r["severity"] == Severity.ERROR and (r["new_count"] or 0) > (r["old_count"] or 0)]
    reasons += [{"kind": "set", "id": s["id"], "name": s["name"], "old_status": s["old_status"],
                 "new_status": s["new_status"]}
                for s in sets if s["change"] == "worse" and s["new_status"] in BAD_STATUSES]
    count = lambda change: sum(1 for r in rules if r["change"] == change)  # noqa: E731
    return {
        "format": DIFF_FORMAT,
        "format_version": DIFF_FORMAT_VERSION,
        "generated_at": now(),
        "tool": {"name": "conform", "version": __version__},
        "profile": dict(new_doc["profile"]),
        "old": _side(old_doc, None if source_texts is None else source_texts[0]),
        "new": _side(new_doc, None if source_texts is None else source_texts[1]),
        "regression": bool(reasons),
        "regression_reasons": reasons,
        "summary": {
            "rules_new": count("new"), "rules_resolved": count("resolved"),
            "rules_persisting": count("persisting"), "rules_not_evaluated": count("not_evaluated"),
            "sets_better": sum(1 for s in sets if s["change"] == "better"),
            "sets_worse": sum(1 for s in sets if s["change"] == "worse"),
            "sets_same": sum(1 for s in sets if s["change"] == "same"),
        },
        "examples_comparable": comparable,
        "rules": rules,
        "information_sets": sets,
    }


_CHANGE_ORDER = {"new": 0, "persisting": 1, "not_evaluated": 2, "resolved": 3}


def _rule_change(old: dict | None, new: dict | None, comparable: bool) -> dict | None:
    """One rule's change, or None when it has no finding in either result."""
    old_count = old["count"] if old else 0
    new_count = new["count"] if new else 0
    if not old_count and not new_count:
        return None
    meta = new or old
    if not old_count:
        change = "new"
    elif not new_count:
        # A rule NEW could not run (its table or column is missing) has no findings there, but nothing was fixed.
        change = "not_evaluated" if (new is None or new["not_evaluated_in"]) else "resolved"
    else:
        change = "persisting"
    old_examples = old["examples"] if old else []
    new_examples = new["examples"] if new else []
    old_complete = len(old_examples) == old_count
    new_complete = len(new_examples) == new_count
    old_ids = {_identity(e) for e in old_examples}
    new_ids = {_identity(e) for e in new_examples}
    added = [e for e in new_examples if _identity(e) not in old_ids] if comparable and old_complete else []
    removed = [e for e in old_examples if _identity(e) not in new_ids] if comparable and new_complete else []
    if change == "new":
        added = new_examples
    if change == "resolved":
        removed = old_examples
    if change == "not_evaluated":
        removed = []
    return {
        "code": meta["code"], "name": meta["name"], "category": meta["category"], "severity": meta["severity"],
        "spec": meta["spec"], "change": change, "old_count": old_count, "new_count": new_count,
        "delta": new_count - old_count,
        "not_evaluated_in": new["not_evaluated_in"] if new else [],
        "examples": {
            "complete": comparable and old_complete and new_complete,
            "new": [_example(e) for e in added],
            "resolved": [_example(e) for e in removed],
            "persisting": len(new_ids & old_ids) if comparable else None,
        },
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

