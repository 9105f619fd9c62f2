"""The requirements set in `conform serve`'s form: the file it writes is the one `conform init-requirements`
writes, with the buyer's values, and reads back as the same requirements; a mistake in the form is said in the
page's words, naming the row; and the requirements are fixed once a vendor is added."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conform import api
from conform.cli import main
from conform.input.requirements import (BOR, SKALL, Deviation, LocalPractice, OwnRequirement, Requirements,
                                        SetRequirement, load_requirements, requirements_yaml)
from serving import EXAMPLE, client, create_evaluation, upload, wait, zipped

PROFILE, RULES = api.load()
SETS = [s.id for s in PROFILE.information_sets]


def read_back(text: str, tmp_path) -> Requirements:
    path = tmp_path / "krav.yaml"
    path.write_text(text, encoding="utf-8")
    return load_requirements(path, PROFILE, list(RULES))


def same(a: Requirements, b: Requirements) -> bool:
    return (a.sets == b.sets and a.own == b.own and a.deviations == b.deviations and a.practice == b.practice)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([SKALL, BOR]), st.integers(1, 1000), st.integers(0, 10_000)),
                min_size=len(SETS), max_size=len(SETS)))
def test_any_choice_of_levels_weights_and_tolerances_reads_back_the_same(tmp_path_factory, values):
    chosen = Requirements({s: SetRequirement(level, weight / 10 if level == BOR else 1.0, tolerance / 10_000)
                           for s, (level, weight, tolerance) in zip(SETS, values, strict=True)})
    assert same(read_back(requirements_yaml(PROFILE, "sv", chosen), tmp_path_factory.mktemp("r")), chosen)


def test_own_requirements_deviations_and_local_practice_read_back_the_same(tmp_path):
    practice = LocalPractice(("Äldre", "Funk"), ("aktualiseringsorsak", "problematik"), (), "[bdes][0-9]{3,4}",
                             (("Kommunens reservnummer", "R[0-9]{11}"),),
                             {"aktualiseringsorsak": {"Hemlöshet": "Boendeproblematik"}})
    chosen = Requirements({s: SetRequirement() for s in SETS},
                          (Deviation("VAL-013", 'Hemtjänst "överkategori"', "Upphandlingsgruppen", ("insats",),
                                     dt.date(2027, 6, 30)),
                           Deviation("DAT-001", "Känt fel", "IT-chefen")),
                          practice, "Krav 2026",
                          own=(OwnRequirement("DAT-001", SKALL, 1.0, 0.01, "Beslut före aktualisering"),
                               OwnRequirement("PLA-002", BOR, 2.5, 0.05)))
    text = requirements_yaml(PROFILE, "sv", chosen)
    assert same(read_back(text, tmp_path), chosen)
    assert "# Per informationsmängd" in text   # the Swedish comments of init-requirements


def test_the_default_is_what_init_requirements_writes():
    for lang in ("sv", "en"):
        assert requirements_yaml(PROFILE, lang) == CliRunner().invoke(main, ["init-requirements", "--lang",
                                                                            lang]).output


@pytest.fixture
def page(tmp_path):
    c, service = client(tmp_path / "work")
    return c, service, create_evaluation(c, service)


def post(c, service, evaluation, fields: dict, csrf: bool = True):
    data = dict(fields)
    if csrf:
        data["csrf"] = service.csrf
    return c.post(f"/evaluations/{evaluation}/requirements", data=data, follow_redirects=False)


def form_fields(page_html: str) -> dict:
    """What a browser sends for the form as shown (each field's shown value, each select's chosen option)."""
    from lxml import html

    tree = html.fromstring(page_html)
    form = tree.xpath("//form[contains(@action, '/requirements')]")[0]
    return dict(form.form_values())


def test_the_form_sent_as_shown_writes_the_default_file(page):
    c, service, evaluation = page
    shown = c.get(f"/evaluations/{evaluation}/requirements")
    assert shown.status_code == 200 and "Ställ in kraven" in c.get(f"/evaluations/{evaluation}").text
    response = post(c, service, evaluation, form_fields(shown.text), csrf=False)   # the form carries its token
    assert response.status_code == 303
    saved = c.get(f"/evaluations/{evaluation}/requirements.yaml").text
    assert saved == CliRunner().invoke(main, ["init-requirements"]).output


def test_the_buyer_s_values_are_written_and_read_back(page, tmp_path):
    c, service, evaluation = page
    fields = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text)
    fields |= {"level.ursprung": "bor", "weight.ursprung": "2,5", "tolerance.ursprung": "5",
               "tolerance.sip": "0,5", "own.0.rule": "DAT-001", "own.0.tolerance": "1", "own.0.note": "Viktigt",
               "own.1.rule": "PLA-002", "own.1.level": "bor", "own.1.weight": "3",
               "dev.0.rule": "VAL-013", "dev.0.sets": "insats", "dev.0.justification": "Överkategori",
               "dev.0.accepted_by": "Upphandlingsgruppen", "dev.0.expires": "2027-06-30"}
    assert post(c, service, evaluation, fields, csrf=False).status_code == 303
    saved = read_back(c.get(f"/evaluations/{evaluation}/requirements.yaml").text, tmp_path)
    assert saved.of("ursprung") == SetRequirement(BOR, 2.5, 0.05)
    assert saved.of("sip") == SetRequirement(SKALL, 1.0, 0.005)
    assert saved.own == (OwnRequirement("DAT-001", SKALL, 1.0, 0.01, "Viktigt"), OwnRequirement("PLA-002", BOR, 3.0))
    assert saved.deviations == (Deviation("VAL-013", "Överkategori", "Upphandlingsgruppen", ("insats",),
                                          dt.date(2027, 6, 30)),)
    # shown again as saved
    again = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text)
    assert again["level.ursprung"] == "bor" and again["tolerance.ursprung"] == "5" and again["own.0.rule"] == "DAT-001"


@pytest.mark.parametrize("field, value, said", [
    ("tolerance.ursprung", "fem", "Ursprung: skriv ett tal"),
    ("weight.ursprung", "-1", "skriv ett tal, 0 eller mer"),
    ("weight.sip", "0", "Samordnad individuell plan, vid uppföljning (SIP): vikten är ett tal större än 0"),
    ("tolerance.insats", "150", "Insats: toleransen är en andel i procent"),
    ("dev.0.expires", "2027-13-01", "skriv datumet som ÅÅÅÅ-MM-DD"),
])
def test_a_mistake_in_the_form_is_said_naming_the_row(page, field, value, said):
    c, service, evaluation = page
    fields = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text)
    fields |= {field: value, "dev.0.rule": "VAL-013", "dev.0.justification": "x", "dev.0.accepted_by": "y",
               "level.ursprung": "bor", "level.sip": "bor"}
    response = post(c, service, evaluation, fields, csrf=False)
    assert response.status_code == 400 and said in response.text, response.text[-2000:]
    assert not service.store.load(evaluation).requirements


def test_what_the_requirements_file_refuses_is_said_without_a_path(page):
    c, service, evaluation = page
    fields = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text)
    fields |= {"dev.0.rule": "VAL-013"}   # no justification, no one who accepted it
    response = post(c, service, evaluation, fields, csrf=False)
    assert response.status_code == 400 and "kravfilen" in response.text
    assert str(service.store.root) not in response.text
    assert not service.store.load(evaluation).requirements


def test_the_form_needs_its_csrf_token(page):
    c, service, evaluation = page
    fields = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text)
    fields.pop("csrf")
    assert post(c, service, evaluation, fields, csrf=False).status_code == 403


def test_the_requirements_are_fixed_once_a_vendor_is_added(page):
    c, service, evaluation = page
    fields = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text)
    upload(c, service, evaluation, "Leverantör", [("export.zip", zipped(EXAMPLE))])
    wait(service, evaluation)
    shown = c.get(f"/evaluations/{evaluation}/requirements").text
    assert "Kraven kan ändras bara innan" in shown and shown.count("<fieldset disabled>") == 3
    response = post(c, service, evaluation, fields | {"level.ursprung": "bor"}, csrf=False)
    assert response.status_code == 409
    assert not service.store.load(evaluation).requirements


def test_the_local_practice_of_an_uploaded_file_is_kept_by_the_form(tmp_path):
    c, service = client(tmp_path / "work")
    text = requirements_yaml(PROFILE, "sv", Requirements(
        {s: SetRequirement() for s in SETS},
        practice=LocalPractice(reserve_numbers=(("Reservnummer", "R[0-9]{11}"),))))
    evaluation = create_evaluation(c, service, requirements=text.encode("utf-8"))
    fields = form_fields(c.get(f"/evaluations/{evaluation}/requirements").text) | {"level.sip": "bor"}
    assert post(c, service, evaluation, fields, csrf=False).status_code == 303
    saved = read_back(c.get(f"/evaluations/{evaluation}/requirements.yaml").text, tmp_path)
    assert saved.practice.reserve_numbers == (("Reservnummer", "R[0-9]{11}"),)
    assert saved.of("sip").level == BOR
