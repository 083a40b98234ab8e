"""What a brand profile is: candidate columns per ONU attribute, each with its own index formula.

Real OLTs differ by firmware: the same attribute lives in different tables (ZTE's legacy 1012
tree and its 1082.500 tree), each indexed its own way, and any OLT exposes only some of them.
A profile therefore lists, per attribute, the columns to try in order; a poll uses the first
one the OLT answers, decoding its rows with that column's formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from snmp.indexes import IndexFormula
from snmp.values import ValueRule

# ONU attributes a column can yield: the one list of them (the ONU model stores each one).
ATTRIBUTES = (
    "state",
    "serial",
    "mac",
    "name",
    "description",
    "onu_model",
    "distance",
    "rx_power",
    "tx_power",
    "olt_rx_power",
    "uptime",
    "last_down_cause",
    "pon_port",
    "plan",
    "subscriber",
)
# What a NOC expects to know of every ONU (a poll says which of these its profile has no table for).
EXPECTED_ATTRIBUTES = tuple(
    a for a in ATTRIBUTES if a not in ("mac", "olt_rx_power", "pon_port", "plan", "subscriber")
)
# Attributes whose values are enum codes named by the column's labels.
ENUM_ATTRIBUTES = frozenset({"state", "last_down_cause"})

# raw 2147483647 / -2147483648 = "no reading" (HUAWEI-XPON-MIB DDM columns, Ubilling DOWNVALUE)
CENTI_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(2147483647, -2147483648))
DEFAULT_RULES: Mapping[str, ValueRule] = MappingProxyType(
    {
        "state": ValueRule(),
        "serial": ValueRule(parse="serial"),
        "mac": ValueRule(parse="mac"),
        "name": ValueRule(parse="text"),
        "description": ValueRule(parse="text"),
        "onu_model": ValueRule(parse="text"),
        "distance": ValueRule(valid_min=0),  # metres; negative = not ranged
        "rx_power": CENTI_DBM,
        "tx_power": CENTI_DBM,
        "olt_rx_power": CENTI_DBM,
        "uptime": ValueRule(parse="seconds"),
        "last_down_cause": ValueRule(),
        "pon_port": ValueRule(),
        "plan": ValueRule(parse="text"),
        "subscriber": ValueRule(parse="text"),
    }
)


@dataclass(frozen=True)
class Column:
    """One candidate column for one ONU attribute.

    ``formula`` names the profile formula that decodes this table's index; ``index_suffix`` is
    what the table appends after the ONU index (ZTE optics ".1"); ``every_onu`` says the table
    has a row for every configured ONU, so its rows may enumerate the ONUs (optical tables often
    list only online ones); ``labels`` name enum values (state, last down cause) and ``online``
    the state values meaning "online"; ``skip_empty`` treats an empty value as "not set" (IF-MIB
    ifAlias); ``keep_previous`` keeps the stored value when the OLT has none (a UFiber ONU's
    PON while it is offline); ``source`` says where the meaning of the column comes from.
    """

    attribute: str
    oid: str
    mib_name: str
    source: str
    formula: str = "onu"
    rule: ValueRule | None = None
    index_suffix: str = ""
    every_onu: bool = False
    labels: Mapping[int, str] = field(default_factory=dict)
    online: frozenset[int] = frozenset()
    tree: str = ""
    skip_empty: bool = False
    keep_previous: bool = False

    def __post_init__(self) -> None:
        if self.attribute not in ATTRIBUTES:
            raise ValueError(f"unknown ONU attribute {self.attribute!r} for {self.mib_name}")
        if self.rule is None:
            object.__setattr__(self, "rule", DEFAULT_RULES[self.attribute])
        if self.oid != self.oid.strip().lstrip(".") or not self.oid.replace(".", "").isdigit():
            raise ValueError(f"{self.mib_name}: {self.oid!r} is not a numeric OID")

    @property
    def label(self) -> str:
        """How summaries name the column: MIB object (and tree)."""
        return f"{self.mib_name} ({self.tree})" if self.tree else self.mib_name


@dataclass(frozen=True)
class Profile:
    """Static knowledge about one family of OLTs (data, not logic).

    ``formulas``: named index formulas, referenced by the columns; ``columns``: the candidates,
    in the order to try them within each attribute; ``walk_per_pon``: walk
    ``<column>.<PON ifIndex>`` PON by PON (big chassis truncate whole-table walks);
    ``max_repetitions``: GetBulk hint (never 0: some OLTs hang on it).
    """

    key: str
    brand: str
    models: tuple[str, ...]
    formulas: Mapping[str, IndexFormula]
    columns: tuple[Column, ...]
    technology: str = "GPON"
    walk_per_pon: bool = False
    max_repetitions: int = 25
    notes: str = ""

    def __post_init__(self) -> None:
        for column in self.columns:
            if column.formula not in self.formulas:
                raise ValueError(f"{self.key}: {column.mib_name} uses unknown formula")
        oids = [c.oid for c in self.columns]
        if len(oids) != len(set(oids)):
            raise ValueError(f"{self.key}: a column is listed twice")

    def candidates(self, attribute: str) -> list[Column]:
        """The columns that may yield ``attribute``, in the order to try them."""
        return [c for c in self.columns if c.attribute == attribute]

    def first(self, attribute: str) -> Column:
        """The first candidate for ``attribute`` (KeyError if the profile has none)."""
        for column in self.columns:
            if column.attribute == attribute:
                return column
        raise KeyError(f"profile {self.key} has no {attribute!r} column")

    def presence_candidates(self) -> list[Column]:
        """Columns whose rows may enumerate the ONUs, best first.

        State columns that list every ONU come first, then other tables that list every ONU
        (serial, name, description…), then tables that may miss some (optics, distance).
        """

        def rank(c: Column) -> int:
            if c.every_onu:
                return 0 if c.attribute == "state" else 1
            return 2

        return sorted(self.columns, key=rank)  # sorted() is stable: profile order within a rank

    def column_of(self, oid: str) -> Column | None:
        """The column whose OID is ``oid`` or a prefix of it (an instance OID), else None."""
        text = oid.strip().lstrip(".")
        for column in sorted(self.columns, key=lambda c: -len(c.oid)):
            if text == column.oid or text.startswith(column.oid + "."):
                return column
        return None

    def formula_of(self, column: Column) -> IndexFormula:
        """The index formula of a column."""
        return self.formulas[column.formula]

    @property
    def default_formula(self) -> tuple[str, IndexFormula]:
        """(name, formula) of the first presence candidate: for OIDs the profile does not know."""
        name = self.presence_candidates()[0].formula
        return name, self.formulas[name]

    @property
    def attributes(self) -> list[str]:
        """The attributes this profile knows a column for, in ATTRIBUTES order."""
        known = {c.attribute for c in self.columns}
        return [a for a in ATTRIBUTES if a in known]

    def formula_key(self, name: str) -> str:
        """Global name of one of this profile's formulas, as user overrides refer to it."""
        return f"{self.key}:{name}"
