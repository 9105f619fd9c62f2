"""The registry of rule kinds. Registering a kind is one line here."""

from __future__ import annotations

from conform.kinds.age_for_group import AgeForGroup
from conform.kinds.age_matches import AgeMatches
from conform.kinds.allowed_values import AllowedValues
from conform.kinds.base import RowCheck, RuleKind
from conform.kinds.closure_reason import ClosureReason
from conform.kinds.conditional import Conditional
from conform.kinds.consistent_person import ConsistentPerson
from conform.kinds.date_bound import DateBound
from conform.kinds.date_order import DateOrder
from conform.kinds.executed_within import ExecutedWithin
from conform.kinds.keys import Keys
from conform.kinds.ksi_code import KsiCode
from conform.kinds.maluppfyllelse_scale import MaluppfyllelseScale
from conform.kinds.parseable import Parseable
from conform.kinds.person_id import PersonId
from conform.kinds.required import Required
from conform.kinds.sex_digit import SexDigit
from conform.kinds.single_value import SingleValue
from conform.kinds.structure import Structure
from conform.kinds.suggested_for_group import SuggestedForGroup
from conform.kinds.unicode_form import UnicodeForm

KINDS: dict[str, RuleKind] = {k.name: k for k in (
    AgeForGroup(), AgeMatches(), AllowedValues(), ClosureReason(), Conditional(), ConsistentPerson(), DateBound(),
    DateOrder(), ExecutedWithin(), Keys(), KsiCode(), MaluppfyllelseScale(), Parseable(), PersonId(), Required(),
    SexDigit(), SingleValue(), Structure(), SuggestedForGroup(), UnicodeForm(),
)}

__all__ = ["KINDS", "RowCheck", "RuleKind"]
