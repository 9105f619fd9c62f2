"""Private temporary folders (zip extraction, transcoded copies): never beside the input.

Each folder is made by :func:`tempfile.mkdtemp` (mode 0700) and removed by :func:`cleanup`, at the end of a
:func:`conform.input.readers.opened` block, or at interpreter exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

_LOCK = threading.Lock()
_LIVE: list[Path] = []


def private_dir(purpose: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"conform-{purpose}-"))
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
