"""Broken and hostile exports, built the way an unlucky export job or an attacker would build them.

Shared by the property-based suite (tests/test_hostile.py, a bounded number of examples in CI) and its long run
(bench/fuzz.py, ten thousand cases and more). A family is a function of a seeded random generator and an empty
folder: it writes one case there (an export, and a mapping or requirements file where the family needs one) and
returns the arguments of ``conform check`` that read it. Every case starts from a bundled example whose person-IDs
are Skatteverket's test numbers, so a leak is recognisable: any of those numbers, in full, in any output.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "fixtures" / "example"
VENDORS = REPO / "fixtures" / "vendors"
TEST_NUMBERS = REPO / "src" / "conform" / "data" / "testpersonnummer"
TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]
AS_OF = ["--as-of", "2025-06-30"]
SCRIPT = '<script>alert("x")</script>'
BOM = b"\xef\xbb\xbf"


@dataclass
class Case:
    family: str
    export: Path
    args: list[str]  # after the export, before the output options


# ------------------------------------------------------------------------------------------- leak detection

@cache
def _test_numbers() -> frozenset[str]:
    """The last ten digits of every test number the fixtures draw from (a 10-digit form drops the century)."""
    numbers = set()
    for name in ("personnummer.csv", "samordningsnummer.csv"):
        for line in (TEST_NUMBERS / name).read_text(encoding="utf-8").splitlines()[1:]:
            numbers.add(line.strip()[-10:])
    return frozenset(numbers)


_CANDIDATE = re.compile(r"(?<![0-9])(?:[0-9]{2})?([0-9]{6})[-+]?([0-9]{4})(?![0-9])")


def leaked_ids(text: str) -> list[str]:
    """Full person-IDs of the fixtures' test numbers in `text`, in any of the forms conform reads (12 or 10
    digits, with or without a separator). A digest's digits do not count unless they are one of those numbers."""
    numbers = _test_numbers()
    return sorted({m.group(0) for m in _CANDIDATE.finditer(text) if m.group(1) + m.group(2) in numbers})


# ------------------------------------------------------------------------------------------------ helpers

def _copy_canonical(root: Path) -> Path:
    export = root / "export"
    shutil.copytree(EXAMPLE, export)
    return export


def _copy_vendor(root: Path, vendor: str) -> tuple[Path, Path]:
    export = root / "export"
    shutil.copytree(VENDORS / vendor / "export", export)
    mapping = root / "mapping.yaml"
    shutil.copy(VENDORS / vendor / "mapping.yaml", mapping)
    return export, mapping


def _lines_at(data: bytes, rng: random.Random, k: int) -> list[int]:
    """Offsets of `k` random line starts (after the header) of `data`."""
    starts = [m.end() for m in re.finditer(rb"\n", data)][:-1] or [len(data)]
    return sorted(rng.sample(starts, min(k, len(starts))))


def _insert(data: bytes, offsets: list[int], what: bytes) -> bytes:
    for at in reversed(offsets):
        data = data[:at] + what + data[at:]
    return data


def _damage_table(rng: random.Random, root: Path, change: Callable[[bytes, random.Random], bytes],
                  family: str) -> Case:
    export = _copy_canonical(root)
    target = export / f"{rng.choice(TABLES)}.csv"
    target.write_bytes(change(target.read_bytes(), rng))
    return Case(family, export, AS_OF)


def _size(rng: random.Random, small: int, large: int) -> int:
    """Mostly small sizes, now and then a large one: the long run meets the limits without spending its hours
    writing files."""
    return rng.randint(small, large) if rng.random() < 0.15 else rng.randint(1, small)


# ------------------------------------------------------------------------------------------------ families

def quotes(rng: random.Random, root: Path) -> Case:
    """An unterminated or stray quote at the start, middle or end of a table (99 of 109 crashes before)."""
    def change(data: bytes, rng: random.Random) -> bytes:
        how = rng.randrange(6)
        if how == 0:
            return data + rng.choice([b'"I1,B1', b'"', b'"\n', b'x"y,"z\n'])
        if how == 1:
            return b'"' + data
        if how == 2:
            return _insert(data, _lines_at(data, rng, rng.randint(1, 4)), b'"')
        if how == 3:  # a quote inside an unquoted field
            at = rng.randrange(len(data))
            return data[:at] + b'"' * rng.randint(1, 3) + data[at:]
        if how == 4:  # a quoted field opened and closed on a later line
            offsets = _lines_at(data, rng, 2)
            return _insert(data, offsets, b'"') if len(offsets) == 2 else data + b'"'
        return data.replace(b",", b',"', rng.randint(1, 30))
    return _damage_table(rng, root, change, "quotes")


def line_endings(rng: random.Random, root: Path) -> Case:
    """CR-only, CR CR LF, and mixed line endings (the header kept a CR and a person-ID went into a message)."""
    def change(data: bytes, rng: random.Random) -> bytes:
        lf = data.replace(b"\r\n", b"\n")
        how = rng.randrange(4)
        if how == 0:
            return lf.replace(b"\n", b"\r")
        if how == 1:
            return lf.replace(b"\n", b"\r\r\n")
        if how == 2:
            return lf.replace(b"\n", b"\r", rng.randint(1, 60))
        return lf.replace(b"\n", b"\r\n", rng.randint(1, 60))
    return _damage_table(rng, root, change, "line_endings")


def byte_order_marks(rng: random.Random, root: Path) -> Case:
    """A BOM in the middle of a file, before a second header, or twice at the start."""
    def change(data: bytes, rng: random.Random) -> bytes:
        how = rng.randrange(4)
        if how == 0:
            return _insert(data, _lines_at(data, rng, rng.randint(1, 5)), BOM)
        if how == 1:
            return data + BOM + data.split(b"\n")[0] + b"\n"
        if how == 2:
            return BOM + BOM + data
        at = rng.randrange(len(data))
        return data[:at] + BOM + data[at:]
    return _damage_table(rng, root, change, "byte_order_marks")


TOKENS = [b'"', b"\r", b"\r\r\n", BOM, b"\x00", b",", b";", b"\n", b"\xff\xfe", b"\\", b"\t", b"\xc3", b"\x80",
          b"\xe2\x80\xae", b"''", b"\x1a", b"\x0c"]


def random_bytes(rng: random.Random, root: Path) -> Case:
    """Bytes of every family above inserted at random places, bytes deleted, and the file cut short."""
    def change(data: bytes, rng: random.Random) -> bytes:
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data) + 1)
            if rng.random() < 0.25:
                data = data[:at] + data[at + rng.randint(1, 40):]
            else:
                data = data[:at] + rng.choice(TOKENS) * rng.randint(1, 3) + data[at:]
        return data[:rng.randrange(len(data) + 1)] if rng.random() < 0.3 else data
    return _damage_table(rng, root, change, "random_bytes")


def encodings(rng: random.Random, root: Path) -> Case:
    """Windows-1252 bytes in a UTF-8 file, a file in UTF-16 or UTF-32, a multi-byte character cut in half."""
    def change(data: bytes, rng: random.Random) -> bytes:
        how = rng.randrange(5)
        if how == 0:
            return data.decode("utf-8").encode("cp1252", errors="replace")
        if how == 1:
            return data.decode("utf-8").encode(rng.choice(["utf-16", "utf-32", "utf-16-be"]))
        if how == 2:
            at = data.find("ö".encode()) if "ö".encode() in data else len(data) // 2
            return data[:at + 1] + data[at + 2:]
        if how == 3:
            return _insert(data, _lines_at(data, rng, 3), bytes([rng.randrange(0x80, 0x100)]))
        return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    return _damage_table(rng, root, change, "encodings")


def ragged(rng: random.Random, root: Path) -> Case:
    """Rows with too few or too many fields, and blank lines."""
    def change(data: bytes, rng: random.Random) -> bytes:
        lines = data.split(b"\n")
        for _ in range(rng.randint(1, 10)):
            i = rng.randrange(1, max(len(lines), 2))
            if i >= len(lines):
                continue
            how = rng.randrange(3)
            lines[i] = (lines[i] + b"," * rng.randint(1, 5) if how == 0 else
                        lines[i].rsplit(b",", 1)[0] if how == 1 else b"")
        return b"\n".join(lines)
    return _damage_table(rng, root, change, "ragged")


def huge_values(rng: random.Random, root: Path) -> Case:
    """A header name of megabytes, a line of commas, a quoted cell spanning many lines, a very long cell, and
    tens of thousands of columns."""
    def change(data: bytes, rng: random.Random) -> bytes:
        how = rng.randrange(6)
        size = _size(rng, 200_000, 20_000_000)
        if how == 0:
            return b"x" * size + b"," + data
        if how == 1:
            return data + b"," * size + b"\n"
        if how == 2:
            return data + b'"' + b"a\n" * (size // 2) + b'",x,y\n'
        if how == 3:
            first = data.index(b"\n") + 1
            return data[:first] + b"7" * size + data[first:]
        if how == 4:
            header, rest = data.split(b"\n", 1)
            return header + b"".join(b",c%d" % i for i in range(min(size, 200_000) // 8)) + b"\n" + rest
        return data + (b"a," * 3 + b"\n") * (size // 7)
    return _damage_table(rng, root, change, "huge_values")


ABSURD = ["99999-12-31", "0000-00-00", "2025-02-30", "-0001-01-01", "1e308", "NaN", "null", "None", "TRUE",
          SCRIPT, "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "\u202eevil", "a\u0301", "😀" * 50,
          "x" * 100_000, "\\N", " ", "\u00a0", "Flicka/Kvinna\u200b", "19121212-1212", "121212+1212"]


def absurd_values(rng: random.Random, root: Path) -> Case:
    """Absurd values in random cells: impossible dates, markup, spreadsheet formulas, bidirectional overrides,
    long strings, person-ID-shaped strings in fields that hold none."""
    export = _copy_canonical(root)
    table = rng.choice(TABLES)
    path = export / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(",")
        value = rng.choice(ABSURD)
        if rng.random() < 0.3:  # another record's person-ID, shifted into a field that holds none
            value = rng.choice(lines[1:]).split(",")[0] if table == "person" else lines[i].split(",")[1]
        cells[rng.randrange(len(cells))] = '"' + value.replace('"', '""') + '"'
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Case("absurd_values", export, AS_OF)


def headers(rng: random.Random, root: Path) -> Case:
    """Unicode, markup, empty, duplicated, missing and extra column names."""
    def change(data: bytes, rng: random.Random) -> bytes:
        header, rest = data.split(b"\n", 1)
        names = header.decode().split(",")
        how = rng.randrange(6)
        if how == 0:
            names[rng.randrange(len(names))] = rng.choice(["Ålder\u0301", "名前", "\u202eevil", SCRIPT, "a" * 300])
        elif how == 1:
            names[rng.randrange(len(names))] = ""
        elif how == 2:
            names.append(names[0])
        elif how == 3:
            names.pop(rng.randrange(len(names)))
        elif how == 4:
            names.append(rng.choice(["extra", SCRIPT, "19121212-1212"]))
        else:
            names = [n.upper() if rng.random() < 0.5 else " " + n for n in names]
        return ",".join(names).encode() + b"\n" + rest
    return _damage_table(rng, root, change, "headers")


def _nested(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


def datapackage(rng: random.Random, root: Path) -> Case:
    """A datapackage.json deeply nested, of the wrong types, pointing outside the export, huge or not JSON."""
    export = _copy_canonical(root)
    good = json.loads((export / "datapackage.json").read_text(encoding="utf-8"))
    how = rng.randrange(9)
    if how == 0:
        text = _nested(rng.choice([100, 10_000, 100_000, 1_000_000]), rng.choice(["list", "object"]))
    elif how == 1:
        bad = rng.choice([["a", "b"], 7, None, {"x": 1}, "/etc/passwd", "../../outside.csv", "", "person.csv" * 500,
                          "C:\\x.csv", "\x00"])
        good["resources"][rng.randrange(len(good["resources"]))]["path"] = bad
        text = json.dumps(good)
    elif how == 2:
        good[rng.choice(["resources", "created", "name", "profile"])] = rng.choice(
            [12, None, "x", [], {}, [1, 2], "2025-13-45", "9999-99-99T99:99", 1e308, True])
        text = json.dumps(good)
    elif how == 3:
        good["resources"] = [rng.choice([1, "x", None, [], {"name": 3}, {"name": ["p"]}])] * rng.randint(1, 3)
        text = json.dumps(good)
    elif how == 4:
        text = json.dumps(good)[:rng.randrange(len(json.dumps(good)))]
    elif how == 5:
        text = json.dumps(good | {"padding": "x" * _size(rng, 10_000, 30_000_000)})
    elif how == 6:
        (export / "datapackage.json").write_bytes(BOM + json.dumps(good).encode("utf-16"))
        return Case("datapackage", export, AS_OF)
    elif how == 7:
        text = json.dumps(good).replace('"', "'")
    else:
        text = json.dumps([good])
    (export / "datapackage.json").write_text(text, encoding="utf-8")
    return Case("datapackage", export, AS_OF)


def symlinks(rng: random.Random, root: Path) -> Case:
    """A table that is a symlink out of the export, a loop, a dangling link, a folder that links to itself."""
    export = _copy_canonical(root)
    outside = root / "outside.csv"
    outside.write_bytes((EXAMPLE / "person.csv").read_bytes())
    table = export / f"{rng.choice(TABLES)}.csv"
    how = rng.randrange(5)
    if how == 0:
        table.unlink()
        table.symlink_to(outside)
    elif how == 1:
        table.unlink()
        table.symlink_to(table)
    elif how == 2:
        table.unlink()
        table.symlink_to(root / "nowhere.csv")
    elif how == 3:
        (export / "loop").symlink_to(export)
    else:
        table.unlink()
        table.symlink_to("/dev/zero" if rng.random() < 0.5 else "/etc/passwd")
    return Case("symlinks", export, AS_OF)


def _alias_bomb(levels: int, width: int) -> str:
    bomb = "a: &a [" + ",".join(["x"] * width) + "]\n"
    for i in range(1, levels):
        name, previous = f"l{i}", "a" if i == 1 else f"l{i - 1}"
        bomb += f"{name}: &{name} [" + ",".join([f"*{previous}"] * width) + "]\n"
    return bomb


def _mutate_tree(node, rng: random.Random, depth: int = 0):
    """A random structural change somewhere in a parsed YAML document."""
    replacements = [None, 7, -1, 1e300, True, "", "x" * 10_000, [], {}, [1, [2, [3]]], {"column": None},
                    "19121212-1212", SCRIPT, "%Y-%m-%d%%%", "(?P<x>", "*"]
    if isinstance(node, dict) and node and rng.random() < 0.8:
        key = rng.choice(list(node))
        how = rng.randrange(4)
        if how == 0:
            del node[key]
        elif how == 1:
            node[key] = rng.choice(replacements)
        elif how == 2:
            node[rng.choice(["unknown", "tables", "fields", "values", "delimiter", "date_format"])] = \
                rng.choice(replacements)
        else:
            node[key] = _mutate_tree(node[key], rng, depth + 1)
        return node
    if isinstance(node, list) and node and rng.random() < 0.8:
        i = rng.randrange(len(node))
        node[i] = _mutate_tree(node[i], rng, depth + 1) if rng.random() < 0.5 else rng.choice(replacements)
        return node
    return rng.choice(replacements)


def mappings(rng: random.Random, root: Path) -> Case:
    """A vendor's mapping with an alias bomb, deep nesting, a structural change, broken YAML or bad bytes."""
    import yaml

    export, mapping = _copy_vendor(root, rng.choice(["normalised", "wide", "workbook"]))
    text = mapping.read_text(encoding="utf-8")
    how = rng.randrange(7)
    if how == 0:
        text = _alias_bomb(rng.randint(3, 12), rng.randint(5, 10)) + text
    elif how == 1:
        text = "deep: " + "[" * rng.choice([100, 5_000, 200_000]) + "\n" + text
    elif how <= 3:
        tree = yaml.safe_load(text)
        for _ in range(rng.randint(1, 3)):
            tree = _mutate_tree(tree, rng)
        text = yaml.safe_dump(tree, allow_unicode=True) if not isinstance(tree, str) else tree
    elif how == 4:
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(["\t", ": :", "{", "- [", "&x", "*y", "!!python/object:os.system x", "'"]) \
            + text[at:]
    elif how == 5:
        mapping.write_bytes(text.encode("utf-16") if rng.random() < 0.5 else text.encode() + b"\xff\xfe\x00")
        return Case("mappings", export, AS_OF + ["--mapping", str(mapping)])
    else:
        text = text.replace("tables:", "tables: &t\n  x: *t\n", 1) if rng.random() < 0.5 else "%YAML 9.9\n" + text
    mapping.write_text(text, encoding="utf-8")
    return Case("mappings", export, AS_OF + ["--mapping", str(mapping)])


def requirements(rng: random.Random, root: Path) -> Case:
    """A requirements file with the mapping family's damage."""
    import yaml
    from conform import api
    from conform.input.requirements import init_requirements_yaml

    export = _copy_canonical(root)
    path = root / "requirements.yaml"
    text = init_requirements_yaml(api.load()[0])
    how = rng.randrange(4)
    if how == 0:
        text = _alias_bomb(rng.randint(3, 12), rng.randint(5, 10)) + text
    elif how <= 2:
        tree = yaml.safe_load(text)
        for _ in range(rng.randint(1, 3)):
            tree = _mutate_tree(tree, rng)
        text = yaml.safe_dump(tree, allow_unicode=True) if not isinstance(tree, str) else tree
    else:
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(["\t", "{", "- [", "'", "\x00"]) + text[at:]
    path.write_text(text, encoding="utf-8")
    return Case("requirements", export, AS_OF + ["--requirements", str(path)])


def vendor_files(rng: random.Random, root: Path) -> Case:
    """A mapped vendor export whose files carry the text families' damage, extra columns or missing columns."""
    vendor = rng.choice(["normalised", "wide"])
    export, mapping = _copy_vendor(root, vendor)
    target = rng.choice(sorted(export.glob("*.csv")))
    data = target.read_bytes()
    separator = b";" if vendor == "wide" else b","
    how = rng.randrange(6)
    if how == 0:
        header, rest = data.split(b"\n", 1)
        data = header.rstrip(b"\r") + separator + b"Extra" + b"\r\n" * header.endswith(b"\r") + b"\n" + rest
    elif how == 1:
        data = _insert(data, _lines_at(data, rng, rng.randint(1, 4)), b'"')
    elif how == 2:
        data = data.replace(b"\n", b"\r", rng.randint(1, 50))
    elif how == 3:
        data = _insert(data, _lines_at(data, rng, 3), BOM)
    elif how == 4:
        header, rest = data.split(b"\n", 1)
        data = separator.join(header.split(separator)[1:]) + b"\n" + rest
    else:
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data) + 1)
            data = data[:at] + rng.choice(TOKENS) + data[at:]
    target.write_bytes(data)
    return Case("vendor_files", export, AS_OF + ["--mapping", str(mapping)])


def binary_formats(rng: random.Random, root: Path) -> Case:
    """Parquet with other types and nested columns, JSON Lines with broken or non-object lines, workbooks cut
    short or with sheets of other types, files whose suffix lies."""
    import polars as pl

    export, mapping = _copy_vendor(root, "normalised")
    target = rng.choice(sorted(export.glob("*.csv")))
    frame = pl.read_csv(target, infer_schema=False)
    how = rng.randrange(7)
    text = mapping.read_text(encoding="utf-8")
    if how == 0:  # Parquet with numbers, dates and a nested column
        typed = frame.with_columns(pl.col(frame.columns[0]).cast(pl.Int64, strict=False))
        if rng.random() < 0.5:
            typed = typed.with_columns(pl.lit([1, 2]).alias("nested"))
        typed.write_parquet(target.with_suffix(".parquet"))
        target.unlink()
        text = text.replace(target.name, target.with_suffix(".parquet").name)
    elif how == 1:  # JSON Lines with a broken line, a line that is a list, or nested values
        lines = [json.dumps(r, ensure_ascii=False) for r in frame.to_dicts()]
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(['{"a": ', "[1,2]", '{"x": {"y": [1]}}', "null",
                                                                '"text"', "{}" * 1000]))
        target.with_suffix(".jsonl").write_text("\n".join(lines), encoding="utf-8")
        target.unlink()
        text = text.replace(target.name, target.with_suffix(".jsonl").name)
    elif how == 2:  # a file whose suffix lies
        target.with_suffix(rng.choice([".xlsx", ".parquet", ".jsonl", ".zip"])).write_bytes(target.read_bytes())
    elif how == 3:  # a workbook cut short or with damaged bytes
        export, mapping = _copy_vendor(root / "w", "workbook")
        data = (export / "verksamhetssystem.xlsx").read_bytes()
        cut = rng.randrange(len(data))
        data = data[:cut] if rng.random() < 0.5 else data[:cut] + bytes([rng.randrange(256)]) + data[cut + 1:]
        (export / "verksamhetssystem.xlsx").write_bytes(data)
        return Case("binary_formats", export, AS_OF + ["--mapping", str(mapping)])
    elif how == 4:  # a workbook sheet of numbers, dates, booleans and formulas, with a unicode header
        import xlsxwriter
        export, mapping = _copy_vendor(root / "w", "workbook")
        book = xlsxwriter.Workbook(str(export / "extra.xlsx"))
        sheet = book.add_worksheet("Blad1")
        sheet.write_row(0, 0, ["名前", SCRIPT, "Personnummer", "x"])
        for r in range(1, rng.randint(2, 50)):
            sheet.write_row(r, 0, [r * 1.5, True, 191212121212, "=1/0"])
        book.close()
        return Case("binary_formats", export, AS_OF + ["--mapping", str(mapping)])
    elif how == 5:  # an empty parquet file, an empty JSON Lines file
        (export / rng.choice(["empty.parquet", "empty.jsonl", "empty.xlsx"])).write_bytes(b"")
    else:  # a table written as Parquet with every column null
        frame.select(pl.all().map_elements(lambda _: None, return_dtype=pl.String)).write_parquet(
            target.with_suffix(".parquet"))
        target.unlink()
        text = text.replace(target.name, target.with_suffix(".parquet").name)
    mapping.write_text(text, encoding="utf-8")
    return Case("binary_formats", export, AS_OF + ["--mapping", str(mapping)])


def archives(rng: random.Random, root: Path) -> Case:
    """Zip bombs, archives nested deeper than allowed, members climbing out, encrypted-looking and broken
    archives, and an archive of the bundled vendor export."""
    export_dir, mapping = _copy_vendor(root, "normalised")
    archive = root / "export.zip"
    how = rng.randrange(6)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        if how == 0:  # a member that expands far beyond its compressed size
            size = _size(rng, 5_000_000, 400_000_000)
            with zf.open("klienter.csv", "w", force_zip64=True) as member:
                member.write(b"PersonNr,Kon,Ursprung\n")
                row = b"x,y,z\n" * 100_000
                for _ in range(max(size // len(row), 1)):
                    member.write(row)
        elif how == 1:  # archives nested in archives
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w") as z:
                for f in export_dir.iterdir():
                    z.write(f, f.name)
            for _ in range(rng.randint(1, 5)):
                outer = io.BytesIO()
                with zipfile.ZipFile(outer, "w") as z:
                    z.writestr("inner.zip", inner.getvalue())
                inner = outer
            zf.writestr("inner.zip", inner.getvalue())
        elif how == 2:
            zf.writestr(rng.choice(["../evil.csv", "/abs.csv", "C:/x.csv", "a/../../b.csv"]), "a,b\n1,2\n")
        elif how == 3:
            for i in range(rng.randint(1, 3000)):
                zf.writestr(f"m{i}.csv", "a,b\n1,2\n")
        else:
            for f in export_dir.iterdir():
                zf.write(f, f.name)
    if how == 4:
        data = archive.read_bytes()
        cut = rng.randrange(len(data))
        archive.write_bytes(data[:cut] + bytes([rng.randrange(256)]) + data[cut + 1:])
    shutil.rmtree(export_dir)
    return Case("archives", archive, AS_OF + ["--mapping", str(mapping)])


FAMILIES: dict[str, Callable[[random.Random, Path], Case]] = {
    f.__name__: f for f in (quotes, line_endings, byte_order_marks, random_bytes, encodings, ragged, huge_values,
                            absurd_values, headers, datapackage, symlinks, mappings, requirements, vendor_files,
                            binary_formats, archives)
}


def build(family: str, seed: int, root: Path) -> Case:
    """The case of `family` drawn with `seed`, written under `root` (an empty folder)."""
    return FAMILIES[family](random.Random(f"{family}:{seed}"), root)


# --------------------------------------------------------------------------------------------- running one

OUTPUTS = ["html", "text", "junit", "markdown", "violations.csv", "violations.xlsx"]
CLEAN = "clean"


def digests(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(path.rglob("*"))
    found = {}
    for file in files:
        if file.is_symlink() or not file.is_file():
            found[str(file)] = "link" if file.is_symlink() else "dir"
            continue
        found[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


def run_case(family: str, seed: int, work: Path) -> dict:
    """Build one case under `work` and run it; the outcome and what it rests on."""
    from click.testing import CliRunner

    from conform.cli import main
    from conform.personnummer import mask_text

    case = build(family, seed, work / "case")
    before = digests(case.export)
    out = work / "out"
    out.mkdir()
    crash_dir = Path(tempfile.gettempdir())
    crashes_before = set(crash_dir.glob("conform-crash-*.txt"))
    extra = OUTPUTS[seed % len(OUTPUTS)]
    args = ["check", str(case.export), *case.args, "--format", "json", "-o", str(out / "result.json")]
    if extra == "html":
        args += ["--html", str(out / "report.html")]
    elif extra in ("junit", "markdown"):
        args[args.index("json")] = extra
    elif extra.startswith("violations"):
        args += ["--violations", str(out / extra)]
    elif extra == "text":
        args = args[:-4]
    if seed % 2:
        args += ["--lang", "en"]
    started = time.perf_counter()
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    seconds = time.perf_counter() - started
    written = result.stdout + result.stderr
    for path in sorted(out.rglob("*")):
        # The violations file is the data owner's working list and holds person-IDs in full by design (asked
        # for with --violations); it is checked for what it must not hold, a traceback, by the exit code alone.
        if path.is_file() and not path.name.startswith("violations"):
            written += path.read_text(encoding="utf-8", errors="replace")
    new_crashes = sorted(set(crash_dir.glob("conform-crash-*.txt")) - crashes_before)
    crash_text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in new_crashes)
    for p in new_crashes:
        p.unlink()
    html = (out / "report.html").read_text(encoding="utf-8") if (out / "report.html").exists() else ""
    outcome, detail = CLEAN, None
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    if escaped or "Traceback (most recent call last)" in written:
        outcome, detail = "traceback", type(result.exception).__name__ if escaped else "in output"
    elif new_crashes:
        outcome = "unexpected error"
        detail = next((line for line in crash_text.splitlines()[::-1] if line.strip()), "")[:200]
    elif result.exit_code not in (0, 1, 2):
        outcome, detail = "bad exit code", result.exit_code
    elif leaked_ids(written + crash_text):
        outcome, detail = "person-ID in output", leaked_ids(written + crash_text)[0][:8] + "-****"
    elif SCRIPT in html or (html and "Content-Security-Policy" not in html):
        outcome = "unescaped markup"
    elif digests(case.export) != before:
        outcome = "input modified"
    first_line = (result.stderr or result.stdout).strip().splitlines()[:1]
    return {"family": family, "seed": seed, "outcome": outcome, "detail": detail, "exit": result.exit_code,
            "seconds": round(seconds, 3), "output": extra,
            "message": mask_text(first_line[0][:300]) if first_line and result.exit_code == 2 else None}
