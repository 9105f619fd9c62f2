"""The export's own code table, where it has one: a file or sheet that gives, per coded column, each code and its
text. Many systems export one beside coded data; it is the system's own word for what a code means, so a draft
reads coded columns through it and its crosswalks are no guesses.

It is found by its headings where they say what it is (:data:`CODE_TABLE_COLUMNS`), and otherwise by its rows,
whatever its headings: a small file of (group, code, text) rows whose groups name columns of the other files,
as a system's abbreviations do ("AKTTYP" names AKT_TYP, "TIDKONT" TIDIG_KONT). A group that could name two
columns names neither: its codes are left, and the draft says what it could not read.
"""

from __future__ import annotations

import re

import polars as pl

from conform.vocabulary import fold

CONFLICT = "\0"         # a code table's text for a code it gives two different texts
# Headings of a code table (the system's codes with their texts, per column), folded.
CODE_TABLE_COLUMNS = {
    "column": {"falt", "variabel", "kolumn", "attribut", "field", "variable", "column"},
    "code": {"kod", "kodvarde", "varde", "code", "value"},
    "text": {"text", "klartext", "benamning", "beskrivning", "namn", "label", "description", "name"},
}


# A code table is small: a file with more rows is data, and is not read whole to find out.
MOST_ROWS = 5000
GROUPS_NAMED = 2        # groups that must name another file's column for a file to be read as a code table
CODES_AT_MOST = 100     # distinct codes a coded column holds at most
FITTING = 0.9           # share of a column's distinct tokens that must be a group's codes (the rest: data errors)


def read_code_table(frames: dict[str, pl.LazyFrame]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(folded column heading -> the source id it was read from, folded column heading -> {code: text}): from the
    first file or sheet with a column naming the coded column, one with the code and one with its text
    (:data:`CODE_TABLE_COLUMNS`), else from the file whose rows are such a table (:func:`_by_rows`); and from
    small files of one code list each, named as the column they explain (:func:`_per_list`)."""
    headings = {sid: frame.collect_schema().names() for sid, frame in frames.items()}
    source, codes = None, {}
    for sid, frame in frames.items():
        roles = {role: next((h for h in headings[sid] if fold(h) in names), None)
                 for role, names in CODE_TABLE_COLUMNS.items()}
        if None in roles.values():
            continue
        codes = _codes(frame.select(*(pl.col(roles[r]).str.strip_chars() for r in ("column", "code", "text")))
                       .collect())
        if codes:
            source = sid
            break
    if source is None:
        source, codes = _by_rows(frames, headings)
    sources = dict.fromkeys(codes, source)
    for sid, (heading, listed) in _per_list(frames, headings, source).items():
        if heading not in codes:
            codes[heading], sources[heading] = listed, sid
    return sources, codes


# Words of a code list file's name that say it is one (kodlista_KON.csv, KON_koder.txt), folded.
LIST_WORDS = {"kod", "koder", "kodlista", "kodtabell", "kodverk", "code", "codes", "codelist", "lista", "list",
              "lookup", "ref", "referens"}
LIST_ROWS_AT_MOST = 500
CODE_LENGTH_AT_MOST = 6  # characters of a code list's codes, on average


def _per_list(frames: dict[str, pl.LazyFrame], headings: dict[str, list[str]], taken: str | None) \
        -> dict[str, tuple[str, dict[str, str]]]:
    """Source id -> (folded heading, {code: text}) of each small file of two to four columns named as a column of
    another file (its name, less words such as "kodlista": :data:`LIST_WORDS`), whose codes that column holds."""
    found = {}
    for sid, frame in frames.items():
        own = [h for h in headings[sid] if not h.startswith("__")]
        if sid == taken or not 2 <= len(own) <= 4:
            continue
        stem = re.sub(r"\.[^.]*$", "", sid.rsplit(":", 1)[-1].rsplit("/", 1)[-1])
        words = [w for w in fold(stem, " ").split() if w not in LIST_WORDS]
        if not words:
            continue
        others = {h: other for other, names in headings.items() if other != sid for h in names
                  if not h.startswith("__")}
        wanted = "".join(words)
        heading = next((h for h in others if fold(h) == wanted), None) or _column_named(wanted, sorted(others))
        if heading is None:
            continue
        rows = frame.head(LIST_ROWS_AT_MOST + 1).select(own).collect()
        if not 2 <= rows.height <= LIST_ROWS_AT_MOST:
            continue
        held = _held(frames, {heading: others[heading]}).get(heading, set())
        lengths = {c: rows[c].str.len_chars().mean() or 0 for c in own}
        # A code is short (a record's ID is not: a small table of records is no code list, however named).
        fitting = [c for c in own if held and lengths[c] <= CODE_LENGTH_AT_MOST
                   and rows[c].drop_nulls().is_unique().all()
                   and len(held & set(rows[c].drop_nulls())) >= FITTING * len(held)]
        if not fitting:
            continue
        code = min(fitting, key=lambda c: lengths[c])
        texts = [c for c in own if c != code and lengths[c] > lengths[code]]
        if texts:
            text = max(texts, key=lambda c: lengths[c])
            listed = _codes(rows.select(pl.lit(heading), *(pl.col(c).str.strip_chars() for c in (code, text))))
            found[sid] = (fold(heading), listed.get(fold(heading), {}))
    return found


def _by_rows(frames: dict[str, pl.LazyFrame], headings: dict[str, list[str]]) \
        -> tuple[str | None, dict[str, dict[str, str]]]:
    """The file of (group, code, text) rows whose groups name most columns of the other files: the group column
    with at least GROUPS_NAMED such groups; the code column whose codes the named columns hold; the text column
    the longest of the rest. Each group's codes are keyed by the heading it names."""
    best: tuple[int, str, dict[str, dict[str, str]]] | None = None
    for sid, frame in frames.items():
        if len(headings[sid]) < 3:
            continue
        rows = frame.head(MOST_ROWS + 1).select(pl.exclude(r"^__.*$")).collect()
        if not 2 <= rows.height <= MOST_ROWS:
            continue
        others = {h: other for other, names in headings.items() if other != sid for h in names
                  if not h.startswith("__")}  # not the reader's row numbers
        for group in rows.columns:
            groups = rows[group].drop_nulls().str.strip_chars().unique().sort().to_list()
            exact = {g: h for g in groups for h in others if fold(h) == fold(g)}
            # A heading a group names by its very letters is that group's, never another's by a part of it.
            free = sorted(h for h in others if h not in exact.values())
            named = exact | {g: h for g in groups if g not in exact for h in [_column_named(g, free)] if h}
            if len(named) < GROUPS_NAMED or (best and len(named) <= best[0]):
                continue
            held = _held(frames, others)
            roles = _code_and_text(rows, group, {g: held.get(h, set()) for g, h in named.items()})
            if roles is None:
                continue
            table = rows.select(pl.col(group).str.strip_chars(), *(pl.col(c).str.strip_chars() for c in roles))
            codes = _codes(table)
            by_heading = {fold(h): codes[fold(g)] for g, h in named.items() if fold(g) in codes}
            # A list several columns share ("ORSAK" for the aktualisering's causes and the beslut's problems):
            # a column no group names whose codes are nearly all (FITTING) of one group's, and of no other's.
            for heading, tokens in held.items():
                fitting = [g for g, c in codes.items() if len(tokens) >= 2 and len(tokens & set(c)) >= 2
                           and len(tokens & set(c)) >= FITTING * len(tokens)]
                if fold(heading) not in by_heading and heading not in named.values() and len(fitting) == 1:
                    by_heading[fold(heading)] = codes[fitting[0]]
            best = (len(named), sid, by_heading)
    return (best[1], best[2]) if best else (None, {})


def _held(frames: dict[str, pl.LazyFrame], where: dict[str, str]) -> dict[str, set[str]]:
    """The tokens (runs of letters and digits: the items of a list cell too) of the first rows of each column of
    the other files, for a column of few distinct tokens (a coded column; an ID or a date column has many)."""
    held = {}
    for sid in dict.fromkeys(where.values()):
        columns = [h for h, s in where.items() if s == sid]
        sample = frames[sid].select(columns).head(MOST_ROWS).collect()
        for column in columns:
            tokens = sample[column].drop_nulls().str.extract_all(r"[0-9A-Za-zÅÄÖåäö]+").explode().drop_nulls()
            if 0 < tokens.n_unique() <= CODES_AT_MOST:
                held[column] = set(tokens)
    return held


def _code_and_text(rows: pl.DataFrame, group: str, held: dict[str, set[str]]) -> tuple[str, str] | None:
    """(code column, text column) of a code table grouped by `group`: the code is unique within its group, and
    of such columns the one whose codes the most named columns hold (`held`: group -> the tokens its column
    holds); the text is the longest column of the rest that is mostly filled, and longer than the code."""
    filled = [c for c in rows.columns if c != group and rows[c].null_count() < rows.height / 2]
    lengths = {c: rows[c].str.len_chars().mean() or 0 for c in filled}
    unique = [c for c in filled if rows.select(group, c).drop_nulls().is_unique().all()]
    by_group = {c: {g: set(part[c].drop_nulls()) for (g,), part in rows.partition_by(group, as_dict=True).items()}
                for c in unique}
    # A column holds its group's codes where most of the tokens it holds are codes of the group.
    fits = {c: sum(1 for g, tokens in held.items() if tokens and len(tokens & by_group[c].get(g, set()))
                   > len(tokens) / 2) for c in unique}
    for code in sorted(unique, key=lambda c: (-fits[c], lengths[c])):
        texts = [c for c in filled if c != code and lengths[c] > lengths[code]]
        if texts and fits[code]:
            return code, max(texts, key=lambda c: lengths[c])
    return None


def _column_named(group: str, headings: list[str]) -> str | None:
    """The one heading a code table's group names by a part of it: the group's letters in the heading's order
    from its first ("TIDKONT" in TIDIG_KONT), or a part of the heading (3 letters or more) that begins it ("ORS"
    of AKT_ORS for "ORSAK"); None where it names no heading or more than one."""
    wanted = fold(group)
    near = {fold(h): h for h in headings if _in_order(wanted, fold(h)) or any(
        len(part) >= 3 and wanted.startswith(part) for part in re.split(r"[^a-z0-9]+", fold(h, " ")))}
    return next(iter(near.values())) if len(near) == 1 else None


def _in_order(short: str, long: str) -> bool:
    """Whether `short` (3 letters or more) is `long`'s first letter followed by more of its letters in order."""
    if len(short) < 3 or not long.startswith(short[0]):
        return False
    rest = iter(long[1:])
    return all(letter in rest for letter in short[1:])


def _codes(rows: pl.DataFrame) -> dict[str, dict[str, str]]:
    """Folded group -> {code: text} from (group, code, text) rows."""
    codes: dict[str, dict[str, str]] = {}
    conflicting: set[tuple[str, str]] = set()
    for column, code, text in rows.iter_rows():
        if column and code and text:
            said = codes.setdefault(fold(column), {}).setdefault(code, text)
            if fold(said) != fold(text):
                conflicting.add((fold(column), code))
    # A code the table gives two texts (per table, or by mistake) means neither for sure: left for a person.
    for column, code in conflicting:
        codes[column][code] = CONFLICT
    return codes
