"""What is wrong in a file a person wrote, as a JSON-schema validation error says it, in the catalogue's words.

jsonschema's own messages are English and quote Python's notation ("Additional properties are not allowed
('tolerans' was unexpected)"). A buyer editing a requirements file, or a system administrator a mapping, reads
instead which key is unknown and which is meant, which value is not allowed and which are, in their language.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import jsonschema

from conform.errors import Msg, msg

TYPE_WORDS = {"string": msg("schema_a_text"), "number": msg("schema_a_number"), "integer": msg("schema_an_integer"),
              "object": msg("schema_an_object"), "array": msg("schema_a_list"), "boolean": msg("schema_a_boolean"),
              "null": msg("schema_nothing")}


def deepest(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """The error furthest into the document: the one nearest what the person wrote wrong; of a key written
    wrong and the key it should have been, the one written (it is on the line the person looks at)."""
    return max(errors, key=lambda e: (len(e.absolute_path), e.validator == "additionalProperties"))


def problem(error: jsonschema.ValidationError) -> tuple[tuple, Msg]:
    """(the key path the problem is at, what is wrong), for a person to find and mend."""
    at = tuple(error.absolute_path)
    kind, expected, found, schema = error.validator, error.validator_value, error.instance, error.schema
    if "propertyNames" in error.absolute_schema_path:  # a key's own name is wrong: at the key
        return at + (str(found),), msg("schema_key_name", name=shown(found))
    if kind == "additionalProperties" and isinstance(found, dict) and isinstance(schema, dict):
        allowed = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        unknown = [str(k) for k in found if k not in allowed and not any(re.search(p, str(k)) for p in patterns)]
        key = unknown[0] if unknown else ""
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
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
    return at, _limit(kind, expected, found)


def _limit(kind: str, expected: Any, found: Any) -> Msg:
    """A number too small or large, a text, list or object too short or long, or another shape."""
    if kind == "minimum":
        return msg("schema_minimum", value=shown(found), limit=shown(expected))
    if kind == "maximum":
        return msg("schema_maximum", value=shown(found), limit=shown(expected))
    if kind == "exclusiveMinimum":
        return msg("schema_above", value=shown(found), limit=shown(expected))
    if kind == "exclusiveMaximum":
        return msg("schema_below", value=shown(found), limit=shown(expected))
    if kind in ("minLength", "minItems", "minProperties") and expected == 1:
        return msg("schema_empty")
    if kind == "minLength":
        return msg("schema_min_length", limit=expected)
    if kind == "maxLength":
        return msg("schema_max_length", limit=expected)
    if kind == "minItems":
        return msg("schema_min_items", limit=expected)
    if kind == "maxItems":
        return msg("schema_max_items", limit=expected)
    if kind == "minProperties":
        return msg("schema_min_keys", limit=expected)
    if kind == "maxProperties":
        return msg("schema_max_keys", limit=expected)
    if kind == "uniqueItems":
        return msg("schema_unique")
    if kind == "pattern":
        return msg("schema_pattern", value=shown(found), pattern=expected)
    return msg("schema_shape", value=shown(found))


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
