"""`conform init-mapping`: a first draft of a mapping for an export conform has never seen, for a person to review.

Every guess is scored and written with its confidence (0-1); anything below :data:`REVIEW_BELOW` is marked
``REVIEW``, and what could not be mapped at all is listed under ``unmapped``. Nothing is guessed silently.

How a column is matched to a field: its heading against the field's names (the field id, the spec's name of the
information set, the field title, and the vendor headings in the profile's ``headings.yaml``), ignoring case,
accents, spaces and punctuation; and its values against what the field holds (person-IDs, dates, KSI codes,
ages, value-set values). A table is read from the file or sheet whose columns match its fields best; a wide file
may hold several. A table whose file has no ID column gets a key derived from the columns that identify its
records (the parent's key plus its own dates and codes).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from conform import __version__, clock
from conform.input import readers
from conform.input.mapping.apply import source_ids
from conform.personnummer import mask_text
from conform.profile import FieldSpec, Profile
from conform.formatting import decimal_text
from conform.catalogue import labels
from conform.vocabulary import (ANSWERS, NEGATIONS, Entry, Lexicon, adds_claim, closest, key, opposite, plain,
                                profile_lexicon)

SAMPLE_ROWS = 5000
DISTINCT_LIMIT = 200
ACCEPT = 0.5
RARE = 0.02             # a value below this share of its column is no vocabulary to crosswalk
BASIS_CONFIDENCE = {"lexicon": 0.95, "case": 0.95, "contains": 0.75, "words": 0.7, "spelling": 0.5}
REVIEW_BELOW = 0.8
RIVAL = 0.05            # a column this close in confidence to the chosen one makes the choice one to review
# Spelling alone proposes a crosswalk only this close (difflib's ratio): "Anmälen" for Anmälan, not "Boende
# akut" for Boendestöd. A looser guess is a defect turned into a pass once a hurried reviewer accepts it.
SPELLING_BAR = 0.85
LINKED = 0.9             # the share of a child's links found among the parent's keys, in the samples
KEY_SHARE = 0.98        # the share of a file's rows a column must fill with distinct values to be taken for its key
SAMPLES = 5             # the values a review page shows of a column
CONFLICT = "\0"         # a code table's text for a code it gives two different texts
SAME_CODE = 0.98        # the share of a local insats name's rows that must carry one KSI code for the code to decide
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d",
                "%m/%d/%Y")
LIST_DELIMITERS = ("|", ";", ",", "/")
NUMBERED = re.compile(r"^(.*?)[\s_-]*(\d{1,2})$")
PERSON_ID = re.compile(r"^(\d{8}|\d{6})[-+]?\d{4}$")
KSI = re.compile(r"^YA[A-E]\.\d{2}\.[A-Z0-9]{2}$")
TABLE_WORDS = ("aktualisering", "beslut", "insats", "uppfoljning")  # tables a heading may name (folded)
# What identifies a record of each table besides its parent's key, for keys derived in a file without IDs.
IDENTIFYING = {"aktualisering": ("person_id", "malgrupp", "datum_aktualisering"), "beslut": ("datum_beslut",),
               "insats": ("insats_kod", "insats", "datum_verkstallande"), "uppfoljning": ("datum_uppfoljning",)}


# Words too common to tell two values or headings apart.
STOPWORDS = {"och", "i", "av", "for", "pa", "med", "att", "det", "som", "till", "el", "eller", "den", "har", "en",
             "ett", "hos", "om", "of", "the", "and", "on", "at", "to", "no", "nr"}
# Headings of a code table (the system's codes with their texts, per column), folded.
CODE_TABLE_COLUMNS = {
    "column": {"falt", "variabel", "kolumn", "attribut", "field", "variable", "column"},
    "code": {"kod", "kodvarde", "varde", "code", "value"},
    "text": {"text", "klartext", "benamning", "beskrivning", "namn", "label", "description", "name"},
}
# Words that make a heading about another date or another person than the record's own (folded, matched as a
# part of a heading's word): a column so named is never taken by its heading for a field whose names lack them.
QUALIFIERS = ("planer", "planned", "berakn", "expected", "forvant", "nasta", "next", "onskad", "vardnadshavar",
              "foralder", "foraldr", "anhorig", "narstaend", "guardian", "relative", "handlaggar", "caseworker")
BIRTH = ("fodelsedat", "fodd", "birth", "dob")   # a date column about the person, never a step of the case
CAMEL = re.compile(r"(?<=[a-zåäö])(?=[A-ZÅÄÖ])|(?<=[A-ZÅÄÖ])(?=[A-ZÅÄÖ][a-zåäö])")


@lru_cache(maxsize=1 << 16)   # the same headings and values are folded again and again, for every field
def fold(text: str) -> str:
    """Lower case, no accents, letters and digits only: "Datum för beslut" -> "datumforbeslut"."""
    return re.sub(r"[^0-9a-z]", "", plain(text))


@dataclass
class Note:
    """One piece of the draft's evidence, kept as a catalogue key and its parameters (labels.yaml, `draft`) so
    that the YAML's comments and a Swedish review page word it from the same facts. Values quoted from the export
    are masked before they get here; a parameter that is a Note is worded in the same language."""
    key: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "en", names: dict[str, str] | None = None) -> str:
        """The note in `lang`; `names` ("table.field" -> the standard's name, table -> its noun) word the field
        for a reader, where the YAML names it by its id."""
        params = {k: v.text(lang, names) if isinstance(v, Note) else _Number(v) if lang == "sv" and
                  isinstance(v, float) else v for k, v in self.params.items()}
        names = names or {}
        if "field" in params:
            table, name = params.get("table", ""), params["field"]
            params["field"] = names.get(f"{table}.{name}", name)
            params["where"] = f"{params['field']} ({names[table]})" if table in names else \
                f"{table}.{name}" if table else name
        for noun in ("table", "parent"):
            if noun in params:
                params[noun] = names.get(params[noun], params[noun])
        return labels(lang)["draft"][self.key].format(**params)


class _Number(float):
    """A score or share worded the Swedish way: "0,85", "85 %"."""

    def __format__(self, spec: str) -> str:
        return decimal_text(float(self), spec, "sv")


@dataclass
class Candidate:
    columns: tuple[str, ...]     # one column, or a numbered group for a multi-valued field
    confidence: float
    why: Note


@dataclass
class Crosswalk:
    standard: str
    confidence: float
    basis: Note
    records: int                 # the sampled records (items, in a multi-valued field) that hold the local value


@dataclass
class Drafted:
    spec: FieldSpec
    columns: tuple[str, ...] = ()
    derive: tuple[str, ...] = ()
    confidence: float = 0.0
    why: Note | None = None
    date_format: str | None = None
    delimiter: str | None = None
    values: dict[str, Crosswalk] = field(default_factory=dict)  # local value -> its proposed standard value
    alternatives: list[Candidate] = field(default_factory=list)  # the other columns that could hold the field
    samples: list[tuple[str, int]] = field(default_factory=list)  # (value, records) of the column, masked


@dataclass
class Draft:
    """Everything `init-mapping` found: the plan per table (source id, fields) and what it could not map."""
    export: Path
    profile: Profile
    plan: dict[str, tuple[str, dict[str, Drafted]]]
    unmapped: list[Note]


@lru_cache(maxsize=1 << 16)
def words(text: str) -> frozenset[str]:
    """The words of a value or heading that carry meaning, folded: "ReferralNo" and "Referral no." -> {referral}."""
    return frozenset(w for w in (fold(t) for t in re.split(r"[^\w]+|_", CAMEL.sub(" ", text)))
                     if len(w) >= 3 and w not in STOPWORDS)


def related(a: str, b: str) -> bool:
    """Two folded words of a value with one meaning: equal, or sharing a beginning of 5 letters ("kvinnor",
    "kvinna"), or one an abbreviation of 3 letters or more of the other ("utanf", "utanfor")."""
    prefix = len(os.path.commonprefix([a, b]))
    return a == b or prefix >= 5 or (prefix >= 3 and prefix == min(len(a), len(b)))


def _same_heading_word(a: str, b: str) -> bool:
    """A heading's word and a name's: equal, or one the other with an ending ("beslutad", "beslut"), or sharing
    a beginning of 5 letters with short endings ("uppfoljd", "uppfoljning" no: "Beslutsfattare" is no date).
    A three-letter word abbreviates too much: "kon" would name every "Kontakt..."."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3:
        return True
    prefix = len(os.path.commonprefix([a, b]))
    return prefix >= 5 and len(a) - prefix <= 3 and len(b) - prefix <= 3


class Vocabulary:
    """The names a profile's fields go by, folded for comparison."""

    def __init__(self, profile: Profile):
        extra = yaml.safe_load((profile.path / "headings.yaml").read_text(encoding="utf-8")) \
            if (profile.path / "headings.yaml").is_file() else {}
        sets = {s.id: s.name for s in profile.information_sets}
        self.names: dict[str, set[str]] = {}
        self.words: dict[str, list[set[str]]] = {}
        for spec in profile.tables.values():
            for f in spec.fields:
                names = {f.name.replace("_", " "), f.title, *(extra.get(f.name) or [])}
                if f.information_set:
                    names.add(sets[f.information_set])
                self.names.setdefault(f.name, set()).update(fold(n) for n in names if fold(n))
                self.words.setdefault(f.name, []).extend(w for w in map(words, names) if w)

    def heading_score(self, heading: str, table: str, field_name: str) -> float:
        h = fold(heading)
        if not h:
            return 0.0
        best = 0.0
        for name in self.names.get(field_name, ()):
            if h == name:
                score = 1.0
            elif len(name) >= 4 and (name in h or (len(h) >= 4 and h in name)):
                score = 0.85
            else:
                score = difflib.SequenceMatcher(None, h, name).ratio() * 0.75
            best = max(best, score)
        # Word by word, in any order: "FollowUpNo" for "follow up id".
        mine = words(heading)
        for name in self.words.get(field_name, ()) if mine else ():
            shared = sum(1 for w in name if any(_same_heading_word(w, m) for m in mine))
            best = max(best, 0.9 * shared / max(len(name), len(mine)))
        # "Planerat startdatum", "Vårdnadshavares personnummer": another date, someone else's ID. ("Parent" is
        # no qualifier: "ParentDecisionNo" is a link to the parent record.)
        if any(q in w for w in mine for q in QUALIFIERS) and not any(
                q in w for n in self.words.get(field_name, ()) for w in n for q in QUALIFIERS):
            best = min(best, 0.3)
        if field_name.startswith("datum_") and any(b in w for w in mine for b in BIRTH):
            best = min(best, 0.3)  # the birth date is the person's, no step of a case
        # "Måluppfyllelse insats" belongs to insats, not to uppfoljning.
        for word in TABLE_WORDS:
            if word in h and fold(field_name) != h and word not in fold(field_name):
                best += 0.05 if word == table else -0.2
        return max(0.0, min(best, 1.0))


def _best_format(values: pl.Series) -> tuple[str | None, float]:
    texts = values.drop_nulls()
    if texts.is_empty():
        return None, 0.0
    scores = {fmt: float(texts.str.to_datetime(fmt, strict=False, exact=True).is_not_null().mean())
              for fmt in DATE_FORMATS}
    fmt = max(DATE_FORMATS, key=lambda f: scores[f])  # ties go to the earlier, more usual format
    return fmt, scores[fmt]


def _split_best(values: pl.Series, allowed: set[str]) -> tuple[str | None, float]:
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


class Drafter:
    def __init__(self, profile: Profile, samples: dict[str, pl.DataFrame], lexicon: Lexicon,
                 codes: dict[str, dict[str, str]] | None = None, code_source: str | None = None):
        self.profile = profile
        self.samples = samples
        self.vocab = Vocabulary(profile)
        self.lexicon = lexicon
        self.codes = codes or {}        # folded column heading -> {the system's code: its text}
        self.code_source = code_source  # the file or sheet they were read from
        self._meaning: dict[tuple[str, str], str | None] = {}

    def code_table(self, columns: tuple[str, ...]) -> dict[str, str]:
        """The export's own code table for a column (or numbered group), if it has one."""
        for name in (_stem(columns), *columns):
            if fold(name) in self.codes:
                return self.codes[fold(name)]
        return {}

    def read(self, sid: str, columns: tuple[str, ...]) -> pl.Series:
        """A column's (or numbered group's) sampled values as the system means them: codes read through its code
        table."""
        sample = self.samples[sid]
        values = pl.concat([sample[c] for c in columns]) if len(columns) > 1 else sample[columns[0]]
        codes = self.code_table(columns)
        return _decoded(values, codes) if codes else values

    def aliases(self, spec: FieldSpec) -> dict[str, str]:
        """Other names of the field's standard values: a target group's name and the standard's column heading
        for it -> its code."""
        if spec.name != "malgrupp":
            return {}
        vs = self.profile.value_set("malgrupp")
        return {n: k for column in ("namn", "spec_kolumn") if column in vs.columns
                for n, k in zip(vs[column].to_list(), vs["kod"].to_list()) if n}

    def meaning(self, value: str, spec: FieldSpec, allowed: set[str]) -> str | None:
        """The standard value a value of the column most likely stands for, by the evidence a crosswalk would
        use (itself, the lexicon, a name, the same letters, shared words), for judging what a column holds; the
        crosswalks themselves are proposed under stricter guards (:func:`_crosswalk`)."""
        if (spec.name, value) not in self._meaning:
            found = _standard_for(value, allowed, self.lexicon.of(spec.value_set or ""), self.aliases(spec))
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
        if not spec.value_set:
            return set()
        column = self.profile.field_value_column(spec.name, spec.value_set)
        values = set(self.profile.value_set(spec.value_set)[column].drop_nulls().to_list())
        if spec.name == "insats_kod" and "ksi_andra_koder" in self.profile.value_set_ids:
            values |= set(self.profile.values("ksi_andra_koder"))
        return values

    def content_score(self, values: pl.Series, spec: FieldSpec) -> tuple[float, Note]:
        texts = values.drop_nulls()
        if texts.is_empty():
            return 0.3, Note("content_none")
        if spec.name == "person_id":
            return float(texts.str.contains(PERSON_ID.pattern).mean()), Note("content_person_ids")
        if spec.type == "date":
            fmt, share = _best_format(texts)
            return share, Note("content_dates", {"format": fmt})
        if spec.name == "alder":
            ages = texts.cast(pl.Int64, strict=False)
            return float(((ages >= 0) & (ages <= 130)).fill_null(False).mean()), Note("content_ages")
        if spec.name == "insats_kod":
            return float(texts.str.contains(KSI.pattern).mean()), Note("content_ksi")
        if spec.name.endswith("_id") and _best_format(texts)[1] >= 0.9:
            return 0.0, Note("content_dates_no_ids")   # "Aktualiserad" is no aktualisering's ID
        allowed = self.allowed(spec)
        if allowed:
            share = self.known_share(texts, spec, allowed)
            return share, Note("content_standard" if share > 0.5 else "content_few_standard")
        return 0.5, Note("content_untyped")

    def candidates(self, source_id: str, table: str, spec: FieldSpec) -> list[Candidate]:
        sample = self.samples[source_id]
        found = []
        texts = [c for c, t in sample.schema.items() if t == pl.String]  # not the reader's row numbers
        for columns in _column_options(texts, spec.is_list):
            heading = self.vocab.heading_score(_stem(columns), table, spec.name)
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
                "heading": _masked(_stem(columns)), "table": table, "field": spec.name, "score": heading,
                "content": why, "share": content})))
        return sorted(found, key=lambda c: -c.confidence)

    def rivals(self, sid: str, chosen: Drafted, other: Candidate) -> bool:
        """Whether another column is about as likely to hold the field as the chosen one: within :data:`RIVAL`
        of its confidence and of the same kind (a date column is no rival for an ID); or, for a value set,
        holding the standard's own values where the chosen one needs crosswalks."""
        def dates(columns: tuple[str, ...]) -> bool:
            return _best_format(self.read(sid, columns))[1] >= 0.9

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
        """Whether a column's values alone can tell that it holds the field: person-IDs, KSI codes and the
        values of a value set do; dates, IDs and ages look alike in every column that holds them."""
        return spec.name in ("person_id", "insats_kod") or (bool(spec.value_set) and spec.type != "date")


def _decoded(values: pl.Series, codes: dict[str, str]) -> pl.Series:
    """A coded column read as its texts (each item of a multi-valued cell); codes not in the table as written."""
    old, new = list(codes), list(codes.values())
    for d in LIST_DELIMITERS:
        if values.str.contains(d, literal=True).any():
            return values.str.split(d).list.eval(pl.element().str.strip_chars().replace(old, new)).list.join(d)
    return values.str.strip_chars().replace(old, new)


def _stem(columns: tuple[str, ...]) -> str:
    if len(columns) == 1:
        return columns[0]
    m = NUMBERED.match(columns[0])
    return m.group(1) if m else columns[0]


def _column_options(headers: list[str], is_list: bool) -> list[tuple[str, ...]]:
    options = [(h,) for h in headers]
    if is_list:
        groups: dict[str, list[str]] = {}
        for h in headers:
            m = NUMBERED.match(h)
            if m and m.group(1).strip():
                groups.setdefault(m.group(1).strip(), []).append(h)
        options += [tuple(g) for g in groups.values() if len(g) > 1]
    return options


def draft_mapping(export: Path, profile: Profile, lexicon: Lexicon | None = None) -> str:
    """The draft (YAML text). `lexicon`: the local values known (the profile's own, :func:`profile_lexicon`,
    unless given, e.g. extended with a user's file)."""
    return render_yaml(draft(export, profile, lexicon))


def draft(export: Path, profile: Profile, lexicon: Lexicon | None = None) -> Draft:
    """What a draft mapping of `export` proposes, with its evidence (see :func:`draft_mapping`)."""
    with readers.opened(export) as sources:
        named = source_ids(export, sources)
        frames = {sid: readers.read(s) for sid, s in named.items()}
        samples = dict(zip(frames, pl.collect_all([f.head(SAMPLE_ROWS) for f in frames.values()])))
        code_source, codes = _code_table(frames)
        drafter = Drafter(profile, samples, lexicon or profile_lexicon(profile), codes, code_source)
        plan, unmapped = _plan(drafter, profile, {sid: s for sid, s in named.items() if sid != code_source})
        _refine(drafter, profile, plan, frames, unmapped)
        used = {sid: {c for s, fields in plan.values() if s == sid for d in fields.values()
                      for c in (*d.columns, *d.derive)} for sid in named}
    for sid, source in named.items():
        if sid in {s for s, _ in plan.values()}:
            rest = [c for c in source.header if c not in used[sid]]
            if rest:
                unmapped.append(Note("unused_columns", {"source": sid, "columns": _masked(", ".join(rest))}))
    return Draft(export, profile, plan, unmapped)


def _code_table(frames: dict[str, pl.LazyFrame]) -> tuple[str | None, dict[str, dict[str, str]]]:
    """The export's code table, if it has one: a file or sheet with a column naming the coded column, one with
    the code and one with its text (:data:`CODE_TABLE_COLUMNS`). Many systems export one beside coded data; it
    is the system's own word for what a code means, so its crosswalks are no guesses."""
    for sid, frame in frames.items():
        headings = frame.collect_schema().names()
        roles = {role: next((h for h in headings if fold(h) in names), None)
                 for role, names in CODE_TABLE_COLUMNS.items()}
        if None in roles.values():
            continue
        rows = frame.select(*(pl.col(roles[r]).str.strip_chars() for r in ("column", "code", "text"))).collect()
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
        if codes:
            return sid, codes
    return None, {}


def _plan(drafter: Drafter, profile: Profile, named) -> tuple[dict, list[Note]]:
    """Per table: (source id, {field: Drafted}) for the source that matches the table's fields best."""
    plan: dict[str, tuple[str, dict[str, Drafted]]] = {}
    unmapped: list[Note] = []
    claimed: dict[str, set[str]] = {}   # per file, the columns of earlier tables' fields that are no key or link
    for table, spec in profile.tables.items():
        keys = {spec.primary_key, spec.foreign_key[0] if spec.foreign_key else None}
        best = None
        for sid in named:
            fields: dict[str, Drafted] = {}
            taken: set[str] = set()
            # A column holds one field: an insats's måluppfyllelse is no uppföljning's, whatever file is missing.
            options = [(c, f) for f in spec.fields for c in drafter.candidates(sid, table, f)
                       if c.confidence >= ACCEPT and not claimed.get(sid, set()) & set(c.columns)]
            for cand, f in sorted(options, key=lambda o: -o[0].confidence):
                if f.name in fields or taken & set(cand.columns):
                    continue
                fields[f.name] = Drafted(f, cand.columns, confidence=cand.confidence, why=cand.why)
                taken |= set(cand.columns)
            for name, d in fields.items():
                d.alternatives = [c for c, f in options if f.name == name and c.columns != d.columns][:3]
                rival = next((c for c in d.alternatives if drafter.rivals(sid, d, c)), None)
                if rival is not None:  # two columns about as likely: the order of the columns must not decide
                    d.confidence = min(d.confidence, REVIEW_BELOW - 0.01)
                    d.why = Note("rival", {"why": d.why, "rival": _masked(_stem(rival.columns))})
            # Values alone fill a field of a file the headings chose, never choose one: the aktualiseringsorsak
            # of a file of aktualiseringar must not make it a file of beslut for its problematik.
            score = sum(d.confidence for n, d in fields.items() if n not in keys and not _by_content(d.why))
            if best is None or score > best[0]:
                best = (score, sid, fields)
        if best is None or best[0] < ACCEPT:
            unmapped.append(Note("no_table", {"table": table}))
            continue
        plan[table] = (best[1], best[2])
        _only_date(drafter, profile.tables[table].fields, *plan[table])
        claimed.setdefault(best[1], set()).update(c for n, d in best[2].items() if n not in keys for c in d.columns)
    _keys(drafter, profile, plan, {sid: s.header for sid, s in named.items()})
    for table, (sid, fields) in plan.items():
        for f in profile.tables[table].fields:
            if f.name not in fields:
                unmapped.append(Note("no_column", {"table": table, "field": f.name, "source": sid}))
    return plan, unmapped


def _by_content(why: Note | None) -> bool:
    """Whether a field was taken by its column's values alone (its heading unknown)."""
    if why is not None and why.key == "rival":
        return _by_content(why.params["why"])
    return why is not None and why.key == "column_by_content"


def _only_date(drafter: Drafter, specs: list[FieldSpec], sid: str, fields: dict[str, Drafted]) -> None:
    """A table's one date field no heading named, read from its file's one date column no field uses: dates
    look alike, but one left over for one missing has nowhere else to go. Proposed for review."""
    missing = [f for f in specs if f.type == "date" and f.name not in fields]
    if len(missing) != 1 or len([f for f in specs if f.type == "date"]) != 1:
        return
    used = {c for d in fields.values() for c in d.columns}
    sample = drafter.samples[sid]
    others = [f.name for spec in drafter.profile.tables.values() for f in spec.fields
              if f.type == "date" and f.name != missing[0].name]

    def free_date(column: str) -> bool:
        sparse = sample[column].null_count() > sample.height / 2
        if sparse or any(q in w for w in words(column) for q in (*QUALIFIERS, *BIRTH)):
            return False  # another date, the birth date, or one a record seldom has
        if any(drafter.vocab.heading_score(column, "", other) >= 0.45 for other in others):
            return False  # another step's date, copied into this file
        return _best_format(sample[column])[1] >= 0.9

    dates = [c for c, t in sample.schema.items() if t == pl.String and c not in used and free_date(c)]
    if len(dates) == 1:
        fmt, share = _best_format(sample[dates[0]])
        share *= 1 - sample[dates[0]].null_count() / max(sample.height, 1)  # of all rows, not of the filled
        fields[missing[0].name] = Drafted(missing[0], (dates[0],), confidence=0.6, why=Note("only_date", {
            "heading": _masked(dates[0]), "content": Note("content_dates", {"format": fmt}), "share": share}))


def _keys(drafter: Drafter, profile: Profile, plan: dict, headers: dict[str, list[str]]) -> None:
    """Keys and links: an ID column where the file has one (by its heading, or as the column of unique values
    another table's file refers to by the same heading), else derived from identifying columns of its own file."""
    samples = drafter.samples
    for table in sorted(plan, key=lambda t: len(profile.parent_chain(t))):
        sid, fields = plan[table]
        spec = profile.tables[table]
        parent_key: Drafted | None = None
        if spec.foreign_key:
            fk, parent = spec.foreign_key
            if parent in plan:
                psid, pfields = plan[parent]
                parent_key = pfields.get(profile.tables[parent].primary_key)
                link = fields.get(fk)
                if parent_key is not None and parent_key.derive and set(parent_key.derive) <= set(headers[sid]):
                    fields[fk] = Drafted(spec.field(fk), derive=parent_key.derive, confidence=parent_key.confidence,
                                         why=Note("parent_derived", {"parent": parent}))
                elif parent_key is not None and parent_key.columns and \
                        (link is None or link.columns != parent_key.columns) and parent_key.columns[0] in headers[sid]:
                    fields[fk] = Drafted(spec.field(fk), parent_key.columns,
                                         confidence=min(0.9, parent_key.confidence),
                                         why=Note("parent_heading", {"parent": parent}))
                elif parent_key is not None and len(parent_key.columns) == 1 and link is None:
                    column = _linking(samples[psid][parent_key.columns[0]], samples[sid], fields)
                    if column is not None:
                        fields[fk] = Drafted(spec.field(fk), (column,), confidence=0.7,
                                             why=Note("parent_values", {"parent": parent}))
        pk = fields.get(spec.primary_key)
        if pk is None or pk.confidence < 0.6:
            if table == "person":
                continue
            referenced = _referenced(drafter, profile, plan, table, headers, samples)
            if referenced is not None:
                column, child = referenced
                fields[spec.primary_key] = Drafted(spec.field(spec.primary_key), (column,), confidence=0.7,
                                                   why=Note("referenced_key", {"child": child}))
                continue
            # The link to the parent as this file has it: a key can only be derived from the file's own columns.
            link = fields.get(spec.foreign_key[0]) if spec.foreign_key else None
            base = (link.derive or link.columns) if link is not None else ()
            own = tuple(c for n in IDENTIFYING.get(table, ()) if n in fields for c in fields[n].columns)
            derive = tuple(dict.fromkeys(base + own))
            if derive:
                fields[spec.primary_key] = Drafted(spec.field(spec.primary_key), derive=derive, confidence=0.7,
                                                   why=Note("derived_key"))


def _referenced(drafter: Drafter, profile: Profile, plan: dict, table: str, headers: dict[str, list[str]],
                samples: dict[str, pl.DataFrame]) -> tuple[str, str] | None:
    """(column, child table): a column of the table's file that no field uses, whose values are unique, and whose
    values a child table's (other) file holds in a column of its own, under the same heading or another: the way
    a key and the links to it look whatever they are called. Of several, the one whose heading is most like the
    key's names, then the one the child names alike; never the files' own row numbers."""
    sid, fields = plan[table]
    used = {c for d in fields.values() for c in (*d.columns, *d.derive)}
    key = profile.tables[table].primary_key
    found = []
    for child, (csid, cfields) in plan.items():
        foreign = profile.tables[child].foreign_key
        if not foreign or foreign[1] != table or csid == sid:
            continue
        child_used = {c for n, d in cfields.items() if n != foreign[0] for c in (*d.columns, *d.derive)}
        for column in headers[sid]:
            if column in used:
                continue
            # Nearly unique and nearly always there: an export under test may hold a few duplicated or missing
            # IDs, which the rules are there to report.
            values = samples[sid][column].drop_nulls()
            if values.len() < KEY_SHARE * samples[sid].height or values.n_unique() < KEY_SHARE * values.len():
                continue
            # A row ID unique in every file has the same heading everywhere, but a child's links point at its
            # parent's keys.
            for link in (c for c in headers[csid] if c not in child_used and _points_at(samples[csid][c], values)):
                found.append((drafter.vocab.heading_score(column, table, key), link == column, column, child))
    if not found:
        return None
    _, _, column, child = max(found, key=lambda f: f[:2])  # equal scores: the first column, as the file has them
    return column, child


def _linking(keys: pl.Series, sample: pl.DataFrame, fields: dict[str, Drafted]) -> str | None:
    """The one column of a file, used by no field, whose values are nearly all (:data:`LINKED`) among the parent's
    keys: the link, whatever its heading ("ParentDecisionNo")."""
    used = {c for d in fields.values() for c in (*d.columns, *d.derive)}
    found = [c for c, t in sample.schema.items() if t == pl.String and c not in used and _points_at(sample[c], keys)]
    return found[0] if len(found) == 1 else None


def _points_at(links: pl.Series, keys: pl.Series) -> bool:
    """Whether a column links to keys: nearly all (:data:`LINKED`) of its values are among them, and it does not
    just count its own rows (a file's numbering 1, 2, 3, ... is contained in a longer one by arithmetic)."""
    links = links.drop_nulls()
    if links.is_empty() or links.is_in(keys.drop_nulls().implode()).mean() < LINKED:
        return False
    return not _numbering(links)


def _numbering(values: pl.Series) -> bool:
    """Whether a column counts its rows: 1 to n (from 0 or 1), in any order."""
    numbers = values.cast(pl.Int64, strict=False)
    if numbers.null_count() or numbers.is_empty():
        return False
    low = numbers.min()
    return low in (0, 1) and numbers.n_unique() == numbers.len() and numbers.max() - low + 1 == numbers.len()


def _refine(drafter: Drafter, profile: Profile, plan: dict, frames: dict, unmapped: list[Note]) -> None:
    """Date formats, list delimiters and crosswalks for the fields found, from the columns' values."""
    distinct_queries, wanted = [], []
    for table, (sid, fields) in plan.items():
        for name, d in fields.items():
            if not d.columns:
                continue
            sample = drafter.samples[sid]
            values = pl.concat([sample[c] for c in d.columns])
            common = values.drop_nulls().value_counts(sort=True).head(SAMPLES)
            d.samples = [(_masked(str(v)), n) for v, n in common.iter_rows()]
            if d.spec.type == "date":
                fmt, share = _best_format(values)
                if fmt and fmt != "%Y-%m-%d" and share > 0:
                    d.date_format = fmt
            allowed = drafter.allowed(d.spec)
            table_codes = drafter.code_table(d.columns)
            if d.spec.is_list and len(d.columns) == 1 and allowed:
                d.delimiter, _ = _split_best(values, allowed | set(table_codes))
            if allowed and name != "insats_kod":
                column = pl.concat_list([pl.col(c) for c in d.columns]).alias("v")
                code = fields.get("insats_kod") if name == "insats" else None
                if code is not None and len(code.columns) == 1 and len(d.columns) == 1:
                    # A name is read with the KSI code on its row: the code decides what the name stands for.
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
        _crosswalk(profile, table, d, counts, allowed, unmapped, drafter.lexicon.of(d.spec.value_set or ""),
                   codes if "code" in distinct.columns else None, drafter.aliases(d.spec),
                   (drafter.code_source, table_codes))
        for c in d.values.values():  # a crosswalk is no surer than the column it reads
            c.confidence = min(c.confidence, d.confidence)


def _crosswalk(profile: Profile, table: str, d: Drafted, counts: dict[str, int], allowed: set[str],
               unmapped: list[Note], known: dict[str, Entry], codes: dict[str, dict[str, int]] | None = None,
               aliases: dict[str, str] | None = None, code_table: tuple[str | None, dict[str, str]] = (None, {})) \
        -> None:
    """Crosswalk proposals for the values outside the standard that a system uses systematically (at least
    :data:`RARE` of the column). Rarer values are more often data errors than vocabulary, and a crosswalk would
    hide an error, so they are listed for a person to decide and otherwise left for the rules to report.

    A lexicon entry (`known`) is a translation, proposed first and named. Otherwise a crosswalk turns a value
    the rules would report into one they accept, so it is never proposed where it could reverse or guess a
    meaning: not from a value the standard itself has (in the field's value set, or a KSI name of another
    code), not to a value that says the opposite (:func:`conform.vocabulary.opposite`), not where two standard
    values share as many words, and not on a spelling less close than :data:`SPELLING_BAR`. An insats name read
    with its KSI code (`codes`: value -> code -> records) goes to the standard name of that code, if the name
    agrees with it. `aliases` are other names of standard values (a target group's name -> its code).

    A code in the export's own code table (`code_table`: its source and code -> text) is crosswalked however
    rare: the system says what it means. Its text is then read as a local value is."""
    total = sum(counts.values()) or 1
    standard = sorted(allowed)
    folded = {fold(v): v for v in standard}
    aliases = aliases or {}
    names = {fold(n): k for n, k in aliases.items()}
    elsewhere = _standard_elsewhere(profile, d.spec)
    source, table_codes = code_table
    rare = []
    for value, n in sorted(counts.items()):
        if value in allowed:
            continue
        about = {"table": table, "field": d.spec.name, "value": _masked(value), "n": n}
        if table_codes.get(value) == CONFLICT:
            unmapped.append(Note("code_table_conflict", {**about, "source": source}))
            continue
        if value in table_codes:
            text = table_codes[value]
            found = _standard_for(text, allowed, known, aliases)
            if found is None:
                unmapped.append(Note("code_text_unknown", {**about, "text": _masked(text), "source": source}))
            else:
                d.values[value] = Crosswalk(*found, Note("basis_code_table", {
                    "source": source, "code": _masked(value), "text": _masked(text)}), n)
            continue
        if table_codes:  # the system has said what it writes here; anything else is an error to report
            unmapped.append(Note("not_in_code_table", {**about, "source": source}))
            continue
        if n / total < RARE:
            rare.append(f"'{_masked(value)}' ({n}×)")
            continue
        entry = known.get(key(value))
        if entry is not None and entry.standard in allowed:
            d.values[value] = Crosswalk(entry.standard, 0.95,
                                        Note("basis_lexicon", {"source": entry.source, "local": entry.local}), n)
            continue
        if fold(value) in names:
            d.values[value] = Crosswalk(names[fold(value)], 0.95, Note("basis_group_name"), n)
            continue
        if value in elsewhere:
            unmapped.append(Note("value_elsewhere", about))
            continue
        if fold(value) in folded:
            d.values[value] = Crosswalk(folded[fold(value)], 0.9, Note("basis_same_letters"), n)
            continue
        if codes is not None:
            _by_code(profile, d, value, codes.get(value, {}), unmapped, about)
            continue
        match, basis = closest(value, standard, {}, cutoff=SPELLING_BAR)
        if match is None:
            # The one value sharing most words, among all: two that share as many leave the meaning open.
            match, basis = _shared_words(value, standard, aliases)
            refused = match is not None and (opposite(value, match) or adds_claim(value, match))
            match, basis = (None, None) if refused else (match, basis)
        if match is None:
            unmapped.append(Note("value_no_counterpart", about))
            continue
        d.values[value] = Crosswalk(match, BASIS_CONFIDENCE.get(basis, 0.5), Note(f"basis_{basis}"), n)
    if rare:
        unmapped.append(Note("rare_values", {"table": table, "field": d.spec.name, "values": ", ".join(rare)}))


def _standard_elsewhere(profile: Profile, spec: FieldSpec) -> set[str]:
    """Values the standard has for this field outside the values it is compared with: the KSI names of the other
    codes (ksi_andra_koder) for an insats name."""
    if spec.name == "insats" and "ksi_andra_koder" in profile.value_set_ids:
        other = profile.value_set("ksi_andra_koder")
        return {v for c in ("ksi_namn", "insats") if c in other.columns for v in other[c].drop_nulls().to_list()}
    return set()


def _by_code(profile: Profile, d: Drafted, value: str, codes: dict[str, int], unmapped: list[Note],
             about: dict) -> None:
    """An insats name's crosswalk decided by the KSI code on its rows: the standard name of the one code nearly
    all of them carry, where the name agrees with it (shares a word, and does not say the opposite). Otherwise
    the name is left as written, for the rules to report against its code."""
    code, on = max(codes.items(), key=lambda kv: (kv[1], kv[0] or "")) if codes else (None, 0)
    if code is None:
        unmapped.append(Note("no_code", about))
        return
    if on < SAME_CODE * sum(codes.values()):
        listed = ", ".join(f"{c or '–'} {k}×" for c, k in sorted(codes.items(), key=lambda kv: -kv[1])[:3])
        unmapped.append(Note("several_codes", {**about, "codes": listed}))
        return
    ksi = profile.value_set(d.spec.value_set)
    named = ksi.filter(pl.col("kod") == code)[profile.value_column(d.spec.value_set)].drop_nulls().to_list()
    if not named:
        unmapped.append(Note("code_unnamed", {**about, "code": code}))
        return
    match, _ = _shared_words(value, named[:1])
    if match is None or opposite(value, match):
        unmapped.append(Note("against_code", {**about, "code": code, "name": named[0]}))
        return
    d.values[value] = Crosswalk(match, 0.9, Note("basis_code", {"code": code}), about["n"])


def _standard_for(text: str, allowed: set[str], known: dict[str, Entry], aliases: dict[str, str]) \
        -> tuple[str, float] | None:
    """(standard value, confidence) a text means, for judging a column's values and for reading the texts of a
    code table: itself, a lexicon entry, another name of a standard value (`aliases`) or the same letters, or
    the one standard value sharing most words where that neither says the opposite nor adds a claim."""
    entry = known.get(key(text))
    folded = {fold(v): v for v in allowed} | {fold(n): k for n, k in aliases.items()}
    if text in allowed:
        return text, 0.95
    if entry is not None and entry.standard in allowed:
        return entry.standard, 0.95
    if fold(text) in folded:
        return folded[fold(text)], 0.9
    match, _ = _shared_words(text, sorted(allowed), aliases)
    if match is None or opposite(text, match) or adds_claim(text, match):
        return None
    return match, BASIS_CONFIDENCE["words"]


def _shared_words(value: str, standard: list[str], aliases: dict[str, str] | None = None) \
        -> tuple[str | None, str | None]:
    """The one standard value sharing the most words (or word beginnings, see :func:`related`) with `value`.
    `aliases` (a name -> the standard value it names, e.g. a target group's name -> its code) are compared too,
    each counting for the value it names."""
    mine = words(value)
    best: dict[str, int] = {}
    for text, target in [*((s, s) for s in standard), *(aliases or {}).items()]:
        shared = [a for a in mine for b in words(text) if related(a, b)]
        # "Ingen förbättring" shares only its negation with "Ingen förändring": no meaning in common.
        if any(a not in NEGATIONS for a in shared):
            best[target] = max(best.get(target, 0), len(shared))
    scored = sorted(((n, s) for s, n in best.items()), reverse=True)
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None, None
    return scored[0][1], "words"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _masked(text: str) -> str:
    """A value quoted from the export with anything shaped like a person-ID masked: a draft is shared for review,
    and a personnummer in the wrong column must not travel with it."""
    return mask_text(text)


def render_yaml(draft: Draft) -> str:
    """The draft as the mapping file a person reviews, its evidence in English comments."""
    export, profile, plan = draft.export, draft.profile, draft.plan
    out = [
        f"# Draft mapping made by `conform init-mapping` (conform {__version__}, "
        f"{clock.today().isoformat()}) from {export.name}.",
        f"# Every guess carries its confidence (0-1); lines marked REVIEW are below {REVIEW_BELOW}. Check them,",
        "# and the list under `unmapped`, then run: conform check EXPORT --mapping THIS_FILE",
        "# The format is described in docs/mapping.md and schemas/mapping.schema.json.",
        "conform_mapping: 1",
        f"profile: {_q(profile.name)}",
        f"vendor: {_q(export.stem)}",
        "tables:",
    ]
    for table in profile.tables:
        if table not in plan:
            continue
        sid, fields = plan[table]
        out += [f"  {table}:", f"    source: {_q(sid)}", "    fields:"]
        for f in profile.tables[table].fields:
            d = fields.get(f.name)
            if d is None:
                continue
            flag = "  # REVIEW" if d.confidence < REVIEW_BELOW else ""
            out.append(f"      {f.name}:{flag}  # {d.why.text() if d.why else ''}")
            if d.derive:
                out.append(f"        derive: [{', '.join(_q(c) for c in d.derive)}]")
            elif len(d.columns) > 1:
                out.append(f"        columns: [{', '.join(_q(c) for c in d.columns)}]")
            else:
                out.append(f"        column: {_q(d.columns[0])}")
            if d.date_format:
                out.append(f"        date_format: {_q(d.date_format)}")
            if d.delimiter:
                out.append(f"        delimiter: {_q(d.delimiter)}")
            if d.values:
                out.append("        values:")
                for local, c in d.values.items():
                    flag = "REVIEW " if c.confidence < REVIEW_BELOW else ""
                    out.append(f"          {_q(local)}: {_q(c.standard)}  # {flag}{c.confidence:.2f} "
                               f"({c.basis.text()})")
            out.append(f"        confidence: {d.confidence:.2f}")
    out.append("unmapped:" if draft.unmapped else "unmapped: []")
    out += [f"  - {_q(u.text())}" for u in draft.unmapped]
    return "\n".join(out) + "\n"
