"""The registry of rule kinds. Registering a kind is one line here."""

from __future__ import annotations

from conform.check.kinds.age_for_group import AgeForGroup
from conform.check.kinds.age_matches import AgeMatches
from conform.check.kinds.allowed_values import AllowedValues
from conform.check.kinds.base import RowCheck, RuleKind
from conform.check.kinds.closure_reason import ClosureReason
from conform.check.kinds.conditional import Conditional
from conform.check.kinds.consistent_person import ConsistentPerson
from conform.check.kinds.date_bound import DateBound
from conform.check.kinds.date_order import DateOrder
from conform.check.kinds.executed_within import ExecutedWithin
from conform.check.kinds.keys import Keys
from conform.check.kinds.ksi_code import KsiCode
from conform.check.kinds.maluppfyllelse_scale import MaluppfyllelseScale
from conform.check.kinds.parseable import Parseable
from conform.check.kinds.person_id import PersonId
from conform.check.kinds.required import Required
from conform.check.kinds.sex_digit import SexDigit
from conform.check.kinds.single_value import SingleValue
from conform.check.kinds.structure import Structure
from conform.check.kinds.suggested_for_group import SuggestedForGroup
from conform.check.kinds.unicode_form import UnicodeForm

KINDS: dict[str, RuleKind] = {k.name: k for k in (
    AgeForGroup(), AgeMatches(), AllowedValues(), ClosureReason(), Conditional(), ConsistentPerson(), DateBound(),
    DateOrder(), ExecutedWithin(), Keys(), KsiCode(), MaluppfyllelseScale(), Parseable(), PersonId(), Required(),
    SexDigit(), SingleValue(), Structure(), SuggestedForGroup(), UnicodeForm(),
)}

__all__ = ["KINDS", "RowCheck", "RuleKind"]
