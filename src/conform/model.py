"""The result model: the one contract between the engine and every renderer.

Findings live in one tidy Polars table (one row per violation); everything a renderer shows is a projection of it
plus the rule catalogue and the per-information-set verdicts computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

import polars as pl


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Category(StrEnum):
    STRUCTURE = "structure"
    CARDINALITY = "cardinality"
    VALUE_SET = "value_set"
    DATE_ORDER = "date_order"
    PERSON_ID = "person_id"
    INTEGRITY = "integrity"
    PLAUSIBILITY = "plausibility"


class Basis(StrEnum):
    """What a rule rests on in the standard, and so how hard it may judge (FHIR's binding strengths, in the
    standard's own words):

    - KRAV: the standard requires it: an information set's cardinality, its value set verbatim, the Person-ID
      format. Only a krav rule can be an error.
    - REKOMMENDATION: the standard says "bör" or "rekommenderas": at most a warning.
    - FORSLAG: the standard suggests it ("förslag", "föreslås"): the per-target-group columns, the scale by
      purpose, the insats lists by area: at most a warning.
    - TOLKNING: the standard is silent and the rule is conform's own reading (date orders, plausibility, age
      limits, the export's keys): a warning or a note.
    """

    KRAV = "krav"
    REKOMMENDATION = "rekommendation"
    FORSLAG = "forslag"
    TOLKNING = "tolkning"

    @property
    def severities(self) -> frozenset[Severity]:
        """The severities a rule of this basis may have."""
        if self is Basis.KRAV:
            return frozenset({Severity.ERROR})
        return frozenset({Severity.WARNING, Severity.INFO})


class Status(StrEnum):
    """Verdict for one information set; the order is the order of badness.

    - CONFORMANT: no finding at all (notes aside).
    - WARNINGS: no krav finding, but warnings.
    - NONCONFORMANT: some records carry krav findings: the system can register the set, but these records
      do not hold it as the standard requires.
    - UNSUPPORTED: a krav finding concerns a whole column or file of the set, or at least SYSTEMATIC_SHARE of its
      records carry krav findings: the export shows no sign that the system can register the set as required.
    - MISSING: the export holds none of the set's fields.
    """

    CONFORMANT = "conformant"
    WARNINGS = "warnings"
    NONCONFORMANT = "nonconformant"
    UNSUPPORTED = "unsupported"
    MISSING = "missing"


STATUS_ORDER = {s.value: i for i, s in enumerate(Status)}  # conformant < … < unsupported < missing

# The share of a set's records with krav findings from which conform reads the defect as the system's, not the
# records' (conform's own reading: the standard says nothing of shares). Nine in ten leaves room for a few
# records registered before a change, or converted from an older system, that happen to be right.
SYSTEMATIC_SHARE = 0.9
SEVERITY_RANK = {s.value: s.rank for s in Severity}


class ExitCode(IntEnum):
    """Process exit codes of `conform check` (and every command that judges an export).

    Priority, highest first: NOT_CHECKED (the export could not be judged at all: bad usage, no such path,
    an invalid profile or rule file) beats PROVISIONAL (checked through a mapping that still holds unreviewed
    guesses: the verdict is preliminär, whatever the findings, so that no pipeline passes it by mistake; see
    docs/mapping.md) beats FINDINGS (at least one finding at or above ``--fail-on``) beats OK.
    Problems *inside* the export (a missing table, an unreadable file) are findings, not NOT_CHECKED.
    """

    OK = 0
    FINDINGS = 1
    NOT_CHECKED = 2
    PROVISIONAL = 3


def open_fields(open_items: dict) -> list[str]:
    """The fields ("table.field", in order, once each) a mapping's open items name: a field marked for review,
    an unsettled question or a mapping question about it (conform.input.mapping.spec.Mapping.open_items)."""
    listed = open_items["fields"] + open_items["unmapped"] + open_items["questions"]
    return list(dict.fromkeys(f"{i['table']}.{i['field']}" for i in listed if i["field"]))


def open_item_count(open_items: dict) -> int:
    """How many items a person has left to review: the unreviewed draft as a whole counts as one."""
    return int(open_items["draft"]) + sum(len(open_items[k]) for k in ("fields", "unmapped", "questions"))


# Columns of the tidy findings table, in order. `row` is the 1-based position among the table's data rows
# (null for findings about a file or a column), `key` the record's primary key, `other` the value a
# comparison was made against (e.g. the earlier date), when there is one.
FINDING_COLUMNS: dict[str, pl.DataType] = {
    "rule": pl.String(),
    "table": pl.String(),
    "row": pl.Int64(),
    "key": pl.String(),
    "field": pl.String(),
    "value": pl.String(),
    "other": pl.String(),
}


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_COLUMNS)


# Every finding, compactly: what the figures count (records with findings per set and target group, findings
# per rule, deviations) without the texts only a listed finding needs. About 20 bytes a finding, so a table of
# short rows that fails many rules is counted in full without holding its values millions of times.
HIT_COLUMNS: dict[str, pl.DataType] = {
    "rule": pl.Categorical(),
    "table": pl.Categorical(),
    "row": pl.Int64(),
    "field": pl.Categorical(),
}

# The findings of one rule a check lists in full (keys and values: the violations list, the examples, the
# fingerprints `conform diff` compares), the first by table, row, field and key. Every finding past them is
# still counted: the figures and the verdict never depend on this bound, only the length of the lists does.
MAX_LISTED = 50_000


def empty_hits() -> pl.DataFrame:
    return pl.DataFrame(schema=HIT_COLUMNS)


def as_hits(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings' compact form (see HIT_COLUMNS)."""
    return findings.select(pl.col(c).cast(t) for c, t in HIT_COLUMNS.items())


def first_listed(findings: pl.DataFrame, listed: int) -> pl.DataFrame:
    """The first `listed` findings of each rule in the findings' order."""
    return findings.filter(pl.int_range(pl.len()).over("rule") < listed)


def counts(findings: pl.DataFrame) -> dict[str, int]:
    """Findings (listed findings or hits) per rule."""
    grouped = findings.group_by("rule").len().with_columns(pl.col("rule").cast(pl.String))
    return dict(zip(grouped["rule"].to_list(), grouped["len"].to_list()))


@dataclass(frozen=True)
class Rule:
    """One declarative rule, as loaded from a rule file."""

    code: str
    name: str
    kind: str
    category: Category
    severity: Severity
    information_sets: tuple[str, ...]
    message: dict[str, str]
    spec: str
    fix: dict[str, str]
    params: Any
    basis: Basis = Basis.TOLKNING
    # The standard's sentence the rule rests on, verbatim, and the top-level section it stands in.
    quote: str = ""
    quote_section: str = ""
    # How conform reads the quote where it could be read in more than one way (sv, en).
    reading: dict[str, str] | None = None
    example: dict[str, Any] | None = None
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass
class InputFile:
    """A file (or workbook sheet) a table was read from, and exactly how it was read."""

    table: str
    path: str
    sha256: str | None
    records: int | None
    encoding: str | None = None
    format: str = "csv"
    delimiter: str | None = ","
    sheet: str | None = None


@dataclass
class SetResult:
    """Verdict for one of the 17 information sets."""

    id: str
    name: str
    status: Status
    records: int
    records_with_errors: int
    records_with_warnings: int
    rules: list[str] = field(default_factory=list)
    # The krav rules with findings against the set, the one on most records first: the first blocks it.
    violated_rules: list[str] = field(default_factory=list)
    # A krav finding concerns a whole column or file of the set (no record of it can hold the value).
    column_failure: bool = False

    @property
    def conforming_share(self) -> float | None:
        if self.records == 0 or self.status is Status.MISSING:
            return None
        return 1 - self.records_with_errors / self.records

    @property
    def error_share(self) -> float | None:
        """The share of the set's records with krav findings (None where it has no records or is missing)."""
        if self.records == 0 or self.status is Status.MISSING:
            return None
        return self.records_with_errors / self.records

    @property
    def score(self) -> float:
        """The set's part of the export's conformance figure: its share of conforming records, and 0 where the
        export cannot hold the set (missing, or a whole column or file failing)."""
        if self.status is Status.MISSING or self.column_failure:
            return 0.0
        return 1.0 if self.conforming_share is None else self.conforming_share

    @property
    def blocking_rule(self) -> str | None:
        return self.violated_rules[0] if self.violated_rules else None


@dataclass
class CheckResult:
    tool_version: str
    profile_name: str
    profile_version: str
    as_of: str
    as_of_source: str
    export_path: str
    inputs: list[InputFile]
    rules: list[Rule]
    findings: pl.DataFrame  # the listed findings: at most MAX_LISTED per rule (see `hits` for all of them)
    sets: list[SetResult]
    notes: list[str] = field(default_factory=list)
    not_evaluated: dict[str, set[str]] = field(default_factory=dict)  # rule code -> tables it could not run on
    # What the export's datapackage.json says of the system (name, version).
    package: dict = field(default_factory=dict)
    # The report's figures (conform.result.figures), where the check was asked for them: plain data, serialised in the
    # JSON result; and (table, row, group) of every record with a finding.
    figures: dict | None = None
    record_groups: pl.DataFrame | None = field(default=None, repr=False, compare=False)
    # With --mapping: the mapping file, the source of each table, crosswalked local values and unmapped
    # columns (see conform.input.mapping.open_mapped_export).
    mapping: dict | None = None
    # The verdict under the requirements (conform.result.evaluation.Evaluation; the default requirements without a
    # file), and the findings its accepted deviations took out of `findings` (same columns).
    evaluation: Any = None
    accepted: pl.DataFrame = field(default_factory=empty_findings)
    # Every finding that counts, compactly (HIT_COLUMNS): what every figure is counted from. `findings` lists
    # the first MAX_LISTED of each rule in full.
    hits: pl.DataFrame = field(default_factory=empty_hits)
    accepted_hits: pl.DataFrame = field(default_factory=empty_hits)

    @property
    def conformance(self) -> float:
        """The export's conformance figure: the mean over the information sets of their share of conforming
        records, a set the export cannot hold counting 0 (see SetResult.score)."""
        return sum(s.score for s in self.sets) / len(self.sets) if self.sets else 0.0

    def counts_by_rule(self) -> dict[str, int]:
        """Every finding per rule, listed or not."""
        return counts(self.hits)

    def listed_by_rule(self) -> dict[str, int]:
        """The findings per rule that `findings` lists in full."""
        return counts(self.findings)

    def unlisted(self) -> dict[str, tuple[int, int]]:
        """The rules with more findings than `findings` lists: code -> (listed, counted)."""
        listed = self.listed_by_rule()
        return {code: (listed.get(code, 0), n) for code, n in self.counts_by_rule().items()
                if n > listed.get(code, 0)}

    @property
    def provisional(self) -> bool:
        """Checked through a mapping that still holds guesses nobody has reviewed (conform.input.mapping.spec
        Mapping.open_items): no verdict through it is final."""
        return bool(self.mapping and self.mapping.get("open_items"))

    def provisional_figures(self) -> dict | None:
        """For a provisional result: how many items are left to review (the draft as a whole counts as one) and
        how many findings concern a field still to review (a field marked for review, or one an unsettled
        question or a mapping question names), the findings that review may change."""
        if not self.provisional:
            return None
        open_items = self.mapping["open_items"]
        where = pl.concat_str([pl.col("table").cast(pl.String), pl.lit("."), pl.col("field").cast(pl.String)])
        return {"open_items": open_item_count(open_items),
                "findings": self.hits.filter(where.is_in(open_fields(open_items))).height}

    def counts_by_severity(self) -> dict[Severity, int]:
        by_rule = self.counts_by_rule()
        totals = {s: 0 for s in Severity}
        for rule in self.rules:
            totals[rule.severity] += by_rule.get(rule.code, 0)
        return totals

    def exit_code(self, fail_on: Severity) -> ExitCode:
        """At error level, the verdict under the requirements decides (krav findings within a tolerance or
        accepted as deviations do not fail); at warning or info level, any finding at or above it. Through a
        mapping with unreviewed guesses, PROVISIONAL at every level."""
        if self.provisional:
            return ExitCode.PROVISIONAL
        if fail_on is Severity.ERROR and self.evaluation is not None:
            failing = self.evaluation.verdict is Status.NONCONFORMANT
        else:
            counts = self.counts_by_severity()
            failing = any(n for sev, n in counts.items() if sev.rank >= fail_on.rank)
        return ExitCode.FINDINGS if failing else ExitCode.OK
