"""The result document: the versioned, JSON-ready projection of a check that every human-facing renderer
(text, JSON, and later HTML) reads. Plain data only."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from conform import clock
from conform.errors import UsageError
from conform.model import CheckResult, Rule, SetResult, Severity, Status
from conform.profile import field_titles
from conform.render.findings import coded_rules, masked, overall_verdict, with_messages
from conform.result.fingerprint import ALGORITHM, fingerprints, key_id

FORMAT = "conform-result"
FORMAT_VERSION = "1.8"
# Each version only added fields and values.
READABLE_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8")
# The verdict through a mapping that still holds unreviewed guesses (format 1.6 on): never godkänd or ej godkänd.
PROVISIONAL = "provisional"
EXAMPLES_PER_RULE = 20
EXAMPLE_COLUMNS = ["table", "row", "key", "field", "value", "other", "message"]
# What an example holds in no language: enough to word its message again.
NEUTRAL_COLUMNS = ["table", "row", "key", "field", "value", "other"]


def build(result: CheckResult, lang: str = "sv", reveal_ids: bool = False,
          fingerprint_key: bytes | None = None) -> dict:
    """The document; with `fingerprint_key`, it carries every listed finding's fingerprint (conform.result.fingerprint)
    per rule and on each example, for `conform diff` to compare findings record by record."""
    findings = result.findings
    if fingerprint_key is not None:
        # Computed from the findings in full (a masked key would make different people one finding).
        findings = findings.with_columns(fingerprints(result.findings, fingerprint_key))
    # Only the examples are masked and worded: an export with millions of findings is not written out twice.
    chosen = findings.group_by("rule", maintain_order=True).head(EXAMPLES_PER_RULE)
    chosen = chosen if reveal_ids else masked(chosen)
    # A coded detail is kept as its code too, so that a stored result can be worded in another language.
    chosen = chosen.with_columns(detail=pl.when(pl.col("rule").is_in(coded_rules(result.rules))).then("other"))
    chosen = with_messages(chosen, result.rules, lang, field_titles(result.profile_name))
    if result.record_groups is not None:
        chosen = with_groups(chosen, result.record_groups)
    counts = result.counts_by_rule()
    listed = result.listed_by_rule()
    examples = chosen.partition_by("rule", as_dict=True, include_key=False, maintain_order=True)
    severities = result.counts_by_severity()
    records = {f.table: f.records for f in result.inputs}
    not_evaluated = result_not_evaluated(result)
    evaluation = result.evaluation
    judged = {e.id: e for e in evaluation.sets} if evaluation else {}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": clock.timestamp(),
        "tool": {"name": "conform", "version": result.tool_version},
        "profile": {"name": result.profile_name, "version": result.profile_version},
        "as_of": result.as_of,
        "as_of_source": result.as_of_source,
        "language": lang,
        "person_ids_masked": not reveal_ids,
        "export": {
            "path": result.export_path,
            "files": [{"table": f.table, "path": f.path, "sha256": f.sha256, "records": f.records,
                       "encoding": f.encoding, "format": f.format, "delimiter": f.delimiter, "sheet": f.sheet}
                      for f in result.inputs],
            "records": records,
            "package": result.package,
        },
        "summary": {
            **_verdict(result),
            "findings": {s.value: severities[s] for s in Severity},
            "rules_evaluated": len(result.rules) - len(not_evaluated),
            "rules_total": len(result.rules),
            "blocking_rules": (evaluation.blocking_rules(result.sets) if evaluation else
                               [r.code for r in result.rules if r.severity is Severity.ERROR and counts.get(r.code)]),
            "conformance": round(result.conformance, 6),
            **(evaluation_summary(evaluation) if evaluation else {}),
        },
        "information_sets": [
            {"id": s.id, "name": s.name, "status": s.status.value, "records": s.records,
             "records_with_errors": s.records_with_errors, "records_with_warnings": s.records_with_warnings,
             "conforming_share": None if s.conforming_share is None else round(s.conforming_share, 6),
             "rules": s.rules, "violated_rules": s.violated_rules, "blocking_rule": s.blocking_rule,
             "column_failure": s.column_failure,
             **(judged[s.id].fields() if s.id in judged else {})}
            for s in result.sets
        ],
        "rules": [
            {"code": r.code, "name": r.name, "category": r.category.value, "severity": r.severity.value,
             "information_sets": list(r.information_sets), "spec": r.spec, "message": r.message[lang],
             "fix": r.fix[lang],
             "basis": r.basis.value, "quote": {"section": r.quote_section, "text": r.quote},
             "reading": r.reading[lang] if r.reading else None,
             "count": counts.get(r.code, 0), "listed": listed.get(r.code, 0),
             "not_evaluated_in": sorted(not_evaluated.get(r.code, [])),
             **(evaluation.rule_figures[r.code].fields() if evaluation and r.code in evaluation.rule_figures else {}),
             "examples": _rows(examples.get((r.code,)))}
            for r in result.rules
        ],
        "notes": list(result.notes),
        "mapping": result.mapping,
        "accepted_deviations": evaluation.deviations if evaluation else [],
        "own_requirements": evaluation.own_fields() if evaluation else [],
        "local_practice": (evaluation.requirements.practice.as_dict()
                           if evaluation and evaluation.requirements.practice.declared else None),
        "figures": result.figures,
        "fingerprints": None if fingerprint_key is None else {
            "algorithm": ALGORITHM, "key_id": key_id(fingerprint_key),
            "rules": {code: sorted(group["fingerprint"].to_list())
                      for (code,), group in findings.select("rule", "fingerprint").partition_by(
                          "rule", as_dict=True, maintain_order=True).items()}},
    }


def _verdict(result: CheckResult) -> dict:
    """The verdict; through a mapping with unreviewed guesses it is "provisional" (preliminär), with the verdict
    the findings give once the mapping is reviewed as it stands, and what is left to review."""
    verdict = overall_verdict(result).value
    if not result.provisional:
        return {"verdict": verdict}
    return {"verdict": PROVISIONAL, "verdict_if_reviewed": verdict, "provisional": result.provisional_figures()}


def stored_sets(document: dict) -> list[SetResult]:
    """The set results a result document holds (format 1.2 or later: its violated rules), to judge again."""
    return [SetResult(s["id"], s["name"], Status(s["status"]), s["records"], s["records_with_errors"],
                      s["records_with_warnings"], s["rules"], s["violated_rules"], s.get("column_failure", False))
            for s in document["information_sets"]]


def evaluation_summary(evaluation) -> dict:
    """The summary's figures of an evaluation under requirements (conform.result.evaluation.Evaluation)."""
    wanted = evaluation.requirements
    bor = evaluation.bor_score
    return {
        "requirements": {"name": wanted.name, "path": wanted.path, "sha256": wanted.sha256,
                         "default": wanted.path is None},
        "skall_met": evaluation.skall_met,
        "skall_total": len(evaluation.skall),
        "bor_score": None if bor is None else round(bor, 6),
        "qualified": evaluation.qualified,
    }


def result_not_evaluated(result: CheckResult) -> dict[str, list[str]]:
    return {code: sorted(tables) for code, tables in result.not_evaluated.items()}


def reworded(document: dict, lang: str, rules: Sequence[Rule], mask: bool = False) -> dict:
    """A stored result document as a report in `lang` shows it: each rule's message, fix and reading from the
    rule catalogue, and each example's message and detail worded again from its fields (a coded detail from its
    code). With `mask`, a result made with person-IDs in full has them masked, as a check without --reveal-ids
    would have. Refused where the result names a rule the catalogue does not have (a result of other rules)."""
    remask = mask and not document["person_ids_masked"]
    if document["language"] == lang and not remask:
        return document
    by_code = {r.code: r for r in rules}
    unknown = sorted(r["code"] for r in document["rules"] if r["code"] not in by_code)
    if unknown:
        raise UsageError("result_rules_unknown", rules=", ".join(unknown))
    neutral = pl.DataFrame([dict({c: e[c] for c in NEUTRAL_COLUMNS}, rule=r["code"],
                                 other=e["other"] if e.get("detail") is None else e["detail"])
                            for r in document["rules"] for e in r["examples"]], schema=EXAMPLE_SCHEMA)
    if remask:
        neutral = masked(neutral)
    worded = with_messages(neutral, list(rules), lang, field_titles(document["profile"]["name"]))
    rows = iter(zip(neutral.iter_rows(named=True), worded.iter_rows(named=True)))

    def example(e: dict) -> dict:
        given, words = next(rows)
        return e | {"key": given["key"], "value": given["value"], "other": words["other"],
                    "message": words["message"]} | ({"detail": given["other"]} if e.get("detail") is not None else {})

    out = dict(document, language=lang, person_ids_masked=document["person_ids_masked"] or mask)
    out["rules"] = [r | {
        "message": by_code[r["code"]].message[lang], "fix": by_code[r["code"]].fix[lang],
        "reading": by_code[r["code"]].reading[lang] if by_code[r["code"]].reading else None,
        "examples": [example(e) for e in r["examples"]],
    } for r in document["rules"]]
    return out


EXAMPLE_SCHEMA = {"table": pl.String, "row": pl.Int64, "key": pl.String, "field": pl.String, "value": pl.String,
                  "other": pl.String, "rule": pl.String}


def with_groups(examples: pl.DataFrame, record_groups: pl.DataFrame) -> pl.DataFrame:
    """Each example with the target groups of its record (sorted; empty for a finding on no record)."""
    groups = (record_groups.group_by("table", "row").agg(groups=pl.col("group").unique().sort())
              .with_columns(pl.col("row").cast(examples.schema["row"])))
    return (examples.with_columns(pl.col("table").cast(pl.String))
            .join(groups, on=["table", "row"], how="left", maintain_order="left")
            .with_columns(pl.col("groups").fill_null(pl.lit([], pl.List(pl.String)))))


def _rows(frame: pl.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    columns = EXAMPLE_COLUMNS + [c for c in ("detail", "groups", "fingerprint") if c in frame.columns]
    return frame.select(columns).to_dicts()
