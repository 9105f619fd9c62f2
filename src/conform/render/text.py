"""Renders the result document as the terminal report (reports_templates/check.txt.j2)."""

from __future__ import annotations

from conform.catalogue import labels
from conform.profile import field_titles
from conform.render.provisional import provisional
from conform.render.templates import environment


def render_text(document: dict) -> str:
    template = environment(html=False, trim=False).get_template("check.txt.j2")
    L = labels(document["language"])
    shown = provisional(document, field_titles(document["profile"]["name"]), L)
    return template.render(d=document, L=L, provisional=shown)
