"""Local words and the standard values they stand for: the profile's local-value lexicon (lexicon.yaml, which a
user may extend with files of the same form), and the closest standard value of a non-standard one. Used by the
report's value-set coverage, by mapping errors' "did you mean", and by `conform init-mapping` when it proposes
crosswalks. Here too is the one folding of words (:func:`fold`) that every comparison of headings and values uses."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from conform.errors import UsageError
from conform.yamlfile import load_located

LEXICON_FILE = "lexicon.yaml"
SPELLING_CUTOFF = 0.6   # the nearest spelling the report shows as "closest"; a draft asks more (conform.input.mapping)

# Words that turn a statement around, and words that give it a direction, folded (no accents, lower case).
NEGATIONS = frozenset({"ej", "inte", "icke", "utan", "ingen", "inget", "inga", "aldrig", "nej", "saknas",
                       "not", "no", "none", "without", "never"})
VALENCE = {"positiv": 1, "positivt": 1, "positive": 1, "forbattring": 1, "forbattrad": 1, "battre": 1,
           "negativ": -1, "negativt": -1, "negative": -1, "forsamring": -1, "forsamrad": -1, "samre": -1}
ANSWERS = {"ja": 1, "yes": 1, "nej": -1, "no": -1}
UNKNOWN = frozenset({("vet", "inte"), ("vet", "ej"), ("uppgift", "saknas"), ("uppgifter", "saknas")})
# Who a problem is about, for the value sets that tell the person's own from someone else's and the victim from
# the one who acts (aktualiseringsorsak/problematik): "Utsätter andra för våld" is not "Utsatt för våld".
ROLES = (({"utsatt", "drabbad", "offer", "victim"}, {"utovar", "utovare", "utsatter", "forovare", "perpetrator"}),
         ({"egen", "eget", "egna"}, {"annans", "andras", "annan", "narstaende", "narstaendes", "anhorig",
                                     "anhorigs"}))


@dataclass(frozen=True)
class Entry:
    standard: str
    local: str      # as the lexicon writes it
    source: str     # the lexicon file's name


class Lexicon:
    """Local values per value set -> the entry that translates them (matched ignoring case and spaces). Files
    read later win over earlier ones, so a user's own lexicon can correct the profile's."""

    def __init__(self, entries: dict[str, dict[str, Entry]] | None = None):
        self.entries = entries or {}

    def of(self, value_set: str) -> dict[str, Entry]:
        return self.entries.get(value_set, {})

    def extended(self, path: Path, profile) -> Lexicon:
        merged = {vs: dict(terms) for vs, terms in self.entries.items()}
        for vs, terms in read_lexicon(path, profile).items():
            merged.setdefault(vs, {}).update(terms)
        return Lexicon(merged)


def key(value: str) -> str:
    return " ".join(value.split()).casefold()


def read_lexicon(path: Path, profile) -> dict[str, dict[str, Entry]]:
    """A lexicon file, checked against the profile: every value set exists and every entry names one of its
    standard values. Every problem names the file and line (exit 2)."""
    doc = load_located(path, UsageError)
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        raise UsageError("lexicon_shape", where=doc.where(()))
    out: dict[str, dict[str, Entry]] = {}
    for value_set, terms in doc.data.items():
        if value_set not in profile.value_set_ids:
            raise UsageError("lexicon_no_value_set", where=doc.where((value_set,)), value_set=value_set,
                             known=", ".join(profile.value_set_ids))
        if not isinstance(terms, dict):
            raise UsageError("lexicon_shape", where=doc.where((value_set,)))
        standard = set(profile.values(value_set))
        for local, target in terms.items():
            if isinstance(local, bool) or not isinstance(local, (str, int)):
                # YAML reads an unquoted yes, no, on or off as a truth value.
                raise UsageError("lexicon_local_not_text", where=doc.where((value_set,)), value=local)
            if not isinstance(target, str) or target not in standard:
                raise UsageError("lexicon_not_in_set", where=doc.where((value_set, local)), value=target,
                                 value_set=value_set)
            out.setdefault(value_set, {})[key(str(local))] = Entry(target, str(local), path.name)
    return out


_PROFILE_LEXICONS: dict[Path, Lexicon] = {}


def profile_lexicon(profile) -> Lexicon:
    """The profile's own lexicon (profiles/NAME/lexicon.yaml), empty where it has none; read once per process."""
    path = profile.path / LEXICON_FILE
    if path not in _PROFILE_LEXICONS:
        _PROFILE_LEXICONS[path] = Lexicon(read_lexicon(path, profile)) if path.is_file() else Lexicon()
    return _PROFILE_LEXICONS[path]


@lru_cache(maxsize=1 << 16)   # the same headings and values are folded again and again, for every field
def fold(text: str, between: str = "") -> str:
    """The one folding of words for comparison: lower case, no accents, letters and digits only, their runs
    joined by `between`: "Datum för beslut" -> "datumforbeslut", or with " ": "datum for beslut"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return between.join(re.findall(r"[0-9a-z]+", plain))


def _words(text: str) -> list[str]:
    return fold(text, " ").split()


def polarity(text: str) -> tuple[int, int, int]:
    """(answer, valence, negated) of a value: its leading ja/nej (1/-1, else 0); the direction of its words
    (positiv/negativ, förbättring/försämring: 1/-1, else 0); and whether an odd number of negations (ej, inte,
    utan, ingen, ...) turns it around (1) or not (0). A parenthesis restates the value ("Nej (måluppfyllelse ej
    uppnådd)"), so it is left out; a bare "Nej" is a negation, "vet inte" and "uppgift saknas" none."""
    words = _words(re.sub(r"\([^)]*\)", " ", text)) or _words(text)
    answer = ANSWERS.get(words[0], 0) if words else 0
    rest = words[1:] if answer else words
    valence = next((VALENCE[w] for w in rest if w in VALENCE), 0)
    # "Vet inte", "vet ej", "uppgift saknas" say unknown, as "Okänt" does: no negation of anything.
    negations = [w in NEGATIONS and not (i and (rest[i - 1], w) in UNKNOWN) for i, w in enumerate(rest)]
    negated = sum(negations) % 2 if rest else int(answer < 0)
    return answer, valence, negated


def opposite(a: str, b: str) -> bool:
    """Whether two values say opposite things: ja against nej, positive against negative, one negated where the
    other is not ("Ej behov av SIP" against "Nej, men det finns behov av SIP"), or the other role (:data:`ROLES`)."""
    (answer_a, valence_a, negated_a), (answer_b, valence_b, negated_b) = polarity(a), polarity(b)
    return answer_a * answer_b < 0 or valence_a * valence_b < 0 or negated_a != negated_b or _other_role(a, b)


def adds_claim(local: str, standard: str) -> bool:
    """Whether a standard value says yes or no, or a direction, that the local value does not: "Målet inte
    uppfyllt" says nothing of "Positiv förändring målet inte uppfyllt"'s positive change."""
    (answer_l, valence_l, negated_l), (answer_s, valence_s, _) = polarity(local), polarity(standard)
    # A negated statement already says the no of "Nej, ...", a plain one the yes of "Ja, ...".
    new_answer = answer_s != 0 and answer_l == 0 and (answer_s < 0) != bool(negated_l)
    return new_answer or (valence_s != 0 and valence_l == 0)


def _other_role(a: str, b: str) -> bool:
    """Whether one value names the victim and the other the one who acts, or one the person's own problem and
    the other someone else's."""
    words_a, words_b = set(_words(a)), set(_words(b))
    return any((words_a & one and words_b & other and not words_a & other) or
               (words_a & other and words_b & one and not words_a & one) for one, other in ROLES)


def closest(value: str, standard: list[str], known: dict[str, Entry], delimiter: str | None = None,
            codes: bool = False, cutoff: float = SPELLING_CUTOFF) -> tuple[str | None, str | None]:
    """(closest standard value, basis) for a value outside the standard: a lexicon entry (`known`, the value
    set's entries: :meth:`Lexicon.of`), a value that differs
    in case or spacing only, several standard values in a field that takes one, the one standard value that
    begins with or contains it as a word, or (not for codes, where near spellings mean nothing) the nearest
    spelling by difflib at `cutoff` or above. A value is never matched by its words or spelling to one that
    says the opposite (:func:`opposite`): "Positiv förändring" is not close to "Negativ förändring"."""
    entry = known.get(key(value))
    if entry is not None and entry.standard in standard:
        return entry.standard, "lexicon"
    folded = {key(s): s for s in standard}
    value_key = key(value)
    if value_key in folded:
        return folded[value_key], "case"
    if delimiter and delimiter in value and all(p.strip() in standard for p in value.split(delimiter)):
        return None, "several"
    if codes:
        return None, None
    word = re.compile(rf"(?<!\w){re.escape(value_key)}(?!\w)")
    containing = [s for f, s in folded.items() if len(value_key) > 1 and word.search(f)]
    if len(containing) == 1:
        refused = opposite(value, containing[0]) or adds_claim(value, containing[0])
        return (containing[0], "contains") if not refused else (None, None)
    # The nearest of all, refused if it says the opposite: the next nearest is then a guess, not a near spelling.
    match = difflib.get_close_matches(value_key, list(folded), n=1, cutoff=cutoff)
    return (folded[match[0]], "spelling") if match and not opposite(value, folded[match[0]]) else (None, None)


