"""Value-set coverage for the HTML report: which standard values an export shows, which it never does, and
which non-standard values it holds, each with the closest standard value where one can be named."""

from __future__ import annotations

import polars as pl

from conform import personnummer

from conform.profile import Profile
from conform.render.formatting import Formatter
from conform.render.tables import Tables
from conform.vocabulary import closest, profile_lexicon

NONSTANDARD_SHOWN = 25


def value_set_coverage(profile: Profile, tables: Tables, fmt: Formatter, L: dict) -> list[dict]:
    """Per information set and value set: the standard values the export shows (with counts), those it never
    shows, and the values it holds that are not in the standard, each with the closest standard value."""
    entries: dict[tuple, list[tuple[str, str]]] = {}
    for table, spec in profile.tables.items():
        for f in spec.fields:
            if f.value_set:
                key = (f.information_set or f.name, f.value_set, profile.field_value_column(f.name, f.value_set))
                entries.setdefault(key, []).append((table, f.name))
    per_set = {}
    for set_id, *_ in entries:
        per_set[set_id] = per_set.get(set_id, 0) + 1
    order = {s.id: s.order for s in profile.information_sets}
    out = []
    ordered = sorted(entries.items(), key=lambda e: order.get(e[0][0], 99))
    # Every field's values counted in one pass over the tables.
    observations = pl.collect_all([observed_values(profile, tables, fields) for _, fields in ordered])
    for ((set_id, value_set, column), fields), observed in zip(ordered, observations):
        frame = profile.value_set(value_set)
        standard = list(dict.fromkeys(v for v in frame[column].to_list() if v))
        counts = dict(zip(observed["value"].to_list(), observed["records"].to_list()))
        # The lexicon translates into the value set's own values (for målgrupp its codes), not into other columns.
        known = profile_lexicon(profile).of(value_set) if column == profile.value_column(value_set) else {}
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
            match, basis = closest(value, standard, known, profile.list_delimiter, codes=column == "kod")
            # A value outside the set may be anything a broken line shifted there, a person-ID included.
            nonstandard.append({"value": personnummer.mask_text(value), "count": fmt.int(n), "closest": match or "",
                                "basis": L["closest_basis"][basis] if basis else ""})
        read = any(tables.has(t, f) for t, f in fields)
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
            "records_by_value": counts,  # unformatted, for the charts drawn from the same counts
        })
    return out


def observed_values(profile: Profile, tables: Tables, fields: list[tuple[str, str]]) -> pl.LazyFrame:
    """(value, records): how many records hold each value, over the given fields, list items counted apiece
    (an item repeated within one record counts once)."""
    frames = []
    for table, name in fields:
        if not tables.has(table, name):
            continue
        raw = pl.col(name)
        if profile.tables[table].field(name).is_list:
            frame = tables[table].select(value=raw.str.split(profile.list_delimiter).list.unique()).explode("value")
        else:
            frame = tables[table].select(value=raw)
        frames.append(frame.filter(pl.col("value").is_not_null() & (pl.col("value") != "")))
    if not frames:
        return pl.LazyFrame(schema={"value": pl.String, "records": pl.UInt32})
    return pl.concat(frames).group_by("value").len("records")
