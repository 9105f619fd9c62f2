"""A mapping changed by a person on a form (`conform serve`'s mapping review), written back as a mapping file.

The draft's evidence comments belonged to the draft's guesses; once a person has chosen, the file holds their
choices, so it is written by a YAML library from the mapping's data, under a header that says where it came
from. What the person has not yet reviewed keeps its ``review`` line, ``unmapped`` item or ``draft`` flag.
"""

from __future__ import annotations

import yaml

from conform import __version__, clock

ORDER = ("conform_mapping", "profile", "vendor", "draft", "tables", "unmapped")
# Characters YAML reads as a line break: in a plain or single-quoted scalar they would come back as a space (U+0085,
# EBCDIC's newline, is one), so a text holding one is written double-quoted, where it is escaped.
LINE_BREAKS = frozenset("\r\n\x85\u2028\u2029")


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, with every text written so that it reads back exactly."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if LINE_BREAKS.intersection(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def mapping_yaml(data: dict) -> str:
    """`data` (a mapping file's document) as the file's text, its top-level keys in the order of docs/mapping.md."""
    ordered = {k: data[k] for k in ORDER if k in data} | {k: v for k, v in data.items() if k not in ORDER}
    header = [
        f"# Mapping reviewed on the local page of conform (conform serve, conform {__version__}, "
        f"{clock.today().isoformat()}).",
        "# The format is described in docs/mapping.md and schemas/mapping.schema.json. While a `review` line, an",
        "# item under `unmapped` or `draft: true` is left, a verdict through this mapping is preliminary.",
    ]
    body = yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=1 << 16)
    return "\n".join(header) + "\n" + body
