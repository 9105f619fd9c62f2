"""`conform serve`: a local web page for the people who decide, on the user's own machine.

It binds to 127.0.0.1 unless told otherwise, loads nothing from the network, and holds the person data only in its
work folder (see :mod:`conform.serve.store`). The command line starts it (:func:`run`); the pages are
:mod:`conform.serve.app`, their safety :mod:`conform.serve.security`.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from conform.serve.app import MAX_UPLOAD, Service, create_app

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def address(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}"


def run(workdir: Path, host: str = "127.0.0.1", port: int = 8765, lang: str = "sv", max_upload: int = MAX_UPLOAD,
        temp_dir: Path | None = None, started=None) -> None:
    """Serve until interrupted. `started(url)` is called once the address is known (the command line prints it
    and may open a browser)."""
    import uvicorn

    if temp_dir is not None:
        # An upload the form parser holds beyond its first megabyte is spooled to a temporary file: to the
        # folder the user chose, as everything else this process writes for a while.
        tempfile.tempdir = str(temp_dir)
    token = secrets.token_urlsafe(32)
    service = Service(workdir, lang, temp_dir)
    app = create_app(service, token, max_upload)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    if started is not None:
        started(address(host, port, token))
    server.run()


__all__ = ["LOOPBACK", "address", "run"]
