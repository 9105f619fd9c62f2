"""Assemble the forms from LibreOffice's output (run with the throwaway venv that has openpyxl).

Usage: python post.py SRC WORK OUT
  SRC  fixtures/example        WORK  LibreOffice's raw output (build.sh)        OUT  tests/canonical_forms_wild
What this script itself changes (everything else is LibreOffice's bytes):
  - LF -> CRLF in excel_sv_csv, utf8_bom_semicolon, mangled_by_excel, unicode_text/person.csv
    (LibreOffice on Linux writes LF; Excel on Windows writes CRLF)
  - a UTF-8 BOM in front of utf8_bom_semicolon/*.csv (LibreOffice 7.4 has no BOM option)
  - workbook_far_corner.xlsx: openpyxl loads LibreOffice's workbook.xlsx and types 'x' in insats!XFD1048576
  - workbook_claims_whole_sheet.xlsx: LibreOffice's workbook.xlsx with the insats sheet's
    <dimension ref="..."/> rewritten to A1:XFD1048576 (every other zip member copied byte for byte)
  - the zips (Python zipfile, laid out as Windows Explorer and macOS Finder lay them out)
"""
import os
import re
import shutil
import struct
import sys
import zipfile

import openpyxl

TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]
STAMP = (2025, 6, 30, 12, 0, 0)


def crlf(path, encoding=None):
    with open(path, "rb") as f:
        data = f.read()
    if encoding is None:
        assert b"\r" not in data
        data = data.replace(b"\n", b"\r\n")
    else:  # UTF-16LE with BOM: decode, change, encode again with the same BOM
        assert encoding == "utf-16-le" and data.startswith(b"\xff\xfe")
        text = data[2:].decode(encoding)
        assert "\r" not in text
        data = b"\xff\xfe" + text.replace("\n", "\r\n").encode(encoding)
    with open(path, "wb") as f:
        f.write(data)


def copy_folder(src_dir, dst_dir, src_pkg):
    shutil.rmtree(dst_dir, ignore_errors=True)
    shutil.copytree(src_dir, dst_dir)
    shutil.copy2(os.path.join(src_pkg, "datapackage.json"), dst_dir)


def apple_double():
    """A minimal AppleDouble v2 file (what macOS stores as ._NAME): header, Finder Info (32 zero
    bytes) and an empty resource fork. Real Finder ones are usually 4096 bytes with an ATTR block."""
    entries = [(9, 32), (2, 0)]
    head = struct.pack(">II16sH", 0x00051607, 0x00020000, b"Mac OS X        ", len(entries))
    offset = len(head) + 12 * len(entries)
    table = b""
    for eid, length in entries:
        table += struct.pack(">III", eid, offset, length)
        offset += length
    return head + table + b"\0" * 32


class Unseekable:
    """A write-only stream zipfile cannot seek in, so it writes data descriptors as macOS' ditto does."""

    def __init__(self, f):
        self.f = f

    def write(self, b):
        return self.f.write(b)

    def flush(self):
        self.f.flush()


def main():
    src, work, out = sys.argv[1:4]

    # 1. excel_sv_csv
    d = os.path.join(out, "excel_sv_csv")
    copy_folder(os.path.join(work, "excel_sv_csv"), d, src)
    for t in TABLES:
        crlf(os.path.join(d, t + ".csv"))

    # 2. utf8_bom_semicolon
    d = os.path.join(out, "utf8_bom_semicolon")
    copy_folder(os.path.join(work, "utf8_bom_semicolon"), d, src)
    for t in TABLES:
        p = os.path.join(d, t + ".csv")
        crlf(p)
        with open(p, "rb") as f:
            data = f.read()
        assert not data.startswith(b"\xef\xbb\xbf")
        with open(p, "wb") as f:
            f.write(b"\xef\xbb\xbf" + data)

    # 3. tab_utf8 (LibreOffice's bytes unchanged)
    copy_folder(os.path.join(work, "tab_utf8"), os.path.join(out, "tab_utf8"), src)

    # 4. mangled_by_excel: person + aktualisering from UNO, the others = excel_sv_csv copies
    d = os.path.join(out, "mangled_by_excel")
    copy_folder(os.path.join(work, "mangled_by_excel"), d, src)
    for t in ("person", "aktualisering"):
        crlf(os.path.join(d, t + ".csv"))
    for t in ("beslut", "insats", "uppfoljning"):
        shutil.copy2(os.path.join(out, "excel_sv_csv", t + ".csv"), d)

    # 5./6. workbooks as LibreOffice wrote them
    for name in ("workbook.xlsx", "workbook_typed.xlsx", "workbook_far_corner_calc.xlsx"):
        shutil.copy2(os.path.join(work, "xlsx", name), os.path.join(out, name))

    # 7. far corner: openpyxl types one 'x' in insats!XFD1048576
    wb = openpyxl.load_workbook(os.path.join(out, "workbook.xlsx"))
    wb["insats"]["XFD1048576"] = "x"
    wb.save(os.path.join(out, "workbook_far_corner.xlsx"))

    # 7b. claims whole sheet: only the insats sheet's <dimension ref> edited
    src_x = os.path.join(out, "workbook.xlsx")
    with zipfile.ZipFile(src_x) as zin:
        wbxml = zin.read("xl/workbook.xml").decode()
        rels = zin.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(r'<sheet name="insats"[^>]*r:id="([^"]+)"', wbxml).group(1)
        target = re.search(r'<Relationship Id="%s"[^>]*Target="([^"]+)"' % rid, rels)
        if target is None:
            target = re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
        sheet_member = "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
        with zipfile.ZipFile(os.path.join(out, "workbook_claims_whole_sheet.xlsx"), "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == sheet_member:
                    text, n = re.subn(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>',
                                      data.decode("utf-8"))
                    assert n == 1
                    data = text.encode("utf-8")
                zout.writestr(info, data, compress_type=info.compress_type)
    print("claims_whole_sheet: edited", sheet_member)

    # 8. zips
    files = [t + ".csv" for t in TABLES] + ["datapackage.json"]
    # Windows Explorer "Skicka till > Komprimerad mapp": a folder entry, then its files; FAT attributes
    with zipfile.ZipFile(os.path.join(out, "example.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        zi = zipfile.ZipInfo("example/", STAMP)
        zi.create_system = 0
        zi.external_attr = 0x10          # MS-DOS directory
        z.writestr(zi, b"")
        for name in files:
            zi = zipfile.ZipInfo("example/" + name, STAMP)
            zi.create_system = 0
            zi.external_attr = 0x20      # MS-DOS archive bit
            zi.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(src, name), "rb") as f:
                z.writestr(zi, f.read())

    def mac_zip(path, beside):
        with open(path, "wb") as raw:
            with zipfile.ZipFile(Unseekable(raw), "w", zipfile.ZIP_DEFLATED) as z:
                def put(name, data, is_dir=False):
                    zi = zipfile.ZipInfo(name, STAMP)
                    zi.create_system = 3
                    zi.external_attr = ((0o40755 if is_dir else 0o100644) << 16) | (0x10 if is_dir else 0)
                    zi.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
                    z.writestr(zi, data)
                put("example/", b"", True)
                if not beside:
                    put("__MACOSX/", b"", True)
                    put("__MACOSX/example/", b"", True)
                for name in files:
                    with open(os.path.join(src, name), "rb") as f:
                        put("example/" + name, f.read())
                    ad = ("example/._" if beside else "__MACOSX/example/._") + name
                    put(ad, apple_double())
    # Finder's "Komprimera": ._ files under __MACOSX/example/
    mac_zip(os.path.join(out, "example_macos.zip"), beside=False)
    # the same ._ files beside the real ones (zipped on Windows after a copy from a Mac via USB/SMB)
    mac_zip(os.path.join(out, "example_macos_dotunderscore_beside.zip"), beside=True)

    # 9. unicode_text: person.csv as Excel "Unicode text", the others the original UTF-8 CSVs
    d = os.path.join(out, "unicode_text")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy2(os.path.join(work, "unicode_text", "person.csv"), d)
    crlf(os.path.join(d, "person.csv"), encoding="utf-16-le")
    for name in files[1:]:
        shutil.copy2(os.path.join(src, name), d)


if __name__ == "__main__":
    main()
