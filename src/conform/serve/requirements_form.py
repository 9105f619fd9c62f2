"""The requirements as a form: what `conform serve` shows of a requirements file, and the file a filled-in form
makes (the one `conform init-requirements` writes, with the buyer's values and its Swedish comments).

The form has a row per information set (skall or bör, weight, tolerance in per cent), rows for the buyer's own
requirements on rules and rows for accepted deviations; empty rows are left out. Tolerances are written in per
cent, as a buyer says them, and kept as shares, as the file holds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conform.input.requirements import (BOR, SKALL, Deviation, OwnRequirement, Requirements, SetRequirement,
                                        default_requirements)
from conform.model import Basis, Rule
from conform.profile import Profile

BLANK_ROWS = 2


class FormProblem(Exception):
    """A value of the form that is not a number or a date: the catalogue key of the message and the row."""

    def __init__(self, key: str, row: str):
        super().__init__(key, row)
        self.key, self.row = key, row


@dataclass(frozen=True)
class FormRows:
    """What the form shows: a row per set, the own requirements and the deviations, each with blank rows."""

    sets: list[dict]
    own: list[OwnRequirement | None]
    deviations: list[Deviation | None]
    own_rules: list[Rule]
    rules: list[Rule]


def rows(profile: Profile, rules: tuple[Rule, ...], current: Requirements | None) -> FormRows:
    current = current or default_requirements(profile)
    sets = [{"id": s.id, "name": s.name, "wanted": current.of(s.id),
             "percent": percent(current.of(s.id).tolerance)} for s in profile.information_sets]
    return FormRows(sets, [*current.own, *[None] * BLANK_ROWS], [*current.deviations, *[None] * BLANK_ROWS],
                    [r for r in rules if r.basis != Basis.KRAV], list(rules))


def chosen(form, profile: Profile, current: Requirements | None) -> Requirements:
    """The requirements a filled-in form says; the current file's name and local practice are kept."""
    current = current or default_requirements(profile)
    sets = {}
    for s in profile.information_sets:
        level = BOR if form.get(f"level.{s.id}") == BOR else SKALL
        # a weight counts in the bör score only; a skall row's is left as it is shown
        sets[s.id] = SetRequirement(level, _weight(form.get(f"weight.{s.id}"), s.name) if level == BOR else 1.0,
                                    _percent_share(form.get(f"tolerance.{s.id}"), s.name))
    own = []
    for i in range(_count(form, "own")):
        rule = _text(form.get(f"own.{i}.rule"))
        if rule:
            level = BOR if form.get(f"own.{i}.level") == BOR else SKALL
            own.append(OwnRequirement(rule, level, _weight(form.get(f"own.{i}.weight"), rule) if level == BOR else 1.0,
                                      _percent_share(form.get(f"own.{i}.tolerance"), rule),
                                      _text(form.get(f"own.{i}.note")) or None))
    deviations = []
    for i in range(_count(form, "dev")):
        rule = _text(form.get(f"dev.{i}.rule"))
        if rule:
            deviations.append(Deviation(rule, _text(form.get(f"dev.{i}.justification")),
                                        _text(form.get(f"dev.{i}.accepted_by")),
                                        tuple(v for v in form.getlist(f"dev.{i}.sets") if isinstance(v, str)),
                                        _date(form.get(f"dev.{i}.expires"), rule)))
    return Requirements(sets, tuple(deviations), current.practice, current.name, own=tuple(own))


def _count(form, prefix: str) -> int:
    keys = [k for k in form.keys() if k.startswith(prefix + ".")]
    return max((int(k.split(".")[1]) + 1 for k in keys if k.split(".")[1].isdigit()), default=0)


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _number(value, default: float, row: str) -> float:
    text = _text(value).replace(",", ".").replace(" ", "")
    if not text:
        return default
    try:
        number = float(text)
    except ValueError:
        raise FormProblem("requirements_form_number", row) from None
    if number != number or number in (float("inf"), float("-inf")) or number < 0:
        raise FormProblem("requirements_form_number", row)
    return number


def _weight(value, row: str) -> float:
    weight = _number(value, 1.0, row)
    if weight == 0:
        raise FormProblem("requirements_form_weight", row)
    return weight


def _percent_share(value, row: str) -> float:
    percent = _number(value, 0.0, row)
    if percent > 100:
        raise FormProblem("requirements_form_percent", row)
    return percent / 100


def _date(value, row: str) -> dt.date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormProblem("requirements_form_date", row) from None


def percent(share: float) -> str:
    """A share as the form shows it: in per cent, without a trailing zero ("2.5", "10")."""
    value = round(share * 100, 6)
    return str(int(value)) if value.is_integer() else f"{value:g}"
