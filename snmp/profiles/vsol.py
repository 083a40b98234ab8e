"""V-SOL (enterprise 37950): V1600D EPON and V1600G GPON, both indexed <pon>.<onu>."""

from snmp.indexes import IndexFormula
from snmp.profiles.base import BrandProfile, ProfileOid
from snmp.values import ValueRule

EPON_AUTH = "1.3.6.1.4.1.37950.1.1.5.12.1.25.1"  # ONU auth table 2 (V1600D MIB)
EPON_INFO = "1.3.6.1.4.1.37950.1.1.5.12.2.1.2.1"  # ONU info (RaufunNazin oid_dict.py)
EPON_OPM = "1.3.6.1.4.1.37950.1.1.5.12.2.1.8.1"  # opmDiagInfoTable
GPON = "1.3.6.1.4.1.37950.1.1.6.1.1"  # V1600G gOnu* tables

# <pon>.<onu>: one card, PON n -> 0/0/n, ONU id after the dot
PON_DOT_ONU = IndexFormula(mode="linear", step_port=1, onu_from_dot=True)
# "0.03 mW (-14.61 dBm)": the dBm in parentheses (librenms/librenms#19845)
DBM_IN_TEXT = ValueRule(parse="dbm_text", round_to=2)
# "-10.47": decimal dBm strings (V1600GS fixture)
DECIMAL_DBM = ValueRule(parse="decimal_text", round_to=2)

VSOL_EPON = BrandProfile(
    key="vsol_epon",
    brand="V-SOL",
    models=["V1600D"],
    technology="EPON",
    formula=PON_DOT_ONU,
    # Ubilling/RaufunNazin read 1 online, 2 offline; other values vary by firmware (unverified)
    state_labels={0: "unknown", 1: "online", 2: "offline", 3: "los"},
    online_states=frozenset({1}),
    sys_descr="V1600D",
    sys_object_id="1.3.6.1.4.1.37950.1.1.5.10.14.1",
    oids=[
        ProfileOid("status", f"{EPON_AUTH}.4", "discovery", "onuAuthInfoStatus"),
        ProfileOid("mac", f"{EPON_AUTH}.5", "mac", "onuAuthInfoMacAddress"),
        ProfileOid("description", f"{EPON_AUTH}.9", "description", "onuAuthInfoDescription2"),
        ProfileOid("distance", f"{EPON_AUTH}.17", "distance", "onuAuthInfoDistance"),
        ProfileOid("serial", f"{EPON_INFO}.5", "serial", "onuInfoSerialNumber"),
        ProfileOid("onu_model", f"{EPON_INFO}.4", "onu_model", "onuInfoModel"),
        ProfileOid("rx_power", f"{EPON_OPM}.7", "rx_power", "opmDiagInfoRxPower", DBM_IN_TEXT),
        ProfileOid("tx_power", f"{EPON_OPM}.6", "tx_power", "opmDiagInfoTxPower", DBM_IN_TEXT),
    ],
)

VSOL_GPON = BrandProfile(
    key="vsol_gpon",
    brand="V-SOL",
    models=["V1600G", "V1600GS"],
    formula=PON_DOT_ONU,
    state_labels={
        0: "logging",
        1: "los",
        2: "syncMib",
        3: "working",
        4: "dyingGasp",
        5: "authFail",
        6: "offLine",
    },
    online_states=frozenset({3}),
    sys_descr="V1600G",
    sys_object_id="1.3.6.1.4.1.37950.1.1.6",  # GPON subtree; exact sysObjectID not documented
    oids=[
        ProfileOid("phase_state", f"{GPON}.1.1.5", "discovery", "gOnuStaInfoPhaseSta"),
        ProfileOid("serial", f"{GPON}.4.1.5", "serial", "gOnuDetailInfoSn"),
        ProfileOid("onu_model", f"{GPON}.4.1.17", "onu_model", "gOnuDetailInfoModel"),
        ProfileOid("description", f"{GPON}.4.1.24", "description", "gOnuDetailInfoOnuDesc"),
        ProfileOid("distance", f"{GPON}.12.1.3", "distance", "gOnuRttDistance"),
        ProfileOid("rx_power", f"{GPON}.3.1.7", "rx_power", "gOnuOpticalInfoRxPwr", DECIMAL_DBM),
        ProfileOid("tx_power", f"{GPON}.3.1.6", "tx_power", "gOnuOpticalInfoTxPwr", DECIMAL_DBM),
    ],
)
