"""Words of headings and values, and how alike two are: the words that carry meaning in a text, when two of them
mean one thing, which standard value shares most words with a local one, and how well a column's heading names a
field (:class:`FieldNames`). Every comparison folds its words with :func:`conform.vocabulary.fold`.
"""

from __future__ import annotations

import difflib
import os
import re
from functools import lru_cache

from conform.input.mapping.hints import DraftingHints
from conform.profile import Profile
from conform.vocabulary import NEGATIONS, fold

# Words too common to tell two values or headings apart.
STOPWORDS = {"och", "i", "av", "for", "pa", "med", "att", "det", "som", "till", "el", "eller", "den", "har", "en",
             "ett", "hos", "om", "of", "the", "and", "on", "at", "to", "no", "nr"}
# Words that make a heading about another date or another person than the record's own (folded, matched as a
# part of a heading's word): a column so named is never taken by its heading for a field whose names lack them.
QUALIFIERS = ("planer", "planned", "berakn", "expected", "forvant", "nasta", "next", "onskad", "vardnadshavar",
              "foralder", "foraldr", "anhorig", "narstaend", "guardian", "relative", "handlaggar", "caseworker")
BIRTH = ("fodelsedat", "fodd", "birth", "dob")   # a date column about the person, never a step of the case
# A comparison written as a symbol, as report writers shorten "mindre än"/"mer än" ("Ja, < 2 år sedan"): read
# as its word, so that the value shares it with the standard's wording.
SYMBOLS = str.maketrans({"<": " mindre ", "≤": " mindre ", ">": " mer ", "≥": " mer "})
# A heading that names a field only through abbreviations is a guess, scaled so that even with values that fit
# perfectly its confidence (0.6 heading + 0.4 values) stays below the draft's review threshold of 0.8.
ABBREVIATED = 0.66
CAMEL = re.compile(r"(?<=[a-zåäö])(?=[A-ZÅÄÖ])|(?<=[A-ZÅÄÖ])(?=[A-ZÅÄÖ][a-zåäö])")


@lru_cache(maxsize=1 << 16)
def words(text: str) -> frozenset[str]:
    """The words of a value or heading that carry meaning, folded: "ReferralNo" and "Referral no." -> {referral}."""
    return frozenset(w for w in (fold(t) for t in re.split(r"[^\w]+|_", CAMEL.sub(" ", text.translate(SYMBOLS))))
                     if len(w) >= 3 and w not in STOPWORDS)


def related(a: str, b: str) -> bool:
    """Two folded words of a value with one meaning: equal, or sharing a beginning of 5 letters ("kvinnor",
    "kvinna"), or one an abbreviation of 3 letters or more of the other ("utanf", "utanfor")."""
    prefix = len(os.path.commonprefix([a, b]))
    return a == b or prefix >= 5 or (prefix >= 3 and prefix == min(len(a), len(b)))


def _shortens(part: str, word: str) -> bool:
    """Whether a heading's part (3 letters or more) is a word's beginning, or its consonants from its first
    ("bslt", "bsl" of "beslut"), as database headings shorten words."""
    if len(part) < 3 or part == word:
        return False
    if word.startswith(part):
        return True
    consonants = word[0] + re.sub(r"[aeiouyåäö]", "", word[1:])
    return not re.search(r"[aeiouyåäö]", part[1:]) and consonants.startswith(part)


def same_heading_word(a: str, b: str) -> bool:
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


def shared_words(value: str, standard: list[str], aliases: dict[str, str] | None = None) \
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


class FieldNames:
    """The names a profile's fields go by, folded for comparison: the field id, the field title, the spec's name
    of its information set and the vendor headings the profile knows (headings.yaml)."""

    def __init__(self, profile: Profile, hints: DraftingHints):
        sets = {s.id: s.name for s in profile.information_sets}
        self.table_words = hints.table_words
        self.abbreviations = hints.abbreviations
        self.distractors = hints.distractors
        self.dates = {f.name for spec in profile.tables.values() for f in spec.fields if f.type == "date"}
        self.names: dict[str, set[str]] = {}
        self.words: dict[str, list[set[str]]] = {}
        for spec in profile.tables.values():
            for f in spec.fields:
                names = {f.name.replace("_", " "), f.title, *(hints.headings.get(f.name) or [])}
                if f.information_set:
                    names.add(sets[f.information_set])
                self.names.setdefault(f.name, set()).update(fold(n) for n in names if fold(n))
                self.words.setdefault(f.name, []).extend(w for w in map(words, names) if w)

    def distractor(self, heading: str) -> bool:
        """Whether a heading is that of a change stamp, a signature, a user or a system time stamp (drafting.yaml,
        ``distractors``): "ANDR_DAT", "HANDL_SIGN", "Senast ändrad", "LastModified"."""
        parts = fold(CAMEL.sub(" ", heading), " ").split()
        joined = "".join(parts)
        return any(d in joined if len(d) > 8 else any(p.startswith(d) for p in parts) for d in self.distractors)

    def heading_score(self, heading: str, table: str, field_name: str) -> float:
        """How well `heading` names the field (0-1): the whole heading against each name, then word by word; a
        heading of abbreviations ("VERK_DAT") also as its words, but then scaled down (left for review);
        a change stamp's heading never (0)."""
        if self.distractor(heading) and not any(self.distractor(n) for n in self.names.get(field_name, ())):
            return 0.0
        score = self._score(heading, table, field_name)
        # Each part spelled out: a known abbreviation (drafting.yaml), else the beginning ("uppfoljn") or the
        # consonants ("bslt") of a word of the field's names.
        parts = fold(CAMEL.sub(" ", heading), " ").split()
        own = sorted({w for name in self.words.get(field_name, ()) for w in name})
        spelled = [self.abbreviations.get(p) or next((w for w in own if _shortens(p, w)), p) for p in parts]
        if spelled != parts:
            score = max(score, ABBREVIATED * self._score(" ".join(spelled), table, field_name))
        return score

    def _score(self, heading: str, table: str, field_name: str) -> float:
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
            shared = sum(1 for w in name if any(same_heading_word(w, m) for m in mine))
            best = max(best, 0.9 * shared / max(len(name), len(mine)))
        # "Planerat startdatum", "Vårdnadshavares personnummer": another date, someone else's ID. ("Parent" is
        # no qualifier: "ParentDecisionNo" is a link to the parent record.)
        if any(q in w for w in mine for q in QUALIFIERS) and not any(
                q in w for n in self.words.get(field_name, ()) for w in n for q in QUALIFIERS):
            best = min(best, 0.3)
        if field_name in self.dates and any(b in w for w in mine for b in BIRTH):
            best = min(best, 0.3)  # the birth date is the person's, no step of a case
        # "Måluppfyllelse insats" belongs to insats, not to uppfoljning.
        for word in self.table_words:
            if word in h and fold(field_name) != h and word not in fold(field_name):
                best += 0.05 if word == table else -0.2
        return max(0.0, min(best, 1.0))
