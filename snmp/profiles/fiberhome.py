"""FiberHome AN5516-01/-04/-06 (enterprise 5875), one integer index per ONU.

Index, from FiberHome's "GEPON 5116/5516 MIB Open Interface Specifications" (signed index of
the 5516 and NGPON): slot·2^25 + PON·2^19 + ONU·2^8 + UNI port; worked example: port 5 of ONU 50
on PON 4 of slot 18 = 606089733. ONU-level rows have port 0. The AN5116 packs the index
differently (2^27/2^22/2^13/2^4): not this profile. ONU tables: authOnuList (tqandrade/
snmp-fiberhome src/oid-fh.js) and onuPonInfoTable (zabbix template_fiberhome_2020).
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import Column, Profile
from snmp.values import ValueRule

AUTH = "1.3.6.1.4.1.5875.800.3.10.1.1"  # authorized ONU table
OPTICS = "1.3.6.1.4.1.5875.800.3.9.3.3.1"  # onuPonInfoTable
SRC_AUTH = "tqandrade/snmp-fiberhome src/oid-fh.js, src/tables.js"
SRC_OPTICS = "zabbix community-templates template_fiberhome_2020 (onuPonInfoTable)"
# AN5516 status (src/tables.js onuStatus_5516); 1 = online in every source, 2 = power cut in most
STATUS = {0: "fiber cut", 1: "online", 2: "power cut", 3: "offline"}
# 0.01 dBm; 0 = no reading (optics need "set mib performance switch enable" on the OLT, else the
# rows are missing)
CENTI_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(0,))

FIBERHOME = Profile(
    key="fiberhome",
    brand="FiberHome",
    models=("AN5516-01", "AN5516-04", "AN5516-06"),
    technology="GPON/EPON",
    formulas={
        "onu": IndexFormula(
            mode="bitshift",
            shift_slot=25,
            mask_slot=0x3F,
            shift_port=19,
            mask_port=0x3F,
            shift_onu=8,
            mask_onu=0x7FF,
            onu_from_dot=False,
        )
    },
    columns=(
        Column("state", f"{AUTH}.11", "authOnuListStatus", SRC_AUTH, every_onu=True,
               labels=STATUS, online=frozenset({1})),
        Column("serial", f"{AUTH}.10", "authOnuListMacAddress", SRC_AUTH, every_onu=True),
        Column("name", f"{AUTH}.7", "authOnuListOnuSysName", SRC_AUTH, every_onu=True),
        # an integer code of FiberHome's ONU type table, stored as text
        Column("onu_model", f"{AUTH}.5", "authOnuListOnuType", SRC_AUTH,
               rule=ValueRule(parse="text"), every_onu=True),
        Column("description", f"{OPTICS}.3", "onuPonDesc", SRC_OPTICS),
        Column("rx_power", f"{OPTICS}.6", "onuPonRxOpticalPower", SRC_OPTICS, rule=CENTI_DBM),
        Column("tx_power", f"{OPTICS}.7", "onuPonTxOpticalPower", SRC_OPTICS, rule=CENTI_DBM),
    ),
)  # fmt: skip
