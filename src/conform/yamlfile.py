"""YAML files a person writes (rules, mappings): parsed with the line of every key, so that every problem can
be reported as ``file:line: 'key/path'``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conform.catalogue import LOADER
from conform.errors import Msg, msg, utf8_reason


class _Loader(LOADER):
    """The safe loader, except that a date YAML cannot construct (2027-06-31, a 13th month) stays the text it is
    written as, for the file's own check to name as not a date: YAML's own error is an exception, not a problem
    in a file."""


def _date_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_or_text)

# The most values a file a person writes may stand for once its aliases are expanded, and the deepest nesting:
# the largest mapping or requirements file has a few thousand values, nested six levels.
MAX_NODES = 100_000
MAX_DEPTH = 64


class Located:
    """A parsed YAML document and the line of each of its key paths."""

    def __init__(self, path: Path, data: Any, lines: dict[tuple, int]):
        self.path, self.data, self.lines = path, data, lines

    def line(self, at: tuple) -> int:
        probe = at
        while probe not in self.lines and probe:
            probe = probe[:-1]
        return self.lines.get(probe, 1)

    def where(self, at: tuple) -> str:
        key = "/".join(str(p) for p in at) or "/"
        return f"{self.path}:{self.line(at)}: '{key}'"


def load_located(path: Path, error: type[Exception]) -> Located:
    """Parse `path`; raise `error` naming the file for text that is not UTF-8 or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_Loader)
        if node is not None and _expanded_size(node, {}) > MAX_NODES:
            # Aliases let a few lines stand for billions of values ("billion laughs"): refused before anything
            # (loading, validating, indexing lines) walks them.
            raise error("yaml_too_large", path=path, limit=MAX_NODES)
        twice = _key_twice(node) if node is not None else None
        if twice:
            # YAML keeps the last of two equal keys without a word: a set written twice would silently take the
            # second requirement.
            key, first, again = twice
            raise error("yaml_key_twice", path=path, line=again, key=key, first=first)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except FileNotFoundError as exc:
        raise error("no_such_file", path=path) from exc
    except IsADirectoryError as exc:
        raise error("yaml_folder", path=path) from exc
    except UnicodeDecodeError as exc:
        raise error("yaml_not_utf8", path=path, line=exc.object[:exc.start].count(b"\n") + 1,
                    reason=utf8_reason(exc.reason), byte=exc.start) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None:
            raise error("yaml_invalid", path=path, line=1, column=1, what=msg("yaml_problem")) from exc
        raise error("yaml_invalid", path=path, line=mark.line + 1, column=mark.column + 1,
                    what=_yaml_problem(exc, text, mark)) from exc
    except (RecursionError, _TooDeep) as exc:
        raise error("yaml_too_deep", path=path, limit=MAX_DEPTH) from exc
    return Located(path, data, _line_index(node) if node is not None else {})


def _yaml_problem(exc: yaml.YAMLError, text: str, mark) -> Msg:
    """What the YAML parser stopped at, in the words of a person who edits the file (its own message is English
    and speaks of tokens and block ends)."""
    said = f"{getattr(exc, 'context', '') or ''} {getattr(exc, 'problem', '') or ''}"
    lines = text.splitlines()
    at = lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""
    if "cannot start any token" in said and at == "\t" or "tab character" in said:
        return msg("yaml_tab")
    if "mapping values are not allowed" in said:
        return msg("yaml_colon")
    if "quoted scalar" in said:
        return msg("yaml_quote")
    if "flow mapping" in said or "flow sequence" in said:
        return msg("yaml_bracket")
    if "block mapping" in said or "block end" in said or "expected key" in said:
        return msg("yaml_indent")
    if "cannot start any token" in said:
        return msg("yaml_character", character=at)
    return msg("yaml_problem")


def _key_twice(root: yaml.Node) -> tuple[str, int, int] | None:
    """(key, its first line, its second line) of the first key written twice in one mapping; else None."""
    stack, done = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in done:
            continue
        done.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in seen:
                        return key.value, seen[key.value], key.start_mark.line + 1
                    seen[key.value] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _expanded_size(node: yaml.Node, seen: dict[int, int], depth: int = 1) -> int:
    """How many nodes the document holds with every alias expanded, counting each shared node once per use
    (memoised on the node, so a bomb is measured in as many steps as it has distinct nodes). Raises
    :class:`_TooDeep` past MAX_DEPTH levels, long before Python's own recursion limit."""
    if depth > MAX_DEPTH:
        raise _TooDeep
    if id(node) in seen:
        return seen[id(node)]
    seen[id(node)] = 1  # a node that contains itself counts once more, not forever
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, seen, depth + 1) + _expanded_size(v, seen, depth + 1)
                       for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, seen, depth + 1) for item in node.value)
    else:
        size = 1
    seen[id(node)] = min(size, MAX_NODES + 1)
    return seen[id(node)]


class _TooDeep(Exception):
    pass


def _line_index(root: yaml.Node) -> dict[tuple, int]:
    """Line (1-based) of every key/index path in a composed YAML document; a node an alias reuses is indexed
    at its first path only (a node may contain itself)."""
    lines: dict[tuple, int] = {}
    done: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in done:
            continue
        done.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                key_path = path + (key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark),)
                lines[key_path] = key.start_mark.line + 1
                stack.append((value, key_path))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (i,)) for i, item in enumerate(node.value))
    return lines
