"""Dataclasses describing what to poll on an OLT brand."""

from __future__ import annotations

from dataclasses import dataclass, field

from snmp.indexes import IFNAME_OID, IndexFormula
from snmp.values import ValueRule

OID_KINDS = (
    "discovery",
    "serial",
    "mac",
    "description",
    "name",
    "onu_model",
    "run_state",
    "distance",
    "rx_power",
    "tx_power",
)

# raw 2147483647 / -2147483648 = "no reading" (HUAWEI-XPON-MIB DDM columns, Ubilling DOWNVALUE)
CENTI_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(2147483647, -2147483648))
DEFAULT_RULES: dict[str, ValueRule] = {
    "discovery": ValueRule(),
    "run_state": ValueRule(),
    "serial": ValueRule(parse="serial"),
    "mac": ValueRule(parse="mac"),
    "description": ValueRule(parse="text"),
    "name": ValueRule(parse="text"),
    "onu_model": ValueRule(parse="text"),
    "distance": ValueRule(valid_min=0),  # metres; negative = not ranged
    "rx_power": CENTI_DBM,
    "tx_power": CENTI_DBM,
}


@dataclass(frozen=True)
class ProfileOid:
    """One table column: our name, numeric OID (no leading dot), kind, MIB object and value rule.

    ``index_suffix`` is what the column appends after the ONU index (ZTE optical columns ".1").
    """

    name: str
    oid: str
    kind: str
    mib_name: str
    rule: ValueRule = None  # type: ignore[assignment]  # None -> DEFAULT_RULES[kind]
    index_suffix: str = ""

    def __post_init__(self) -> None:
        if self.kind not in OID_KINDS:
            raise ValueError(f"unknown OID kind {self.kind!r} for {self.name}")
        if self.rule is None:
            object.__setattr__(self, "rule", DEFAULT_RULES[self.kind])


@dataclass(frozen=True)
class BrandProfile:
    """Static knowledge about one OLT brand (data, not logic).

    ``walk_per_pon``: walk ``<column>.<pon index>`` per PON (big chassis truncate whole tables);
    ``max_repetitions``: GetBulk hint (never 0: some OLTs hang on it).
    """

    key: str
    brand: str
    models: list[str]
    formula: IndexFormula
    state_labels: dict[int, str]
    oids: list[ProfileOid]
    sys_descr: str = ""
    sys_object_id: str = ""
    online_states: frozenset[int] = field(default_factory=frozenset)
    walk_per_pon: bool = False
    max_repetitions: int = 25
    technology: str = "GPON"

    def oid_of(self, kind: str) -> ProfileOid:
        """Return the first column of the given kind (KeyError if none)."""
        for item in self.oids:
            if item.kind == kind:
                return item
        raise KeyError(f"profile {self.key} has no {kind!r} OID")

    def column_of(self, oid: str) -> ProfileOid | None:
        """The column whose OID is ``oid`` or a prefix of it (an instance OID), else None."""
        text = oid.strip().lstrip(".")
        for item in sorted(self.oids, key=lambda o: -len(o.oid)):
            if text == item.oid or text.startswith(item.oid + "."):
                return item
        return None

    @property
    def discovery(self) -> ProfileOid:
        """The column walked to enumerate ONUs."""
        return self.oid_of("discovery")

    @property
    def index_mode(self) -> str:
        """How indexes decode: the formula mode ("linear", "bitshift" or "ifname")."""
        return self.formula.mode

    @property
    def ifname_oid(self) -> str | None:
        """The IF-MIB ifName column to walk before decoding, for "ifname" profiles."""
        return IFNAME_OID if self.formula.mode == "ifname" else None
