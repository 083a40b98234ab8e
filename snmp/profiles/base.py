"""Dataclasses describing what to poll on an OLT brand."""

from __future__ import annotations

from dataclasses import dataclass, field

from snmp.indexes import IndexFormula

OID_KINDS = (
    "discovery",
    "serial",
    "description",
    "name",
    "onu_model",
    "run_state",
    "distance",
    "rx_power",
    "tx_power",
)


@dataclass(frozen=True)
class ProfileOid:
    """One table column: our name, numeric OID (no leading dot), kind and the MIB object."""

    name: str
    oid: str
    kind: str
    mib_name: str

    def __post_init__(self) -> None:
        if self.kind not in OID_KINDS:
            raise ValueError(f"unknown OID kind {self.kind!r} for {self.name}")


@dataclass(frozen=True)
class BrandProfile:
    """Static knowledge about one OLT brand (data, not logic)."""

    key: str
    brand: str
    models: list[str]
    formula: IndexFormula
    state_labels: dict[int, str]
    oids: list[ProfileOid]
    sys_descr: str = ""
    sys_object_id: str = ""
    online_states: frozenset[int] = field(default_factory=frozenset)

    def oid_of(self, kind: str) -> ProfileOid:
        """Return the first column of the given kind (KeyError if none)."""
        for item in self.oids:
            if item.kind == kind:
                return item
        raise KeyError(f"profile {self.key} has no {kind!r} OID")

    @property
    def discovery(self) -> ProfileOid:
        """The column walked to enumerate ONUs."""
        return self.oid_of("discovery")
