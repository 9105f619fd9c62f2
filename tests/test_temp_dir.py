"""--temp-dir (issue 23): every intermediate folder of a check (a large export's buckets, a zip's members) is made
in the folder the user chose, the result is the same as with the system's temporary directory, and nothing is
left there when the check ends."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from conform import api

ROOT = Path(__file__).resolve().parents[1]
DEFECTS = ROOT / "fixtures" / "example-defects"


def zipped(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    return archive


def findings(result) -> list[tuple]:
    return sorted(result.hits.select("rule", "table", "row").rows())


def test_every_intermediate_folder_is_made_in_the_chosen_folder(tmp_path, monkeypatch):
    archive = zipped(DEFECTS, tmp_path / "export.zip")
    plain = api.check(archive, bucket_records=500)
    chosen = tmp_path / "work"
    chosen.mkdir()
    made = []
    real = tempfile.mkdtemp

    def recording(*args, **kwargs):
        path = real(*args, **kwargs)
        made.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", recording)
    result = api.check(archive, bucket_records=500, temp_dir=chosen)
    names = sorted(p.name.rsplit("-", 1)[0] for p in made)
    assert "conform-buckets" in names and "conform-zip" in names  # in buckets, from a zip
    assert all(p.parent == chosen for p in made), made
    assert findings(result) == findings(plain) and result.sets == plain.sets


def test_a_check_leaves_nothing_in_the_chosen_folder(tmp_path):
    archive = zipped(DEFECTS, tmp_path / "export.zip")
    chosen = tmp_path / "work"
    chosen.mkdir()
    done = subprocess.run([sys.executable, "-m", "conform", "check", str(archive), "--temp-dir", str(chosen),
                           "--format", "json", "--output", str(tmp_path / "r.json")], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["verdict"] == "nonconformant"
    assert list(chosen.iterdir()) == []


def test_a_temp_dir_that_does_not_exist_is_refused_naming_it(tmp_path):
    done = subprocess.run([sys.executable, "-m", "conform", "check", str(DEFECTS), "--temp-dir",
                           str(tmp_path / "saknas")], capture_output=True, text=True, env={"CONFORM_LANG": "sv",
                                                                                        "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and f"{tmp_path / 'saknas'} finns inte" in done.stderr
    assert "Traceback" not in done.stderr
