"""The same synthetic population in the shapes real vendors send, for mapping tests and the benchmark.

Each shape is made from the canonical tables by a deterministic rewrite, so a check through the shape's mapping
can be compared with a check of the canonical export:

``normalised``
    Five UTF-8 CSV files under the vendor's own file and column names, target groups as codes (``BOU`` ...),
    multi-valued cells joined by ``;``.
``wide``
    One ``;``-separated Windows-1252 file with CRLF line ends, Swedish headings, one row per insats and
    uppföljning (person, aktualisering and beslut repeated on every row), no IDs but the personnummer, local
    value names, dates as ``dd/mm/yyyy``, multi-valued cells joined by ``, ``. The system records neither
    Tidigare kontakt nor Ålder.
``workbook``
    One Excel workbook, a sheet per table with Swedish headings, person-IDs stored as numbers, dates stored as
    Excel dates, the values of multi-valued fields spread over numbered columns.

Values the canonical export holds that are not standard (injected defects) are written as they are: only
standard values are renamed, so every defect stays visible through the mapping.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

SHAPES = ("normalised", "wide", "workbook")
TABLES = ("person", "aktualisering", "beslut", "insats", "uppfoljning")
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"

# The local vocabulary of the example vendors: standard value -> the vendor's own word.
GROUP_CODES = {"BoU": "BOU", "Vux": "VUX", "Äldre": "ALDRE", "Funk": "FUNK", "EkB": "EKB"}
WIDE_LOCAL = {
    "juridiskt_kon": {"Flicka/Kvinna": "Kvinnlig", "Pojke/Man": "Manlig"},
    "ursprung": {"Född i Sverige": "Inrikes född", "Född i övriga Europa": "Utrikes född, Europa",
                 "Född utanför Europa": "Utrikes född, utanför Europa", "Vet inte": "Uppgift saknas"},
    "malgrupp": {"BoU": "Barn och unga", "Vux": "Vuxna", "Äldre": "Äldreomsorg", "Funk": "Funktionshindersområdet",
                 "EkB": "Ekonomiskt bistånd"},
    "aktualiseringstyp": {"Information på annat sätt": "Övrig aktualisering"},
    "orsak": {"Boendeproblematik": "Bostadsproblem"},
    "sip": {"Ja, SIP finns": "SIP upprättad", "Nej, men det finns behov av SIP": "Behov av SIP",
            "Nej, det finns inget behov av SIP": "Ej behov av SIP"},
}
NORMALISED_NAMES = {
    "person": ("klienter.csv", {"person_id": "PersonNr", "juridiskt_kon": "Kon", "ursprung": "Ursprung"}),
    "aktualisering": ("arenden.csv", {
        "aktualisering_id": "ArendeID", "person_id": "PersonNr", "malgrupp": "Verksamhet",
        "datum_aktualisering": "AktDatum", "aktualiseringstyp": "AktTyp", "aktualiseringsorsak": "AktOrsak",
        "tidigare_kontakt": "TidigareKontakt", "alder": "AlderVidAkt"}),
    "beslut": ("beslut.csv", {"beslut_id": "BeslutID", "aktualisering_id": "ArendeID",
                              "datum_beslut": "BeslutDatum", "problematik": "Problematik"}),
    "insats": ("insatser.csv", {
        "insats_id": "InsatsID", "beslut_id": "BeslutID", "insats_kod": "KSI", "insats": "InsatsNamn",
        "datum_verkstallande": "StartDatum", "datum_avslut": "SlutDatum", "orsak_avslut": "AvslutOrsak",
        "maluppfyllelse": "Maluppfyllelse"}),
    "uppfoljning": ("uppfoljningar.csv", {"uppfoljning_id": "UppfID", "insats_id": "InsatsID",
                                          "datum_uppfoljning": "UppfDatum", "sip": "SIP",
                                          "maluppfyllelse": "Maluppfyllelse"}),
}
WIDE_FILE = "socialtjanst_export.csv"
WIDE_HEADINGS = {
    "person_id": "Personnummer", "juridiskt_kon": "Kön", "ursprung": "Födelseregion",
    "malgrupp": "Verksamhet", "datum_aktualisering": "Datum för aktualisering",
    "aktualiseringstyp": "Typ av aktualisering", "aktualiseringsorsak": "Aktualiseringsorsak",
    "datum_beslut": "Datum för beslut", "problematik": "Problematik", "insats_kod": "KSI-kod", "insats": "Insats",
    "datum_verkstallande": "Datum för verkställighet", "datum_avslut": "Datum för avslut",
    "orsak_avslut": "Orsak till avslut", "insats.maluppfyllelse": "Måluppfyllelse insats",
    "datum_uppfoljning": "Datum för uppföljning", "sip": "SIP",
    "uppfoljning.maluppfyllelse": "Måluppfyllelse uppföljning",
}
WORKBOOK_FILE = "verksamhetssystem.xlsx"
WORKBOOK_SHEETS = {
    "person": ("Personer", {"person_id": "Personnummer", "juridiskt_kon": "Juridiskt kön", "ursprung": "Ursprung"}),
    "aktualisering": ("Aktualiseringar", {
        "aktualisering_id": "Aktualiserings-ID", "person_id": "Personnummer", "malgrupp": "Målgrupp",
        "datum_aktualisering": "Aktualiseringsdatum", "aktualiseringstyp": "Aktualiseringstyp",
        "aktualiseringsorsak": "Orsak", "tidigare_kontakt": "Tidigare kontakt", "alder": "Ålder"}),
    "beslut": ("Beslut", {"beslut_id": "Besluts-ID", "aktualisering_id": "Aktualiserings-ID",
                          "datum_beslut": "Beslutsdatum", "problematik": "Problematik"}),
    "insats": ("Insatser", {
        "insats_id": "Insats-ID", "beslut_id": "Besluts-ID", "insats_kod": "KSI-kod", "insats": "Insats",
        "datum_verkstallande": "Verkställd", "datum_avslut": "Avslutad", "orsak_avslut": "Avslutsorsak",
        "maluppfyllelse": "Måluppfyllelse"}),
    "uppfoljning": ("Uppföljningar", {"uppfoljning_id": "Uppföljnings-ID", "insats_id": "Insats-ID",
                                      "datum_uppfoljning": "Uppföljningsdatum", "sip": "SIP",
                                      "maluppfyllelse": "Måluppfyllelse"}),
}
LIST_FIELDS = ("aktualiseringsorsak", "problematik", "orsak_avslut")
DATE_FIELDS = ("datum_aktualisering", "datum_beslut", "datum_verkstallande", "datum_avslut", "datum_uppfoljning")
WORKBOOK_CREATED = dt.datetime(2025, 6, 30)


def read_canonical(folder: Path) -> dict[str, pl.DataFrame]:
    return {t: pl.read_csv(folder / f"{t}.csv", infer_schema=False) for t in TABLES}


def write_shape(tables: dict[str, pl.DataFrame], shape: str, outdir: Path, list_delimiter: str = "|") -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    return {"normalised": _normalised, "wide": _wide, "workbook": _workbook}[shape](tables, outdir, list_delimiter)


def _relist(column: str, old: str, new: str, local: dict[str, str] | None = None) -> pl.Expr:
    items = pl.col(column).str.split(old)
    if local:
        items = items.list.eval(pl.element().replace(list(local), list(local.values())))
    return items.list.join(new)


def _local(column: str, local: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace(list(local), list(local.values()))


def _normalised(tables, outdir: Path, delimiter: str) -> list[Path]:
    paths = []
    for table, (file, names) in NORMALISED_NAMES.items():
        frame = tables[table]
        if table == "aktualisering":
            frame = frame.with_columns(_local("malgrupp", GROUP_CODES),
                                       _relist("aktualiseringsorsak", delimiter, ";"))
        for column in LIST_FIELDS:
            if column in frame.columns and column != "aktualiseringsorsak":
                frame = frame.with_columns(_relist(column, delimiter, ";"))
        path = outdir / file
        frame.rename(names).write_csv(path, line_terminator="\n", null_value="")
        paths.append(path)
    return paths


def _swedish_date(column: str) -> pl.Expr:
    """dd/mm/yyyy for ISO dates; anything else (a broken date in the data) as written."""
    c = pl.col(column)
    parsed = c.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(c.str.contains(ISO_DATE) & parsed.is_not_null()).then(parsed.dt.strftime("%d/%m/%Y")).otherwise(c)


def _wide(tables, outdir: Path, delimiter: str) -> list[Path]:
    p, a, b, i, u = (tables[t] for t in TABLES)
    a = a.drop("tidigare_kontakt", "alder").with_columns(
        _local("malgrupp", WIDE_LOCAL["malgrupp"]), _local("aktualiseringstyp", WIDE_LOCAL["aktualiseringstyp"]),
        _relist("aktualiseringsorsak", delimiter, ", ", WIDE_LOCAL["orsak"]))
    b = b.with_columns(_relist("problematik", delimiter, ", ", WIDE_LOCAL["orsak"]))
    i = i.with_columns(_relist("orsak_avslut", delimiter, ", ")).rename({"maluppfyllelse": "insats.maluppfyllelse"})
    u = u.with_columns(_local("sip", WIDE_LOCAL["sip"])).rename({"maluppfyllelse": "uppfoljning.maluppfyllelse"})
    p = p.with_columns(_local("juridiskt_kon", WIDE_LOCAL["juridiskt_kon"]), _local("ursprung", WIDE_LOCAL["ursprung"]))
    wide = (p.with_row_index("__p")
            .join(a.with_row_index("__a"), on="person_id", how="left")
            .join(b.with_row_index("__b"), on="aktualisering_id", how="left")
            .join(i.with_row_index("__i"), on="beslut_id", how="left")
            .join(u.with_row_index("__u"), on="insats_id", how="left")
            .sort("__p", "__a", "__b", "__i", "__u", nulls_last=True))
    wide = wide.with_columns(_swedish_date(c) for c in DATE_FIELDS).select(list(WIDE_HEADINGS)).rename(WIDE_HEADINGS)
    path = outdir / WIDE_FILE
    text = wide.write_csv(separator=";", line_terminator="\r\n", null_value="")
    path.write_bytes(text.encode("cp1252"))
    return [path]


def _spread(frame: pl.DataFrame, column: str, delimiter: str) -> pl.DataFrame:
    """One column per value of a multi-valued field: "Heading 1", "Heading 2", ..."""
    items = frame[column].str.split(delimiter)
    width = max(1, int(items.list.len().max() or 1))
    spread = {f"{column} {n + 1}": items.list.get(n, null_on_oob=True) for n in range(width)}
    return frame.drop(column).with_columns(**spread)


def _workbook(tables, outdir: Path, delimiter: str) -> list[Path]:
    import xlsxwriter

    path = outdir / WORKBOOK_FILE
    workbook = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    workbook.set_properties({"created": WORKBOOK_CREATED, "author": "conform", "title": "Exempelleverantör C"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for table, (sheet_name, names) in WORKBOOK_SHEETS.items():
        frame = tables[table].rename(names)
        for column in LIST_FIELDS:
            if names.get(column) in frame.columns:
                frame = _spread(frame, names[column], delimiter)
        sheet = workbook.add_worksheet(sheet_name)
        sheet.write_row(0, 0, frame.columns)
        dates = {names[c] for c in DATE_FIELDS if c in names}
        # Cell by cell, because a spreadsheet column mixes types (a person-ID stored as a number beside one kept
        # as text) and xlsxwriter writes cells; this makes fixtures, it checks nothing.
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, (name, value) in enumerate(zip(frame.columns, row)):
                if value is None:
                    continue
                if name == "Personnummer" and value.isdigit():
                    sheet.write_number(r, c, int(value))  # what a spreadsheet does to an ID typed in
                elif name in dates and _iso(value):
                    sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_format)
                else:
                    sheet.write_string(r, c, value)
    workbook.close()
    return [path]


def _iso(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
