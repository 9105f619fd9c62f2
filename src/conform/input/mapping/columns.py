"""Which columns of a file could hold a field, and how sure that is: a column's heading against the field's names
(:class:`conform.input.mapping.words.FieldNames`), and its sampled values against what the field holds
(person-IDs, dates, codes of a fixed form, ages, the values of its value set), read through the export's code
table where it has one. :class:`Drafter` holds the samples and scores; the functions below read a column's values
(date format, list delimiter, numbered groups).
"""

from __future__ import annotations

import re

import polars as pl

from conform.input.mapping.crosswalks import standard_for
from conform.input.mapping.hints import drafting_hints
from conform.input.mapping.proposals import Candidate, Drafted, Note, masked
from conform.input.mapping.spec import EXCEL_SERIAL, EXCEL_SERIAL_TEXT
from conform.input.mapping.words import FieldNames
from conform.profile import FieldSpec, Profile
from conform.vocabulary import ANSWERS, Lexicon, fold

DISTINCT_LIMIT = 200
RIVAL = 0.05            # a column this close in confidence to the chosen one makes the choice one to review
# Tried in this order, the first of equal fit winning: day before month where both could be read ("%d/%m/%Y" is
# Swedish and European usage, "%m/%d/%Y" American).
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y%m%d", "%y%m%d",
                "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M", "%Y/%m/%d", "%m/%d/%Y")
# Excel serial day numbers a date field may hold (1950 to 2099): five digits, never taken for dates but by a
# date field's heading (an ID column of five digits looks the same).
SERIALS = (18264, 73050)
# What separates several values in one cell, as systems write them: a character, a line break (a workbook cell
# with several lines), or a character with spaces around it, which stands apart from a value holding the bare
# character ("Utövar våld/övergrepp" is one value; "A / B" is two). The values decide which, never the order.
LIST_DELIMITERS = ("|", ";", ",", "/", "#", "+", "\n", " / ", " + ", " - ")
NUMBERED = re.compile(r"^(.*?)[\s_-]*(\d{1,2})$")
PERSON_ID = re.compile(r"^(\d{8}|\d{6})[-+]?\d{4}$")


class Drafter:
    """An export's sampled files, read and scored against the profile's fields; what every step of a draft asks
    of the columns."""

    def __init__(self, profile: Profile, samples: dict[str, pl.DataFrame], lexicon: Lexicon,
                 codes: dict[str, dict[str, str]] | None = None, code_sources: dict[str, str] | None = None):
        self.profile = profile
        self.samples = samples
        self.hints = drafting_hints(profile)
        self.vocab = FieldNames(profile, self.hints)
        self.key_fields = {spec.primary_key for spec in profile.tables.values()}
        self.lexicon = lexicon
        self.codes = codes or {}        # folded column heading -> {the system's code: its text}
        self.code_sources = code_sources or {}  # folded column heading -> the file or sheet its codes are from
        self._meaning: dict[tuple[str, str], str | None] = {}

    def code_table(self, columns: tuple[str, ...]) -> dict[str, str]:
        """The export's own code table for a column (or numbered group), if it has one."""
        for name in (stem(columns), *columns):
            if fold(name) in self.codes:
                return self.codes[fold(name)]
        return {}

    def code_source(self, columns: tuple[str, ...]) -> str | None:
        """The file or sheet the column's code table was read from."""
        return next((self.code_sources[fold(n)] for n in (stem(columns), *columns) if fold(n) in self.code_sources),
                    None)

    def read(self, sid: str, columns: tuple[str, ...]) -> pl.Series:
        """A column's (or numbered group's) sampled values as the system means them: codes read through its code
        table."""
        sample = self.samples[sid]
        values = pl.concat([sample[c] for c in columns]) if len(columns) > 1 else sample[columns[0]]
        codes = self.code_table(columns)
        return decoded(values, codes) if codes else values

    def aliases(self, spec: FieldSpec) -> dict[str, str]:
        """Other names of the field's standard values (drafting.yaml, ``aliases``): a target group's name and the
        standard's column heading for it -> its code."""
        if spec.value_set not in self.hints.aliases:
            return {}
        vs = self.profile.value_set(spec.value_set)
        return {n: k for column in self.hints.aliases[spec.value_set] if column in vs.columns
                for n, k in zip(vs[column].to_list(), vs[self.profile.value_column(spec.value_set)].to_list()) if n}

    def meaning(self, value: str, spec: FieldSpec, allowed: set[str]) -> str | None:
        """The standard value a value of the column most likely stands for, by the evidence a crosswalk would
        use (itself, the lexicon, a name, the same letters, shared words), for judging what a column holds; the
        crosswalks themselves are proposed under stricter guards (:func:`.crosswalks.crosswalk`)."""
        if (spec.name, value) not in self._meaning:
            found = standard_for(value, allowed, self.lexicon.of(spec.value_set or ""), self.aliases(spec))
            self._meaning[(spec.name, value)] = found[0] if found else None
        return self._meaning[(spec.name, value)]

    def known_share(self, texts: pl.Series, spec: FieldSpec, allowed: set[str]) -> float:
        """The share of the cells (of their items, split the best way, for a multi-valued field) whose values
        mean a standard value; the most common distinct values decide."""
        best = 0.0
        for delimiter in (None, *(LIST_DELIMITERS if spec.is_list else ())):
            if delimiter is not None and not texts.str.contains(delimiter, literal=True).any():
                continue
            items = texts if delimiter is None else texts.str.split(delimiter).explode().str.strip_chars()
            if items.n_unique() > DISTINCT_LIMIT:  # free text, IDs or dates: no value set is this large
                continue
            common = items.value_counts(sort=True).head(50)
            known = sum(n for v, n in common.iter_rows() if v and self.meaning(v, spec, allowed) is not None)
            best = max(best, known / max(items.len(), 1))
        return best

    def meanings(self, values: pl.Series, spec: FieldSpec) -> set[str]:
        """The standard values a column's common values mean, besides a bare ja or nej (which half the columns
        of an export could hold: "Tolk behövs", "Skyddad identitet")."""
        allowed = self.allowed(spec)
        common = values.drop_nulls().value_counts(sort=True).head(50)
        found = {self.meaning(v, spec, allowed) for v, _ in common.iter_rows()
                 if v and fold(v) not in ANSWERS}
        return found - {None}

    def allowed(self, spec: FieldSpec) -> set[str]:
        """The standard values of the field, with the other codes a code field takes (drafting.yaml)."""
        if not spec.value_set:
            return set()
        column = self.profile.field_value_column(spec.name, spec.value_set)
        values = set(self.profile.value_set(spec.value_set)[column].drop_nulls().to_list())
        code = self.hints.codes.get(spec.name)
        if code is not None and code.other_codes:
            values |= set(self.profile.values(code.other_codes))
        return values

    def content_score(self, values: pl.Series, spec: FieldSpec) -> tuple[float, Note]:
        """How well a column's values fit the field (0-1), and the note that says why."""
        texts = values.drop_nulls()
        if texts.is_empty():
            return 0.3, Note("content_none")
        if spec.name == self.hints.person_id:
            return float(texts.str.contains(PERSON_ID.pattern).mean()), Note("content_person_ids")
        if spec.type == "date":
            fmt, share = best_format(texts)
            serials = serial_share(texts)
            if serials > share:
                return serials, Note("content_dates", {"format": EXCEL_SERIAL})
            return share, Note("content_dates", {"format": fmt})
        if spec.name == self.hints.age:
            ages = texts.cast(pl.Int64, strict=False)
            return float(((ages >= 0) & (ages <= 130)).fill_null(False).mean()), Note("content_ages")
        code = self.hints.codes.get(spec.name)
        if code is not None:
            return float(texts.str.contains(code.pattern).mean()), Note(code.note)
        if spec.name in self.key_fields and best_format(texts)[1] >= 0.9:
            return 0.0, Note("content_dates_no_ids")   # "Aktualiserad" is no aktualisering's ID
        allowed = self.allowed(spec)
        if allowed:
            share = self.known_share(texts, spec, allowed)
            return share, Note("content_standard" if share > 0.5 else "content_few_standard")
        return 0.5, Note("content_untyped")

    def candidates(self, source_id: str, table: str, spec: FieldSpec) -> list[Candidate]:
        """The columns (or numbered groups) of a file that could hold the field, surest first."""
        sample = self.samples[source_id]
        found = []
        texts = [c for c, t in sample.schema.items() if t == pl.String]  # not the reader's row numbers
        for columns in column_options(texts, spec.is_list):
            heading = self.vocab.heading_score(stem(columns), table, spec.name)
            if heading < 0.45 and not self.telling(spec):
                continue
            values = self.read(source_id, columns)
            content, why = self.content_score(values, spec)
            if sample.height == 0:  # a file with headings only: they are all there is to go by
                confidence, key_ = round(0.9 * heading, 2), "column"
            elif heading < 0.45:
                # A heading conform does not know, but values only this field holds: proposed for review.
                if content < 0.9 or (spec.value_set and len(self.meanings(values, spec)) < 2):
                    continue
                confidence, key_ = round(0.6 * content, 2), "column_by_content"
            else:
                confidence, key_ = round(0.6 * heading + 0.4 * content, 2), "column"
            found.append(Candidate(columns, confidence, Note(key_, {
                "heading": masked(stem(columns)), "table": table, "field": spec.name, "score": heading,
                "content": why, "share": content})))
        return sorted(found, key=lambda c: -c.confidence)

    def rivals(self, sid: str, chosen: Drafted, other: Candidate) -> bool:
        """Whether another column is about as likely to hold the field as the chosen one: within :data:`RIVAL`
        of its confidence and of the same kind (a date column is no rival for an ID); or, for a value set,
        holding the standard's own values where the chosen one needs crosswalks."""
        def dates(columns: tuple[str, ...]) -> bool:
            return best_format(self.read(sid, columns))[1] >= 0.9

        if chosen.confidence - other.confidence <= RIVAL:
            if chosen.spec.value_set and other.why.params.get("share", 1.0) < 0.5:
                return False  # an insats ID column is no rival for the insats name: its values are none
            return chosen.spec.type == "date" or dates(other.columns) == dates(chosen.columns)
        allowed = self.allowed(chosen.spec)
        if not allowed or chosen.spec.is_list:
            return False

        def standard(columns: tuple[str, ...]) -> float:
            values = self.read(sid, columns).drop_nulls()
            return float(values.is_in(list(allowed)).mean()) if values.len() else 0.0

        return standard(other.columns) >= 0.9 and standard(chosen.columns) < 0.5

    def telling(self, spec: FieldSpec) -> bool:
        """Whether a column's values alone can tell that it holds the field: person-IDs, codes of a fixed form and
        the values of a value set do; dates, IDs and ages look alike in every column that holds them."""
        return spec.name == self.hints.person_id or spec.name in self.hints.codes or \
            (bool(spec.value_set) and spec.type != "date")


def serial_share(values: pl.Series) -> float:
    """The share of the values that are Excel serial day numbers of a plausible date (:data:`SERIALS`)."""
    texts = values.drop_nulls()
    if texts.is_empty():
        return 0.0
    days = texts.str.extract(EXCEL_SERIAL_TEXT).cast(pl.Int64)
    return float(days.is_between(*SERIALS).fill_null(False).mean())


def best_format(values: pl.Series) -> tuple[str | None, float]:
    """The date format (of :data:`DATE_FORMATS`) most of the values are written in, and the share they are."""
    texts = values.drop_nulls()
    if texts.is_empty():
        return None, 0.0
    scores = {fmt: float(texts.str.to_datetime(fmt, strict=False, exact=True).is_not_null().mean())
              for fmt in DATE_FORMATS}
    fmt = max(DATE_FORMATS, key=lambda f: scores[f])  # ties go to the earlier, more usual format
    return fmt, scores[fmt]


def split_best(values: pl.Series, allowed: set[str]) -> tuple[str | None, float]:
    """The delimiter that splits the cells into the most standard values (None: one value per cell)."""
    texts = values.drop_nulls()
    if texts.is_empty():
        return None, 0.0
    best, share = None, float(texts.is_in(list(allowed)).mean())
    for d in LIST_DELIMITERS:
        if not texts.str.contains(d, literal=True).any():
            continue
        if any(d in v for v in allowed):
            continue
        items = texts.str.split(d).explode().str.strip_chars()
        s = float(items.is_in(list(allowed)).mean())
        if s > share + 0.05 or (best is None and s >= share and texts.str.contains(d, literal=True).mean() > 0.2):
            best, share = d, s
    return best, share


def decoded(values: pl.Series, codes: dict[str, str]) -> pl.Series:
    """A coded column read as its texts (each item of a multi-valued cell); codes not in the table as written."""
    old, new = list(codes), list(codes.values())
    for d in LIST_DELIMITERS:
        if values.str.contains(d, literal=True).any():
            return values.str.split(d).list.eval(pl.element().str.strip_chars().replace(old, new)).list.join(d)
    return values.str.strip_chars().replace(old, new)


def stem(columns: tuple[str, ...]) -> str:
    """The heading of a column, or the common heading of a numbered group ("Orsak 1", "Orsak 2": "Orsak")."""
    if len(columns) == 1:
        return columns[0]
    m = NUMBERED.match(columns[0])
    return m.group(1) if m else columns[0]


def column_options(headers: list[str], is_list: bool) -> list[tuple[str, ...]]:
    """Every column alone, and for a multi-valued field also every numbered group of columns."""
    options = [(h,) for h in headers]
    if is_list:
        groups: dict[str, list[str]] = {}
        for h in headers:
            m = NUMBERED.match(h)
            if m and m.group(1).strip():
                groups.setdefault(m.group(1).strip(), []).append(h)
        options += [tuple(g) for g in groups.values() if len(g) > 1]
    return options
