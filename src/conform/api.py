"""The Python API: what `conform check` does, callable from a test or a notebook the same way."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from conform import __version__, clock, model
from conform.check import engine
from conform.check.ruleset import load_rules
from conform.errors import UsageError
from conform.input import partition
from conform.input.readers import temp_base, temp_dir_under
from conform.input.readers.text import is_not_utf8
from conform.input.requirements import Requirements, default_requirements, load_requirements
from conform.input.sources import open_export
from conform.model import CheckResult, Rule, Severity, as_hits, counts, empty_findings, first_listed
from conform.profile import Profile, load_profile
from conform.resources import DEFAULT_PROFILE, rules_dir
from conform.result import figures as report_figures
from conform.result.attribution import attribute_findings, attribution, field_sets, set_results
from conform.result.evaluation import accepted_mask, evaluate, rule_figures

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
          requirements: Path | str | None = None, listed: int | None = None, figures: bool = True,
          temp_dir: Path | None = None) -> CheckResult:
    """Check an export: a folder of the profile's canonical tables, or with `mapping` (a mapping file) any
    export the mapping describes (folder, .zip, .xlsx, single file). An export of more than `bucket_records`
    records is checked in buckets of whole persons, with the same findings (see :mod:`conform.input.partition`).
    `requirements` (a requirements file) decides the verdict; without it every set is skall with tolerance 0.
    Every finding is counted; the first `listed` of each rule (:data:`conform.model.MAX_LISTED`) are kept in
    full (:attr:`CheckResult.findings`). The result carries the report's figures (:mod:`conform.result.figures`:
    target groups, capability, coverage, follow-up), which the JSON result and the HTML report need; an output
    that needs none of them (text, JUnit, Markdown) leaves them out with `figures=False`. Intermediate files
    (a large export's buckets, a mapped export's tables, transcoded copies, a zip's members) go to private
    folders in `temp_dir`, by default the system's temporary directory."""
    with temp_dir_under(temp_dir):
        return _check(export_path, profile_name, as_of, rules_path, progress, mapping, bucket_records, requirements,
                      listed, figures)


def _check(export_path: Path | str, profile_name: str, as_of: date | None, rules_path: Path | None,
           progress: engine.Progress | None, mapping: Path | str | None, bucket_records: int,
           requirements: Path | str | None, listed: int | None, figures: bool) -> CheckResult:
    listed = model.MAX_LISTED if listed is None else listed
    profile, rules = load(profile_name, rules_path)
    wanted = (load_requirements(Path(requirements), profile, list(rules)) if requirements is not None
              else default_requirements(profile))
    if progress:
        progress("read", 0, 0)
    if mapping is not None:
        from conform.input.mapping import open_mapped_export

        export = open_mapped_export(Path(export_path), Path(mapping), profile, DERIVABLE)
    else:
        export = open_export(Path(export_path), profile, DERIVABLE)
    as_of, as_of_source = _reference_date(as_of, export.package)
    structure_codes = {r.params.check: r.code for r in rules if r.kind == "structure"}

    def evaluated(export):
        records = _record_counts(export)
        compiled = engine.compile_rules(profile, list(rules), export.available(), as_of, wanted.practice)
        # The figures are counted from the views the checks run on, as the engine holds each of them.
        tally = report_figures.Tally(profile) if figures else None
        if tally:
            tally.ask(compiled.contexts)
        step = _in_records(progress, records, compiled.tables) if progress else None
        return records, compiled, tally, _findings(profile, compiled, export,
                                                   partition.bucket_count(sum(records.values()), bucket_records),
                                                   step, listed, tally.observe if tally else None)

    try:
        records, compiled, tally, (found, hits) = evaluated(export)
    except pl.exceptions.PolarsError as exc:
        if mapping is not None or not isinstance(exc, pl.exceptions.ComputeError) or is_not_utf8(exc):
            raise _unreadable(export_path, exc) from exc
        # The CSV reader refused a line the quick scan let through (a quote inside a field, as 1,"xy"z): the
        # careful scan finds every such line, and the tables are read without them.
        export = open_export(Path(export_path), profile, DERIVABLE, careful=True)
        try:
            records, compiled, tally, (found, hits) = evaluated(export)
        except pl.exceptions.PolarsError as again:
            raise _unreadable(export_path, again) from again
    if progress:
        progress("figures", sum(records.values()), sum(records.values()))
    outside_sets = {field for field, set_id in field_sets(profile).items() if not set_id}
    structure = export.structure_findings(structure_codes, outside_sets)
    structure = structure.with_columns(_shortened("field"))
    hits = pl.concat([as_hits(structure), hits], how="vertical")
    findings = pl.concat([structure, found], how="vertical").sort(["rule", "table", "row", "field", "key"],
                                                                  nulls_last=True)
    # Cut before deviations are taken out: where a deviation accepts some of a rule's first findings, the rule
    # lists fewer than `listed` (and says so: CheckResult.unlisted).
    findings = first_listed(findings, listed).with_columns(_shortened(c) for c in ("key", "field", "value", "other"))
    hits, accepted_hits, findings, accepted, deviations = _accept_deviations(profile, rules, hits, findings,
                                                                             wanted, as_of)
    attributed = attribution(hits, {r.code: r for r in rules}, field_sets(profile))
    if figures:  # the set verdicts and the figures count from the same attribution: made once
        attributed = attributed.collect().lazy()
    sets = set_results(profile, rules, attributed, records, export.available(), DERIVABLE)
    severities = {r.code: r.severity for r in rules}
    warnings = any(severities[c] is Severity.WARNING for c in hits["rule"].unique().cast(pl.String))
    evaluation = evaluate(wanted, sets, warnings, deviations,
                          rule_figures(list(rules), hits, records, compiled.checks, compiled.not_evaluated))
    notes = sorted({c for frame in export.problems for c in frame["check"].unique() if c.startswith("derived_")}
                   | set(export.notes))
    counted = tally.figures(list(rules), hits, attributed, sets) if tally else None
    if progress:
        progress("done", sum(records.values()), sum(records.values()))
    return CheckResult(
        tool_version=__version__, profile_name=profile.name, profile_version=profile.version,
        as_of=as_of.isoformat(), as_of_source=as_of_source, export_path=str(export_path),
        inputs=export.inputs(records), rules=rules, findings=findings, sets=sets, notes=notes,
        not_evaluated=compiled.not_evaluated, mapping=export.mapping, package=_package_facts(export.package),
        figures=counted.document if counted else None,
        record_groups=counted.record_groups if counted else None,
        evaluation=evaluation, accepted=accepted, hits=hits, accepted_hits=accepted_hits,
    )


def _package_facts(package: dict) -> dict:
    """What the export's datapackage.json says of the system: its name or title and version, as text."""
    def text(value) -> str | None:
        return None if value is None or value == "" else str(value)

    return {"name": text(package.get("title")) or text(package.get("name")), "version": text(package.get("version"))}


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


def _accept_deviations(profile: Profile, rules, hits: pl.DataFrame, findings: pl.DataFrame, wanted: Requirements,
                       as_of: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, list[dict]]:
    """(hits that count, hits an active accepted deviation takes out, the same two of the listed findings, each
    deviation as reported)."""
    active = [d for d in wanted.deviations if d.active(as_of)]
    accepted_hits, accepted = hits.clear(), findings.clear()
    if active:
        attributed = attribute_findings(hits, {r.code: r for r in rules}, field_sets(profile))
        mask = accepted_mask(hits, attributed, active)
        hits, accepted_hits = hits.filter(~mask), hits.filter(mask)
        listed_mask = accepted_mask(findings, attribute_findings(findings, {r.code: r for r in rules},
                                                                 field_sets(profile)), active)
        findings, accepted = findings.filter(~listed_mask), findings.filter(listed_mask)
    counted, taken = counts(hits), counts(accepted_hits)
    reported = [{
        "rule": d.rule, "information_sets": list(d.information_sets), "justification": d.justification,
        "accepted_by": d.accepted_by, "expires": d.expires.isoformat() if d.expires else None,
        "active": d.active(as_of),
        # Active: the findings it accepts; expired: the rule's findings, which count again.
        "findings": taken.get(d.rule, 0) if d.active(as_of) else counted.get(d.rule, 0),
    } for d in wanted.deviations]
    return hits, accepted_hits, findings, accepted, reported


def _findings(profile: Profile, compiled: engine.Compiled, export, buckets: int, progress: engine.Progress | None,
              listed: int, observe: engine.Observer | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(listed findings, every finding as a hit). In buckets, the listed findings so far and a bucket's are cut
    to the first `listed` of each rule after every bucket, so no more than two buckets' worth are held."""
    if buckets == 1:
        return engine.evaluate(profile, compiled, export, progress=progress, listed=listed, observe=observe)
    with tempfile.TemporaryDirectory(prefix="conform-buckets-", dir=temp_base()) as folder:
        whole, parts = partition.split(profile, export, buckets, Path(folder))
        shared = engine.shared_lookups(profile, compiled, whole)
        found, hits = empty_findings(), []
        for i, part in enumerate(parts):
            step = (lambda table, done, total, i=i: progress(table, i * total + done, buckets * total)) \
                if progress else None
            listed_here, hits_here = engine.evaluate(profile, compiled, part, shared, step, listed, observe)
            found = first_listed(pl.concat([found, listed_here], how="vertical")
                                 .sort(["rule", "table", "row", "field"]), listed)
            hits.append(hits_here)
        return found, pl.concat(hits, how="vertical")


def _reference_date(as_of: date | None, package: dict) -> tuple[date, str]:
    if as_of is not None:
        return as_of, "option"
    created = package.get("created")
    if created:
        try:
            return datetime.fromisoformat(str(created).replace("Z", "+00:00")).date(), "package"
        except ValueError as exc:
            raise UsageError("created_not_date", value=created) from exc
    return clock.today(), "today"


def _in_records(progress: engine.Progress, records: dict[str, int], tables: list[str]) -> engine.Progress:
    """The engine's progress, by tables done (of all buckets' tables: a bucket's are counted after the ones
    before it), as records checked of the export's: each table counts its records, a bucket its share."""
    total = sum(records.get(t, 0) for t in tables)
    before = [sum(records.get(t, 0) for t in tables[:k]) for k in range(len(tables))]

    def step(table: str, done: int, steps: int) -> None:
        buckets = max(steps // len(tables), 1)
        bucket, k = divmod(done, len(tables))
        progress(table, (bucket * total + before[k]) // buckets, total)

    return step


def _record_counts(export) -> dict[str, int]:
    frames = {name: t.frame for name, t in export.tables.items() if t.frame is not None}
    if not frames:
        return {}
    lengths = pl.collect_all([f.select(pl.len()) for f in frames.values()])
    return {name: int(c.item()) + export.tables[name].left_out for name, c in zip(frames, lengths)}
