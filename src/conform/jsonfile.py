"""JSON documents from outside (an export's datapackage.json, a result given to compare or diff), read with a
bound on their nesting: Python's parser recurses, so a document nested a hundred thousand levels deep would end
in a RecursionError, and a merely deep one would make every later walk over it slow."""

from __future__ import annotations

import json
from typing import Any

# The deepest nesting a document conform reads may have: a data package or a result is nested under ten.
MAX_DEPTH = 64


class TooDeep(ValueError):
    pass


class NotANumber(ValueError):
    """A number JSON does not have (NaN, Infinity) or one too long to read (over 4,300 digits)."""


def _no_constant(name: str):
    raise NotANumber(name)


def loads(text: str, strict_numbers: bool = False) -> Any:
    """json.loads, raising TooDeep for a document nested more than MAX_DEPTH levels (and json.JSONDecodeError
    for text that is not JSON). With `strict_numbers`, NaN and Infinity (which Python's parser accepts though
    JSON has no such numbers) and integers too long to read raise NotANumber."""
    try:
        document = json.loads(text, parse_constant=_no_constant) if strict_numbers else json.loads(text)
    except RecursionError as exc:
        raise TooDeep from exc
    except (json.JSONDecodeError, NotANumber):
        raise
    except ValueError as exc:  # an integer longer than sys.get_int_max_str_digits() digits
        raise NotANumber(str(exc)) from exc
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return document
