"""Projections of the findings table shared by every renderer: messages, masking, severities."""

from __future__ import annotations

import re

import polars as pl

from conform import personnummer
from conform.model import CheckResult, Rule, Severity, Status

PLACEHOLDER = re.compile(r"{(\w+)}")
PERSON_ID_FIELD = "person_id"


def message_expr(template: str) -> pl.Expr:
    """A message template as a vectorised string expression over the finding columns."""
    parts: list[pl.Expr] = []
    position = 0
    for match in PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append(pl.lit(template[position:match.start()]))
        parts.append(pl.col(match.group(1)).cast(pl.String).fill_null(""))
        position = match.end()
    if position < len(template):
        parts.append(pl.lit(template[position:]))
    return pl.concat_str(parts) if parts else pl.lit("")


def masked(findings: pl.DataFrame) -> pl.DataFrame:
    """Person-IDs shown only up to the birth date ('19121212-****'): the values of person-ID fields and the
    keys of the person table (whose key is the person-ID). No rule puts a person-ID in `other`."""
    return findings.with_columns(
        key=pl.when(pl.col("table") == "person").then(personnummer.mask(pl.col("key"))).otherwise(pl.col("key")),
        value=pl.when(pl.col("field") == PERSON_ID_FIELD).then(personnummer.mask(pl.col("value")))
        .otherwise(pl.col("value")),
    )


def with_messages(findings: pl.DataFrame, rules: list[Rule], lang: str) -> pl.DataFrame:
    """Adds severity, category and the message in `lang`, one vectorised expression per rule."""
    by_code = {r.code: r for r in rules}
    message = pl.lit(None, pl.String)
    for code in findings["rule"].unique().sort().to_list():
        message = pl.when(pl.col("rule") == code).then(message_expr(by_code[code].message[lang])).otherwise(message)
    return findings.with_columns(
        severity=pl.col("rule").replace_strict({c: r.severity.value for c, r in by_code.items()}, default=None),
        category=pl.col("rule").replace_strict({c: r.category.value for c, r in by_code.items()}, default=None),
        message=message,
    )


def overall_verdict(result: CheckResult) -> Status:
    """The export's verdict: as the requirements decide (see conform.requirements.evaluate); for a result
    without an evaluation, nonconformant on any error, warnings on any warning, else conformant."""
    if result.evaluation is not None:
        return result.evaluation.verdict
    counts = result.counts_by_severity()
    if counts[Severity.ERROR]:
        return Status.NONCONFORMANT
    if counts[Severity.WARNING]:
        return Status.WARNINGS
    return Status.CONFORMANT
