"""The verdict under a buyer's requirements (conform.input.requirements): which sets meet their requirement, the
skall-krav met, the bör score, and which findings an accepted deviation takes out; and apart from the verdict, the
buyer's own requirements on rules the standard does not require, which decide whether a vendor qualifies."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from conform.input.requirements import BOR, SKALL, Deviation, OwnRequirement, Requirements
from conform.model import Rule, SetResult, Status, as_hits


def accepted_mask(findings: pl.DataFrame, attributed: pl.DataFrame, deviations: list[Deviation]) -> pl.Series:
    """True on the findings (listed findings or hits) an active deviation accepts: its rule, counted against one
    of its sets (any set where it names none). `attributed` is
    :func:`conform.result.attribution.attribute_findings` of the same findings."""
    if not deviations or findings.is_empty():
        return pl.Series("accepted", [False] * findings.height, dtype=pl.Boolean)
    scoped = pl.DataFrame(
        [{"rule": d.rule, "set": s} for d in deviations if d.information_sets for s in d.information_sets],
        schema={"rule": pl.Categorical, "set": pl.Categorical})
    everywhere = [d.rule for d in deviations if not d.information_sets]
    keys = ["rule", "table", "row", "field"]
    within = attributed.join(scoped, on=["rule", "set"], how="semi").select(keys).unique()
    numbered = as_hits(findings).with_row_index("__i")
    hit = numbered.join(within, on=keys, how="semi", nulls_equal=True)["__i"]
    mask = numbered["__i"].is_in(hit.implode()) | findings["rule"].is_in(everywhere)
    return mask.alias("accepted")


@dataclass
class SetEvaluation:
    id: str
    level: str
    weight: float
    tolerance: float
    error_share: float | None
    met: bool

    def fields(self) -> dict:
        """What a result document says of the set's requirement (conform.render.document)."""
        return {"level": self.level, "weight": self.weight, "tolerance": self.tolerance, "met": self.met}


@dataclass(frozen=True)
class RuleFigures:
    """What a check found of one rule, as a buyer's own requirement on it is judged: the records of the tables the
    rule checks (every record of each: a rule runs on every record of its tables), how many of them carry its
    findings, whether a finding concerns a whole file or column (no record holds it), and whether the rule ran
    on every table it checks."""

    records: int = 0
    records_with_findings: int = 0
    column_failure: bool = False
    evaluated: bool = True

    def fields(self) -> dict:
        """What a result document says of the rule (conform.render.document), to judge it again later."""
        return {"records_checked": self.records, "records_with_findings": self.records_with_findings,
                "column_failure": self.column_failure}


def rule_figures(rules: list[Rule], hits: pl.DataFrame, records: dict[str, int], checks: dict[str, list],
                 not_evaluated: dict[str, set[str]]) -> dict[str, RuleFigures]:
    """Every rule's figures (RuleFigures) from the findings that count (`hits`, after accepted deviations), the
    records per table, the row checks the engine compiled per table (conform.check.engine.Compiled.checks:
    table -> [(rule, check)]) and the tables each rule could not run on. A rule checks the tables it has row
    checks on and any table it has a finding in; a structure rule, whose findings come from reading the files,
    checks every table of the export."""
    tables = {r.code: set(records) if r.kind == "structure" else set() for r in rules}
    for table, compiled in checks.items():
        for rule, _ in compiled:
            tables.setdefault(rule.code, set()).add(table)
    counted = (hits.group_by("rule", "table")
               .agg(records=pl.col("row").drop_nulls().n_unique(), rowless=pl.col("row").is_null().any())
               .with_columns(pl.col("rule", "table").cast(pl.String)))
    found: dict[str, tuple[int, bool]] = {}
    for code, table, n, rowless in counted.select("rule", "table", "records", "rowless").rows():
        tables.setdefault(code, set()).add(table)
        before = found.get(code, (0, False))
        found[code] = (before[0] + n, before[1] or rowless)
    return {code: RuleFigures(sum(records.get(t, 0) or 0 for t in checked), *found.get(code, (0, False)),
                              evaluated=not not_evaluated.get(code))
            for code, checked in tables.items()}


@dataclass
class OwnEvaluation:
    """The buyer's own requirement on a rule, judged: met when the rule ran on every table it checks, no finding
    of it concerns a whole file or column, and the share of the records it checks that carry its findings is
    within the tolerance (a rule that checked no record has none)."""

    requirement: OwnRequirement
    figures: RuleFigures
    met: bool

    @property
    def error_share(self) -> float | None:
        if not self.figures.evaluated or not self.figures.records:
            return None
        return self.figures.records_with_findings / self.figures.records

    def fields(self) -> dict:
        """What a result document says of the requirement (conform.render.document)."""
        req, share = self.requirement, self.error_share
        return {"rule": req.rule, "level": req.level, "weight": req.weight, "tolerance": req.tolerance,
                "note": req.note, "records": self.figures.records,
                "records_with_findings": self.figures.records_with_findings,
                "share": None if share is None else round(share, 6),
                "column_failure": self.figures.column_failure, "evaluated": self.figures.evaluated, "met": self.met}


def judge_own(requirement: OwnRequirement, figures: RuleFigures | None) -> OwnEvaluation:
    """A rule without figures (not in the check) did not run: nothing shows the export keeps it."""
    figures = figures or RuleFigures(evaluated=False)
    share = figures.records_with_findings / figures.records if figures.records else 0.0
    met = figures.evaluated and not figures.column_failure and share <= requirement.tolerance
    return OwnEvaluation(requirement, figures, met)


@dataclass
class Evaluation:
    """The verdict under a requirements file, and apart from it the buyer's own requirements on rules."""

    requirements: Requirements
    sets: list[SetEvaluation]
    verdict: Status
    deviations: list[dict] = field(default_factory=list)  # each deviation, whether active, findings accepted
    own: list[OwnEvaluation] = field(default_factory=list)
    # Every rule's figures (not only those the buyer requires), so that a stored result can be judged again
    # under another requirements file.
    rule_figures: dict[str, RuleFigures] = field(default_factory=dict)

    @property
    def qualified(self) -> bool:
        """Every skall requirement met: the standard's (the verdict is not ej godkänd) and the buyer's own. LOU: a
        skall-krav not met rejects the tender."""
        return self.verdict is not Status.NONCONFORMANT and all(o.met for o in self.own if o.requirement.level == SKALL)

    def own_fields(self) -> list[dict]:
        return [o.fields() for o in self.own]

    @property
    def skall(self) -> list[SetEvaluation]:
        return [s for s in self.sets if s.level == SKALL]

    @property
    def skall_met(self) -> int:
        return sum(s.met for s in self.skall)

    def blocking_rules(self, sets: list[SetResult]) -> list[str]:
        """The krav rules that keep the verdict from godkänt: those violated in a skall set that is not met."""
        judged = {e.id: e for e in self.sets}
        return sorted({code for s in sets if judged[s.id].level == SKALL and not judged[s.id].met
                       for code in s.violated_rules})

    @property
    def bor_score(self) -> float | None:
        """Weight of the bör-krav met over the weight of all bör-krav, the sets' and the buyer's own on rules
        alike (None where there are none)."""
        bor = [(s.weight, s.met) for s in self.sets if s.level == BOR] + [
            (o.requirement.weight, o.met) for o in self.own if o.requirement.level == BOR]
        total = sum(weight for weight, _ in bor)
        return sum(weight for weight, met in bor if met) / total if total else None


def evaluate(requirements: Requirements, sets: list[SetResult], warnings: bool,
             deviations: list[dict] | None = None, rules: dict[str, RuleFigures] | None = None) -> Evaluation:
    """A set meets its requirement when the export holds it, no krav finding concerns a whole column or file of
    it, and its share of records with krav findings is within the tolerance. The verdict: ej godkänd when a
    skall-krav is not met; godkänd med anmärkningar when there are warnings, a bör-krav is not met or krav
    findings lie within a tolerance; else godkänd.

    The buyer's own requirements on rules are judged from `rules` (:func:`rule_figures`) and never change the
    verdict, which is the standard's: they decide only whether the vendor qualifies and its bör score."""
    evaluated = []
    for s in sets:
        req = requirements.of(s.id)
        met = s.status is not Status.MISSING and not s.column_failure and (s.error_share or 0.0) <= req.tolerance
        evaluated.append(SetEvaluation(s.id, req.level, req.weight, req.tolerance, s.error_share, met))
    if any(not e.met for e in evaluated if e.level == SKALL):
        verdict = Status.NONCONFORMANT
    elif warnings or any(not e.met for e in evaluated) or any(s.violated_rules for s in sets):
        verdict = Status.WARNINGS
    else:
        verdict = Status.CONFORMANT
    rules = rules or {}
    own = [judge_own(o, rules.get(o.rule)) for o in requirements.own]
    return Evaluation(requirements, evaluated, verdict, deviations or [], own, rules)
