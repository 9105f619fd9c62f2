"""The checks a page asks for, run one at a time on a worker thread, so that the page stays responsive.

One at a time because a check already uses both cores; what each has reached is kept for the page to show.
The result is the document `conform check --format json` writes, stored beside the upload.
"""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from conform import api
from conform.errors import ConformError
from conform.input.mapping.draft import draft, render_yaml
from conform.input.mapping.samples import column_samples
from conform.input.readers import temp_dir_under
from conform.model import Severity
from conform.personnummer import mask_text
from conform.render.document import build
from conform.render.violations import write_violations
from conform.result import fingerprint
from conform.serve.mapping_form import draft_notes
from conform.serve.store import Evaluation, Store, Vendor

# An export in a shape of the vendor's own: the page asks for its mapping instead of showing the reader's advice.
NEEDS_MAPPING = {"export_no_tables", "export_not_folder"}
LANGUAGES = ("sv", "en")


@dataclass(frozen=True)
class Reached:
    """How far a running check is: its step (a table, "read", "figures"), records checked and records in all."""

    step: str
    done: int
    total: int


class Checks:
    def __init__(self, store: Store, lang: str, temp_dir: Path | None = None):
        self.store, self.lang, self.temp_dir = store, lang, temp_dir
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conform-serve-check")
        self.reached: dict[str, Reached] = {}
        self.lock = threading.Lock()

    def submit(self, evaluation_id: str, vendor_id: str) -> Future:
        return self.pool.submit(self._run, evaluation_id, vendor_id)

    def resume(self) -> None:
        """Run again every check a stopped page left queued or cut off, so that none waits for ever."""
        for evaluation_id, vendor_id in self.store.waiting():
            self.submit(evaluation_id, vendor_id)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, evaluation_id: str, vendor_id: str) -> None:
        with self.store.modify(evaluation_id) as evaluation:
            vendor = evaluation.vendor(vendor_id)
            vendor.status = "checking"
        export = self.store.export_path(evaluation, vendor)
        changes: dict = {}
        try:
            if export is None:
                raise ConformError("serve_export_deleted")
            with temp_dir_under(self.temp_dir):
                result = self._checked(evaluation, vendor, export)
            document = build(result, lang=self.lang, reveal_ids=False, fingerprint_key=fingerprint.key())
            path = self.store.result_path(evaluation, vendor)
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            # The data owner's work list names every record in full: person data, kept beside the upload and
            # deleted with it.
            write_violations(result, self.store.violations_path(evaluation, vendor), self.lang,
                             profile=api.load(result.profile_name)[0])
            changes = {"status": "done", "verdict": document["summary"]["verdict"],
                       "exit_code": result.exit_code(Severity.ERROR)}
        except ConformError as error:
            if error.message.key in NEEDS_MAPPING:
                error = ConformError("serve_needs_mapping")
            words = {lang: error.text(lang) for lang in LANGUAGES}
            # The vendor's folder on this machine tells the reader nothing: the file's own name is enough.
            folder = str(self.store.folder(evaluation_id, vendor_id))
            changes = {"status": "failed",
                       "message": {lang: without_folder(text, folder) for lang, text in words.items()}}
        except Exception as error:  # noqa: BLE001 - a page must say a check failed, whatever the reason
            # Only the kind of error: a message or traceback could quote a value of the export.
            print(f"conform serve: a check failed ({type(error).__name__})", file=sys.stderr)
            changes = {"status": "failed",
                       "message": {lang: ConformError("serve_check_crashed").text(lang) for lang in LANGUAGES}}
        finally:
            with self.lock:
                self.reached.pop(vendor_id, None)
        with self.store.modify(evaluation_id) as evaluation:
            vendor = evaluation.vendor(vendor_id)
            for name, value in changes.items():
                setattr(vendor, name, value)

    def _checked(self, evaluation: Evaluation, vendor: Vendor, export: Path):
        """The check of the vendor's upload: through its mapping where it has one; an export in a shape of the
        vendor's own without one is first drafted a mapping, so that the page leads to its review (the verdict
        through a draft is provisional until a person has reviewed it)."""
        mapping = self.store.mapping_path(evaluation, vendor)
        if mapping is None:
            try:
                return self._check(evaluation, vendor, export, None)
            except ConformError as error:
                if error.message.key not in NEEDS_MAPPING:
                    raise
            mapping = self._draft(evaluation, vendor, export)
        self._columns(evaluation, vendor, export)
        return self._check(evaluation, vendor, export, mapping)

    def _check(self, evaluation: Evaluation, vendor: Vendor, export: Path, mapping: Path | None):
        return api.check(export, as_of=date.fromisoformat(evaluation.as_of) if evaluation.as_of else None,
                         progress=lambda step, done, total: self._reached(vendor.id, step, done, total),
                         mapping=mapping, requirements=self.store.requirements(evaluation), temp_dir=self.temp_dir)

    def _draft(self, evaluation: Evaluation, vendor: Vendor, export: Path) -> Path:
        """Draft a mapping of the export (`conform init-mapping`), with its notes in the page's languages."""
        self._reached(vendor.id, "draft", 0, 0)
        drafted = draft(export, api.load()[0])
        if not drafted.plan:  # nothing in it resembles a table of the standard: no draft to review
            raise ConformError("serve_needs_mapping")
        path = self.store.set_mapping(evaluation.id, vendor.id, render_yaml(drafted).encode("utf-8"), drafted=True)
        notes = draft_notes(drafted, LANGUAGES)
        self.store.review_notes_path(evaluation, vendor).write_text(json.dumps(notes, ensure_ascii=False) + "\n",
                                                                   encoding="utf-8")
        # the draft has read the columns the review shows: they are not read again
        self.store.columns_path(evaluation, vendor).write_text(json.dumps(drafted.columns, ensure_ascii=False)
                                                               + "\n", encoding="utf-8")
        return path

    def _columns(self, evaluation: Evaluation, vendor: Vendor, export: Path) -> None:
        """The export's columns with their common values, for the mapping review (person data: under upload/)."""
        path = self.store.columns_path(evaluation, vendor)
        if not path.is_file():
            path.write_text(json.dumps(column_samples(export), ensure_ascii=False) + "\n", encoding="utf-8")

    def _reached(self, vendor_id: str, step: str, done: int, total: int) -> None:
        with self.lock:
            self.reached[vendor_id] = Reached(step, done, total)

    def progress(self, vendor_id: str) -> Reached | None:
        with self.lock:
            return self.reached.get(vendor_id)


def without_folder(text: str, folder: str) -> str:
    """A message as the page shows it: without the vendor's folder on this machine, and with any person-ID in it
    (a heading or a value the message quotes) masked, as the command line masks its messages."""
    return mask_text(text.replace(folder + "/upload/", "").replace(folder + "/", ""))
