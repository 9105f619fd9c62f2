#!/usr/bin/env python3
"""Build the `sql_dump` vendor shape from canonical/ (standard library only, deterministic).

The shape imitates the nightly dump of a case-management system's database ("Omsorgsdata 7",
a fictional vendor): one pipe-separated ISO-8859-1 file per *database* table, upper-case
abbreviated headings, dates as YYYYMMDD, numeric surrogate keys, coded values explained by a
code table file, several codes in one cell joined by "#", local target-group abbreviations, and
a change stamp (ANDR_DAT, ANDR_SIGN) on every file.  See SHAPE.md.

    python3 build.py            # writes export/ beside this file
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
CANON = HERE / "canonical"
OUT = HERE / "export"

SEP = "|"          # field separator of the dump
LIST_SEP = "#"     # separator of several codes inside one cell
ENCODING = "iso-8859-1"
EOL = "\r\n"       # the dump is written on the vendor's Windows database server

# --------------------------------------------------------------------------- code tables
# KODTYP -> [(KOD, BENAMNING, standard value or None)]; the standard value is what the code
# means in SKR's Basinformation (None: a code with no counterpart, e.g. decision types).
CODES: dict[str, list[tuple[str, str, str | None]]] = {
    "KON": [
        ("1", "Pojke/Man", "Pojke/Man"),
        ("2", "Flicka/Kvinna", "Flicka/Kvinna"),
    ],
    "FODLOMR": [
        ("1", "Född i Sverige", "Född i Sverige"),
        ("2", "Född i övriga Europa", "Född i övriga Europa"),
        ("3", "Född utanför Europa", "Född utanför Europa"),
        ("9", "Vet inte", "Vet inte"),
    ],
    "VERKS": [
        ("IFO-BoU", "IFO Barn och unga", "BoU"),
        ("IFO-VUX", "IFO Vuxen (missbruk, våld i nära relation)", "Vux"),
        ("IFO-EKB", "IFO Ekonomiskt bistånd", "EkB"),
        ("ÄO", "Äldreomsorg", "Äldre"),
        ("OF-LSS", "Omsorg om funktionsnedsatta (SoL/LSS)", "Funk"),
        ("IFO-FAM", "IFO Familjerätt", None),
    ],
    "AKTTYP": [
        ("AS", "Ansökan", "Ansökan"),
        ("AM", "Anmälan", "Anmälan"),
        ("IA", "Information på annat sätt", "Information på annat sätt"),
    ],
    "ORSAK": [
        ("01", "Brister i omsorg", "Brister i omsorg"),
        ("02", "Konflikter i familjerelationer", "Konflikter i familjerelationer"),
        ("03", "Behov av omsorg", "Behov av omsorg"),
        ("04", "Utsatt för våld/övergrepp", "Utsatt för våld/övergrepp"),
        ("05", "Utövar våld/övergrepp", "Utövar våld/övergrepp"),
        ("06", "Somatisk ohälsa", "Somatisk ohälsa"),
        ("07", "Fysisk funktionsnedsättning", "Fysisk funktionsnedsättning"),
        ("08", "Egen psykisk ohälsa", "Egen psykisk ohälsa"),
        ("09", "Annans psykisk ohälsa", "Annans psykisk ohälsa"),
        ("10", "Psykisk funktionsnedsättning", "Psykisk funktionsnedsättning"),
        ("11", "Eget skadligt bruk eller beroende", "Eget skadligt bruk eller beroende"),
        ("12", "Annans skadligt bruk eller beroende", "Annans skadligt bruk eller beroende"),
        ("13", "Egen kriminalitet", "Egen kriminalitet"),
        ("14", "Annans kriminalitet", "Annans kriminalitet"),
        ("15", "Ej självförsörjande", "Ej självförsörjande"),
        ("16", "Boendeproblematik", "Boendeproblematik"),
        ("17", "Skolrelaterad problematik", "Skolrelaterad problematik"),
        ("18", "Ensamkommande barn", "Ensamkommande barn"),
        ("99", "Annat/Övrigt", "Annat/Övrigt"),
    ],
    "TIDKONT": [
        ("1", "Ja, för mindre än 2 år sedan", "Ja, för mindre än 2 år sedan"),
        ("2", "Ja, för mer än 2 år sedan", "Ja, för mer än 2 år sedan"),
        ("3", "Nej", "Nej"),
        ("9", "Vet ej", "Vet ej"),
    ],
    "AVSLORS": [
        ("01", "Målet/målen med insatsen har uppnåtts", "Målet/målen med insatsen har uppnåtts"),
        ("02", "Insatsen bedöms inte svara mot brukarens behov", "Insatsen bedöms inte svara mot brukarens behov"),
        ("03", "Insatsen avbryts oplanerat på initiativ av utförare/uppdragstagare",
         "Insatsen avbryts oplanerat på initiativ av utförare/uppdragstagare"),
        ("04", "Insatsen avbryts oplanerat på initiativ av brukare/företrädare",
         "Insatsen avbryts oplanerat på initiativ av brukare/företrädare"),
        ("05", "Insatsen avbryts oplanerat på initiativ av vårdnadshavare",
         "Insatsen avbryts oplanerat på initiativ av vårdnadshavare"),
        ("06", "Barnet har fyllt 18 år och ansöker inte själv om fortsatt bistånd",
         "Barnet har fyllt 18 år och ansöker inte själv om fortsatt bistånd"),
        ("07", "Brukaren har flyttat", "Brukaren har flyttat"),
        ("08", "Brukaren har avlidit", "Brukaren har avlidit"),
        ("09", "Insatsen övergår till annan insats", "Insatsen övergår till annan insats"),
        ("10", "Insatsen övergår till annan enhet", "Insatsen övergår till annan enhet"),
        ("11", "Insatsen påbörjades aldrig", "Insatsen påbörjades aldrig"),
        ("99", "Andra orsaker", "Andra orsaker"),
    ],
    "MALUPPF": [
        ("B1", "Positiv förändring och målet uppfyllt", "Positiv förändring och målet uppfyllt"),
        ("B2", "Positiv förändring målet inte uppfyllt", "Positiv förändring målet inte uppfyllt"),
        ("B3", "Ingen förändring", "Ingen förändring"),
        ("B4", "Negativ förändring", "Negativ förändring"),
        ("B5", "Går inte att bedöma", "Går inte att bedöma"),
        ("I1", "Ja (måluppfyllelse uppnådd)", "Ja (måluppfyllelse uppnådd)"),
        ("I2", "Nej (måluppfyllelse ej uppnådd)", "Nej (måluppfyllelse ej uppnådd)"),
        ("I3", "Delvis (måluppfyllelse delvis uppnådd)", "Delvis (måluppfyllelse delvis uppnådd)"),
        ("I4", "Ej specificerad (måluppfyllelse ej specificerad)", "Ej specificerad (måluppfyllelse ej specificerad)"),
        ("I5", "Ej aktuell (måluppfyllelse ej aktuell)", "Ej aktuell (måluppfyllelse ej aktuell)"),
    ],
    "SIP": [
        ("J", "Ja, SIP finns", "Ja, SIP finns"),
        ("NB", "Nej, men det finns behov av SIP", "Nej, men det finns behov av SIP"),
        ("NI", "Nej, det finns inget behov av SIP", "Nej, det finns inget behov av SIP"),
    ],
    # codes with no counterpart in the standard: distractors
    "BESLTYP": [
        ("BI", "Bifall", None),
        ("DB", "Delvis bifall", None),
        ("AV", "Avslag", None),
    ],
    "UTF": [
        ("E01", "Egen regi hemtjänst Norr", None),
        ("E02", "Egen regi hemtjänst Söder", None),
        ("E10", "Egen regi IFO öppenvård", None),
        ("P21", "Privat utförare (LOV) Omsorgshuset AB", None),
        ("P22", "Privat utförare (LOV) Trygga Händer AB", None),
        ("X99", "Extern placering", None),
    ],
}

SIGNS = ["ANNLAR01", "BEJOH02", "KAPER05", "MILIN03", "SYS_BATCH", "ERSVE04", "LOTAN07", "JOKAR09"]
KOMMUNER = ["1480", "1480", "1480", "1480", "1481", "1482", "1484"]
# birthplace as the population register gives it (födelsehemort), by origin; a distractor beside
# FODL_OMR, which the social worker sets
ORTER = {
    "Född i Sverige": ["Göteborg", "Malmö", "Umeå", "Västerås", "Örebro", "Jönköping", "Härnösand", "Skövde"],
    "Född i övriga Europa": ["Helsingfors", "Warszawa", "Beograd", "Sarajevo", "Tallinn", "Kraków", "Åbo"],
    "Född utanför Europa": ["Bagdad", "Mogadishu", "Asmara", "Kabul", "Damaskus", "Santiago de Chile", "Teheran"],
    "Sverige": ["Göteborg", "Malmö"],
}
DELEG = ["3.1.2", "3.2.1", "4.1.5", "5.3.1", "6.1.1", "AU"]


def code_of(kodtyp: str) -> dict[str, str]:
    """standard value -> code, for one code type."""
    return {std: kod for kod, _, std in CODES[kodtyp] if std is not None}


def encode(value: str, kodtyp: str) -> str:
    """A canonical value as the system stores it: its code, or (a value of no code: text
    converted from the previous system, or typed into a free-text field) the text itself."""
    if value == "":
        return ""
    return code_of(kodtyp).get(value, value)


def encode_list(value: str, kodtyp: str) -> str:
    if value == "":
        return ""
    return LIST_SEP.join(encode(v, kodtyp) for v in value.split("|"))


def h(*parts: str) -> int:
    """A stable small integer from strings (never Python's salted hash())."""
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:8], 16)


ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def ymd(value: str) -> str:
    """ISO date -> YYYYMMDD, as the dump writes dates.  A value that is not an ISO date (a date
    typed by hand into the varchar column) loses its hyphens only, as the unload does."""
    if value == "":
        return ""
    m = ISO.match(value)
    if m:
        return "".join(m.groups())
    return value.replace("-", "")


def parse(value: str) -> dt.date | None:
    m = ISO.match(value or "")
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


DUMP_DAY = dt.date(2025, 6, 30)


def stamp(key: str, *dates: str) -> tuple[str, str]:
    """ANDR_DAT / ANDR_SIGN: the last change of the row, a few days to months after its latest
    own date (never after the dump's night), and who made it."""
    known = [d for d in (parse(x) for x in dates) if d]
    base = max(known) if known else dt.date(2020, 6, 1) + dt.timedelta(days=h(key, "base") % 1500)
    day = min(base + dt.timedelta(days=h(key, "andr") % 120), DUMP_DAY)
    return day.strftime("%Y%m%d"), SIGNS[h(key, "sign") % len(SIGNS)]


def num_id(value: str, offset: int) -> str:
    """The system's numeric surrogate key for a canonical key such as A0000165."""
    m = re.fullmatch(r"[A-Z](\d+)", value)
    if not m:
        return value
    return str(offset + int(m.group(1)))


def read(name: str) -> list[dict[str, str]]:
    with open(CANON / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def latin1(text: str) -> str:
    """What the Latin-1 database holds for a text: an en dash (not in ISO-8859-1) is stored
    as a hyphen; every other character of the data is in Latin-1."""
    return text.replace("\u2013", "-")


def write(name: str, header: list[str], rows: list[list[str]]) -> None:
    OUT.mkdir(exist_ok=True)
    lines = [SEP.join(header)] + [SEP.join(r) for r in rows]
    for line in lines:
        assert "\n" not in line and "\r" not in line
    data = EOL.join(lines) + EOL
    (OUT / name).write_bytes(data.encode(ENCODING))  # raises on a character outside Latin-1


def main() -> None:
    persons = read("person")
    akt = read("aktualisering")
    besl = read("beslut")
    ins = read("insats")
    upp = read("uppfoljning")

    # ---------------------------------------------------------------- PERSON
    pers_nr: dict[str, str] = {}
    rows = []
    for i, p in enumerate(persons, start=1):
        pid = str(500000 + i * 7)
        pers_nr.setdefault(p["person_id"], pid)
        reg = dt.date(2019, 1, 1) + dt.timedelta(days=h(p["person_id"], "reg") % 2000)
        d, s = stamp("P" + pid, reg.isoformat())
        rows.append([
            pid,
            p["person_id"],
            encode(p["juridiskt_kon"], "KON"),
            encode(p["ursprung"], "FODLOMR"),
            (lambda c: c[h(p["person_id"], "ort") % len(c)] if c else "")(ORTER.get(p["ursprung"], [])),
            "J" if h(p["person_id"], "skydd") % 41 == 0 else "N",
            KOMMUNER[h(p["person_id"], "kn") % len(KOMMUNER)],
            reg.strftime("%Y%m%d"),
            d,
            s,
        ])
    write("SOC_PERSON.txt",
          ["PERS_ID", "PNR", "KON", "FODL_OMR", "FODHEMORT", "SKYDD_ID", "FOLKB_KN", "REG_DAT", "ANDR_DAT",
           "ANDR_SIGN"],
          rows)

    # ---------------------------------------------------------------- ÄRENDE (aktualisering)
    rows = []
    for a in akt:
        key = a["aktualisering_id"]
        ad = parse(a["datum_aktualisering"])
        reg = (ad + dt.timedelta(days=h(key, "reg") % 4)) if ad else (
            dt.date(2020, 7, 1) + dt.timedelta(days=h(key, "reg") % 1800))
        d, s = stamp(key, a["datum_aktualisering"], reg.isoformat())
        rows.append([
            num_id(key, 1_000_000),
            pers_nr.get(a["person_id"], ""),
            a["person_id"],
            encode(a["malgrupp"], "VERKS"),
            ymd(a["datum_aktualisering"]),
            encode_list(a["aktualiseringstyp"], "AKTTYP"),   # single-valued, but the system allows several
            encode_list(a["aktualiseringsorsak"], "ORSAK"),
            encode(a["tidigare_kontakt"], "TIDKONT"),
            a["alder"],
            reg.strftime("%Y%m%d"),
            SIGNS[h(key, "handl") % len(SIGNS)],
            d,
            s,
        ])
    write("SOC_ARENDE.txt",
          ["ARENDE_ID", "PERS_ID", "PNR", "VERKS", "AKT_DAT", "AKT_TYP", "AKT_ORS", "TIDIG_KONT",
           "ALDER", "REG_DAT", "HANDL_SIGN", "ANDR_DAT", "ANDR_SIGN"],
          rows)

    # ---------------------------------------------------------------- BESLUT
    rows = []
    for b in besl:
        key = b["beslut_id"]
        d, s = stamp(key, b["datum_beslut"])
        rows.append([
            num_id(key, 2_000_000),
            num_id(b["aktualisering_id"], 1_000_000),
            ymd(b["datum_beslut"]),
            ["BI", "BI", "BI", "DB", "AV"][h(key, "typ") % 5],
            encode_list(b["problematik"], "ORSAK"),
            SIGNS[h(key, "besl") % len(SIGNS)],
            DELEG[h(key, "deleg") % len(DELEG)],
            d,
            s,
        ])
    write("SOC_BESLUT.txt",
          ["BESLUT_ID", "ARENDE_ID", "BESL_DAT", "BESL_TYP", "PROBL", "BESL_SIGN", "DELEG_PKT",
           "ANDR_DAT", "ANDR_SIGN"],
          rows)

    # ---------------------------------------------------------------- INSATS
    rows = []
    utf = [k for k, _, _ in CODES["UTF"]]
    for i, n in enumerate(ins, start=1):
        key = n["insats_id"]
        vd = parse(n["datum_verkstallande"])
        plan = ""
        if vd:
            plan = (vd + dt.timedelta(days=[182, 365, 365, 730][h(key, "plan") % 4])).strftime("%Y%m%d")
        d, s = stamp(f"{key}:{i}", n["datum_verkstallande"], n["datum_avslut"])
        rows.append([
            num_id(key, 3_000_000),
            num_id(n["beslut_id"], 2_000_000),
            n["insats_kod"],
            latin1(n["insats"]),
            ymd(n["datum_verkstallande"]),
            plan,
            ymd(n["datum_avslut"]),
            encode_list(n["orsak_avslut"], "AVSLORS"),
            encode(n["maluppfyllelse"], "MALUPPF"),
            utf[h(key, "utf") % len(utf)],
            d,
            s,
        ])
    write("SOC_INSATS.txt",
          ["INSATS_ID", "BESLUT_ID", "KSI_KOD", "INS_BEN", "VERK_DAT", "PLAN_TOM", "AVSL_DAT", "AVSL_ORS",
           "MALUPPF_AVSL", "UTF_KOD", "ANDR_DAT", "ANDR_SIGN"],
          rows)

    # ---------------------------------------------------------------- UPPFÖLJNING
    rows = []
    for u in upp:
        key = u["uppfoljning_id"]
        ud = parse(u["datum_uppfoljning"])
        nxt = (ud + dt.timedelta(days=[90, 180, 180, 365][h(key, "nx") % 4])).strftime("%Y%m%d") if ud else ""
        d, s = stamp(key, u["datum_uppfoljning"])
        rows.append([
            num_id(key, 4_000_000),
            num_id(u["insats_id"], 3_000_000),
            ymd(u["datum_uppfoljning"]),
            encode(u["sip"], "SIP"),
            encode(u["maluppfyllelse"], "MALUPPF"),
            nxt,
            d,
            s,
        ])
    write("SOC_UPPFOLJ.txt",
          ["UPPF_ID", "INSATS_ID", "UPPF_DAT", "SIP_KOD", "MALUPPF", "NASTA_UPPF", "ANDR_DAT", "ANDR_SIGN"],
          rows)

    # ---------------------------------------------------------------- KODTABELL
    rows = []
    for kodtyp, entries in CODES.items():
        for sort, (kod, text, _) in enumerate(entries, start=1):
            rows.append([kodtyp, kod, text, str(sort * 10), "", "20190301", "SYS_KONV"])
    write("SOC_KODTAB.txt", ["KODTYP", "KOD", "BENAMNING", "SORTNR", "GILTIG_TOM", "ANDR_DAT", "ANDR_SIGN"], rows)


if __name__ == "__main__":
    main()
