"""What a buyer requires of an export: the requirements file (the verdict that follows: conform.result.evaluation).

Swedish public procurement (LOU) sorts requirements into skall-krav, which must all be met or the tender is
rejected, and bör-krav, which are weighed in the evaluation. A requirements file says, per information set,
which it is, with a tolerance: the largest share of the set's records allowed to carry krav findings. It may also
list accepted deviations (a rule, optionally limited to some sets, with a justification, who accepted it and an
expiry date): their findings are shown as accepterad avvikelse and do not count, until the deviation expires.
A vendor uses the same file as a release baseline.

Without a file every set is skall with tolerance 0, so the verdict is the standard's own: any krav finding fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import polars as pl

from conform.errors import UsageError
from conform.model import Rule
from conform.profile import Profile
from conform.resources import SCHEMAS_DIR
from conform.yamlfile import load_located

SKALL, BOR = "skall", "bor"


@dataclass(frozen=True)
class SetRequirement:
    level: str = SKALL
    weight: float = 1.0
    tolerance: float = 0.0


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
    errors = sorted(_validator().iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        deepest = max(errors, key=lambda e: len(e.absolute_path))
        raise UsageError("schema", where=doc.where(tuple(deepest.absolute_path)), detail=deepest.message)
    known_sets = {s.id for s in profile.information_sets}
    known_rules = {r.code for r in rules}
    if data.get("profile", profile.name) != profile.name:
        raise UsageError("requirements_profile", where=doc.where(("profile",)), written=data["profile"],
                         profile=profile.name)
    sets = {}
    for set_id, raw in data["information_sets"].items():
        if set_id not in known_sets:
            raise UsageError("requirements_no_set", where=doc.where(("information_sets", set_id)), set=set_id,
                             known=sorted(known_sets))
        sets[set_id] = SetRequirement(raw["level"], float(raw.get("weight", 1)), float(raw.get("tolerance", 0)))
    deviations = []
    for i, raw in enumerate(data.get("accepted_deviations") or []):
        at = ("accepted_deviations", i)
        if raw["rule"] not in known_rules:
            raise UsageError("requirements_no_rule", where=doc.where(at + ("rule",)), rule=raw["rule"])
        unknown = [s for s in raw.get("information_sets", []) if s not in known_sets]
        if unknown:
            raise UsageError("requirements_no_set", where=doc.where(at + ("information_sets",)), set=unknown[0],
                             known=sorted(known_sets))
        try:
            expires = dt.date.fromisoformat(raw["expires"]) if "expires" in raw else None
        except ValueError as exc:
            raise UsageError("requirements_not_date", where=doc.where(at + ("expires",)), value=raw["expires"]) from exc
        deviations.append(Deviation(raw["rule"], raw["justification"], raw["accepted_by"],
                                    tuple(raw.get("information_sets", [])), expires))
    practice = _practice(data.get("local_practice") or {}, profile, doc)
    return Requirements({s: sets.get(s, SetRequirement()) for s in (x.id for x in profile.information_sets)},
                        tuple(deviations), practice, data.get("name"), str(path),
                        hashlib.sha256(path.read_bytes()).hexdigest())


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


def init_requirements_yaml(profile: Profile) -> str:
    """The default requirements, written out for a buyer to edit (`conform init-requirements`)."""
    lines = [
        "# conform requirements file (docs/requirements.md; schema: src/conform/schemas/requirements.schema.json).",
        "# Per information set: level skall (must be met, or the verdict is ej godkänd) or bor (should; weighed",
        "# in the bör score by its weight), and tolerance: the largest share of the set's records allowed to carry",
        "# krav findings (0 = none). This is the default: every set skall, tolerance 0.",
        "conform_requirements: 1",
        f"profile: {profile.name}",
        "name: \"Krav på export enligt Basinformation i socialtjänsten\"",
        "information_sets:",
    ]
    for s in profile.information_sets:
        lines.append(f"  {s.id}: {{level: skall, tolerance: 0}}  # {s.name}, [{s.cardinality}]")
    lines += [
        "# A bör-krav with a weight:   ursprung: {level: bor, weight: 2, tolerance: 0.05}",
        "# Deviations accepted for a known, agreed reason; past `expires` (compared with the reference date)",
        "# their findings fail again:",
        "accepted_deviations: []",
        "#  - rule: VAL-013",
        "#    information_sets: [insats]",
        "#    justification: \"Hemtjänst registreras som överkategori till och med release 4.2\"",
        "#    accepted_by: \"Upphandlingsgruppen, beslut 2026-11-02\"",
        "#    expires: 2027-06-30",
    ]
    return "\n".join(lines) + "\n"
