"""BDCOM GPON (GP3600) and EPON (P3310/P3608) OLTs (enterprise 3320).

ONUs are IF-MIB interfaces ("GPON0/2:5", "EPON0/1:3") whose ifIndex is allocated in
registration order (not derivable from PON and ONU numbers); BDCOM's private ONU tables are
indexed by that same ifIndex, so every column decodes through the interface name. The public
GP3600-16B capture (librenms tests/snmpsim/bdcom.snmprec) has only the IF-MIB rows; the private
tables come from BDCOM's MIBs (librenms mibs/bdcom/NMS-GPON-MIB, NMS-EPON-ONU.MIB) and the
scales from Ubilling's BDCOM templates.
"""

from snmp.profiles.base import Column, Profile
from snmp.profiles.generic import IFNAME, if_columns
from snmp.values import ValueRule

GPON_INFO = "1.3.6.1.4.1.3320.10.3.1.1"  # gponOnuInfoTable (NMS-GPON-MIB)
GPON_STATUS = "1.3.6.1.4.1.3320.10.3.3.1"  # gponOnuStatusTable
GPON_OPTICS = "1.3.6.1.4.1.3320.10.3.4.1"  # gponOnuOpticalPowerTable
EPON_ONU = "1.3.6.1.4.1.3320.101.10.1.1"  # nmsepononuTable (NMS-EPON-ONU.MIB)
EPON_SNMP = "1.3.6.1.4.1.3320.101.10.4.1"  # nmsepononusnmpTable
EPON_OPTICS = "1.3.6.1.4.1.3320.101.10.5.1"  # nmsepononuopticalportTable
GPON_MIB = "NMS-GPON-MIB (librenms mibs/bdcom)"
EPON_MIB = "NMS-EPON-ONU.MIB (librenms mibs/bdcom)"
UBILLING = "Ubilling config/snmptemplates/BDCOM_GP3608, BDCOM_P3310B"

# 0.1 dB (NMS-EPON-ONU.MIB "Unit is 0.1dB."; Ubilling OFFSET 10 for GPON too); Ubilling's
# DOWNVALUE 2147483648 marks an offline ONU (as the agent prints it; -2147483648 as Integer32)
DECI_DBM = ValueRule(scale=0.1, round_to=1, sentinels=(2147483648, -2147483648, 2147483647, -65535))
# GPON distance in decimetres (Ubilling api.ponbdcomgp.php distanceParseGPBd)
DECIMETRES = ValueRule(scale=0.1, round_to=0, valid_min=1)
ONU_STATUS = {  # gponOnuStatusOnuStatus / onuStatus
    0: "authenticated",
    1: "registered",
    2: "deregistered",
    3: "auto-config",
    4: "lost",
    5: "standby",
}

BDCOM = Profile(
    key="bdcom",
    brand="BDCOM",
    models=("GP3600-08B", "GP3600-16B", "P3310B", "P3310C", "P3608"),
    technology="GPON/EPON",
    formulas={"ifname": IFNAME},
    columns=(
        *if_columns(),
        Column("state", f"{GPON_STATUS}.4", "gponOnuStatusOnuStatus", GPON_MIB,
               formula="ifname", labels=ONU_STATUS, online=frozenset({1}), tree="GPON"),
        Column("serial", f"{GPON_INFO}.4", "onuSerialNum", GPON_MIB, formula="ifname",
               tree="GPON"),
        Column("onu_model", f"{GPON_INFO}.9", "onuEquipmentID", GPON_MIB, formula="ifname",
               tree="GPON"),
        Column("distance", f"{GPON_INFO}.33", "onuDistance", GPON_MIB + "; " + UBILLING,
               formula="ifname", rule=DECIMETRES, tree="GPON"),
        Column("rx_power", f"{GPON_OPTICS}.2", "gponOnuOpticalPowerRxPower", UBILLING,
               formula="ifname", rule=DECI_DBM, tree="GPON"),
        Column("tx_power", f"{GPON_OPTICS}.3", "gponOnuOpticalPowerTxPower", GPON_MIB,
               formula="ifname", rule=DECI_DBM, tree="GPON"),
        Column("state", f"{EPON_ONU}.26", "onuStatus", EPON_MIB, formula="ifname",
               labels=ONU_STATUS, online=frozenset({1}), tree="EPON"),
        Column("mac", f"{EPON_SNMP}.1", "onuMacAddr", EPON_MIB, formula="ifname", tree="EPON"),
        Column("mac", f"{EPON_ONU}.3", "onuID", EPON_MIB, formula="ifname", tree="EPON"),
        Column("onu_model", f"{EPON_ONU}.2", "onuModuleID", EPON_MIB, formula="ifname",
               tree="EPON"),
        Column("distance", f"{EPON_ONU}.27", "onuDistance", EPON_MIB, formula="ifname",
               tree="EPON"),
        Column("rx_power", f"{EPON_OPTICS}.5", "opModuleRxPower", EPON_MIB, formula="ifname",
               rule=DECI_DBM, tree="EPON"),
        Column("tx_power", f"{EPON_OPTICS}.6", "opModuleTxPower", EPON_MIB, formula="ifname",
               rule=DECI_DBM, tree="EPON"),
    ),
)  # fmt: skip
