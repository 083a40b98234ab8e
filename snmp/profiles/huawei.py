"""Huawei MA5600T / MA5680T / MA5800 (HUAWEI-XPON-MIB), index <gpon ifIndex>.<ont id>."""

from snmp.indexes import IndexFormula
from snmp.profiles.base import CENTI_DBM, BrandProfile, ProfileOid
from snmp.values import ValueRule

# hwXponDeviceControlObjects
BASE = "1.3.6.1.4.1.2011.6.128.1.1.2"

HUAWEI = BrandProfile(
    key="huawei",
    brand="Huawei",
    models=["MA5600T", "MA5680T", "MA5800"],
    # ifIndex = 0xFA000000 + slot*8192 + port*256 (frame 0 in every public sample)
    formula=IndexFormula(
        mode="linear", base=4194304000, step_slot=8192, step_port=256, onu_from_dot=True
    ),
    state_labels={1: "online", 2: "offline", -1: "invalid"},
    online_states=frozenset({1}),
    sys_descr="Huawei Integrated Access Software",
    sys_object_id="1.3.6.1.4.1.2011.2.248",
    # whole-table walks truncate on big chassis: walk <column>.<pon ifIndex> per PON
    walk_per_pon=True,
    oids=[
        ProfileOid("run_status", f"{BASE}.46.1.15", "discovery", "hwGponDeviceOntControlRunStatus"),
        ProfileOid("serial", f"{BASE}.43.1.3", "serial", "hwGponDeviceOntSn"),
        ProfileOid("description", f"{BASE}.43.1.9", "description", "hwGponDeviceOntDespt"),
        ProfileOid("onu_model", f"{BASE}.45.1.4", "onu_model", "hwGponDeviceOntEquipmentId"),
        # ranging result in metres; -1 when the ONT is not ranged
        ProfileOid("distance", f"{BASE}.46.1.20", "distance", "hwGponDeviceOntControlRanging"),
        # 0.01 dBm; 2147483647 = invalid/offline
        ProfileOid(
            "rx_power", f"{BASE}.51.1.4", "rx_power", "hwGponOntOpticalDdmRxPower", CENTI_DBM
        ),
        ProfileOid(
            "tx_power", f"{BASE}.51.1.3", "tx_power", "hwGponOntOpticalDdmTxPower", CENTI_DBM
        ),
        # DISPUTED scale: the MIB says 0.01 dBm, devices answer ~8775 for -12.25 dBm, so community
        # collectors use (v-10000)/100 (apache/hertzbeat#4358); 2147483647 = offline
        ProfileOid(
            "olt_rx_power",
            f"{BASE}.51.1.6",
            "rx_power",
            "hwGponOntOpticalDdmOltRxOntPower",
            ValueRule(scale=0.01, offset=-100, round_to=2, sentinels=(2147483647, -2147483648)),
        ),
    ],
)
