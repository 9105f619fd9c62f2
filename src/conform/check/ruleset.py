"""Loads rule files: YAML, validated by a JSON Schema assembled from the rule kinds' own parameter models, so
files and code cannot drift. Every problem is reported with file, line and key."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import ValidationError

from conform.errors import Joined, Msg, RuleFileError, msg
from conform.check.kinds import KINDS
from conform.model import Basis, Category, Rule, Severity
from conform.profile import Profile
from conform.schema_problems import problem
from conform.yamlfile import load_located

CODE = r"^[A-Z]{3}-\d{3}$"


def rule_file_schema(information_sets: list[str] | None = None, per_kind: bool = True) -> dict:
    """The JSON Schema of a rule file: a list of rules, each with the common keys and its kind's params
    (without `per_kind`, params are only required to be an object)."""
    by_kind = [{
        "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
        "then": {"properties": {"params": _params_schema(name)}},
    } for name in KINDS] if per_kind else []
    set_ids = {"enum": information_sets} if information_sets else {"type": "string"}
    messages = {"type": "object", "required": ["sv", "en"], "additionalProperties": False,
                "properties": {"sv": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
    rule = {
        "type": "object",
        "required": ["code", "name", "kind", "category", "severity", "basis", "quote", "information_sets", "message",
                     "spec", "fix"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "pattern": CODE},
            "name": {"type": "string", "pattern": r"^[a-z0-9_]+$"},
            "aliases": {"type": "array", "items": {"type": "string", "pattern": CODE}},
            "kind": {"enum": sorted(KINDS)},
            "category": {"enum": [c.value for c in Category]},
            "severity": {"enum": [s.value for s in Severity]},
            "information_sets": {"type": "array", "items": set_ids, "uniqueItems": True},
            "message": messages,
            "fix": messages,
            "spec": {"type": "string", "minLength": 1},
            "basis": {"enum": [b.value for b in Basis]},
            "quote": {"type": "object", "required": ["section", "text"], "additionalProperties": False,
                      "properties": {"section": {"type": "string", "minLength": 1},
                                     "text": {"type": "string", "minLength": 1}}},
            "reading": messages,
            "params": {"type": "object"},
            # A failing and a passing case in words, in both languages (conform explain).
            "example": {"type": "object", "required": ["fail", "pass"], "additionalProperties": False,
                        "properties": {"fail": messages, "pass": messages}},
        },
        "allOf": by_kind,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "conform rule file",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {"rules": {"type": "array", "items": rule}},
    }


@lru_cache(maxsize=None)
def _params_schema(kind: str) -> dict:
    return KINDS[kind].Params.model_json_schema()


@lru_cache(maxsize=8)
def _validators(information_sets: tuple[str, ...]) -> tuple[jsonschema.Validator, dict[str, jsonschema.Validator]]:
    """The rule file's schema without the per-kind branches, and each kind's params schema: checking a rule's
    params against its own kind only gives the same errors as the published schema's if/then branches, without
    trying every kind on every rule (which made loading the rules the slowest step of checking a small export)."""
    common = jsonschema.Draft202012Validator(rule_file_schema(list(information_sets), per_kind=False))
    return common, {name: jsonschema.Draft202012Validator(_params_schema(name)) for name in KINDS}


def _schema_errors(data: Any, profile: Profile) -> list[tuple[tuple, Msg]]:
    """(path, what is wrong) of every schema error of a rule file."""
    common, params = _validators(tuple(s.id for s in profile.information_sets))
    errors = [problem(e) for e in common.iter_errors(data)]
    rules = data.get("rules") if isinstance(data, dict) else None
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict) and rule.get("kind") in params and isinstance(rule.get("params"), dict):
            errors += [(("rules", i, "params", *at), what)
                       for at, what in map(problem, params[rule["kind"]].iter_errors(rule["params"]))]
    return errors


def load_rule_file(path: Path, profile: Profile) -> list[Rule]:
    doc = load_located(path, RuleFileError)
    data, lines = doc.data, doc.lines
    errors = sorted(_schema_errors(data, profile), key=lambda e: (len(e[0]), list(map(str, e[0]))))
    if errors:
        deepest = max(errors, key=lambda e: len(e[0]))
        raise RuleFileError("schema", where=doc.where(deepest[0]), detail=deepest[1])
    rules = []
    for i, raw in enumerate(data["rules"]):
        kind = KINDS[raw["kind"]]
        try:
            params = kind.Params.model_validate(raw.get("params", {}))
        except ValidationError as exc:
            first = exc.errors()[0]
            at = ("rules", i, "params", *first["loc"])
            raise RuleFileError("schema", where=doc.where(at), detail=first["msg"]) from exc
        problems = kind.validate(params, profile)
        if problems:
            raise RuleFileError("schema", where=doc.where(("rules", i, "params")), detail="; ".join(problems))
        basis, severity = Basis(raw["basis"]), Severity(raw["severity"])
        if severity not in basis.severities:
            raise RuleFileError("rules_severity", where=doc.where(("rules", i, "severity")), basis=basis.value,
                                allowed=Joined(_alternatives(sorted(s.value for s in basis.severities))),
                                severity=severity.value)
        quote = raw["quote"]
        problem = _quote_problem(profile, quote["section"], quote["text"])
        if problem:
            raise RuleFileError("schema", where=doc.where(("rules", i, "quote")), detail=problem)
        for lang, template in raw["message"].items():
            unknown = set(re.findall(r"{(\w+)}", template)) - MESSAGE_FIELDS
            if unknown:
                at = ("rules", i, "message", lang)
                raise RuleFileError("rules_placeholders", where=doc.where(at), unknown=sorted(unknown),
                                    allowed=sorted(MESSAGE_FIELDS))
        rules.append(Rule(
            code=raw["code"], name=raw["name"], kind=raw["kind"], category=Category(raw["category"]),
            severity=severity, information_sets=tuple(raw["information_sets"]),
            message=raw["message"], spec=raw["spec"], fix=raw["fix"], params=params, basis=basis,
            quote=quote["text"].strip(), quote_section=quote["section"], reading=raw.get("reading"),
            example=raw.get("example"), aliases=tuple(raw.get("aliases", [])),
            source=f"{path.name}:{lines.get(('rules', i), 1)}",
        ))
    return rules


def _quote_problem(profile: Profile, section: str, text: str) -> Msg | None:
    """Why a quote cannot stand as the standard's own words, if it cannot."""
    standard = profile.standard
    if standard is None:
        return msg("rules_no_standard", profile=profile.name)
    if section not in standard.sections:
        return msg("rules_quote_section", section=section, sections=list(standard.sections))
    if not standard.contains(section, text):
        return msg("rules_quote_text", section=section, standard=standard.path.name)
    return None


def _alternatives(values: list[str]) -> list:
    """"a", "a or b", "a, b or c", in the reader's language."""
    if len(values) < 2:
        return values
    return [", ".join(values[:-1]), " ", msg("or"), " ", values[-1]]


# Placeholders a message template may use: the columns of a finding, and field_name, the standard's name of the
# field (what a reader of a Swedish report knows it by; {field} is the column's heading).
MESSAGE_FIELDS = {"table", "row", "key", "field", "value", "other", "field_name"}


def load_rules(folder: Path, profile: Profile) -> list[Rule]:
    if not folder.is_dir():
        raise RuleFileError("rules_no_folder", folder=folder)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        for rule in load_rule_file(path, profile):
            for code in (rule.code, *rule.aliases):
                if code in seen:
                    raise RuleFileError("rules_code_twice", where=rule.source, code=code, other=seen[code])
                seen[code] = rule.source
            rules.append(rule)
    if not rules:
        raise RuleFileError("rules_none", folder=folder)
    return sorted(rules, key=lambda r: r.code)


def schema_dict(profile: Profile | None = None) -> dict[str, Any]:
    return rule_file_schema([s.id for s in profile.information_sets] if profile else None)
