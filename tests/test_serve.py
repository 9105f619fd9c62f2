"""`conform serve`: the local page for evaluations, safe by construction and giving what the command line gives.

Each safety rule of the page is tested by the request that would break it: no key, a wrong key, a form without
its CSRF token, a file name that climbs out, a zip bomb, an upload over the limit, and names and values holding
HTML. The pages are driven as a browser would (multipart forms, redirects), against a real work folder.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conform.cli import main
from conform.serve import store as serve_store
from conform.serve.security import DOCUMENT_POLICY, PAGE_POLICY
from serving import (EXAMPLE, ROOT, TOKEN, client, create_evaluation, folder_files, links, upload, wait,
                     zipped)

VENDORS = ROOT / "fixtures" / "vendors"
AS_OF = "2025-06-30"


@pytest.fixture
def served(tmp_path):
    c, service = client(tmp_path / "work")
    return c, service, tmp_path / "work"


@pytest.fixture
def checked(served):
    """An evaluation with one vendor, the bundled example as a zip, checked."""
    c, service, workdir = served
    evaluation = create_evaluation(c, service)
    assert upload(c, service, evaluation, "Leverantör A", [("export.zip", zipped(EXAMPLE))]).status_code == 303
    loaded = wait(service, evaluation)
    assert loaded.vendors[0].status == "done", loaded.vendors[0].message
    return c, service, workdir, evaluation, loaded.vendors[0]


# -- the key ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/serve.css", "/evaluations/0123456789ab", "/?token=wrong",
                                  "/?token=" + TOKEN[:-1]])
def test_a_request_without_the_key_is_refused(tmp_path, path):
    c, _ = client(tmp_path, authorised=False)
    response = c.get(path, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-security-policy"] == PAGE_POLICY


def test_a_wrong_cookie_is_refused(tmp_path):
    c, _ = client(tmp_path, authorised=False)
    c.cookies.set("conform_token", "wrong")
    assert c.get("/").status_code == 403
    assert c.post("/evaluations", files={"name": (None, "x")}).status_code == 403
    assert not any((tmp_path / "evaluations").iterdir())


def test_the_key_sets_a_cookie_and_leaves_the_address(tmp_path):
    c, _ = client(tmp_path, authorised=False)
    response = c.get(f"/?token={TOKEN}&lang=en", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?lang=en"   # the key is not kept in the browser's history
    cookie = response.headers["set-cookie"]
    assert f"conform_token={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert c.get("/?lang=en").status_code == 200


# -- forms -------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("csrf", [None, "", "wrong"])
def test_a_form_without_its_csrf_token_is_refused(served, csrf):
    c, service, workdir = served
    files = {"name": (None, "Upphandling")}
    if csrf is not None:
        files["csrf"] = (None, csrf)
    response = c.post("/evaluations", files=files, follow_redirects=False)
    assert response.status_code == 403
    assert "formuläret saknar sin nyckel" in response.text
    assert service.store.evaluations() == []


def test_every_form_of_the_pages_carries_the_csrf_token(checked):
    c, service, _, evaluation, _ = checked
    for path in ("/", f"/evaluations/{evaluation}"):
        page = c.get(path).text
        assert page.count("<form") == page.count(f'name="csrf" value="{service.csrf}"') > 0


def test_deleting_without_the_csrf_token_deletes_nothing(checked):
    c, service, workdir, evaluation, vendor = checked
    response = c.post(f"/evaluations/{evaluation}/delete-person-data", data={"csrf": "wrong"})
    assert response.status_code == 403
    assert service.store.export_path(service.store.load(evaluation), vendor).is_file()


# -- what a page may load ----------------------------------------------------------------------------------------

def test_every_page_has_a_strict_policy_and_loads_nothing_from_another_origin(checked):
    c, _, _, evaluation, vendor = checked
    pages = ["/", "/?lang=en", f"/evaluations/{evaluation}", "/evaluations/ffffffffffff"]
    documents = [f"/evaluations/{evaluation}/vendors/{vendor.id}/report", f"/evaluations/{evaluation}/comparison"]
    for path in pages + documents:
        response = c.get(path)
        assert response.headers["content-security-policy"] == (DOCUMENT_POLICY if path in documents
                                                               else PAGE_POLICY), path
        assert response.headers["x-content-type-options"] == "nosniff"
        for address in links(response.text):
            # same origin only: a path, a fragment, or data held in the page itself
            assert address.startswith(("/", "#", "data:")) or address == "", (path, address)
    assert "sandbox" in DOCUMENT_POLICY and "script-src" not in PAGE_POLICY and "default-src 'none'" in PAGE_POLICY


# -- uploads -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../evil.csv", "/etc/evil.csv", "..\\..\\evil.csv", "a/../../evil.csv"])
def test_a_file_name_that_climbs_out_is_refused(served, name):
    c, service, workdir = served
    evaluation = create_evaluation(c, service)
    response = upload(c, service, evaluation, "Leverantör", [(name, b"person_id\n")])
    assert response.status_code == 400
    assert "tas inte emot" in response.text
    assert service.store.load(evaluation).vendors == []
    assert not list(workdir.parent.rglob("evil.csv"))


def test_an_upload_is_stored_under_names_of_conforms_own(checked):
    _, service, workdir, evaluation, vendor = checked
    stored = sorted(p.relative_to(workdir).as_posix() for p in workdir.rglob("*") if p.is_file())
    assert stored == [f"evaluations/{evaluation}/evaluation.json",
                      f"evaluations/{evaluation}/vendors/{vendor.id}/result.json",
                      f"evaluations/{evaluation}/vendors/{vendor.id}/upload/export.zip",
                      f"evaluations/{evaluation}/vendors/{vendor.id}/upload/violations.xlsx"]


def test_a_zip_member_that_climbs_out_is_refused_by_the_readers(served):
    c, service, workdir = served
    evaluation = create_evaluation(c, service)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in folder_files(EXAMPLE):
            archive.writestr("../" + name if name == "person.csv" else name, content)
    upload(c, service, evaluation, "Leverantör", [("export.zip", data.getvalue())])
    vendor = wait(service, evaluation).vendors[0]
    assert vendor.status == "failed" and vendor.verdict is None
    assert ".." in vendor.message["sv"] and str(workdir) not in vendor.message["sv"]
    assert not list(workdir.parent.rglob("person.csv"))


def test_a_zip_bomb_is_refused(served):
    c, service, workdir = served
    evaluation = create_evaluation(c, service)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("person.csv", b"person_id\n" + b"0" * (300 << 20))   # 300 MiB of one byte
    assert len(data.getvalue()) < 1 << 20
    upload(c, service, evaluation, "Leverantör", [("export.zip", data.getvalue())])
    vendor = wait(service, evaluation).vendors[0]
    assert vendor.status == "failed"
    assert "gånger" in vendor.message["sv"] or "zip" in vendor.message["sv"]
    page = c.get(f"/evaluations/{evaluation}").text
    assert "kunde inte kontrolleras" in page
    assert sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file()) < 2 << 20  # never expanded


def test_an_upload_over_the_limit_is_refused(tmp_path):
    c, service = client(tmp_path, max_upload=4096)
    evaluation = create_evaluation(c, service)
    response = upload(c, service, evaluation, "Leverantör", [("export.zip", b"x" * 8192)])
    assert response.status_code == 413
    assert "4096" not in response.text and "MiB" in response.text
    assert service.store.load(evaluation).vendors == []


def test_an_upload_over_the_limit_is_refused_when_it_does_not_say_its_size(tmp_path):
    c, service = client(tmp_path, max_upload=4096)
    evaluation = create_evaluation(c, service)

    def body():   # sent in pieces, without a Content-Length
        for _ in range(16):
            yield b"y" * 1024

    response = c.post(f"/evaluations/{evaluation}/vendors", content=body(),
                      headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert service.store.load(evaluation).vendors == []


def test_a_single_file_of_another_kind_is_refused(served):
    c, service, _ = served
    evaluation = create_evaluation(c, service)
    response = upload(c, service, evaluation, "Leverantör", [("export.exe", b"MZ")])
    assert response.status_code == 400 and ".xlsx" in response.text


# -- what is shown ----------------------------------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_names_and_values_holding_html_are_shown_as_text(served, tmp_path):
    c, service, _ = served
    evaluation = create_evaluation(c, service, name="Upphandling " + SCRIPT)
    export = tmp_path / "export"
    export.mkdir()
    for name, content in folder_files(EXAMPLE):
        text = content.decode("utf-8")
        if name == "aktualisering.csv":   # a value of the export that is not in the value set
            lines = text.splitlines()
            head = lines[0].split(",")
            cells = lines[1].split(",")
            cells[head.index("aktualiseringstyp")] = '"' + SCRIPT.replace('"', '""') + '"'
            text = "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"
        (export / name).write_text(text, encoding="utf-8")
    upload(c, service, evaluation, "Leverantör " + SCRIPT, [("export.zip", zipped(export))])
    vendor = wait(service, evaluation).vendors[0]
    assert vendor.status == "done", vendor.message
    pages = [c.get("/").text, c.get(f"/evaluations/{evaluation}").text,
             c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/report").text,
             c.get(f"/evaluations/{evaluation}/comparison").text]
    for page in pages:
        assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in pages[0] and "&lt;script&gt;" in pages[1]
    assert "&lt;script&gt;alert(&#34;x&#34;)" in pages[2] or "&lt;script&gt;alert(&quot;x&quot;)" in pages[2]


def test_a_person_id_in_a_message_is_masked(served, monkeypatch):
    from conform import api
    from conform.errors import UsageError

    def refuse(*args, **kwargs):
        raise UsageError("export_no_tables", path="x", files="person.csv", found="198501012383.csv")

    monkeypatch.setattr(api, "check", refuse)
    monkeypatch.setattr("conform.serve.jobs.NEEDS_MAPPING", set())   # the message as the reader words it
    c, service, _ = served
    evaluation = create_evaluation(c, service)
    upload(c, service, evaluation, "Leverantör", [("export.zip", zipped(EXAMPLE))])
    assert wait(service, evaluation).vendors[0].status == "failed"
    page = c.get(f"/evaluations/{evaluation}").text
    assert "198501012383" not in page and "19850101" in page


def test_a_running_check_shows_its_stage_in_the_standard_s_words(checked):
    from conform.catalogue import labels
    from conform.serve.jobs import Reached

    c, service, _, evaluation, vendor = checked
    with service.store.modify(evaluation) as changed:
        changed.vendor(vendor.id).status = "checking"
    service.checks.reached[vendor.id] = Reached("uppfoljning", 2_500_000, 6_300_000)
    page = c.get(f"/evaluations/{evaluation}").text
    noun = labels("sv")["html"]["table_nouns"]["uppfoljning"][1]
    assert f"kontrollerar {noun}: 2 500 000 av 6 300 000 poster" in page.replace("\xa0", " ")
    assert "uppfoljning:" not in page
    assert '<meta http-equiv="refresh" content="2">' in page and '<progress max="6300000" value="2500000"' in page


def test_the_page_speaks_english_on_request(checked):
    c, _, _, evaluation, _ = checked
    english = c.get(f"/evaluations/{evaluation}?lang=en")
    assert '<html lang="en">' in english.text and "Add a vendor" in english.text
    assert "conform_lang=en" in english.headers["set-cookie"]
    # remembered for the next page
    assert "Add a vendor" in c.get(f"/evaluations/{evaluation}").text
    assert "Lägg till en leverantör" in c.get(f"/evaluations/{evaluation}?lang=sv").text


@pytest.mark.parametrize("path", ["/evaluations/ffffffffffff", "/evaluations/..%2f..%2fetc",
                                  "/evaluations/{evaluation}/vendors/ffffffffffff/report",
                                  "/evaluations/{evaluation}/vendors/..%2fx/result.json"])
def test_unknown_evaluations_and_vendors_are_not_found(checked, path):
    c, _, _, evaluation, _ = checked
    response = c.get(path.format(evaluation=evaluation))
    assert response.status_code == 404 and "Sidan finns inte" in response.text


def test_a_form_that_lacks_a_name_is_asked_again(served):
    c, service, _ = served
    response = c.post("/evaluations", files={"name": (None, "  "), "csrf": (None, service.csrf)})
    assert response.status_code == 400 and "Ange ett namn" in response.text
    response = c.post("/evaluations", files={"name": (None, "x"), "as_of": (None, "2025-13-40"),
                                             "csrf": (None, service.csrf)})
    assert response.status_code == 400 and "ÅÅÅÅ-MM-DD" in response.text
    assert service.store.evaluations() == []


def test_a_requirements_file_with_a_mistake_is_refused_with_the_check_s_words(served):
    c, service, _ = served
    files = {"name": (None, "x"), "csrf": (None, service.csrf),
             "requirements": ("krav.yaml", b"sets:\n  personid:\n    level: skall\n")}
    response = c.post("/evaluations", files=files)
    assert response.status_code == 400 and "kravfilen" in response.text
    assert service.store.evaluations() == []


# -- the same as the command line --------------------------------------------------------------------------------------

def test_the_result_report_and_comparison_are_what_the_command_line_gives(checked, tmp_path):
    c, service, _, evaluation, vendor = checked
    loaded = service.store.load(evaluation)
    export = service.store.export_path(loaded, vendor)
    runner = CliRunner()
    cli_result = tmp_path / "cli.json"
    ran = runner.invoke(main, ["check", str(export), "--as-of", AS_OF, "--format", "json", "-o", str(cli_result)])
    assert ran.exit_code == 0, ran.output
    page_result = json.loads(c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/result.json").content)
    expected = json.loads(cli_result.read_text(encoding="utf-8"))
    for document in (page_result, expected):
        document.pop("generated_at")
    assert page_result == expected

    stored = service.store.result_path(loaded, vendor)
    html = tmp_path / "cli.html"
    ran = runner.invoke(main, ["report", "--from", str(stored), "--vendor", vendor.name, "--html", str(html)])
    assert ran.exit_code == 0, ran.output
    assert c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/report").text == html.read_text(encoding="utf-8")

    table = tmp_path / "cli.csv"
    ran = runner.invoke(main, ["compare", str(stored), "--name", vendor.name, "--csv", str(table)])
    assert ran.exit_code == 0, ran.output
    assert c.get(f"/evaluations/{evaluation}/comparison.csv").text == table.read_text(encoding="utf-8")


def test_the_report_downloads_as_pdf_with_the_result_attached(checked):
    from pypdf import PdfReader

    c, _, _, evaluation, vendor = checked
    response = c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/report.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    attached = PdfReader(io.BytesIO(response.content)).attachments
    document = json.loads(next(iter(attached.values()))[0])
    assert document["summary"]["verdict"] == "conformant"


def test_deleting_the_person_data_keeps_the_results_and_the_reports(checked):
    c, service, workdir, evaluation, vendor = checked
    report = c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/report").text
    page = c.get(f"/evaluations/{evaluation}").text
    assert "Radera uppladdade exporter" in page and str(workdir / "evaluations" / evaluation) in page
    response = c.post(f"/evaluations/{evaluation}/delete-person-data", data={"csrf": service.csrf},
                      follow_redirects=False)
    assert response.status_code == 303
    assert not list(workdir.rglob("upload")) and not list(workdir.rglob("export.zip"))
    assert service.store.result_path(service.store.load(evaluation), vendor).is_file()
    assert c.get(f"/evaluations/{evaluation}/vendors/{vendor.id}/report").text == report
    assert "Inga uppladdade exporter finns kvar" in c.get(f"/evaluations/{evaluation}").text


def test_a_vendor_shape_without_its_mapping_is_drafted_one_and_is_checked_with_its_own(served):
    c, service, workdir = served
    evaluation = create_evaluation(c, service)
    files = folder_files(VENDORS / "wide" / "export")
    upload(c, service, evaluation, "Utan mappning", files)
    upload(c, service, evaluation, "Med mappning", files, (VENDORS / "wide" / "mapping.yaml").read_bytes())
    workbook = VENDORS / "workbook"
    upload(c, service, evaluation, "Arbetsbok", folder_files(workbook / "export"),
           (workbook / "mapping.yaml").read_bytes())
    without, mapped, book = wait(service, evaluation).vendors
    # drafted a mapping, so the verdict waits for its review (tests/test_serve_mapping.py)
    assert without.status == "done" and without.drafted and without.verdict == "provisional", without
    # the vendor's own file names are kept inside the stored zip, where the mapping's sources find them
    assert mapped.status == "done" and mapped.verdict is not None, mapped.message
    assert book.status == "done" and book.verdict is not None, book.message


def test_the_comparison_ranks_every_vendor_with_a_final_verdict(served, tmp_path):
    from conform.generator import generate

    c, service, _ = served
    evaluation = create_evaluation(c, service)
    for i, rate in enumerate([0.0, 0.05, 0.2]):
        export = tmp_path / f"v{i}"
        generate(export, persons=150, defects=rate, seed=3 + i)
        (export / "expected_findings.csv").unlink(missing_ok=True)
        upload(c, service, evaluation, f"Leverantör {i}", [("export.zip", zipped(export))])
    vendors = wait(service, evaluation).vendors
    assert [v.status for v in vendors] == ["done"] * 3
    table = c.get(f"/evaluations/{evaluation}/comparison.csv").text.splitlines()
    assert len(table) == 4 and table[1].split(",")[1] == "Leverantör 0"
    assert {v.verdict for v in vendors[1:]} == {"nonconformant"}


# -- the command ------------------------------------------------------------------------------------------------------

def test_serve_says_where_and_warns_of_another_address(tmp_path, monkeypatch):
    import uvicorn

    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: served.append(self.config))
    ran = CliRunner().invoke(main, ["serve", "--workdir", str(tmp_path / "w"), "--port", "9911"])
    assert ran.exit_code == 0, ran.output
    assert "http://127.0.0.1:9911/?token=" in ran.output and "nätverket" not in ran.output
    assert served[0].host == "127.0.0.1" and served[0].access_log is False
    ran = CliRunner().invoke(main, ["serve", "--workdir", str(tmp_path / "w"), "--host", "0.0.0.0"])
    assert "0.0.0.0" in ran.output and "nätverket" in ran.output
    # a new key at every start
    tokens = [line.split("token=")[1] for line in ran.output.splitlines() if "token=" in line]
    assert len(tokens) == 1 and len(tokens[0]) >= 40


def test_uploads_spool_to_the_temporary_folder_the_user_chose(tmp_path, monkeypatch):
    import tempfile

    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    monkeypatch.setattr(tempfile, "tempdir", None)
    chosen = tmp_path / "spill"
    chosen.mkdir()
    ran = CliRunner().invoke(main, ["serve", "--workdir", str(tmp_path / "w"), "--temp-dir", str(chosen)])
    assert ran.exit_code == 0, ran.output
    # where Starlette's form parser spools an upload beyond its first megabyte (tempfile.SpooledTemporaryFile)
    assert tempfile.gettempdir() == str(chosen)


def test_upload_names_lose_their_folders_but_never_climb():
    assert serve_store.upload_name("export/person.csv") == "person.csv"
    assert serve_store.upload_name("person.csv") == "person.csv"
    for name in ("", "../x.csv", "/x.csv", "a/../x.csv", "C:x.csv", "x\x00.csv"):
        with pytest.raises(serve_store.UploadRefused):
            serve_store.upload_name(name)


def test_the_work_folder_is_where_the_data_stays(checked):
    _, service, workdir, _, _ = checked
    assert service.store.root == Path(workdir).resolve()
    assert all(p.is_relative_to(workdir) for p in workdir.rglob("*"))


# -- downloads and the release comparison --------------------------------------------------------------------------

def test_the_violations_download_is_the_command_line_s_list_and_is_person_data(checked, tmp_path):
    import fastexcel

    c, service, workdir, evaluation, vendor = checked
    # a vendor with findings
    export = tmp_path / "defective"
    from conform.generator import generate

    generate(export, persons=120, defects=0.1, seed=4)
    (export / "expected_findings.csv").unlink()
    upload(c, service, evaluation, "Leverantör B", [("export.zip", zipped(export))])
    defective = wait(service, evaluation).vendors[1]
    page = c.get(f"/evaluations/{evaluation}").text
    assert f"/vendors/{defective.id}/violations.xlsx" in page
    response = c.get(f"/evaluations/{evaluation}/vendors/{defective.id}/violations.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    served = tmp_path / "served.xlsx"
    served.write_bytes(response.content)
    expected = tmp_path / "cli.xlsx"
    stored = service.store.export_path(service.store.load(evaluation), defective)
    ran = CliRunner().invoke(main, ["check", str(stored), "--as-of", AS_OF, "--violations", str(expected)])
    assert ran.exit_code == 1, ran.output

    def sheets(path):
        book = fastexcel.read_excel(str(path))
        return {name: book.load_sheet(name, dtypes="string").to_polars().rows() for name in book.sheet_names}

    assert sheets(served) == sheets(expected) and len(sheets(served)) > 0
    c.post(f"/evaluations/{evaluation}/delete-person-data", data={"csrf": service.csrf})
    assert c.get(f"/evaluations/{evaluation}/vendors/{defective.id}/violations.xlsx").status_code == 404
    assert "violations.xlsx" not in c.get(f"/evaluations/{evaluation}").text


def test_the_requirements_download_is_the_file_given_or_the_default(served):
    c, service, _ = served
    default = create_evaluation(c, service)
    expected = CliRunner().invoke(main, ["init-requirements", "--lang", "sv"]).output
    assert c.get(f"/evaluations/{default}/requirements.yaml").text == expected
    own = expected.replace("tolerance: 0", "tolerance: 0.02", 1).encode("utf-8")
    assert own != expected.encode("utf-8")
    given = create_evaluation(c, service, requirements=own)
    assert c.get(f"/evaluations/{given}/requirements.yaml").content == own


def _results(tmp_path) -> tuple[Path, Path]:
    from conform.generator import generate

    paths = []
    for name, rate in (("before", 0.0), ("after", 0.05)):
        export = tmp_path / name
        generate(export, persons=150, defects=rate, seed=9)
        (export / "expected_findings.csv").unlink(missing_ok=True)
        path = tmp_path / f"{name}.json"
        CliRunner().invoke(main, ["check", str(export), "--as-of", AS_OF, "--format", "json", "-o", str(path)])
        paths.append(path)
    return paths[0], paths[1]


def test_the_release_comparison_is_the_command_line_s_diff(served, tmp_path):
    c, service, _ = served
    before, after = _results(tmp_path)
    expected = tmp_path / "diff.html"
    CliRunner().invoke(main, ["diff", str(before), str(after), "--format", "html", "-o", str(expected)])
    files = {"before": ("before.json", before.read_bytes()), "after": ("after.json", after.read_bytes()),
             "csrf": (None, service.csrf)}
    shown = c.post("/releases/diff", files=files)
    assert shown.status_code == 200 and shown.headers["content-security-policy"] == DOCUMENT_POLICY
    assert shown.text == expected.read_text(encoding="utf-8").replace(str(before), "before.json").replace(
        str(after), "after.json")
    downloaded = c.post("/releases/diff", files=files | {"download": (None, "1")})
    assert "attachment" in downloaded.headers["content-disposition"] and downloaded.text == shown.text
    assert not list(service.store.root.glob(".result-*"))   # nothing of the results is kept
    assert "Jämför två versioner" in c.get("/releases").text


def test_a_release_comparison_of_a_file_that_is_no_result_names_the_file(served, tmp_path):
    c, service, _ = served
    before, _ = _results(tmp_path)
    files = {"before": ("before.json", before.read_bytes()), "after": ("nytt <b>.json", b"{not json"),
             "csrf": (None, service.csrf)}
    response = c.post("/releases/diff", files=files)
    assert response.status_code == 400
    assert "nytt &lt;b&gt;.json" in response.text and ".result-" not in response.text
    assert c.post("/releases/diff", files={"before": files["before"], "csrf": (None, service.csrf)}).status_code == 400
    assert c.post("/releases/diff", files={k: v for k, v in files.items() if k != "csrf"}).status_code == 403


def test_a_release_comparison_of_two_exports_is_the_diff_of_their_checks(served, tmp_path):
    c, service, _ = served
    _results(tmp_path)
    runner, zips = CliRunner(), []
    for name in ("before", "after"):   # the command line's check of each zip, then its diff
        zips.append(tmp_path / f"{name}.zip")
        zips[-1].write_bytes(zipped(tmp_path / name))
        runner.invoke(main, ["check", str(zips[-1]), "--as-of", AS_OF, "--format", "json", "-o",
                             str(tmp_path / f"{name}-zip.json")])
    expected = tmp_path / "diff.html"
    runner.invoke(main, ["diff", str(tmp_path / "before-zip.json"), str(tmp_path / "after-zip.json"), "--format",
                         "html", "-o", str(expected)])
    files = {"before": ("before.zip", zips[0].read_bytes()), "after": ("after.zip", zips[1].read_bytes()),
             "as_of": (None, AS_OF), "csrf": (None, service.csrf)}
    shown = c.post("/releases/diff", files=files)
    assert shown.status_code == 200, shown.text
    named = expected.read_text(encoding="utf-8")
    for path in (*zips, tmp_path / "before-zip.json", tmp_path / "after-zip.json"):
        named = named.replace(str(path), path.name.replace("-zip.json", ".zip"))
    assert shown.text == named
    assert not list(service.store.root.glob(".release-*"))   # the exports are not kept
    # an export in a vendor's shape is checked through the mapping sent with it
    wide = VENDORS / "wide"
    files = {"before": ("v1.zip", zipped(wide / "export")), "after": ("v2.zip", zipped(wide / "export")),
             "mapping": ("mapping.yaml", (wide / "mapping.yaml").read_bytes()), "as_of": (None, AS_OF),
             "csrf": (None, service.csrf)}
    same_release = c.post("/releases/diff", files=files)
    assert same_release.status_code == 200 and "v1.zip" in same_release.text
    refused = c.post("/releases/diff", files={k: v for k, v in files.items() if k != "mapping"})
    assert refused.status_code == 400 and "behöver en mappning" in refused.text
    assert str(service.store.root) not in refused.text and not list(service.store.root.glob(".release-*"))


def test_a_release_check_that_crashes_says_so_without_a_trace(served, tmp_path, monkeypatch):
    from conform import api

    c, service, _ = served

    def crash(*args, **kwargs):
        raise RuntimeError("191212121212 in a value")

    monkeypatch.setattr(api, "check", crash)
    files = {"before": ("v1.zip", zipped(EXAMPLE)), "after": ("v2.zip", zipped(EXAMPLE)),
             "csrf": (None, service.csrf)}
    response = c.post("/releases/diff", files=files)
    assert response.status_code == 400 and "191212121212" not in response.text
    assert not list(service.store.root.glob(".release-*"))
