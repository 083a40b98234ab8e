"""Generic IF-MIB profile: ONUs that appear as interfaces (BDCOM "GPON0/2:5" style)."""

from snmp.indexes import IndexFormula
from snmp.profiles.base import BrandProfile, ProfileOid

IF_TABLE = "1.3.6.1.2.1.2.2.1"  # IF-MIB ifEntry
IFX_TABLE = "1.3.6.1.2.1.31.1.1.1"  # IF-MIB ifXEntry

GENERIC = BrandProfile(
    key="generic",
    brand="Generic",
    models=["IF-MIB"],
    # the index is the ONU's own ifIndex; its ifName carries frame/slot/port and ":onu"
    formula=IndexFormula(mode="ifname", onu_from_dot=False),
    # ifOperStatus (RFC 2863)
    state_labels={
        1: "up",
        2: "down",
        3: "testing",
        4: "unknown",
        5: "dormant",
        6: "notPresent",
        7: "lowerLayerDown",
    },
    online_states=frozenset({1}),
    sys_descr="Generic PON OLT",
    sys_object_id="1.3.6.1.4.1.3320.1.390.0",  # BDCOM GP3600-16B, the model of this profile
    oids=[
        ProfileOid("oper_status", f"{IF_TABLE}.8", "discovery", "ifOperStatus"),
        ProfileOid("if_name", f"{IFX_TABLE}.1", "name", "ifName"),
        ProfileOid("if_descr", f"{IF_TABLE}.2", "description", "ifDescr"),
        ProfileOid("if_alias", f"{IFX_TABLE}.18", "description", "ifAlias"),
    ],
)
