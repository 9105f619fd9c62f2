from __future__ import annotations

from typing import Literal

from conform.check.kinds.base import Params, RuleKind

StructureCheck = Literal["missing_table", "missing_column", "missing_link_column", "unknown_column", "unreadable",
                         "ragged_row", "unreadable_row", "derived_alder"]


class StructureParams(Params):
    check: StructureCheck


class Structure(RuleKind):
    """Problems with the export's files rather than its values, found while reading them (conform.input.sources):

    - missing_table: no file for a table of the profile;
    - missing_column: a field of the profile missing from a file's header (a `;`-separated file read as one
      column shows here, with a hint);
    - missing_link_column: a field of no information set (a key, målgrupp) missing from a file's header;
    - unknown_column: a header column the profile does not know;
    - unreadable: a file that is not UTF-8 text or not CSV;
    - ragged_row: a data row with more or fewer fields than the header;
    - unreadable_row: a line whose quotes do not open and close whole fields, or longer than the limit (the
      line is not read);
    - derived_alder: the export has no `alder` column, so ages are derived from the person-IDs.
    """

    name = "structure"
    coded_other = True
    summary = "Export file structure"
    Params = StructureParams

    def table_checks(self, rule, ctx):
        return []
