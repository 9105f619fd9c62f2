"""Renders the result document as the terminal report (reports_templates/check.txt.j2)."""

from __future__ import annotations

from conform.render.templates import environment
from conform.catalogue import labels


def render_text(document: dict) -> str:
    template = environment(html=False, trim=False).get_template("check.txt.j2")
    return template.render(d=document, L=labels(document["language"]))
