"""The violations list: one row per violation, the data owner's working list (keys and values in full): every
finding a check lists, which is all of them up to the first conform.model.MAX_LISTED of each rule.

As CSV (UTF-8 with a byte-order mark, in the `standard` or the `excel-sv` dialect, formula-like cells
neutralised: see :mod:`conform.render.spreadsheet`), or, for a file named ``*.xlsx``, as an Excel workbook in
which every cell is text: a person-ID keeps its twelve digits and its zeros, and no value ever runs as a formula.
The workbook's headers, severities, categories and field names are in the report's language; a second sheet
holds the rules with their messages, fixes and the standard's words.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from conform.model import CheckResult
from conform.profile import Profile
from conform.render.findings import filled, with_messages
from conform.render.spreadsheet import write_csv
from conform.catalogue import labels
from conform.profile import field_titles

COLUMNS = ["table", "row", "key", "rule", "severity", "category", "field", "value", "other", "message", "as_of"]
EXCEL_ROWS = 1_048_576   # rows in one worksheet, the header included


def write_violations(result: CheckResult, path: Path, lang: str = "sv", dialect: str = "standard",
                     profile: Profile | None = None) -> int:
    frame = (with_messages(result.findings, result.rules, lang, field_titles(result.profile_name))
             .with_columns(as_of=pl.lit(result.as_of)).select(COLUMNS))
    if path.suffix.lower() == ".xlsx":
        _write_workbook(frame, result, path, lang, profile)
    else:
        write_csv(frame, path, dialect)
    return frame.height


def _write_workbook(frame: pl.DataFrame, result: CheckResult, path: Path, lang: str, profile: Profile | None) -> None:
    import xlsxwriter

    L = labels(lang)
    V = L["violations"]
    shown = frame.with_columns(
        severity=pl.col("severity").replace_strict(L["severity_names"], default=pl.col("severity")),
        category=pl.col("category").replace_strict(V["category_names"], default=pl.col("category")),
        field=pl.concat_str("table", pl.lit("."), "field").replace_strict(
            field_titles(result.profile_name), default=pl.col("field"), return_dtype=pl.String),
    ).with_columns(pl.all().cast(pl.String))
    # Strings stay strings: no cell is read as a number, a formula or a link, whatever the export wrote.
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    text = book.add_format({"num_format": "@"})
    header = book.add_format({"num_format": "@", "bold": True, "bg_color": "#DDDDDD", "text_wrap": True})
    headers = [V["columns"][c] for c in COLUMNS]
    widths = [14, 8, 18, 10, 10, 14, 28, 24, 18, 70, 12]
    per_sheet = EXCEL_ROWS - 1
    chunks = [shown.slice(start, per_sheet) for start in range(0, max(shown.height, 1), per_sheet)]
    for number, chunk in enumerate(chunks, start=1):
        name = V["sheet"] if number == 1 else f"{V['sheet']} {number}"
        sheet = book.add_worksheet(name)
        for col, (title, width) in enumerate(zip(headers, widths)):
            sheet.set_column(col, col, width, text)
            sheet.write_string(0, col, title, header)
        write = sheet.write_string
        for r, row in enumerate(chunk.iter_rows(), start=1):
            for col, value in enumerate(row):
                if value is not None:
                    write(r, col, value, text)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(chunk.height, 1), len(COLUMNS) - 1)
    _rules_sheet(book, result, lang, profile, text, header)
    book.close()


def _rules_sheet(book, result: CheckResult, lang: str, profile: Profile | None, text, header) -> None:
    L = labels(lang)
    V = L["violations"]
    names = {s.id: s.name for s in profile.information_sets} if profile else {}
    counts = result.counts_by_rule()
    sheet = book.add_worksheet(V["rules_sheet"])
    listed = result.listed_by_rule()
    columns = ["code", "severity", "basis", "category", "sets", "count", "listed", "message", "fix", "spec", "quote"]
    widths = [10, 10, 14, 14, 30, 8, 8, 60, 60, 30, 60]
    for col, (key, width) in enumerate(zip(columns, widths)):
        sheet.set_column(col, col, width, text)
        sheet.write_string(0, col, V["rule_columns"][key], header)
    for r, rule in enumerate(result.rules, start=1):
        cells = [rule.code, L["severity_names"][rule.severity.value], L["basis_names"][rule.basis.value],
                 V["category_names"][rule.category.value],
                 ", ".join(names.get(s, s) for s in rule.information_sets), str(counts.get(rule.code, 0)),
                 str(listed.get(rule.code, 0)), filled(rule.message[lang], None), filled(rule.fix[lang], None),
                 rule.spec, rule.quote]
        for col, value in enumerate(cells):
            sheet.write_string(r, col, value, text)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(result.rules), len(columns) - 1)

