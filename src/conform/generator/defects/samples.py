"""Values no export should hold: strings outside every value set, and dates written wrongly."""

from __future__ import annotations

import numpy as np

from conform.generator import dates as D

# Strings an export might hold that are in no value set. Ctx checks at run time that the profile has not since
# made one of them valid, which would make an injected defect cause no finding.
INVALID = {
    "juridiskt_kon": ["Kvinna", "Man", "K"],
    "ursprung": ["Sverige", "Utlandet", "Okänt"],
    "malgrupp": ["Barn", "Missbruk", "LSS"],
    "aktualiseringstyp": ["Orosanmälan", "Egen ansökan", "Remiss"],
    "orsak": ["Hemlöshet", "Missbruk", "Arbetslöshet"],
    "tidigare_kontakt": ["Ja", "Okänt", "Nej, aldrig"],
    "insats_kod": ["YAX.99.ZZ", "YAC.99.ZZ", "YAA.05"],
    "insats": ["Hemtjänst dag", "Boende", "Övrig insats"],
    "sip": ["Ja", "SIP finns", "Nej, ingen SIP"],
    "maluppfyllelse": ["Delvis", "Bra", "Målet uppfyllt"],
    "orsak_avslut": ["Flyttat", "Avliden", "Klar"],
    "alder": ["abc", "-3", "12.5"],
    "pid_letters": ["ABCD", "TEST", "NNNN"],
}


def bad_date(days: int, variant: int) -> str:
    """A date written in a way that is not ISO 8601, or that is no real date."""
    y, m, d = (int(v[0]) for v in D.ymd(np.array([days])))
    variant %= 4
    if variant == 1 and (m < 10 or d < 10):
        return f"{y}-{m}-{d}"
    if variant == 0:
        return f"{y}/{m:02d}/{d:02d}"
    if variant == 3:
        last = int(D.from_ymd(np.array([y]), np.array([m + 1]), np.array([1]))[0]
                   - D.from_ymd(np.array([y]), np.array([m]), np.array([1]))[0])
        return f"{y}-{m:02d}-{last + 1:02d}"
    return f"{y}{m:02d}{d:02d}"
