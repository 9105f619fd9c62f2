"""The follow-up figures of the HTML report, laid out as plain data for inline SVG bar charts: records per
target group and juridiskt kön, median days between the steps, decisions not executed in time, Måluppfyllelse.
The figures are the check's (conform.result.figures, `figures.follow_up` of the result); here they are only laid out.
Counts under five are suppressed (no bar is drawn), as Swedish official statistics do."""

from __future__ import annotations

from conform.formatting import SUPPRESS_BELOW, Formatter
from conform.profile import Profile
from conform.result.figures import OTHER_GROUP

# Chart geometry, in SVG user units (the page scales them: 640 units is the A4 text width).
CHART_WIDTH = 640
BAR_HEIGHT = 13
BAR_GAP = 2
ROW_GAP = 10
VALUE_WIDTH = 72
CHAR_WIDTH = 6.4


def follow_up_charts(profile: Profile, figures: dict, groups: list[dict], coverage: list[dict], fmt: Formatter,
                     L: dict) -> list[dict]:
    """`groups`: the target groups as the report names them; `coverage`: the report's value-set coverage."""
    G = L["charts"]
    follow_up = figures["follow_up"]
    charts = [
        _persons_by_group_and_sex(follow_up["persons"], groups, fmt, G),
        _median_days(follow_up["days"], groups, fmt, G),
        _not_executed(follow_up["open"], groups, fmt, G),
    ]
    charts += _goal_attainment(profile, coverage, fmt, G)
    return charts


def _unavailable(title: str, G: dict) -> dict:
    return {"title": title, "caption": G["unavailable"], "svg": None, "legend": []}


def _persons_by_group_and_sex(persons: dict | None, groups: list[dict], fmt: Formatter, G: dict) -> dict:
    title = G["persons_title"]
    if persons is None:
        return _unavailable(title, G)
    sexes = persons["sexes"]
    counts = {(r["group"], r["sex"]): r["persons"] for r in persons["counts"]}
    series = [{"label": s, "cls": f"s{i}"} for i, s in enumerate(sexes)]
    keys = list(sexes)
    if any(k[1] == OTHER_GROUP for k in counts):
        series.append({"label": G["sex_other"], "cls": f"s{len(sexes)}"})
        keys.append(OTHER_GROUP)
    shown_groups = [g for g in groups if g["code"] != OTHER_GROUP or any(k[0] == OTHER_GROUP for k in counts)]
    rows = [{"label": g["name"], "values": [_count_bar(counts.get((g["code"], k), 0), fmt) for k in keys]}
            for g in shown_groups]
    return {"title": title, "caption": G["persons_caption"].format(n=fmt.count(persons["persons"])),
            "svg": _bar_chart(rows, series), "legend": series}


def _median_days(days: dict | None, groups: list[dict], fmt: Formatter, G: dict) -> dict:
    title = G["days_title"]
    if days is None:
        return _unavailable(title, G)
    series = [{"label": G["days_decision"], "cls": "s0"}, {"label": G["days_execution"], "cls": "s1"}]
    stats = [{r["group"]: r for r in days[step]} for step in ("decision", "execution")]
    rows = []
    for g in groups:
        values = []
        for per_group in stats:
            s = per_group.get(g["code"])
            if s is None:
                values.append({"value": None, "text": "–", "draw": False})
            elif s["pairs"] < SUPPRESS_BELOW:
                values.append({"value": None, "text": f"<{SUPPRESS_BELOW}", "draw": False})
            else:
                values.append({"value": float(s["median"]), "text": G["days_unit"].format(d=fmt.days(s["median"])),
                               "draw": True})
        if g["code"] != OTHER_GROUP or any(v["text"] != "–" for v in values):
            rows.append({"label": g["name"], "values": values})
    return {"title": title, "caption": G["days_caption"], "svg": _bar_chart(rows, series), "legend": series}


def _not_executed(open_: dict, groups: list[dict], fmt: Formatter, G: dict) -> dict:
    title = G["open_title"].format(rule=", ".join(open_["rules"]) or "–")
    if not open_["rules"]:
        return _unavailable(title, G)
    counts = {r["group"]: r["records"] for r in open_["counts"]}
    rows = [{"label": g["name"], "values": [_count_bar(counts.get(g["code"], 0), fmt)]} for g in groups
            if g["code"] != OTHER_GROUP or counts.get(OTHER_GROUP)]
    series = [{"label": G["open_series"], "cls": "s3"}]
    return {"title": title, "caption": G["open_caption"].format(n=fmt.count(open_["records"])),
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
