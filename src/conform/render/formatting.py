"""Numbers as a Swedish or English reader of a report expects them, with small counts suppressed."""

from __future__ import annotations

import math

SUPPRESS_BELOW = 5           # counts 1-4 are shown as "<5", as Swedish official statistics do


def int_text(n: int | None, lang: str) -> str:
    if n is None:
        return "–"
    text = f"{n:,}"
    return text.replace(",", "\u00a0") if lang == "sv" else text


def share_text(share: float | None, lang: str) -> str:
    """A conforming share as a percentage, rounded down so that a share with any error never reads 100 %."""
    if share is None:
        return "–"
    percent = 100 if share >= 1 else math.floor(share * 100)
    return f"{percent}\u00a0%" if lang == "sv" else f"{percent}%"


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

    def days(self, value: float) -> str:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "sv" else text
