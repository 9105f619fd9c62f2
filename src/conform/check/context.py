"""What a rule kind may ask for while it compiles a rule for one table.

A kind never reads files or joins tables itself: it asks this context for the columns it needs (the record's
own, its ancestors' along the foreign keys, a person's parsed ID, an aggregate of its children) and gets back
expressions; the context records the needs so the engine can build one view per table with exactly those
columns. Column names in views are ``table.field`` so that a field that appears in two tables (``person_id``,
``maluppfyllelse``) never collides.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl

from conform import personnummer, values
from conform.input.readers.source import ROW
from conform.input.requirements import LocalPractice
from conform.profile import Profile

PERSON_ID = "__pid."         # prefix of the fields of personnummer.parse(person_id), derived on the person table
DEATH_DATE = "__death_date"  # derived on the person table: earliest closure with reason "Brukaren har avlidit"
EXISTS = "__exists"          # derived on any table: true for every record (left joins leave it null)
FIRST_ROW = "__first_row"    # derived on any table: the first row (by row number) holding the record's key


class MissingInput(Exception):
    """A rule needs a table or column the export does not have; the rule is not evaluated there."""


def col_name(table: str, column: str) -> str:
    return f"{table}.{column}"


def child_max_name(child: str, column: str) -> str:
    return f"{child}.__max.{column}"


class TableContext:
    def __init__(self, profile: Profile, table: str, as_of: dt.date, available: dict[str, set[str]],
                 practice: LocalPractice | None = None):
        self.profile = profile
        # What the municipality declared it registers its own way (IBIC, reserve numbers, local sub-values).
        self.practice = practice or LocalPractice()
        self.table = table
        self.spec = profile.tables[table]
        self.as_of_date = as_of
        self.available = available
        self.needs: dict[str, set[str]] = defaultdict(set)
        self.child_needs: set[tuple[str, str]] = set()
        self.first_row_needed = False
        # Typed readings of text columns (view column name -> expression), computed once per view however
        # many checks use them: parsing dates and splitting lists dominate the cost of a check.
        self.typed: dict[str, pl.Expr] = {}
        # Intermediate results several checks share, computed after the typed readings they may use.
        self.derived: dict[str, pl.Expr] = {}

    # -- resolution -------------------------------------------------------------------------------------------
    def _resolve(self, ref: str) -> tuple[str, str]:
        table, _, column = ref.rpartition(".")
        table = table or self.table
        if table != self.table and table not in self.profile.parent_chain(self.table):
            raise ValueError(f"{ref!r} is not reachable from {self.table} along foreign keys")
        return table, column

    def has(self, ref: str) -> bool:
        table, column = self._resolve(ref)
        return column in self.available.get(table, set())

    def _need(self, table: str, column: str) -> pl.Expr:
        chain = self.profile.parent_chain(self.table)
        steps = [self.table] + (chain[: chain.index(table) + 1] if table in chain else [])
        for step in steps:
            # An ancestor is reached through every table between, by their keys, so each must be readable.
            if step not in self.available:
                raise MissingInput(step)
            spec = self.profile.tables[step]
            links = ([spec.foreign_key[0]] if spec.foreign_key and step != table else []) + \
                ([spec.primary_key] if step != self.table else [])
            missing = [c for c in links if c not in self.available[step]]
            if missing:
                raise MissingInput(f"{step}.{missing[0]}")
        if not column.startswith("__") and column not in self.available[table]:
            raise MissingInput(f"{table}.{column}")
        # Derived from person_id, which the engine then reads for the derivation only: the raw ID is not
        # carried down to the tables below unless a check asks for it.
        if (column.startswith(PERSON_ID) or column == DEATH_DATE) and "person_id" not in self.available[table]:
            raise MissingInput(f"{table}.person_id")
        self.needs[table].add(column)
        return pl.col(col_name(table, column))

    # -- what kinds ask for -----------------------------------------------------------------------------------
    @property
    def row(self) -> pl.Expr:
        return pl.col(ROW)

    @property
    def key(self) -> pl.Expr:
        return self.raw(self.spec.primary_key)

    def raw(self, ref: str) -> pl.Expr:
        return self._need(*self._resolve(ref))

    def _typed(self, ref: str, suffix: str, parse) -> pl.Expr:
        raw = self.raw(ref)
        name = f"{raw.meta.output_name()}#{suffix}"
        self.typed.setdefault(name, parse(raw).alias(name))
        return pl.col(name)

    def computed(self, name: str, expr: pl.Expr) -> pl.Expr:
        """An expression computed once per view under `name`, for intermediate results several checks share."""
        column = f"{self.table}.#{name}"
        self.derived.setdefault(column, expr.alias(column))
        return pl.col(column)

    def date(self, ref: str) -> pl.Expr:
        return self._typed(ref, "date", values.parse_date)

    def integer(self, ref: str) -> pl.Expr:
        return self._typed(ref, "int", values.parse_integer)

    def items(self, ref: str) -> pl.Expr:
        return self._typed(ref, "items", lambda raw: values.split_list(raw, self.profile.list_delimiter))

    def exists(self, table: str) -> pl.Expr:
        """True where the record's ancestor in `table` exists (by key)."""
        self._resolve(f"{table}.x")
        return self._need(table, EXISTS).is_not_null()

    def person(self, attribute: str) -> pl.Expr:
        """A field of the parsed person-ID of the record's person (see conform.personnummer.parse)."""
        # Each field is its own column, so that tables below carry only the fields they use.
        return self._need("person", PERSON_ID + attribute)

    def death_date(self) -> pl.Expr:
        """The earliest closure of an insats of the record's person for the death reason: found from insats up
        through beslut and aktualisering to the person, so every table and link on that path must be readable."""
        path = {"insats": {"beslut_id", "orsak_avslut", "datum_avslut"}, "beslut": {"beslut_id", "aktualisering_id"},
                "aktualisering": {"aktualisering_id", "person_id"}}
        for table, columns in path.items():
            missing = columns - self.available.get(table, set())
            if missing:
                raise MissingInput(f"{table}.{sorted(missing)[0]}")
        return self._need("person", DEATH_DATE)

    def first_row(self) -> pl.Expr:
        """The first row (by row number, whatever order the view has) holding this record's primary key."""
        self.raw(self.spec.primary_key)
        self.first_row_needed = True
        return pl.col(col_name(self.table, FIRST_ROW))

    def child_max_date(self, child: str, column: str) -> pl.Expr:
        if child not in self.available or column not in self.available[child]:
            raise MissingInput(f"{child}.{column}")
        self.child_needs.add((child, column))
        return pl.col(child_max_name(child, column))

    def age(self) -> pl.Expr:
        """Age in whole years at datum_aktualisering: the export's `alder`, or derived from the person-ID when
        the export has no such column."""
        if self.has("aktualisering.alder"):
            return self.integer("aktualisering.alder").cast(pl.Int32)
        return personnummer.age_at(self.person("birth_date"), self.date("aktualisering.datum_aktualisering"))

    @property
    def as_of(self) -> pl.Expr:
        return pl.lit(self.as_of_date, dtype=pl.Date)
