"""Hostile and broken exports: never a traceback, never a person-ID, never a changed input.

Each case is the bundled example export (Skatteverket's test numbers) broken the way an unlucky export job or an
attacker would break it: stray quotes, CR-only and mixed line endings, byte-order marks in the middle, NUL bytes,
a header name of megabytes, a datapackage.json nested 100,000 deep or with a path that is a list, a symlink loop, a
mapping with a billion-laughs alias bomb. Whatever conform makes of it, the run ends with exit 0, 1 or 2, stderr
holds no traceback, no output holds a full person-ID of the export, and the export is byte-for-byte unchanged.
A property-based test mutates the export's bytes at random in the same families.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conform import api
from conform.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "example"
TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]
PERSON_IDS = {line.split(",")[0] for line in (EXAMPLE / "person.csv").read_text(encoding="utf-8").splitlines()[1:]}


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def run_all_outputs(export: Path, tmp: Path, *extra: str) -> tuple[int, str]:
    """conform check as a user runs it, writing every output: returns the exit code and everything written."""
    out = tmp / "out"
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30", "--format", "json",
                                       "-o", str(out / "r.json"), "--html", str(out / "r.html"), *extra],
                                catch_exceptions=False)
    written = result.output
    for path in sorted(out.glob("*")) if out.exists() else []:
        written += path.read_text(encoding="utf-8", errors="replace")
    return result.exit_code, written


def assert_safe(exit_code: int, written: str) -> None:
    assert exit_code in (0, 1, 2), exit_code
    assert "Traceback" not in written
    leaked = sorted(pid for pid in PERSON_IDS if pid in written)
    assert leaked == [], leaked[:3]
    assert not re.search(r"(?<![0-9])(19|20)[0-9]{6}[0-9]{4}(?![0-9])", written), "a person-ID-shaped value"


def broken(tmp_path: Path, table: str, change) -> Path:
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    target = export / f"{table}.csv"
    target.write_bytes(change(target.read_bytes()))
    return export


CASES = {
    "stray quote at the end": ("insats", lambda b: b + b'"I1,B1'),
    "stray quote in the middle": ("beslut", lambda b: b.replace(b"\n", b'\n"', 3)),
    "CR-only line endings": ("person", lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r")),
    "CR CR LF line endings": ("aktualisering", lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\r\n")),
    "mixed line endings": ("person", lambda b: b.replace(b"\n", b"\r", 40)),
    "a BOM in the middle": ("person", lambda b: b.replace(b"\n", b"\n\xef\xbb\xbf", 4)),
    "a BOM before a second header": ("person", lambda b: b + b"\xef\xbb\xbf" + b.split(b"\n")[0] + b"\n"),
    "NUL bytes": ("insats", lambda b: b.replace(b",", b",\x00", 20)),
    "a header name of 2 MB": ("person", lambda b: b"x" * 2_000_000 + b"," + b),
    "a line of 1 MB of commas": ("person", lambda b: b + b"," * 1_000_000 + b"\n"),
    "an empty file": ("uppfoljning", lambda b: b""),
    "only a header": ("beslut", lambda b: b.split(b"\n")[0] + b"\n"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_table_is_never_a_traceback_or_a_leak(case, tmp_path):
    table, change = CASES[case]
    export = broken(tmp_path, table, change)
    before = digests(export)
    assert_safe(*run_all_outputs(export, tmp_path))
    assert digests(export) == before


@pytest.mark.parametrize("change", [lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
                                    lambda b: b.replace(b"\n", b"\r", 40)], ids=["CR only", "mixed"])
def test_cr_line_endings_are_a_finding_and_the_other_tables_are_checked(change, tmp_path):
    export = broken(tmp_path, "person", change)
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30"])
    assert result.exit_code == 1
    assert "raderna slutar med bara CR (gamla Mac-radslut) eller blandade radslut" in result.output
    assert "Datum för aktualisering" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("descriptor", [
    "[" * 100_000 + "]" * 100_000,
    json.dumps({"resources": [{"name": "person", "path": ["a", "b"]}]}),
    json.dumps({"resources": [{"name": "person", "path": 7}]}),
    json.dumps({"created": 12, "resources": "x"}),
])
def test_a_hostile_datapackage_is_never_a_traceback(descriptor, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    (export / "datapackage.json").write_text(descriptor, encoding="utf-8")
    before = digests(export)
    assert_safe(*run_all_outputs(export, tmp_path))
    assert digests(export) == before


def test_a_symlink_loop_is_never_a_traceback(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    (export / "loop").symlink_to(export / "loop")
    (export / "person.csv").unlink()
    (export / "person.csv").symlink_to(export / "person.csv")
    assert_safe(*run_all_outputs(export, tmp_path))


def test_a_yaml_alias_bomb_in_a_mapping_is_never_a_traceback(tmp_path):
    bomb = "a: &a [" + ",".join(["x"] * 10) + "]\n"
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ",".join([f"*{previous}"] * 10) + "]\n"
    bomb += "conform_mapping: 1\nprofile: basinformation-1.0\ntables: {}\n"
    mapping = tmp_path / "bomb.yaml"
    mapping.write_text(bomb, encoding="utf-8")
    assert_safe(*run_all_outputs(EXAMPLE, tmp_path, "--mapping", str(mapping)))


def test_an_unexpected_error_is_one_line_and_a_masked_report(tmp_path, monkeypatch):
    """The last line of defence: whatever fails, one line on stderr naming the kind of failure and a report in the
    temporary folder with person-IDs masked; --debug shows the traceback instead."""
    def failing(*args, **kwargs):
        raise RuntimeError("row 3: 191212121212,Flicka/Kvinna could not be read")

    monkeypatch.setattr(api, "check", failing)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--as-of", "2025-06-30"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "ett oväntat fel (RuntimeError)" in result.output and "191212121212" not in result.output
    report = next(tmp_path.glob("conform-crash-*.txt"))
    text = report.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError" in text and "19121212-****" in text
    assert "191212121212" not in text and (report.stat().st_mode & 0o077) == 0
    with pytest.raises(RuntimeError):
        CliRunner().invoke(main, ["--debug", "check", str(EXAMPLE)], catch_exceptions=False)


def test_a_person_id_shifted_into_another_field_is_masked_everywhere(tmp_path):
    """A person-ID in a field that does not hold person-IDs (here Ursprung, as a broken line leaves it) is masked
    by its shape in the text, JSON and HTML reports."""
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    lines = (export / "person.csv").read_text(encoding="utf-8").splitlines()
    first, second = lines[1].split(","), lines[2].split(",")
    lines[1] = ",".join([first[0], first[1], f"Vet inte {second[0]}"])
    (export / "person.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    exit_code, written = run_all_outputs(export, tmp_path)
    text = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30"]).output
    assert_safe(exit_code, written + text)
    assert f"Vet inte {second[0][:8]}-****" in written + text
    revealed = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30", "--reveal-ids"]).output
    assert second[0] in revealed


FAMILIES = [b'"', b"\r", b"\r\r\n", b"\xef\xbb\xbf", b"\x00", b",", b";", b"\n", b"\xff\xfe", b"\\", b"\t"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLES), cuts=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(FAMILIES),
                                                             st.integers(1, 3)), min_size=1, max_size=6),
       truncate=st.one_of(st.none(), st.floats(0, 1)))
def test_random_damage_is_never_a_traceback_or_a_leak(tmp_path_factory, table, cuts, truncate):
    """Bytes of the families above inserted at random places of a random table, and the file cut short."""
    tmp = tmp_path_factory.mktemp("fuzz")

    def damage(data: bytes) -> bytes:
        for where, what, times in cuts:
            at = int(where * len(data))
            data = data[:at] + what * times + data[at:]
        return data[:int(truncate * len(data))] if truncate is not None else data

    export = broken(tmp, table, damage)
    before = digests(export)
    assert_safe(*run_all_outputs(export, tmp))
    assert digests(export) == before
