"""Huawei SmartAX MA5600T / MA5680T / MA5683T / MA5608T / MA5800 (HUAWEI-XPON-MIB).

Every ONT table is INDEX { ifIndex, hwGponDeviceOntIndex }: "<PON ifIndex>.<ONT id>". GPON port
ifIndexes are 0xFA000000 + slot*8192 + port*256 (LibreNMS tests/snmpsim/smartax.snmprec:
ifName.4194304000 = "GPON 0/0/0"; MXMP/swtoolz-core devices/MA5608T.py); EPON port ifIndexes
appear in no public sample, so EPON tables are decoded through IF-MIB ifName ("EPON 0/3/1").
MIB: HUAWEI-XPON-MIB V1.64 (librenms/librenms mibs/huawei/HUAWEI-XPON-MIB).
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import CENTI_DBM, Column, Profile
from snmp.values import ValueRule

BASE = "1.3.6.1.4.1.2011.6.128.1.1.2"  # hwXponDeviceControlObjects
MIB = "HUAWEI-XPON-MIB"

RUN_STATUS = {1: "online", 2: "offline", -1: "invalid"}  # up(1) down(2) invalid(-1)
# hwGponDeviceOntControlLastDownCause (MIB V1.64 DESCRIPTION); EPON adds 12 and 14
DOWN_CAUSES = {
    1: "LOS",
    2: "LOSi",
    3: "LOFi",
    4: "SFi",
    5: "LOAi",
    6: "LOAMi",
    7: "deactivate failed",
    8: "deactivated",
    9: "reset",
    10: "re-registered",
    11: "pop-up failed",
    12: "authentication failed",
    13: "dying-gasp",
    14: "reserved",
    15: "LOKi",
    -1: "query failed",
}
# The MIB says 0.01 dBm for the OLT-side receive power, but many OLTs answer ~8775 for
# -12.25 dBm, which collectors read as (v-10000)/100 (apache/hertzbeat#4358): raw values above 0
# get 10000 taken off first, so both encodings give the same dBm. 2147483647 = no reading.
OLT_RX = ValueRule(
    scale=0.01,
    wrap_above=0,
    wrap_modulus=10000,
    round_to=2,
    sentinels=(2147483647, -2147483648),
)
# -1 = not ranged; 2147483647 / 4294967295 seen from offline ONTs (community collectors)
RANGING = ValueRule(valid_min=0, sentinels=(2147483647, 4294967295))
DATE = ValueRule(parse="date_and_time")


def _col(attribute: str, sub: str, mib_name: str, **kw) -> Column:
    return Column(attribute, f"{BASE}.{sub}", mib_name, source=MIB, **kw)


HUAWEI = Profile(
    key="huawei",
    brand="Huawei",
    models=("MA5600T", "MA5680T", "MA5683T", "MA5608T", "MA5800"),
    technology="GPON/EPON",
    formulas={
        # GPON: frame 0 in every public sample
        "onu": IndexFormula(
            mode="linear", base=4194304000, step_slot=8192, step_port=256, onu_from_dot=True
        ),
        # EPON boards: the port's ifName gives frame/slot/port, the ONT id follows the dot
        "epon": IndexFormula(mode="ifname", onu_from_dot=True),
    },
    # whole-table walks truncate on big chassis: walk <column>.<PON ifIndex> PON by PON
    walk_per_pon=True,
    columns=(
        # GPON ONT tables
        _col("state", "46.1.15", "hwGponDeviceOntControlRunStatus", every_onu=True,
             labels=RUN_STATUS, online=frozenset({1})),
        _col("serial", "43.1.3", "hwGponDeviceOntSn", every_onu=True),
        _col("description", "43.1.9", "hwGponDeviceOntDespt", every_onu=True),
        _col("onu_model", "45.1.4", "hwGponDeviceOntEquipmentId"),
        _col("distance", "46.1.20", "hwGponDeviceOntControlRanging", rule=RANGING),
        _col("uptime", "46.1.22", "hwGponDeviceOntControlLastUpTime", rule=DATE),
        _col("last_down_cause", "46.1.24", "hwGponDeviceOntControlLastDownCause",
             labels=DOWN_CAUSES),
        _col("rx_power", "51.1.4", "hwGponOntOpticalDdmRxPower", rule=CENTI_DBM),
        _col("tx_power", "51.1.3", "hwGponOntOpticalDdmTxPower", rule=CENTI_DBM),
        _col("olt_rx_power", "51.1.6", "hwGponOntOpticalDdmOltRxOntPower", rule=OLT_RX),
        # EPON ONT tables (same index shape, EPON port ifIndex)
        _col("state", "57.1.15", "hwEponDeviceOntRunStatus", formula="epon", every_onu=True,
             labels=RUN_STATUS, online=frozenset({1}), tree="EPON"),
        _col("mac", "53.1.3", "hwEponDeviceOntMacAddress", formula="epon", every_onu=True,
             tree="EPON"),
        _col("description", "53.1.9", "hwEponDeviceOntDespt", formula="epon", tree="EPON"),
        _col("onu_model", "55.1.13", "hwEponDeviceOntExtendedModel", formula="epon",
             tree="EPON"),
        _col("distance", "57.1.19", "hwEponDeviceOntDistance", formula="epon", rule=RANGING,
             tree="EPON"),
        _col("uptime", "57.1.23", "hwEponDeviceOntLastUpTime", formula="epon", rule=DATE,
             tree="EPON"),
        _col("last_down_cause", "57.1.25", "hwEponDeviceOntLastDownCause", formula="epon",
             labels=DOWN_CAUSES, tree="EPON"),
        # hwEponDeviceOntOpticsDdmInfoTable (.104): units not in our MIB copy; collectors /100
        _col("rx_power", "104.1.5", "hwEponOntOpticalDdmRxPower", formula="epon",
             rule=CENTI_DBM, tree="EPON"),
        _col("tx_power", "104.1.4", "hwEponOntOpticalDdmTxPower", formula="epon",
             rule=CENTI_DBM, tree="EPON"),
        _col("olt_rx_power", "104.1.1", "hwEponOntOpticalDdmOltRxOntPower", formula="epon",
             rule=OLT_RX, tree="EPON"),
    ),
)  # fmt: skip
