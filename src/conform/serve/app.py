"""The pages of `conform serve`: evaluations, vendors' uploads checked in the background, each vendor's report,
the comparison, and deleting the person data. Pages work without JavaScript (a running check's page reloads
itself every few seconds); every value is shown as text (Jinja2 autoescapes).

Nothing slow runs on the event loop: a page that only reads is a plain function (Starlette runs it in its thread
pool), and a form's slow steps (copying an upload, reading a result) are sent there, so that a PDF being made or
a large upload being stored never holds up another page.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from conform import api
from conform.catalogue import labels
from conform.errors import ConformError
from conform.input.mapping.spec import load_mapping
from conform.input.mapping.written import mapping_yaml
from conform.render.compare import compare, compare_csv, compare_html, load_result
from conform.render.diff import diff, diff_html
from conform.render.document import reworded
from conform.render.templates import environment
from conform.render.stored import stored_report
from conform.resources import TEMPLATES_DIR
from conform.render.document import build
from conform.result import fingerprint
from conform.serve.jobs import NEEDS_MAPPING, Checks, without_folder
from conform.serve.mapping_form import AS_WRITTEN, KEEP, digest, review_form, reviewed
from conform.serve.requirements_form import FormProblem, chosen, percent, rows
from conform.serve.security import DOCUMENT_POLICY, BodyLimit, TokenGate, TooLarge, same, too_large_response
from conform.serve.store import Evaluation, Store, UploadRefused, Vendor, store_upload, upload_name

LANGUAGES = ("sv", "en")
LANG_COOKIE = "conform_lang"
MAX_UPLOAD = 4 << 30
# A mapping review sends a few inputs per local value: a mapping of a thousand crosswalks must still be saved.
FORM_LIMITS = {"max_files": 10_000, "max_fields": 20_000, "max_part_size": 1 << 20}
NAME_LENGTH = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Service:
    """The state of one running page: the work folder, the checks, and the secrets of its forms."""

    def __init__(self, workdir: Path, lang: str = "sv", temp_dir: Path | None = None):
        self.store = Store(workdir)
        self.lang = lang
        self.checks = Checks(self.store, lang, temp_dir)
        self.checks.resume()
        self.csrf = secrets.token_urlsafe(32)

    def language(self, request: Request) -> str:
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        return asked if asked in LANGUAGES else self.lang

    def page(self, request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
        lang = self.language(request)
        words = labels(lang)["serve"]
        html = environment(True).get_template(f"serve/{template}").render(
            lang=lang, w=words, verdicts=labels(lang)["verdict_names"], csrf=self.csrf, path=request.url.path,
            other_lang=next(x for x in LANGUAGES if x != lang), **values)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", path="/")
        return response

    async def form(self, request: Request):
        try:
            form = await request.form(**FORM_LIMITS)
        except MultiPartException as error:
            raise HTTPException(400, str(error)) from None
        if not same(form.get("csrf") if isinstance(form.get("csrf"), str) else None, self.csrf):
            raise HTTPException(403, "CSRF")
        return form

    def evaluation(self, evaluation_id: str) -> Evaluation:
        evaluation = self.store.load(evaluation_id)
        if evaluation is None:
            raise HTTPException(404)
        return evaluation

    def vendor(self, request: Request) -> tuple[Evaluation, Vendor]:
        evaluation = self.evaluation(request.path_params["evaluation"])
        vendor = evaluation.vendor(request.path_params["vendor"])
        if vendor is None:
            raise HTTPException(404)
        return evaluation, vendor

    def stored_path(self, evaluation: Evaluation, vendor: Vendor) -> Path:
        path = self.store.result_path(evaluation, vendor)
        if vendor.status != "done" or not path.is_file():
            raise HTTPException(404)
        return path

    def stored(self, evaluation: Evaluation, vendor: Vendor) -> dict:
        return load_result(self.stored_path(evaluation, vendor))


def create_app(service: Service, token: str, max_upload: int = MAX_UPLOAD) -> Starlette:
    s = service

    def index(request: Request) -> Response:
        return s.page(request, "index.html.j2", evaluations=s.store.evaluations(), error=None)

    async def create(request: Request) -> Response:
        form = await s.form(request)
        name = _text(form.get("name"))
        as_of = _text(form.get("as_of")) or None
        requirements = await _content(form.get("requirements"))
        lang = s.language(request)
        problem = None
        if not name:
            problem = labels(lang)["serve"]["name_missing"]
        elif as_of is not None and not _is_date(as_of):
            problem = labels(lang)["serve"]["as_of_invalid"]
        elif requirements is not None:
            problem = await run_in_threadpool(_requirements_problem, requirements, s.store.root, lang)
        if problem is not None:
            return s.page(request, "index.html.j2", 400, evaluations=s.store.evaluations(), error=problem)
        evaluation = s.store.create(name, as_of, requirements)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    def show(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        return _evaluation_page(s, request, evaluation)

    async def add_vendor(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        form = await s.form(request)
        name = _text(form.get("name"))
        lang = s.language(request)
        uploads = [f for f in form.getlist("export") if isinstance(f, UploadFile) and f.filename]
        if not name:
            return _evaluation_page(s, request, evaluation, labels(lang)["serve"]["name_missing"], 400)
        mapping = await _content(form.get("mapping"))
        try:
            # copying a large upload into the work folder takes a while: off the event loop, as every slow step
            vendor = await run_in_threadpool(s.store.add_vendor, evaluation.id, name,
                                             [(f.filename, f.file) for f in uploads], mapping)
        except UploadRefused as refused:
            return _evaluation_page(s, request, evaluation, refused.text(lang), 400)
        s.checks.submit(evaluation.id, vendor.id)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    async def delete_person_data(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        await s.form(request)
        await run_in_threadpool(s.store.delete_person_data, evaluation.id)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    def report(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        page = _report_page(s, evaluation, vendor, s.language(request))[0]
        return HTMLResponse(page, headers={"content-security-policy": DOCUMENT_POLICY})

    def report_pdf(request: Request) -> Response:
        from conform.render.pdf import report_pdf as make_pdf

        evaluation, vendor = s.vendor(request)
        lang = s.language(request)
        page, document, rules = _report_page(s, evaluation, vendor, lang)
        attached = reworded(document, document["language"], rules, mask=True)
        data = make_pdf(page, json.dumps(attached, ensure_ascii=False, indent=2) + "\n", lang)
        return Response(data, media_type="application/pdf", headers=_download(f"{vendor.id}.pdf"))

    def result(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        path = s.stored_path(evaluation, vendor)
        return Response(path.read_bytes(), media_type="application/json", headers=_download(f"{vendor.id}.json"))

    def violations(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        path = s.store.violations_path(evaluation, vendor)
        if not path.is_file():
            raise HTTPException(404)
        return Response(path.read_bytes(), media_type=XLSX, headers=_download(f"{vendor.id}-violations.xlsx"))

    def requirements(request: Request) -> Response:
        from conform.input.requirements import init_requirements_yaml

        evaluation = s.evaluation(request.path_params["evaluation"])
        path = s.store.requirements(evaluation)
        text = (path.read_text(encoding="utf-8") if path is not None
                else init_requirements_yaml(api.load()[0], s.language(request)))
        return Response(text, media_type="application/yaml; charset=utf-8",
                        headers=_download(f"{evaluation.id}-requirements.yaml"))

    def requirements_form(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        return _requirements_page(s, request, evaluation, _current_requirements(s, evaluation))

    async def save_requirements(request: Request) -> Response:
        from conform.input.requirements import requirements_yaml

        evaluation = s.evaluation(request.path_params["evaluation"])
        form = await s.form(request)
        current = _current_requirements(s, evaluation)
        if evaluation.vendors:
            return _requirements_page(s, request, evaluation, current, status=409)
        lang = s.language(request)
        profile, _ = api.load()
        try:
            wanted = chosen(form, profile, current)
        except FormProblem as problem:
            words = labels(lang)["serve"]
            return _requirements_page(s, request, evaluation, current, words[problem.key].replace("{row}",
                                      problem.row), 400)
        text = requirements_yaml(profile, lang, wanted).encode("utf-8")
        problem = await run_in_threadpool(_requirements_problem, text, s.store.root, lang)
        if problem is not None:
            return _requirements_page(s, request, evaluation, wanted, problem, 400)
        if not s.store.set_requirements(evaluation.id, text):
            return _requirements_page(s, request, s.evaluation(evaluation.id), current, status=409)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    def mapping_review(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        return _mapping_page(s, request, evaluation, vendor)

    def mapping_file(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        path = s.store.mapping_path(evaluation, vendor)
        if path is None or not path.is_file():
            raise HTTPException(404)
        return Response(path.read_bytes(), media_type="application/yaml; charset=utf-8",
                        headers=_download(f"{vendor.id}-mapping.yaml"))

    async def save_mapping(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        form = await s.form(request)
        lang = s.language(request)
        words = labels(lang)["serve"]
        path = s.store.mapping_path(evaluation, vendor)
        if path is None:
            raise HTTPException(404)
        if vendor.status in ("queued", "checking") or vendor.export is None:
            return _mapping_page(s, request, evaluation, vendor, status=409)
        shown = form.get("sha")
        if shown != digest(path.read_bytes()):
            return _mapping_page(s, request, evaluation, vendor, words["mapping_stale"], 409)
        text, problem = await run_in_threadpool(_reviewed_mapping, s, evaluation, vendor, form, lang)
        if problem is not None:
            return _mapping_page(s, request, evaluation, vendor, problem, 400)
        # Written only if the mapping is still the one the form showed and no check has begun since: of two
        # forms sent at once, the second is refused rather than silently undoing the first.
        if not s.store.replace_mapping(evaluation.id, vendor.id, text, lambda current: digest(current) == shown):
            return _mapping_page(s, request, s.evaluation(evaluation.id), vendor, words["mapping_stale"], 409)
        s.checks.submit(evaluation.id, vendor.id)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    def releases(request: Request) -> Response:
        return s.page(request, "releases.html.j2", error=None)

    async def release_diff(request: Request) -> Response:
        form = await s.form(request)
        lang = s.language(request)
        words = labels(lang)["serve"]
        files = [form.get("before"), form.get("after")]
        if not all(isinstance(f, UploadFile) and f.filename for f in files):
            return s.page(request, "releases.html.j2", 400, error=words["releases_missing"])
        as_of = _text(form.get("as_of")) or None
        if as_of is not None and not _is_date(as_of):
            return s.page(request, "releases.html.j2", 400, error=words["as_of_invalid"])
        mapping = await _content(form.get("mapping"))
        try:
            before, after = [await _release(s, f, mapping, as_of, lang) for f in files]
        except ResultRefused as refused:
            return s.page(request, "releases.html.j2", 400, error=str(refused))
        try:
            d = await run_in_threadpool(diff, before, after, [upload_name_shown(f.filename) for f in files])
        except ConformError as error:   # results of different profiles
            return s.page(request, "releases.html.j2", 400, error=error.text(lang))
        headers = {"content-security-policy": DOCUMENT_POLICY}
        if form.get("download"):
            headers |= _download("diff.html")
        return HTMLResponse(await run_in_threadpool(diff_html, d, lang), headers=headers)

    def comparison(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        matrix = _matrix(s, evaluation)
        lang = s.language(request)
        if request.path_params.get("kind") == "csv":
            return Response(compare_csv(matrix, lang), media_type="text/csv; charset=utf-8",
                            headers=_download(f"{evaluation.id}.csv"))
        return HTMLResponse(compare_html(matrix, lang), headers={"content-security-policy": DOCUMENT_POLICY})

    def stylesheet(request: Request) -> Response:
        return Response((TEMPLATES_DIR / "serve" / "serve.css").read_text(encoding="utf-8"), media_type="text/css")

    async def refused(request: Request, error: HTTPException) -> Response:
        if error.status_code in (403, 404, 400):
            return s.page(request, "error.html.j2", error.status_code, code=error.status_code)
        return PlainTextResponse(str(error.detail), status_code=error.status_code)

    async def too_large(request: Request, error: TooLarge) -> Response:
        return too_large_response(max_upload)

    routes = [
        Route("/", index),
        Route("/evaluations", create, methods=["POST"]),
        Route("/evaluations/{evaluation}", show),
        Route("/evaluations/{evaluation}/vendors", add_vendor, methods=["POST"]),
        Route("/evaluations/{evaluation}/delete-person-data", delete_person_data, methods=["POST"]),
        Route("/evaluations/{evaluation}/comparison", comparison),
        Route("/evaluations/{evaluation}/comparison.{kind:str}", comparison),
        Route("/evaluations/{evaluation}/vendors/{vendor}/report", report),
        Route("/evaluations/{evaluation}/vendors/{vendor}/report.pdf", report_pdf),
        Route("/evaluations/{evaluation}/vendors/{vendor}/result.json", result),
        Route("/evaluations/{evaluation}/vendors/{vendor}/violations.xlsx", violations),
        Route("/evaluations/{evaluation}/vendors/{vendor}/mapping", mapping_review),
        Route("/evaluations/{evaluation}/vendors/{vendor}/mapping", save_mapping, methods=["POST"]),
        Route("/evaluations/{evaluation}/vendors/{vendor}/mapping.yaml", mapping_file),
        Route("/evaluations/{evaluation}/requirements.yaml", requirements),
        Route("/evaluations/{evaluation}/requirements", requirements_form),
        Route("/evaluations/{evaluation}/requirements", save_requirements, methods=["POST"]),
        Route("/releases", releases),
        Route("/releases/diff", release_diff, methods=["POST"]),
        Route("/serve.css", stylesheet),
    ]
    @asynccontextmanager
    async def lifespan(_app):
        yield
        s.checks.shutdown()  # a check under way is finished, not cut off half-written

    app = Starlette(routes=routes, exception_handlers={HTTPException: refused, TooLarge: too_large},
                    lifespan=lifespan)
    return TokenGate(BodyLimit(app, max_upload), token)


def _evaluation_page(s: Service, request: Request, evaluation: Evaluation, error: str | None = None,
                     status: int = 200) -> Response:
    lang = s.language(request)
    progress = {v.id: s.checks.progress(v.id) for v in evaluation.vendors}
    comparable = evaluation.final()
    listed = {v.id for v in evaluation.vendors if s.store.violations_path(evaluation, v).is_file()}
    return s.page(request, "evaluation.html.j2", status, evaluation=evaluation, progress=progress, error=error,
                  listed=listed, nouns=labels(lang)["html"]["table_nouns"],
                  running=any(v.status in ("queued", "checking") for v in evaluation.vendors),
                  comparable=comparable, folder=str(s.store.folder(evaluation.id)),
                  uploads=[v for v in evaluation.vendors if v.export is not None],
                  message=lambda v: v.message.get(lang, ""))


def _review_inputs(s: Service, evaluation: Evaluation, vendor: Vendor):
    """What the mapping review is made from: the mapping, the vendor's last result (None before one), the export's
    columns ({} once the person data is deleted) and the draft's notes ({} for a mapping the vendor sent)."""
    profile = api.load()[0]
    mapping = load_mapping(s.store.mapping_path(evaluation, vendor), profile)
    result = s.store.result_path(evaluation, vendor)
    document = load_result(result) if result.is_file() else None
    columns, notes = s.store.columns_path(evaluation, vendor), s.store.review_notes_path(evaluation, vendor)
    return (profile, mapping, document, json.loads(columns.read_text(encoding="utf-8")) if columns.is_file() else {},
            json.loads(notes.read_text(encoding="utf-8")) if notes.is_file() else {})


def _mapping_page(s: Service, request: Request, evaluation: Evaluation, vendor: Vendor, error: str | None = None,
                  status: int = 200) -> Response:
    lang = s.language(request)
    path = s.store.mapping_path(evaluation, vendor)
    if path is None or not path.is_file():
        raise HTTPException(404)
    try:
        profile, mapping, document, columns, notes = _review_inputs(s, evaluation, vendor)
    except ConformError as problem:   # a mapping the vendor sent that does not load: its message, no form
        error = error or without_folder(problem.text(lang), str(s.store.folder(evaluation.id, vendor.id)))
        return s.page(request, "mapping.html.j2", status, evaluation=evaluation, vendor=vendor, form=None,
                      error=error, left=None, sha="", locked=True)
    # what is left to review, once a check through this mapping has ended (0: the verdict is final)
    left = ((document["summary"].get("provisional") or {}).get("open_items", 0)
            if document and vendor.status == "done" else None)
    return s.page(request, "mapping.html.j2", status, evaluation=evaluation, vendor=vendor, error=error,
                  form=review_form(mapping, document, columns, notes, profile, lang), left=left,
                  sha=digest(path.read_bytes()), as_written=AS_WRITTEN, keep=KEEP,
                  locked=vendor.status in ("queued", "checking") or vendor.export is None)


def _reviewed_mapping(s: Service, evaluation: Evaluation, vendor: Vendor, form, lang: str) -> tuple[bytes, str | None]:
    """The mapping file a filled-in review form makes, and why it cannot be used (None when it can)."""
    try:
        profile, mapping, document, columns, _ = _review_inputs(s, evaluation, vendor)
    except ConformError as error:   # a mapping the vendor sent that does not load: the page shows no form for it
        return b"", without_folder(error.text(lang), str(s.store.folder(evaluation.id, vendor.id)))
    text = mapping_yaml(reviewed(form, mapping, document, columns, profile)).encode("utf-8")
    problem = _read_trial(text, "mapping.yaml", s.store.root, lambda path: load_mapping(path, profile), lang,
                          labels(lang)["serve"]["mapping_file"])[1]
    return text, problem


def _current_requirements(s: Service, evaluation: Evaluation):
    """The evaluation's requirements as the check reads them (the default ones without a file)."""
    from conform.input.requirements import load_requirements

    path = s.store.requirements(evaluation)
    if path is None:
        return None
    profile, rules = api.load()
    return load_requirements(path, profile, list(rules))


def _requirements_page(s: Service, request: Request, evaluation: Evaluation, current, error: str | None = None,
                       status: int = 200) -> Response:
    profile, rules = api.load()
    return s.page(request, "requirements.html.j2", status, evaluation=evaluation, error=error,
                  locked=bool(evaluation.vendors), form=rows(profile, rules, current), percent=percent)


def _report_page(s: Service, evaluation: Evaluation, vendor: Vendor, lang: str) -> tuple[str, dict, tuple]:
    document = s.stored(evaluation, vendor)
    loaded, rules = api.load(document["profile"]["name"])
    page, _ = stored_report(document, vendor.name, loaded, rules, lang, vendor=vendor.name)
    return page, document, rules


def _matrix(s: Service, evaluation: Evaluation) -> dict:
    """The comparison of the vendors whose verdict is final (a provisional one waits for its mapping review)."""
    vendors = evaluation.final()
    if not vendors:
        raise HTTPException(404)
    return compare([s.stored(evaluation, v) for v in vendors], names=[v.name for v in vendors],
                   sources=[v.name for v in vendors])


def _download(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"'}


def _text(value) -> str:
    return " ".join(value.split())[:NAME_LENGTH] if isinstance(value, str) else ""


async def _content(value) -> bytes | None:
    if isinstance(value, UploadFile) and value.filename:
        return await value.read()
    return None


class ResultRefused(Exception):
    """A result sent with a form that cannot be read, worded for the page."""


async def _uploaded_result(upload: UploadFile, root: Path, lang: str) -> dict:
    """A result document sent with a form, read and validated as `conform diff` reads a file; the message names the
    file as it was sent."""
    document, problem = await run_in_threadpool(_read_trial, await upload.read(), "result.json", root, load_result,
                                                lang, upload_name_shown(upload.filename))
    if problem is not None:
        raise ResultRefused(problem)
    return document


async def _release(s: Service, upload: UploadFile, mapping: bytes | None, as_of: str | None, lang: str) -> dict:
    """One side of a release comparison: a stored result (.json) as it is, or an export checked here and now."""
    if upload.filename.lower().endswith(".json"):
        return await _uploaded_result(upload, s.store.root, lang)
    return await run_in_threadpool(_checked_upload, s, upload, mapping, as_of, lang)


def _checked_upload(s: Service, upload: UploadFile, mapping: bytes | None, as_of: str | None, lang: str) -> dict:
    """The result document of an export sent with a form (through `mapping` where given), as `conform check
    --format json` writes it; the export is kept in a private folder of the work folder until it is checked, then
    removed: a release comparison keeps no person data."""
    folder = s.store.root / f".release-{secrets.token_hex(6)}"
    folder.mkdir()
    try:
        export = folder / store_upload(folder, [(upload.filename, upload.file)])
        mapping_path = None
        if mapping is not None:
            mapping_path = folder / "mapping.yaml"
            mapping_path.write_bytes(mapping)
        result = api.check(export, as_of=date.fromisoformat(as_of) if as_of else None, mapping=mapping_path,
                           temp_dir=s.checks.temp_dir)
        document = build(result, lang=lang, reveal_ids=False, fingerprint_key=fingerprint.key())
        # named as the browser sent them: the private folder is gone when the page is shown
        shown = upload_name_shown(upload.filename)
        document["export"]["path"] = shown
        member = f"{shown}:" if shown.lower().endswith(".zip") else ""   # one file was packed as export.zip
        for read in document["export"]["files"]:
            read["path"] = read["path"].replace(f"{export.name}:", member, 1)
        if document.get("mapping"):
            document["mapping"]["path"] = "mapping.yaml"
        return document
    except ConformError as error:   # a refused upload too
        if error.message.key in NEEDS_MAPPING:
            error = ConformError("serve_needs_mapping")
        shown = upload_name_shown(upload.filename)
        raise ResultRefused(without_folder(error.text(lang), str(folder)).replace("export.zip", shown)) from None
    except Exception as error:  # noqa: BLE001 - as a vendor's check: the page says it failed, the log its kind
        print(f"conform serve: a release's check failed ({type(error).__name__})", file=sys.stderr)
        raise ResultRefused(ConformError("serve_check_crashed").text(lang)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_trial(content: bytes, name: str, root: Path, read, lang: str, shown: str):
    """(what `read`, a loader that takes a path, makes of `content`, None), or (None, why it refused it, in `lang`
    and naming the file `shown`). The content is written to a private file of the work folder, removed after."""
    stem, suffix = name.split(".")
    trial = root / f".{stem}-{secrets.token_hex(6)}.{suffix}"
    trial.write_bytes(content)
    try:
        return read(trial), None
    except ConformError as error:
        return None, error.text(lang).replace(str(trial), shown)
    finally:
        trial.unlink(missing_ok=True)


def upload_name_shown(name: str) -> str:
    """A file name a browser sent, as a page shows it (the name only; one that climbs is shown as it is not)."""
    try:
        return upload_name(name)
    except UploadRefused:
        return "?"


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _requirements_problem(content: bytes, root: Path, lang: str) -> str | None:
    """Why a requirements file cannot be used (the message `check --requirements` gives), or None."""
    from conform.input.requirements import load_requirements

    profile, rules = api.load()
    return _read_trial(content, "requirements.yaml", root, lambda path: load_requirements(path, profile, list(rules)),
                       lang, labels(lang)["serve"]["requirements_file"])[1]


__all__ = ["Service", "create_app"]
