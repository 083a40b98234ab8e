"""C-Data GPON and EPON OLTs (NSCRTV-FTTX MIBs, enterprise 17409), index device|card|pon|onu.

Every C-Data model answers the bare enterprise as sysObjectID, so one profile carries both the
GPON (NSCRTV-FTTX-GPON-MIB) and the EPON (NSCRTV-FTTX-EPON-MIB) tables; the OLT answers one.
MIBs: librenms mibs/cdata/NSCRTV-FTTX-GPON-MIB, NSCRTV-FTTX-EPON-MIB.
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import Column, Profile
from snmp.values import ValueRule

GPON_INFO = "1.3.6.1.4.1.17409.2.8.4.1.1"  # gponOnuInfoEntry
GPON_OPTICS = "1.3.6.1.4.1.17409.2.8.4.4.1"  # ONU optical transmission properties
EPON_INFO = "1.3.6.1.4.1.17409.2.3.4.1.1"  # onuInfoEntry
EPON_OPTICS = "1.3.6.1.4.1.17409.2.3.4.2.1"
GPON_MIB = "NSCRTV-FTTX-GPON-MIB"
EPON_MIB = "NSCRTV-FTTX-EPON-MIB"

# TC GponDeviceIndex/EponDeviceIndex: device(8) | card(8) | pon(8) | onu(8) -> frame/slot/port/onu;
# the card byte is GponCardIndex: "Sub-slot 2-bit, Main-slot 6-bit" (0x42 = main slot 2, sub 1),
# so the slot is its low 6 bits (the sub-slot is not part of the position).
# DISPUTED: working decoders apply firmware fixes on top of the MIB layout (EPON pon//16+1;
# GPON slot-1 and pon-6 - RaufunNazin index_decoders.py); set them as an override per OLT model.
# Optics rows carry more sub-ids after the ONU's (".0.0", or ".0.<PON ifIndex>" on FD1732S):
# only the first decides the ONU.
DEVICE_INDEX = IndexFormula(
    mode="bitshift",
    shift_frame=24,
    mask_frame=0xFF,
    shift_slot=16,
    mask_slot=0x3F,
    shift_port=8,
    mask_port=0xFF,
    shift_onu=0,
    mask_onu=0xFF,
    onu_from_dot=False,
)
# centi-dBm (MIB UNITS); FD1700S marks offline ONUs with -4000 (Ubilling CDATA_FD1700S
# DOWNVALUE); EPON boxes answer 0 for "no signal"
GPON_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(-4000,))
EPON_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(-4000, 0))
OPER = {1: "up", 2: "down", 3: "testing"}
SECONDS = ValueRule(parse="seconds", sentinels=(0,))

CDATA = Profile(
    key="cdata",
    brand="C-Data",
    models=("FD1104", "FD1108", "FD1216", "FD1608", "FD1616", "FD1700S"),
    technology="GPON/EPON",
    formulas={"onu": DEVICE_INDEX},
    columns=(
        Column("state", f"{GPON_INFO}.7", "onuOperationStatus", GPON_MIB, every_onu=True,
               labels=OPER, online=frozenset({1}), tree="GPON"),
        Column("serial", f"{GPON_INFO}.3", "onuSerialNum", GPON_MIB, every_onu=True,
               tree="GPON"),
        Column("name", f"{GPON_INFO}.2", "onuName", GPON_MIB, every_onu=True, tree="GPON"),
        Column("onu_model", f"{GPON_INFO}.6", "onuEquipmentID", GPON_MIB, tree="GPON"),
        Column("distance", f"{GPON_INFO}.9", "onuTestDistance", GPON_MIB, tree="GPON"),
        Column("uptime", f"{GPON_INFO}.12", "onuTimeSinceLastRegister", GPON_MIB,
               rule=SECONDS, tree="GPON"),
        # FD17xx only, not in the MIB: "dying-gasp", "los", "power off"… (Ubilling DEREGREASON)
        Column("last_down_cause", f"{GPON_INFO}.103", "onuDeregisterReason",
               "Ubilling config/snmptemplates/CDATA_FD1700S", rule=ValueRule(parse="text"),
               tree="GPON"),
        Column("rx_power", f"{GPON_OPTICS}.4", "onuReceivedOpticalPower", GPON_MIB,
               rule=GPON_DBM, index_suffix=".0.0", tree="GPON"),
        Column("tx_power", f"{GPON_OPTICS}.5", "onuTramsmittedOpticalPower", GPON_MIB,
               rule=GPON_DBM, index_suffix=".0.0", tree="GPON"),  # sic: MIB spelling
        Column("state", f"{EPON_INFO}.8", "onuOperationStatus", EPON_MIB, every_onu=True,
               labels=OPER, online=frozenset({1}), tree="EPON"),
        Column("mac", f"{EPON_INFO}.7", "onuMacAddress", EPON_MIB, every_onu=True, tree="EPON"),
        Column("serial", f"{EPON_INFO}.28", "onuSn", EPON_MIB, tree="EPON"),
        Column("name", f"{EPON_INFO}.2", "onuName", EPON_MIB, every_onu=True, tree="EPON"),
        Column("onu_model", f"{EPON_INFO}.26", "onuModelId", EPON_MIB, tree="EPON"),
        Column("distance", f"{EPON_INFO}.15", "onuTestDistance", EPON_MIB, tree="EPON"),
        Column("uptime", f"{EPON_INFO}.18", "onuTimeSinceLastRegister", EPON_MIB,
               rule=SECONDS, tree="EPON"),
        Column("rx_power", f"{EPON_OPTICS}.4", "onuReceivedOpticalPower", EPON_MIB,
               rule=EPON_DBM, tree="EPON"),
        Column("tx_power", f"{EPON_OPTICS}.5", "onuTramsmittedOpticalPower", EPON_MIB,
               rule=EPON_DBM, tree="EPON"),
    ),
)  # fmt: skip
