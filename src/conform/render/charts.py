"""The follow-up figures of the HTML report, laid out as plain data for inline SVG bar charts: records per
target group and juridiskt kön, median days between the steps, decisions not executed in time, Måluppfyllelse.
Counts under five are suppressed (no bar is drawn), as Swedish official statistics do."""

from __future__ import annotations

import polars as pl

from conform.model import CheckResult
from conform.profile import Profile
from conform.render.formatting import SUPPRESS_BELOW, Formatter
from conform.render.tables import Tables

GROUP_FIELD = "malgrupp"
OTHER_GROUP = "?"            # records whose target group is missing, unknown or cannot be followed to
# Chart geometry, in SVG user units (the page scales them: 640 units is the A4 text width).
CHART_WIDTH = 640
BAR_HEIGHT = 13
BAR_GAP = 2
ROW_GAP = 10
VALUE_WIDTH = 72
CHAR_WIDTH = 6.4


def follow_up_charts(result: CheckResult, profile: Profile, tables: Tables, found_groups: pl.DataFrame,
                     groups: list[dict], coverage: list[dict], fmt: Formatter, L: dict) -> list[dict]:
    """`found_groups`: (table, row, group) of the records that have findings."""
    G = L["charts"]
    charts = [
        _persons_by_group_and_sex(profile, tables, groups, fmt, G),
        _median_days(tables, groups, fmt, G),
        _not_executed(result, found_groups, groups, fmt, G),
    ]
    charts += _goal_attainment(profile, coverage, fmt, G)
    return charts


def _unavailable(title: str, G: dict) -> dict:
    return {"title": title, "caption": G["unavailable"], "svg": None, "legend": []}


def _persons_by_group_and_sex(profile, tables, groups, fmt, G) -> dict:
    title = G["persons_title"]
    if not (tables.has("aktualisering", "person_id", GROUP_FIELD) and tables.has("person", "person_id")):
        return _unavailable(title, G)
    sexes = profile.values("juridiskt_kon")
    sex = pl.col("juridiskt_kon") if tables.has("person", "juridiskt_kon") else pl.lit(None, pl.String)
    # A person written twice counts by the first row (a deterministic choice; conflicts are PID-011's finding).
    person = tables["person"].select("person_id", sex=sex).unique("person_id", keep="first")
    codes = [g["code"] for g in groups if g["code"] != OTHER_GROUP]
    pairs = (tables["aktualisering"].filter(pl.col("person_id").is_not_null())
             .select("person_id", group=pl.col(GROUP_FIELD)).unique()
             .join(person, on="person_id", how="left")
             .with_columns(group=pl.when(pl.col("group").is_in(codes)).then("group").otherwise(pl.lit(OTHER_GROUP)),
                           sex=pl.when(pl.col("sex").is_in(sexes)).then("sex").otherwise(pl.lit(OTHER_GROUP))))
    per_pair, persons = pl.collect_all([pairs.group_by("group", "sex").len(),
                                        pairs.select(pl.col("person_id").n_unique())])
    counts = {(r["group"], r["sex"]): r["len"] for r in per_pair.iter_rows(named=True)}
    series = [{"label": s, "cls": f"s{i}"} for i, s in enumerate(sexes)]
    keys = list(sexes)
    if any(k[1] == OTHER_GROUP for k in counts):
        series.append({"label": G["sex_other"], "cls": f"s{len(sexes)}"})
        keys.append(OTHER_GROUP)
    shown_groups = [g for g in groups if g["code"] != OTHER_GROUP or any(k[0] == OTHER_GROUP for k in counts)]
    rows = [{"label": g["name"], "values": [_count_bar(counts.get((g["code"], k), 0), fmt) for k in keys]}
            for g in shown_groups]
    total = persons.item()
    return {"title": title, "caption": G["persons_caption"].format(n=fmt.count(total)),
            "svg": _bar_chart(rows, series), "legend": series}


def _median_days(tables, groups, fmt, G) -> dict:
    title = G["days_title"]
    from conform.values import parse_date

    if not (tables.has("aktualisering", "aktualisering_id", GROUP_FIELD, "datum_aktualisering")
            and tables.has("beslut", "beslut_id", "aktualisering_id", "datum_beslut")):
        return _unavailable(title, G)
    codes = [g["code"] for g in groups]
    # A key used twice counts by its first row: tables are read in file order.
    akt = (tables["aktualisering"].select("aktualisering_id", group=pl.col(GROUP_FIELD),
                                          d0=parse_date(pl.col("datum_aktualisering")))
           .unique("aktualisering_id", keep="first"))
    beslut = tables["beslut"].select("beslut_id", "aktualisering_id", d1=parse_date(pl.col("datum_beslut")))
    first = (beslut.join(akt, on="aktualisering_id", how="left")
             .select("group", days=(pl.col("d1") - pl.col("d0")).dt.total_days()))
    if tables.has("insats", "beslut_id", "datum_verkstallande"):
        decided = (beslut.unique("beslut_id", keep="first").join(akt, on="aktualisering_id", how="left")
                   .select("beslut_id", "group", "d1"))
        second = (tables["insats"].select("beslut_id", d2=parse_date(pl.col("datum_verkstallande")))
                  .join(decided, on="beslut_id", how="left")
                  .select("group", days=(pl.col("d2") - pl.col("d1")).dt.total_days()))
    else:
        second = first.clear()
    series = [{"label": G["days_decision"], "cls": "s0"}, {"label": G["days_execution"], "cls": "s1"}]
    aggregates = []
    for frame in (first, second):
        valid = frame.filter(pl.col("days").is_not_null() & (pl.col("days") >= 0))
        valid = valid.with_columns(group=pl.when(pl.col("group").is_in(codes)).then("group")
                                   .otherwise(pl.lit(OTHER_GROUP)))
        aggregates.append(valid.group_by("group").agg(median=pl.col("days").median(), n=pl.len()))
    stats = [{r["group"]: r for r in agg.iter_rows(named=True)} for agg in pl.collect_all(aggregates)]
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


def _not_executed(result: CheckResult, found_groups, groups, fmt, G) -> dict:
    codes = [r.code for r in result.rules if r.kind == "executed_within" and getattr(r.params, "mode", "") == "open"]
    title = G["open_title"].format(rule=", ".join(codes) or "–")
    if not codes:
        return _unavailable(title, G)
    found = (result.hits.filter(pl.col("rule").is_in(codes) & pl.col("row").is_not_null())
             .select("table", "row").unique().with_columns(pl.col("table").cast(pl.String)))
    per_group = found.join(found_groups, on=["table", "row"], how="left").fill_null(OTHER_GROUP) \
        .group_by("group").len()
    counts = dict(zip(per_group["group"].to_list(), per_group["len"].to_list()))
    rows = [{"label": g["name"], "values": [_count_bar(counts.get(g["code"], 0), fmt)]} for g in groups
            if g["code"] != OTHER_GROUP or counts.get(OTHER_GROUP)]
    series = [{"label": G["open_series"], "cls": "s3"}]
    return {"title": title, "caption": G["open_caption"].format(n=fmt.count(found.height)),
            "svg": _bar_chart(rows, series), "legend": []}


def _goal_attainment(profile: Profile, coverage: list[dict], fmt, G) -> list[dict]:
    """One chart per scale, from the value-set coverage's counts of the Måluppfyllelse set (not counted again)."""
    value_set = "maluppfyllelse"
    try:
        frame = profile.value_set(value_set)
    except Exception:  # noqa: BLE001 - a profile without the value set has no such chart
        return []
    counts = next((c["records_by_value"] for c in coverage if c["id"] == value_set and c["value_set"] == value_set),
                  {})
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
