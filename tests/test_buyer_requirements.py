"""Requirements files as buyers write them, by a helper who read the user's documentation and not the code
(tests/buyer_requirements/CASES.md says each file's one mistake, its line and what the buyer should be told):
every mistake is one Swedish line naming the file and the line, never a crash, a regular expression or the
parser's English; the one file a buyer rightly expects to work (`level: bör`) is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode

CASES = Path(__file__).resolve().parent / "buyer_requirements"
EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "example"
WHOLE_FILE = {"15-tom-fil.yaml", "16-kopia-av-leverantorens-mappning.yaml"}  # no one line is at fault
# What only English or a parser's or schema's internals would put in a line.
NOT_FOR_A_BUYER = re.compile(r"Traceback|oväntat fel|expected|is not|not allowed|\^|\\d|<unicode|None|null")


def cases() -> list[tuple[str, int | None, str]]:
    """(file, line of its mistake, read or refused) from CASES.md's table."""
    rows = []
    for line in (CASES / "CASES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[0].endswith(".yaml"):
            number = re.match(r"\d+", cells[2])
            # "ACCEPTED, rightly": a file the buyer is right to expect to work; every other must be refused.
            rows.append((cells[0], int(number.group()) if number else None,
                         "read" if cells[-1].startswith("ACCEPTED, rightly") else "refused"))
    return rows


def test_every_file_is_a_case():
    assert sorted(f for f, _, _ in cases()) == sorted(p.name for p in CASES.glob("*.yaml"))
    assert len(cases()) >= 16


@pytest.mark.parametrize("name, line, outcome", cases(), ids=[c[0] for c in cases()])
def test_a_buyers_file_is_answered_in_one_swedish_line_naming_its_line(name, line, outcome):
    ran = CliRunner().invoke(main, ["check", str(EXPORT), "--requirements", str(CASES / name), "--as-of",
                                    "2025-06-30", "--lang", "sv", "--format", "json"])
    if outcome == "read":  # `level: bör`: what the standard and the documentation call it
        assert ran.exit_code in (ExitCode.OK, ExitCode.FINDINGS), ran.output
        return
    message = ran.output.strip()
    assert ran.exit_code == ExitCode.NOT_CHECKED, message
    assert "\n" not in message and name in message, message
    if name not in WHOLE_FILE:
        assert f"{name}:{line}:" in message, message
    assert not NOT_FOR_A_BUYER.search(message), message
