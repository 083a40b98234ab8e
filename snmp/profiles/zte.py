"""ZTE ZXA10 C300 / C320 (both trees) and C600 / C610 / C620 / C650 (the 1082.500 tree).

Two MIB generations coexist, each with its own index space, and a V2.1 C320 may answer either
(LibreNMS's real C320 V2.1.0 capture has only the legacy distance table), so the C300/C320
profile lists both trees' columns, the 1082.500 tree first:
- legacy ZXGPON tree 3902.1012.3 (ZXGPON-SERVICE-MIB): "TYPE space" PON index
  0x10000000 | slot<<16 | port<<8 (268501248 = 1/1/1), then ".<onu>";
- zxAnPon tree 3902.1082.500 (ZTE-AN-PON-BASE-MIB): ifIndex InterfaceType(4) | rack(4) |
  shelf(8) | slot(8) | port(8) (285278465 = 1/1/1), then ".<onu>".
Optical columns add a last ".1" (the ONU's ANI) after the ONU id.
Sources: ZTE's C320 MIBs (didikw/zte_c320_monitoring MIB-C320/MIB/gponcmib: zxGponService.mib,
zxGponOntMgmt.mib, ZXAN-TRANSCEIVER-MIB.mib); librenms mibs/zte/ZTE-AN-PON-BASE-MIB;
Cepat-Kilat-Teknologi/snmp-olt-zte config/oid_generator.go and internal/utils/extractor.go;
nightflyza/Ubilling api.ponzte.php and config/snmptemplates/ZTE_*; zabbix community-templates
template_zte-c320.
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import Column, Profile
from snmp.values import ValueRule

LEGACY = "1.3.6.1.4.1.3902.1012.3"
ZXGPON_SERVICE = "ZXGPON-SERVICE-MIB (ZTE C320 MIB bundle, zxGponService.mib)"
ZXGPON_ONTMGMT = "ZXGPON-ONTMGMT-MIB (ZTE C320 MIB bundle, zxGponOntMgmt.mib)"
V21 = "1.3.6.1.4.1.3902.1082.500"
GO_ZTE = "Cepat-Kilat-Teknologi/snmp-olt-zte"
PON_BASE_MIB = "ZTE-AN-PON-BASE-MIB (librenms mibs/zte)"
UBILLING = "nightflyza/Ubilling api/libs/api.ponzte.php"

# ONU rx/tx: R <= 30000 -> R*0.002-30; R > 30000 -> (R-65535)*0.002-30; 65535 = no value
# (Ubilling api.ponzte.php; zabbix template_zte-c320; snmp-olt-zte ConvertAndMultiply).
# ZXGPON-ONTMGMT-MIB says only "2s complement ... 0.002 dB granularity"; the -30 offset is what
# matches the OLT's CLI (a public C320 check: raw 5635 -> -18.73 dBm, CLI -18.762 dBm).
ZTE_DBM = ValueRule(
    scale=0.002, offset=-30, wrap_above=30000, wrap_modulus=65535, sentinels=(65535, 0), round_to=3
)
# OLT-side rx of the ONU's 1310 nm signal, 0.001 dBm; ZTE-AN-PON-BASE-MIB: "65535000 means N/A,
# ONU is not in service. -80000 means no signal received." (Ubilling adds 65535)
MILLI_DBM = ValueRule(scale=0.001, round_to=3, sentinels=(-80000, 65535000, 65535))
DATE = ValueRule(parse="date_and_time")  # 8-octet DateAndTime without zone (snmp-olt-zte)

# zxAn phase state, numbered from 1; live-checked on a C600 against the CLI "Phase state"
PHASE_1 = {
    1: "logging",
    2: "los",
    3: "syncMib",
    4: "working",
    5: "dyingGasp",
    6: "authFailed",
    7: "offline",
}
# legacy zxGponOntPhaseState (ZXGPON-SERVICE-MIB): logging(0) los(1) syncMib(2) working(3)
# dyinggasp(4) authFailed(5) offline(6)
PHASE_0 = {
    0: "logging",
    1: "los",
    2: "syncMib",
    3: "working",
    4: "dyingGasp",
    5: "authFailed",
    6: "offline",
}
# last offline reason of the 1082.500 tree (snmp-olt-zte ExtractLastOfflineReason)
OFFLINE_REASON = {
    1: "unknown",
    2: "LOS",
    3: "LOSi",
    4: "LOFi",
    5: "sfi",
    6: "loai",
    7: "loami",
    8: "AuthFail",
    9: "PowerOff",
    10: "deactiveSucc",
    11: "deactiveFail",
    12: "Reboot",
    13: "Shutdown",
}

FORMULAS = {
    # "TYPE space": 0x10000000 | slot<<16 | port<<8; the rack bits stay 0, ZTE calls it rack 1
    "legacy": IndexFormula(
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
    # zxAn ifIndex: type 1 and rack 1 stay in the base; shelf -> frame
    "zxan": IndexFormula(
        mode="bitshift",
        base=0x11000000,
        shift_frame=16,
        mask_frame=0xFF,
        shift_slot=8,
        mask_slot=0xFF,
        shift_port=0,
        mask_port=0xFF,
        onu_from_dot=True,
    ),
}


def _zxan(attribute: str, sub: str, mib_name: str, source: str = GO_ZTE, **kw) -> Column:
    return Column(attribute, f"{V21}.{sub}", mib_name, source, formula="zxan", tree="1082.500",
                  **kw)  # fmt: skip


def _legacy(attribute: str, sub: str, mib_name: str, source: str = UBILLING, **kw) -> Column:
    return Column(attribute, f"{LEGACY}.{sub}", mib_name, source, formula="legacy",
                  tree="1012", **kw)  # fmt: skip


def _zxan_columns(serials: tuple[Column, ...]) -> tuple[Column, ...]:
    """The 1082.500 columns (C300/C320 V2.1 and C600 alike, but for the serial)."""
    return (
        _zxan("state", "10.2.3.8.1.4", "zxAnGponOnuPhaseState", every_onu=True, labels=PHASE_1,
              online=frozenset({4})),
        *serials,
        # DISPUTED: one C300 document reads .2 as the description and .3 as the name
        _zxan("name", "10.2.3.3.1.2", "zxAnGponOnuName", every_onu=True),
        _zxan("description", "10.2.3.3.1.3", "zxAnGponOnuDescription", every_onu=True),
        _zxan("onu_model", "20.2.1.2.1.8", "zxAnGponRmtOnuEquipmentId"),
        _zxan("onu_model", "10.2.3.3.1.1", "zxAnGponOnuTypeName", every_onu=True),
        _zxan("distance", "10.2.3.10.1.2", "zxAnGponOnuDistance"),
        _zxan("uptime", "10.2.3.8.1.5", "zxAnGponOnuLastOnlineTime", rule=DATE),
        _zxan("last_down_cause", "10.2.3.8.1.7", "zxAnGponOnuLastOfflineReason",
              labels=OFFLINE_REASON),
        _zxan("rx_power", "20.2.2.2.1.10", "zxAnGponOnuRxOpticalPower", rule=ZTE_DBM,
              index_suffix=".1"),
        _zxan("tx_power", "20.2.2.2.1.14", "zxAnGponOnuTxOpticalPower", rule=ZTE_DBM,
              index_suffix=".1"),
        _zxan("olt_rx_power", "1.2.4.2.1.2", "zxAnPonRxOpticalPower", PON_BASE_MIB,
              rule=MILLI_DBM),
    )  # fmt: skip


LEGACY_COLUMNS = (
    _legacy("state", "28.2.1.4", "zxGponOntPhaseState", ZXGPON_SERVICE, every_onu=True,
            labels=PHASE_0, online=frozenset({3})),
    # "SN configed by Olt"; the serial the ONU reports (.50.11.2.1.3) exists only while online
    _legacy("serial", "28.1.1.5", "zxGponOntDevMgmtProvisionSn", ZXGPON_SERVICE,
            every_onu=True),
    _legacy("serial", "50.11.2.1.3", "zxGponOntSn", ZXGPON_ONTMGMT),
    _legacy("name", "28.1.1.2", "zxGponOntDevMgmtName", ZXGPON_SERVICE, every_onu=True),
    _legacy("description", "28.1.1.3", "zxGponOntDevMgmtDescription", ZXGPON_SERVICE,
            every_onu=True),
    _legacy("onu_model", "28.1.1.1", "zxGponOntDevMgmtTypeName", ZXGPON_SERVICE,
            every_onu=True),
    # the MIB gives no unit; metres on real C320s (LibreNMS zxa10_c320.snmprec: 501..3793);
    # 0 for ONUs that are not ranged, which the table still lists
    _legacy("distance", "11.4.1.2", "zxGponOntDistance", ZXGPON_SERVICE, every_onu=True,
            rule=ValueRule(valid_min=1)),
    _legacy("uptime", "28.2.1.5", "zxGponOntLastOnlineTime", ZXGPON_SERVICE, rule=DATE),
    _legacy("rx_power", "50.12.1.1.10", "zxGponOntOpticalRxPower", ZXGPON_ONTMGMT,
            rule=ZTE_DBM, index_suffix=".1"),
    _legacy("tx_power", "50.12.1.1.14", "zxGponOntOpticalTxPower", ZXGPON_ONTMGMT,
            rule=ZTE_DBM, index_suffix=".1"),
    Column("olt_rx_power", "1.3.6.1.4.1.3902.1015.1010.11.2.1.2", "zxAnOltRxOntOpticalPower",
           "ZXAN-TRANSCEIVER-MIB (ZTE C320 MIB bundle): current rx, 0.001 dBm",
           formula="legacy", rule=MILLI_DBM, tree="1015"),
)  # fmt: skip

ZTE = Profile(
    key="zte",
    brand="ZTE",
    models=("C300", "C320", "C300M", "C350M"),
    formulas=FORMULAS,
    max_repetitions=20,  # C300 V2.1 hangs on GetBulk max-repetitions 0; 20 is the known fix
    columns=(
        *_zxan_columns(
            (_zxan("serial", "10.2.3.3.1.18", "zxAnGponOnuAuthInfo", every_onu=True),)
        ),  # "1,ZTEGC0A1B2C3": auth type, serial
        *LEGACY_COLUMNS,
    ),
)

ZTE_C600 = Profile(
    key="zte_c600",
    brand="ZTE",
    models=("C600", "C610", "C620", "C650"),
    formulas={"zxan": FORMULAS["zxan"]},
    max_repetitions=20,
    columns=_zxan_columns(
        (
            _zxan(
                "serial",
                "10.2.3.3.1.6",
                "zxAnGponOnuSerialNumber",
                "Ubilling config/snmptemplates/ZTE_C600_GPON",
                every_onu=True,
            ),
            _zxan("serial", "10.2.3.3.1.18", "zxAnGponOnuAuthInfo", every_onu=True),
        )  # fmt: skip
    ),
)
