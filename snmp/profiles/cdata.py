"""C-Data GPON and EPON OLTs (NSCRTV-FTTX MIBs, enterprise 17409), index device|card|pon|onu."""

from snmp.indexes import IndexFormula
from snmp.profiles.base import BrandProfile, ProfileOid
from snmp.values import ValueRule

GPON_INFO = "1.3.6.1.4.1.17409.2.8.4.1.1"  # gponOnuInfoEntry (NSCRTV-FTTX-GPON-MIB)
GPON_OPTICS = "1.3.6.1.4.1.17409.2.8.4.4.1"  # ONU optical module table, centi-units
EPON_INFO = "1.3.6.1.4.1.17409.2.3.4.1.1"  # onuInfoEntry (NSCRTV-FTTX-EPON-MIB)
EPON_OPTICS = "1.3.6.1.4.1.17409.2.3.4.2.1"

# TC GponDeviceIndex/EponDeviceIndex: device(8) | card(8) | pon(8) | onu(8) -> frame/slot/port/onu.
# DISPUTED: working decoders apply firmware fixes on top of the MIB layout (EPON pon//16+1;
# GPON slot-1 and pon-6 - RaufunNazin index_decoders.py); set slot/port offsets per OLT model.
DEVICE_INDEX = IndexFormula(
    mode="bitshift",
    shift_frame=24,
    mask_frame=0xFF,
    shift_slot=16,
    mask_slot=0xFF,
    shift_port=8,
    mask_port=0xFF,
    shift_onu=0,
    mask_onu=0xFF,
    onu_from_dot=False,
)
# centi-dBm; FD1700S marks offline ONUs with -4000 (Ubilling CDATA_FD1700S DOWNVALUE).
# DISPUTED: one public collector saw rx -1 / tx -3000 on every offline ONU of its FD16xx.
CDATA_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(-4000,))
OPER_LABELS = {1: "up", 2: "down", 3: "testing"}

CDATA_GPON = BrandProfile(
    key="cdata_gpon",
    brand="C-Data",
    models=["FD1600G", "FD1700S"],
    formula=DEVICE_INDEX,
    state_labels={1: "up", 2: "down"},
    online_states=frozenset({1}),
    sys_descr="C-Data GPON OLT",
    sys_object_id="1.3.6.1.4.1.17409",  # enterprise; LibreNMS matches .17409 except .17409.1
    oids=[
        ProfileOid("oper_status", f"{GPON_INFO}.7", "discovery", "onuOperationStatus"),
        ProfileOid("name", f"{GPON_INFO}.2", "name", "onuName"),
        ProfileOid("serial", f"{GPON_INFO}.3", "serial", "onuSerialNum"),
        ProfileOid("onu_model", f"{GPON_INFO}.6", "onu_model", "onuEquipmentID"),
        ProfileOid("distance", f"{GPON_INFO}.9", "distance", "onuTestDistance"),
        # GPON optics rows are indexed <onu index>.0.0 (Ubilling/LibreNMS-style collectors)
        ProfileOid(
            "rx_power", f"{GPON_OPTICS}.4", "rx_power", "onuReceivedOpticalPower", CDATA_DBM, ".0.0"
        ),
        ProfileOid(  # sic: the MIB spells it "Tramsmitted"
            "tx_power",
            f"{GPON_OPTICS}.5",
            "tx_power",
            "onuTramsmittedOpticalPower",
            CDATA_DBM,
            ".0.0",
        ),
    ],
)

CDATA_EPON = BrandProfile(
    key="cdata_epon",
    brand="C-Data",
    models=["FD1104", "FD1108", "FD1216"],
    technology="EPON",
    formula=DEVICE_INDEX,
    state_labels=OPER_LABELS,
    online_states=frozenset({1}),
    sys_descr="C-Data EPON OLT",
    sys_object_id="1.3.6.1.4.1.17409",
    oids=[
        ProfileOid("oper_status", f"{EPON_INFO}.8", "discovery", "onuOperationStatus"),
        ProfileOid("name", f"{EPON_INFO}.2", "name", "onuName"),
        ProfileOid("mac", f"{EPON_INFO}.7", "mac", "onuMacAddress"),
        ProfileOid("serial", f"{EPON_INFO}.28", "serial", "onuSn"),
        ProfileOid("onu_model", f"{EPON_INFO}.26", "onu_model", "onuModelId"),
        ProfileOid("distance", f"{EPON_INFO}.15", "distance", "onuTestDistance"),
        ProfileOid(
            "rx_power", f"{EPON_OPTICS}.4", "rx_power", "onuReceivedOpticalPower", CDATA_DBM
        ),
        ProfileOid(
            "tx_power", f"{EPON_OPTICS}.5", "tx_power", "onuTramsmittedOpticalPower", CDATA_DBM
        ),
    ],
)
