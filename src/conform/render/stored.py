"""What a stored result must hold before a report is made from it (`conform report --from`).

The JSON schema says what each field may be; a report also needs the fields to agree: every set of the profile
once, the target groups of every row of the matrix the same, no cell with more records with errors than
records, a verdict that follows from the sets' requirements, counts that add up. A result conform wrote always
agrees; one edited by hand, or cut off, may not, and a report from it would show impossible figures (or fail
half-way). Such a result is refused with one line naming the file and the first place that disagrees.
"""

from __future__ import annotations

import math

from conform.catalogue import labels
from conform.errors import Msg, UsageError, msg
from conform.input.requirements import Requirements, SetRequirement
from conform.model import open_item_count
from conform.profile import Profile
from conform.render.document import PROVISIONAL, stored_sets
from conform.result.evaluation import evaluate
from conform.result.figures import OTHER_GROUP, group_codes

# The fields a result of this format always holds, beyond what the schema requires of every version.
# The formats with the report's figures (1.5 added them; 1.6 only added the provisional verdict, 1.7 the code
# table's text of a mapping question, 1.8 the values a mapping leaves as written).
RENDERABLE_VERSIONS = ("1.5", "1.6", "1.7", "1.8")
WRITTEN = {
    (): ("mapping", "accepted_deviations", "local_practice", "figures"),
    ("summary",): ("blocking_rules", "conformance", "requirements", "skall_met", "skall_total", "bor_score"),
    ("rules", "*"): ("message", "listed", "basis", "quote", "reading"),
    ("information_sets", "*"): ("violated_rules", "blocking_rule", "level", "weight", "tolerance", "met",
                                "column_failure"),
}
CAPABILITY_FIELDS = {"missing": (), "several": ("table", "records", "most", "minimum"),
                     "empty": ("table", "field", "records")}
LONGEST_MEDIAN = 100 * 366  # days: a median wait longer than a century is no figure of a case


class Inconsistent(Exception):
    def __init__(self, where: str, problem: Msg):
        super().__init__(where, problem)
        self.where, self.problem = where, problem


def stored_report(document: dict, source: str, profile: Profile, rules, lang: str, reveal_ids: bool = False,
                  vendor: str | None = None, system_version: str | None = None) -> tuple[str, dict]:
    """The report page of a stored result and the result worded in `lang`, as the page shows it. Its figures are
    the check's; a result made with --reveal-ids is shown in full only when `reveal_ids` asks for it too."""
    from conform.render.document import reworded
    from conform.render.html import extended, render_html

    require_renderable(document, source, profile)
    shown = reworded(document, lang, rules, mask=not reveal_ids)
    return render_html(extended(shown, profile, vendor, system_version)), shown


def require_renderable(document: dict, source: str, profile: Profile) -> None:
    """Raises a UsageError naming `source` and the first place where the stored result disagrees with itself,
    with the profile (which must be the one it was made with) or with the catalogue."""
    if document["format_version"] not in RENDERABLE_VERSIONS or not document.get("figures"):
        raise UsageError("result_without_figures", source=source, version=document["format_version"])
    if (document["profile"]["name"], document["profile"]["version"]) != (profile.name, profile.version):
        raise UsageError("result_other_profile", source=source,
                         profile=f"{document['profile']['name']} {document['profile']['version']}",
                         installed=f"{profile.name} {profile.version}")
    try:
        _written(document)
        _sets(document, profile)
        _rules(document)
        _figures(document, profile)
        _verdict(document)
    except Inconsistent as problem:
        raise UsageError("result_inconsistent", source=source, where=problem.where,
                         detail=problem.problem) from None


def _check(holds: bool, where: str, problem: Msg) -> None:
    if not holds:
        raise Inconsistent(where, problem)


def _written(document: dict) -> None:
    for path, fields in WRITTEN.items():
        for where, node in _nodes(document, path):
            for name in fields:
                _check(name in node, f"{where}/{name}" if where else name, msg("stored_missing"))


def _nodes(node, path: tuple, where: str = ""):
    if not path:
        yield where, node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for i, item in enumerate(node):
            yield from _nodes(item, rest, f"{where}/{i}")
    else:
        yield from _nodes(node[head], rest, f"{where}/{head}".lstrip("/"))


def _sets(document: dict, profile: Profile) -> None:
    ids = [s["id"] for s in document["information_sets"]]
    _check(ids == [s.id for s in profile.information_sets], "information_sets",
           msg("stored_sets"))
    for i, s in enumerate(document["information_sets"]):
        where = f"information_sets/{i}"
        _check(s["records_with_errors"] <= s["records"], where, msg("stored_more_errors"))
        _check(s["records_with_warnings"] <= s["records"], where, msg("stored_more_warnings"))
        share = s["conforming_share"]
        _check(share is None or 0 <= share <= 1, f"{where}/conforming_share", msg("stored_share"))
        _check(0 <= s["tolerance"] <= 1, f"{where}/tolerance", msg("stored_share"))


def _rules(document: dict) -> None:
    codes = {r["code"] for r in document["rules"]}
    _check(len(codes) == len(document["rules"]), "rules", msg("stored_rule_twice"))
    summary = document["summary"]
    for code in summary["blocking_rules"]:
        _check(code in codes, "summary/blocking_rules", msg("stored_no_rule", code=code))
    for i, s in enumerate(document["information_sets"]):
        for code in s["rules"] + s["violated_rules"] + ([s["blocking_rule"]] if s["blocking_rule"] else []):
            _check(code in codes, f"information_sets/{i}", msg("stored_no_rule", code=code))
    by_severity = {severity: 0 for severity in summary["findings"]}
    for i, r in enumerate(document["rules"]):
        _check(r["listed"] <= r["count"] and len(r["examples"]) <= r["count"], f"rules/{i}",
               msg("stored_listed"))
        by_severity[r["severity"]] = by_severity.get(r["severity"], 0) + r["count"]
    _check(by_severity == summary["findings"], "summary/findings", msg("stored_findings"))
    _check(summary["rules_evaluated"] <= summary["rules_total"] == len(codes), "summary/rules_evaluated",
           msg("stored_rules_evaluated"))
    _check(summary["skall_met"] <= summary["skall_total"] <= len(document["information_sets"]),
           "summary/skall_met", msg("stored_skall_total"))
    _check(0 <= summary["conformance"] <= 1, "summary/conformance", msg("stored_share"))
    _check(summary["bor_score"] is None or 0 <= summary["bor_score"] <= 1, "summary/bor_score", msg("stored_share"))
    known = labels("en")["notes"]
    for note in document["notes"]:
        _check(note in known, "notes", msg("stored_no_note", value=note))


def _figures(document: dict, profile: Profile) -> None:
    figures = document["figures"]
    groups = figures["groups"]
    _check(bool(groups) and len(set(groups)) == len(groups)
           and set(groups) <= set(group_codes(profile)) | {OTHER_GROUP}, "figures/groups",
           msg("stored_groups"))
    _check([row["set"] for row in figures["matrix"]] == [s.id for s in profile.information_sets],
           "figures/matrix", msg("stored_matrix_rows"))
    for i, row in enumerate(figures["matrix"]):
        _check([c["group"] for c in row["cells"]] == groups, f"figures/matrix/{i}", msg("stored_matrix_cells"))
        for cell in row["cells"]:
            _check(cell["errors"] <= cell["records"] and cell["warnings"] <= cell["records"], f"figures/matrix/{i}",
                   msg("stored_more_findings"))
    sets = {s.id for s in profile.information_sets}
    basis = labels("en")["html"]["closest_basis"]
    for i, item in enumerate(figures["capability"]):
        where = f"figures/capability/{i}"
        _check(item["set"] in sets, where, msg("stored_no_set", value=item["set"]))
        for name in CAPABILITY_FIELDS[item["kind"]]:
            _check(name in item, f"{where}/{name}", msg("stored_missing"))
        if "table" in item:
            _check(item["table"] in profile.tables, where, msg("stored_no_table", value=item["table"]))
        if "field" in item:
            _check(item["field"] in profile.tables[item["table"]].field_names, where,
                   msg("stored_no_field", value=item["field"]))
        if item["kind"] == "several":
            _check((item["records"] == 0) == (item["most"] == 0), where, msg("stored_several"))
    for i, c in enumerate(figures["coverage"]):
        where = f"figures/coverage/{i}"
        for table, name in c["fields"]:
            _check(table in profile.tables and name in profile.tables[table].field_names, where,
                   msg("stored_no_field", value=f"{table}.{name}"))
        _check(len(c["present"]) + len(c["never"]) == c["standard_total"], where, msg("stored_values"))
        _check(c["nonstandard_total"] >= len(c["nonstandard"]), where, msg("stored_listed"))
        for value in c["nonstandard"]:
            _check(value["basis"] is None or value["basis"] in basis, where,
                   msg("stored_no_basis", value=value["basis"]))
    follow_up = figures["follow_up"]
    for step, rows in (follow_up["days"] or {}).items():
        for row in rows:
            _check(row["group"] in groups and math.isfinite(row["median"]) and row["median"] <= LONGEST_MEDIAN,
                   f"figures/follow_up/days/{step}", msg("stored_median"))
    persons = follow_up["persons"]
    if persons is not None:
        for row in persons["counts"]:
            _check(row["group"] in groups and row["persons"] <= persons["persons"], "figures/follow_up/persons",
                   msg("stored_group_more"))
    for row in follow_up["open"]["counts"]:
        _check(row["group"] in groups and row["records"] <= follow_up["open"]["records"], "figures/follow_up/open",
               msg("stored_group_more"))


def _verdict(document: dict) -> None:
    """The verdict and the sets' met follow from the sets' figures and requirements, as the check decided them
    (conform.result.evaluation.evaluate)."""
    stored = document["information_sets"]
    sets = stored_sets(document)
    wanted = Requirements({s["id"]: SetRequirement(s["level"], s["weight"], s["tolerance"]) for s in stored})
    judged = evaluate(wanted, sets, bool(document["summary"]["findings"]["warning"]))
    for i, (s, e) in enumerate(zip(stored, judged.sets)):
        _check(s["met"] == e.met, f"information_sets/{i}/met", msg("stored_met"))
    # A provisional verdict stands for the one the findings give (verdict_if_reviewed), and only through a
    # mapping with something left to review.
    summary = document["summary"]
    provisional = summary["verdict"] == PROVISIONAL
    _check(provisional == bool((document.get("mapping") or {}).get("open_items")), "summary/verdict",
           msg("stored_verdict"))
    _check(summary.get("verdict_if_reviewed" if provisional else "verdict") == judged.verdict.value,
           "summary/verdict", msg("stored_verdict"))
    if provisional:
        _check(summary["provisional"]["open_items"] == open_item_count(document["mapping"]["open_items"]),
               "summary/provisional/open_items", msg("stored_verdict"))
    _check(document["summary"]["skall_met"] == judged.skall_met, "summary/skall_met", msg("stored_skall_met"))
