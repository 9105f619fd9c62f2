"""What a buyer requires of an export: the requirements file (the verdict that follows: conform.result.evaluation).

Swedish public procurement (LOU) sorts requirements into skall-krav, which must all be met or the tender is
rejected, and bör-krav, which are weighed in the evaluation. A requirements file says, per information set,
which it is, with a tolerance: the largest share of the set's records allowed to carry krav findings. It may also
list accepted deviations (a rule, optionally limited to some sets, with a justification, who accepted it and an
expiry date): their findings are shown as accepterad avvikelse and do not count, until the deviation expires.
A vendor uses the same file as a release baseline.

A buyer may also raise a rule the standard does not require (its basis tolkning, rekommendation or förslag: a date
order, a plausibility check) into a requirement of their own (`own_requirements`): skall or bör, with a tolerance
on the share of the records the rule checks that carry its findings. Such a requirement is the buyer's, not the
standard's: it never changes the verdict against the standard, only whether a vendor qualifies and its bör score.

Without a file every set is skall with tolerance 0, so the verdict is the standard's own: any krav finding fails.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import polars as pl

from conform.catalogue import labels
from conform.errors import UsageError, msg
from conform.model import Basis, Rule
from conform.profile import Profile
from conform.resources import SCHEMAS_DIR
from conform.schema_problems import deepest, problem, shown
from conform.vocabulary import fold
from conform.yamlfile import load_located

SKALL, BOR = "skall", "bor"
LEVELS = {SKALL: SKALL, BOR: BOR, "bör": BOR}  # as written in a file -> as conform keeps it
# The file's keys as a Swedish buyer may write them (folded), for "did you mean" (schema_problems.problem).
SWEDISH_KEYS = {"niva": "level", "vikt": "weight", "tolerans": "tolerance", "regel": "rule",
                "motivering": "justification", "beslutad_av": "accepted_by", "godkand_av": "accepted_by",
                "giltig_till": "expires", "utgar": "expires", "informationsmangder": "information_sets",
                "avvikelser": "accepted_deviations", "namn": "name", "egna_krav": "own_requirements",
                "bestallarens_krav": "own_requirements", "regelkrav": "own_requirements", "anteckning": "note",
                "kommentar": "note", "notering": "note"}


@dataclass(frozen=True)
class SetRequirement:
    level: str = SKALL
    weight: float = 1.0
    tolerance: float = 0.0


@dataclass(frozen=True)
class OwnRequirement:
    """The buyer's own requirement on a rule the standard does not require: met when the share of the records of
    the tables the rule checks that carry its findings is within `tolerance` (conform.result.evaluation)."""

    rule: str
    level: str = SKALL
    weight: float = 1.0
    tolerance: float = 0.0
    note: str | None = None


@dataclass(frozen=True)
class Deviation:
    rule: str
    justification: str
    accepted_by: str
    information_sets: tuple[str, ...] = ()  # empty: wherever the rule's findings count
    expires: dt.date | None = None

    def active(self, as_of: dt.date) -> bool:
        return self.expires is None or as_of <= self.expires


@dataclass(frozen=True)
class LocalPractice:
    """What a municipality registers in its own, declared way, as the standard allows (checked as declared):

    - ibic_groups / ibic_sets / ibic_values / ibic_pattern: "kan Problematik ersättas med Bedömt
      funktionstillstånd enligt IBIC-processen" (likewise Aktualiseringsorsak): in these target groups those sets
      may hold these values, or values matching the pattern in full, beside the standard's list;
    - reserve_numbers: (name, pattern) of the municipality's own reserve-number schemes: a person-ID matching
      one in full is such a reserve number, not judged as a personnummer;
    - local_values: per information set, local sub-values and the standard value each refines ("Det är möjligt
      att som enskild kommun ha fler värdemängder").
    """

    ibic_groups: tuple[str, ...] = ()
    ibic_sets: tuple[str, ...] = ()
    ibic_values: tuple[str, ...] = ()
    ibic_pattern: str | None = None
    reserve_numbers: tuple[tuple[str, str], ...] = ()
    local_values: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def declared(self) -> bool:
        return bool(self.ibic_groups or self.reserve_numbers or self.local_values)

    def ibic_valid(self, value: pl.Expr) -> pl.Expr:
        """True where a value (or list item) is a declared IBIC value."""
        valid = value.is_in(list(self.ibic_values))
        return valid | value.str.contains(full_match(self.ibic_pattern)) if self.ibic_pattern else valid

    def reserve_number(self, person_id: pl.Expr) -> pl.Expr:
        """True where a person-ID has the form of a declared reserve-number scheme."""
        if not self.reserve_numbers:
            return pl.lit(False)
        return person_id.str.contains("|".join(full_match(p) for _, p in self.reserve_numbers)).fill_null(False)

    def as_dict(self) -> dict:
        return {"ibic": {"target_groups": list(self.ibic_groups), "information_sets": list(self.ibic_sets),
                         "values": list(self.ibic_values), "pattern": self.ibic_pattern} if self.ibic_groups else None,
                "reserve_numbers": [{"name": n, "pattern": p} for n, p in self.reserve_numbers],
                "local_values": self.local_values}


def full_match(pattern: str) -> str:
    return f"^(?:{pattern})$"


@dataclass(frozen=True)
class Requirements:
    sets: dict[str, SetRequirement]
    deviations: tuple[Deviation, ...] = ()
    practice: LocalPractice = field(default_factory=LocalPractice)
    name: str | None = None
    path: str | None = None  # None: the default requirements
    sha256: str | None = None
    own: tuple[OwnRequirement, ...] = ()  # the buyer's own requirements on rules, in the file's order

    def of(self, set_id: str) -> SetRequirement:
        return self.sets.get(set_id, SetRequirement())


def default_requirements(profile: Profile) -> Requirements:
    return Requirements({s.id: SetRequirement() for s in profile.information_sets})


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS_DIR / "requirements.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load_requirements(path: Path, profile: Profile, rules: list[Rule]) -> Requirements:
    """Load and check a requirements file; every problem names the file, line and key (exit 2)."""
    doc = load_located(path, UsageError)
    data = doc.data
    listed = data.get("accepted_deviations") if isinstance(data, dict) else None
    for deviation in listed if isinstance(listed, list) else []:  # the schema then judges what else it is
        # YAML reads an unquoted 2026-12-31 as a date; the schema speaks of its text.
        if isinstance(deviation, dict) and isinstance(deviation.get("expires"), dt.date):
            deviation["expires"] = deviation["expires"].isoformat()
    if data is None:
        raise UsageError("requirements_empty", path=path)
    if isinstance(data, dict) and ("conform_mapping" in data or "tables" in data):
        raise UsageError("requirements_is_mapping", path=path)
    errors = sorted(_validator().iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        _refuse(deepest(errors), doc, profile, rules)
    known_sets = {s.id for s in profile.information_sets}
    known_rules = {r.code for r in rules}
    if data.get("profile", profile.name) != profile.name:
        raise UsageError("requirements_profile", where=doc.where(("profile",)), written=data["profile"],
                         profile=profile.name)
    sets = {}
    for set_id, raw in data["information_sets"].items():
        if set_id not in known_sets:
            _no_set(set_id, doc.where(("information_sets", set_id)), profile)
        sets[set_id] = SetRequirement(LEVELS[raw["level"]], float(raw.get("weight", 1)),
                                      float(raw.get("tolerance", 0)))
    deviations = []
    for i, raw in enumerate(data.get("accepted_deviations") or []):
        at = ("accepted_deviations", i)
        if raw["rule"] not in known_rules:
            _no_rule(raw["rule"], doc.where(at + ("rule",)), rules)
        unknown = [s for s in raw.get("information_sets", []) if s not in known_sets]
        if unknown:
            _no_set(unknown[0], doc.where(at + ("information_sets",)), profile)
        try:
            expires = dt.date.fromisoformat(raw["expires"]) if "expires" in raw else None
        except ValueError as exc:
            raise UsageError("requirements_not_date", where=doc.where(at + ("expires",)), value=raw["expires"]) from exc
        deviations.append(Deviation(raw["rule"], raw["justification"], raw["accepted_by"],
                                    tuple(raw.get("information_sets", [])), expires))
    practice = _practice(data.get("local_practice") or {}, profile, doc)
    own = _own(data.get("own_requirements") or {}, rules, doc)
    return Requirements({s: sets.get(s, SetRequirement()) for s in (x.id for x in profile.information_sets)},
                        tuple(deviations), practice, data.get("name"), str(path),
                        hashlib.sha256(path.read_bytes()).hexdigest(), own)


def _own(raw: dict, rules: list[Rule], doc) -> tuple[OwnRequirement, ...]:
    """The buyer's own requirements, each on a rule conform has that the standard does not require: a krav rule
    is already the standard's requirement, judged per information set under `information_sets`."""
    by_code = {r.code: r for r in rules}
    own = []
    for code, wanted in raw.items():
        at = ("own_requirements", code)
        rule = by_code.get(code)
        if rule is None:
            _no_rule(code, doc.where(at), rules, own=True)
        if rule.basis is Basis.KRAV:
            raise UsageError("requirements_own_krav", where=doc.where(at), rule=code, spec=rule.spec)
        own.append(OwnRequirement(code, LEVELS[wanted["level"]], float(wanted.get("weight", 1)),
                                  float(wanted.get("tolerance", 0)), wanted.get("note")))
    return tuple(own)


def _no_rule(written: str, where: str, rules: list[Rule], own: bool = False) -> None:
    """A rule code conform does not have, with the code meant: the same in capitals and with a hyphen (dat-001,
    DAT 001, DAT_1), a renamed rule's new code, the code of a rule written by its name, or the nearest code; for
    a buyer's own requirement (`own`), the nearest of the rules the standard does not require."""
    codes = {r.code for r in rules}
    parts = re.fullmatch(r"\s*([A-Za-z]{3})[\s_-]*(\d{1,3})\s*", str(written))
    meant = f"{parts.group(1).upper()}-{int(parts.group(2)):03d}" if parts else str(written).strip().upper()
    if meant not in codes:
        named = {alias: r.code for r in rules for alias in r.aliases} | {r.name: r.code for r in rules}
        nearest = sorted(r.code for r in rules if not own or r.basis is not Basis.KRAV)
        close = difflib.get_close_matches(meant, nearest, n=1, cutoff=0.6)
        meant = named.get(meant) or named.get(str(written).strip()) or (close[0] if close else None)
    raise UsageError("requirements_no_rule", where=where, rule=written,
                     hint=msg("did_you_mean", value=meant) if meant else "")


def _refuse(error, doc, profile: Profile, rules: list[Rule]) -> None:
    """A schema error as one line naming the file, line and key, in the catalogue's words; a level, a tolerance,
    a date, a rule code and an information set's name are worded for what a buyer most often writes instead."""
    at, what = problem(error, SWEDISH_KEYS)
    if at[:1] == ("information_sets",) and len(at) == 2 and error.validator in ("propertyNames", "pattern"):
        _no_set(str(at[1]), doc.where(at), profile)
    if at[:1] == ("own_requirements",) and len(at) == 2 and error.validator in ("propertyNames", "pattern"):
        _no_rule(str(at[1]), doc.where(at), rules, own=True)  # a code in lower case, or without its hyphen
    if at[-1:] == ("expires",):
        raise UsageError("requirements_not_date", where=doc.where(at), value=error.instance)
    if at[-1:] == ("rule",) and error.validator == "pattern" and isinstance(error.instance, str):
        _no_rule(error.instance, doc.where(at), rules)
    if (len(at) == 3 and at[0] in ("information_sets", "own_requirements")
            and error.validator == "additionalProperties" and str(at[-1]).isdigit()
            and isinstance(error.instance, dict) and "tolerance" in error.instance):
        # `tolerance: 0,02` in braces: YAML reads the comma as between two keys, `tolerance: 0` and `02`.
        line = doc.line(at[:2] + ("tolerance",))
        written = re.search(r"tolerance\s*:\s*(\d+,\d+)", doc.path.read_text(encoding="utf-8").splitlines()[line - 1])
        raise UsageError("requirements_decimal_comma", where=doc.where(at[:2] + ("tolerance",)),
                         value=written.group(1) if written else error.instance["tolerance"])
    if at[-1:] == ("weight",) and error.validator == "not":
        what = msg("requirements_skall_weight")
    elif at[-1:] == ("tolerance",) and error.validator in ("type", "minimum", "maximum"):
        what = msg("requirements_tolerance", value=shown(error.instance))
    elif at[-1:] == ("level",) and error.validator == "enum":
        what = msg("requirements_level", value=shown(error.instance))
    raise UsageError("schema", where=doc.where(at), detail=what)


def _no_set(name: str, where: str, profile: Profile) -> None:
    """An information set the profile does not have, with the id meant where the name is a set's title (as the
    standard writes it, "Juridiskt kön") or its id with the letters å, ä, ö."""
    ids = {s.id for s in profile.information_sets}
    by_name = {fold(s.name): s.id for s in profile.information_sets} | {fold(i): i for i in ids}
    meant = by_name.get(fold(name))
    raise UsageError("requirements_no_set", where=where, set=name, known=sorted(ids),
                     hint=msg("did_you_mean", value=meant) if meant else "")


def _practice(raw: dict, profile: Profile, doc) -> LocalPractice:
    """The declared local practice, each part checked against the profile: known target groups and sets, sub-values
    that refine a value of the set, patterns the check engine can run."""
    for at, pattern in [(("ibic", "pattern"), (raw.get("ibic") or {}).get("pattern"))] + [
            (("reserve_numbers", i, "pattern"), r["pattern"]) for i, r in enumerate(raw.get("reserve_numbers", []))]:
        if pattern is not None:
            try:
                pl.Series([""]).str.contains(full_match(pattern))
            except pl.exceptions.PolarsError as exc:
                raise UsageError("requirements_bad_regex", where=doc.where(("local_practice",) + at),
                                 detail=str(exc).splitlines()[0]) from exc
    ibic = raw.get("ibic") or {}
    groups = set(profile.values("malgrupp"))
    unknown = [g for g in ibic.get("target_groups", []) if g not in groups]
    if unknown:
        raise UsageError("requirements_no_group", where=doc.where(("local_practice", "ibic", "target_groups")),
                         group=unknown[0], known=sorted(groups))
    local = {}
    for set_id, values in (raw.get("local_values") or {}).items():
        at = ("local_practice", "local_values", set_id)
        holders = [f for _, f in profile.fields_of_set(set_id) if f.value_set]
        if not holders:
            raise UsageError("requirements_no_value_set", where=doc.where(at), set=set_id)
        standard = set(profile.values(holders[0].value_set))
        for local_value, parent in values.items():
            if parent not in standard:
                raise UsageError("requirements_parent", where=doc.where(at + (local_value,)), parent=parent, set=set_id)
        local[set_id] = dict(values)
    return LocalPractice(tuple(ibic.get("target_groups", [])),
                         tuple(ibic.get("information_sets", ["aktualiseringsorsak", "problematik"])) if ibic else (),
                         tuple(ibic.get("values", [])), ibic.get("pattern"),
                         tuple((r["name"], r["pattern"]) for r in raw.get("reserve_numbers", [])), local)


def init_requirements_yaml(profile: Profile, lang: str = "sv") -> str:
    """The default requirements, written out for a buyer to edit (`conform init-requirements`), its comments in
    the buyer's language."""
    return requirements_yaml(profile, lang)


def requirements_yaml(profile: Profile, lang: str = "sv", chosen: Requirements | None = None) -> str:
    """A requirements file with the comments `conform init-requirements` writes: the default requirements, or
    `chosen` (a buyer's, set in `conform serve`'s form), with its own requirements, accepted deviations and
    local practice."""
    words = labels(lang)["requirements_file"]
    chosen = chosen or default_requirements(profile)
    lines = [f"# {line}" for line in words["header"]] + [
        "conform_requirements: 1",
        f"profile: {profile.name}",
        f"name: {json.dumps(chosen.name or words['name'], ensure_ascii=False)}",
        "information_sets:",
    ]
    for s in profile.information_sets:
        lines.append(f"  {s.id}: {_set_text(chosen.of(s.id))}  # {s.name}, [{s.cardinality}]")
    lines += [f"# {words['bor_example']}"] + [f"# {line}" for line in words["own_requirements"]]
    if chosen.own:
        lines.append("own_requirements:")
        lines += [f"  {own.rule}: {_own_text(own)}" for own in chosen.own]
    else:
        lines += [  # commented out so that removing the # leaves the YAML as meant (as the deviation example below)
            "#own_requirements:",
            "#  DAT-001: {level: skall, tolerance: 0.01, note: "
            + json.dumps(words["example_note"], ensure_ascii=False) + "}",
            "#  PLA-002: {level: bör, weight: 2, tolerance: 0.05}",
        ]
    lines += [f"# {line}" for line in words["deviations"]]
    if chosen.deviations:
        lines.append("accepted_deviations:")
        for d in chosen.deviations:
            lines.append(f"  - rule: {d.rule}")
            if d.information_sets:
                lines.append(f"    information_sets: [{', '.join(d.information_sets)}]")
            lines += [f"    justification: {json.dumps(d.justification, ensure_ascii=False)}",
                      f"    accepted_by: {json.dumps(d.accepted_by, ensure_ascii=False)}"]
            if d.expires is not None:
                lines.append(f"    expires: {d.expires.isoformat()}")
    else:
        lines += [
            "accepted_deviations: []",
            "#  - rule: VAL-013",
            "#    information_sets: [insats]",
            f"#    justification: {json.dumps(words['example_justification'], ensure_ascii=False)}",
            f"#    accepted_by: {json.dumps(words['example_accepted_by'], ensure_ascii=False)}",
            "#    expires: 2027-06-30",
        ]
    if chosen.practice.declared:
        import yaml

        practice = {k: v for k, v in chosen.practice.as_dict().items() if v}
        if "ibic" in practice:
            practice["ibic"] = {k: v for k, v in practice["ibic"].items() if v not in (None, [])}
        lines += ["local_practice:"] + ["  " + line for line in yaml.safe_dump(
            practice, allow_unicode=True, sort_keys=False, default_flow_style=False).splitlines()]
    return "\n".join(lines) + "\n"


def _set_text(wanted: SetRequirement) -> str:
    return _requirement_text(wanted.level, wanted.weight, wanted.tolerance)


def _own_text(own: OwnRequirement) -> str:
    return _requirement_text(own.level, own.weight, own.tolerance, own.note)


def _requirement_text(level: str, weight: float, tolerance: float, note: str | None = None) -> str:
    """``{level: bör, weight: 2, tolerance: 0.05}``; a weight is written for bör only (the schema refuses it on
    skall)."""
    weighed = f", weight: {_number(weight)}" if level == BOR else ""
    noted = f", note: {json.dumps(note, ensure_ascii=False)}" if note else ""
    return f"{{level: {'bör' if level == BOR else SKALL}{weighed}, tolerance: {_number(tolerance)}{noted}}}"


def _number(value: float) -> str:
    """A share or weight as YAML reads it back: decimal notation, never 1e-05 (which YAML 1.1 reads as text)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.9f}".rstrip("0")
