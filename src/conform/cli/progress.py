"""The progress line of a long check, on a terminal only: the stage, the records checked of all, the time so far
and, once some records are checked, about how long is left. It is written to standard error and rewritten in
place, so it never reaches an output file; it is silent when standard error is not a terminal, under CI and with
--quiet.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import click

from conform.catalogue import fill, labels
from conform.cli.localised import language, words
from conform.formatting import int_text

Progress = Callable[[str, int, int], None]


def progress_printer(quiet: bool = False, clock: Callable[[], float] = time.monotonic) -> Progress | None:
    """A progress callback (step, records checked, records in all) for :func:`conform.api.check`, or None where
    nothing is to be shown."""
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    return ProgressLine(clock)


class ProgressLine:
    """One line, rewritten at each step: "kontrollerar beslut · 2 500 000 av 6 300 000 poster · 0:07 · cirka 0:11
    kvar"."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.start = clock()
        self.width = 0

    def __call__(self, step: str, done: int, total: int) -> None:
        W, lang = words(), language()
        elapsed = self.clock() - self.start
        # A step is a stage of the check, or a table of the profile, named by its noun as the report names it.
        nouns = labels(lang)["html"]["table_nouns"]
        parts = [fill(W["progress_table"], table=nouns[step][1]) if step in nouns else W["progress_steps"][step]]
        if total:
            parts.append(fill(W["progress_records"], done=int_text(done, lang), total=int_text(total, lang)))
        parts.append(_clock_text(elapsed))
        if 0 < done < total and elapsed >= 1:
            parts.append(fill(W["progress_left"], left=_clock_text(elapsed * (total - done) / done)))
        line = " · ".join(parts)
        self.width = max(self.width, len(line))
        click.echo("\r" + line.ljust(self.width), err=True, nl=step == "done")


def _clock_text(seconds: float) -> str:
    """Minutes and seconds as a clock shows them ("0:07", "12:40"), hours where it takes that long."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
