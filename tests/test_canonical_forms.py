"""The canonical tables as they arrive: zipped, at the archive's root or in its one folder, are read without a
mapping, to the same verdict and figures as the plain folder, with the archive's datapackage.json honoured (the
reference date among it) and a note that says so."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.model import ExitCode

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures"


def zipped(folder: Path, archive: Path, inside: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"{inside}{f.name}")
    return archive


def checked(export: Path, out: Path) -> tuple[int, dict]:
    ran = CliRunner().invoke(main, ["check", str(export), "--format", "json", "--output", str(out)])
    return ran.exit_code, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("example", ["example", "example-defects"])
@pytest.mark.parametrize("inside", ["", "export-2025/"], ids=["at the root", "in one folder"])
def test_a_zipped_export_is_read_as_its_folder(tmp_path, example, inside):
    code, plain = checked(EXAMPLES / example, tmp_path / "plain.json")
    archive = zipped(EXAMPLES / example, tmp_path / "export.zip", inside)
    zipped_code, read = checked(archive, tmp_path / "zipped.json")
    assert zipped_code == code
    for part in ("summary", "information_sets", "figures"):
        assert read[part] == plain[part], part
    assert [(r["code"], r["count"]) for r in read["rules"]] == [(r["code"], r["count"]) for r in plain["rules"]]
    assert read["as_of"] == plain["as_of"] and read["as_of_source"] == "package"  # its datapackage.json
    assert read["notes"] == sorted(plain["notes"] + ["read_from_zip"])
    assert [f["path"] for f in read["export"]["files"]] == [f"export.zip:{inside}{f['path']}"
                                                            for f in plain["export"]["files"]]
    assert [f["sha256"] for f in read["export"]["files"]] == [f["sha256"] for f in plain["export"]["files"]]


def test_a_zip_without_the_tables_is_named_as_the_archive(tmp_path):
    archive = tmp_path / "annat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("rapport.txt", "inget här")
    ran = CliRunner().invoke(main, ["check", str(archive), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED
    assert str(archive) in ran.output and "rapport.txt" in ran.output and "conform-zip-" not in ran.output


def test_a_zip_whose_member_climbs_out_is_refused_unread(tmp_path):
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../person.csv", "person_id\n")
    ran = CliRunner().invoke(main, ["check", str(archive), "--lang", "sv"])
    assert ran.exit_code == ExitCode.NOT_CHECKED and "Traceback" not in ran.output
    assert not (tmp_path.parent / "person.csv").exists()
