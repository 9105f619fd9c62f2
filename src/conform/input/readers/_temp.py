"""Private temporary folders (zip extraction, transcoded copies, a mapped export's tables, a large export's
buckets): never beside the input.

Each folder is made by :func:`tempfile.mkdtemp` (mode 0700) in the system's temporary directory, or in the one the
user chose (:func:`under`: `--temp-dir`), and removed by :func:`cleanup`, at the end of a
:func:`conform.input.readers.opened` block, or at interpreter exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LOCK = threading.Lock()
_LIVE: list[Path] = []
# Where private folders are made (None: the system's temporary directory). One setting for the process, not a
# context variable: the readers make their folders in worker threads too.
_BASE: list[Path | None] = [None]


@contextmanager
def under(folder: Path | None) -> Iterator[None]:
    """Inside the block, private folders are made in `folder` (None: the system's temporary directory)."""
    before, _BASE[0] = _BASE[0], folder
    try:
        yield
    finally:
        _BASE[0] = before


def base() -> Path | None:
    """Where private folders are made now (None: the system's temporary directory)."""
    return _BASE[0]


def private_dir(purpose: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"conform-{purpose}-", dir=base()))
    with _LOCK:
        _LIVE.append(path)
    return path


def mark() -> int:
    with _LOCK:
        return len(_LIVE)


def cleanup(since: int = 0) -> None:
    """Remove the private folders made since `mark()` returned `since` (all of them by default)."""
    with _LOCK:
        doomed, _LIVE[since:] = _LIVE[since:], []
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(cleanup)
