"""The progress line of a long check (issue 23): on a terminal, the stage, the records checked of all, the time so
far and about how long is left, in the reader's language; never in an output file, and silent with --quiet,
under CI or when standard error is not a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from conform.api import _in_records
from conform.cli import localised, progress

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "fixtures" / "example"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def as_terminal(monkeypatch):
    """Standard error taken for a terminal: the one in place while the test runs (capsys puts another in place
    for each phase of a test, so a fixture would patch the wrong one)."""
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.mark.parametrize("lang, words", [
    ("sv", ["läser exporten · 0:00",
            "kontrollerar beslut · 2\u00a0500\u00a0000 av 6\u00a0300\u00a0000 poster · 0:07 · cirka 0:11 kvar",
            "klar · 6\u00a0300\u00a0000 av 6\u00a0300\u00a0000 poster · 0:20"]),
    ("en", ["reading the export · 0:00",
            "checking decisions · 2,500,000 of 6,300,000 records · 0:07 · about 0:11 left",
            "done · 6,300,000 of 6,300,000 records · 0:20"]),
])
def test_the_line_says_the_stage_the_records_and_the_time_left(monkeypatch, capsys, lang, words):
    as_terminal(monkeypatch)
    chosen = localised._LANG.set(lang)  # as --lang sets it
    try:
        clock = Clock()
        show = progress.progress_printer(clock=clock)
        show("read", 0, 0)
        clock.now += 7
        show("beslut", 2_500_000, 6_300_000)
        clock.now += 13
        show("done", 6_300_000, 6_300_000)
    finally:
        localised._LANG.reset(chosen)
    shown = capsys.readouterr().err
    lines = [line.strip() for line in shown.split("\r") if line.strip()]
    assert lines == words
    assert shown.endswith("\n") and shown.count("\n") == 1  # rewritten in place; one line end, at the end
    if lang == "sv":
        assert not {"beslut_id", "done", "records", "uppfoljning"} & set(shown.replace("·", " ").split())


def test_nothing_is_shown_off_a_terminal_under_ci_or_when_quiet(monkeypatch):
    as_terminal(monkeypatch)
    assert progress.progress_printer() is not None
    assert progress.progress_printer(quiet=True) is None
    monkeypatch.setenv("CI", "true")
    assert progress.progress_printer() is None
    monkeypatch.delenv("CI")
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: False, raising=False)
    assert progress.progress_printer() is None


def test_records_checked_grow_with_each_table_and_bucket():
    """Tables count their records; in buckets, each bucket its share, so the figure never goes back."""
    seen = []
    step = _in_records(lambda table, done, total: seen.append((table, done, total)), {"a": 10, "b": 30},
                       ["a", "b"])
    for done, table in enumerate(["a", "b"]):
        step(table, done, 2)
    assert seen == [("a", 0, 40), ("b", 10, 40)]
    seen.clear()
    for done, table in enumerate(["a", "b", "a", "b"]):  # two buckets
        step(table, done, 4)
    assert seen == [("a", 0, 40), ("b", 5, 40), ("a", 20, 40), ("b", 25, 40)]


def on_a_terminal(args: list[str], cwd: Path) -> str:
    """What `conform ARGS` writes to a terminal (a pseudo-terminal on both standard output and error)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"CONFORM_LANG": "sv", "COLUMNS": "200"}
    leader, follower = pty.openpty()
    done = subprocess.Popen([sys.executable, "-m", "conform", *args], stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower, cwd=cwd, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the terminal closes when the program ends
            break
        if not chunk:
            break
        out += chunk
    done.wait(timeout=120)
    os.close(leader)
    return out.decode("utf-8")


def test_a_check_on_a_terminal_shows_its_progress_and_keeps_it_out_of_the_output_file(tmp_path):
    shown = on_a_terminal(["check", str(EXAMPLE), "--format", "json", "--output", "r.json"], tmp_path)
    assert "läser exporten" in shown and "kontrollerar uppföljningar" in shown and "klar · " in shown
    written = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert "kontrollerar" not in written and "\r" not in written
    json.loads(written)


def test_quiet_shows_no_progress_on_a_terminal(tmp_path):
    shown = on_a_terminal(["check", str(EXAMPLE), "--quiet", "--format", "json", "--output", "r.json"], tmp_path)
    assert "kontrollerar" not in shown and "läser exporten" not in shown
    assert (tmp_path / "r.json").is_file()
