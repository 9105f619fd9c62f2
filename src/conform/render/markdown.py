"""`conform check --format markdown`: a short summary for a pull-request comment or a CI job summary.

The verdict in words (no emoji), whether `--fail-on` stops the pipeline and on which rules (the same rules the
JUnit XML fails, see conform.render.gate), the 17 information sets with status and share, the rules with the
most findings (those that stop the pipeline first), as_of and the profile. Every value that comes from the
export or the result is Markdown-escaped, so an export cannot add links, mentions, emphasis, table cells or HTML
to the comment.
"""

from __future__ import annotations

import re

from conform.model import SEVERITY_RANK
from conform.render.gate import failing_rules
from conform.render.templates import environment
from conform.catalogue import labels

TOP_RULES = 10
# Backslash-escaped: emphasis, code, links and images, table cells, headings and issue references, mentions,
# emoji short codes. (Escaped values never start a line, so list markers need no escape.)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#@:])")


def markdown_summary(document: dict, fail_on: str = "error") -> str:
    lang = document["language"]
    failing = failing_rules(document, fail_on)
    rules = sorted((r for r in document["rules"] if r["count"]),
                   key=lambda r: (r["code"] not in failing, -SEVERITY_RANK[r["severity"]], -r["count"], r["code"]))
    template = environment(html=False).get_template("summary.md.j2")
    return template.render(d=document, L=labels(lang), M=labels(lang)["ci"], lang=lang, md=md_escape,
                           top=rules[:TOP_RULES], more=len(rules) - TOP_RULES, failing=failing, fail_on=fail_on)


def md_escape(value) -> str:
    """Text safe to put in a Markdown paragraph or table cell: one line, HTML characters as entities,
    Markdown punctuation backslash-escaped, control characters dropped."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    text = "".join(c for c in text if c.isprintable())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)
