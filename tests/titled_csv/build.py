"""Build the titled-CSV forms of fixtures/example, then read them back and check every cell.

Standard library only. Deterministic: the same fixtures give the same bytes on every run.

    python3 tests/titled_csv/build.py           # (re)write the forms, then verify them
    python3 tests/titled_csv/build.py --check   # only verify what is on disk

Exit status 0 when every form reads back to the fixture (with the one planned change in no_title/beslut.csv).
"""

import csv
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "example")

# table name, Swedish plural used in the title lines
TABLES = [
    ("person", "Personer"),
    ("aktualisering", "Aktualiseringar"),
    ("beslut", "Beslut"),
    ("insats", "Insatser"),
    ("uppfoljning", "Uppföljningar"),
]
EXPECTED_COUNTS = {"person": 300, "aktualisering": 376, "beslut": 350, "insats": 454, "uppfoljning": 504}

BOM = "\ufeff"
FORMS = ["title_blank", "title_stamp", "title_quoted", "no_title", "title_only_file"]

# The planned change in no_title/: beslut.csv, first data row, first field (beslut_id) emptied.
NO_TITLE_BLANKED = ("beslut", 0, 0)  # table, data-row index (0 = first row under the headings), column index


# ---------------------------------------------------------------- fixtures

def fixture_bytes(table):
    with open(os.path.join(FIXTURES, table + ".csv"), "rb") as f:
        return f.read()


def fixture_rows(table):
    """Headings row plus data rows, as lists of str."""
    text = fixture_bytes(table).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def datapackage_bytes():
    with open(os.path.join(FIXTURES, "datapackage.json"), "rb") as f:
        return f.read()


# ---------------------------------------------------------------- title lines per form

def title_blank_lines(table, label):
    # one field, no comma in it; then an empty line
    return ["Rapport: %s 2020-01-01 \u2013 2025-06-30" % label, ""]


def title_stamp_lines(table, label, ncols):
    # title, print stamp, then the empty row as Excel writes it: only separators
    return [
        "Utdrag ur verksamhetssystemet \u2013 %s" % label,
        "Utskriven 2025-01-15 10:32 av handläggare",
        ";" * (ncols - 1),
    ]


def title_quoted_lines(table, label):
    # a quoted one-field title, a two-field line (one TAB), then an empty line
    return ['"%s per 2025-06-30"' % label, "Kommun:\tExempelkommun", ""]


def summering_text():
    names = {"person": "personer", "aktualisering": "aktualiseringar", "beslut": "beslut",
             "insats": "insatser", "uppfoljning": "uppföljningar"}
    return "".join("Antal %s: %d\n" % (names[t], len(fixture_rows(t)) - 1) for t, _ in TABLES)


def write_rows(rows, delimiter, lineterminator):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, quotechar='"', quoting=csv.QUOTE_MINIMAL,
                   lineterminator=lineterminator)
    w.writerows(rows)
    return buf.getvalue()


# ---------------------------------------------------------------- build

def build_form(form):
    """Return {file name: bytes} for one form, plus a list of notes (encoding fallbacks)."""
    files, notes = {}, []
    for table, label in TABLES:
        rows = fixture_rows(table)
        ncols = len(rows[0])
        if form in ("title_blank", "title_only_file"):
            head = "".join(line + "\n" for line in title_blank_lines(table, label))
            data = head.encode("utf-8") + fixture_bytes(table)  # fixture bytes untouched under the title
        elif form == "title_stamp":
            text = "".join(line + "\r\n" for line in title_stamp_lines(table, label, ncols))
            text += write_rows(rows, ";", "\r\n")
            try:
                data = text.encode("cp1252")
            except UnicodeEncodeError as e:
                notes.append("%s/%s.csv: not encodable in cp1252 (%s); written as UTF-8" % (form, table, e))
                data = text.encode("utf-8")
        elif form == "title_quoted":
            text = BOM + "".join(line + "\n" for line in title_quoted_lines(table, label))
            text += write_rows(rows, "\t", "\n")
            data = text.encode("utf-8")
        elif form == "no_title":
            if table == NO_TITLE_BLANKED[0]:
                _, r, c = NO_TITLE_BLANKED
                rows[1 + r][c] = ""
                data = write_rows(rows, ",", "\n").encode("utf-8")
            else:
                data = fixture_bytes(table)
        else:
            raise ValueError(form)
        files[table + ".csv"] = data
    files["datapackage.json"] = datapackage_bytes()
    if form == "title_only_file":
        files["summering.csv"] = summering_text().encode("utf-8")
    return files, notes


def build():
    notes = []
    for form in FORMS:
        files, n = build_form(form)
        notes += n
        d = os.path.join(HERE, form)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return notes


# ---------------------------------------------------------------- verify (independent read-back)

# Per form: encoding to decode with, BOM expected, separator, line end, title lines (exact text) per table.
def form_spec(form, table, label, ncols):
    if form in ("title_blank", "title_only_file"):
        return "utf-8", False, ",", "\n", title_blank_lines(table, label)
    if form == "title_stamp":
        return "cp1252", False, ";", "\r\n", title_stamp_lines(table, label, ncols)
    if form == "title_quoted":
        return "utf-8", True, "\t", "\n", title_quoted_lines(table, label)
    if form == "no_title":
        return "utf-8", False, ",", "\n", []
    raise ValueError(form)


def verify():
    problems, report = [], []
    for form in FORMS:
        d = os.path.join(HERE, form)
        expected_names = {t + ".csv" for t, _ in TABLES} | {"datapackage.json"}
        if form == "title_only_file":
            expected_names.add("summering.csv")
        names = set(os.listdir(d))
        if names != expected_names:
            problems.append("%s: files %s, expected %s" % (form, sorted(names), sorted(expected_names)))
        with open(os.path.join(d, "datapackage.json"), "rb") as f:
            if f.read() != datapackage_bytes():
                problems.append("%s/datapackage.json differs from the fixture" % form)
        counts, cells, changed = [], 0, []
        for table, label in TABLES:
            want = fixture_rows(table)
            ncols = len(want[0])
            enc, bom, sep, eol, titles = form_spec(form, table, label, ncols)
            with open(os.path.join(d, table + ".csv"), "rb") as f:
                raw = f.read()
            where = "%s/%s.csv" % (form, table)
            # container checks on the raw bytes
            if raw.startswith(b"\xef\xbb\xbf") != bom:
                problems.append("%s: BOM %s" % (where, "missing" if bom else "unexpected"))
            if eol == "\r\n":
                if raw.count(b"\n") != raw.count(b"\r\n") or raw.count(b"\r") != raw.count(b"\r\n"):
                    problems.append("%s: not every line ends in CRLF" % where)
            elif b"\r" in raw:
                problems.append("%s: CR found, expected LF only" % where)
            text = raw.decode(enc)  # strict
            if bom:
                text = text[1:]
            lines = text.split(eol)
            if lines[:len(titles)] != titles:
                problems.append("%s: title lines %r" % (where, lines[:len(titles)]))
            body = eol.join(lines[len(titles):])
            got = list(csv.reader(io.StringIO(body, newline=""), delimiter=sep, quotechar='"'))
            if form == "no_title" and table == NO_TITLE_BLANKED[0]:
                _, r, c = NO_TITLE_BLANKED
                if got[1 + r][c] != "":
                    problems.append("%s: planned empty cell is %r" % (where, got[1 + r][c]))
                else:
                    changed.append("%s row %d col %s: %r -> ''" % (where, r + 1, want[0][c], want[1 + r][c]))
                    got[1 + r][c] = want[1 + r][c]
            if got != want:
                bad = [i for i in range(max(len(got), len(want)))
                       if i >= len(got) or i >= len(want) or got[i] != want[i]]
                problems.append("%s: %d rows differ, first at row %d" % (where, len(bad), bad[0]))
            n = len(got) - 1
            if n != EXPECTED_COUNTS[table]:
                problems.append("%s: %d data rows, expected %d" % (where, n, EXPECTED_COUNTS[table]))
            counts.append("%s %d" % (table, n))
            cells += sum(len(r) for r in got)
        if form == "title_only_file":
            with open(os.path.join(d, "summering.csv"), "rb") as f:
                if f.read().decode("utf-8") != summering_text():
                    problems.append("title_only_file/summering.csv differs")
        report.append("%-16s %s; %d cells equal%s" % (form, ", ".join(counts), cells,
                                                      ("; planned change: " + "; ".join(changed)) if changed else ""))
    return problems, report


def main():
    if "--check" not in sys.argv[1:]:
        for note in build():
            print("NOTE:", note)
    problems, report = verify()
    for line in report:
        print(line)
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else "FAILED (%d problems)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
