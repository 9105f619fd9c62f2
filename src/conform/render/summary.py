"""The report's first pages, for the people who decide: the verdict and what it rests on, the skall/bör table per
information set, what blocks godkänt in plain words, and what to do next. Built from the result document as plain
data; the words are the message catalogue's (reports_templates/labels.yaml, ``summary``)."""

from __future__ import annotations

from conform.catalogue import fill, plural
from conform.formatting import Formatter
from conform.render.findings import filled, shown_message
from conform.render.templates import basename

BLOCKING_SHOWN = 8       # blocking rules listed in the summary; the rest are in the appendix
WARNINGS_NAMED = 5       # warning rules named in the next steps


def build_summary(document: dict, fmt: Formatter, labels: dict) -> dict:
    S = labels["summary"]
    names = {s["id"]: s["name"] for s in document["information_sets"]}
    rules = {r["code"]: r for r in document["rules"]}
    blocking = [_blocking(rules[code], fmt, S)
                for code in _by_records(document, document["summary"]["blocking_rules"])]
    return {
        "requirements": _requirements(document, S),
        "sets": [_set_row(s, rules, fmt, labels) for s in document["information_sets"]],
        "blocking": blocking[:BLOCKING_SHOWN],
        "blocking_more": max(0, len(blocking) - BLOCKING_SHOWN),
        "in_force": _in_force(document, names, fmt, S),
        **_own(document, rules, fmt, labels),
        "next_steps": _next_steps(document, names, blocking, fmt, labels),
    }


def _in_force(document: dict, names: dict[str, str], fmt: Formatter, S: dict) -> list[str]:
    """The accepted deviations in force, each with the sets it covers, its expiry and the findings it takes out
    of the verdict: a reader of page 1 must see what was accepted, not only what failed."""
    # A rule by its code and the standard's words it rests on (its name is an internal id).
    rules = {r["code"]: r["spec"] for r in document["rules"]}
    out = []
    for d in document.get("accepted_deviations") or []:
        if not d["active"]:
            continue
        sets = ", ".join(names.get(s, s) for s in d["information_sets"]) or S["deviation_all_sets"]
        until = fill(S["deviation_until"], date=d["expires"]) if d["expires"] else S["deviation_no_expiry"]
        out.append(fill(plural(S["deviation_in_force"], d["findings"]), rule=d["rule"], spec=rules.get(d["rule"], ""),
                        sets=sets, until=until, n=fmt.int(d["findings"]), by=d["accepted_by"]))
    return out


def _by_records(document: dict, codes: list[str]) -> list[str]:
    counts = {r["code"]: r["count"] for r in document["rules"]}
    return sorted(codes, key=lambda c: (-counts.get(c, 0), c))


def _requirements(document: dict, S: dict) -> str:
    wanted = document["summary"].get("requirements")
    if not wanted or wanted["default"]:
        return S["requirements_default"]
    return fill(S["requirements_file"], name=wanted["name"] or basename(wanted["path"]),
                file=basename(wanted["path"]), hash=wanted["sha256"][:12])


def requirement_text(level: str, weight: float | None, tolerance: float | None, fmt: Formatter, L: dict) -> str:
    """A requirement in words: its level, a bör-krav's weight (where not 1) and its tolerance (where not 0)."""
    S = L["summary"]
    requirement = L["level_names"][level]
    if level == "bor" and weight not in (None, 1):
        requirement += " " + fill(S["weight"], weight=fmt.number(weight))
    if tolerance:
        requirement += " " + fill(S["tolerance"], share=fmt.percent(tolerance).replace("\u00a0%", " %"))
    return requirement


def _own(document: dict, rules: dict, fmt: Formatter, L: dict) -> dict:
    """The buyer's own requirements on rules the standard does not require, apart from the sets' (they never
    change the verdict against the standard): each with its rule's code and the standard's words it rests on
    (its name is an internal id), the requirement, the records with the rule's findings among those it checks,
    whether it is met, and the buyer's note; and whether the vendor qualifies under the file."""
    S = L["summary"]
    own = document.get("own_requirements") or []
    rows = []
    for o in own:
        if not o["evaluated"]:
            share = S["own_not_evaluated"]
        elif o["column_failure"]:
            share = S["own_column_failure"]
        else:
            share = fill(S["own_share"], n=fmt.int(o["records_with_findings"]), records=fmt.int(o["records"]),
                         share=fmt.percent(o["share"] or 0).replace("\u00a0%", " %"))
        rows.append({"code": o["rule"], "spec": rules[o["rule"]]["spec"] if o["rule"] in rules else "",
                     "requirement": requirement_text(o["level"], o["weight"], o["tolerance"], fmt, L),
                     "share": share, "met": o["met"], "met_text": S["met"][str(o["met"]).lower()],
                     "note": o["note"] or ""})
    skall = [o for o in own if o["level"] == "skall"]
    qualified = document["summary"].get("qualified")
    return {
        "own": rows,
        "own_met": fill(S["own_met"], met=sum(o["met"] for o in skall), total=len(skall)) if skall else "",
        "own_qualified": S["own_qualified"][str(qualified).lower()] if own and qualified is not None else "",
    }


def _set_row(s: dict, rules: dict, fmt: Formatter, L: dict) -> dict:
    S = L["summary"]
    level = s.get("level", "skall")
    requirement = requirement_text(level, s.get("weight"), s.get("tolerance"), fmt, L)
    met = s.get("met")
    blocked_by = s.get("blocking_rule") if met is False else None
    return {
        "name": s["name"], "status": s["status"], "share": fmt.share(s["conforming_share"]),
        "records": fmt.int(s["records"]), "requirement": requirement, "level": level,
        "met": met, "met_text": S["met"][str(met).lower()] if met is not None else "–",
        "blocked_by": blocked_by,
        "blocked_by_spec": rules[blocked_by]["spec"] if blocked_by in rules else None,
    }


def _blocking(rule: dict, fmt: Formatter, S: dict) -> dict:
    """One rule that keeps the verdict from godkänt, in words: what it found (its message where it names no
    particular value, else its first example), how many findings, where the standard requires it, and the fix
    (filled from the same example)."""
    text, is_example = shown_message(rule["message"], rule["examples"])
    return {
        "code": rule["code"], "count": rule["count"],
        "count_text": fill(plural(S["findings_count"], rule["count"]), n=fmt.int(rule["count"])),
        "text": text, "is_example": is_example,
        "spec": rule["spec"],
        "fix": filled(rule["fix"], rule["examples"][0] if rule["examples"] else None),
    }


def _next_steps(document: dict, names: dict, blocking: list[dict], fmt: Formatter, L: dict) -> list[str]:
    S = L["summary"]["next"]
    verdict = document["summary"]["verdict"]
    sets = document["information_sets"]
    steps = []
    if verdict == "nonconformant":
        failing = [s["name"] for s in sets if s.get("level", "skall") == "skall" and s.get("met") is False]
        steps.append(fill(plural(S["ask_fix"], len(failing)), n=len(failing), sets=", ".join(failing)))
        if blocking:
            steps.append(fill(S["rules_to_fix"], rules=", ".join(
                f"{b['code']} ({b['count_text']})" for b in blocking[:BLOCKING_SHOWN])))
        unsupported = [s["name"] for s in sets if s["status"] in ("unsupported", "missing")]
        if unsupported:
            steps.append(fill(plural(S["capability"], len(unsupported)), sets=", ".join(unsupported)))
    bor_missed = [s["name"] for s in sets if s.get("level") == "bor" and s.get("met") is False]
    if bor_missed:
        steps.append(fill(plural(S["bor_missed"], len(bor_missed)), sets=", ".join(bor_missed)))
    # The buyer's own requirements on rules: apart from the verdict, but they decide whether the vendor qualifies.
    for level, key in (("skall", "own_skall_missed"), ("bor", "own_bor_missed")):
        missed = [o["rule"] for o in document.get("own_requirements") or [] if o["level"] == level and not o["met"]]
        if missed:
            steps.append(fill(plural(S[key], len(missed)), rules=", ".join(missed)))
    warnings = sorted((r for r in document["rules"] if r["count"] and r["severity"] == "warning"),
                      key=lambda r: (-r["count"], r["code"]))
    if warnings:
        steps.append(fill(plural(S["warnings"], len(warnings)), n=len(warnings),
                          rules=", ".join(r["code"] for r in warnings[:WARNINGS_NAMED])))
    mapping = document.get("mapping")
    if mapping:
        used = [c for c in mapping["crosswalks"] if c["records"]]
        steps.append(fill(plural(S["mapping"], len(used)), n=len(used), file=basename(mapping["path"])))
    expired = [d for d in document.get("accepted_deviations") or [] if not d["active"]]
    if expired:
        steps.append(fill(S["expired"], rules=", ".join(sorted({d["rule"] for d in expired}))))
    if document["as_of_source"] == "today":
        steps.append(S["as_of_today"])
    if verdict == "conformant" and not steps:
        steps.append(S["keep"])
    steps.append(S["appendices"])
    return steps
