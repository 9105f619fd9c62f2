"""The HTML report: one self-contained page a procurement group can read, print to A4 and attach to a decision.

It projects the result document (render.document.build), whose `figures` the check computed (conform.result.figures):
the information sets per target group, value-set coverage, capability findings and the follow-up figures the
standard exists for, drawn as inline SVG. Here they are only worded, formatted and laid out (numbers formatted,
chart geometry laid out); no figure is computed and no export is opened, so a stored result makes the same page
(`conform report --from`). The templates under reports_templates/ only loop and print. The page holds no script
and loads nothing: its CSS is inline and a Content-Security-Policy forbids everything else. Jinja2 autoescaping
is on, so every value taken from the export is shown as text.
"""

from __future__ import annotations

from conform.catalogue import labels
from conform.errors import UsageError
from conform.formatting import Formatter
from conform.model import CheckResult, Severity, Status
from conform.profile import Profile, field_titles, load_profile
from conform.render.charts import follow_up_charts
from conform.render.document import build
from conform.render.findings import filled, shown_message
from conform.render.provisional import provisional
from conform.render.summary import build_summary
from conform.render.templates import CSP, environment, printable
from conform.resources import DEFAULT_PROFILE
from conform.result.figures import OTHER_GROUP

GROUP_VALUE_SET = "malgrupp"
EXAMPLES_SHOWN = 5
SEVERITY_ORDER = {s.value: -s.rank for s in Severity}


# -- rendering --------------------------------------------------------------------------------------------------

def render_html(document: dict) -> str:
    """The page for a document extended by build_report or extended."""
    template = environment(html=True).get_template("report.html.j2")
    return template.render(d=document, r=document["report"], L=labels(document["language"]), csp=CSP,
                           lang=document["language"], F=field_titles(document["profile"]["name"]))


def report_html(result: CheckResult, profile: str | Profile = DEFAULT_PROFILE, lang: str = "sv",
                reveal_ids: bool = False, vendor: str | None = None, system_version: str | None = None) -> str:
    return render_html(build_report(result, profile, lang, reveal_ids, vendor, system_version))


# -- the extended document --------------------------------------------------------------------------------------

def build_report(result: CheckResult, profile: str | Profile = DEFAULT_PROFILE, lang: str = "sv",
                 reveal_ids: bool = False, vendor: str | None = None, system_version: str | None = None) -> dict:
    """The result document of a check plus a `report` key holding everything the HTML page shows."""
    return extended(build(result, lang=lang, reveal_ids=reveal_ids), profile, vendor, system_version)


def extended(document: dict, profile: str | Profile = DEFAULT_PROFILE, vendor: str | None = None,
             system_version: str | None = None) -> dict:
    """A result document (made now, or stored as JSON) plus a `report` key holding everything the HTML page
    shows, as plain data, in the document's language. `profile` is the profile the check ran with (name or
    folder), for the standard's names of sets, values and target groups."""
    figures = document.get("figures")
    if not figures:
        raise UsageError("result_without_figures", source=document["export"]["path"],
                         version=document.get("format_version", "?"))
    prof = load_profile(profile) if isinstance(profile, str) else profile
    document = dict(document)
    lang = document["language"]
    L = labels(lang)["html"]
    fmt = Formatter(lang)
    groups = _groups(prof, figures["groups"], L)
    coverage = _coverage(prof, figures["coverage"], fmt, L)
    document["report"] = {
        "lang_attr": lang,
        "system": _system(document["export"].get("package") or {}, vendor, system_version, L),
        "verdict": document["summary"]["verdict"],
        "counts_text": _counts_text(document["summary"]["findings"], fmt, labels(lang)),
        "sets_summary": _sets_summary(document["information_sets"], fmt, labels(lang)),
        "rules_evaluated": L["rules_evaluated"].format(n=fmt.int(document["summary"]["rules_evaluated"]),
                                                       total=fmt.int(document["summary"]["rules_total"])),
        "files": [f | {"records_text": "?" if f["records"] is None else fmt.int(f["records"])}
                  for f in document["export"]["files"]],
        "groups": groups,
        "matrix": _matrix(prof, document, figures["matrix"], fmt, L),
        "capability": _capability(prof, figures["capability"], fmt, L),
        "coverage": coverage,
        "rules": _rules(document, prof, fmt),
        "not_evaluated": [{"code": r["code"], "tables": ", ".join(r["not_evaluated_in"])}
                          for r in document["rules"] if r["not_evaluated_in"]],
        "charts": follow_up_charts(prof, figures, groups, coverage, fmt, L),
        "provisional": provisional(document, field_titles(prof.name), labels(lang)),
    }
    document["report"]["summary"] = build_summary(document, fmt, labels(lang))
    return document


def _counts_text(findings: dict[str, int], fmt: Formatter, L: dict) -> str:
    e, w, i = findings["error"], findings["warning"], findings["info"]
    return (f"{fmt.int(e)} {L['html']['error_one'] if e == 1 else L['errors']} · "
            f"{fmt.int(w)} {L['warning'] if w == 1 else L['warnings']} · {fmt.int(i)} {L['info']}")


def _sets_summary(sets: list[dict], fmt: Formatter, L: dict) -> str:
    counts = {status.value: sum(1 for s in sets if s["status"] == status.value) for status in Status}
    parts = " · ".join(f"{fmt.int(n)} {L['status_names'][status]}" for status, n in counts.items())
    return L["html"]["sets_summary"].format(total=fmt.int(len(sets)), parts=parts)


def _system(package: dict, vendor: str | None, version: str | None, L: dict) -> dict:
    """Vendor/system and version as given on the command line, else as the export's datapackage.json says, with
    control characters (a NUL, an escape, a right-to-left override) shown as \\xNN rather than obeyed."""
    name, version_ = printable(vendor) or None, printable(version) or None
    packaged, packaged_version = printable(package.get("name")) or None, printable(package.get("version")) or None
    return {
        "given": bool(name or packaged),
        "name": name or packaged or L["not_given"],
        "name_source": L["source_option"] if name else (L["source_package"] if packaged else ""),
        "version": version_ or packaged_version or L["not_given"],
        "version_source": L["source_option"] if version_ else (L["source_package"] if packaged_version else ""),
    }


# -- target groups ----------------------------------------------------------------------------------------------

def _groups(profile: Profile, codes: list[str], L: dict) -> list[dict]:
    """The target groups the figures hold, named as the catalogue (or the value set) names them."""
    frame = profile.value_set(GROUP_VALUE_SET)
    column = profile.value_column(GROUP_VALUE_SET)
    in_set = {r[column]: r.get("namn") for r in frame.iter_rows(named=True) if r[column]}
    names = L.get("group_names") or {}
    return [{"code": OTHER_GROUP, "name": L["other_group"], "short": L["other_group_short"]} if code == OTHER_GROUP
            else {"code": code, "name": names.get(code) or in_set.get(code) or code, "short": code}
            for code in codes]


# -- the matrix -------------------------------------------------------------------------------------------------

def _matrix(profile: Profile, document: dict, matrix: list[dict], fmt: Formatter, L: dict) -> list[dict]:
    """Per information set: the overall verdict and one cell per target group, with the share of the group's
    records that have no error."""
    cells_of = {row["set"]: row["cells"] for row in matrix}
    names_en = {s.id: s.name_en for s in profile.information_sets}
    rows = []
    for s in document["information_sets"]:
        overall = {"status": s["status"], "share": fmt.share(s["conforming_share"]), "records": fmt.int(s["records"]),
                   "title": _cell_title(L, s["status"], s["records"], s["records_with_errors"], fmt)}
        cells = [{
            "group": c["group"], "status": c["status"], "n": c["records"], "errors": c["errors"],
            "warnings": c["warnings"],
            "share": (fmt.share(1 - c["errors"] / c["records"]) if c["records"] and c["status"] != Status.MISSING.value
                      else "–"),
            "records": fmt.int(c["records"]) if c["records"] else "",
            "title": _cell_title(L, c["status"], c["records"], c["errors"], fmt),
        } for c in cells_of.get(s["id"], [])]
        rows.append({"id": s["id"], "name": s["name"], "name_en": names_en.get(s["id"], ""), "overall": overall,
                     "cells": cells})
    return rows


def _cell_title(L: dict, status: str, records: int, errors: int, fmt: Formatter) -> str:
    if status in ("none", Status.MISSING.value):
        return L["cell_titles"][status]
    return L["cell_titles"]["records"].format(records=fmt.int(records), errors=fmt.int(errors))


# -- capability -------------------------------------------------------------------------------------------------

def _capability(profile: Profile, items: list[dict], fmt: Formatter, L: dict) -> list[dict]:
    """What the export shows about what the system can register, in words."""
    C = L["capability"]
    nouns = L["table_nouns"]
    out = []
    for item in items:
        name = profile.information_set(item["set"]).name
        if item["kind"] == "missing":
            out.append({"status": item["status"], "set": name, "text": C["missing"]})
            continue
        noun = nouns.get(item["table"], [item["table"], item["table"]])
        if item["kind"] == "empty":
            text = C["empty"].format(field=f"{item['table']}.{item['field']}", n=fmt.int(item["records"]),
                                     records=noun[1])
        else:
            key = {"unknown": "several_too_few", "problem": "several_never", "ok": "several_ok"}[item["status"]]
            text = C[key].format(set=name, n=fmt.int(item["records"]), most=fmt.int(item["most"]), record=noun[0],
                                 records=noun[1], minimum=item["minimum"])
        out.append({"status": item["status"], "set": name, "text": text})
    return out


# -- value-set coverage -----------------------------------------------------------------------------------------

def _coverage(profile: Profile, coverage: list[dict], fmt: Formatter, L: dict) -> list[dict]:
    """Per information set and value set, the values the export shows, never shows, and holds outside the set:
    named as the standard names them (a set with several value sets by its fields)."""
    per_set: dict[str, int] = {}
    for c in coverage:
        per_set[c["set"]] = per_set.get(c["set"], 0) + 1
    out = []
    for c in coverage:
        titles = [profile.tables[t].field(f).title for t, f in c["fields"]]
        try:
            name = profile.information_set(c["set"]).name
        except KeyError:
            name = titles[0]
        if per_set[c["set"]] > 1:
            name = titles[0] if titles[0] != name else f"{name} ({c['column']})"
        more = c["nonstandard_total"] - len(c["nonstandard"])
        out.append({
            "id": c["set"], "name": name, "value_set": c["value_set"],
            "fields": ", ".join(f"{t}.{f}" for t, f in c["fields"]),
            "read": c["read"],
            "standard_total": c["standard_total"], "present_total": len(c["present"]),
            "summary": L["coverage_summary"].format(present=len(c["present"]), total=c["standard_total"],
                                                    nonstandard=c["nonstandard_total"]),
            "present": [{"value": v, "count": fmt.int(n)} for v, n in c["present"]],
            "never": c["never"],
            "nonstandard": [{"value": v["value"], "count": fmt.int(v["records"]), "closest": v["closest"] or "",
                             "basis": L["closest_basis"][v["basis"]] if v["basis"] else ""}
                            for v in c["nonstandard"]],
            "nonstandard_more": L["more_values"].format(n=fmt.int(more)) if more > 0 else "",
            "complete": c["complete"],
            "records_by_value": dict(c["present"]),  # unformatted, for the charts drawn from the same counts
        })
    return out


# -- rules ------------------------------------------------------------------------------------------------------

def _rules(document: dict, profile: Profile, fmt: Formatter) -> list[dict]:
    set_names = {s.id: s.name for s in profile.information_sets}
    shown = sorted((r for r in document["rules"] if r["count"]),
                   key=lambda r: (SEVERITY_ORDER[r["severity"]], r["code"]))
    found = {r["code"]: shown_message(r["message"], r["examples"]) for r in shown}
    return [{
        "code": r["code"], "severity": r["severity"], "count": fmt.int(r["count"]),
        "message": found[r["code"]][0], "message_is_example": found[r["code"]][1],
        "spec": r["spec"], "fix": filled(r["fix"], r["examples"][0] if r["examples"] else None),
        "category": r["category"], "basis": r["basis"],
        "quote": r["quote"]["text"], "quote_section": r["quote"]["section"], "reading": r["reading"],
        "sets": ", ".join(set_names.get(s, s) for s in r["information_sets"]),
        "examples": [{"where": _where(e, fmt), "key": e["key"] or "", "message": e["message"] or ""}
                     for e in r["examples"][:EXAMPLES_SHOWN]],
        "more": max(r["count"] - min(EXAMPLES_SHOWN, len(r["examples"])), 0),
        "more_text": fmt.int(max(r["count"] - min(EXAMPLES_SHOWN, len(r["examples"])), 0)),
    } for r in shown]


def _where(example: dict, fmt: Formatter) -> str:
    return example["table"] if example["row"] is None else f"{example['table']}:{fmt.int(example['row'])}"
