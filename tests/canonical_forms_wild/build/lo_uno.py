"""Drive LibreOffice Calc through UNO (run with Debian's /usr/bin/python3, which has python3-uno).

Makes, from the canonical example (SRC):
  OUT/workbook.xlsx        five sheets named as the tables, every column imported as Text (format code 2)
  OUT/workbook_far_corner_calc.xlsx  workbook.xlsx plus the text 'x' typed into insats!XFD1048576 in Calc
  OUT/workbook_typed.xlsx  five sheets, LibreOffice's default type detection (language sv-SE = 1053):
                           what a person gets when opening / pasting without choosing column types
  MANGLED/person.csv, MANGLED/aktualisering.csv
                           opened with default detection (sv-SE), then every number cell that Excel's
                           "General" format would show in scientific notation (12+ digit integers) is
                           replaced by the string Excel displays (e.g. 1,93009E+11), and LibreOffice
                           saves the sheet as ';' / Windows-1252 "as shown".  Line ends are fixed to
                           CRLF afterwards by post.py.

Usage: /usr/bin/python3 lo_uno.py SRC OUT MANGLED PROFILE_DIR
"""
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table.CellContentType import VALUE

TABLES = ["person", "aktualisering", "beslut", "insats", "uppfoljning"]
CSV_FILTER = "Text - txt - csv (StarCalc)"
ALL_TEXT = "/".join(f"{c}/2" for c in range(1, 11))
IMPORT_TEXT = f"44,34,76,1,{ALL_TEXT},1053,false,false"     # comma, ", UTF-8, row 1, cols 1-10 Text, sv-SE
IMPORT_DEFAULT = "44,34,76,1,,1053,false,false"             # no column types: Calc's own detection, sv-SE
EXPORT_SV = "59,34,1,1,,1053,false,true,true"               # ';', ", Windows-1252 (code 1), save as shown


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def url(path):
    return uno.systemPathToFileUrl(os.path.abspath(path))


def excel_general(v):
    """The text Excel's General format shows for a number of 12+ digits (Swedish decimal comma).

    General shows at most 11 characters; an integer of 12 or more digits is shown as d,ddddd E+nn
    with the mantissa rounded to 5 decimals and trailing zeros dropped (123456789012 -> 1,23457E+11).
    """
    s = f"{v:.5E}"                    # '1.93009E+11'
    mant, exp = s.split("E")
    mant = mant.rstrip("0").rstrip(".")
    exp_sign, exp_digits = exp[0], exp[1:].lstrip("0").rjust(2, "0")
    return f"{mant.replace('.', ',')}E{exp_sign}{exp_digits}"


def main():
    src, out, mangled, profile = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    os.makedirs(mangled, exist_ok=True)
    pipe = f"wildpipe{os.getpid()}"
    proc = subprocess.Popen(
        ["soffice", f"-env:UserInstallation={url(profile)}", "--headless", "--invisible",
         "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("could not connect to soffice")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

        def load_csv(table, options):
            return desktop.loadComponentFromURL(
                url(os.path.join(src, table + ".csv")), "_blank", 0,
                (prop("FilterName", CSV_FILTER), prop("FilterOptions", options), prop("Hidden", True)))

        # --- workbooks: one sheet per table --------------------------------------------------
        for name, options in (("workbook.xlsx", IMPORT_TEXT), ("workbook_typed.xlsx", IMPORT_DEFAULT)):
            book = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
            sheets = book.Sheets
            default_names = list(sheets.ElementNames)
            for i, table in enumerate(TABLES):
                doc = load_csv(table, options)
                src_sheet = doc.Sheets.getByIndex(0).Name
                idx = sheets.importSheet(doc, src_sheet, i)
                sheets.getByIndex(idx).Name = table
                doc.close(True)
            for n in default_names:
                sheets.removeByName(n)
            book.storeToURL(url(os.path.join(out, name)),
                            (prop("FilterName", "Calc MS Excel 2007 XML"),))
            if name == "workbook.xlsx":
                # Ctrl+End and type, in Calc itself: one 'x' in insats!XFD1048576 (Calc 7.4 has 16384 columns)
                corner = sheets.getByName("insats").getCellByPosition(16383, 1048575)
                corner.String = "x"
                book.storeToURL(url(os.path.join(out, "workbook_far_corner_calc.xlsx")),
                                (prop("FilterName", "Calc MS Excel 2007 XML"),))
            book.close(True)

        # --- mangled: opened without choosing types, saved again as ';' / Windows-1252 ----------
        for table in ("person", "aktualisering"):
            doc = load_csv(table, IMPORT_DEFAULT)
            sheet = doc.Sheets.getByIndex(0)
            cur = sheet.createCursor()
            cur.gotoEndOfUsedArea(False)
            last_col, last_row = cur.RangeAddress.EndColumn, cur.RangeAddress.EndRow
            changed = 0
            for r in range(last_row + 1):
                for c in range(last_col + 1):
                    cell = sheet.getCellByPosition(c, r)
                    if cell.Type == VALUE and abs(cell.Value) >= 1e11 and cell.Value == int(cell.Value):
                        cell.String = excel_general(cell.Value)
                        changed += 1
            doc.storeToURL(url(os.path.join(mangled, table + ".csv")),
                           (prop("FilterName", CSV_FILTER), prop("FilterOptions", EXPORT_SV)))
            doc.close(True)
            print(f"mangled {table}: {changed} cells shown in scientific notation")
        try:
            desktop.terminate()
        except Exception:
            pass
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
