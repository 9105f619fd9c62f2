"""The second pass of a draft, over the values of the fields found: each field's common values (for the review
page), its date format, its list delimiter and the crosswalks of its local values. The distinct values of every
field are counted in one batch of queries over the files.
"""

from __future__ import annotations

import polars as pl

from conform.input.mapping.columns import DISTINCT_LIMIT, Drafter, best_format, serial_share, split_best
from conform.input.mapping.crosswalks import crosswalk
from conform.input.mapping.proposals import Drafted, Note, masked
from conform.input.mapping.spec import EXCEL_SERIAL
from conform.profile import Profile

SAMPLES = 5             # the values a review page shows of a column


def refine(drafter: Drafter, profile: Profile, plan: dict[str, tuple[str, dict[str, Drafted]]],
           frames: dict[str, pl.LazyFrame], unmapped: list[Note]) -> None:
    """Date formats, list delimiters and crosswalks for the fields found, from the columns' values."""
    distinct_queries, wanted = [], []
    for table, (sid, fields) in plan.items():
        for name, d in fields.items():
            if not d.columns:
                continue
            sample = drafter.samples[sid]
            values = pl.concat([sample[c] for c in d.columns])
            common = values.drop_nulls().value_counts(sort=True).head(SAMPLES)
            d.samples = [(masked(str(v)), n) for v, n in common.iter_rows()]
            if d.spec.type == "date":
                fmt, share = best_format(values)
                if serial_share(values) > share:
                    d.date_format = EXCEL_SERIAL
                elif fmt and fmt != "%Y-%m-%d" and share > 0:
                    d.date_format = fmt
            allowed = drafter.allowed(d.spec)
            table_codes = drafter.code_table(d.columns)
            if d.spec.is_list and len(d.columns) == 1 and allowed:
                d.delimiter, _ = split_best(values, allowed | set(table_codes))
            if allowed and name not in drafter.hints.codes:  # a code is compared as written
                column = pl.concat_list([pl.col(c) for c in d.columns]).alias("v")
                code_field = drafter.hints.code_named_in(name)
                code = fields.get(code_field.name) if code_field is not None else None
                if code is not None and len(code.columns) == 1 and len(d.columns) == 1:
                    # A name is read with the code on its row: the code decides what the name stands for.
                    query = frames[sid].select(v=pl.col(d.columns[0]), code=pl.col(code.columns[0]).str.strip_chars())
                    by = ["v", "code"]
                elif d.delimiter:  # item by item: a rare item would hide in the long tail of combinations
                    query = frames[sid].select(v=pl.col(d.columns[0]).str.split(d.delimiter)).explode("v") \
                        .with_columns(pl.col("v").str.strip_chars())
                    by = ["v"]
                else:
                    query, by = frames[sid].select(column).explode("v"), ["v"]
                distinct_queries.append(query.drop_nulls("v").group_by(by).len()
                                        .sort("len", *by, descending=[True] + [False] * len(by))
                                        .head(DISTINCT_LIMIT))
                wanted.append((table, d, allowed, table_codes))
    for (table, d, allowed, table_codes), distinct in zip(wanted, pl.collect_all(distinct_queries)):
        counts: dict[str, int] = {}
        codes: dict[str, dict[str, int]] = {}
        for row in distinct.iter_rows(named=True):
            value, n = row["v"], row["len"]
            parts = value.split(d.delimiter or profile.list_delimiter) if d.spec.is_list else [value]
            for part in (p.strip() for p in parts):
                if part:
                    counts[part] = counts.get(part, 0) + n
                    if "code" in row:
                        by_code = codes.setdefault(part, {})
                        by_code[row["code"]] = by_code.get(row["code"], 0) + n
        crosswalk(profile, table, d, counts, allowed, unmapped, drafter.lexicon.of(d.spec.value_set or ""),
                  codes if "code" in distinct.columns else None, drafter.aliases(d.spec),
                  (drafter.code_source(d.columns), table_codes))
        for c in d.values.values():  # a crosswalk is no surer than the column it reads
            c.confidence = min(c.confidence, d.confidence)
