"""Salted, non-reversible fingerprints of findings, so that `conform diff` compares two results record by record
for every listed finding (not only the 20 examples a result keeps per rule; all of a rule's findings up to
conform.model.MAX_LISTED) while the result identifies no one.

A finding's identity is its rule, table, record key, field, value and the value it was compared with (its row
number is left out: rows move between releases), plus its occurrence among identical findings, so that two
identical findings are two fingerprints. The fingerprint is keyed BLAKE2b (a MAC, RFC 7693) of that identity,
cut to 64 bits. Without the key, a fingerprint cannot be tested against a guessed person-ID: a plain hash could,
since every personnummer of a birth date can be enumerated in milliseconds.

The key: ``CONFORM_FINGERPRINT_KEY`` (a secret of at least 16 characters, e.g. a CI secret shared by the
releases a vendor compares), else a random key kept in ``CONFORM_FINGERPRINT_KEY_FILE`` or, by default, in
``$XDG_CONFIG_HOME/conform/fingerprint.key`` (made on first use, readable by its owner only). A result names its
key only by the key's own fingerprint (``key_id``), so `conform diff` can tell whether two results were made with
the same key and compares records only then.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import polars as pl

from conform.errors import UsageError

ALGORITHM = "blake2b-64"
IDENTITY = ("rule", "table", "key", "field", "value", "other")
_SEPARATOR = "\x1f"          # the ASCII unit separator: no value the readers keep contains it unescaped
MIN_SECRET = 16


def key() -> bytes:
    secret = os.environ.get("CONFORM_FINGERPRINT_KEY")
    if secret is not None:
        if len(secret) < MIN_SECRET:
            raise UsageError("key_short", length=len(secret), minimum=MIN_SECRET)
        return hashlib.blake2b(secret.encode("utf-8"), digest_size=32, person=b"conform-key").digest()
    path = key_file()
    try:
        _make_key_file(path)
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError("key_file_unwritable", path=path, detail=getattr(exc, "strerror", None) or exc) from exc
    try:
        material = bytes.fromhex(text)
    except ValueError:
        material = b""
    if len(material) < MIN_SECRET:
        raise UsageError("key_file_bad", path=path)
    return material


def _make_key_file(path: Path) -> None:
    """A new random key, readable by its owner only, unless the file exists: it is never overwritten, and a
    second process that lost the race to make it reads the first one's."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_hex(32) + "\n")


def key_file() -> Path:
    explicit = os.environ.get("CONFORM_FINGERPRINT_KEY_FILE")
    if explicit:
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "conform" / "fingerprint.key"


def key_id(material: bytes) -> str:
    """The key's own fingerprint: equal for equal keys, and telling nothing of the key."""
    return hashlib.blake2b(material, digest_size=8, person=b"conform-key-id").hexdigest()


def fingerprints(findings: pl.DataFrame, material: bytes) -> pl.Series:
    """One fingerprint (16 hexadecimal digits) per finding, in the findings' order."""
    if findings.is_empty():
        return pl.Series("fingerprint", [], dtype=pl.String)
    # The identity is one string per finding (vectorised); only the MAC itself runs per finding, in hashlib's C.
    key_or_row = pl.coalesce(pl.col("key").cast(pl.String), pl.lit("#") + pl.col("row").cast(pl.String))
    parts = [key_or_row.fill_null("") if c == "key" else pl.col(c).cast(pl.String).fill_null("") for c in IDENTITY]
    texts = (findings.lazy().select(identity=pl.concat_str(parts, separator=_SEPARATOR))
             .select(pl.concat_str("identity", pl.int_range(pl.len()).over("identity").cast(pl.String),
                                   separator=_SEPARATOR))
             .collect().to_series())
    mac = hashlib.blake2b
    return pl.Series("fingerprint", [mac(t.encode("utf-8"), key=material, digest_size=8).hexdigest()
                                     for t in texts.to_list()], dtype=pl.String)
