"""The HTML report: one self-contained page a procurement group can read, print to A4 and attach to a decision.

It renders the result document (render.document.build) extended with what a buyer needs beyond the text report:
the information sets per target group, value-set coverage, capability findings, and the follow-up figures the
standard exists for, drawn as inline SVG. Everything is computed here as plain data (numbers already formatted,
chart geometry already laid out); the templates under reports_templates/ only loop and print. The page holds no
script and loads nothing: its CSS is inline and a Content-Security-Policy forbids everything else. Jinja2
autoescaping is on, so every value taken from the export is shown as text.
"""

from __future__ import annotations

import difflib
import math
import re
from functools import cache
from pathlib import Path

import polars as pl
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from conform.api import DERIVABLE, attribute_findings, load
from conform.context import ROW
from conform.model import CheckResult, Severity, Status
from conform.profile import Profile
from conform.render.document import build
from conform.render.findings import PLACEHOLDER
from conform.render.text import labels
from conform.resources import DEFAULT_PROFILE, TEMPLATES_DIR
from conform.sources import open_export

GROUP_FIELD = "malgrupp"
GROUP_VALUE_SET = "malgrupp"
OTHER_GROUP = "?"            # records whose target group is missing, unknown or cannot be followed to
SUPPRESS_BELOW = 5           # counts 1-4 are shown as "<5", as Swedish official statistics do
MIN_RECORDS_FOR_CAPABILITY = 50
EXAMPLES_SHOWN = 5
NONSTANDARD_SHOWN = 25
SYNONYMS_FILE = "synonyms.yaml"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; script-src 'none'; "
       "base-uri 'none'; form-action 'none'")
SEVERITY_ORDER = {s.value: -s.rank for s in Severity}


# -- rendering --------------------------------------------------------------------------------------------------

@cache
def environment() -> Environment:
    # Autoescape on for every template of this environment: it renders HTML only.
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_html(document: dict) -> str:
    """The page for a document extended by build_report."""
    template = environment().get_template("report.html.j2")
    return template.render(d=document, r=document["report"], L=labels(document["language"]), csp=CSP)


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
    tables = _collect(export)
    L = labels(lang)["html"]
    fmt = Formatter(lang)
    groups = _groups(prof, L)
    membership = _membership(prof, tables, [g["code"] for g in groups])
    if membership.filter(pl.col("group") == OTHER_GROUP).height:
        groups.append({"code": OTHER_GROUP, "name": L["other_group"], "short": L["other_group_short"]})
    coverage = _coverage(prof, tables, fmt, L)
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
        "charts": _charts(result, prof, tables, membership, groups, coverage, fmt, L),
    }
    return document


def _counts_text(findings: dict[str, int], fmt: Formatter, L: dict) -> str:
    e, w, i = findings["error"], findings["warning"], findings["info"]
    return (f"{fmt.int(e)} {L['html']['error_one'] if e == 1 else L['errors']} · "
            f"{fmt.int(w)} {L['warning'] if w == 1 else L['warnings']} · {fmt.int(i)} {L['info']}")


def _sets_summary(sets: list[dict], fmt: Formatter, L: dict) -> str:
    counts = {status.value: sum(1 for s in sets if s["status"] == status.value) for status in Status}
    parts = " · ".join(f"{fmt.int(n)} {L['status_names'][status]}" for status, n in counts.items())
    return L["html"]["sets_summary"].format(total=fmt.int(len(sets)), parts=parts)


def _collect(export) -> dict[str, pl.DataFrame]:
    names = [n for n, t in export.tables.items() if t.frame is not None]
    return dict(zip(names, pl.collect_all([export.tables[n].frame for n in names])))


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


class Formatter:
    """Numbers as a Swedish or English reader expects them; suppression of small counts."""

    def __init__(self, lang: str):
        self.lang = lang

    def int(self, n: int | None) -> str:
        if n is None:
            return "–"
        text = f"{n:,}"
        return text.replace(",", "\u00a0") if self.lang == "sv" else text

    def count(self, n: int) -> str:
        """A count of people or records in a statistic: 1-4 suppressed."""
        return f"<{SUPPRESS_BELOW}" if 0 < n < SUPPRESS_BELOW else self.int(n)

    def share(self, share: float | None) -> str:
        if share is None:
            return "–"
        # Rounded down, so that a share with any error never reads 100 %.
        percent = 100 if share >= 1 else math.floor(share * 100)
        return f"{percent}\u00a0%" if self.lang == "sv" else f"{percent}%"

    def days(self, value: float) -> str:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "sv" else text


# -- target groups ----------------------------------------------------------------------------------------------

def _groups(profile: Profile, L: dict) -> list[dict]:
    frame = profile.value_set(GROUP_VALUE_SET)
    column = profile.value_column(GROUP_VALUE_SET)
    names = L.get("group_names") or {}
    return [{"code": r[column], "name": names.get(r[column]) or r.get("namn") or r[column], "short": r[column]}
            for r in frame.iter_rows(named=True) if r[column]]


def _membership(profile: Profile, tables: dict[str, pl.DataFrame], codes: list[str]) -> pl.DataFrame:
    """One row per (table, row, group): the target group(s) of every record, followed along the foreign keys
    from the table that holds malgrupp (a person belongs to every group they were aktualiserad in). A record
    whose group is missing, not a standard code or cannot be followed (a dangling reference) is in OTHER_GROUP."""
    schema = {"table": pl.String, "row": pl.Int64, "group": pl.String}
    holder = next((t for t, s in profile.tables.items() if GROUP_FIELD in s.field_names), None)
    lazy = {t: f.lazy() for t, f in tables.items()}
    key_groups: dict[str, pl.LazyFrame] = {}   # table -> (key, group), unique: the groups of each primary key
    row_groups: dict[str, pl.LazyFrame] = {}   # table -> (ROW, group)

    def has(table: str, *columns: str) -> bool:
        return table in tables and all(c in tables[table].columns for c in columns)

    if holder is not None and has(holder, GROUP_FIELD):
        spec = profile.tables[holder]
        group = pl.when(pl.col(GROUP_FIELD).is_in(codes)).then(GROUP_FIELD).otherwise(pl.lit(OTHER_GROUP))
        source = lazy[holder].with_columns(group=group)
        row_groups[holder] = source.select(ROW, "group")
        if has(holder, spec.primary_key):
            key_groups[holder] = source.select(pl.col(spec.primary_key).alias("key"), "group").unique()
        # Upwards: the tables the holder points to (person) take the groups of the records pointing at them.
        below, links = holder, source
        for parent in profile.parent_chain(holder):
            own, _ = profile.tables[below].foreign_key
            if not has(below, own) or (below != holder and below not in key_groups):
                break
            if below == holder:
                link = links.select(pl.col(own).alias("key"), "group")
            else:
                pk = profile.tables[below].primary_key
                link = (lazy[below].select(pl.col(own).alias("fk"), pl.col(pk).alias("key"))
                        .join(key_groups[below], on="key").select(pl.col("fk").alias("key"), "group"))
            key_groups[parent] = link.unique()
            pk = profile.tables[parent].primary_key
            if has(parent, pk):
                row_groups[parent] = (lazy[parent].select(ROW, pl.col(pk).alias("key"))
                                      .join(key_groups[parent], on="key", how="left").select(ROW, "group"))
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
            row_groups[table] = joined.select(ROW, "group")
            if has(table, pk):
                key_groups[table] = joined.select(pl.col(pk).alias("key"), "group").unique()
    frames = [row_groups.get(table, lazy[table].select(ROW, group=pl.lit(None, pl.String)))
              .select(table=pl.lit(table), row=pl.col(ROW).cast(pl.Int64), group=pl.col("group").fill_null(OTHER_GROUP))
              for table in tables]
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(pl.collect_all(frames), how="vertical")


# -- the matrix -------------------------------------------------------------------------------------------------

def _matrix(result: CheckResult, profile: Profile, document: dict, membership: pl.DataFrame, groups: list[dict],
            fmt: Formatter, L: dict) -> list[dict]:
    """Per information set: the overall verdict and one cell per target group, with the share of the group's
    records that have no error, computed from the findings table by the same attribution as the set verdicts."""
    set_tables = pl.DataFrame(
        [{"set": s.id, "table": t} for s in profile.information_sets
         for t in sorted({t for t, _ in profile.fields_of_set(s.id)})],
        schema={"set": pl.String, "table": pl.String})
    records = (set_tables.join(membership.group_by("table", "group").len("records"), on="table")
               .group_by("set", "group").agg(pl.col("records").sum()))
    by_code = {r.code: r for r in result.rules}
    field_sets = {(t, f.name): f.information_set for t, spec in profile.tables.items() for f in spec.fields}
    attributed = attribute_findings(result.findings, by_code, field_sets)
    row = pl.struct("table", "row")
    bad = (attributed.filter(pl.col("row").is_not_null()).join(membership, on=["table", "row"])
           .group_by("set", "group")
           .agg(errors=row.filter(pl.col("severity") == "error").n_unique(),
                warnings=row.filter(pl.col("severity") == "warning").n_unique()))
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
                "group": g["code"], "status": status,
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


# -- value-set coverage -----------------------------------------------------------------------------------------

@cache
def synonyms() -> dict[str, dict[str, str]]:
    """Known local terms per value set (casefolded) -> the standard value (reports_templates/synonyms.yaml)."""
    data = yaml.safe_load((TEMPLATES_DIR / SYNONYMS_FILE).read_text(encoding="utf-8")) or {}
    return {vs: {str(k).strip().casefold(): str(v) for k, v in (terms or {}).items()} for vs, terms in data.items()}


def closest(value: str, standard: list[str], value_set: str, delimiter: str | None = None,
            codes: bool = False) -> tuple[str | None, str | None]:
    """(closest standard value, basis) for a value outside the standard: a known synonym, a value that differs
    in case or spacing only, several standard values in a field that takes one, the one standard value that
    begins with or contains it as a word, or (not for codes, where near spellings mean nothing) the nearest
    spelling by difflib."""
    key = " ".join(value.split()).casefold()
    known = synonyms().get(value_set, {})
    if key in known and known[key] in standard:
        return known[key], "synonym"
    folded = {" ".join(s.split()).casefold(): s for s in standard}
    if key in folded:
        return folded[key], "case"
    if delimiter and delimiter in value and all(p.strip() in standard for p in value.split(delimiter)):
        return None, "several"
    if codes:
        return None, None
    word = re.compile(rf"(?<!\w){re.escape(key)}(?!\w)")
    containing = [s for f, s in folded.items() if len(key) > 1 and word.search(f)]
    if len(containing) == 1:
        return containing[0], "contains"
    match = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return (folded[match[0]], "spelling") if match else (None, None)


def _value_column(profile: Profile, field: str, value_set: str) -> str:
    # A code field (insats_kod) is compared with the value set's codes, not its names.
    columns = profile.value_set(value_set).columns
    if field.endswith("_kod") and "kod" in columns:
        return "kod"
    return profile.value_column(value_set)


def _coverage(profile: Profile, tables: dict[str, pl.DataFrame], fmt: Formatter, L: dict) -> list[dict]:
    """Per information set and value set: the standard values the export shows (with counts), those it never
    shows, and the values it holds that are not in the standard, each with the closest standard value."""
    entries: dict[tuple, list[tuple[str, str]]] = {}
    for table, spec in profile.tables.items():
        for f in spec.fields:
            if f.value_set:
                key = (f.information_set or f.name, f.value_set, _value_column(profile, f.name, f.value_set))
                entries.setdefault(key, []).append((table, f.name))
    per_set = {}
    for set_id, *_ in entries:
        per_set[set_id] = per_set.get(set_id, 0) + 1
    order = {s.id: s.order for s in profile.information_sets}
    out = []
    for (set_id, value_set, column), fields in sorted(entries.items(), key=lambda e: order.get(e[0][0], 99)):
        frame = profile.value_set(value_set)
        standard = list(dict.fromkeys(v for v in frame[column].to_list() if v))
        observed = _observed(profile, tables, fields)
        counts = dict(zip(observed["value"].to_list(), observed["records"].to_list()))
        field_titles = [profile.tables[t].field(f).title for t, f in fields]
        try:
            name = profile.information_set(set_id).name
        except KeyError:
            name = field_titles[0]
        if per_set[set_id] > 1:
            name = field_titles[0] if field_titles[0] != name else f"{name} ({column})"
        present = [{"value": v, "count": fmt.int(counts[v])} for v in standard if v in counts]
        nonstandard = []
        for value, n in sorted(((v, n) for v, n in counts.items() if v not in set(standard)),
                               key=lambda vn: (-vn[1], vn[0])):
            match, basis = closest(value, standard, value_set, profile.list_delimiter, codes=column == "kod")
            nonstandard.append({"value": value, "count": fmt.int(n), "closest": match or "",
                                "basis": L["closest_basis"][basis] if basis else ""})
        read = any(t in tables and f in tables[t].columns for t, f in fields)
        out.append({
            "id": set_id, "name": name, "value_set": value_set,
            "fields": ", ".join(f"{t}.{f}" for t, f in fields),
            "read": read,
            "standard_total": len(standard), "present_total": len(present),
            "summary": L["coverage_summary"].format(present=len(present), total=len(standard),
                                                    nonstandard=len(nonstandard)),
            "present": present,
            "never": [v for v in standard if v not in counts],
            "nonstandard": nonstandard[:NONSTANDARD_SHOWN],
            "nonstandard_more": (L["more_values"].format(n=fmt.int(len(nonstandard) - NONSTANDARD_SHOWN))
                                 if len(nonstandard) > NONSTANDARD_SHOWN else ""),
            "complete": read and len(present) == len(standard) and not nonstandard,
        })
    return out


def _observed(profile: Profile, tables: dict[str, pl.DataFrame], fields: list[tuple[str, str]]) -> pl.DataFrame:
    """(value, records): how many records hold each value, over the given fields, list items counted apiece
    (an item repeated within one record counts once)."""
    frames = []
    for table, name in fields:
        if table not in tables or name not in tables[table].columns:
            continue
        raw = pl.col(name)
        if profile.tables[table].field(name).is_list:
            frame = tables[table].lazy().select(value=raw.str.split(profile.list_delimiter).list.unique()) \
                .explode("value")
        else:
            frame = tables[table].lazy().select(value=raw)
        frames.append(frame.filter(pl.col("value").is_not_null() & (pl.col("value") != "")))
    if not frames:
        return pl.DataFrame(schema={"value": pl.String, "records": pl.UInt32})
    return pl.concat(frames).group_by("value").len("records").collect()


# -- capability -------------------------------------------------------------------------------------------------

def _capability(profile: Profile, tables: dict[str, pl.DataFrame], document: dict, fmt: Formatter,
                L: dict) -> list[dict]:
    """What the export shows about what the system can register: several values where the standard allows
    them ([1..*]), fields that never hold a value, information sets missing altogether."""
    C = L["capability"]
    nouns = L["table_nouns"]
    items = []
    status = {s["id"]: s["status"] for s in document["information_sets"]}
    for s in profile.information_sets:
        if status.get(s.id) == Status.MISSING.value:
            items.append({"status": "problem", "set": s.name, "text": C["missing"]})
    for s in profile.information_sets:
        if s.cardinality != "1..*" or status.get(s.id) == Status.MISSING.value:
            continue
        for table, f in profile.fields_of_set(s.id):
            if table not in tables or f.name not in tables[table].columns:
                continue
            if f.is_list:
                per_record = (tables[table][f.name].str.split(profile.list_delimiter)
                              .list.eval(pl.element().filter(pl.element() != "")).list.len())
                per_record = per_record.filter(per_record > 0)
                noun = nouns.get(table, [table, table])
                items.append(_several(C, s.name, per_record, noun[0], noun[1], fmt))
        # A [1..*] set held by rows of a child table (insats per beslut): rows per parent record.
        holders = [(t, f) for t, f in profile.fields_of_set(s.id) if not f.is_list]
        for table in sorted({t for t, _ in holders}):
            fk = profile.tables[table].foreign_key
            names = [f.name for t, f in holders if t == table and f.name in tables.get(table, pl.DataFrame()).columns]
            if fk is None or not names or fk[0] not in tables[table].columns:
                continue
            filled = tables[table].filter(pl.any_horizontal(pl.col(n).is_not_null() for n in names))
            per_parent = filled.group_by(fk[0]).len()["len"]
            noun = nouns.get(fk[1], [fk[1], fk[1]])
            items.append(_several(C, s.name, per_parent, noun[0], noun[1], fmt))
    for table, spec in profile.tables.items():
        if table not in tables or tables[table].height == 0:
            continue
        for f in spec.fields:
            if f.information_set and f.name in tables[table].columns and tables[table][f.name].null_count() == \
                    tables[table].height:
                noun = nouns.get(table, [table, table])
                items.append({"status": "problem", "set": profile.information_set(f.information_set).name,
                              "text": C["empty"].format(field=f"{table}.{f.name}",
                                                        n=fmt.int(tables[table].height), records=noun[1])})
    return items


def _several(C: dict, set_name: str, per_record: pl.Series, one: str, many: str, fmt: Formatter) -> dict:
    n = per_record.len()
    most = int(per_record.max() or 0)
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
    return [{
        "code": r["code"], "severity": r["severity"], "count": fmt.int(r["count"]),
        # The rule's message where it has no placeholders, else its first example's (concrete) message.
        "message": (by_code[r["code"]].message[lang] if not PLACEHOLDER.search(by_code[r["code"]].message[lang])
                    or not r["examples"] else r["examples"][0]["message"]),
        "message_is_example": bool(PLACEHOLDER.search(by_code[r["code"]].message[lang]) and r["examples"]),
        "spec": r["spec"], "fix": r["fix"], "category": r["category"],
        "sets": ", ".join(set_names.get(s, s) for s in r["information_sets"]),
        "examples": [{"where": _where(e, fmt), "key": e["key"] or "", "message": e["message"] or ""}
                     for e in r["examples"][:EXAMPLES_SHOWN]],
        "more": max(r["count"] - min(EXAMPLES_SHOWN, len(r["examples"])), 0),
        "more_text": fmt.int(max(r["count"] - min(EXAMPLES_SHOWN, len(r["examples"])), 0)),
    } for r in shown]


def _where(example: dict, fmt: Formatter) -> str:
    return example["table"] if example["row"] is None else f"{example['table']}:{fmt.int(example['row'])}"


# -- follow-up figures ------------------------------------------------------------------------------------------

def _charts(result: CheckResult, profile: Profile, tables: dict[str, pl.DataFrame], membership: pl.DataFrame,
            groups: list[dict], coverage: list[dict], fmt: Formatter, L: dict) -> list[dict]:
    G = L["charts"]
    charts = [
        _persons_by_group_and_sex(profile, tables, groups, fmt, G),
        _median_days(tables, groups, fmt, G),
        _not_executed(result, membership, groups, fmt, G),
    ]
    charts += _goal_attainment(profile, tables, fmt, G)
    return charts


def _unavailable(title: str, G: dict) -> dict:
    return {"title": title, "caption": G["unavailable"], "svg": None, "legend": []}


def _has(tables, table: str, *columns: str) -> bool:
    return table in tables and all(c in tables[table].columns for c in columns)


def _persons_by_group_and_sex(profile, tables, groups, fmt, G) -> dict:
    title = G["persons_title"]
    if not (_has(tables, "aktualisering", "person_id", GROUP_FIELD) and _has(tables, "person", "person_id")):
        return _unavailable(title, G)
    sexes = profile.values("juridiskt_kon")
    person = tables["person"].select("person_id", sex=pl.col("juridiskt_kon") if "juridiskt_kon" in
                                     tables["person"].columns else pl.lit(None, pl.String)).unique("person_id")
    codes = [g["code"] for g in groups if g["code"] != OTHER_GROUP]
    pairs = (tables["aktualisering"].filter(pl.col("person_id").is_not_null())
             .select("person_id", group=pl.col(GROUP_FIELD)).unique()
             .join(person, on="person_id", how="left")
             .with_columns(group=pl.when(pl.col("group").is_in(codes)).then("group").otherwise(pl.lit(OTHER_GROUP)),
                           sex=pl.when(pl.col("sex").is_in(sexes)).then("sex").otherwise(pl.lit(OTHER_GROUP))))
    counts = {(r["group"], r["sex"]): r["len"] for r in pairs.group_by("group", "sex").len().iter_rows(named=True)}
    series = [{"label": s, "cls": f"s{i}"} for i, s in enumerate(sexes)]
    keys = list(sexes)
    if any(k[1] == OTHER_GROUP for k in counts):
        series.append({"label": G["sex_other"], "cls": f"s{len(sexes)}"})
        keys.append(OTHER_GROUP)
    shown_groups = [g for g in groups if g["code"] != OTHER_GROUP or any(k[0] == OTHER_GROUP for k in counts)]
    rows = [{"label": g["name"], "values": [_count_bar(counts.get((g["code"], k), 0), fmt) for k in keys]}
            for g in shown_groups]
    total = pairs.select("person_id").n_unique()
    return {"title": title, "caption": G["persons_caption"].format(n=fmt.count(total)),
            "svg": _bar_chart(rows, series), "legend": series}


def _median_days(tables, groups, fmt, G) -> dict:
    title = G["days_title"]
    from conform.values import parse_date

    if not (_has(tables, "aktualisering", "aktualisering_id", GROUP_FIELD, "datum_aktualisering")
            and _has(tables, "beslut", "beslut_id", "aktualisering_id", "datum_beslut")):
        return _unavailable(title, G)
    codes = [g["code"] for g in groups]
    akt = tables["aktualisering"].select("aktualisering_id", group=pl.col(GROUP_FIELD),
                                         d0=parse_date(pl.col("datum_aktualisering"))).unique("aktualisering_id")
    bes = (tables["beslut"].select("beslut_id", "aktualisering_id", d1=parse_date(pl.col("datum_beslut")))
           .join(akt, on="aktualisering_id", how="left"))
    first = bes.select("group", days=(pl.col("d1") - pl.col("d0")).dt.total_days())
    if _has(tables, "insats", "beslut_id", "datum_verkstallande"):
        second = (tables["insats"].select("beslut_id", d2=parse_date(pl.col("datum_verkstallande")))
                  .join(bes.unique("beslut_id").select("beslut_id", "group", "d1"), on="beslut_id", how="left")
                  .select("group", days=(pl.col("d2") - pl.col("d1")).dt.total_days()))
    else:
        second = first.clear()
    series = [{"label": G["days_decision"], "cls": "s0"}, {"label": G["days_execution"], "cls": "s1"}]
    stats = []
    for frame in (first, second):
        valid = frame.filter(pl.col("days").is_not_null() & (pl.col("days") >= 0))
        valid = valid.with_columns(group=pl.when(pl.col("group").is_in(codes)).then("group")
                                   .otherwise(pl.lit(OTHER_GROUP)))
        agg = valid.group_by("group").agg(median=pl.col("days").median(), n=pl.len())
        stats.append({r["group"]: r for r in agg.iter_rows(named=True)})
    rows = []
    for g in groups:
        values = []
        for per_group in stats:
            s = per_group.get(g["code"])
            if s is None:
                values.append({"value": None, "text": "–", "draw": False})
            elif s["n"] < SUPPRESS_BELOW:
                values.append({"value": None, "text": f"<{SUPPRESS_BELOW}", "draw": False})
            else:
                values.append({"value": float(s["median"]), "text": G["days_unit"].format(d=fmt.days(s["median"])),
                               "draw": True})
        if g["code"] != OTHER_GROUP or any(v["text"] != "–" for v in values):
            rows.append({"label": g["name"], "values": values})
    return {"title": title, "caption": G["days_caption"], "svg": _bar_chart(rows, series), "legend": series}


def _not_executed(result: CheckResult, membership, groups, fmt, G) -> dict:
    codes = [r.code for r in result.rules if r.kind == "executed_within" and getattr(r.params, "mode", "") == "open"]
    title = G["open_title"].format(rule=", ".join(codes) or "–")
    if not codes:
        return _unavailable(title, G)
    found = result.findings.filter(pl.col("rule").is_in(codes) & pl.col("row").is_not_null()) \
        .select("table", "row").unique()
    per_group = found.join(membership, on=["table", "row"], how="left").fill_null(OTHER_GROUP) \
        .group_by("group").len()
    counts = dict(zip(per_group["group"].to_list(), per_group["len"].to_list()))
    rows = [{"label": g["name"], "values": [_count_bar(counts.get(g["code"], 0), fmt)]} for g in groups
            if g["code"] != OTHER_GROUP or counts.get(OTHER_GROUP)]
    series = [{"label": G["open_series"], "cls": "s3"}]
    return {"title": title, "caption": G["open_caption"].format(n=fmt.count(found.height)),
            "svg": _bar_chart(rows, series), "legend": []}


def _goal_attainment(profile: Profile, tables, fmt, G) -> list[dict]:
    value_set = "maluppfyllelse"
    try:
        frame = profile.value_set(value_set)
    except Exception:  # noqa: BLE001 - a profile without the value set has no such chart
        return []
    fields = [(t, f.name) for t, f in profile.fields_of_set(value_set) if f.value_set == value_set]
    observed = _observed(profile, tables, fields)
    counts = dict(zip(observed["value"].to_list(), observed["records"].to_list()))
    column = profile.value_column(value_set)
    scales = frame["scale"].to_list() if "scale" in frame.columns else [""] * frame.height
    charts = []
    for scale in dict.fromkeys(scales):
        values = [v for v, s in zip(frame[column].to_list(), scales) if s == scale and v]
        rows = [{"label": v, "values": [_count_bar(counts.get(v, 0), fmt)]} for v in values]
        total = sum(counts.get(v, 0) for v in values)
        charts.append({"title": G["goal_title"].format(scale=scale or ""),
                       "caption": G["goal_caption"].format(n=fmt.count(total)),
                       "svg": _bar_chart(rows, [{"label": "", "cls": "s2"}], label_width=300), "legend": []})
    return charts


def _count_bar(n: int, fmt: Formatter) -> dict:
    return {"value": float(n), "text": fmt.count(n), "draw": n >= SUPPRESS_BELOW}


# Chart geometry, in SVG user units (the page scales them: 640 units is the A4 text width).
CHART_WIDTH = 640
BAR_HEIGHT = 13
BAR_GAP = 2
ROW_GAP = 10
VALUE_WIDTH = 72
CHAR_WIDTH = 6.4


def _bar_chart(rows: list[dict], series: list[dict], label_width: int | None = None) -> dict:
    """A horizontal bar chart laid out as rectangles and text positions; the template only prints them.

    Each row has a label and one value per series ({value, text, draw}); a value not drawn (suppressed or
    absent) shows its text only, so a suppressed count cannot be read off a bar's length."""
    longest = max((len(r["label"]) for r in rows), default=0)
    label_width = label_width or min(max(int(longest * CHAR_WIDTH) + 12, 120), 260)
    area = CHART_WIDTH - label_width - VALUE_WIDTH
    top = max((v["value"] for r in rows for v in r["values"] if v["draw"] and v["value"] is not None), default=0)
    per_row = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    laid, y = [], 4
    for r in rows:
        bars = []
        for i, v in enumerate(r["values"]):
            by = y + i * (BAR_HEIGHT + BAR_GAP)
            width = round(area * v["value"] / top, 1) if v["draw"] and top else 0
            if v["draw"] and width < 1:
                width = 1
            bars.append({"x": label_width, "y": by, "w": width, "h": BAR_HEIGHT, "cls": series[i]["cls"],
                         "tx": label_width + width + 4, "ty": by + BAR_HEIGHT - 3, "text": v["text"],
                         "draw": v["draw"] and width > 0})
        laid.append({"label": r["label"], "lx": label_width - 8, "ly": y + per_row / 2 + 4, "bars": bars,
                     "line_y": y + per_row + ROW_GAP / 2})
        y += per_row + ROW_GAP
    height = y
    return {"width": CHART_WIDTH, "height": height, "rows": laid, "axis_x": label_width,
            "label_width": label_width}
