"""Keys and links of the tables a draft found: an ID column where the file has one (by its heading, or as the
column of unique values that another table's file refers to), a link to the parent by the parent key's heading or
by its values, and otherwise a key derived from the columns that identify a record (drafting.yaml,
``identifying``) with the parent's key.
"""

from __future__ import annotations

import polars as pl

from conform.input.mapping.columns import Drafter
from conform.input.mapping.proposals import Drafted, Note
from conform.profile import Profile

LINKED = 0.9            # the share of a child's links found among the parent's keys, in the samples
KEY_SHARE = 0.98        # the share of a file's rows a column must fill with distinct values to be taken for its key


def find_keys(drafter: Drafter, profile: Profile, plan: dict, headers: dict[str, list[str]]) -> None:
    """Keys and links: an ID column where the file has one (by its heading, or as the column of unique values
    another table's file refers to by the same heading), else derived from identifying columns of its own file."""
    samples = drafter.samples
    for table in sorted(plan, key=lambda t: len(profile.parent_chain(t))):
        sid, fields = plan[table]
        spec = profile.tables[table]
        parent_key: Drafted | None = None
        if spec.foreign_key:
            fk, parent = spec.foreign_key
            if parent in plan:
                psid, pfields = plan[parent]
                parent_key = pfields.get(profile.tables[parent].primary_key)
                link = fields.get(fk)
                if parent_key is not None and parent_key.derive and set(parent_key.derive) <= set(headers[sid]):
                    fields[fk] = Drafted(spec.field(fk), derive=parent_key.derive, confidence=parent_key.confidence,
                                         why=Note("parent_derived", {"parent": parent}))
                elif parent_key is not None and parent_key.columns and \
                        (link is None or link.columns != parent_key.columns) and parent_key.columns[0] in headers[sid]:
                    fields[fk] = Drafted(spec.field(fk), parent_key.columns,
                                         confidence=min(0.9, parent_key.confidence),
                                         why=Note("parent_heading", {"parent": parent}))
                elif parent_key is not None and len(parent_key.columns) == 1 and link is None:
                    column = _linking(samples[psid][parent_key.columns[0]], samples[sid], fields)
                    if column is not None:
                        fields[fk] = Drafted(spec.field(fk), (column,), confidence=0.7,
                                             why=Note("parent_values", {"parent": parent}))
        pk = fields.get(spec.primary_key)
        if pk is None or pk.confidence < 0.6:
            if not spec.foreign_key:
                continue  # the top table's key is the person's ID: found in the file or nowhere
            referenced = _referenced(drafter, profile, plan, table, headers, samples)
            if referenced is not None:
                column, child = referenced
                fields[spec.primary_key] = Drafted(spec.field(spec.primary_key), (column,), confidence=0.7,
                                                   why=Note("referenced_key", {"child": child}))
                continue
            # The link to the parent as this file has it: a key can only be derived from the file's own columns.
            link = fields.get(spec.foreign_key[0])
            base = (link.derive or link.columns) if link is not None else ()
            own = tuple(c for n in drafter.hints.identifying.get(table, ()) if n in fields for c in fields[n].columns)
            derive = tuple(dict.fromkeys(base + own))
            if derive:
                fields[spec.primary_key] = Drafted(spec.field(spec.primary_key), derive=derive, confidence=0.7,
                                                   why=Note("derived_key"))


def _referenced(drafter: Drafter, profile: Profile, plan: dict, table: str, headers: dict[str, list[str]],
                samples: dict[str, pl.DataFrame]) -> tuple[str, str] | None:
    """(column, child table): a column of the table's file that no field uses, whose values are unique, and whose
    values a child table's (other) file holds in a column of its own, under the same heading or another: the way
    a key and the links to it look whatever they are called. Of several, the one whose heading is most like the
    key's names, then the one the child names alike; never the files' own row numbers."""
    sid, fields = plan[table]
    used = {c for d in fields.values() for c in (*d.columns, *d.derive)}
    key = profile.tables[table].primary_key
    found = []
    for child, (csid, cfields) in plan.items():
        foreign = profile.tables[child].foreign_key
        if not foreign or foreign[1] != table or csid == sid:
            continue
        child_used = {c for n, d in cfields.items() if n != foreign[0] for c in (*d.columns, *d.derive)}
        for column in headers[sid]:
            if column in used:
                continue
            # Nearly unique and nearly always there: an export under test may hold a few duplicated or missing
            # IDs, which the rules are there to report.
            values = samples[sid][column].drop_nulls()
            if values.len() < KEY_SHARE * samples[sid].height or values.n_unique() < KEY_SHARE * values.len():
                continue
            # A row ID unique in every file has the same heading everywhere, but a child's links point at its
            # parent's keys.
            for link in (c for c in headers[csid] if c not in child_used and _points_at(samples[csid][c], values)):
                found.append((drafter.vocab.heading_score(column, table, key), link == column, column, child))
    if not found:
        return None
    _, _, column, child = max(found, key=lambda f: f[:2])  # equal scores: the first column, as the file has them
    return column, child


def _linking(keys: pl.Series, sample: pl.DataFrame, fields: dict[str, Drafted]) -> str | None:
    """The one column of a file, used by no field, whose values are nearly all (:data:`LINKED`) among the parent's
    keys: the link, whatever its heading ("ParentDecisionNo")."""
    used = {c for d in fields.values() for c in (*d.columns, *d.derive)}
    found = [c for c, t in sample.schema.items() if t == pl.String and c not in used and _points_at(sample[c], keys)]
    return found[0] if len(found) == 1 else None


def _points_at(links: pl.Series, keys: pl.Series) -> bool:
    """Whether a column links to keys: nearly all (:data:`LINKED`) of its values are among them, and it does not
    just count its own rows (a file's numbering 1, 2, 3, ... is contained in a longer one by arithmetic)."""
    links = links.drop_nulls()
    if links.is_empty() or links.is_in(keys.drop_nulls().implode()).mean() < LINKED:
        return False
    return not _numbering(links)


def _numbering(values: pl.Series) -> bool:
    """Whether a column counts its rows: 1 to n (from 0 or 1), in any order."""
    numbers = values.cast(pl.Int64, strict=False)
    if numbers.null_count() or numbers.is_empty():
        return False
    low = numbers.min()
    return low in (0, 1) and numbers.n_unique() == numbers.len() and numbers.max() - low + 1 == numbers.len()
