"""Renders the result document with the Jinja2 templates of reports_templates/."""

from __future__ import annotations

from functools import cache

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from conform.resources import TEMPLATES_DIR


@cache
def environment() -> Environment:
    # Text output is not HTML: escaping would mangle values; HTML templates opt in per file.
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=False, undefined=StrictUndefined,
                       keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)


@cache
def labels(lang: str) -> dict:
    return yaml.safe_load((TEMPLATES_DIR / "labels.yaml").read_text(encoding="utf-8"))[lang]


def render_text(document: dict) -> str:
    template = environment().get_template("check.txt.j2")
    return template.render(d=document, L=labels(document["language"]))
