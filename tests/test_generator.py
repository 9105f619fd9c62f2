"""The synthetic export generator: contract, realism of clean data, and the defects it plants."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from conform.generator import EXPECTED_FILE, TABLES, generate
from conform.generator.defects import INJECTORS
from conform.resources import DEFAULT_PROFILE, PROFILES_DIR

AS_OF = date(2025, 6, 30)
VALUESETS = PROFILES_DIR / DEFAULT_PROFILE / "valuesets"
HEADERS = {
    "person": ["person_id", "juridiskt_kon", "ursprung"],
    "aktualisering": ["aktualisering_id", "person_id", "malgrupp", "datum_aktualisering", "aktualiseringstyp",
                      "aktualiseringsorsak", "tidigare_kontakt", "alder"],
    "beslut": ["beslut_id", "aktualisering_id", "datum_beslut", "problematik"],
    "insats": ["insats_id", "beslut_id", "insats_kod", "insats", "datum_verkstallande", "datum_avslut",
               "orsak_avslut", "maluppfyllelse"],
    "uppfoljning": ["uppfoljning_id", "insats_id", "datum_uppfoljning", "sip", "maluppfyllelse"],
}
PK = {t: h[0] for t, h in HEADERS.items()}


def read(folder: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{table}.csv", infer_schema=False)


def valueset(name: str) -> pl.DataFrame:
    return pl.read_csv(VALUESETS / f"{name}.csv", infer_schema=False)


def items(series: pl.Series) -> set[str]:
    return {v for s in series.drop_nulls().to_list() for v in s.split("|")}


def birth_date(pid: str) -> date | None:
    y, m, d = int(pid[:4]), int(pid[4:6]), int(pid[6:8])
    if d >= 60:
        d -= 60
    if m == 0 or d == 0:
        return None
    return date(y, m, d)


def age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, persons=300, seed=7, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def clean_tables(clean) -> dict[str, pl.DataFrame]:
    return {t: read(clean, t) for t in TABLES}


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    out = tmp_path_factory.mktemp("defects")
    summary = generate(out, persons=300, defects=0.05, seed=3, as_of=AS_OF)
    return out, summary


# --- contract -------------------------------------------------------------------------------------------------------
def test_files_headers_and_package(clean):
    for table, header in HEADERS.items():
        raw = (clean / f"{table}.csv").read_bytes()
        assert b"\r" not in raw
        raw.decode("utf-8")
        with open(clean / f"{table}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == header
        assert all(len(r) == len(header) for r in rows)
        assert len(rows) > 1
    package = json.loads((clean / "datapackage.json").read_text(encoding="utf-8"))
    assert package["created"] == "2025-06-30T00:00:00Z"
    assert package["resources"] == [{"name": t, "path": f"{t}.csv"} for t in TABLES]
    assert package["name"]
    assert not (clean / EXPECTED_FILE).exists()


def test_quoting_only_when_needed(clean):
    text = (clean / "insats.csv").read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            if "," not in cell and '"' not in cell:
                assert f'"{cell}"' not in line or cell == ""


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, persons=150, defects=0.03, seed=11)
    generate(b, persons=150, defects=0.03, seed=11)
    generate(c, persons=150, defects=0.03, seed=12)
    names = [f"{t}.csv" for t in TABLES] + ["datapackage.json", EXPECTED_FILE]
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert any((a / n).read_bytes() != (c / n).read_bytes() for n in names)


def test_summary(tmp_path):
    s = generate(tmp_path, persons=120, seed=2)
    for table in TABLES:
        assert s.counts[table] == read(tmp_path, table).height
    assert s.counts["person"] == 120
    assert {p.name for p in s.paths} == {f"{t}.csv" for t in TABLES} | {"datapackage.json"}
    assert s.defects == {} and s.expected == {}
    assert s.synthesised_ids == 0  # 120 persons fit in Skatteverket's test lists


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, persons=0)
    with pytest.raises(ValueError):
        generate(tmp_path, persons=10, defects=1.5)


# --- realism of clean data ----------------------------------------------------------------------------------------------
def test_keys_unique_and_references_resolve(clean_tables):
    t = clean_tables
    for table, key in PK.items():
        assert t[table][key].null_count() == 0
        assert t[table][key].n_unique() == t[table].height
    for child, fk, parent in (("aktualisering", "person_id", "person"), ("beslut", "aktualisering_id", "aktualisering"),
                              ("insats", "beslut_id", "beslut"), ("uppfoljning", "insats_id", "insats")):
        assert t[child][fk].null_count() == 0
        assert t[child][fk].is_in(t[parent][PK[parent]].implode()).all()
    # every person has an aktualisering, and at most one beslut per aktualisering
    assert t["person"]["person_id"].is_in(t["aktualisering"]["person_id"].implode()).all()
    assert t["beslut"]["aktualisering_id"].n_unique() == t["beslut"].height


def test_person_ids_are_test_numbers_with_matching_sex(clean_tables):
    from conform.resources import TESTPERSONNUMMER_DIR

    listed = set(pl.read_csv(TESTPERSONNUMMER_DIR / "personnummer.csv", infer_schema=False)["person_id"])
    samordning = set(pl.read_csv(TESTPERSONNUMMER_DIR / "samordningsnummer.csv", infer_schema=False)["person_id"])
    person = clean_tables["person"]
    ids = person["person_id"].to_list()
    assert set(ids) <= listed | samordning
    share = sum(i in samordning for i in ids) / len(ids)
    assert 0.02 <= share <= 0.08
    parity = dict(valueset("juridiskt_kon").select("value", "sex_digit_parity").iter_rows())
    for pid, kon in person.select("person_id", "juridiskt_kon").iter_rows():
        assert parity[kon] == ("odd" if int(pid[10]) % 2 else "even")


def test_values_come_from_the_value_sets(clean_tables):
    t = clean_tables
    orsak = valueset("aktualiseringsorsak_problematik")
    mal = valueset("maluppfyllelse")
    groups = valueset("malgrupp")
    assert set(t["person"]["juridiskt_kon"]) <= set(valueset("juridiskt_kon")["value"])
    assert set(t["person"]["ursprung"].drop_nulls()) <= set(valueset("ursprung")["value"])
    assert 0 < t["person"]["ursprung"].null_count() < t["person"].height * 0.3
    akt = t["aktualisering"]
    assert set(akt["malgrupp"]) == set(groups["kod"])
    assert set(akt["aktualiseringstyp"]) <= set(valueset("aktualiseringstyp")["value"])
    assert set(akt["tidigare_kontakt"].drop_nulls()) <= set(valueset("tidigare_kontakt")["value"])
    assert set(t["uppfoljning"]["sip"].drop_nulls()) <= set(valueset("sip")["value"])
    assert items(t["insats"]["orsak_avslut"]) <= set(valueset("orsak_avslut")["value"])
    assert set(t["insats"]["maluppfyllelse"].drop_nulls()) | set(t["uppfoljning"]["maluppfyllelse"]) \
        <= set(mal["value"])
    # aktualiseringsorsak / problematik: 1-3 distinct values, all marked X for the case's target group
    beslut = t["beslut"].join(akt.select("aktualisering_id", "malgrupp"), on="aktualisering_id")
    for frame, column in ((akt, "aktualiseringsorsak"), (beslut, "problematik")):
        for group, value in frame.select("malgrupp", column).iter_rows():
            values = value.split("|")
            assert 1 <= len(values) <= 3 and len(set(values)) == len(values)
            marked = set(orsak.filter(pl.col(group) == "X")["value"])
            assert set(values) <= marked


def test_insatser_fit_the_target_group(clean_tables):
    t = clean_tables
    insats_vs = valueset("insats")
    andra = valueset("ksi_andra_koder")
    groups = valueset("malgrupp")
    scale = dict(valueset("maluppfyllelse").select("value", "scale").iter_rows())
    areas = {k: set(v.split("|")) for k, v in groups.select("kod", "ksi_omraden").iter_rows()}
    group_scale = dict(groups.select("kod", "maluppfyllelse_skala").iter_rows())
    code_name = {k: n for n, k in insats_vs.select("insats", "kod").iter_rows() if k}
    code_name |= {k: n for k, n in andra.select("kod", "insats").iter_rows() if n}
    name_area = dict(insats_vs.select("insats", "omrade").iter_rows())
    name_typ = dict(insats_vs.select("insats", "typ").iter_rows())
    ins = (t["insats"].join(t["beslut"].select("beslut_id", "aktualisering_id"), on="beslut_id")
           .join(t["aktualisering"].select("aktualisering_id", "malgrupp"), on="aktualisering_id"))
    shapes = {"both": 0, "code": 0, "name": 0}
    for code, name, group, mal in ins.select("insats_kod", "insats", "malgrupp", "maluppfyllelse").iter_rows():
        assert code or name
        resolved = name or code_name[code]
        if code and name:
            assert code_name[code] == name
        assert name_typ[resolved] != "overkategori"
        assert name_area[resolved] in areas[group]
        if mal:
            assert scale[mal] == group_scale[group]
        shapes["both" if code and name else "code" if code else "name"] += 1
    assert shapes["both"] > shapes["code"] > 0 and shapes["name"] > 0
    upp = (t["uppfoljning"].join(ins.select("insats_id", "malgrupp"), on="insats_id"))
    for mal, group in upp.select("maluppfyllelse", "malgrupp").iter_rows():
        assert scale[mal] == group_scale[group]


def test_dates_are_ordered_and_in_the_window(clean_tables):
    t = clean_tables
    d = {c: pl.col(c).str.to_date("%Y-%m-%d") for c in
         ("datum_aktualisering", "datum_beslut", "datum_verkstallande", "datum_avslut", "datum_uppfoljning")}
    akt = t["aktualisering"].with_columns(d["datum_aktualisering"])
    beslut = t["beslut"].with_columns(d["datum_beslut"]).join(akt, on="aktualisering_id")
    ins = t["insats"].with_columns(d["datum_verkstallande"], d["datum_avslut"]).join(beslut, on="beslut_id")
    upp = t["uppfoljning"].with_columns(d["datum_uppfoljning"]).join(ins, on="insats_id")
    start = date(2020, 7, 1)
    for frame, column in ((akt, "datum_aktualisering"), (beslut, "datum_beslut"), (ins, "datum_verkstallande"),
                          (ins, "datum_avslut"), (upp, "datum_uppfoljning")):
        values = frame[column].drop_nulls()
        assert values.min() >= start and values.max() <= AS_OF
    assert (beslut["datum_beslut"] >= beslut["datum_aktualisering"]).all()
    assert ((beslut["datum_beslut"] - beslut["datum_aktualisering"]).dt.total_days() <= 90).all()
    executed = ins.filter(pl.col("datum_verkstallande").is_not_null())
    gap = (executed["datum_verkstallande"] - executed["datum_beslut"]).dt.total_days()
    assert ((gap >= 0) & (gap <= 60)).all()
    closed = ins.filter(pl.col("datum_avslut").is_not_null())
    assert (closed["datum_avslut"] >= closed["datum_beslut"]).all()
    assert closed.filter(pl.col("datum_verkstallande").is_not_null()).select(
        (pl.col("datum_avslut") >= pl.col("datum_verkstallande")).all()).item()
    assert (upp["datum_uppfoljning"] >= upp["datum_verkstallande"]).all()
    assert upp.filter(pl.col("datum_avslut").is_not_null()).select(
        (pl.col("datum_uppfoljning") <= pl.col("datum_avslut")).all()).item()
    # not executed and still open: only for decisions of the last 60 days
    waiting = ins.filter(pl.col("datum_verkstallande").is_null() & pl.col("datum_avslut").is_null())
    assert (waiting["datum_beslut"] >= AS_OF - timedelta(days=60)).all()
    assert 0.35 < closed.height / ins.height < 0.7


def test_ages_and_closures_are_consistent(clean_tables):
    t = clean_tables
    groups = valueset("malgrupp")
    bounds = {k: (int(lo) if lo else 0, int(hi) if hi else 120)
              for k, lo, hi in groups.select("kod", "rimlig_alder_min", "rimlig_alder_max").iter_rows()}
    for pid, group, day, alder in t["aktualisering"].select(
            "person_id", "malgrupp", "datum_aktualisering", "alder").iter_rows():
        on = date.fromisoformat(day)
        lo, hi = bounds[group]
        assert lo <= int(alder) <= hi
        birth = birth_date(pid)
        if birth is None:
            continue
        assert on > birth
        assert int(alder) == age(birth, on)
        for year in (on.year - 1, on.year, on.year + 1):
            try:
                anniversary = birth.replace(year=year)
            except ValueError:
                anniversary = date(year, 3, 1)
            assert abs((on - anniversary).days) > 3
    reasons = valueset("orsak_avslut")["value"].to_list()
    turned_18 = next(r for r in reasons if "fyllt 18" in r)
    never = next(r for r in reasons if "påbörjades aldrig" in r)
    died = next(r for r in reasons if "avlidit" in r)
    ins = (t["insats"].join(t["beslut"].select("beslut_id", "aktualisering_id"), on="beslut_id")
           .join(t["aktualisering"].select("aktualisering_id", "person_id"), on="aktualisering_id"))
    dates = pl.concat([
        t["aktualisering"].select("person_id", pl.col("datum_aktualisering").alias("d")),
        t["beslut"].join(t["aktualisering"], on="aktualisering_id")
        .select("person_id", pl.col("datum_beslut").alias("d")),
        ins.select("person_id", pl.col("datum_verkstallande").alias("d")),
        ins.select("person_id", pl.col("datum_avslut").alias("d")),
        t["uppfoljning"].join(ins, on="insats_id").select("person_id", pl.col("datum_uppfoljning").alias("d")),
    ]).drop_nulls().group_by("person_id").agg(pl.col("d").max())
    last = dict(dates.iter_rows())
    seen = set()
    for pid, verk, avslut, orsak, mal in ins.select("person_id", "datum_verkstallande", "datum_avslut",
                                                    "orsak_avslut", "maluppfyllelse").iter_rows():
        if avslut is None:
            assert orsak is None and mal is None
            continue
        values = orsak.split("|")
        assert 1 <= len(values) <= 2 and mal
        seen.update(values)
        if verk is None:
            assert values == [never]
        else:
            assert never not in values
        if turned_18 in values:
            assert age(birth_date(pid), date.fromisoformat(avslut)) >= 18
        if died in values:
            assert avslut == last[pid]
    assert never in seen and turned_18 in seen


def test_large_exports_synthesise_valid_numbers(tmp_path):
    import numpy as np

    from conform.generator.persons import luhn

    s = generate(tmp_path, persons=8000, seed=5)
    assert s.synthesised_ids > 0  # Äldre needs more than the test lists hold
    person = read(tmp_path, "person")
    assert person["person_id"].n_unique() == person.height
    for pid in person["person_id"].to_list():
        assert len(pid) == 12 and pid.isdigit()
        assert int(pid[11]) == int(luhn(np.array([int(pid[:11])]))[0])
        assert birth_date(pid) is None or birth_date(pid) < AS_OF


# --- defects ---------------------------------------------------------------------------------------------------------
def test_every_rule_is_injected(defective):
    out, summary = defective
    expected = pl.read_csv(out / EXPECTED_FILE, infer_schema=False)
    assert expected.columns == ["table", "key", "rule"]
    assert set(INJECTORS) <= set(expected["rule"])
    assert set(summary.defects) == set(INJECTORS)
    assert summary.expected == dict(sorted(expected.group_by("rule").len().iter_rows()))
    # about 5 % of the records are corrupted
    records = sum(summary.counts.values())
    assert 0.04 * records <= sum(summary.defects.values()) <= 0.06 * records


def test_expected_findings_name_existing_records(defective):
    out, _ = defective
    expected = pl.read_csv(out / EXPECTED_FILE, infer_schema=False)
    assert set(expected["table"]) <= set(TABLES)
    for table in TABLES:
        keys = set(read(out, table)[PK[table]].drop_nulls())
        assert set(expected.filter(pl.col("table") == table)["key"]) <= keys


def test_small_exports_get_some_defects(tmp_path):
    s = generate(tmp_path, persons=20, defects=0.02, seed=1)
    assert 1 <= sum(s.defects.values()) <= 5
    assert (tmp_path / EXPECTED_FILE).exists()


def _checked(folder: Path, noted: frozenset[str] = frozenset()) -> pl.DataFrame:
    """Error and warning findings of conform's own checker, and those of the `noted` rules at any severity (an
    injected defect whose basis makes it a note), counted per (table, key, rule)."""
    api = pytest.importorskip("conform.api")
    try:
        result = api.check(folder)
    except Exception as exc:  # noqa: BLE001 - the checker is developed alongside; report rather than fail here
        pytest.skip(f"checker not usable: {exc}")
    severity = {r.code: r.severity.value for r in result.rules}
    judged = pl.col("rule").replace_strict(severity, default=None).is_in(["error", "warning"])
    return (result.findings.filter(judged | pl.col("rule").is_in(list(noted)))
            .group_by("table", "key", "rule").len())


def test_checker_finds_nothing_in_clean_data(clean):
    assert _checked(clean).is_empty()


def test_checker_finds_exactly_the_expected_findings(defective):
    """The generator's promise, checked with conform's own checker when its rules load: every listed finding
    is reported, as often as listed (at the severity its basis gives, a note included), and nothing else at error
    or warning level."""
    out, _ = defective
    expected = pl.read_csv(out / EXPECTED_FILE, infer_schema=False).group_by("table", "key", "rule").len()
    found = _checked(out, frozenset(expected["rule"]))
    diff = found.join(expected, on=["table", "key", "rule"], how="full", coalesce=True).filter(
        pl.col("len").fill_null(0) != pl.col("len_right").fill_null(0))
    assert diff.is_empty(), diff.head(20)
