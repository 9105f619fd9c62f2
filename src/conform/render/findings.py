"""Projections of the findings table shared by every renderer: messages, masking, severities."""

from __future__ import annotations

import re

import polars as pl

from conform import personnummer
from conform.check.kinds import KINDS
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


def filled(template: str, example: dict | None) -> str:
    """A fix or message as a rule states it, its {placeholders} filled from one finding (the first example), or
    shown as an ellipsis where there is none: never as internal names."""
    def value(match: re.Match) -> str:
        if example is None or example.get(match.group(1)) is None:
            return "…"
        return str(example[match.group(1)])
    return PLACEHOLDER.sub(value, template)


def shown_message(template: str, examples: list[dict]) -> tuple[str, bool]:
    """What a rule found, for a reader: its message where it names no particular value, else its first example's
    (concrete) message; and whether it is an example."""
    if PLACEHOLDER.search(template) and examples:
        return examples[0]["message"], True
    return template, False


def masked(findings: pl.DataFrame) -> pl.DataFrame:
    """Person-IDs shown only up to the birth date ('19121212-****'): the values of person-ID fields and the
    keys of the person table (whose key is the person-ID), and, by its shape, anything that looks like a person-ID
    in any key, value or compared value (a broken line can shift an ID into another field)."""
    # One cheap pass finds the columns that hold anything ID-shaped at all; only those are rewritten.
    shaped = findings.select(pl.col("key", "value", "other").cast(pl.String).str.contains(personnummer.ID_SHAPE).any())
    def by_shape(column: str) -> pl.Expr:
        return personnummer.mask_in_text(pl.col(column)) if shaped[column].item() else pl.col(column)
    return findings.with_columns(
        key=pl.when(pl.col("table") == "person").then(personnummer.mask(pl.col("key"))).otherwise(by_shape("key")),
        value=pl.when(pl.col("field") == PERSON_ID_FIELD).then(personnummer.mask(pl.col("value")))
        .otherwise(by_shape("value")),
        other=by_shape("other"),
    )


def with_messages(findings: pl.DataFrame, rules: list[Rule], lang: str,
                  titles: dict[str, str] | None = None) -> pl.DataFrame:
    """Adds severity, category and the message in `lang`, one vectorised expression per rule. A coded detail in
    `other` (conform.details) is worded in `lang`; a message's {field_name} is the standard's name of the field
    (`titles`: "table.field" → name; the field's id where there is none)."""
    by_code = {r.code: r for r in rules}
    present = findings["rule"].unique().sort().to_list()
    coded = coded_rules([by_code[c] for c in present])
    message = pl.lit(None, pl.String)
    for code in present:
        message = pl.when(pl.col("rule") == code).then(message_expr(by_code[code].message[lang])).otherwise(message)
    field_name = pl.col("field")
    if titles:
        field_name = pl.concat_str("table", pl.lit("."), "field").replace_strict(
            titles, default=pl.col("field"), return_dtype=pl.String)
    return (findings
            .with_columns(other=pl.when(pl.col("rule").is_in(coded)).then(worded(pl.col("other"), lang))
                          .otherwise(pl.col("other")) if coded else pl.col("other"),
                          field_name=field_name)
            .with_columns(
                severity=pl.col("rule").replace_strict({c: r.severity.value for c, r in by_code.items()},
                                                       default=None),
                category=pl.col("rule").replace_strict({c: r.category.value for c, r in by_code.items()},
                                                       default=None),
                message=message)
            .drop("field_name"))


def coded_rules(rules: list[Rule]) -> list[str]:
    """The rules whose findings hold a coded detail (conform.details) in `other`."""
    return [r.code for r in rules if getattr(KINDS.get(r.kind), "coded_other", False)]


_ARGUMENT = re.compile(r"{(\d+)([!@]?)}")


def worded(detail: pl.Expr, lang: str) -> pl.Expr:
    """A coded detail (conform.details) in words, from the catalogue's `details` templates ({1} an argument,
    {1!} an argument worded by `detail_values`, {1@} an argument already worded in every language); anything
    that is not a known code stays as it is."""
    from conform.details import LANGUAGE_SEP, LANGUAGES, SEP
    from conform.catalogue import labels

    catalogue = labels(lang)
    values = catalogue["detail_values"]
    parts = detail.str.split(SEP)
    code = parts.list.first()
    out = detail
    for name, template in catalogue["details"].items():
        pieces: list[pl.Expr] = []
        position = 0
        for match in _ARGUMENT.finditer(template):
            if match.start() > position:
                pieces.append(pl.lit(template[position:match.start()]))
            argument = parts.list.get(int(match.group(1)), null_on_oob=True).fill_null("")
            if match.group(2) == "!":
                argument = argument.replace_strict(values, default=argument, return_dtype=pl.String)
            elif match.group(2) == "@":  # worded already, in every language (conform.details.in_languages)
                argument = argument.str.split(LANGUAGE_SEP).list.get(LANGUAGES.index(lang), null_on_oob=True) \
                    .fill_null(argument)
            pieces.append(argument)
            position = match.end()
        if position < len(template):
            pieces.append(pl.lit(template[position:]))
        out = pl.when(code == name).then(pl.concat_str(pieces)).otherwise(out)
    return out


def overall_verdict(result: CheckResult) -> Status:
    """The export's verdict: as the requirements decide (see conform.result.evaluation.evaluate); for a result
    without an evaluation, nonconformant on any error, warnings on any warning, else conformant."""
    if result.evaluation is not None:
        return result.evaluation.verdict
    counts = result.counts_by_severity()
    if counts[Severity.ERROR]:
        return Status.NONCONFORMANT
    if counts[Severity.WARNING]:
        return Status.WARNINGS
    return Status.CONFORMANT
