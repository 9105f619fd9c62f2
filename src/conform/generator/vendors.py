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

Three more shapes measure how well ``conform init-mapping`` drafts a mapping for an export whose headings and local
values it has never seen (none of them is in the profile's headings.yaml or lexicon.yaml); they keep the IDs, so
the findings through a draft can be compared record by record with the generated truth:

``synonyms``
    Five ``;``-separated UTF-8 files with Swedish headings of their own and another Swedish wording of the short
    value sets and of the frequent values of the long ones: abbreviations, plurals, reordered words.
``english``
    Five CSV files with English names and camel-case English headings, standard values, dates with a time.
``coded``
    Five ``;``-separated files with upper-case headings and every value-set field but the insats name written as
    the system's numeric code, and the system's code table (``kodtabell.csv``: column heading, code, text) beside
    them, as many systems export one. The insats is named by its KSI code and the name beside it.

Values the canonical export holds that are not standard (injected defects) are written as they are: only
standard values are renamed, so every defect stays visible through the mapping.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from conform.resources import DEFAULT_PROFILE, profile_dir

SHAPES = ("normalised", "wide", "workbook")          # the bundled vendors of fixtures/vendors
DRAFTING_SHAPES = ("synonyms", "english", "coded")  # generated only, to measure drafts of unknown shapes
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

# Another Swedish wording (standard value -> the system's word). Rare values (under 2 % of their column) keep the
# standard's words: a draft cannot tell a rare unknown word from a data error, and does not guess (see
# conform.input.mapping.crosswalks.RARE); such a word would be an edit for the reviewer, which this shape does not
# measure.
SYNONYMS_LOCAL = {
    "juridiskt_kon": {"Flicka/Kvinna": "Flickor och kvinnor", "Pojke/Man": "Pojkar och män"},
    "ursprung": {"Född i Sverige": "Sverigefödd", "Född i övriga Europa": "Övr. Europa",
                 "Född utanför Europa": "Utanf. Europa"},
    "malgrupp": {"BoU": "Barn- och ungdomsvård", "Vux": "Vuxna, missbruk och beroende",
                 "Äldre": "Vård och omsorg, äldre", "Funk": "Stöd till personer med funktionsnedsättning",
                 "EkB": "Ekonomiskt stöd"},
    "aktualiseringstyp": {"Anmälan": "Anmälan/orosanmälan", "Information på annat sätt": "Annan information"},
    "tidigare_kontakt": {"Ja, för mindre än 2 år sedan": "Ja, mindre än 2 år", "Ja, för mer än 2 år sedan":
                         "Ja, mer än 2 år"},
    "orsak": {"Utsatt för våld/övergrepp": "Utsatt för våld el. övergrepp",
              "Utövar våld/övergrepp": "Utövar våld el. övergrepp",
              "Eget skadligt bruk eller beroende": "Eget missbruk el. beroende",
              "Annans skadligt bruk eller beroende": "Annans missbruk el. beroende",
              "Egen psykisk ohälsa": "Psykisk ohälsa, egen", "Annans psykisk ohälsa": "Psykisk ohälsa hos annan",
              "Annat/Övrigt": "Övrigt", "Boendeproblematik": "Boendesituation"},
    "sip": {"Nej, men det finns behov av SIP": "Nej, men behov av SIP finns",
            "Nej, det finns inget behov av SIP": "Nej, inget behov av SIP"},
    "maluppfyllelse": {"Går inte att bedöma": "Kan inte bedömas"},
    "orsak_avslut": {"Brukaren har flyttat": "Brukare flyttat", "Brukaren har avlidit": "Brukare avliden",
                     "Andra orsaker": "Övriga orsaker"},
}
SYNONYMS_NAMES = {
    "person": ("klient.csv", {"person_id": "Klientens personnummer", "juridiskt_kon": "Könstillhörighet",
                              "ursprung": "Födelseområde"}),
    "aktualisering": ("aktualiseringar.csv", {
        "aktualisering_id": "Aktualiseringsnr", "person_id": "Klientens personnummer", "malgrupp": "Verksamhetsgren",
        "datum_aktualisering": "Aktualiserad", "aktualiseringstyp": "Aktualiseringssätt",
        "aktualiseringsorsak": "Skäl till aktualisering", "tidigare_kontakt": "Tidigare aktuell",
        "alder": "Ålder vid ärendestart"}),
    "beslut": ("beslut.csv", {"beslut_id": "Beslutsnr", "aktualisering_id": "Aktualiseringsnr",
                              "datum_beslut": "Beslutad", "problematik": "Problemområden"}),
    "insats": ("insatser.csv", {
        "insats_id": "Insatsnr", "beslut_id": "Beslutsnr", "insats_kod": "KSI-nummer", "insats": "Insatsbenämning",
        "datum_verkstallande": "Verkställd från", "datum_avslut": "Avslutad den", "orsak_avslut": "Skäl till avslut",
        "maluppfyllelse": "Måluppfyllelse bedömd"}),
    "uppfoljning": ("uppfoljningar.csv", {"uppfoljning_id": "Uppföljningsnr", "insats_id": "Insatsnr",
                                          "datum_uppfoljning": "Uppföljd", "sip": "Samordnad plan",
                                          "maluppfyllelse": "Måluppfyllelse bedömd"}),
}
ENGLISH_NAMES = {
    "person": ("clients.csv", {"person_id": "CivicRegNo", "juridiskt_kon": "LegalGender", "ursprung": "BirthRegion"}),
    "aktualisering": ("referrals.csv", {
        "aktualisering_id": "ReferralNo", "person_id": "CivicRegNo", "malgrupp": "ServiceArea",
        "datum_aktualisering": "ReferralReceived", "aktualiseringstyp": "ReferralKind",
        "aktualiseringsorsak": "ReferralCauses", "tidigare_kontakt": "KnownBefore", "alder": "AgeAtReferral"}),
    "beslut": ("decisions.csv", {"beslut_id": "DecisionNo", "aktualisering_id": "ReferralNo",
                                 "datum_beslut": "DecidedOn", "problematik": "ProblemAreas"}),
    "insats": ("services.csv", {
        "insats_id": "ServiceNo", "beslut_id": "DecisionNo", "insats_kod": "KSICode", "insats": "ServiceName",
        "datum_verkstallande": "ServiceStart", "datum_avslut": "ServiceEnd", "orsak_avslut": "EndReason",
        "maluppfyllelse": "GoalOutcome"}),
    "uppfoljning": ("followups.csv", {"uppfoljning_id": "FollowUpNo", "insats_id": "ServiceNo",
                                      "datum_uppfoljning": "FollowedUpOn", "sip": "CoordinatedPlan",
                                      "maluppfyllelse": "GoalOutcome"}),
}
CODED_NAMES = {
    "person": ("person.csv", {"person_id": "PNR_KLIENT", "juridiskt_kon": "KON_KOD", "ursprung": "URSPR_KOD"}),
    "aktualisering": ("aktualisering.csv", {
        "aktualisering_id": "AKT_NR", "person_id": "PNR_KLIENT", "malgrupp": "VERKSAMHET_KOD",
        "datum_aktualisering": "AKT_DATUM", "aktualiseringstyp": "AKT_TYP_KOD", "aktualiseringsorsak": "AKT_ORSAK_KOD",
        "tidigare_kontakt": "TIDIGARE_KONTAKT_KOD", "alder": "ALDER_AR"}),
    "beslut": ("beslut.csv", {"beslut_id": "BESLUT_NR", "aktualisering_id": "AKT_NR", "datum_beslut": "BESLUT_DATUM",
                              "problematik": "PROBLEMATIK_KOD"}),
    "insats": ("insats.csv", {
        "insats_id": "INSATS_NR", "beslut_id": "BESLUT_NR", "insats_kod": "INSATS_KSI", "insats": "INSATS_TEXT",
        "datum_verkstallande": "VERKST_DATUM", "datum_avslut": "AVSLUT_DATUM", "orsak_avslut": "AVSLUT_ORSAK_KOD",
        "maluppfyllelse": "MALUPPF_KOD"}),
    "uppfoljning": ("uppfoljning.csv", {"uppfoljning_id": "UPPF_NR", "insats_id": "INSATS_NR",
                                        "datum_uppfoljning": "UPPF_DATUM", "sip": "SIP_KOD",
                                        "maluppfyllelse": "MALUPPF_KOD"}),
}
CODE_TABLE = "kodtabell.csv"
CODED_DELIMITER = ","
# The value set each coded field's codes number (its values in the profile's order, from 1); the target groups
# are numbered 10, 20, ... as many systems number their verksamheter.
CODED_SETS = {"juridiskt_kon": "juridiskt_kon", "ursprung": "ursprung", "malgrupp": "malgrupp",
              "aktualiseringstyp": "aktualiseringstyp", "aktualiseringsorsak": "aktualiseringsorsak_problematik",
              "tidigare_kontakt": "tidigare_kontakt", "problematik": "aktualiseringsorsak_problematik",
              "orsak_avslut": "orsak_avslut", "maluppfyllelse": "maluppfyllelse",
              "sip": "sip"}


def read_canonical(folder: Path) -> dict[str, pl.DataFrame]:
    return {t: pl.read_csv(folder / f"{t}.csv", infer_schema=False) for t in TABLES}


def write_shape(tables: dict[str, pl.DataFrame], shape: str, outdir: Path, list_delimiter: str = "|") -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    return {"normalised": _normalised, "wide": _wide, "workbook": _workbook, "synonyms": _synonyms,
            "english": _english, "coded": _coded}[shape](tables, outdir, list_delimiter)


def _relist(column: str, old: str, new: str, local: dict[str, str] | None = None) -> pl.Expr:
    items = pl.col(column).str.split(old)
    if local:
        items = items.list.eval(pl.element().replace(list(local), list(local.values())))
    return items.list.join(new)


def _local(column: str, local: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace(list(local), list(local.values()))


def _normalised(tables, outdir: Path, delimiter: str) -> list[Path]:
    def rewrite(table: str, frame: pl.DataFrame) -> pl.DataFrame:
        if table == "aktualisering":
            frame = frame.with_columns(_local("malgrupp", GROUP_CODES))
        return frame.with_columns(_relist(c, delimiter, ";") for c in LIST_FIELDS if c in frame.columns)

    return _files(tables, outdir, NORMALISED_NAMES, rewrite)


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


def _files(tables, outdir: Path, names: dict, rewrite, separator: str = ",") -> list[Path]:
    """One file per table under `names` (table -> (file, field -> heading)), each frame first passed through
    `rewrite(table, frame)`."""
    paths = []
    for table, (file, headings) in names.items():
        path = outdir / file
        rewrite(table, tables[table]).rename(headings).write_csv(path, separator=separator, line_terminator="\n",
                                                                null_value="")
        paths.append(path)
    return paths


def local_words(field: str) -> dict[str, str]:
    """The synonyms shape's words for a field's standard values (aktualiseringsorsak and problematik share one
    value set, and so one wording)."""
    return SYNONYMS_LOCAL.get("orsak" if field in ("aktualiseringsorsak", "problematik") else field, {})


def _synonyms(tables, outdir: Path, delimiter: str) -> list[Path]:
    def rewrite(table: str, frame: pl.DataFrame) -> pl.DataFrame:
        changes = []
        for column in frame.columns:
            if column in LIST_FIELDS:
                changes.append(_relist(column, delimiter, "; ", local_words(column)))
            elif local_words(column):
                changes.append(_local(column, local_words(column)))
        return frame.with_columns(changes)

    return _files(tables, outdir, SYNONYMS_NAMES, rewrite, separator=";")


def _english(tables, outdir: Path, delimiter: str) -> list[Path]:
    def rewrite(table: str, frame: pl.DataFrame) -> pl.DataFrame:
        c = pl.col
        stamped = [pl.when(c(d).str.contains(ISO_DATE) & c(d).str.to_date("%Y-%m-%d", strict=False).is_not_null())
                   .then(c(d) + " 00:00:00").otherwise(c(d)).alias(d) for d in DATE_FIELDS if d in frame.columns]
        return frame.with_columns(stamped)

    return _files(tables, outdir, ENGLISH_NAMES, rewrite)


def _value_set(name: str) -> pl.DataFrame:
    return pl.read_csv(profile_dir(DEFAULT_PROFILE) / "valuesets" / f"{name}.csv", infer_schema=False)


def code_tables() -> dict[str, dict[str, str]]:
    """Per coded field, standard value -> the system's code."""
    codes = {}
    for field, value_set in CODED_SETS.items():
        frame = _value_set(value_set)
        column = "kod" if value_set == "malgrupp" else "value"
        values = [v for v in frame[column].to_list() if v]
        step = 10 if value_set == "malgrupp" else 1
        codes[field] = {v: str(step * (n + 1)) for n, v in enumerate(values)}
    return codes


def _coded(tables, outdir: Path, delimiter: str) -> list[Path]:
    codes = code_tables()

    def rewrite(table: str, frame: pl.DataFrame) -> pl.DataFrame:
        changes = []
        for column in frame.columns:
            if column in LIST_FIELDS:
                changes.append(_relist(column, delimiter, CODED_DELIMITER, codes[column]))
            elif column in codes:
                changes.append(_local(column, codes[column]))
        return frame.with_columns(changes)

    paths = _files(tables, outdir, CODED_NAMES, rewrite, separator=";")
    names = dict(_value_set("malgrupp").select("kod", "namn").iter_rows())
    rows = {}
    for table, (_, headings) in CODED_NAMES.items():
        for field, heading in headings.items():
            for value, code in codes.get(field, {}).items():
                rows[(heading, code)] = names.get(value, value)   # a target group under its name
    table = pl.DataFrame([{"Falt": h, "Kod": c, "Text": t} for (h, c), t in rows.items()])
    path = outdir / CODE_TABLE
    table.write_csv(path, separator=";", line_terminator="\n")
    return [*paths, path]
