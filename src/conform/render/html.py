"""The HTML report: one self-contained page a procurement group can read, print to A4 and attach to a decision.

It renders the result document (render.document.build) extended with what a buyer needs beyond the text report:
the information sets per target group, value-set coverage, capability findings, and the follow-up figures the
standard exists for, drawn as inline SVG. Everything is computed here as plain data (numbers already formatted,
chart geometry already laid out); the templates under reports_templates/ only loop and print. The page holds no
script and loads nothing: its CSS is inline and a Content-Security-Policy forbids everything else. Jinja2
autoescaping is on, so every value taken from the export is shown as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from conform.api import DERIVABLE, attribute_findings, field_sets, load
from conform.context import ROW
from conform.model import CheckResult, Severity, Status
from conform.profile import Profile
from conform.render.charts import GROUP_FIELD, OTHER_GROUP, follow_up_charts
from conform.render.coverage import value_set_coverage
from conform.render.document import build
from conform.render.formatting import Formatter
from conform.render.findings import filled, shown_message
from conform.render.tables import Tables
from conform.render.summary import build_summary
from conform.render.templates import CSP, environment
from conform.catalogue import labels
from conform.profile import field_titles
from conform.resources import DEFAULT_PROFILE
from conform.sources import open_export

GROUP_VALUE_SET = "malgrupp"
MIN_RECORDS_FOR_CAPABILITY = 50
EXAMPLES_SHOWN = 5
SEVERITY_ORDER = {s.value: -s.rank for s in Severity}


# -- rendering --------------------------------------------------------------------------------------------------

def render_html(document: dict) -> str:
    """The page for a document extended by build_report."""
    template = environment(html=True).get_template("report.html.j2")
    return template.render(d=document, r=document["report"], L=labels(document["language"]), csp=CSP,
                           lang=document["language"], F=field_titles(document["profile"]["name"]))


def report_html(result: CheckResult, profile: str | Profile = DEFAULT_PROFILE, lang: str = "sv",
                reveal_ids: bool = False, vendor: str | None = None, system_version: str | None = None) -> str:
    return render_html(build_report(result, profile, lang, reveal_ids, vendor, system_version))


# -- the extended document --------------------------------------------------------------------------------------

def build_report(result: CheckResult, profile: str | Profile = DEFAULT_PROFILE, lang: str = "sv",
                 reveal_ids: bool = False, vendor: str | None = None, system_version: str | None = None) -> dict:
    """The result document plus a `report` key holding everything the HTML page shows, as plain data.

    `profile` is the profile the check ran with (name or folder, as given to `conform check`). The export the
    check opened is reused to place each record in its target group (read again only for a result made
    elsewhere)."""
    document = build(result, lang=lang, reveal_ids=reveal_ids)
    prof = load(profile, None)[0] if isinstance(profile, str) else profile  # the key api.check caches under
    export = result.export or open_export(Path(result.export_path), prof, DERIVABLE)
    tables = Tables(export)
    L = labels(lang)["html"]
    fmt = Formatter(lang)
    groups = _groups(prof, L)
    membership = _membership(prof, tables, [g["code"] for g in groups], result.hits)
    if membership.records.filter(pl.col("group") == OTHER_GROUP).height:
        groups.append({"code": OTHER_GROUP, "name": L["other_group"], "short": L["other_group_short"]})
    coverage = value_set_coverage(prof, tables, fmt, L)
    document["report"] = {
        "lang_attr": lang,
        "system": _system(export.package, vendor, system_version, L),
        "verdict": document["summary"]["verdict"],
        "counts_text": _counts_text(document["summary"]["findings"], fmt, labels(lang)),
        "sets_summary": _sets_summary(document["information_sets"], fmt, labels(lang)),
        "rules_evaluated": L["rules_evaluated"].format(n=fmt.int(document["summary"]["rules_evaluated"]),
                                                       total=fmt.int(document["summary"]["rules_total"])),
        "files": [f | {"records_text": "?" if f["records"] is None else fmt.int(f["records"])}
                  for f in document["export"]["files"]],
        "groups": groups,
        "matrix": _matrix(result, prof, document, membership, groups, fmt, L),
        "capability": _capability(prof, tables, document, fmt, L),
        "coverage": coverage,
        "rules": _rules(result, document, prof, fmt, lang),
        "not_evaluated": [{"code": r["code"], "tables": ", ".join(r["not_evaluated_in"])}
                          for r in document["rules"] if r["not_evaluated_in"]],
        "charts": follow_up_charts(result, prof, tables, membership.found, groups, coverage, fmt, L),
    }
    document["report"]["summary"] = build_summary(document, {r.code: r for r in result.rules}, lang, fmt,
                                                  labels(lang))
    return document


def _counts_text(findings: dict[str, int], fmt: Formatter, L: dict) -> str:
    e, w, i = findings["error"], findings["warning"], findings["info"]
    return (f"{fmt.int(e)} {L['html']['error_one'] if e == 1 else L['errors']} · "
            f"{fmt.int(w)} {L['warning'] if w == 1 else L['warnings']} · {fmt.int(i)} {L['info']}")


def _sets_summary(sets: list[dict], fmt: Formatter, L: dict) -> str:
    counts = {status.value: sum(1 for s in sets if s["status"] == status.value) for status in Status}
    parts = " · ".join(f"{fmt.int(n)} {L['status_names'][status]}" for status, n in counts.items())
    return L["html"]["sets_summary"].format(total=fmt.int(len(sets)), parts=parts)


def _system(package: dict, vendor: str | None, version: str | None, L: dict) -> dict:
    """Vendor/system and version as given on the command line, else as the export's datapackage.json says."""
    def text(value) -> str | None:
        return None if value is None or value == "" else str(value)

    from_package = {"name": text(package.get("title")) or text(package.get("name")),
                    "version": text(package.get("version"))}
    name, version_ = text(vendor), text(version)
    return {
        "given": bool(name or from_package["name"]),
        "name": name or from_package["name"] or L["not_given"],
        "name_source": L["source_option"] if name else (L["source_package"] if from_package["name"] else ""),
        "version": version_ or from_package["version"] or L["not_given"],
        "version_source": L["source_option"] if version_ else (L["source_package"] if from_package["version"]
                                                               else ""),
    }


# -- target groups ----------------------------------------------------------------------------------------------

def _groups(profile: Profile, L: dict) -> list[dict]:
    frame = profile.value_set(GROUP_VALUE_SET)
    column = profile.value_column(GROUP_VALUE_SET)
    names = L.get("group_names") or {}
    return [{"code": r[column], "name": names.get(r[column]) or r.get("namn") or r[column], "short": r[column]}
            for r in frame.iter_rows(named=True) if r[column]]


@dataclass
class Membership:
    """Records per (table, group), and the groups of the records that have findings (table, row, group)."""

    records: pl.DataFrame
    found: pl.DataFrame


def _membership(profile: Profile, tables: Tables, codes: list[str], hits: pl.DataFrame) -> Membership:
    """The target group(s) of every record, followed along the foreign keys from the table that holds malgrupp
    (a person belongs to every group they were aktualiserad in), counted per group and kept for the records
    with findings only. A record whose group is missing, not a standard code or cannot be followed (a dangling
    reference) is in OTHER_GROUP.

    Tables are settled one at a time, each keeping (key, group) for the next only until that has used it, so
    no more than two tables' keys are held at once."""
    holder = next((t for t, s in profile.tables.items() if GROUP_FIELD in s.field_names), None)
    lazy = tables.frames
    has = tables.has
    found = (hits.lazy().filter(pl.col("row").is_not_null()).select("table", "row").unique()
             .with_columns(pl.col("table").cast(pl.String)))
    key_groups: dict[str, pl.LazyFrame] = {}   # table -> (key, group), unique: the groups of each primary key
    records, with_findings, settled = [], [], set()

    def settle(table: str, rows: pl.LazyFrame, keys: pl.LazyFrame | None = None) -> None:
        """Count a table's records per group and keep the groups of those with findings; keep its keys' groups."""
        rows = rows.select(table=pl.lit(table), row=pl.col(ROW).cast(pl.Int64),
                           group=pl.col("group").fill_null(OTHER_GROUP))
        answers = pl.collect_all([rows.group_by("table", "group").len("records"),
                                  rows.join(found, on=["table", "row"], how="semi")]
                                 + ([keys.unique()] if keys is not None else []))
        records.append(answers[0])
        with_findings.append(answers[1])
        settled.add(table)
        if keys is not None:
            key_groups[table] = answers[2].lazy()

    if holder is not None and has(holder, GROUP_FIELD):
        spec = profile.tables[holder]
        group = pl.when(pl.col(GROUP_FIELD).is_in(codes)).then(GROUP_FIELD).otherwise(pl.lit(OTHER_GROUP))
        source = lazy[holder].with_columns(group=group)
        settle(holder, source, source.select(pl.col(spec.primary_key).alias("key"), "group")
               if has(holder, spec.primary_key) else None)
        # Upwards: the tables the holder points to (person) take the groups of the records pointing at them.
        below = holder
        for parent in profile.parent_chain(holder):
            own, _ = profile.tables[below].foreign_key
            if not has(below, own) or (below != holder and below not in key_groups):
                break
            if below == holder:
                link = source.select(pl.col(own).alias("key"), "group")
            else:
                pk = profile.tables[below].primary_key
                link = (lazy[below].select(pl.col(own).alias("fk"), pl.col(pk).alias("key"))
                        .join(key_groups[below], on="key").select(pl.col("fk").alias("key"), "group"))
            key_groups[parent] = link.unique().collect().lazy()
            pk = profile.tables[parent].primary_key
            if has(parent, pk):
                settle(parent, lazy[parent].select(ROW, pl.col(pk).alias("key"))
                       .join(key_groups[parent], on="key", how="left"))
            below = parent
        # Downwards: every table below takes the groups of the record it points to.
        pending = [t for t in profile.tables if holder in profile.parent_chain(t)]
        for table in sorted(pending, key=lambda t: len(profile.parent_chain(t))):
            own, parent = profile.tables[table].foreign_key
            if parent not in key_groups or not has(table, own):
                continue
            pk = profile.tables[table].primary_key
            joined = lazy[table].select(ROW, pl.col(own).alias("key"), *([pk] if has(table, pk) else [])) \
                .join(key_groups[parent], on="key", how="left")
            settle(table, joined, joined.select(pl.col(pk).alias("key"), "group") if has(table, pk) else None)
            if all(c in settled or c not in pending for c in profile.children(parent)):
                key_groups.pop(parent)  # every table below it is settled
    for table in list(lazy):
        if table not in settled:
            settle(table, lazy[table].select(ROW, group=pl.lit(None, pl.String)))
    schema = {"table": pl.String, "group": pl.String, "records": pl.UInt32}
    return Membership(pl.concat(records) if records else pl.DataFrame(schema=schema),
                      pl.concat(with_findings) if with_findings else
                      pl.DataFrame(schema={"table": pl.String, "row": pl.Int64, "group": pl.String}))


# -- the matrix -------------------------------------------------------------------------------------------------

def _matrix(result: CheckResult, profile: Profile, document: dict, membership: Membership, groups: list[dict],
            fmt: Formatter, L: dict) -> list[dict]:
    """Per information set: the overall verdict and one cell per target group, with the share of the group's
    records that have no error, computed from the findings table by the same attribution as the set verdicts."""
    set_tables = pl.DataFrame(
        [{"set": s.id, "table": t} for s in profile.information_sets
         for t in sorted({t for t, _ in profile.fields_of_set(s.id)})],
        schema={"set": pl.String, "table": pl.String})
    records = (set_tables.join(membership.records, on="table")
               .group_by("set", "group").agg(pl.col("records").sum()))
    by_code = {r.code: r for r in result.rules}
    attributed = attribute_findings(result.hits, by_code, field_sets(profile))
    row = pl.struct("table", "row")
    bad = (attributed.lazy().filter(pl.col("row").is_not_null())
           .with_columns(pl.col("table", "set", "severity").cast(pl.String))
           .join(membership.found.lazy(), on=["table", "row"])
           .group_by("set", "group")
           .agg(errors=row.filter(pl.col("severity") == "error").n_unique(),
                warnings=row.filter(pl.col("severity") == "warning").n_unique())
           .collect())
    rowless = (attributed.filter(pl.col("row").is_null()).group_by("set")
               .agg(error=(pl.col("severity") == "error").any(), warning=(pl.col("severity") == "warning").any()))
    cells = {(r["set"], r["group"]): r for r in records.join(bad, on=["set", "group"], how="left")
             .fill_null(0).iter_rows(named=True)}
    whole = {r["set"]: r for r in rowless.iter_rows(named=True)}
    names_en = {s.id: s.name_en for s in profile.information_sets}
    rows = []
    for s in document["information_sets"]:
        overall = {"status": s["status"], "share": fmt.share(s["conforming_share"]), "records": fmt.int(s["records"]),
                   "title": _cell_title(L, s["status"], s["records"], s["records_with_errors"], fmt)}
        cells_out = []
        for g in groups:
            cell = cells.get((s["id"], g["code"]))
            n = cell["records"] if cell else 0
            errors = cell["errors"] if cell else 0
            warnings = cell["warnings"] if cell else 0
            if s["status"] == Status.MISSING.value:
                status = Status.MISSING.value
            elif n == 0:
                status = "none"
            elif errors or whole.get(s["id"], {}).get("error"):
                status = Status.NONCONFORMANT.value
            elif warnings or whole.get(s["id"], {}).get("warning"):
                status = Status.WARNINGS.value
            else:
                status = Status.CONFORMANT.value
            cells_out.append({
                "group": g["code"], "status": status, "n": n, "errors": errors, "warnings": warnings,
                "share": fmt.share(1 - errors / n) if n and status != Status.MISSING.value else "–",
                "records": fmt.int(n) if n else "",
                "title": _cell_title(L, status, n, errors, fmt),
            })
        rows.append({"id": s["id"], "name": s["name"], "name_en": names_en.get(s["id"], ""), "overall": overall,
                     "cells": cells_out})
    return rows


def _cell_title(L: dict, status: str, records: int, errors: int, fmt: Formatter) -> str:
    if status in ("none", Status.MISSING.value):
        return L["cell_titles"][status]
    return L["cell_titles"]["records"].format(records=fmt.int(records), errors=fmt.int(errors))


# -- capability -------------------------------------------------------------------------------------------------

def _capability(profile: Profile, tables: Tables, document: dict, fmt: Formatter, L: dict) -> list[dict]:
    """What the export shows about what the system can register: several values where the standard allows
    them ([1..*]), fields that never hold a value, information sets missing altogether."""
    C = L["capability"]
    nouns = L["table_nouns"]
    status = {s["id"]: s["status"] for s in document["information_sets"]}
    items: list = [{"status": "problem", "set": s.name, "text": C["missing"]} for s in profile.information_sets
                   if status.get(s.id) == Status.MISSING.value]
    # Each "several" item is asked as a query of (records with a value, most values in one record), all of them
    # answered in one pass at the end.
    several: list[tuple[str, str, pl.LazyFrame]] = []
    for s in profile.information_sets:
        if s.cardinality != "1..*" or status.get(s.id) == Status.MISSING.value:
            continue
        for table, f in profile.fields_of_set(s.id):
            if f.is_list and tables.has(table, f.name):
                items_per = (pl.col(f.name).str.split(profile.list_delimiter)
                             .list.eval(pl.element().filter(pl.element() != "")).list.len())
                several.append((s.name, table, tables[table].select(n=items_per).filter(pl.col("n") > 0)))
        # A [1..*] set held by rows of a child table (insats per beslut): rows per parent record.
        holders = [(t, f) for t, f in profile.fields_of_set(s.id) if not f.is_list]
        for table in sorted({t for t, _ in holders}):
            fk = profile.tables[table].foreign_key
            names = [f.name for t, f in holders if t == table and tables.has(table, f.name)]
            if fk is None or not names or not tables.has(table, fk[0]):
                continue
            filled = tables[table].filter(pl.any_horizontal(pl.col(n).is_not_null() for n in names))
            several.append((s.name, fk[1], filled.group_by(fk[0]).agg(n=pl.len()).select("n")))
    empties = [(table, f) for table, spec in profile.tables.items() for f in spec.fields
               if f.information_set and tables.has(table, f.name)]
    answers = pl.collect_all(
        [q.select(n=pl.len(), most=pl.col("n").max()) for _, _, q in several]
        + [tables[t].select(pl.len().alias("height"), *(pl.col(f.name).null_count().alias(f.name)
                                                         for u, f in empties if u == t))
           for t in dict.fromkeys(t for t, _ in empties)])
    for (set_name, table, _), answer in zip(several, answers):
        noun = nouns.get(table, [table, table])
        items.append(_several(C, set_name, answer["n"].item(), answer["most"].item(), noun[0], noun[1], fmt))
    nulls = dict(zip(dict.fromkeys(t for t, _ in empties), answers[len(several):]))
    for table, f in empties:
        height = nulls[table]["height"].item()
        if height and nulls[table][f.name].item() == height:
            noun = nouns.get(table, [table, table])
            items.append({"status": "problem", "set": profile.information_set(f.information_set).name,
                          "text": C["empty"].format(field=f"{table}.{f.name}", n=fmt.int(height), records=noun[1])})
    return items


def _several(C: dict, set_name: str, n: int, most: int | None, one: str, many: str, fmt: Formatter) -> dict:
    most = int(most or 0)
    values = dict(set=set_name, n=fmt.int(n), most=fmt.int(most), record=one, records=many,
                  minimum=MIN_RECORDS_FOR_CAPABILITY)
    if n < MIN_RECORDS_FOR_CAPABILITY:
        return {"status": "unknown", "set": set_name, "text": C["several_too_few"].format(**values)}
    if most <= 1:
        return {"status": "problem", "set": set_name, "text": C["several_never"].format(**values)}
    return {"status": "ok", "set": set_name, "text": C["several_ok"].format(**values)}


# -- rules ------------------------------------------------------------------------------------------------------

def _rules(result: CheckResult, document: dict, profile: Profile, fmt: Formatter, lang: str) -> list[dict]:
    by_code = {r.code: r for r in result.rules}
    set_names = {s.id: s.name for s in profile.information_sets}
    shown = sorted((r for r in document["rules"] if r["count"]),
                   key=lambda r: (SEVERITY_ORDER[r["severity"]], r["code"]))
    found = {r["code"]: shown_message(by_code[r["code"]].message[lang], r["examples"]) for r in shown}
    return [{
        "code": r["code"], "severity": r["severity"], "count": fmt.int(r["count"]),
        "message": found[r["code"]][0], "message_is_example": found[r["code"]][1],
        "spec": r["spec"], "fix": filled(r["fix"], r["examples"][0] if r["examples"] else None),
        "category": r["category"], "basis": r["basis"],
        "quote": r["quote"]["text"], "quote_section": r["quote"]["section"], "reading": r["reading"],
        "sets": ", ".join(set_names.get(s, s) for s in r["information_sets"]),
        "examples": [{"where": _where(e, fmt), "key": e["key"] or "", "message": e["message"] or ""}
                     for e in r["examples"][:EXAMPLES_SHOWN]],
        "more": max(r["count"] - min(EXAMPLES_SHOWN, len(r["examples"])), 0),
        "more_text": fmt.int(max(r["count"] - min(EXAMPLES_SHOWN, len(r["examples"])), 0)),
    } for r in shown]


def _where(example: dict, fmt: Formatter) -> str:
    return example["table"] if example["row"] is None else f"{example['table']}:{fmt.int(example['row'])}"
