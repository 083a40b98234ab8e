"""ZTE C300 / C320 / C600: legacy ZXGPON tree (3902.1012) and the V2.1 "1082.500" tree.

MIB object names of ZTE's private trees are as used by community code (ZTE's MIB files are not
in our sources); peers-and-oids.md section 3.2 cites where each OID comes from.
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import BrandProfile, ProfileOid
from snmp.values import ValueRule

LEGACY = "1.3.6.1.4.1.3902.1012.3"
V21 = "1.3.6.1.4.1.3902.1082.500"

# ONU rx: R <= 30000 -> R*0.002-30; R > 30000 -> (R-65535)*0.002-30; 65535 = no value
# (Ubilling api.ponzte.php; zabbix template_zte-c320)
ZTE_DBM = ValueRule(
    scale=0.002, offset=-30, wrap_above=30000, wrap_modulus=65535, sentinels=(65535,), round_to=3
)
# OLT-side rx of the ONU's 1310 nm signal: 0.001 dBm, -80000 = no signal
ZTE_MILLI_DBM = ValueRule(scale=0.001, round_to=3, sentinels=(-80000,))
# C600 adds 65535000 and 65535 as "down" values (Ubilling ZTE_C600_GPON DOWNVALUE2/3)
C600_MILLI_DBM = ValueRule(scale=0.001, round_to=3, sentinels=(-80000, 65535000, 65535))

# DISPUTED: 1-based here (go-snmp-olt-zte-c320 extractor.go for 1082.500.10.2.3.8.1.4); other
# MIBs number the same phases from 0 (logging 0 ... working 3 ... offLine 6). Verify per firmware.
PHASE_LABELS = {
    1: "logging",
    2: "los",
    3: "syncMib",
    4: "working",
    5: "dyingGasp",
    6: "authFailed",
    7: "offline",
}

ZTE = BrandProfile(
    key="zte",
    brand="ZTE",
    models=["C300", "C320"],
    # "TYPE space" ifx = 0x10000000 | rack<<24 | slot<<16 | port<<8; ZTE names rack 0 as 1
    formula=IndexFormula(
        mode="bitshift",
        base=0x10000000,
        shift_frame=24,
        mask_frame=0xF,
        shift_slot=16,
        mask_slot=0xFF,
        shift_port=8,
        mask_port=0xFF,
        frame_offset=1,
        onu_from_dot=True,
    ),
    state_labels=PHASE_LABELS,  # legacy column: enum base disputed too
    online_states=frozenset({4}),
    sys_descr="ZXA10 C320",
    sys_object_id="1.3.6.1.4.1.3902.1082.1001.320",
    max_repetitions=20,  # C300 V2.1 hangs on GetBulk max-repetitions 0; 20 is the known fix
    oids=[
        ProfileOid("phase_state", f"{LEGACY}.28.2.1.4", "discovery", "zxGponOntPhaseState"),
        ProfileOid("name", f"{LEGACY}.28.1.1.2", "name", "zxGponOntName"),
        ProfileOid("description", f"{LEGACY}.28.1.1.3", "description", "zxGponOntDescription"),
        ProfileOid("serial", f"{LEGACY}.28.1.1.5", "serial", "zxGponOntSerialNumber"),
        ProfileOid("onu_model", f"{LEGACY}.28.1.1.1", "onu_model", "zxGponOntTypeName"),
        ProfileOid("distance", f"{LEGACY}.11.4.1.2", "distance", "zxGponOntDistance"),
        ProfileOid(
            "rx_power",
            f"{LEGACY}.50.12.1.1.10",
            "rx_power",
            "zxGponOntOpticalRxPower",
            ZTE_DBM,
            ".1",
        ),
        # DISPUTED: ONU tx in snmp-olt-zte, "OLT RX"/"OLT TX" in zabbix community templates
        ProfileOid(
            "tx_power",
            f"{LEGACY}.50.12.1.1.14",
            "tx_power",
            "zxGponOntOpticalTxPower",
            ZTE_DBM,
            ".1",
        ),
        ProfileOid(
            "olt_rx_power",
            "1.3.6.1.4.1.3902.1015.1010.11.2.1.2",
            "rx_power",
            "zxAnOltRxOntOpticalPower",
            ZTE_MILLI_DBM,
        ),
    ],
)

# V2.1 "ONU-ID space": 0x11000000 | shelf<<16 | slot<<8 | port -> 285278465 = 1/1/1
# (snmp-olt-zte oid_generator.go, "verified against TEST-ONU"); Ubilling reads the C6xx index as
# Type(4)|Rack(4)|Shelf(8)|Slot(8)|Port(8): type 1, rack 1 stay in the base.
V21_FORMULA = IndexFormula(
    mode="bitshift",
    base=0x11000000,
    shift_frame=16,
    mask_frame=0xFF,
    shift_slot=8,
    mask_slot=0xFF,
    shift_port=0,
    mask_port=0xFF,
    onu_from_dot=True,
)


def _v21_oids(serial: ProfileOid, olt_rx_rule: ValueRule) -> list[ProfileOid]:
    """The 1082.500 columns shared by C320/C300 V2.1 and C600 (serial column differs)."""
    return [
        ProfileOid("phase_state", f"{V21}.10.2.3.8.1.4", "discovery", "zxAnGponOnuPhaseState"),
        # DISPUTED: some collectors read .2 as the description and .3 as the name
        ProfileOid("name", f"{V21}.10.2.3.3.1.2", "name", "zxAnGponOnuName"),
        ProfileOid("description", f"{V21}.10.2.3.3.1.3", "description", "zxAnGponOnuDescription"),
        serial,
        ProfileOid("onu_model", f"{V21}.10.2.3.3.1.1", "onu_model", "zxAnGponOnuTypeName"),
        ProfileOid("distance", f"{V21}.10.2.3.10.1.2", "distance", "zxAnGponOnuDistance"),
        # DISPUTED: index with or without a trailing ".1" (both seen in community code)
        ProfileOid(
            "rx_power",
            f"{V21}.20.2.2.2.1.10",
            "rx_power",
            "zxAnGponOnuRxOpticalPower",
            ZTE_DBM,
            ".1",
        ),
        ProfileOid(
            "tx_power",
            f"{V21}.20.2.2.2.1.14",
            "tx_power",
            "zxAnGponOnuTxOpticalPower",
            ZTE_DBM,
            ".1",
        ),
        ProfileOid(
            "olt_rx_power", f"{V21}.1.2.4.2.1.2", "rx_power", "zxAnGponOltRxOnuPower", olt_rx_rule
        ),
    ]


ZTE_V21 = BrandProfile(
    key="zte_v21",
    brand="ZTE",
    models=["C320 V2.1", "C300 V2.1"],
    formula=V21_FORMULA,
    state_labels=PHASE_LABELS,
    online_states=frozenset({4}),
    sys_descr="ZXA10 C320, V2.1.0",
    sys_object_id="1.3.6.1.4.1.3902.1082.1001.320.2.1",
    max_repetitions=20,
    # serial as text "1,ZTEGC0A1B2C3" (auth type, serial); the rule strips the prefix
    oids=_v21_oids(
        ProfileOid("serial", f"{V21}.10.2.3.3.1.18", "serial", "zxAnGponOnuAuthInfo"),
        ZTE_MILLI_DBM,
    ),
)

ZTE_C600 = BrandProfile(
    key="zte_c600",
    brand="ZTE",
    models=["C600", "C620"],
    formula=V21_FORMULA,
    state_labels=PHASE_LABELS,
    online_states=frozenset({4}),
    sys_descr="ZXA10 C620, V1.2.2",
    sys_object_id="1.3.6.1.4.1.3902.1082.1001.620.1.1",
    max_repetitions=20,
    # DISPUTED: Ubilling reads C600 ONU rx (20.2.2.2.1.10) with divisor 1, not *0.002-30
    oids=_v21_oids(
        ProfileOid("serial", f"{V21}.10.2.3.3.1.6", "serial", "zxAnGponOnuSerialNumber"),
        C600_MILLI_DBM,
    ),
)
