"""Generic IF-MIB profile: OLTs whose ONUs appear as interfaces ("GPON0/2:5", "EPON0/1:3").

Only ONU-shaped interface names become ONUs: PON ports ("GPON0/2"), uplinks ("GigaEthernet0/1"),
VLANs and loopbacks never do. Columns (RFC 2863 IF-MIB) are shared with the profiles of vendors
whose ONUs are interfaces too (BDCOM, V-SOL).
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import Column, Profile
from snmp.values import ValueRule

IF_TABLE = "1.3.6.1.2.1.2.2.1"  # IF-MIB ifEntry
IFX_TABLE = "1.3.6.1.2.1.31.1.1.1"  # IF-MIB ifXEntry
IF_MIB = "IF-MIB (RFC 2863)"
OPER_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
# the index is the ONU's own ifIndex; its ifName (or ifDescr) carries frame/slot/port and ":onu"
IFNAME = IndexFormula(mode="ifname", onu_from_dot=False)


def if_columns(tree: str = "IF-MIB", formula: str = "ifname") -> tuple[Column, ...]:
    """The IF-MIB columns of ONU interfaces: state, name, description (ifAlias where set)."""
    return (
        Column("state", f"{IF_TABLE}.8", "ifOperStatus", IF_MIB, formula=formula, every_onu=True,
               labels=OPER_STATUS, online=frozenset({1}), tree=tree),
        Column("name", f"{IFX_TABLE}.1", "ifName", IF_MIB, formula=formula, every_onu=True,
               tree=tree),
        # ifAlias is the operator's description; empty on most ONUs, so it counts only where
        # set and ifDescr stands in elsewhere (per ONU)
        Column("description", f"{IFX_TABLE}.18", "ifAlias", IF_MIB, formula=formula,
               skip_empty=True, tree=tree),
        Column("description", f"{IF_TABLE}.2", "ifDescr", IF_MIB, formula=formula,
               rule=ValueRule(parse="text"), tree=tree),
    )  # fmt: skip


GENERIC = Profile(
    key="generic",
    brand="Generic",
    models=("IF-MIB",),
    technology="GPON/EPON",
    formulas={"ifname": IFNAME},
    columns=if_columns(),
    notes="ONUs as IF-MIB interfaces; only ONU-shaped names (…/port:onu) are ONUs",
)
