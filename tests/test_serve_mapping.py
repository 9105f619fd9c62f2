"""The mapping review of `conform serve`: an export in a shape of its own is drafted a mapping, a person reviews
it on a form (columns, local values, the draft's guesses and questions), and the verdict turns final only when
everything is reviewed. The export under tests/data/serve-unseen was written by a session that had not read
conform's code (see its README): a Windows-1252 dump with local codes, HTML in a heading and a value, and
person-IDs in a heading and in free text."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import lxml.html
import pytest

from conform import api
from conform.input.mapping.spec import load_mapping
from conform.input.mapping.written import mapping_yaml
from conform.serve.app import Service
from conform.serve.mapping_form import digest
from serving import ROOT, client, create_evaluation, folder_files, upload, wait

UNSEEN = ROOT / "tests" / "data" / "serve-unseen" / "export"
WIDE = ROOT / "fixtures" / "vendors" / "wide"
FULL_ID = re.compile(r"(?<![0-9])(?:[0-9]{8}|[0-9]{6})[-+]?[0-9]{4}(?![0-9])")


def drafted(tmp_path: Path, export: Path, lang: str = "sv"):
    """(client, service, evaluation id, vendor) once the vendor's upload without a mapping has been checked."""
    c, service = client(tmp_path / "work", lang)
    evaluation = create_evaluation(c, service)
    upload(c, service, evaluation, "Okänt system AB", folder_files(export))
    return c, service, evaluation, wait(service, evaluation).vendors[0]


@pytest.fixture
def unseen(tmp_path):
    return drafted(tmp_path, UNSEEN)


@pytest.fixture
def wide(tmp_path):
    return drafted(tmp_path, WIDE / "export")


def review(c, evaluation: str, vendor) -> tuple[str, lxml.html.FormElement]:
    response = c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/mapping")
    assert response.status_code == 200, response.text
    page = lxml.html.fromstring(response.text)
    return response.text, next(f for f in page.forms if f.action.endswith("/mapping"))


def filled(form, tick: bool = True, answer: str | None = None, change: dict | None = None) -> list[tuple[str, str]]:
    """What the browser sends: every field as the page shows it, every box ticked (`tick`), an unanswered
    question answered `answer` (None: left), and the choices in `change` (name -> option value)."""
    sent = []
    for name, value in form.form_values():
        if change and name in change:
            value = change[name]
        elif answer is not None and name.startswith("value.") and value == "":
            value = answer
        sent.append((name, value))
    if tick:
        sent += [(box.name, "1") for box in form.inputs if getattr(box, "type", None) == "checkbox"]
    return sent


def save(c, evaluation: str, vendor, sent: list[tuple[str, str]]):
    return c.post(f"/evaluations/{evaluation}/vendors/{vendor.id}/mapping", content=urlencode(sent),
                  headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)


def saved_again(c, service: Service, evaluation: str, vendor, sent):
    response = save(c, evaluation, vendor, sent)
    assert response.status_code == 303, response.text
    return wait(service, evaluation).vendor(vendor.id)


def stored(service: Service, evaluation: str, vendor) -> tuple[dict, Path]:
    loaded = service.store.load(evaluation)
    path = service.store.result_path(loaded, vendor)
    return json.loads(path.read_text(encoding="utf-8")), service.store.mapping_path(loaded, loaded.vendor(vendor.id))


def option(form, name: str, text: str) -> str:
    """The value of the option of select `name` whose text is `text`."""
    select = form.inputs[name]
    return next(o.get("value") for o in select.iter("option") if o.text == text)


def test_an_export_of_its_own_shape_is_drafted_and_leads_to_the_review(unseen):
    c, service, evaluation, vendor = unseen
    assert vendor.status == "done" and vendor.drafted and vendor.verdict == "provisional", vendor
    page = c.get(f"/evaluations/{evaluation}").text
    assert f"/vendors/{vendor.id}/mapping" in page and "Granska mappningen" in page
    assert "conform har gjort ett utkast till mappning: bedömningen är preliminär" in page
    text, form = review(c, evaluation, vendor)
    assert "gjort ett utkast till mappning" in text and "Kvar att granska" in text
    # the draft's guesses and questions in the reader's language: a Swedish page holds no English note
    assert "rubriken" in text and "heading &#39;" not in text and "no column" not in text
    for noun in ("Person", "Aktualisering", "Beslut", "Insats"):
        assert f">{noun}</h2>" in text


def test_the_review_shows_the_export_as_text_and_no_person_id(unseen):
    c, service, evaluation, vendor = unseen
    text, form = review(c, evaluation, vendor)
    assert "&lt;script&gt;alert(" in text and "<script" not in text
    assert "onerror" not in text or "&lt;img" in text
    assert FULL_ID.findall(text) == []
    assert "19790618-****" in text        # the heading that is a person-ID, masked
    # the form's inputs are numbered: neither a heading nor a value of the export travels in a name or value
    for name, value in form.form_values():
        assert re.fullmatch(r"csrf|sha|column\.\w+\.\w+|value\.\w+\.\w+\.\d+", name), name
        assert name in ("csrf", "sha") or re.fullmatch(r"\d*|asis", value), (name, value)


def test_a_question_is_never_answered_for_the_person(unseen):
    c, service, evaluation, vendor = unseen
    document, _ = stored(service, evaluation, vendor)
    questions = document["mapping"]["open_items"]["questions"]
    assert questions
    text, form = review(c, evaluation, vendor)
    # nothing the mapping says nothing of is answered for the person, the questions included (the result lists
    # at most 50 of them: a value not listed may be one)
    mapping = load_mapping(stored(service, evaluation, vendor)[1], api.load()[0])
    said = {(t, n, v) for t, m in mapping.tables.items() for n, f in m.fields.items()
            for v in (*f.values, *f.as_written)}
    for name, value in form.form_values():
        if name.startswith("value."):
            row = form.inputs[name].getparent().getparent()
            local = row.find("th").text
            _, table, field, _ = name.split(".")
            assert (value == "") == ((table, field, local) not in said), (name, local, value)
    assert {q["value"] for q in questions} <= {form.inputs[n].getparent().getparent().find("th").text
                                               for n, v in form.form_values() if n.startswith("value.") and v == ""}
    # every guess confirmed and every item settled, but the questions left: still provisional, with only them
    again = saved_again(c, service, evaluation, vendor, filled(form))
    assert again.verdict == "provisional"
    document, mapping_path = stored(service, evaluation, vendor)
    left = document["mapping"]["open_items"]
    assert left["draft"] is False and left["fields"] == [] and left["unmapped"] == []
    assert len(left["questions"]) == len(questions)
    written = mapping_path.read_text(encoding="utf-8")
    assert "Mapping reviewed" in written
    assert not re.search(r"^\s*(review|draft):", written, re.M) and "\nunmapped: []\n" in written


def test_everything_answered_makes_the_verdict_final_as_the_command_line_gives_it(unseen):
    c, service, evaluation, vendor = unseen
    _, form = review(c, evaluation, vendor)
    again = saved_again(c, service, evaluation, vendor, filled(form, answer="asis"))
    assert again.status == "done" and again.verdict in ("conformant", "warnings", "nonconformant"), again
    document, mapping_path = stored(service, evaluation, vendor)
    assert document["mapping"]["open_items"] is None
    text, _ = review(c, evaluation, again)
    assert "bedömningen är slutlig" in text
    # the saved mapping is a file the command line reads, to the same verdict
    loaded = service.store.load(evaluation)
    result = api.check(service.store.export_path(loaded, loaded.vendor(vendor.id)), mapping=mapping_path,
                       as_of=api.date.fromisoformat(loaded.as_of))
    assert not result.provisional
    assert document["summary"]["verdict"] == again.verdict
    # and the comparison now takes the vendor in
    assert c.get(f"/evaluations/{evaluation}/comparison").status_code == 200


def test_a_local_value_chosen_on_the_form_becomes_a_crosswalk(wide):
    c, service, evaluation, vendor = wide
    document, _ = stored(service, evaluation, vendor)
    left = {(v["field"], v["value"]): v["records"] for v in document["mapping"]["left_as_written"]}
    assert left[("juridiskt_kon", "Kvinna")] == 2
    text, form = review(c, evaluation, vendor)
    name = next(n for n, _ in form.form_values() if n.startswith("value.person.juridiskt_kon.")
                and form.inputs[n].getparent().getparent().findtext("th") == "Kvinna")
    again = saved_again(c, service, evaluation, vendor,
                        filled(form, tick=False, change={name: option(form, name, "Flicka/Kvinna")}))
    document, mapping_path = stored(service, evaluation, again)
    mapping = load_mapping(mapping_path, api.load()[0])
    assert mapping.tables["person"].fields["juridiskt_kon"].values["Kvinna"] == "Flicka/Kvinna"
    assert ("juridiskt_kon", "Kvinna") not in {(v["field"], v["value"]) for v in document["mapping"]["left_as_written"]}
    used = {(u["field"], u["local"]): u["records"] for u in document["mapping"]["crosswalks"]}
    assert used[("juridiskt_kon", "Kvinna")] == 2
    # nothing was confirmed: the draft's marks stay
    assert again.verdict == "provisional" and mapping.draft and mapping.open_items() is not None


def test_a_column_taken_away_on_the_form_is_reported_missing(wide):
    c, service, evaluation, vendor = wide
    _, form = review(c, evaluation, vendor)
    again = saved_again(c, service, evaluation, vendor,
                        filled(form, tick=False, change={"column.person.ursprung": ""}))
    document, mapping_path = stored(service, evaluation, again)
    assert "ursprung" not in load_mapping(mapping_path, api.load()[0]).tables["person"].fields
    missing = {"table": "person", "field": "ursprung", "derived_by_conform": False}
    assert missing in document["mapping"]["unmapped_fields"]


def test_a_stale_or_unsigned_review_changes_nothing(wide):
    c, service, evaluation, vendor = wide
    _, path = stored(service, evaluation, vendor)
    before = path.read_bytes()
    _, form = review(c, evaluation, vendor)
    stale = [(n, "0" * 64 if n == "sha" else v) for n, v in filled(form)]
    response = save(c, evaluation, vendor, stale)
    assert response.status_code == 409 and "har ändrats sedan sidan visades" in response.text
    unsigned = [(n, v) for n, v in filled(form) if n != "csrf"]
    assert save(c, evaluation, vendor, unsigned).status_code == 403
    assert path.read_bytes() == before
    assert service.store.load(evaluation).vendor(vendor.id).verdict == "provisional"


def test_the_review_is_shown_but_locked_once_the_person_data_is_deleted(wide):
    c, service, evaluation, vendor = wide
    _, form = review(c, evaluation, vendor)
    sent = filled(form, answer="asis")
    c.post(f"/evaluations/{evaluation}/delete-person-data", data={"csrf": service.csrf})
    text, locked = review(c, evaluation, vendor)
    assert "exporten är raderad" in text and "<fieldset disabled>" in text
    assert save(c, evaluation, vendor, sent).status_code == 409
    assert service.store.load(evaluation).vendor(vendor.id).verdict == "provisional"


def test_the_review_speaks_english_on_request(tmp_path):
    c, service, evaluation, vendor = drafted(tmp_path, UNSEEN, "en")
    text, _ = review(c, evaluation, vendor)
    assert "Review the mapping" in text and "heading &#39;" in text and "Granska" not in text


def test_an_export_nothing_can_be_drafted_from_still_asks_for_a_mapping(tmp_path):
    c, service = client(tmp_path / "work")
    evaluation = create_evaluation(c, service)
    upload(c, service, evaluation, "Annat", [("lager.csv", "artikel;antal\nskruv;4\nmutter;7\n".encode())])
    vendor = wait(service, evaluation).vendors[0]
    assert vendor.status == "failed" and "behöver en mappning" in vendor.message["sv"] and not vendor.mapping


def test_a_check_cut_off_by_a_stopped_page_runs_again_when_it_starts(tmp_path):
    c, service = client(tmp_path / "work")
    evaluation = create_evaluation(c, service)
    # stored as an upload is, and left as a page stopped in the middle of its check leaves it
    service.store.add_vendor(evaluation, "Exempel", folder_files(ROOT / "fixtures" / "example"), None)
    with service.store.modify(evaluation) as loaded:
        loaded.vendors[0].status = "checking"
    restarted = Service(tmp_path / "work")
    vendor = wait(restarted, evaluation).vendors[0]
    assert vendor.status == "done" and vendor.verdict == "conformant", vendor


@pytest.mark.parametrize("shape", ["normalised", "wide", "workbook"])
def test_a_written_mapping_reads_as_the_file_it_was_made_from(shape, tmp_path):
    profile = api.load()[0]
    original = load_mapping(ROOT / "fixtures" / "vendors" / shape / "mapping.yaml", profile)
    path = tmp_path / "mapping.yaml"
    path.write_text(mapping_yaml(original.doc.data), encoding="utf-8")
    again = load_mapping(path, profile)

    def fields(mapping):
        return {t: (m.source, {n: dataclasses.replace(f, line=0) for n, f in m.fields.items()})
                for t, m in mapping.tables.items()}

    assert fields(again) == fields(original)
    assert (again.profile, again.vendor, again.draft, again.unmapped) == \
        (original.profile, original.vendor, original.draft, original.unmapped)


@pytest.mark.parametrize("text", ["Mål\x85uppföljning", "a\u2028b", "yes", "null", "1e3", "- x", ": y", "#z", "~",
                                  "2024-01-01", "12:30", " kant ", "Ja <2 år"])
def test_a_written_mapping_keeps_every_text_exactly(text):
    import yaml

    data = {"tables": {"person": {"source": text, "fields": {"juridiskt_kon": {"column": text,
                                                                              "values": {text: "Pojke/Man"}}}}}}
    assert yaml.safe_load(mapping_yaml(data)) == data


@pytest.mark.parametrize("crafted", ["²", "٣", "9" * 5000, "-1", "999999", " 1", "Flicka/Kvinna"])
def test_a_crafted_choice_changes_nothing(wide, crafted):
    c, service, evaluation, vendor = wide
    _, path = stored(service, evaluation, vendor)
    _, form = review(c, evaluation, vendor)
    before = load_mapping(path, api.load()[0])
    crafted_values = {n: crafted for n, _ in form.form_values() if n.startswith(("column.", "value."))}
    again = saved_again(c, service, evaluation, vendor, filled(form, tick=False, change=crafted_values))
    after = load_mapping(service.store.mapping_path(service.store.load(evaluation), again), api.load()[0])
    for table, tmap in before.tables.items():
        for name, f in tmap.fields.items():
            kept = after.tables[table].fields[name]
            assert (kept.column, kept.values, kept.as_written) == (f.column, f.values, f.as_written), name


def test_of_two_saves_of_one_form_the_second_is_refused(wide):
    c, service, evaluation, vendor = wide
    _, path = stored(service, evaluation, vendor)
    shown = path.read_bytes()
    service.checks.shutdown()   # the first save's check must not run before the second arrives
    store = service.store
    assert store.replace_mapping(evaluation, vendor.id, b"first", lambda current: current == shown)
    assert not store.replace_mapping(evaluation, vendor.id, b"second", lambda current: current == shown)
    assert path.read_bytes() == b"first" and store.load(evaluation).vendor(vendor.id).status == "queued"


def test_a_person_id_in_a_field_of_a_value_set_is_no_question():
    import polars as pl

    from conform.input.mapping.questions import mapping_questions
    from conform.input.mapping.spec import FieldMap, TableMap

    profile = api.load()[0]
    tmaps = {"uppfoljning": TableMap("uppfoljning", "x.csv", {"sip": FieldMap("sip", column="SIP")})}
    frame = pl.LazyFrame({"sip": ["197906189282"] * 5 + ["Behov av SIP"] * 5})
    questions, left = mapping_questions(profile, tmaps, {"uppfoljning": frame})
    assert [q.value for q in questions] == ["Behov av SIP"]
    assert {v.value for v in left} == {"197906189282", "Behov av SIP"}   # masked when the result is written


def test_a_mapping_naming_a_lone_workbook_s_sheet_alone_is_reviewed_with_its_columns(tmp_path):
    workbook = ROOT / "fixtures" / "vendors" / "workbook"
    text = (workbook / "mapping.yaml").read_text(encoding="utf-8").replace("source: verksamhetssystem.xlsx:",
                                                                            "source: ")
    c, service = client(tmp_path / "work")
    evaluation = create_evaluation(c, service)
    upload(c, service, evaluation, "Arbetsbok", folder_files(workbook / "export"), text.encode("utf-8"))
    vendor = wait(service, evaluation).vendors[0]
    assert vendor.status == "done", vendor
    _, form = review(c, evaluation, vendor)
    columns = {n: v for n, v in form.form_values() if n.startswith("column.")}
    assert columns and all(v not in ("", "keep") for v in columns.values())
    # saved untouched, every field is read as before
    again = saved_again(c, service, evaluation, vendor, filled(form, tick=False))
    assert again.status == "done", again


def test_a_column_the_file_does_not_list_is_kept_as_it_is(wide):
    c, service, evaluation, vendor = wide
    loaded = service.store.load(evaluation)
    service.store.columns_path(loaded, loaded.vendor(vendor.id)).write_text("{}", encoding="utf-8")
    text, form = review(c, evaluation, vendor)
    assert form.form_values() and dict(form.form_values())["column.person.juridiskt_kon"] == "keep"
    again = saved_again(c, service, evaluation, vendor, filled(form, tick=False))
    mapping = load_mapping(service.store.mapping_path(service.store.load(evaluation), again), api.load()[0])
    assert mapping.tables["person"].fields["juridiskt_kon"].column == "Kön"


def test_a_vendor_mapping_that_does_not_load_is_refused_on_save_too(tmp_path):
    c, service = client(tmp_path / "work")
    evaluation = create_evaluation(c, service)
    broken = b"conform_mapping: 1\nprofile: basinformation-1.0\ntables: {person: {source: x.csv}}\n"
    upload(c, service, evaluation, "Trasig", folder_files(WIDE / "export"), broken)
    vendor = wait(service, evaluation).vendors[0]
    page = c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/mapping")
    assert page.status_code == 200 and "<form method=\"post\" action=\"/evaluations" not in page.text.split("<main>")[1]
    loaded = service.store.load(evaluation)
    sha = digest(service.store.mapping_path(loaded, loaded.vendor(vendor.id)).read_bytes())
    response = save(c, evaluation, vendor, [("csrf", service.csrf), ("sha", sha)])
    assert response.status_code == 400 and "role=\"alert\"" in response.text


def test_a_review_of_many_local_values_can_be_saved(wide):
    c, service, evaluation, vendor = wide
    _, form = review(c, evaluation, vendor)
    many = filled(form, tick=False) + [(f"value.person.juridiskt_kon.{i}", "") for i in range(1000, 2500)]
    assert save(c, evaluation, vendor, many).status_code == 303
