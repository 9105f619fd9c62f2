from __future__ import annotations

from typing import Literal

import polars as pl

from conform.check.kinds.allowed_values import with_other_forms
from conform.check.kinds.base import Params, RowCheck, RuleKind, field_problems

Check = Literal["unknown_code", "unknown_name", "own_wording", "other_information", "combined_code", "over_category",
                "code_name_mismatch", "outside_area"]


class KsiCodeParams(Params):
    check: Check
    table: str = "insats"
    code_field: str = "insats_kod"
    name_field: str = "insats"


class KsiCode(RuleKind):
    """Checks of an Insats given as a KSI code, a name, or both, against the profile's `insats` value set (the
    spec's Insats tables per KSI area) and `ksi_andra_koder` (the KSI codes the spec says belong to other
    information, some of which code an Insats together with lagrum or utförarform).

    - unknown_code: the code is in neither table.
    - unknown_name: the name is not in the value set, and no code says which Insats it is (no code, or one
      that codes no Insats): the spec allows names of one's own only beside a KSI code.
    - own_wording: a code that codes an Insats, with a name of the system's own that is no Insats's name.
    - other_information: the code is lagrum/beslut information (e.g. YAC.10.15), not an Insats.
    - combined_code: the code codes an Insats together with utförarform or lagrum (e.g. YAC.45.ZZ for HVB).
    - over_category: the code or name is an over-category where the spec asks for the sub-level.
    - code_name_mismatch: code and name both given and they name different Insatser.
    - outside_area: the Insats belongs to a KSI area other than the target group's (malgrupp.ksi_omraden).
    """

    name = "ksi_code"
    summary = "Insats / KSI code check"
    Params = KsiCodeParams

    def table_checks(self, rule, ctx):
        p: KsiCodeParams = rule.params
        insats = ctx.profile.value_set("insats")
        other = ctx.profile.value_set("ksi_andra_koder")
        code, name = ctx.raw(p.code_field), ctx.raw(p.name_field)
        coded = insats.filter(pl.col("kod").is_not_null())
        code_to_name = dict(zip(coded["kod"], coded["insats"])) | {
            k: v for k, v in zip(other["kod"], other["insats"]) if v}
        code_to_area = dict(zip(coded["kod"], coded["omrade"])) | dict(zip(other["kod"], other["omrade"]))
        name_to_area = dict(zip(insats["insats"], insats["omrade"]))
        if p.check in ("unknown_name", "own_wording"):
            # Both rules ask the same two questions of every record: asked once per view.
            coded = ctx.computed("insats_coded", code.is_in(list(code_to_name)).fill_null(False))
            # The standard's names, and the local sub-values the municipality declared for Insats.
            names = with_other_forms(list(name_to_area) + list(ctx.practice.local_values.get("insats", {})))
            own_name = ctx.computed("insats_own_name", name.is_not_null() & ~name.is_in(names))
            if p.check == "unknown_name":
                return [RowCheck(own_name & ~coded, p.name_field, name)]
            return [RowCheck(own_name & coded, p.name_field, name, code.replace_strict(code_to_name, default=None))]
        if p.check == "unknown_code":
            return [RowCheck(code.is_not_null() & ~code.is_in(list(code_to_area)), p.code_field, code)]
        if p.check in ("other_information", "combined_code"):
            wanted = other.filter(pl.col("insats").is_null() == (p.check == "other_information"))
            label = code.replace_strict(
                dict(zip(other["kod"], other["ksi_namn"])), default=None)
            return [RowCheck(code.is_in(wanted["kod"].to_list()), p.code_field, code, label)]
        if p.check == "over_category":
            over = insats.filter(pl.col("typ") == "overkategori")
            by_code = code.is_in([k for k in over["kod"].to_list() if k])
            by_name = code.is_null() & name.is_in(over["insats"].to_list())
            return [RowCheck(by_code, p.code_field, code), RowCheck(by_name, p.name_field, name)]
        if p.check == "code_name_mismatch":
            named = code.replace_strict(code_to_name, default=None)
            mask = name.is_in(list(name_to_area)) & named.is_not_null() & (named != name)
            return [RowCheck(mask, p.name_field, name, code)]
        # outside_area
        group = ctx.raw("aktualisering.malgrupp")
        groups = ctx.profile.value_set("malgrupp")
        # Areas as bits and each group's areas as a bit mask: two lookups and an AND per record, cheaper than
        # building a "group area" string for every record.
        bit = {a: 1 << i for i, a in enumerate(sorted({*code_to_area.values(), *name_to_area.values()} - {None}))}
        area_bit = pl.coalesce(code.replace_strict({k: bit[a] for k, a in code_to_area.items() if a}, default=None,
                                                   return_dtype=pl.UInt64),
                               name.replace_strict({k: bit[a] for k, a in name_to_area.items() if a}, default=None,
                                                   return_dtype=pl.UInt64))
        group_bits = {g: sum(bit.get(a, 0) for a in set(areas.split("|")))
                      for g, areas in zip(groups["kod"], groups["ksi_omraden"])}
        allowed = group.replace_strict(group_bits, default=None, return_dtype=pl.UInt64)
        # A record of an unknown group (null mask) is not judged.
        outside = (area_bit & allowed) == 0
        return [RowCheck(outside, p.code_field, pl.coalesce(code, name), group)]

    def validate(self, params, profile):
        return field_problems(profile, params.table, params.code_field, params.name_field)
