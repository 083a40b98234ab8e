"""FiberHome AN5516 (GEPON-OLT-COMMON-MIB family, enterprise 5875), one integer index per ONU."""

from snmp.indexes import IndexFormula
from snmp.profiles.base import BrandProfile, ProfileOid
from snmp.values import ValueRule

AUTH = "1.3.6.1.4.1.5875.800.3.10.1.1"  # authorized ONU table (tqandrade/snmp-fiberhome oid-fh.js)
OPTICS = "1.3.6.1.4.1.5875.800.3.9.3.3.1"  # onuPonInfoTable (zabbix template_fiberhome_2020)

# Integer32 in 0.01 dBm; no "no signal" sentinel is documented (optics need
# "set mib performance switch enable" on the OLT, else the rows are missing)
CENTI_DBM_PLAIN = ValueRule(scale=0.01, round_to=2)

FIBERHOME = BrandProfile(
    key="fiberhome",
    brand="FiberHome",
    models=["AN5516-01", "AN5516-04", "AN5516-06"],
    technology="GPON/EPON",
    # AN5516/NGPON: index = slot*2^25 + pon*2^19 + onu*2^8 (+ UNI port in the low byte);
    # PON index = onu 0 (34078720 = slot 1 PON 1). AN5116 packs 2^27/2^22/2^13: not this profile.
    formula=IndexFormula(
        mode="bitshift",
        shift_slot=25,
        mask_slot=0x3F,
        shift_port=19,
        mask_port=0x3F,
        shift_onu=8,
        mask_onu=0x7FF,
        onu_from_dot=False,
    ),
    # AN5516 numbering (AN5116 differs: 0 offline, 1 online, 2 power cut) - src/tables.js
    state_labels={0: "fiber cut", 1: "online", 2: "power cut", 3: "offline"},
    online_states=frozenset({1}),
    sys_descr="AN5516-01",
    sys_object_id="1.3.6.1.4.1.5875.800",  # enterprise subtree; exact sysObjectID not documented
    oids=[
        ProfileOid("status", f"{AUTH}.11", "discovery", "authOnuListStatus"),
        ProfileOid("name", f"{AUTH}.7", "name", "authOnuListOnuSysName"),
        ProfileOid("serial", f"{AUTH}.10", "serial", "authOnuListMacAddress"),
        # ONU type is an integer code of FiberHome's ONU type enum, stored as text
        ProfileOid("onu_model", f"{AUTH}.5", "onu_model", "authOnuListOnuType", ValueRule("text")),
        ProfileOid("description", f"{OPTICS}.3", "description", "onuPonDesc"),
        ProfileOid("rx_power", f"{OPTICS}.6", "rx_power", "onuPonRxOpticalPower", CENTI_DBM_PLAIN),
        ProfileOid("tx_power", f"{OPTICS}.7", "tx_power", "onuPonTxOpticalPower", CENTI_DBM_PLAIN),
    ],
)
