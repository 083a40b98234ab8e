"""V-SOL (enterprise 37950): V1600D EPON and V1600G/GS GPON, every ONU table indexed <pon>.<onu>.

V1600D and V1600GS answer the same sysObjectID, so one profile carries both trees: the EPON
tables (V1600D MIB, librenms mibs/vsolution/V1600D) and the GPON gOnu* tables (V1600G MIB),
plus the IF-MIB ONU interfaces both expose ("EPON0/1:3", "GPON01ONU3"), which give a state
where the private status column is missing (as on the public V1600D capture).
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import Column, Profile
from snmp.profiles.generic import IFNAME, if_columns
from snmp.values import ValueRule

EPON_AUTH = "1.3.6.1.4.1.37950.1.1.5.12.1.25.1"  # onuAuthInfo2Table (V1600D MIB)
EPON_INFO = "1.3.6.1.4.1.37950.1.1.5.12.2.1.2.1"  # ONU info reported by the ONU
EPON_OPM = "1.3.6.1.4.1.37950.1.1.5.12.2.1.8.1"  # opmDiagInfoTable
GPON = "1.3.6.1.4.1.37950.1.1.6.1.1"  # V1600G gOnuAuthList
V1600D_MIB = "V1600D MIB (librenms mibs/vsolution/V1600D)"
V1600G_MIB = "V1600G MIB (librenms mibs/vsolution/V1600G)"
RAUFUN = "RaufunNazin/network-device-monitoring app/dictionaries/oid_dict.py"

# "0.03 mW (-14.61 dBm)": the dBm in parentheses (the mW part rounds to 0.00 below -23 dBm;
# librenms/librenms#19845)
DBM_IN_TEXT = ValueRule(parse="dbm_text", round_to=2)
# "-10.47": decimal dBm strings (V1600GS capture); 0 = no reading (LibreNMS skip_values)
DECIMAL_DBM = ValueRule(parse="decimal_text", round_to=2, sentinels=("0", "0.00", "N/A"))
DATE_TEXT = ValueRule(parse="date_and_time", sentinels=("N/A",))  # "2025/06/24 17:45:21"
NA_TEXT = ValueRule(parse="text", sentinels=("N/A",))
LINE_STATUS = {0: "offline", 1: "online"}  # lineStatus2
DEREG_REASON = {0: "wire-down", 1: "power-off"}  # onuAuthInfo2DeregReason
PHASE = {  # gOnuStaInfoPhaseSta, numbered from 0
    0: "logging",
    1: "los",
    2: "syncMib",
    3: "working",
    4: "dyingGasp",
    5: "authFail",
    6: "offLine",
    7: "deactivated",
    8: "configFail",
}

VSOL = Profile(
    key="vsol",
    brand="V-SOL",
    models=("V1600D", "V1600G", "V1600GS"),
    technology="GPON/EPON",
    # one card: PON n -> 0/0/n, the ONU id after the dot
    formulas={"onu": IndexFormula(mode="linear", step_port=1, onu_from_dot=True), "ifname": IFNAME},
    columns=(
        # V1600D (EPON)
        Column("state", f"{EPON_AUTH}.4", "lineStatus2", V1600D_MIB, every_onu=True,
               labels=LINE_STATUS, online=frozenset({1}), tree="EPON"),
        Column("description", f"{EPON_AUTH}.9", "onuAuthInfoDescription2", V1600D_MIB,
               every_onu=True, tree="EPON"),
        Column("mac", f"{EPON_AUTH}.5", "onuMacAddr2", V1600D_MIB, every_onu=True, tree="EPON"),
        Column("distance", f"{EPON_AUTH}.17", "onuAuthInfoDistance2", V1600D_MIB, tree="EPON"),
        Column("uptime", f"{EPON_AUTH}.18", "onuAuthInfoLastRegTime", V1600D_MIB,
               rule=DATE_TEXT, tree="EPON"),
        Column("last_down_cause", f"{EPON_AUTH}.15", "onuAuthInfo2DeregReason", V1600D_MIB,
               labels=DEREG_REASON, tree="EPON"),
        Column("serial", f"{EPON_INFO}.5", "onuInfoSerialNumber", RAUFUN, tree="EPON"),
        Column("onu_model", f"{EPON_INFO}.4", "onuInfoModel", RAUFUN, tree="EPON"),
        Column("onu_model", f"{EPON_AUTH}.6", "onutype2", V1600D_MIB, tree="EPON"),
        Column("rx_power", f"{EPON_OPM}.7", "opmDiagInfoRxPower", V1600D_MIB,
               rule=DBM_IN_TEXT, tree="EPON"),
        Column("tx_power", f"{EPON_OPM}.6", "opmDiagInfoTxPower", V1600D_MIB,
               rule=DBM_IN_TEXT, tree="EPON"),
        # V1600G / GS (GPON)
        Column("state", f"{GPON}.1.1.5", "gOnuStaInfoPhaseSta", V1600G_MIB, every_onu=True,
               labels=PHASE, online=frozenset({3}), tree="GPON"),
        Column("serial", f"{GPON}.4.1.5", "gOnuDetailInfoSn", V1600G_MIB, tree="GPON"),
        # what was provisioned: a serial, or a password/LOID depending on the auth mode
        Column("serial", f"{GPON}.2.1.5", "gOnuAuthInfoAuthInfo", V1600G_MIB, every_onu=True,
               tree="GPON"),
        Column("description", f"{GPON}.4.1.24", "gOnuDetailInfoOnuDesc", V1600G_MIB,
               tree="GPON"),
        Column("description", f"{GPON}.1.1.7", "gOnuStaInfoDesc", V1600G_MIB, every_onu=True,
               tree="GPON"),
        Column("onu_model", f"{GPON}.4.1.17", "gOnuDetailInfoModel", V1600G_MIB, rule=NA_TEXT,
               tree="GPON"),
        Column("onu_model", f"{GPON}.2.1.6", "gOnuModel", V1600G_MIB, tree="GPON"),
        Column("distance", f"{GPON}.12.1.3", "gOnuRttDistance", V1600G_MIB, tree="GPON"),
        Column("uptime", f"{GPON}.1.1.8", "gOnuStaInfoLastRegisterTime", V1600G_MIB,
               rule=DATE_TEXT, tree="GPON"),
        Column("last_down_cause", f"{GPON}.1.1.10", "gOnuStaInfoLastDeregisterReason",
               V1600G_MIB, rule=NA_TEXT, tree="GPON"),
        Column("rx_power", f"{GPON}.3.1.7", "gOnuOpticalInfoRxPwr", V1600G_MIB,
               rule=DECIMAL_DBM, tree="GPON"),
        Column("tx_power", f"{GPON}.3.1.6", "gOnuOpticalInfoTxPwr", V1600G_MIB,
               rule=DECIMAL_DBM, tree="GPON"),
        Column("olt_rx_power", f"{GPON}.3.1.8", "gOnuOpticalInfoRxOptLevOlt", V1600G_MIB,
               rule=DECIMAL_DBM, tree="GPON"),
        # both: the ONU interfaces of IF-MIB
        *if_columns(),
    ),
)  # fmt: skip
