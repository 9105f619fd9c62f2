"""What `conform serve` keeps on disk: evaluations, and per vendor the upload and the result, under one work folder.

Nothing is stored under a name taken from an upload. Folders are named by random ids and every upload is stored
as ``export.zip``: a zip as it came, any other file or files packed into one, whose member names the readers'
guards then judge as they judge any archive's (zip-slip, zip bombs, symlinks). The person data is the
upload alone: deleting it keeps each result, from which every report is rendered again.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from conform.clock import timestamp
from conform.errors import ConformError

ID = re.compile(r"[0-9a-f]{12}")
# What a single upload may be; several files are packed into a zip whatever their kind.
SINGLE = {".zip", ".xlsx", ".csv", ".txt", ".parquet", ".jsonl", ".json"}
RESULT = "result.json"


class UploadRefused(ConformError):
    """An upload that is not stored: its name climbs out of where it would go, or its kind is not an export's."""


@dataclass
class Vendor:
    id: str
    name: str
    status: str = "queued"           # queued, checking, done, failed
    message: dict[str, str] = field(default_factory=dict)   # why it failed, per language
    verdict: str | None = None
    exit_code: int | None = None
    export: str | None = None        # the stored upload's file name, None once the person data is deleted
    mapping: bool = False
    drafted: bool = False            # the mapping is the page's own draft
    created: str = ""


@dataclass
class Evaluation:
    id: str
    name: str
    as_of: str | None = None
    requirements: bool = False
    created: str = ""
    vendors: list[Vendor] = field(default_factory=list)

    def vendor(self, vendor_id: str) -> Vendor | None:
        return next((v for v in self.vendors if v.id == vendor_id), None)

    def final(self) -> list[Vendor]:
        """The vendors checked with a final verdict (a provisional one waits for its mapping review)."""
        return [v for v in self.vendors if v.status == "done" and v.verdict != "provisional"]


class Store:
    """The work folder: ``evaluations/<id>/evaluation.json``, ``requirements.yaml`` and, per vendor,
    ``vendors/<id>/upload/`` (the person data: the export and the violations list), ``mapping.yaml`` and
    ``result.json``."""

    def __init__(self, workdir: Path):
        self.root = Path(workdir).resolve()
        (self.root / "evaluations").mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()  # the pages and the worker thread both change an evaluation

    @contextmanager
    def modify(self, evaluation_id: str) -> Iterator[Evaluation]:
        """``with store.modify(id) as evaluation:`` change it; saved when the block ends."""
        with self.lock:
            evaluation = self.load(evaluation_id)
            if evaluation is None:
                raise KeyError(evaluation_id)
            yield evaluation
            self.save(evaluation)

    def folder(self, evaluation_id: str, vendor_id: str | None = None) -> Path:
        if not ID.fullmatch(evaluation_id) or (vendor_id is not None and not ID.fullmatch(vendor_id)):
            raise KeyError(evaluation_id)
        folder = self.root / "evaluations" / evaluation_id
        return folder if vendor_id is None else folder / "vendors" / vendor_id

    def evaluations(self) -> list[Evaluation]:
        found = [self.load(p.name) for p in sorted((self.root / "evaluations").iterdir()) if ID.fullmatch(p.name)]
        return sorted((e for e in found if e is not None), key=lambda e: e.created)

    def load(self, evaluation_id: str) -> Evaluation | None:
        try:
            path = self.folder(evaluation_id) / "evaluation.json"
        except KeyError:
            return None
        if not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["vendors"] = [Vendor(**v) for v in raw.get("vendors", [])]
        return Evaluation(**raw)

    def save(self, evaluation: Evaluation) -> None:
        path = self.folder(evaluation.id) / "evaluation.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, (json.dumps(asdict(evaluation), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))

    def create(self, name: str, as_of: str | None, requirements: bytes | None) -> Evaluation:
        evaluation = Evaluation(secrets.token_hex(6), name, as_of, requirements is not None, timestamp())
        folder = self.folder(evaluation.id)
        folder.mkdir(parents=True)
        if requirements is not None:
            (folder / "requirements.yaml").write_bytes(requirements)
        self.save(evaluation)
        return evaluation

    def set_requirements(self, evaluation_id: str, content: bytes) -> bool:
        """Write the evaluation's requirements, unless a vendor has been added (then False): every vendor of an
        evaluation is judged by the same requirements."""
        with self.modify(evaluation_id) as evaluation:
            if evaluation.vendors:
                return False
            (self.folder(evaluation_id) / "requirements.yaml").write_bytes(content)
            evaluation.requirements = True
            return True

    def requirements(self, evaluation: Evaluation) -> Path | None:
        return self.folder(evaluation.id) / "requirements.yaml" if evaluation.requirements else None

    def add_vendor(self, evaluation_id: str, name: str, files: list[tuple[str, bytes | BinaryIO]],
                   mapping: bytes | None) -> Vendor:
        """Store a vendor's upload (`files`: the names the browser gave and their content) and its mapping."""
        vendor = Vendor(secrets.token_hex(6), name, mapping=mapping is not None, created=timestamp())
        folder = self.folder(evaluation_id, vendor.id)
        (folder / "upload").mkdir(parents=True)
        try:
            vendor.export = store_upload(folder / "upload", files)
        except UploadRefused:
            shutil.rmtree(folder)
            raise
        if mapping is not None:
            (folder / "mapping.yaml").write_bytes(mapping)
        with self.modify(evaluation_id) as evaluation:
            evaluation.vendors.append(vendor)
        return vendor

    def export_path(self, evaluation: Evaluation, vendor: Vendor) -> Path | None:
        if vendor.export is None:
            return None
        return self.folder(evaluation.id, vendor.id) / "upload" / vendor.export

    def mapping_path(self, evaluation: Evaluation, vendor: Vendor) -> Path | None:
        return self.folder(evaluation.id, vendor.id) / "mapping.yaml" if vendor.mapping else None

    def set_mapping(self, evaluation_id: str, vendor_id: str, content: bytes, drafted: bool = False) -> Path:
        """Write the vendor's mapping (a draft of the page's own, or one a person has reviewed)."""
        path = self.folder(evaluation_id, vendor_id) / "mapping.yaml"
        _replace(path, content)
        with self.modify(evaluation_id) as evaluation:
            vendor = evaluation.vendor(vendor_id)
            vendor.mapping = True
            vendor.drafted = vendor.drafted or drafted
        return path

    def replace_mapping(self, evaluation_id: str, vendor_id: str, content: bytes, unchanged) -> bool:
        """Write a reviewed mapping and mark the vendor to be checked again, in one step, only if the vendor is
        not being checked, still has its upload, and `unchanged(current mapping's bytes)` holds; else False."""
        with self.modify(evaluation_id) as evaluation:
            vendor = evaluation.vendor(vendor_id)
            path = self.folder(evaluation_id, vendor_id) / "mapping.yaml"
            if vendor.status in ("queued", "checking") or vendor.export is None or not unchanged(path.read_bytes()):
                return False
            _replace(path, content)
            vendor.status, vendor.verdict, vendor.exit_code, vendor.message = "queued", None, None, {}
            return True

    def waiting(self) -> list[tuple[str, str]]:
        """(evaluation, vendor) of every check queued or under way: after a restart, the checks to run again."""
        return [(e.id, v.id) for e in self.evaluations() for v in e.vendors if v.status in ("queued", "checking")]

    def review_notes_path(self, evaluation: Evaluation, vendor: Vendor) -> Path:
        """The draft's notes in the page's languages (mapping_form.draft_notes), beside the mapping."""
        return self.folder(evaluation.id, vendor.id) / "review-notes.json"

    def columns_path(self, evaluation: Evaluation, vendor: Vendor) -> Path:
        """The export's columns with their common values (masked), for the mapping review: person data."""
        return self.folder(evaluation.id, vendor.id) / "upload" / "columns.json"

    def violations_path(self, evaluation: Evaluation, vendor: Vendor) -> Path:
        """Every finding with its record named in full (`check --violations`): person data, under upload/."""
        return self.folder(evaluation.id, vendor.id) / "upload" / "violations.xlsx"

    def result_path(self, evaluation: Evaluation, vendor: Vendor) -> Path:
        return self.folder(evaluation.id, vendor.id) / RESULT

    def delete_person_data(self, evaluation_id: str) -> int:
        """Remove every upload of the evaluation; the results stay. Returns how many were removed. A vendor
        still waiting for its check is left as it is (the check would find nothing to read)."""
        removed = 0
        with self.modify(evaluation_id) as evaluation:
            for vendor in evaluation.vendors:
                if vendor.status in ("queued", "checking"):
                    continue
                upload = self.folder(evaluation.id, vendor.id) / "upload"
                if upload.exists():
                    shutil.rmtree(upload)
                    removed += 1
                vendor.export = None
        return removed


def upload_name(name: str) -> str:
    """The file name a browser gave, without the folders a folder upload puts before it; refuses a name that is
    absolute or climbs with ``..`` (no browser sends one: such a request was made by hand)."""
    text = name.replace("\\", "/")
    parts = PurePosixPath(text).parts
    if not text or text.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", text) or "\x00" in text:
        raise UploadRefused("serve_upload_name")
    return parts[-1]


def store_upload(folder: Path, files: list[tuple[str, bytes | BinaryIO]]) -> str:
    """A zip as it came, as ``export.zip``; any other file or files packed into ``export.zip`` under the names the
    browser gave them, so that a mapping finds its sources (``socialtjanst_export.csv``, ``system.xlsx:Beslut``)."""
    names = [upload_name(name) for name, _ in files]
    if not names:
        raise UploadRefused("serve_upload_none")
    target = folder / "export.zip"
    if len(names) == 1:
        suffix = PurePosixPath(names[0]).suffix.lower()
        if suffix not in SINGLE:
            raise UploadRefused("serve_upload_kind", suffixes=" ".join(sorted(SINGLE)))
        if suffix == ".zip":
            _write(target, files[0][1])
            return target.name
    if len(set(names)) != len(names):
        raise UploadRefused("serve_upload_twice")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, (_, content) in zip(names, files, strict=True):
            if isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                with archive.open(name, "w", force_zip64=True) as member:
                    shutil.copyfileobj(content, member, 1 << 20)
    return target.name


def _replace(path: Path, content: bytes) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(content)
    temporary.replace(path)  # a reader never sees half a file


def _write(target: Path, content: bytes | BinaryIO) -> None:
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        with target.open("wb") as out:
            shutil.copyfileobj(content, out, 1 << 20)
