"""Known defects in a clean synthetic export, and the findings they must cause.

:data:`INJECTORS` maps every rule code to the function that plants that defect. Each injection corrupts one
record (a person-ID change also rewrites the person's aktualisering rows so no reference breaks) and lists
every finding it causes in ``expected_findings.csv`` as ``table,key,rule``: the record that holds the offending
value, or, where two records are compared, the later step's / the child's record.

Isolation: an injection claims the whole case it touches, so no two defects share a case and no defect makes
another record fail:

* person-level defects (person-ID, juridiskt kön, ursprung, a person row copied, a death) claim the person and
  all of their aktualiseringar with everything below them;
* all other defects claim one aktualisering with its beslut, insatser and uppföljningar.

Persons whose birth date cannot be read and persons who died in the clean data ("Brukaren har avlidit") are
never corrupted by these. Insatser closed with a reason that has a meaning (died, turned 18, never started) keep
it.

The rate: ``defects`` is the share of records that carry at least one finding. Since a case takes one of the
defects above, they alone would top out near one record per aktualisering (some 15-18 % of the records), and
well before that the rare rules run out of cases. So they plant at most :data:`~.schedule.PRIMARY_MAX` of the
records, evenly over the rules, and :mod:`.fill` makes up the rest of a higher rate with *record-local* defects:
one error-level value of a field only its own rule reads (no date, person-ID, target group, key or reference),
on records no other defect named or edited, drawn uniformly over the five tables. Those may share a case with
any defect, since they change no other record's findings.

The work is split by family of rules, one module each (:mod:`.structure`, :mod:`.cardinality`, :mod:`.value_sets`,
:mod:`.date_order`, :mod:`.person_id`, :mod:`.integrity`, :mod:`.plausibility`), over :class:`~.context.Ctx`
(claims, edits, expected findings), :mod:`.samples` (values no export should hold) and :mod:`.shared` (helpers);
:mod:`.fill` holds the record-local defects that top a high rate up; :mod:`.schedule` gathers the registry and runs
:func:`inject`.
"""

# Every public name of the single module this package replaced stays importable from here.
from conform.generator.defects.cardinality import car_008, car_011, car_012, car_013, car_014, car_015
from conform.generator.defects.context import PK, Ctx
from conform.generator.defects.date_order import (dat_001, dat_002, dat_003, dat_004, dat_005, dat_006, dat_007,
                                                  dat_008)
from conform.generator.defects.fill import LOCAL, fill
from conform.generator.defects.integrity import FK, PREFIX, int_001
from conform.generator.defects.person_id import PID_FORMS, pid_008, pid_009, pid_010, pid_011
from conform.generator.defects.plausibility import pla_001, pla_002, pla_003, pla_005, pla_006
from conform.generator.defects.samples import INVALID
from conform.generator.defects.schedule import (BULK, FIRST, INJECTORS, MIN_PERSONS_FOR_ALL_RULES, PRIMARY_MAX, inject,
                                               quotas)
from conform.generator.defects.structure import str_006, str_007
from conform.generator.defects.value_sets import val_010, val_011, val_013, val_014, val_015, val_016

__all__ = [
    "BULK", "FIRST", "FK", "INJECTORS", "INVALID", "LOCAL", "MIN_PERSONS_FOR_ALL_RULES", "PID_FORMS", "PK", "PREFIX",
    "PRIMARY_MAX", "Ctx", "fill", "inject", "quotas",
    "str_006", "str_007",
    "car_008", "car_011", "car_012", "car_013", "car_014", "car_015",
    "val_010", "val_011", "val_013", "val_014", "val_015", "val_016",
    "dat_001", "dat_002", "dat_003", "dat_004", "dat_005", "dat_006", "dat_007", "dat_008",
    "pid_008", "pid_009", "pid_010", "pid_011",
    "int_001",
    "pla_001", "pla_002", "pla_003", "pla_005", "pla_006",
]
