"""ZTE C300 / C320 legacy tree (ZXGPON MIBs, 3902.1012), index <ifx>.<onu>."""

from snmp.indexes import IndexFormula
from snmp.profiles.base import BrandProfile, ProfileOid

BASE = "1.3.6.1.4.1.3902.1012.3"

ZTE = BrandProfile(
    key="zte",
    brand="ZTE",
    models=["C300", "C320"],
    # ifx = 0x10000000 | rack<<24 | slot<<16 | port<<8; ZTE names rack 0 as 1
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
    # enum base is disputed between firmwares; verify per OLT
    state_labels={
        1: "logging",
        2: "los",
        3: "syncMib",
        4: "working",
        5: "dyingGasp",
        6: "authFailed",
        7: "offline",
    },
    online_states=frozenset({4}),
    sys_descr="ZXA10 C320",
    sys_object_id="1.3.6.1.4.1.3902.1082.1001.320",
    oids=[
        ProfileOid("phase_state", f"{BASE}.28.2.1.4", "discovery", "zxGponOntPhaseState"),
        ProfileOid("name", f"{BASE}.28.1.1.2", "name", "zxGponOntName"),
        ProfileOid("description", f"{BASE}.28.1.1.3", "description", "zxGponOntDescription"),
        ProfileOid("serial", f"{BASE}.28.1.1.5", "serial", "zxGponOntSerialNumber"),
        ProfileOid("distance", f"{BASE}.11.4.1.2", "distance", "zxGponOntDistance"),
    ],
)
