"""Hostile and broken exports: never a traceback, never a person-ID, never a changed input.

Each case is a bundled example export (Skatteverket's test numbers) broken the way an unlucky export job or an
attacker would break it. The regression cases are the causes the hostile corpus found (issue 14), one at least
each: stray quotes, CR-only and mixed line endings, byte-order marks in the middle, NUL bytes, a header name of
megabytes, a line of 20 MB of commas, a quoted cell of 5 MB over many lines, a datapackage.json nested 100,000
deep or with a path that is a list or leads out of the export, a symlink loop, a mapping with a billion-laughs
alias bomb, a zip member that expands to a gigabyte, and vendor files (extra columns, Parquet of other types,
broken JSON Lines, a damaged workbook). Whatever conform makes of it, the run ends with exit 0, 1 or 2, stderr
holds no traceback, the last line of defence does not fire, no output holds a full person-ID of the export, and
the export is byte-for-byte unchanged. A property-based test draws cases of every family in
tests/hostile_cases.py (bench/fuzz.py runs the same families ten thousand times and more).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile_cases
from conform import api
from conform.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "example"
VENDORS = Path(__file__).resolve().parents[1] / "fixtures" / "vendors"
TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]


digests = hostile_cases.digests


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
    assert "oväntat fel" not in written and "unexpected error" not in written, "the last line of defence fired"
    leaked = hostile_cases.leaked_ids(written)
    assert leaked == [], [pid[:8] for pid in leaked[:3]]
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
    "a header name of 5 MB": ("person", lambda b: b"x" * 5_000_000 + b"," + b),
    "a line of 20 MB of commas": ("person", lambda b: b + b"," * 20_000_000 + b"\n"),
    "a quoted cell of 5 MB over many lines": ("insats", lambda b: b + b'"' + b"a\n" * 2_500_000 + b'",x\n'),
    "two BOMs at the start (the key column is not found)": ("insats", lambda b: b"\xef\xbb\xbf" * 2 + b),
    "a quote inside a field (the CSV reader refuses the line)": ("person", lambda b: b.replace(b",", b',"x"y', 1)),
    "a table without its key column": ("insats", lambda b: b"\n".join(l.split(b",", 1)[-1] for l in b.split(b"\n"))),
    "a foreign key column with an empty name": ("uppfoljning", lambda b: b.replace(b"insats_id", b"", 1)),
    "every decision an orphan (no target group to judge problematik by)": (
        "beslut", lambda b: re.sub(rb"(?m)^(B\d+),A\d+,", rb"\1,A9999999,", b)),
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
    json.dumps({"resources": [{"name": "person", "path": "person\u0000.csv"}]}),
    json.dumps({"resources": [{"name": "person", "path": "/etc/passwd"}]}),
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


class PanicException(BaseException):
    """As pyo3 raises for a panic in the query engine's Rust code: a BaseException, not an Exception."""


@pytest.mark.parametrize("kind", [RuntimeError, PanicException], ids=lambda k: k.__name__)
def test_an_unexpected_error_is_one_line_and_a_masked_report(kind, tmp_path, monkeypatch):
    """The last line of defence: whatever fails, one line on stderr naming the kind of failure and a report in the
    temporary folder with person-IDs masked; --debug shows the traceback instead."""
    def failing(*args, **kwargs):
        raise kind("row 3: 191212121212,Flicka/Kvinna could not be read")

    monkeypatch.setattr(api, "check", failing)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--as-of", "2025-06-30"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert f"ett oväntat fel ({kind.__name__})" in result.output and "191212121212" not in result.output
    report = next(tmp_path.glob("conform-crash-*.txt"))
    text = report.read_text(encoding="utf-8")
    assert "Traceback" in text and kind.__name__ in text and "19121212-****" in text
    assert "191212121212" not in text and (report.stat().st_mode & 0o077) == 0
    with pytest.raises(kind):
        CliRunner().invoke(main, ["--debug", "check", str(EXAMPLE)], catch_exceptions=False)


def test_a_list_value_of_a_few_broken_records_never_panics_the_engine(tmp_path):
    """A long-run case (random_bytes:1397) on which the engine panicked in one check of five, in Rust, when the
    findings were worded from a frame cut to the columns they name: checked twenty times, never a panic."""
    case = hostile_cases.build("random_bytes", 1397, tmp_path / "case")
    for _ in range(20):
        result = api.check(case.export, as_of=dt.date(2025, 6, 30))
        assert result.counts_by_rule()


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


def test_stray_quotes_are_findings_and_the_rest_of_the_table_is_checked(tmp_path):
    """`"I1,B1` at the end of insats.csv crashed the CSV reader; now the line is a finding (STR-011) naming it,
    and every other record of the table is still checked."""
    export = broken(tmp_path, "insats", lambda b: b + b'"I1,B1')
    lines = (export / "insats.csv").read_bytes().count(b"\n") + 1
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30", "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    rule = next(r for r in data["rules"] if r["code"] == "STR-011")
    assert rule["count"] == 1 and rule["examples"][0]["table"] == "insats"
    assert rule["examples"][0]["row"] == lines - 1
    # The line left out is still a record of the table (each record with a finding is a record).
    assert data["export"]["records"]["insats"] == lines - 1


def test_a_table_symlinked_out_of_the_export_is_not_read(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    secret = tmp_path / "secret.csv"
    secret.write_text("person_id,juridiskt_kon,ursprung\nsecret-value,x,y\n", encoding="utf-8")
    (export / "person.csv").unlink()
    (export / "person.csv").symlink_to(secret)
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30", "--lang", "en"])
    assert result.exit_code == 1
    assert "leads out of the export's folder and is not followed" in result.output
    assert "secret-value" not in result.output


def test_a_datapackage_path_out_of_the_export_is_not_followed(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    (tmp_path / "outside.csv").write_bytes((EXAMPLE / "person.csv").read_bytes())
    package = json.loads((export / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in package["resources"] if r["name"] == "person")["path"] = "../outside.csv"
    (export / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2025-06-30", "--lang", "en"])
    assert result.exit_code == 1 and "the path ../outside.csv leads out of the export's folder" in result.output


def test_a_zip_member_that_expands_to_a_gigabyte_is_refused_at_once(tmp_path):
    archive = tmp_path / "export.zip"
    row = b"x,y,z\n" * 100_000
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("klienter.csv", "w", force_zip64=True) as member:
            member.write(b"PersonNr,Kon,Ursprung\n")
            for _ in range((1 << 30) // len(row)):
                member.write(row)
    mapping = VENDORS / "normalised" / "mapping.yaml"
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["check", str(archive), "--mapping", str(mapping), "--lang", "en"])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2
    assert "expands to more than 200 times its packed size" in result.output


def test_an_unreadable_vendor_file_is_a_finding_and_the_other_files_are_checked(tmp_path):
    """A file of a vendor's export that cannot be read (here mixed line endings, which made the header swallow
    the data) is a structure finding naming the file and the line, and the tables of the other files are
    checked."""
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "normalised" / "export", export)
    target = export / "beslut.csv"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r", 5))
    result = CliRunner().invoke(main, ["check", str(export), "--mapping", str(VENDORS / "normalised" / "mapping.yaml"),
                                       "--as-of", "2025-06-30", "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "The file of table beslut cannot be read: " in result.output
    assert "beslut.csv, line 1: its lines end in a mix of CR and LF/CRLF" in result.output
    assert re.search(r"Juridiskt kön +\S+ +\d+ records", result.output)


VENDOR_CASES = {
    "an extra column and mixed line endings": (
        "socialtjanst_export.csv", "wide",
        lambda b: b.replace(b"\r\n", b";Extra\r\n", 1).replace(b"\n", b"\r", 3)),
    "a NUL byte in a value": ("klienter.csv", "normalised", lambda b: b.replace(b",", b",\x00", 3)),
    "unicode and markup in the header": ("klienter.csv", "normalised",
                                         lambda b: b.replace(b"Kon", "名前<script>".encode(), 1)),
}


@pytest.mark.parametrize("case", list(VENDOR_CASES))
def test_a_broken_vendor_file_is_never_a_traceback(case, tmp_path):
    name, vendor, change = VENDOR_CASES[case]
    export = tmp_path / "export"
    shutil.copytree(VENDORS / vendor / "export", export)
    (export / name).write_bytes(change((export / name).read_bytes()))
    before = digests(export)
    assert_safe(*run_all_outputs(export, tmp_path, "--mapping", str(VENDORS / vendor / "mapping.yaml")))
    assert digests(export) == before


def _as(suffix: str, frame_change):
    def write(export: Path, mapping_text: str) -> str:
        import polars as pl
        frame = pl.read_csv(export / "beslut.csv", infer_schema=False)
        (export / "beslut.csv").unlink()
        frame_change(frame, export / f"beslut{suffix}")
        return mapping_text.replace("beslut.csv", f"beslut{suffix}")
    return write


def _parquet_of_numbers(frame, path):
    import polars as pl
    frame.with_columns(pl.col(frame.columns[0]).cast(pl.Int64, strict=False), nested=pl.lit([1, 2])).write_parquet(path)


def _jsonl_with(line: str):
    def write(frame, path):
        rows = [json.dumps(r, ensure_ascii=False) for r in frame.to_dicts()]
        path.write_text("\n".join(rows[:5] + [line] + rows[5:]), encoding="utf-8")
    return write


@pytest.mark.parametrize("write", [
    _as(".parquet", _parquet_of_numbers),
    _as(".jsonl", _jsonl_with('{"a": ')),
    _as(".jsonl", _jsonl_with("null")),
], ids=["Parquet of numbers and a nested column", "JSON Lines with a broken line", "JSON Lines with a null line"])
def test_vendor_files_of_other_formats_are_never_a_traceback(write, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "normalised" / "export", export)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(write(export, (VENDORS / "normalised" / "mapping.yaml").read_text(encoding="utf-8")),
                       encoding="utf-8")
    assert_safe(*run_all_outputs(export, tmp_path, "--mapping", str(mapping)))


def test_a_damaged_workbook_is_a_clear_error(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(VENDORS / "workbook" / "export", export)
    book = export / "verksamhetssystem.xlsx"
    book.write_bytes(book.read_bytes()[:20_000])
    exit_code, written = run_all_outputs(export, tmp_path, "--mapping", str(VENDORS / "workbook" / "mapping.yaml"))
    assert_safe(exit_code, written)
    assert exit_code == 2 and "verksamhetssystem.xlsx: inte en läsbar Excel-arbetsbok" in written


@pytest.mark.parametrize("text", [
    "deep: " + "[" * 5_000 + "\n",
    "loop: &t\n  x: *t\n",
    "a: &a [x, x]\n" + "".join(f"l{i}: &l{i} [*{'a' if i == 1 else f'l{i - 1}'}, *{'a' if i == 1 else f'l{i - 1}'}]\n"
                              for i in range(1, 30)),
], ids=["nested 5,000 deep", "an alias that contains itself", "aliases doubling 30 times"])
def test_a_hostile_mapping_is_a_one_line_error(text, tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text + (VENDORS / "normalised" / "mapping.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(VENDORS / "normalised" / "export"), "--mapping", str(mapping)])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output and "oväntat fel" not in result.output


def test_a_requirements_file_of_the_wrong_shape_is_a_one_line_error(tmp_path):
    path = tmp_path / "requirements.yaml"
    path.write_text("accepted_deviations: 7\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--requirements", str(path), "--lang", "en"])
    assert result.exit_code == 2 and "'accepted_deviations': 7 must be a list" in result.output


@settings(max_examples=int(os.environ.get("CONFORM_FUZZ_EXAMPLES", "48")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(family=st.sampled_from(sorted(hostile_cases.FAMILIES)), seed=st.integers(0, 10 ** 6))
def test_every_family_of_hostile_input_is_handled_cleanly(tmp_path_factory, family, seed):
    """A case of every family in tests/hostile_cases.py: exit 0, 1 or 2, no traceback, the last line of defence
    silent, no full person-ID in any output, the HTML escaped under its CSP, the input unchanged."""
    row = hostile_cases.run_case(family, seed, tmp_path_factory.mktemp("family"))
    assert row["outcome"] == hostile_cases.CLEAN, row


def test_a_result_nested_too_deep_is_a_one_line_error(tmp_path):
    """compare and diff read result files a person hands them: a document nested 100,000 levels deep is refused
    with one line, as is a datapackage.json nested past the limit."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(main, ["compare", str(deep), str(deep), "--lang", "en"])
    assert result.exit_code == 2 and "nested more than 64 levels deep" in result.output
    assert result.output.count("\n") == 1
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE, export)
    (export / "datapackage.json").write_text('{"a":' * 100 + "1" + "}" * 100, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(export), "--lang", "en"])
    assert result.exit_code == 2 and "datapackage.json: the file is nested more than 64 levels deep" in result.output
