"""The Python API: what `conform check` does, callable from a test or a notebook the same way."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from conform import __version__, engine, partition
from conform.errors import UsageError
from conform.model import SYSTEMATIC_SHARE, CheckResult, Rule, SetResult, Severity, Status
from conform.profile import Profile, load_profile
from conform.requirements import Requirements, accepted_mask, default_requirements, evaluate, load_requirements
from conform.resources import DEFAULT_PROFILE, rules_dir
from conform.ruleset import load_rules
from conform.readers.text import is_not_utf8
from conform.sources import open_export

# Columns the engine computes when an export lacks them: the standard says Ålder "bör uträknas från person-ID".
DERIVABLE = frozenset({("aktualisering", "alder")})


@lru_cache(maxsize=8)
def load(profile_name: str = DEFAULT_PROFILE, rules_path: Path | None = None) -> tuple[Profile, tuple[Rule, ...]]:
    """The validated profile and its rules; cached per process, since both are read-only."""
    profile = load_profile(profile_name)
    return profile, tuple(load_rules(rules_path or rules_dir(profile.name), profile))


def check(export_path: Path | str, profile_name: str = DEFAULT_PROFILE, as_of: date | None = None,
          rules_path: Path | None = None, progress: engine.Progress | None = None,
          mapping: Path | str | None = None, bucket_records: int = partition.RECORDS_PER_BUCKET,
          requirements: Path | str | None = None) -> CheckResult:
    """Check an export: a folder of the profile's canonical tables, or with `mapping` (a mapping file) any
    export the mapping describes (folder, .zip, .xlsx, single file). An export of more than `bucket_records`
    records is checked in buckets of whole persons, with the same findings (see :mod:`conform.partition`).
    `requirements` (a requirements file) decides the verdict; without it every set is skall with tolerance 0."""
    profile, rules = load(profile_name, rules_path)
    wanted = (load_requirements(Path(requirements), profile, list(rules)) if requirements is not None
              else default_requirements(profile))
    if mapping is not None:
        from conform.mapping import open_mapped_export

        export = open_mapped_export(Path(export_path), Path(mapping), profile, DERIVABLE)
    else:
        export = open_export(Path(export_path), profile, DERIVABLE)
    as_of, as_of_source = _reference_date(as_of, export.package)
    structure_codes = {r.params.check: r.code for r in rules if r.kind == "structure"}

    def evaluated(export):
        records = _record_counts(export)
        compiled = engine.compile_rules(profile, list(rules), export.available(), as_of, wanted.practice)
        return records, compiled, _findings(profile, compiled, export,
                                            partition.bucket_count(sum(records.values()), bucket_records), progress)

    try:
        records, compiled, found = evaluated(export)
    except pl.exceptions.PolarsError as exc:
        if mapping is not None or not isinstance(exc, pl.exceptions.ComputeError) or is_not_utf8(exc):
            raise _unreadable(export_path, exc) from exc
        # The CSV reader refused a line the quick scan let through (a quote inside a field, as 1,"xy"z): the
        # careful scan finds every such line, and the tables are read without them.
        export = open_export(Path(export_path), profile, DERIVABLE, careful=True)
        try:
            records, compiled, found = evaluated(export)
        except pl.exceptions.PolarsError as again:
            raise _unreadable(export_path, again) from again
    outside_sets = {field for field, set_id in field_sets(profile).items() if not set_id}
    findings = pl.concat([export.structure_findings(structure_codes, outside_sets), found], how="vertical")
    findings = findings.with_columns(_shortened(c) for c in ("key", "field", "value", "other"))
    findings = findings.sort(["rule", "table", "row", "field", "key"], nulls_last=True)
    findings, accepted, deviations = _accept_deviations(profile, rules, findings, wanted, as_of)
    sets = set_results(profile, rules, findings, records, export)
    severities = {r.code: r.severity for r in rules}
    warnings = any(severities[c] is Severity.WARNING for c in findings["rule"].unique())
    evaluation = evaluate(wanted, sets, warnings, deviations)
    notes = sorted({c for frame in export.problems for c in frame["check"].unique() if c.startswith("derived_")})
    return CheckResult(
        tool_version=__version__, profile_name=profile.name, profile_version=profile.version,
        as_of=as_of.isoformat(), as_of_source=as_of_source, export_path=str(export_path),
        inputs=export.inputs(records), rules=rules, findings=findings, sets=sets, notes=notes,
        not_evaluated=compiled.not_evaluated, export=export, mapping=export.mapping,
        evaluation=evaluation, accepted=accepted,
    )


# The most characters of one key, column name, value or compared value a result keeps: the longest value of
# the standard has under 200; an export's megabyte cell or header name is cut, not copied into every report.
MAX_SHOWN = 500


def _shortened(column: str) -> pl.Expr:
    text = pl.col(column)
    return pl.when(text.str.len_chars() > MAX_SHOWN).then(text.str.slice(0, MAX_SHOWN) + "…").otherwise(text)


def _unreadable(export_path, exc: Exception) -> UsageError:
    """A file the readers' checks let through and the query engine then could not read: one line naming the
    export and the kind of failure only (the engine's message quotes cells, person-IDs among them)."""
    return UsageError("export_unreadable", path=export_path, kind=type(exc).__name__)


def _accept_deviations(profile: Profile, rules, findings: pl.DataFrame, wanted: Requirements, as_of: date
                       ) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """(findings that count, findings an active accepted deviation takes out, each deviation as reported)."""
    active = [d for d in wanted.deviations if d.active(as_of)]
    accepted = findings.clear()
    if active:
        attributed = attribute_findings(findings, {r.code: r for r in rules}, field_sets(profile))
        mask = accepted_mask(findings, attributed, active)
        findings, accepted = findings.filter(~mask), findings.filter(mask)
    counted = dict(findings.group_by("rule").len().rows())
    taken = dict(accepted.group_by("rule").len().rows())
    reported = [{
        "rule": d.rule, "information_sets": list(d.information_sets), "justification": d.justification,
        "accepted_by": d.accepted_by, "expires": d.expires.isoformat() if d.expires else None,
        "active": d.active(as_of),
        # Active: the findings it accepts; expired: the rule's findings, which count again.
        "findings": taken.get(d.rule, 0) if d.active(as_of) else counted.get(d.rule, 0),
    } for d in wanted.deviations]
    return findings, accepted, reported


def field_sets(profile: Profile) -> dict[tuple[str, str], str | None]:
    """The information set of every field of the profile ((table, field) -> set id, None for keys and målgrupp)."""
    return {(t, f.name): f.information_set for t, spec in profile.tables.items() for f in spec.fields}


def _findings(profile: Profile, compiled: engine.Compiled, export, buckets: int,
              progress: engine.Progress | None) -> pl.DataFrame:
    if buckets == 1:
        return engine.evaluate(profile, compiled, export, progress=progress)
    with tempfile.TemporaryDirectory(prefix="conform-buckets-") as folder:
        whole, parts = partition.split(profile, export, buckets, Path(folder))
        shared = engine.shared_lookups(profile, compiled, whole)
        found = []
        for i, part in enumerate(parts):
            step = (lambda table, done, total, i=i: progress(table, i * total + done, buckets * total)) \
                if progress else None
            found.append(engine.evaluate(profile, compiled, part, shared, step))
        return pl.concat(found, how="vertical")


def _reference_date(as_of: date | None, package: dict) -> tuple[date, str]:
    if as_of is not None:
        return as_of, "option"
    created = package.get("created")
    if created:
        try:
            return datetime.fromisoformat(str(created).replace("Z", "+00:00")).date(), "package"
        except ValueError as exc:
            raise UsageError("created_not_date", value=created) from exc
    return date.today(), "today"


def _record_counts(export) -> dict[str, int]:
    frames = {name: t.frame for name, t in export.tables.items() if t.frame is not None}
    if not frames:
        return {}
    counts = pl.collect_all([f.select(pl.len()) for f in frames.values()])
    return {name: int(c.item()) + export.tables[name].left_out for name, c in zip(frames, counts)}


def set_results(profile: Profile, rules: list[Rule], findings: pl.DataFrame, records: dict[str, int],
                export) -> list[SetResult]:
    """Verdict per information set (see :class:`conform.model.Status`): missing when the export holds none of its
    fields (and cannot derive them), else by the krav findings that count against it (see
    :func:`attribute_findings`): how many of its records they concern, and whether one concerns a whole column
    or file."""
    attributed = attribute_findings(findings, {r.code: r for r in rules}, field_sets(profile))
    available = export.available()
    results = []
    for s in profile.information_sets:
        holders = profile.fields_of_set(s.id)
        tables = sorted({t for t, _ in holders})
        present = [(t, f) for t, f in holders if f.name in available.get(t, set())]
        mine = attributed.filter(pl.col("set") == s.id)
        covering = sorted(r.code for r in rules if s.id in r.information_sets)
        n = sum(records.get(t, 0) for t in tables)
        rowed = mine.filter(pl.col("row").is_not_null())
        errors = rowed.filter(pl.col("severity") == "error").select("table", "row").unique().height
        warnings = rowed.filter(pl.col("severity") == "warning").select("table", "row").unique().height
        krav = mine.filter(pl.col("severity") == "error")
        violated = (krav.group_by("rule").agg(pl.struct("table", "row").n_unique().alias("records"))
                    .sort(["records", "rule"], descending=[True, False])["rule"].to_list())
        column_failure = bool(krav.filter(pl.col("row").is_null()).height)
        derived = [(t, f) for t, f in holders if (t, f.name) in DERIVABLE and t in available]
        if not present and not derived:
            status = Status.MISSING
        elif column_failure or (n and errors >= SYSTEMATIC_SHARE * n):
            # A whole column or file of the set is missing or unreadable, or nearly every record fails.
            status = Status.UNSUPPORTED
        elif krav.height:
            status = Status.NONCONFORMANT
        elif mine.filter(pl.col("severity") == "warning").height:
            status = Status.WARNINGS
        else:
            status = Status.CONFORMANT
        results.append(SetResult(s.id, s.name, status, n, errors, warnings, covering, violated, column_failure))
    return results


def attribute_findings(findings: pl.DataFrame, by_code: dict[str, Rule], field_sets: dict) -> pl.DataFrame:
    """One row per (finding, information set) it counts against (rule, table, row, field, severity, set): a
    finding concerns the sets its rule covers, and of those only the ones its own record can hold.

    - A finding on a field of an information set counts against that set where the rule covers it; where the
      rule does not, against the rule's sets that the field's table holds.
    - A finding about a whole file or record (no field) counts against the rule's sets that its table holds.
    - A finding on a field of no set (målgrupp, a key, a column the standard does not know) counts against none.

    So a set's records with findings are always records of the tables that hold it: never more than its records.
    """
    rule_sets = pl.DataFrame(
        [{"rule": c, "set": s, "severity": r.severity.value} for c, r in by_code.items() for s in r.information_sets],
        schema={"rule": pl.String, "set": pl.String, "severity": pl.String},
    )
    field_set = pl.DataFrame(
        [{"table": t, "field": f, "field_set": s} for (t, f), s in field_sets.items() if s],
        schema={"table": pl.String, "field": pl.String, "field_set": pl.String},
    )
    table_sets = field_set.select("table", pl.col("field_set").alias("set")).unique()
    found = (findings.select("rule", "table", "row", "field")
             .join(field_set, on=["table", "field"], how="left")
             .join(rule_sets.select("rule", pl.col("set").alias("field_set"), covered=pl.lit(True)),
                   on=["rule", "field_set"], how="left"))
    own_set = (found.filter(pl.col("covered"))
               .select("rule", "table", "row", "field", pl.col("field_set").alias("set")))
    by_table = (found.filter(pl.col("field").is_null() | (pl.col("field_set").is_not_null() & pl.col("covered").is_null()))
                .select("rule", "table", "row", "field").join(table_sets, on="table"))
    return (pl.concat([own_set, by_table]).join(rule_sets, on=["rule", "set"], how="inner")
            .select("rule", "table", "row", "field", "severity", "set"))
