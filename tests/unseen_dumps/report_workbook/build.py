#!/usr/bin/env python3
"""Build the `report_workbook` vendor shape from canonical/ (deterministic; needs xlsxwriter).

The shape imitates what the report generator of a case-management system ("Socialkontoret",
a fictional vendor) writes when a municipality schedules the report "BAS-01 Basinformation":
one .xlsx with a cover sheet, one sheet per table (a title line and a blank line above the
heading row), and a totals sheet.  See SHAPE.md.

    /work/main/.venv/bin/python build.py      # writes export/ beside this file

    # the same workbook without the title line and the blank line above each heading row, for
    # validating mapping.yaml while conform's mapping format cannot name a heading row (see
    # expected_differences.md); never committed
    /work/main/.venv/bin/python build.py --no-title-rows /tmp/report_workbook_flat
"""
from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import re
import sys
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
CANON = HERE / "canonical"
OUT = HERE / "export"
BOOK_NAME = "BAS-01_Basinformation_20250630.xlsx"
TITLE_ROWS = True        # a title line and a blank line above each table's heading row

RUN_AT = dt.datetime(2025, 6, 30, 23, 15, 4)       # the scheduled run; fixed for determinism
PERIOD = "2020-07-01 – 2025-06-30"

# ------------------------------------------------------------------ the report's own wordings
MALGRUPP = {                      # how the report prints the target group (Verksamhet)
    "BoU": "Barn och unga",
    "Vux": "Vuxna",
    "Äldre": "Äldreomsorg",
    "Funk": "Funktionshinder",
    "EkB": "Ek.bistånd",
}
TIDIGARE = {
    "Ja, för mindre än 2 år sedan": "Ja, < 2 år sedan",
    "Ja, för mer än 2 år sedan": "Ja, > 2 år sedan",
    "Nej": "Nej",
    "Vet ej": "Vet ej",
}
SIP = {
    "Ja, SIP finns": "SIP finns",
    "Nej, men det finns behov av SIP": "Ingen SIP, behov finns",
    "Nej, det finns inget behov av SIP": "Ingen SIP, behov saknas",
}
HANDLAGGARE = ["Anna Larsson", "Bengt Johansson", "Karin Persson", "Mikael Lindqvist", "Erik Svensson",
               "Lotta Andersson", "Johanna Karlsson"]
BESLUTSFATTARE = ["Anna Larsson", "Karin Persson", "Sektionschef IFO", "Enhetschef Äldreomsorg",
                  "Individutskottet"]
BESLUTSTYP = ["Bifall", "Bifall", "Bifall", "Delvis bifall", "Avslag"]
UTFORARE = ["Egen regi hemtjänst Norr", "Egen regi hemtjänst Söder", "Egen regi IFO öppenvård",
            "Omsorgshuset AB (LOV)", "Trygga Händer AB (LOV)", "Extern placering"]
KOMMUNER = ["Exempelby", "Exempelby", "Exempelby", "Exempelby", "Grannå", "Norrvik"]


def h(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:8], 16)


ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse(value: str) -> dt.date | None:
    m = ISO.match(value or "")
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


def text_date(value: str) -> str:
    """The report prints some dates as text dd.mm.yyyy, by cutting the stored string
    YYYY-MM-DD apart (so an impossible date such as 2023-11-31 becomes 31.11.2023); a stored
    value of another form is printed as it is."""
    m = ISO.match(value or "")
    if m:
        y, mo, d = m.groups()
        return f"{d}.{mo}.{y}"
    return value


def crosswalk(value: str, table: dict[str, str]) -> str:
    """The report's wording of a standard value; a value the system has no wording for (text
    converted from the previous system) is printed as stored."""
    return table.get(value, value)


def read(name: str) -> list[dict[str, str]]:
    with open(CANON / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Sheet:
    """One table sheet: title on row 1, row 2 blank, headings on row 3, data from row 4."""

    def __init__(self, book, fmt, name: str, title: str, headings: list[str], widths: list[int]):
        self.ws = book.add_worksheet(name)
        self.fmt = fmt
        self.head = 0
        if TITLE_ROWS:
            self.ws.write_string(0, 0, title, fmt["title"])
            self.head = 2
        for c, (head, w) in enumerate(zip(headings, widths)):
            self.ws.write_string(self.head, c, head, fmt["head"])
            self.ws.set_column(c, c, w)
        self.ws.freeze_panes(self.head + 1, 0)
        self.ncols = len(headings)
        self.row = self.head + 1

    def add(self, cells: list[tuple[str, object]]) -> None:
        """cells: (kind, value); kind is text, wrap (text with line breaks), int, date, datetime."""
        for c, (kind, value) in enumerate(cells):
            if value in ("", None):
                continue                                   # an empty cell: nothing written
            if kind == "text":
                self.ws.write_string(self.row, c, value)
            elif kind == "wrap":
                self.ws.write_string(self.row, c, value, self.fmt["wrap"])
            elif kind == "int":
                if isinstance(value, str) and not value.isdigit():
                    self.ws.write_string(self.row, c, value)   # what was typed, not a number
                else:
                    self.ws.write_number(self.row, c, int(value))
            elif kind == "date":
                d = parse(value) if isinstance(value, str) else value
                if d is None:
                    self.ws.write_string(self.row, c, value)   # not a date: printed as stored
                else:
                    self.ws.write_datetime(self.row, c, dt.datetime(d.year, d.month, d.day), self.fmt["date"])
            elif kind == "datetime":
                self.ws.write_datetime(self.row, c, value, self.fmt["datetime"])
            else:
                raise ValueError(kind)
        self.row += 1

    def finish(self) -> None:
        self.ws.autofilter(self.head, 0, max(self.row - 1, self.head), self.ncols - 1)


def changed(key: str, *dates: str) -> dt.datetime:
    """Senast ändrad: the system's time stamp of the record's last change."""
    known = [d for d in (parse(x) for x in dates) if d]
    base = max(known) if known else dt.date(2020, 6, 1) + dt.timedelta(days=h(key, "base") % 1500)
    day = min(base + dt.timedelta(days=h(key, "andr") % 120), RUN_AT.date())
    secs = 7 * 3600 + h(key, "tid") % (10 * 3600)
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=secs)


def main(out: Path = OUT) -> None:
    persons = read("person")
    akt = read("aktualisering")
    besl = read("beslut")
    ins = read("insats")
    upp = read("uppfoljning")

    out.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(out / BOOK_NAME), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    # fixed document properties, so that the same input gives the same bytes
    book.set_properties({"title": "BAS-01 Basinformation", "author": "Socialkontoret rapportgenerator",
                         "company": "Exempelby kommun", "created": RUN_AT})
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "bold": book.add_format({"bold": True}),
    }

    # ---------------------------------------------------------------- Försättsblad
    ws = book.add_worksheet("Försättsblad")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, "Basinformation i socialtjänsten – uttag per tabell", fmt["title"])
    cover = [
        ("Kommun", "Exempelby kommun, socialförvaltningen"),
        ("Rapport", "BAS-01 Basinformation (SKR 2024, version 1.0)"),
        ("Period", PERIOD),
        ("Urval", "Alla verksamheter; aktualiseringar inkomna under perioden med tillhörande beslut, "
                  "insatser och uppföljningar"),
        ("Skapad", RUN_AT.strftime("%Y-%m-%d %H:%M")),
        ("Skapad av", "Schemalagd körning (rapportgeneratorn, Socialkontoret 11.4)"),
        ("Sekretess", "Innehåller uppgifter som omfattas av sekretess enligt 26 kap. OSL. "
                      "Hanteras enligt kommunens informationssäkerhetsregler."),
        ("Flikar", "Personer, Aktualiseringar, Beslut, Insatser, Uppföljningar, Summering"),
    ]
    for i, (k, v) in enumerate(cover, start=2):
        ws.write_string(i, 0, k, fmt["bold"])
        ws.write_string(i, 1, v, fmt["wrap"])

    # ---------------------------------------------------------------- Personer
    sh = Sheet(book, fmt, "Personer", f"Personer ({len(persons)} st), {PERIOD}",
               ["Personnummer", "Juridiskt kön", "Ursprung", "Folkbokförd i kommun", "Senast ändrad"],
               [16, 16, 22, 20, 18])
    for p in persons:
        pid = p["person_id"]
        sh.add([("text", pid), ("text", p["juridiskt_kon"]), ("text", p["ursprung"]),
                ("text", KOMMUNER[h(pid, "kn") % len(KOMMUNER)]),
                ("datetime", changed("P" + pid, "2021-01-01"))])
    sh.finish()

    # ---------------------------------------------------------------- Aktualiseringar
    sh = Sheet(book, fmt, "Aktualiseringar", f"Aktualiseringar ({len(akt)} st), {PERIOD}",
               ["Aktualiseringsnummer", "Personnummer", "Målgrupp", "Datum för aktualisering",
                "Aktualiseringstyp", "Aktualiseringsorsak", "Tidigare kontakt med socialtjänsten",
                "Ålder vid aktualisering", "Registrerad av", "Registreringsdatum", "Senast ändrad"],
               [14, 16, 16, 14, 22, 36, 22, 12, 20, 14, 18])
    for a in akt:
        key = a["aktualisering_id"]
        ad = parse(a["datum_aktualisering"])
        reg = (ad + dt.timedelta(days=h(key, "reg") % 4)) if ad else (
            dt.date(2020, 7, 1) + dt.timedelta(days=h(key, "reg") % 1800))
        sh.add([
            ("text", key),
            ("text", a["person_id"]),
            ("text", crosswalk(a["malgrupp"], MALGRUPP)),
            ("text", text_date(a["datum_aktualisering"])),
            ("wrap", a["aktualiseringstyp"].replace("|", "\n")),
            ("wrap", a["aktualiseringsorsak"].replace("|", "\n")),
            ("text", crosswalk(a["tidigare_kontakt"], TIDIGARE)),
            ("int", a["alder"]),
            ("text", HANDLAGGARE[h(key, "handl") % len(HANDLAGGARE)]),
            ("date", reg),
            ("datetime", changed(key, a["datum_aktualisering"], reg.isoformat())),
        ])
    sh.finish()

    # ---------------------------------------------------------------- Beslut
    sh = Sheet(book, fmt, "Beslut", f"Beslut ({len(besl)} st), {PERIOD}",
               ["Beslutsnummer", "Aktualiseringsnummer", "Beslutsdatum", "Beslutstyp", "Problematik",
                "Beslutsfattare", "Senast ändrad"],
               [14, 14, 14, 14, 50, 24, 18])
    for b in besl:
        key = b["beslut_id"]
        sh.add([
            ("text", key),
            ("text", b["aktualisering_id"]),
            ("date", b["datum_beslut"]),
            ("text", BESLUTSTYP[h(key, "typ") % len(BESLUTSTYP)]),
            ("text", b["problematik"].replace("|", ", ")),
            ("text", BESLUTSFATTARE[h(key, "bf") % len(BESLUTSFATTARE)]),
            ("datetime", changed(key, b["datum_beslut"])),
        ])
    sh.finish()

    # ---------------------------------------------------------------- Insatser
    sh = Sheet(book, fmt, "Insatser", f"Insatser ({len(ins)} st), {PERIOD}",
               ["Insatsnummer", "Beslutsnummer", "KSI-kod", "Insats", "Verkställighetsdatum",
                "Beslutad till och med", "Avslutsdatum", "Orsak till avslut", "Måluppfyllelse vid avslut",
                "Utförare", "Senast ändrad"],
               [14, 14, 12, 40, 14, 14, 14, 40, 30, 26, 18])
    for i, n in enumerate(ins, start=1):
        key = n["insats_id"]
        vd = parse(n["datum_verkstallande"])
        tom = (vd + dt.timedelta(days=[182, 365, 365, 730][h(key, "plan") % 4])) if vd else ""
        sh.add([
            ("text", key),
            ("text", n["beslut_id"]),
            ("text", n["insats_kod"]),
            ("text", n["insats"]),
            ("date", n["datum_verkstallande"]),
            ("date", tom),
            ("text", text_date(n["datum_avslut"])),
            ("wrap", n["orsak_avslut"].replace("|", "\n")),
            ("text", n["maluppfyllelse"]),
            ("text", UTFORARE[h(key, "utf") % len(UTFORARE)]),
            ("datetime", changed(f"{key}:{i}", n["datum_verkstallande"], n["datum_avslut"])),
        ])
    sh.finish()

    # ---------------------------------------------------------------- Uppföljningar
    sh = Sheet(book, fmt, "Uppföljningar", f"Uppföljningar ({len(upp)} st), {PERIOD}",
               ["Uppföljningsnummer", "Insatsnummer", "Datum för uppföljning", "SIP", "Måluppfyllelse",
                "Nästa planerade uppföljning", "Senast ändrad"],
               [14, 14, 14, 24, 40, 14, 18])
    for u in upp:
        key = u["uppfoljning_id"]
        ud = parse(u["datum_uppfoljning"])
        nxt = (ud + dt.timedelta(days=[90, 180, 180, 365][h(key, "nx") % 4])) if ud else ""
        sh.add([
            ("text", key),
            ("text", u["insats_id"]),
            ("text", text_date(u["datum_uppfoljning"])),
            ("text", crosswalk(u["sip"], SIP)),
            ("text", u["maluppfyllelse"]),
            ("date", nxt),
            ("datetime", changed(key, u["datum_uppfoljning"])),
        ])
    sh.finish()

    # ---------------------------------------------------------------- Summering
    ws = book.add_worksheet("Summering")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 6, 14)
    ws.write_string(0, 0, f"Summering, {PERIOD}", fmt["title"])
    ws.write_string(2, 0, "Flik", fmt["head"])
    ws.write_string(2, 1, "Antal rader", fmt["head"])
    counts = [("Personer", len(persons)), ("Aktualiseringar", len(akt)), ("Beslut", len(besl)),
              ("Insatser", len(ins)), ("Uppföljningar", len(upp))]
    for i, (k, v) in enumerate(counts, start=3):
        ws.write_string(i, 0, k)
        ws.write_number(i, 1, v)
    ws.write_string(3 + len(counts), 0, "Totalt", fmt["bold"])
    ws.write_number(3 + len(counts), 1, sum(v for _, v in counts), fmt["bold"])

    r0 = 5 + len(counts)
    ws.write_string(r0, 0, "Aktualiseringar per målgrupp och år", fmt["bold"])
    years = sorted({a["datum_aktualisering"][:4] for a in akt if parse(a["datum_aktualisering"])})
    ws.write_string(r0 + 1, 0, "Målgrupp", fmt["head"])
    for c, y in enumerate(years, start=1):
        ws.write_string(r0 + 1, c, y, fmt["head"])
    tally = collections.Counter((crosswalk(a["malgrupp"], MALGRUPP) or "(uppgift saknas)",
                                 a["datum_aktualisering"][:4]) for a in akt if parse(a["datum_aktualisering"]))
    groups = sorted({g for g, _ in tally})
    for r, g in enumerate(groups, start=r0 + 2):
        ws.write_string(r, 0, g)
        for c, y in enumerate(years, start=1):
            ws.write_number(r, c, tally.get((g, y), 0))
    book.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--no-title-rows"]:
        TITLE_ROWS = False
        args = args[1:]
    main(Path(args[0]) if args else OUT)
