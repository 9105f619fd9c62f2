"""Driving `conform serve`'s pages in a test: a client holding the key, and the waits for a background check."""

from __future__ import annotations

import io
import re
import time
import warnings
import zipfile
from pathlib import Path

from conform.serve.app import MAX_UPLOAD, Service, create_app

TOKEN = "test-token-" + "x" * 20
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "fixtures" / "example"


def client(workdir: Path, lang: str = "sv", max_upload: int = MAX_UPLOAD, authorised: bool = True):
    """(TestClient, Service): a client that holds the key's cookie unless `authorised` is False."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

    service = Service(workdir, lang)
    test_client = TestClient(create_app(service, TOKEN, max_upload))
    if authorised:
        test_client.cookies.set("conform_token", TOKEN)
    return test_client, service


def create_evaluation(c, service: Service, name: str = "Upphandling 2026", as_of: str = "2025-06-30",
                      requirements: bytes | None = None) -> str:
    files = {"name": (None, name), "as_of": (None, as_of), "csrf": (None, service.csrf)}
    if requirements is not None:
        files["requirements"] = ("krav.yaml", requirements)
    response = c.post("/evaluations", files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def upload(c, service: Service, evaluation: str, name: str, files: list[tuple[str, bytes]],
           mapping: bytes | None = None, follow: bool = False):
    parts = [("export", (file_name, content)) for file_name, content in files]
    parts += [("name", (None, name)), ("csrf", (None, service.csrf))]
    if mapping is not None:
        parts.append(("mapping", ("mapping.yaml", mapping)))
    return c.post(f"/evaluations/{evaluation}/vendors", files=parts, follow_redirects=follow)


def folder_files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]


def zipped(folder: Path) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in folder_files(folder):
            archive.writestr(name, content)
    return data.getvalue()


def wait(service: Service, evaluation: str, timeout: float = 300.0):
    """The evaluation once no check of it is waiting or running."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        loaded = service.store.load(evaluation)
        if all(v.status in ("done", "failed") for v in loaded.vendors):
            return loaded
        time.sleep(0.1)
    raise AssertionError("the checks did not finish")


def links(page: str) -> list[str]:
    """Every address a page refers to (src, href, action)."""
    return re.findall(r'(?:src|href|action)="([^"]*)"', page)
