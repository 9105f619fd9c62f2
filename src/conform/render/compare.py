"""`conform compare`: several vendors' check results side by side, the procurement view.

Input is result documents as `conform check --format json` writes them (render.document.build); nothing is
re-checked. `compare` builds the matrix as plain data (information set × vendor: status and conforming share,
plus one summary per vendor and the evidence each result carries); `compare_html` and `compare_csv` render it.
Results made with different profiles (name or version) are refused: their verdicts are not comparable.

The helpers shared with `conform diff` (reading and validating result files, the profile check, the HTML
environment) live here too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Iterable, Sequence

from jsonschema import Draft202012Validator

from conform import __version__, clock, jsonfile
from conform.catalogue import fill, labels
from conform.check.ruleset import load_rules
from conform.errors import ConformError, UsageError, msg, utf8_reason
from conform.formatting import Formatter
from conform.input.requirements import load_requirements
from conform.model import SEVERITY_RANK, SetResult, Status
from conform.profile import field_titles, load_profile
from conform.render.document import FORMAT, READABLE_VERSIONS, stored_sets
from conform.render.spreadsheet import neutralised
from conform.render.summary import requirement_text
from conform.render.templates import CSP, environment, printable
from conform.resources import SCHEMAS_DIR, rules_dir
from conform.result.evaluation import RuleFigures, evaluate

COMPARE_FORMAT = "conform-compare"
COMPARE_FORMAT_VERSION = "1.0"
RESULT_SCHEMA = SCHEMAS_DIR / "result.schema.json"
# The HTML pages hold no script and load nothing: inline CSS only (the same policy as the check report).
# Unicode categories shown escaped in text output: controls, format characters (bidi overrides, zero-width),
# surrogates, private use, unassigned, line and paragraph separators.


# -- reading result documents ------------------------------------------------------------------------------------

@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(RESULT_SCHEMA.read_text(encoding="utf-8")))


def load_result(path: str | Path) -> dict:
    """One result document, read and validated; a ConformError naming the file says what is wrong."""
    path = Path(path)
    try:
        # A byte-order mark (a result saved again by an editor on Windows) is no reason to refuse it.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise UsageError("no_such_file", path=path) from exc
    except IsADirectoryError as exc:
        raise UsageError("result_is_folder", path=path) from exc
    except UnicodeDecodeError as exc:
        raise UsageError("result_not_utf8", path=path, reason=utf8_reason(exc.reason), byte=exc.start) from exc
    except OSError as exc:
        raise UsageError("result_unreadable", path=path, detail=exc.strerror or exc) from exc
    try:
        document = jsonfile.loads(text, strict_numbers=True)
    except jsonfile.TooDeep as exc:
        raise UsageError("json_too_deep", path=path, limit=jsonfile.MAX_DEPTH) from exc
    except jsonfile.NotANumber as exc:
        raise UsageError("result_bad_number", path=path, line=_line_of(text)) from exc
    except json.JSONDecodeError as exc:
        raise UsageError("result_not_json", path=path, line=exc.lineno, column=exc.colno, detail=exc.msg) from exc
    validate_result(document, str(path))
    return document


def _line_of(text: str) -> int:
    """The line of the first number a strict reading refused (json's parser does not say where)."""
    first = re.search(r"\bNaN\b|-?\bInfinity\b|\d{4301,}", text)
    return text.count("\n", 0, first.start()) + 1 if first else 1


def load_results(paths: Iterable[str | Path]) -> list[dict]:
    """Result documents, read and validated in order (see load_result)."""
    paths = list(paths)
    if not paths:
        raise UsageError("no_results")
    return [load_result(p) for p in paths]


def validate_result(document, source: str) -> None:
    if not isinstance(document, dict) or "format" not in document:
        raise UsageError("result_no_format", source=source)
    if document["format"] != FORMAT:
        raise UsageError("result_wrong_format", source=source, format=document["format"], expected=FORMAT)
    if document.get("format_version") not in READABLE_VERSIONS:
        raise UsageError("result_version", source=source, version=document.get("format_version"),
                         supported=READABLE_VERSIONS)
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        more = msg("more_problems", n=len(errors) - 1) if len(errors) > 1 else ""
        raise UsageError("result_invalid", source=source, where=where, detail=first.message, more=more)


def require_same_profile(documents: Sequence[dict], sources: Sequence[str] | None = None) -> None:
    """Refuses results made with different profiles: their rules and verdicts do not compare."""
    labels_ = _sources(documents, sources)
    first = documents[0]["profile"]
    for document, source in zip(documents[1:], labels_[1:]):
        other = document["profile"]
        if (other["name"], other["version"]) != (first["name"], first["version"]):
            raise ConformError("different_profiles", first=labels_[0],
                               first_profile=f"{first['name']} {first['version']}", other=source,
                               other_profile=f"{other['name']} {other['version']}")


def _sources(documents: Sequence[dict], sources: Sequence[str] | None) -> list[str]:
    if sources is not None:
        if len(sources) != len(documents):
            raise UsageError("sources_count", sources=len(sources), results=len(documents))
        return [str(s) for s in sources]
    return [msg("result_of", path=d["export"]["path"]) for d in documents]


# -- judging results again under a requirements file -------------------------------------------------------------

def rejudge(documents: Sequence[dict], requirements: Path, sources: Sequence[str] | None = None) -> list[dict]:
    """The results as a requirements file judges them: each set's level, tolerance and whether it is met, the
    skall-krav met, the buyer's own requirements on rules, the bör score, whether the vendor qualifies and the
    verdict, from the figures each result holds. Accepted deviations take findings out of a check, which a result
    no longer holds: a file that lists any is applied only to results checked with it (the same SHA-256), and
    refused for the others."""
    profile = load_profile(documents[0]["profile"]["name"])
    rules = load_rules(rules_dir(profile.name), profile)
    wanted = load_requirements(requirements, profile, list(rules))
    labels_ = _sources(documents, sources)
    judged = []
    for document, source in zip(documents, labels_):
        if (document["summary"].get("requirements") or {}).get("sha256") == wanted.sha256:
            judged.append(document)
            continue
        if wanted.deviations or wanted.practice.declared:
            raise UsageError("rejudge_deviations", source=source, requirements=requirements)
        if "violated_rules" not in document["information_sets"][0] or (
                wanted.own and any("records_checked" not in r for r in document["rules"])):
            raise UsageError("rejudge_old", source=source, version=document["format_version"])
        sets = stored_sets(document)
        evaluation = evaluate(wanted, sets, bool(document["summary"]["findings"]["warning"]),
                              rules=_stored_rule_figures(document))
        judged.append(_with_evaluation(document, evaluation, sets))
    return judged


def _stored_rule_figures(document: dict) -> dict[str, RuleFigures]:
    """Each rule's figures as the result holds them (conform.result.evaluation.RuleFigures), for the buyer's own
    requirements on rules."""
    return {r["code"]: RuleFigures(r["records_checked"], r["records_with_findings"], r["column_failure"],
                                   not r["not_evaluated_in"])
            for r in document["rules"] if "records_checked" in r}


def _with_evaluation(document: dict, evaluation, sets: list[SetResult]) -> dict:
    from conform.render.document import evaluation_summary

    by_id = {e.id: e for e in evaluation.sets}
    out = dict(document)
    # Judged again, a provisional result stays provisional: the requirements do not review the mapping.
    verdict = ({"verdict_if_reviewed": evaluation.verdict.value} if document["summary"]["verdict"] == "provisional"
               else {"verdict": evaluation.verdict.value})
    out["summary"] = dict(document["summary"]) | evaluation_summary(evaluation) | verdict | {
        "blocking_rules": evaluation.blocking_rules(sets)}
    out["information_sets"] = [dict(s) | by_id[s["id"]].fields() for s in document["information_sets"]]
    out["own_requirements"] = evaluation.own_fields()
    return out


# -- the matrix --------------------------------------------------------------------------------------------------

def compare(documents: Sequence[dict], names: Sequence[str] | None = None,
            sources: Sequence[str | Path] | None = None) -> dict:
    """Information set × vendor, plus one summary and the evidence per vendor. Plain data, JSON-ready.

    `names` are the vendors' names in the order of `documents`; by default each export's folder name.
    `sources` are the files the documents came from (for messages and the evidence); optional."""
    documents = list(documents)
    if not documents:
        raise UsageError("nothing_to_compare")
    if names is not None and len(names) != len(documents):
        raise UsageError("names_count", names=len(names), results=len(documents))
    source_texts = None if sources is None else [str(s) for s in sources]
    require_same_profile(documents, source_texts)
    vendor_names = _vendor_names(documents, names, source_texts)

    set_order: list[tuple[str, str]] = []
    for document in documents:
        for s in document["information_sets"]:
            if s["id"] not in {i for i, _ in set_order}:
                set_order.append((s["id"], s["name"]))
    by_set = [{s["id"]: s for s in d["information_sets"]} for d in documents]

    sets = []
    for set_id, set_name in set_order:
        cells = []
        for sets_of in by_set:
            s = sets_of.get(set_id)
            cells.append(None if s is None else {
                "status": s["status"], "conforming_share": s["conforming_share"], "records": s["records"],
                "records_with_errors": s["records_with_errors"], "records_with_warnings": s["records_with_warnings"],
                # The requirement the set was judged by (format 1.2 on): a set with errors within its tolerance
                # meets it, and is shown so.
                "level": s.get("level"), "tolerance": s.get("tolerance"), "met": s.get("met")})
        sets.append({"id": set_id, "name": set_name, "cells": cells})

    vendors = [_vendor(d, name, None if source_texts is None else source_texts[i])
               for i, (d, name) in enumerate(zip(documents, vendor_names))]
    for vendor, rank in zip(vendors, ranks([_standing(v) for v in vendors])):
        vendor["rank"] = rank
    own_rows: dict[str, dict] = {}  # the buyer's own requirements on rules: rule × vendor, apart from the sets
    for i, vendor in enumerate(vendors):
        for o in vendor["own"]:
            row = own_rows.setdefault(o["rule"], {key: o[key] for key in ("rule", "spec", "level", "weight",
                                                                          "tolerance", "note")}
                                      | {"cells": [None] * len(vendors)})
            row["cells"][i] = {key: o[key] for key in ("met", "share", "records", "records_with_findings",
                                                       "column_failure", "evaluated")}
    return {
        "format": COMPARE_FORMAT,
        "format_version": COMPARE_FORMAT_VERSION,
        "generated_at": clock.timestamp(),
        "tool": {"name": "conform", "version": __version__},
        "profile": dict(documents[0]["profile"]),
        "vendors": vendors,
        "sets": sets,
        "rules": _rules(documents),
        "notes": _notes(documents, vendors),
        "own_requirements": list(own_rows.values()),
        # The requirements every result was judged by, when they were the same (else a note says they differ).
        "requirements": vendors[0]["requirements"] if len({_sha(v) for v in vendors}) == 1 else None,
    }


def _sha(vendor: dict) -> str | None:
    return (vendor["requirements"] or {}).get("sha256")


def _vendor_names(documents: Sequence[dict], names: Sequence[str] | None, sources: Sequence[str] | None) -> list[str]:
    if names is not None:
        chosen = [str(n) for n in names]
    else:
        chosen = []
        for i, d in enumerate(documents):
            name = Path(d["export"]["path"].rstrip("/\\") or ".").name
            if not name or name in {".", ".."}:
                name = Path(sources[i]).stem if sources else f"#{i + 1}"
            chosen.append(name)
    # Two exports in folders of the same name still get two columns that can be told apart.
    seen: dict[str, int] = {}
    unique = []
    for name in (printable(n) for n in chosen):
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _vendor(document: dict, name: str, source: str | None) -> dict:
    sets = document["information_sets"]
    by_code = {r["code"]: r for r in document["rules"]}
    # What blocks godkänt here, the rule on most findings first (with its name, for a reader of page 1).
    blocking = sorted(document["summary"].get("blocking_rules", []),
                      key=lambda code: (-by_code.get(code, {}).get("count", 0), code))
    conformant = sum(1 for s in sets if s["status"] == Status.CONFORMANT)
    with_warnings = sum(1 for s in sets if s["status"] == Status.WARNINGS)
    rules = sorted((r for r in document["rules"] if r["count"]),
                   key=lambda r: (-SEVERITY_RANK[r["severity"]], -r["count"], r["code"]))
    own = [o | {"spec": by_code.get(o["rule"], {}).get("spec", "")} for o in document.get("own_requirements") or []]
    return {
        "name": name,
        "source": source,
        "export_path": document["export"]["path"],
        "as_of": document["as_of"],
        "as_of_source": document["as_of_source"],
        "tool_version": document["tool"]["version"],
        "generated_at": document["generated_at"],
        "language": document["language"],
        "person_ids_masked": document["person_ids_masked"],
        "files": [{"table": f["table"], "path": f["path"], "sha256": f["sha256"], "records": f["records"]}
                  for f in document["export"]["files"]],
        "verdict": document["summary"]["verdict"],
        # The graded figures (results of format 1.2 on; None for older ones): the export's conformance figure,
        # the skall-krav met, the bör score and what blocks godkänt, under the requirements it was checked with.
        "conformance": document["summary"].get("conformance"),
        "skall_met": document["summary"].get("skall_met"),
        "skall_total": document["summary"].get("skall_total"),
        "bor_score": document["summary"].get("bor_score"),
        "blocking_rules": blocking,
        # Named by the standard's words each rests on: a rule's own name is an internal id.
        "blocking_top": [{"code": code, "spec": by_code[code]["spec"], "count": by_code[code]["count"]}
                         for code in blocking[:3] if code in by_code],
        # Every skall-krav met, the standard's and the buyer's own on rules: the vendor qualifies (LOU: a
        # skall-krav not met rejects the tender). A result from before the buyer's own requirements: its verdict.
        "qualified": document["summary"].get("qualified", document["summary"]["verdict"] != Status.NONCONFORMANT),
        "shortfall": _shortfall(sets),
        # The buyer's own requirements on rules, each with the standard's words its rule rests on (its name is an
        # internal id), and those of them that are skall and not met.
        "own": own,
        "own_shortfall": [o for o in own if o["level"] == "skall" and not o["met"]],
        "requirements": document["summary"].get("requirements"),
        # The mapping shaped what was read and which local values counted as the standard's (None without one).
        "mapping": document.get("mapping"),
        "findings": dict(document["summary"]["findings"]),
        "rules_evaluated": document["summary"]["rules_evaluated"],
        "rules_total": document["summary"]["rules_total"],
        "rules_with_findings": [{"code": r["code"], "severity": r["severity"], "count": r["count"]} for r in rules],
        "sets_total": len(sets),
        "sets_conformant": conformant,
        "sets_with_warnings": with_warnings,
        # Conformant with or without remarks: the sets without an error that the export holds.
        "share_sets_conformant": round((conformant + with_warnings) / len(sets), 6) if sets else None,
    }


def _shortfall(sets: list[dict]) -> list[dict]:
    """How far a vendor is from qualifying: per skall-krav not met, the share of the set's records with krav
    findings against the tolerance (no share for a set the export lacks)."""
    out = []
    for s in sets:
        if s.get("level", "skall") != "skall" or s.get("met") is not False:
            continue
        share = (s["records_with_errors"] / s["records"]) if s["records"] and s["status"] != Status.MISSING else None
        out.append({"set": s["id"], "name": s["name"], "status": s["status"],
                    "error_share": None if share is None else round(share, 6), "tolerance": s.get("tolerance", 0)})
    return out


def _standing(vendor: dict) -> tuple:
    """The evaluation model (docs/requirements.md), after LOU practice: skall-krav qualify a vendor or not, and
    every qualified vendor ranks before every one that is not; among the qualified the bör score ranks; ties,
    and the vendors that do not qualify, are ordered by the conformance figure. Not by the number of skall-krav
    met: with tolerance 0 one record decides a set, so that count is noise (a vendor with fewer errors could
    meet fewer). A figure missing from an older result ranks last. Equal standings share a rank.

    The buyer's own requirements on rules count as the sets' do: a skall one not met disqualifies (`qualified`),
    a bör one met adds its weight to the bör score; both are decided in the result (summary.qualified,
    summary.bor_score), from the share of the records the rule checks that carry its findings. The model stays
    monotone: fewer findings never meet fewer of them."""
    def desc(x):
        return -x if x is not None else float("inf")
    qualified = vendor["qualified"]
    return (0 if qualified else 1, desc(vendor["bor_score"]) if qualified else 0, desc(vendor["conformance"]))


def ranks(standings: list[tuple]) -> list[int]:
    """Competition ranks (1, 1, 3): a vendor's rank is one more than the number of vendors standing better."""
    return [1 + sum(other < mine for other in standings) for mine in standings]


def _rules(documents: Sequence[dict]) -> list[dict]:
    """Every rule with a finding in at least one result: its count per vendor (None where the result has no
    such rule), in the order of the rule catalogue."""
    catalogue: dict[str, dict] = {}
    for document in documents:
        for r in document["rules"]:
            catalogue.setdefault(r["code"], r)
    by_doc = [{r["code"]: r for r in d["rules"]} for d in documents]
    rows = []
    for code, rule in catalogue.items():
        found = [rules.get(code) for rules in by_doc]
        if not any(r and r["count"] for r in found):
            continue
        rows.append({"code": code, "name": rule["name"], "category": rule["category"], "severity": rule["severity"],
                     "spec": rule["spec"], "counts": [None if r is None else r["count"] for r in found],
                     "not_evaluated": [bool(r and r["not_evaluated_in"]) for r in found]})
    return rows


def _notes(documents: Sequence[dict], vendors: list[dict]) -> list[dict]:
    """Differences between the results that a reader must know to read the matrix fairly."""
    notes = []
    if len({v["as_of"] for v in vendors}) > 1:
        notes.append({"code": "as_of_differs"})
    if len({v["tool_version"] for v in vendors}) > 1:
        notes.append({"code": "tool_differs"})
    if len({tuple(sorted(r["code"] for r in d["rules"])) for d in documents}) > 1:
        notes.append({"code": "rules_differ"})
    if len({v["person_ids_masked"] for v in vendors}) > 1:
        notes.append({"code": "masking_differs"})
    if len({(v["requirements"] or {}).get("sha256") for v in vendors}) > 1:
        notes.append({"code": "requirements_differ"})
    if len({(v["mapping"] or {}).get("sha256") for v in vendors}) > 1:
        notes.append({"code": "mapping_differs"})
    return notes




def compare_html(matrix: dict, lang: str = "sv") -> str:
    """One self-contained page: the matrix with coloured status cells and shares, a legend, the summary per
    vendor, and the evidence (as_of, tool version, input hashes) of each result."""
    template = environment(html=True).get_template("compare.html.j2")
    # The buyer's own requirements in words, as the report's first page words them ("bör (vikt 2) (tolerans 5 %)").
    own = [requirement_text(o["level"], o["weight"], o["tolerance"], Formatter(lang), labels(lang))
           for o in matrix.get("own_requirements") or []]
    return template.render(m=matrix, L=labels(lang), C=labels(lang)["compare"], lang=lang, csp=CSP,
                           F=field_titles(matrix["profile"]["name"]), own_texts=own)


def compare_csv(matrix: dict, lang: str = "sv") -> str:
    """The comparison as CSV, one row per vendor in rank order: its rank, verdict, whether it qualifies, bör score
    and conformance figure, then per information set its status and share of conforming records (0..1, with a
    decimal point, empty where the set is missing), then per buyer's own requirement on a rule whether it is met.
    Headings and words in `lang`; the sets by the standard's names."""
    L, C = labels(lang), labels(lang)["compare"]["csv"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [C["rank"], C["vendor"], C["verdict"], C["qualified"], C["bor_score"], C["conformance"]]
    for s in matrix["sets"]:
        header += [fill(C["set_status"], set=s["name"]), fill(C["set_share"], set=s["name"])]
    own = matrix.get("own_requirements") or []
    header += [fill(C["own_met"], rule=o["rule"]) for o in own]
    writer.writerow([neutralised(h) for h in header])
    for i in sorted(range(len(matrix["vendors"])), key=lambda i: (matrix["vendors"][i]["rank"], i)):
        v = matrix["vendors"][i]
        row = [v["rank"], v["name"], L["verdict_names"][v["verdict"]], C["yes"] if v["qualified"] else C["no"],
               _decimal(v["bor_score"]), _decimal(v["conformance"])]
        for s in matrix["sets"]:
            cell = s["cells"][i]
            if cell is None:
                row += ["", ""]
            else:
                within = cell["status"] == Status.NONCONFORMANT and cell.get("met")
                status = "within_tolerance" if within else cell["status"]
                row += [C["statuses"][status], _decimal(cell["conforming_share"])]
        row += ["" if o["cells"][i] is None else C["yes"] if o["cells"][i]["met"] else C["no"] for o in own]
        writer.writerow([neutralised(str(v)) for v in row])
    return out.getvalue()


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")
