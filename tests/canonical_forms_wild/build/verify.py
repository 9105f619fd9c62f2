"""Independent check of every form against fixtures/example (run with a Python that has openpyxl).

Reads each form with the standard library's csv/zipfile (and openpyxl for .xlsx) using the encoding,
separator and line end the form is meant to have, and compares every cell with the original.
Usage: python verify.py            (paths are found from this file's place)
"""
import csv
import datetime
import io
import os
import re
import sys
import zipfile

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
SRC = os.path.join(OUT, "..", "..", "fixtures", "example")
TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]
ok = True


def rows_from_text(text, delim):
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))


def original(t):
    with open(os.path.join(SRC, t + ".csv"), encoding="utf-8", newline="") as f:
        return rows_from_text(f.read(), ",")


def report(label, cond, detail=""):
    global ok
    ok &= bool(cond)
    print(("OK   " if cond else "FAIL ") + label + (f"  ({detail})" if detail else ""))


def check_csv_folder(folder, encoding, delim, eol, bom, tables=TABLES):
    for t in tables:
        p = os.path.join(OUT, folder, t + ".csv")
        raw = open(p, "rb").read()
        has_bom = raw.startswith(b"\xef\xbb\xbf") or raw.startswith(b"\xff\xfe")
        text = raw.decode(encoding)          # strict: raises on any byte that is not valid
        if text.startswith("\ufeff"):
            text = text[1:]
        n_crlf = text.count("\r\n")
        n_lf = text.count("\n")
        eol_ok = (n_crlf == n_lf) if eol == "CRLF" else (n_crlf == 0)
        rows = rows_from_text(text, delim)
        same = rows == original(t)
        report(f"{folder}/{t}.csv: {encoding}, sep {delim!r}, {eol}, BOM={bom}",
               has_bom == bom and eol_ok and same and text.endswith("\n"),
               f"{len(rows) - 1} data rows, cells identical to fixtures/example: {same}")
    dp = os.path.join(OUT, folder, "datapackage.json")
    report(f"{folder}/datapackage.json unchanged",
           open(dp, "rb").read() == open(os.path.join(SRC, "datapackage.json"), "rb").read())


def excel_general(v):
    s = f"{v:.5E}"
    mant, exp = s.split("E")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant.replace('.', ',')}E{exp[0]}{exp[1:].lstrip('0').rjust(2, '0')}"


def check_mangled():
    folder = "mangled_by_excel"
    check_csv_folder(folder, "cp1252", ";", "CRLF", False, ["beslut", "insats", "uppfoljning"])
    for t, col in (("person", 0), ("aktualisering", 1)):
        raw = open(os.path.join(OUT, folder, t + ".csv"), "rb").read()
        text = raw.decode("cp1252")
        rows = rows_from_text(text, ";")
        orig = original(t)
        diffs = [(r, c) for r in range(len(orig)) for c in range(len(orig[r])) if rows[r][c] != orig[r][c]]
        only_ids = all(c == col and r > 0 for r, c in diffs)
        as_excel = all(rows[r][col] == excel_general(int(orig[r][col])) for r in range(1, len(orig)))
        sci = sum(bool(re.fullmatch(r"\d,\d{1,5}E\+\d\d", rows[r][col])) for r in range(1, len(rows)))
        report(f"{folder}/{t}.csv: cp1252, ';', CRLF; only person_id changed, each to Excel's General text",
               only_ids and as_excel and text.count("\r\n") == text.count("\n") and len(rows) == len(orig),
               f"{len(diffs)} cells differ from the original, {sci} person_id in scientific notation, "
               f"e.g. {orig[1][col]} -> {rows[1][col]}")
    # two different persons can now share one shown ID
    text = open(os.path.join(OUT, folder, "person.csv"), "rb").read().decode("cp1252")
    ids = [r[0] for r in rows_from_text(text, ";")[1:]]
    report(f"{folder}/person.csv: distinct shown IDs", True, f"{len(set(ids))} distinct of {len(ids)} rows")


def cell_text(v):
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time(0) else v.isoformat()
    return "" if v is None else str(v)


def check_workbook(name, expect_types):
    wb = openpyxl.load_workbook(os.path.join(OUT, name), read_only=False)
    report(f"{name}: sheets {wb.sheetnames}", wb.sheetnames == TABLES)
    for t in TABLES:
        ws = wb[t]
        orig = original(t)
        ncol = len(orig[0])
        got = [[cell_text(c.value) for c in row[:ncol]] for row in ws.iter_rows(min_row=1, max_row=len(orig))]
        # openpyxl gives None for an empty cell: compare as ''
        same = got == orig
        types = {}
        for row in ws.iter_rows(min_row=2, max_row=len(orig), max_col=ncol):
            for c in row:
                if c.value is not None:
                    types.setdefault(orig[0][c.column - 1], set()).add(c.data_type)
        typed = {k: "".join(sorted(v)) for k, v in types.items() if v != {"s"}}
        extra = ""
        if name.startswith("workbook_far_corner") and t == "insats":
            extra = f"; XFD1048576={ws['XFD1048576'].value!r}, dimensions {ws.dimensions}"
        report(f"{name}!{t}: {len(orig) - 1} data rows, cells equal to the CSV text", same,
               f"non-text columns: {typed or 'none'}{extra}")
        if expect_types == "text":
            report(f"{name}!{t}: every cell a string", not typed)


def check_zip(name, expect):
    p = os.path.join(OUT, name)
    with zipfile.ZipFile(p) as z:
        report(f"{name}: testzip() finds no bad CRC", z.testzip() is None)
        names = z.namelist()
        report(f"{name}: entries {names}", names == expect)
        for t in TABLES + ["datapackage"]:
            fn = t + (".json" if t == "datapackage" else ".csv")
            data = z.read("example/" + fn)
            report(f"{name}: example/{fn} byte-identical to fixtures/example",
                   data == open(os.path.join(SRC, fn), "rb").read())
        info = z.infolist()
        systems = sorted({i.create_system for i in info})
        dd = sorted({bool(i.flag_bits & 0x08) for i in info})
        print(f"     create_system {systems} (0 = MS-DOS/FAT, 3 = Unix), data descriptors {dd}")
        for i in info:
            if "/._" in i.filename:
                head = z.read(i)[:8].hex(" ")
                print(f"     {i.filename}: {i.file_size} bytes, starts {head} (AppleDouble magic 00 05 16 07)")
                break


def main():
    check_csv_folder("excel_sv_csv", "cp1252", ";", "CRLF", False)
    check_csv_folder("utf8_bom_semicolon", "utf-8", ";", "CRLF", True)
    check_csv_folder("tab_utf8", "utf-8", "\t", "LF", False)
    check_mangled()
    check_workbook("workbook.xlsx", "text")
    check_workbook("workbook_typed.xlsx", "typed")
    check_workbook("workbook_far_corner.xlsx", "text")
    check_workbook("workbook_far_corner_calc.xlsx", "text")
    with zipfile.ZipFile(os.path.join(OUT, "workbook_claims_whole_sheet.xlsx")) as z:
        xml = z.read("xl/worksheets/sheet4.xml").decode()
        wbx = z.read("xl/workbook.xml").decode()
        report("workbook_claims_whole_sheet.xlsx: sheet4.xml (insats) says <dimension ref=\"A1:XFD1048576\"/>",
               '<dimension ref="A1:XFD1048576"/>' in xml and 'name="insats"' in wbx)
        cells = re.findall(r'<c r="([A-Z]+\d+)"', xml)
        report("workbook_claims_whole_sheet.xlsx: the insats sheet's last cell is still", True, cells[-1])
    check_workbook("workbook_claims_whole_sheet.xlsx", "text")
    files = [t + ".csv" for t in TABLES] + ["datapackage.json"]
    check_zip("example.zip", ["example/"] + ["example/" + f for f in files])
    mac = ["example/", "__MACOSX/", "__MACOSX/example/"]
    for f in files:
        mac += ["example/" + f, "__MACOSX/example/._" + f]
    check_zip("example_macos.zip", mac)
    beside = ["example/"]
    for f in files:
        beside += ["example/" + f, "example/._" + f]
    check_zip("example_macos_dotunderscore_beside.zip", beside)
    # unicode_text
    raw = open(os.path.join(OUT, "unicode_text", "person.csv"), "rb").read()
    text = raw[2:].decode("utf-16-le")
    rows = rows_from_text(text, "\t")
    report("unicode_text/person.csv: FF FE BOM, UTF-16LE, tab, CRLF, cells identical",
           raw[:2] == b"\xff\xfe" and text.count("\r\n") == text.count("\n") and rows == original("person"),
           f"{len(rows) - 1} data rows")
    for f in files[1:]:
        report(f"unicode_text/{f} byte-identical to fixtures/example",
               open(os.path.join(OUT, "unicode_text", f), "rb").read() == open(os.path.join(SRC, f), "rb").read())
    print("ALL OK" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
