"""The pages of `conform serve`: evaluations, vendors' uploads checked in the background, each vendor's report,
the comparison, and deleting the person data. Pages work without JavaScript (a running check's page reloads
itself every few seconds); every value is shown as text (Jinja2 autoescapes).
"""

from __future__ import annotations

import json
import secrets
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from conform import api
from conform.catalogue import labels
from conform.errors import ConformError
from conform.render.compare import compare, compare_csv, compare_html, load_result
from conform.render.document import reworded
from conform.render.templates import environment
from conform.render.stored import stored_report
from conform.resources import TEMPLATES_DIR
from conform.serve.jobs import Checks
from conform.serve.security import DOCUMENT_POLICY, BodyLimit, TokenGate, TooLarge, same, too_large_response
from conform.serve.store import Evaluation, Store, UploadRefused, Vendor

LANGUAGES = ("sv", "en")
LANG_COOKIE = "conform_lang"
MAX_UPLOAD = 4 << 30
FORM_LIMITS = {"max_files": 10_000, "max_fields": 50, "max_part_size": 1 << 20}
NAME_LENGTH = 200


class Service:
    """The state of one running page: the work folder, the checks, and the secrets of its forms."""

    def __init__(self, workdir: Path, lang: str = "sv", temp_dir: Path | None = None):
        self.store = Store(workdir)
        self.lang = lang
        self.checks = Checks(self.store, lang, temp_dir)
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

    def stored(self, evaluation: Evaluation, vendor: Vendor) -> dict:
        path = self.store.result_path(evaluation, vendor)
        if vendor.status != "done" or not path.is_file():
            raise HTTPException(404)
        return load_result(path)


def create_app(service: Service, token: str, max_upload: int = MAX_UPLOAD) -> Starlette:
    s = service

    async def index(request: Request) -> Response:
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
            problem = _requirements_problem(requirements, s.store.root, lang)
        if problem is not None:
            return s.page(request, "index.html.j2", 400, evaluations=s.store.evaluations(), error=problem)
        evaluation = s.store.create(name, as_of, requirements)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    async def show(request: Request) -> Response:
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
            vendor = s.store.add_vendor(evaluation.id, name, [(f.filename, f.file) for f in uploads], mapping)
        except UploadRefused as refused:
            return _evaluation_page(s, request, evaluation, refused.text(lang), 400)
        s.checks.submit(evaluation.id, vendor.id)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    async def delete_person_data(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        await s.form(request)
        s.store.delete_person_data(evaluation.id)
        return RedirectResponse(f"/evaluations/{evaluation.id}", status_code=303)

    async def report(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        page = _report_page(s, evaluation, vendor, s.language(request))[0]
        return HTMLResponse(page, headers={"content-security-policy": DOCUMENT_POLICY})

    async def report_pdf(request: Request) -> Response:
        from conform.render.pdf import report_pdf as make_pdf

        evaluation, vendor = s.vendor(request)
        lang = s.language(request)
        page, document, rules = _report_page(s, evaluation, vendor, lang)
        attached = reworded(document, document["language"], rules, mask=True)
        data = make_pdf(page, json.dumps(attached, ensure_ascii=False, indent=2) + "\n", lang)
        return Response(data, media_type="application/pdf", headers=_download(f"{vendor.id}.pdf"))

    async def result(request: Request) -> Response:
        evaluation, vendor = s.vendor(request)
        path = s.store.result_path(evaluation, vendor)
        s.stored(evaluation, vendor)
        return Response(path.read_bytes(), media_type="application/json", headers=_download(f"{vendor.id}.json"))

    async def comparison(request: Request) -> Response:
        evaluation = s.evaluation(request.path_params["evaluation"])
        matrix = _matrix(s, evaluation)
        lang = s.language(request)
        if request.path_params.get("kind") == "csv":
            return Response(compare_csv(matrix, lang), media_type="text/csv; charset=utf-8",
                            headers=_download(f"{evaluation.id}.csv"))
        return HTMLResponse(compare_html(matrix, lang), headers={"content-security-policy": DOCUMENT_POLICY})

    async def stylesheet(request: Request) -> Response:
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
    comparable = [v for v in evaluation.vendors if v.status == "done" and v.verdict != "provisional"]
    return s.page(request, "evaluation.html.j2", status, evaluation=evaluation, progress=progress, error=error,
                  running=any(v.status in ("queued", "checking") for v in evaluation.vendors),
                  comparable=comparable, folder=str(s.store.folder(evaluation.id)),
                  uploads=[v for v in evaluation.vendors if v.export is not None],
                  message=lambda v: v.message.get(lang, ""))


def _report_page(s: Service, evaluation: Evaluation, vendor: Vendor, lang: str) -> tuple[str, dict, tuple]:
    document = s.stored(evaluation, vendor)
    loaded, rules = api.load(document["profile"]["name"])
    page, _ = stored_report(document, vendor.name, loaded, rules, lang, vendor=vendor.name)
    return page, document, rules


def _matrix(s: Service, evaluation: Evaluation) -> dict:
    """The comparison of the vendors whose verdict is final (a provisional one waits for its mapping review)."""
    vendors = [v for v in evaluation.vendors if v.status == "done" and v.verdict != "provisional"]
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


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _requirements_problem(content: bytes, root: Path, lang: str) -> str | None:
    """Why a requirements file cannot be used (the message `check --requirements` gives), or None."""
    from conform.input.requirements import load_requirements

    trial = root / f".requirements-{secrets.token_hex(6)}.yaml"
    trial.write_bytes(content)
    try:
        profile, rules = api.load()
        load_requirements(trial, profile, list(rules))
    except ConformError as error:
        return error.text(lang).replace(str(trial), labels(lang)["serve"]["requirements_file"])
    finally:
        trial.unlink(missing_ok=True)
    return None


__all__ = ["Service", "create_app"]
