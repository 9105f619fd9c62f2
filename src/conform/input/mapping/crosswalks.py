"""Crosswalks: the standard value a local value stands for, proposed for a field's values outside the standard,
each with its basis (the export's code table, the lexicon, another name of the value, the same letters, the code
on the same row, shared words or a near spelling), or listed as unmapped where a proposal could reverse or guess
a meaning.
"""

from __future__ import annotations

import polars as pl

from conform.input.mapping.code_tables import CONFLICT
from conform.input.mapping.hints import drafting_hints
from conform.input.mapping.proposals import Crosswalk, Drafted, Note, masked
from conform.input.mapping.words import shared_words
from conform.profile import FieldSpec, Profile
from conform.vocabulary import Entry, adds_claim, closest, fold, key, opposite

RARE = 0.02             # a value below this share of its column is no vocabulary to crosswalk
BASIS_CONFIDENCE = {"lexicon": 0.95, "case": 0.95, "contains": 0.75, "words": 0.7, "spelling": 0.5}
# Spelling alone proposes a crosswalk only this close (difflib's ratio): "Anmälen" for Anmälan, not "Boende
# akut" for Boendestöd. A looser guess is a defect turned into a pass once a hurried reviewer accepts it.
SPELLING_BAR = 0.85
SAME_CODE = 0.98        # the share of a local code name's rows that must carry one code for the code to decide


def crosswalk(profile: Profile, table: str, d: Drafted, counts: dict[str, int], allowed: set[str],
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
    elsewhere = standard_elsewhere(profile, d.spec)
    source, table_codes = code_table
    rare = []
    for value, n in sorted(counts.items()):
        if value in allowed:
            continue
        about = {"table": table, "field": d.spec.name, "value": masked(value), "n": n}
        if table_codes.get(value) == CONFLICT:
            unmapped.append(Note("code_table_conflict", {**about, "source": source}))
            continue
        if value in table_codes:
            text = table_codes[value]
            found = standard_for(text, allowed, known, aliases)
            if found is None:
                unmapped.append(Note("code_text_unknown", {**about, "text": masked(text), "source": source}))
                d.code_texts[value] = masked(text)
            else:
                d.values[value] = Crosswalk(*found, Note("basis_code_table", {
                    "source": source, "code": masked(value), "text": masked(text)}), n)
            continue
        if table_codes:  # the system has said what it writes here; anything else is an error to report
            unmapped.append(Note("not_in_code_table", {**about, "source": source}))
            continue
        if n / total < RARE:
            rare.append(f"'{masked(value)}' ({n}×)")
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
            by_code(profile, d, value, codes.get(value, {}), unmapped, about)
            continue
        match, basis = closest(value, standard, {}, cutoff=SPELLING_BAR)
        if match is None:
            # The one value sharing most words, among all: two that share as many leave the meaning open.
            match, basis = shared_words(value, standard, aliases)
            refused = match is not None and (opposite(value, match) or adds_claim(value, match))
            match, basis = (None, None) if refused else (match, basis)
        if match is None:
            unmapped.append(Note("value_no_counterpart", about))
            continue
        d.values[value] = Crosswalk(match, BASIS_CONFIDENCE.get(basis, 0.5), Note(f"basis_{basis}"), n)
    if rare:
        unmapped.append(Note("rare_values", {"table": table, "field": d.spec.name, "values": ", ".join(rare)}))


def standard_elsewhere(profile: Profile, spec: FieldSpec) -> set[str]:
    """Values the standard has for this field outside the values it is compared with: for a field of codes'
    names, the names of the other codes its code field takes (drafting.yaml: an insats name's KSI names of
    ksi_andra_koder)."""
    code = drafting_hints(profile).code_named_in(spec.name)
    if code is not None and code.other_codes:
        other = profile.value_set(code.other_codes)
        return {v for c in code.other_names if c in other.columns for v in other[c].drop_nulls().to_list()}
    return set()


def by_code(profile: Profile, d: Drafted, value: str, codes: dict[str, int], unmapped: list[Note],
            about: dict) -> None:
    """A code name's crosswalk decided by the code on its rows (an insats name's, by its KSI code): the standard
    name of the one code nearly all of them carry, where the name agrees with it (shares a word, and does not say
    the opposite). Otherwise the name is left as written, for the rules to report against its code."""
    code, on = max(codes.items(), key=lambda kv: (kv[1], kv[0] or "")) if codes else (None, 0)
    if code is None:
        unmapped.append(Note("no_code", about))
        return
    if on < SAME_CODE * sum(codes.values()):
        listed = ", ".join(f"{c or '–'} {k}×" for c, k in sorted(codes.items(), key=lambda kv: -kv[1])[:3])
        unmapped.append(Note("several_codes", {**about, "codes": listed}))
        return
    code_field = drafting_hints(profile).code_named_in(d.spec.name)
    by_codes = profile.value_set(d.spec.value_set)
    named = by_codes.filter(pl.col(profile.field_value_column(code_field.name, d.spec.value_set)) == code)[
        profile.value_column(d.spec.value_set)].drop_nulls().to_list()
    if not named:
        unmapped.append(Note("code_unnamed", {**about, "code": code}))
        return
    match, _ = shared_words(value, named[:1])
    if match is None or opposite(value, match):
        unmapped.append(Note("against_code", {**about, "code": code, "name": named[0]}))
        return
    d.values[value] = Crosswalk(match, 0.9, Note("basis_code", {"code": code}), about["n"])


def standard_for(text: str, allowed: set[str], known: dict[str, Entry], aliases: dict[str, str]) \
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
    match, _ = shared_words(text, sorted(allowed), aliases)
    if match is None or opposite(text, match) or adds_claim(text, match):
        return None
    return match, BASIS_CONFIDENCE["words"]
