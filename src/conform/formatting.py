"""Numbers as a Swedish or English reader of a report expects them, with small counts suppressed."""

from __future__ import annotations

import math
import re

SUPPRESS_BELOW = 5           # counts 1-4 are shown as "<5", as Swedish official statistics do


def int_text(n: int | None, lang: str) -> str:
    if n is None:
        return "–"
    text = f"{n:,}"
    return text.replace(",", "\u00a0") if lang == "sv" else text


def share_text(share: float | None, lang: str) -> str:
    """A conforming share as a percentage, rounded down so that a share with any error never reads 100 %. From
    99 % on, with one decimal: there the whole percent would show 99 % for one defective record in 100 and for
    one in 10,000 alike, and a buyer comparing vendors needs to see the difference."""
    if share is None:
        return "–"
    if share >= 1:
        text = "100"
    elif share >= 0.99:
        text = f"{math.floor(round(share * 1000, 6)) / 10:.1f}"
        text = text.replace(".", ",") if lang == "sv" else text
    else:
        text = str(math.floor(round(share * 100, 6)))
    return f"{text}\u00a0%" if lang == "sv" else f"{text}%"


def decimal_text(value: float, spec: str, lang: str) -> str:
    """A score or share in a format spec (".2f", ".0%"), the Swedish way in Swedish: "0,85", "85 %"."""
    text = format(value, spec)
    if lang != "sv":
        return text
    text = text.replace(".", ",")
    return text[:-1] + "\u00a0%" if spec.endswith("%") else text


def timestamp_text(stamp: str | None, lang: str) -> str:
    """A creation time as the result stores it (ISO 8601 in UTC, "2026-12-07T04:20:14Z") written for a person:
    "2026-12-07 kl. 04.20 UTC", "2026-12-07 at 04:20 UTC"; anything else as it is."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)", stamp or "")
    if not match:
        return stamp or "–"
    day, hour, minute = match.groups()
    return f"{day} kl. {hour}.{minute} UTC" if lang == "sv" else f"{day} at {hour}:{minute} UTC"


class Formatter:
    """The number formats of one report language."""

    def __init__(self, lang: str):
        self.lang = lang

    def int(self, n: int | None) -> str:
        return int_text(n, self.lang)

    def count(self, n: int) -> str:
        """A count of people or records in a statistic: 1-4 suppressed."""
        return f"<{SUPPRESS_BELOW}" if 0 < n < SUPPRESS_BELOW else self.int(n)

    def share(self, share: float | None) -> str:
        return share_text(share, self.lang)

    def number(self, value: float) -> str:
        """A number a person wrote (a weight): whole as whole, else with up to two decimals, a decimal comma in
        Swedish."""
        if float(value).is_integer():
            return self.int(int(value))
        return decimal_text(round(value, 2), "g", self.lang)

    def percent(self, share: float) -> str:
        """A share a person set (a tolerance), exactly as set: 0.025 is "2,5 %", never rounded to 2 %."""
        return self.number(round(share * 100, 4)) + ("\u00a0%" if self.lang == "sv" else "%")

    def days(self, value: float) -> str:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "sv" else text
