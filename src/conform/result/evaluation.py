"""The verdict under a buyer's requirements (conform.input.requirements): which sets meet their requirement, the
skall-krav met, the bör score, and which findings an accepted deviation takes out."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from conform.input.requirements import BOR, SKALL, Deviation, Requirements
from conform.model import SetResult, Status, as_hits


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


@dataclass
class Evaluation:
    """The verdict under a requirements file."""

    requirements: Requirements
    sets: list[SetEvaluation]
    verdict: Status
    deviations: list[dict] = field(default_factory=list)  # each deviation, whether active, findings accepted

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
        """Weight of the bör-krav met over the weight of all bör-krav (None where there are none)."""
        bor = [s for s in self.sets if s.level == BOR]
        total = sum(s.weight for s in bor)
        return sum(s.weight for s in bor if s.met) / total if total else None


def evaluate(requirements: Requirements, sets: list[SetResult], warnings: bool,
             deviations: list[dict] | None = None) -> Evaluation:
    """A set meets its requirement when the export holds it, no krav finding concerns a whole column or file of
    it, and its share of records with krav findings is within the tolerance. The verdict: ej godkänd when a
    skall-krav is not met; godkänd med anmärkningar when there are warnings, a bör-krav is not met or krav
    findings lie within a tolerance; else godkänd."""
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
    return Evaluation(requirements, evaluated, verdict, deviations or [])
