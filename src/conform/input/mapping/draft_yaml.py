"""The draft as the mapping file a person reviews: YAML in the form of docs/mapping.md, its evidence in English
comments (each field's and crosswalk's confidence and basis, ``REVIEW`` where it is below
:data:`~conform.input.mapping.proposals.REVIEW_BELOW`).

Written line by line, not by a YAML library, because the comments are the point of the file and its bytes must
stay as they are: a library places an end-of-line comment at a column of its own rather than two spaces after
the value, and escapes some characters otherwise (U+2028, U+FEFF, control characters). Every value is quoted as
JSON, which YAML reads as a double-quoted scalar.
"""

from __future__ import annotations

import json

from conform import __version__, clock
from conform.catalogue import labels
from conform.input.mapping.proposals import REVIEW_BELOW, Draft, Drafted


def render_yaml(draft: Draft) -> str:
    """The draft as the mapping file a person reviews, its evidence in English comments."""
    export, profile, plan = draft.export, draft.profile, draft.plan
    out = [
        f"# Draft mapping made by `conform init-mapping` (conform {__version__}, "
        f"{clock.today().isoformat()}) from {export.name}.",
        f"# Every guess carries its confidence (0-1); lines marked REVIEW are below {REVIEW_BELOW}. Check them,",
        "# and the list under `unmapped`, then run: conform check EXPORT --mapping THIS_FILE",
        "# The format is described in docs/mapping.md and schemas/mapping.schema.json.",
        "conform_mapping: 1",
        f"profile: {_q(profile.name)}",
        f"vendor: {_q(export.stem)}",
        "# Until a person has reviewed this draft, every verdict through it is preliminary (preliminär) and exit",
        "# code 3: delete each `review:` line once its field is checked, each item under `unmapped` once it is",
        "# settled, and then this `draft` line.",
        "draft: true",
        "tables:",
    ]
    for table in profile.tables:
        if table not in plan:
            continue
        sid, fields = plan[table]
        out += [f"  {table}:", f"    source: {_q(sid)}", "    fields:"]
        for f in profile.tables[table].fields:
            d = fields.get(f.name)
            if d is None:
                continue
            flag = "  # REVIEW" if d.confidence < REVIEW_BELOW else ""
            out.append(f"      {f.name}:{flag}  # {d.why.text() if d.why else ''}")
            if d.derive:
                out.append(f"        derive: [{', '.join(_q(c) for c in d.derive)}]")
            elif len(d.columns) > 1:
                out.append(f"        columns: [{', '.join(_q(c) for c in d.columns)}]")
            else:
                out.append(f"        column: {_q(d.columns[0])}")
            if d.date_format:
                out.append(f"        date_format: {_q(d.date_format)}")
            if d.delimiter:
                out.append(f"        delimiter: {_q(d.delimiter)}")
            if d.values:
                out.append("        values:")
                for local, c in d.values.items():
                    flag = "REVIEW " if c.confidence < REVIEW_BELOW else ""
                    out.append(f"          {_q(local)}: {_q(c.standard)}  # {flag}{c.confidence:.2f} "
                               f"({c.basis.text()})")
            if d.code_texts:
                out.append("        code_texts:  # the export's code table: codes it explains that no crosswalk covers")
                out += [f"          {_q(code)}: {_q(text)}" for code, text in d.code_texts.items()]
            out.append(f"        confidence: {d.confidence:.2f}")
            reasons = review_reasons(d)
            if reasons:
                out.append(f"        review: {_q('; '.join(reasons))}")
    out.append("unmapped:" if draft.unmapped else "unmapped: []")
    out += [f"  - {_q(u.text())}" for u in draft.unmapped]
    return "\n".join(out) + "\n"


def review_reasons(d: Drafted, lang: str = "en", names: dict[str, str] | None = None) -> list[str]:
    """Why a person must look at the drafted field `d` (none when the draft is sure of it and of its crosswalks),
    in `lang`; the file's ``review:`` line in English, a page in the reader's language (`names`: Note.text's)."""
    words = labels(lang)["draft"]
    reasons = ([d.why.text(lang, names)] if d.confidence < REVIEW_BELOW and d.why else
               [words["a_guess"]] if d.confidence < REVIEW_BELOW else [])
    return reasons + [words["crosswalk_reason"].format(local=_q(local), standard=_q(c.standard),
                                                       basis=c.basis.text(lang, names))
                      for local, c in (d.values or {}).items() if c.confidence < REVIEW_BELOW]


def _q(text: str) -> str:
    """`text` as a double-quoted YAML scalar: JSON's quoting, which YAML reads the same."""
    return json.dumps(text, ensure_ascii=False)
