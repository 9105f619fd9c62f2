"""What is wrong in a file a person wrote, as a JSON-schema validation error says it, in the catalogue's words.

jsonschema's own messages are English and quote Python's notation ("Additional properties are not allowed
('tolerans' was unexpected)"). A buyer editing a requirements file, or a system administrator a mapping, reads
instead which key is unknown and which is meant, which value is not allowed and which are, in their language.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any

import jsonschema

from conform.errors import Msg, msg
from conform.vocabulary import fold

TYPE_WORDS = {"string": msg("schema_a_text"), "number": msg("schema_a_number"), "integer": msg("schema_an_integer"),
              "object": msg("schema_an_object"), "array": msg("schema_a_list"), "boolean": msg("schema_a_boolean"),
              "null": msg("schema_nothing")}
# A number beyond a limit (worded with the value and the limit), and a text, list or object of the wrong size
# (worded with the limit); each message filled in by problem().
BOUNDS = {"minimum": msg("schema_minimum"), "maximum": msg("schema_maximum"),
          "exclusiveMinimum": msg("schema_above"), "exclusiveMaximum": msg("schema_below")}
SIZES = {"minLength": msg("schema_min_length"), "maxLength": msg("schema_max_length"),
         "minItems": msg("schema_min_items"), "maxItems": msg("schema_max_items"),
         "minProperties": msg("schema_min_keys"), "maxProperties": msg("schema_max_keys")}


def deepest(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """The error furthest into the document: the one nearest what the person wrote wrong; of a key written
    wrong and the key it should have been, the one written (it is on the line the person looks at)."""
    return max(errors, key=lambda e: (len(e.absolute_path), e.validator == "additionalProperties"))


def problem(error: jsonschema.ValidationError, synonyms: dict[str, str] | None = None) -> tuple[tuple, Msg]:
    """(the key path the problem is at, what is wrong), for a person to find and mend. `synonyms`: keys as a
    person may write them in their own language (folded, as vocabulary.fold with "_") -> the key meant, for an
    unknown key's "did you mean" where spelling alone would not find it (nivå: level)."""
    at = tuple(error.absolute_path)
    kind, expected, found, schema = error.validator, error.validator_value, error.instance, error.schema
    if "propertyNames" in error.absolute_schema_path:  # a key's own name is wrong: at the key
        return at + (str(found),), msg("schema_key_name", name=shown(found))
    if kind == "additionalProperties" and isinstance(found, dict) and isinstance(schema, dict):
        allowed = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        unknown = [str(k) for k in found if k not in allowed and not any(re.search(p, str(k)) for p in patterns)]
        key = unknown[0] if unknown else ""
        meant = (synonyms or {}).get(fold(key, "_"))
        close = [meant] if meant in allowed else difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
        return at + (key,), msg("schema_unknown_key", name=key,
                                hint=msg("did_you_mean", value=close[0]) if close else "",
                                allowed=", ".join(allowed))
    if kind == "required" and isinstance(found, dict):
        missing = next((k for k in expected if k not in found), "")
        return at, msg("schema_missing_key", name=missing)
    if kind == "not" and isinstance(expected, dict) and "required" in expected and isinstance(found, dict):
        # "a key that must not be here" (a weight on a skall-krav)
        key = next((k for k in expected["required"] if k in found), "")
        return at + (key,), msg("schema_key_not_here", name=key)
    if kind == "enum":
        return at, msg("schema_not_one_of", value=shown(found), allowed=", ".join(shown(v) for v in expected))
    if kind == "const":
        return at, msg("schema_not_const", value=shown(found), expected=shown(expected))
    if kind == "type":
        wanted = expected if isinstance(expected, str) else expected[0]
        return at, msg("schema_type", value=shown(found), type=TYPE_WORDS.get(wanted, TYPE_WORDS["string"]))
    if kind in BOUNDS:
        return at, dataclasses.replace(BOUNDS[kind], params={"value": shown(found), "limit": shown(expected)})
    if kind in ("minLength", "minItems", "minProperties") and expected == 1:
        return at, msg("schema_empty")
    if kind in SIZES:
        return at, dataclasses.replace(SIZES[kind], params={"limit": expected})
    if kind == "uniqueItems":
        return at, msg("schema_unique")
    if kind == "pattern":
        return at, msg("schema_pattern", value=shown(found), pattern=expected)
    return at, msg("schema_shape", value=shown(found))


def shown(value: Any) -> str:
    """A value as a person wrote it in YAML: text quoted, numbers and the rest as written, cut if long."""
    if isinstance(value, str):
        text = f"'{value}'"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, (dict, list)):
        text = "{…}" if isinstance(value, dict) else "[…]"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
