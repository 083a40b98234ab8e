"""Five more hand-written recordings (Huawei, ZTE C620, FiberHome, C-Data, BDCOM): vendor truth.

As in tests/test_recordings.py, every expected position and value is a literal derived in the
comments from the vendor's documented encoding (MIB text, vendor documents, the public checks
quoted in snmp/profiles), never computed with snmp.indexes, snmp.values or snmp.lab.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.recordings_support import poll_recording
from webapp.extensions import db


def _by(onus: dict, attribute: str) -> dict:
    """position -> one stored attribute of every ONU."""
    return {p: getattr(o, attribute) for p, o in onus.items()}


def _ago(onu, seconds: int, now: datetime) -> bool:
    """online_since is ``seconds`` before now (a minute of slack for the poll itself)."""
    return abs((now - onu.online_since) - timedelta(seconds=seconds)) < timedelta(seconds=60)


# ---------------------------------------------------------------- Huawei MA5608T


def test_huawei_ma5608t_walked_pon_by_pon(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "huawei-ma5608t")
    assert ex.status == "SUCCESS", ex.error
    # HUAWEI-MIB hwProducts: ma5608T = { hwProducts 248 } = 1.3.6.1.4.1.2011.2.248
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("Huawei", "MA5608T", "huawei")
    assert olt.detection["match"]["rule"] == "huawei-ma5608t"
    # HUAWEI-XPON-MIB: INDEX { ifIndex, hwGponDeviceOntIndex } = <PON ifIndex>.<ONT id>, ONT ids
    # from 0; GPON port ifIndex = 4194304000 + slot*8192 + port*256 (ifName says the same):
    #   4194304256 = 4194304000 + 0*8192 + 1*256 = "GPON 0/0/1"
    #   4194312192 = 4194304000 + 1*8192 + 0*256 = "GPON 0/1/0"
    #   4194312448 = 4194304000 + 1*8192 + 1*256 = "GPON 0/1/1"
    #   4194304000 = "GPON 0/0/0" has no ONT; ethernet0/2/0 is the uplink
    assert set(onus) == {
        "0/0/1:0",
        "0/0/1:1",
        "0/1/0:0",
        "0/1/0:1",
        "0/1/0:3",
        "0/1/1:5",
        "0/1/1:6",
    }
    assert (onus["0/1/1:5"].frame, onus["0/1/1:5"].slot, onus["0/1/1:5"].port) == (0, 1, 1)
    assert onus["0/1/1:5"].onu_id == 5 and onus["0/0/1:0"].onu_id == 0
    # hwGponDeviceOntControlRunStatus: up(1) down(2)
    assert _by(onus, "state_value") == {
        "0/0/1:0": 1,
        "0/0/1:1": 2,
        "0/1/0:0": 1,
        "0/1/0:1": 1,
        "0/1/0:3": 2,
        "0/1/1:5": 1,
        "0/1/1:6": 2,
    }
    assert onus["0/0/1:0"].state_label == "online" and onus["0/0/1:1"].state_label == "offline"
    # hwGponDeviceOntSn OCTET STRING (SIZE 8): 4 vendor octets as ASCII + 4 octets as hex
    assert _by(onus, "serial") == {
        "0/0/1:0": "HWTC1A2B3C4D",  # 48 57 54 43 1A 2B 3C 4D
        "0/0/1:1": "HWTC00C0FFEE",
        "0/1/0:0": "ZTEG9A8B7C6D",  # a ZTE ONT: 5A 54 45 47 9A 8B 7C 6D
        "0/1/0:1": "HWTC9F00AB12",
        "0/1/0:3": "HWTC0A00B042",
        # the agent sent 48 57 54 43 41 42 43 44, all printable ("HWTCABCD"): the last four
        # octets are still the binary half of the serial, 41424344
        "0/1/1:5": "HWTC41424344",
        "0/1/1:6": "HWTC5E6F7081",
    }
    # hwGponDeviceOntDespt OCTET STRING (0..128); Huawei has no separate name column
    assert _by(onus, "description") == {
        "0/0/1:0": "cliente-0001",
        "0/0/1:1": "Panadería Núñez",  # UTF-8 octets 50 61 6E 61 64 65 72 C3 AD 61 ...
        "0/1/0:0": None,  # empty
        "0/1/0:1": "Mercado Central",  # "Mercado Central" + 00 00: trailing NULs
        "0/1/0:3": "reserva",
        "0/1/1:5": "apto 12B",
        "0/1/1:6": "Jose Perez",
    }
    assert all(o.name is None for o in onus.values())
    # hwGponDeviceOntEquipmentId: empty until the ONT has been online once (0/1/0:3 never was)
    assert _by(onus, "onu_model") == {
        "0/0/1:0": "HG8546M",
        "0/0/1:1": "HG8245H",
        "0/1/0:0": "F601",
        "0/1/0:1": "EG8145V5",
        "0/1/0:3": None,
        "0/1/1:5": "HG8010H",
        "0/1/1:6": "HG8546M",
    }
    # hwGponDeviceOntControlRanging (metres); -1 = not ranged (offline)
    assert _by(onus, "distance_m") == {
        "0/0/1:0": 1523,
        "0/0/1:1": None,
        "0/1/0:0": 2034,
        "0/1/0:1": 812,
        "0/1/0:3": None,
        "0/1/1:5": 4999,
        "0/1/1:6": None,
    }
    # hwGponOntOpticalDdmRxPower / TxPower: "unit 0.01dBm"; 2147483647 = no reading (offline)
    assert _by(onus, "rx_power_dbm") == {
        "0/0/1:0": -18.75,  # -1875
        "0/0/1:1": None,
        "0/1/0:0": -22.1,  # -2210
        "0/1/0:1": -24.5,  # -2450
        "0/1/0:3": None,
        "0/1/1:5": -26.87,  # -2687
        "0/1/1:6": None,
    }
    assert _by(onus, "tx_power_dbm") == {
        "0/0/1:0": 2.12,  # 212
        "0/0/1:1": None,
        "0/1/0:0": 1.85,  # 185
        "0/1/0:1": 2.3,  # 230
        "0/1/0:3": None,
        "0/1/1:5": 2.51,  # 251
        "0/1/1:6": None,
    }
    # hwGponOntOpticalDdmOltRxOntPower: most OLTs answer (dBm*100 + 10000) (8775 for -12.25 dBm,
    # apache/hertzbeat#4358), some the plain signed 0.01 dBm of the MIB text (-1500)
    assert _by(onus, "olt_rx_power_dbm") == {
        "0/0/1:0": -12.25,  # (8775 - 10000) / 100
        "0/0/1:1": None,
        "0/1/0:0": -15.0,  # -1500 / 100
        "0/1/0:1": -23.8,  # (7620 - 10000) / 100
        "0/1/0:3": None,
        "0/1/1:5": -26.87,  # (7313 - 10000) / 100
        "0/1/1:6": None,
    }
    # hwGponDeviceOntControlLastUpTime: RFC 2579 DateAndTime with its zone (11 octets); it is
    # "online since" only while the ONT is up: offline ONTs keep a date but store None
    assert _by(onus, "online_since") == {
        # 07E4 06 07 15 0A 22 00 2D 03 00 = 2020-06-07 21:10:34.0 -03:00
        "0/0/1:0": datetime(2020, 6, 8, 0, 10, 34, tzinfo=UTC),
        "0/0/1:1": None,  # 2023-11-28 09:05:00 -03:00, but down
        # 07E8 03 0F 08 1E 00 05 2B 05 00 = 2024-03-15 08:30:00.5 +05:00
        "0/1/0:0": datetime(2024, 3, 15, 3, 30, 0, 500000, tzinfo=UTC),
        # 07E9 01 02 17 3B 3B 00 2B 00 00 = 2025-01-02 23:59:59.0 +00:00
        "0/1/0:1": datetime(2025, 1, 2, 23, 59, 59, tzinfo=UTC),
        "0/1/0:3": None,  # eleven zero octets: never up
        # 07E8 0C 1F 17 00 00 00 2D 03 00 = 2024-12-31 23:00:00 -03:00, next year in UTC
        "0/1/1:5": datetime(2025, 1, 1, 2, 0, 0, tzinfo=UTC),
        "0/1/1:6": None,
    }
    # hwGponDeviceOntControlLastDownCause (MIB V1.64): 2 LOSi, 9 reset ONT, 13 dying-gasp,
    # -1 query fails; online ONTs keep the cause of their last time down
    assert _by(onus, "last_down_cause") == {
        "0/0/1:0": "dying-gasp",
        "0/0/1:1": "LOSi",
        "0/1/0:0": "reset",
        "0/1/0:1": "dying-gasp",
        "0/1/0:3": "query failed",
        "0/1/1:5": "LOSi",
        "0/1/1:6": "dying-gasp",
    }
    summary = ex.summary
    assert summary["walk"] == "per PON (4 ports)"  # the four GPON ifNames, not ethernet0/2/0
    assert summary["presence_table"] == "hwGponDeviceOntControlRunStatus"
    assert summary["tables"] == {
        "state": "hwGponDeviceOntControlRunStatus",
        "serial": "hwGponDeviceOntSn",
        "description": "hwGponDeviceOntDespt",
        "onu_model": "hwGponDeviceOntEquipmentId",
        "distance": "hwGponDeviceOntControlRanging",
        "uptime": "hwGponDeviceOntControlLastUpTime",
        "last_down_cause": "hwGponDeviceOntControlLastDownCause",
        "rx_power": "hwGponOntOpticalDdmRxPower",
        "tx_power": "hwGponOntOpticalDdmTxPower",
        "olt_rx_power": "hwGponOntOpticalDdmOltRxOntPower",
    }
    assert summary["not_supported"] == ["mac"]  # the EPON tables are absent on a GPON box
    assert summary["found"] == 7 and summary["new"] == 7
    assert summary["states"] == {"online": 4, "offline": 3}
    assert summary["not_onus"] == 0 and summary["undecoded"] == 0
    assert "value_errors" not in summary and "rejected_tables" not in summary


# ---------------------------------------------------------------- ZTE C620


def test_zte_c620_on_the_zxan_tree(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "zte-c620")
    assert ex.status == "SUCCESS", ex.error
    # ZTE-AN-SMI zxAnProducts (1082.1001); NOC's C620 rule: .3902.1082.1001.620.1.1
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("ZTE", "C620", "zte_c600")
    assert olt.detection["match"]["rule"] == "zte-c620"
    # ifIndex (ZTE-AN-PON-BASE-MIB): InterfaceType(4) | rack(4) | shelf(8) | slot(8) | port(8),
    # then ".<ONU id>"; ZTE's CLI says shelf/slot/port:onu:
    #   285278465 = 0x11010101 = type 1, rack 1, shelf 1, slot 1, port 1 -> 1/1/1
    #   285278466 = 0x11010102 -> 1/1/2
    #   285278723 = 0x11010203 -> shelf 1, slot 2, port 3 -> 1/2/3
    #   285278724 = 0x11010204 (gpon_olt-1/2/4) has no ONU
    assert set(onus) == {
        "1/1/1:1",
        "1/1/1:2",
        "1/1/1:3",
        "1/1/1:5",
        "1/1/2:1",
        "1/1/2:2",
        "1/2/3:12",
    }
    assert (onus["1/2/3:12"].frame, onus["1/2/3:12"].slot, onus["1/2/3:12"].port) == (1, 2, 3)
    # phase state numbered from 1: los(2) working(4) dyingGasp(5) offline(7)
    assert _by(onus, "state_value") == {
        "1/1/1:1": 4,
        "1/1/1:2": 4,
        "1/1/1:3": 7,
        "1/1/1:5": 2,
        "1/1/2:1": 5,
        "1/1/2:2": 4,
        "1/2/3:12": 4,
    }
    assert _by(onus, "state_label") == {
        "1/1/1:1": "working",
        "1/1/1:2": "working",
        "1/1/1:3": "offline",
        "1/1/1:5": "los",
        "1/1/2:1": "dyingGasp",
        "1/1/2:2": "working",
        "1/2/3:12": "working",
    }
    # .10.2.3.3.1.6: the serial as 8 octets (4 ASCII vendor + 4 binary)
    assert _by(onus, "serial") == {
        "1/1/1:1": "ZTEG12AB34CD",
        "1/1/1:2": "ZTEG00F1E2D3",
        "1/1/1:3": "HWTC0A0B0C0D",
        "1/1/1:5": "ZTEG5566AABB",
        "1/1/2:1": "ZTEG7788CCDD",
        "1/1/2:2": "ZTEG99EEFF01",
        "1/2/3:12": "FHTT3C4D5E6F",
    }
    # .10.2.3.3.1.2 name, .10.2.3.3.1.3 description (snmp-olt-zte); empty = not set
    assert _by(onus, "name") == {
        "1/1/1:1": "cli-0001",
        "1/1/1:2": "cli-0002",
        "1/1/1:3": "cli-0003",
        "1/1/1:5": None,
        "1/1/2:1": "cli-0101",
        "1/1/2:2": "cli-0102",
        "1/2/3:12": "cli-0212",
    }
    assert _by(onus, "description") == {
        "1/1/1:1": "Rua A 100",
        "1/1/1:2": "São Paulo – loja 3",  # UTF-8, with an en dash (E2 80 93)
        "1/1/1:3": None,
        "1/1/1:5": "poste 7",
        "1/1/2:1": "Padaria",
        "1/1/2:2": "fim de linha",
        "1/2/3:12": "escola",
    }
    # .10.2.3.10.1.2 metres; the table has no row for the ONUs that are down
    assert _by(onus, "distance_m") == {
        "1/1/1:1": 1342,
        "1/1/1:2": 2870,
        "1/1/1:3": None,
        "1/1/1:5": None,
        "1/1/2:1": None,
        "1/1/2:2": 19874,
        "1/2/3:12": 505,
    }
    # ONU rx/tx (.20.2.2.2.1.10/.14.<ifIndex>.<onu>.1): raw*0.002 - 30 dBm; raws above 30000
    # are negative 16-bit values, (raw - 65535)*0.002 - 30; 65535 = no value
    assert _by(onus, "rx_power_dbm") == {
        "1/1/1:1": -18.73,  # 5635*0.002 - 30 = 11.27 - 30 (the public C320 check)
        "1/1/1:2": -21.8,  # 4100*0.002 - 30 = 8.2 - 30
        "1/1/1:3": None,
        "1/1/1:5": None,
        "1/1/2:1": None,
        "1/1/2:2": -31.5,  # (64785 - 65535)*0.002 - 30 = -1.5 - 30
        "1/2/3:12": -17.98,  # 6010*0.002 - 30 = 12.02 - 30
    }
    assert _by(onus, "tx_power_dbm") == {
        "1/1/1:1": 2.25,  # 16125*0.002 - 30 = 32.25 - 30
        "1/1/1:2": 1.78,  # 15890*0.002 - 30
        "1/1/1:3": None,
        "1/1/1:5": None,
        "1/1/2:1": None,
        "1/1/2:2": 2.0,  # 16000*0.002 - 30
        "1/2/3:12": 2.46,  # 16230*0.002 - 30
    }
    # zxAnPonRxOpticalPower (ZTE-AN-PON-BASE-MIB): UNITS "0.001 dBm"; "65535000 means N/A, ONU
    # is not in service. -80000 means no signal received."
    assert _by(onus, "olt_rx_power_dbm") == {
        "1/1/1:1": -19.23,  # -19230
        "1/1/1:2": -23.451,  # -23451
        "1/1/1:3": None,  # 65535000
        "1/1/1:5": None,  # -80000
        "1/1/2:1": None,  # 65535000
        "1/1/2:2": -31.2,  # -31200
        "1/2/3:12": -17.005,  # -17005
    }
    # .10.2.3.8.1.7 last offline reason: 1 unknown, 2 LOS, 9 PowerOff, 12 Reboot
    assert _by(onus, "last_down_cause") == {
        "1/1/1:1": "Reboot",
        "1/1/1:2": "PowerOff",
        "1/1/1:3": "PowerOff",
        "1/1/1:5": "LOS",
        "1/1/2:1": "PowerOff",
        "1/1/2:2": "LOS",
        "1/2/3:12": "unknown",
    }
    assert all(o.online_since is None for o in onus.values())  # no last-online column here
    summary = ex.summary
    assert summary["walk"] == "whole columns"
    assert summary["presence_table"] == "zxAnGponOnuPhaseState (1082.500)"
    assert summary["tables"] == {
        "state": "zxAnGponOnuPhaseState (1082.500)",
        "serial": "zxAnGponOnuSerialNumber (1082.500)",
        "name": "zxAnGponOnuName (1082.500)",
        "description": "zxAnGponOnuDescription (1082.500)",
        "distance": "zxAnGponOnuDistance (1082.500)",
        "last_down_cause": "zxAnGponOnuLastOfflineReason (1082.500)",
        "rx_power": "zxAnGponOnuRxOpticalPower (1082.500)",
        "tx_power": "zxAnGponOnuTxOpticalPower (1082.500)",
        "olt_rx_power": "zxAnPonRxOpticalPower (1082.500)",
    }
    assert summary["not_supported"] == ["onu_model", "uptime"]
    assert summary["found"] == 7
    assert summary["states"] == {"working": 4, "offline": 1, "los": 1, "dyingGasp": 1}
    assert summary["not_onus"] == 0 and summary["undecoded"] == 0
    assert "value_errors" not in summary and "rejected_tables" not in summary


# ---------------------------------------------------------------- FiberHome AN5516-01


def test_fiberhome_an5516_with_one_integer_per_onu(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "fiberhome-an5516")
    assert ex.status == "SUCCESS", ex.error
    # .5875.800.1001.11 = AN5516-01 (tqandrade/snmp-fiberhome tables.js oltModels)
    assert (olt.brand.name, olt.model.name, olt.profile_key) == (
        "FiberHome",
        "AN5516-01",
        "fiberhome",
    )
    assert olt.detection["match"]["rule"] == "fiberhome-an5516-chassis"
    # "GEPON 5116/5516 MIB Open Interface Specifications", signed index of the 5516:
    # slot*2^25 + PON*2^19 + ONU*2^8 + UNI port (0 on ONU rows); FiberHome numbers no frame:
    #   369623296 = 11*33554432 + 1*524288 + 1*256     -> slot 11, PON 1, ONU 1 (the spec's)
    #   369623552 = 11*33554432 + 1*524288 + 2*256     -> 11/1:2
    #   369623808 = 11*33554432 + 1*524288 + 3*256     -> 11/1:3
    #   371720448 = 11*33554432 + 5*524288 + 1*256     -> 11/5:1
    #   411074560 = 12*33554432 + 16*524288 + 128*256  -> 12/16:128
    #   606089728 = 18*33554432 + 4*524288 + 50*256    -> 18/4:50 (606089733 = its UNI port 5)
    #   606089984 = 18*33554432 + 4*524288 + 51*256    -> 18/4:51
    # (the rows' own slot/PON/ONU columns .2/.3/.4 say the same)
    assert set(onus) == {
        "0/11/1:1",
        "0/11/1:2",
        "0/11/1:3",
        "0/11/5:1",
        "0/12/16:128",
        "0/18/4:50",
        "0/18/4:51",
    }
    assert (onus["0/18/4:50"].slot, onus["0/18/4:50"].port, onus["0/18/4:50"].onu_id) == (18, 4, 50)
    assert onus["0/18/4:50"].raw_index == "606089728"
    # authOnuListStatus (AN5516): 0 fiber cut, 1 online, 2 power cut, 3 offline
    assert _by(onus, "state_value") == {
        "0/11/1:1": 1,
        "0/11/1:2": 1,
        "0/11/1:3": 0,
        "0/11/5:1": 1,
        "0/12/16:128": 3,
        "0/18/4:50": 1,
        "0/18/4:51": 2,
    }
    assert _by(onus, "state_label") == {
        "0/11/1:1": "online",
        "0/11/1:2": "online",
        "0/11/1:3": "fiber cut",
        "0/11/5:1": "online",
        "0/12/16:128": "offline",
        "0/18/4:50": "online",
        "0/18/4:51": "power cut",
    }
    # authOnuListMacAddress: the GPON serial as text, vendor + 8 hex digits ("FHTT1231e796")
    assert _by(onus, "serial") == {
        "0/11/1:1": "FHTT0A1B2C3D",
        "0/11/1:2": "FHTT59E0F7A2",
        "0/11/1:3": "FHTT1B2C3D4E",
        "0/11/5:1": "ZTEGD1E2F3A4",
        "0/12/16:128": "FHTTFEDCBA98",
        "0/18/4:50": "FHTT7F8E9D0C",
        "0/18/4:51": "FHTT00AA11BB",
    }
    # authOnuListOnuSysName
    assert _by(onus, "name") == {
        "0/11/1:1": "cliente-11-1-1",
        "0/11/1:2": "Açaí Express",  # Windows-1252 octets 41 E7 61 ED 20 45 78 70 ...
        "0/11/1:3": "cliente-11-1-3",
        "0/11/5:1": None,  # empty
        "0/12/16:128": "cliente-12-16-128",
        "0/18/4:50": "cliente-18-4-50",
        "0/18/4:51": "cliente-18-4-51",
    }
    # authOnuListOnuType: an integer code of FiberHome's ONU type table (765 = AN5506-04-F1)
    assert onus["0/11/1:1"].onu_model == "765" and onus["0/11/5:1"].onu_model == "784"
    # onuPonInfoTable has rows for four ONUs only; 0.01 dBm, 0 = no reading
    assert _by(onus, "description") == {
        "0/11/1:1": "rua das flores 12",
        "0/11/1:2": None,  # an empty row
        "0/11/1:3": None,
        "0/11/5:1": "torre 2",
        "0/12/16:128": None,
        "0/18/4:50": "galpao",
        "0/18/4:51": None,
    }
    assert _by(onus, "rx_power_dbm") == {
        "0/11/1:1": -21.56,  # -2156
        "0/11/1:2": None,  # 0: online, but no reading
        "0/11/1:3": None,
        "0/11/5:1": -18.9,  # -1890
        "0/12/16:128": None,
        "0/18/4:50": -27.34,  # -2734
        "0/18/4:51": None,
    }
    assert _by(onus, "tx_power_dbm") == {
        "0/11/1:1": 2.45,
        "0/11/1:2": None,
        "0/11/1:3": None,
        "0/11/5:1": 1.98,
        "0/12/16:128": None,
        "0/18/4:50": 3.01,
        "0/18/4:51": None,
    }
    assert all(o.distance_m is None and o.online_since is None for o in onus.values())
    summary = ex.summary
    assert summary["presence_table"] == "authOnuListStatus"
    assert summary["tables"] == {
        "state": "authOnuListStatus",
        "serial": "authOnuListMacAddress",
        "name": "authOnuListOnuSysName",
        "onu_model": "authOnuListOnuType",
        "description": "onuPonDesc",
        "rx_power": "onuPonRxOpticalPower",
        "tx_power": "onuPonTxOpticalPower",
    }
    assert summary["not_supported"] == []
    # FiberHome publishes no distance, last-up or down-cause column we know of
    assert summary["no_table_in_profile"] == ["distance", "last_down_cause", "uptime"]
    assert summary["found"] == 7
    assert summary["states"] == {"online": 4, "fiber cut": 1, "offline": 1, "power cut": 1}
    assert summary["not_onus"] == 0 and summary["undecoded"] == 0
    assert "value_errors" not in summary and "rejected_tables" not in summary


# ---------------------------------------------------------------- C-Data GPON


def test_cdata_gpon_with_both_optics_index_shapes(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "cdata-gpon")
    assert ex.status == "SUCCESS", ex.error
    # sysObjectID ".1.3.6.1.4.1.17409" (the bare NSCRTV enterprise, leading dot as captured);
    # the sysDescr is the operator's "olt-norte-3" and names no model
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("C-Data", "OLT", "cdata")
    assert olt.detection["match"]["rule"] == "cdata"
    # NSCRTV-FTTX-GPON-MIB TC GponDeviceIndex: device(8) | card(8) | pon(8) | onu(8), the card
    # byte as in GponCardIndex (sub-slot 2 bits | main-slot 6 bits: 0x01 = main-slot 1, no
    # sub-slot):
    #   16843009 = 0x01010101 -> device 1, card 1, PON 1, ONU 1 -> 1/1/1:1
    #   16843010 = 0x01010102 -> 1/1/1:2;  16843013 = 0x01010105 -> 1/1/1:5
    #   16843265 = 0x01010201 -> 1/1/2:1;  16843280 = 0x01010210 -> 1/1/2:16
    #   16843648 = 0x01010380 -> 1/1/3:128 (gpon0/1/4 has no ONU)
    assert set(onus) == {"1/1/1:1", "1/1/1:2", "1/1/1:5", "1/1/2:1", "1/1/2:16", "1/1/3:128"}
    assert (onus["1/1/2:16"].frame, onus["1/1/2:16"].slot, onus["1/1/2:16"].port) == (1, 1, 2)
    assert onus["1/1/2:16"].onu_id == 16 and onus["1/1/3:128"].onu_id == 128
    # onuOperationStatus up(1) down(2)
    assert _by(onus, "state_value") == {
        "1/1/1:1": 1,
        "1/1/1:2": 2,
        "1/1/1:5": 1,
        "1/1/2:1": 1,
        "1/1/2:16": 2,
        "1/1/3:128": 1,
    }
    assert onus["1/1/1:1"].state_label == "up" and onus["1/1/1:2"].state_label == "down"
    # onuSerialNum OCTET STRING (SIZE 8)
    assert _by(onus, "serial") == {
        "1/1/1:1": "CDTC0A1B2C3D",  # 43 44 54 43 0A 1B 2C 3D
        "1/1/1:2": "CDTC0000BEEF",
        "1/1/1:5": "HWTC1234ABCD",
        "1/1/2:1": "ZTEG0F0E0D0C",
        "1/1/2:16": "CDTC11223344",
        "1/1/3:128": "CDTCAABBCCDD",
    }
    assert _by(onus, "name") == {
        "1/1/1:1": "maria-silva",
        "1/1/1:2": "joao-souza",
        "1/1/1:5": "Café da Esquina",  # UTF-8 C3 A9
        "1/1/2:1": None,  # empty
        "1/1/2:16": "loja-16",
        "1/1/3:128": "ultimo-128",
    }
    # onuEquipmentID OCTET STRING (SIZE 20): "FD511G-X" padded with NULs to 20 octets
    assert _by(onus, "onu_model") == {
        "1/1/1:1": "FD511G-X",
        "1/1/1:2": "FD511G-X",
        "1/1/1:5": "HG8310M",
        "1/1/2:1": "F601",
        "1/1/2:16": "FD511G-X",
        "1/1/3:128": "FD512XW-R460",
    }
    # onuTestDistance UNITS "Meter"; the MIB names no sentinel, so a down ONU's number is kept
    assert _by(onus, "distance_m") == {
        "1/1/1:1": 1250,
        "1/1/1:2": 1980,
        "1/1/1:5": 3020,
        "1/1/2:1": 785,
        "1/1/2:16": 2210,
        "1/1/3:128": 15020,
    }
    # onuReceivedOpticalPower / onuTramsmittedOpticalPower "centi-dBm"; -4000 = offline
    # (FD1700S); rows "<onu>.0.0", or "<onu>.0.<PON ifIndex>" as on FD1732S (14 = gpon0/1/2)
    assert _by(onus, "rx_power_dbm") == {
        "1/1/1:1": -19.32,  # 16843009.0.0 = -1932
        "1/1/1:2": None,  # -4000
        "1/1/1:5": -24.05,  # -2405
        "1/1/2:1": -16.78,  # 16843265.0.14 = -1678
        "1/1/2:16": None,  # 16843280.0.14 = -4000
        "1/1/3:128": None,  # no optics row
    }
    assert _by(onus, "tx_power_dbm") == {
        "1/1/1:1": 2.15,
        "1/1/1:2": None,
        "1/1/1:5": 1.98,
        "1/1/2:1": 2.4,
        "1/1/2:16": None,
        "1/1/3:128": None,
    }
    # onuTimeSinceLastRegister Counter32 UNITS "second"; 0 on the down ONUs
    now = datetime.now(UTC)
    assert _ago(onus["1/1/1:1"], 262_800, now)  # 3 days 1 hour
    assert _ago(onus["1/1/1:5"], 59, now)
    assert _ago(onus["1/1/2:1"], 1_209_600, now)  # 14 days
    assert _ago(onus["1/1/3:128"], 7_776_000, now)  # 90 days
    assert onus["1/1/1:2"].online_since is None and onus["1/1/2:16"].online_since is None
    assert all(o.last_down_cause is None for o in onus.values())  # .103 is FD17xx only
    summary = ex.summary
    assert summary["presence_table"] == "onuOperationStatus (GPON)"
    assert summary["tables"] == {
        "state": "onuOperationStatus (GPON)",
        "serial": "onuSerialNum (GPON)",
        "name": "onuName (GPON)",
        "onu_model": "onuEquipmentID (GPON)",
        "distance": "onuTestDistance (GPON)",
        "uptime": "onuTimeSinceLastRegister (GPON)",
        "rx_power": "onuReceivedOpticalPower (GPON)",
        "tx_power": "onuTramsmittedOpticalPower (GPON)",
    }
    assert summary["not_supported"] == ["last_down_cause", "mac"]
    assert summary["found"] == 6 and summary["states"] == {"up": 4, "down": 2}
    assert summary["not_onus"] == 0 and summary["undecoded"] == 0
    assert "value_errors" not in summary and "rejected_tables" not in summary


# ---------------------------------------------------------------- BDCOM GP3600-16B


def test_bdcom_gp3600_onus_as_interfaces(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "bdcom-gp3600")
    assert ex.status == "SUCCESS", ex.error
    # sysObjectID .3320.1.390.0 (librenms bdcom.snmprec); sysDescr carries a newline (hex)
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("BDCOM", "GP3600-16B", "bdcom")
    assert olt.detection["match"]["rule"] == "bdcom-gp3600-16b"
    # ONUs are IF-MIB interfaces "GPON0/<pon>:<onu>", their ifIndex allocated in registration
    # order (1179 GPON0/2:1, 1180 :2, 1184 :3, 1182 :4, 1468 :17, 1380 GPON0/4:1, 1381 :2), so
    # only the name says where: two numbers, slot 0 and the PON, frame 0
    assert set(onus) == {
        "0/0/2:1",
        "0/0/2:2",
        "0/0/2:3",
        "0/0/2:4",
        "0/0/2:17",
        "0/0/4:1",
        "0/0/4:2",
    }
    assert _by(onus, "raw_index") == {
        "0/0/2:1": "1179",
        "0/0/2:2": "1180",
        "0/0/2:3": "1184",
        "0/0/2:4": "1182",
        "0/0/2:17": "1468",
        "0/0/4:1": "1380",
        "0/0/4:2": "1381",
    }
    assert (onus["0/0/2:17"].frame, onus["0/0/2:17"].slot, onus["0/0/2:17"].port) == (0, 0, 2)
    # IF-MIB ifOperStatus up(1) down(2)
    assert _by(onus, "state_label") == {
        "0/0/2:1": "up",
        "0/0/2:2": "up",
        "0/0/2:3": "up",
        "0/0/2:4": "down",
        "0/0/2:17": "up",
        "0/0/4:1": "up",
        "0/0/4:2": "down",
    }
    assert onus["0/0/2:4"].state_value == 2
    assert _by(onus, "name") == {
        "0/0/2:1": "GPON0/2:1",
        "0/0/2:2": "GPON0/2:2",
        "0/0/2:3": "GPON0/2:3",
        "0/0/2:4": "GPON0/2:4",
        "0/0/2:17": "GPON0/2:17",
        "0/0/4:1": "GPON0/4:1",
        "0/0/4:2": "GPON0/4:2",
    }
    # ifAlias where the operator set one (1184 only), else ifDescr (== ifName on BDCOM)
    assert _by(onus, "description") == {
        "0/0/2:1": "GPON0/2:1",
        "0/0/2:2": "GPON0/2:2",
        "0/0/2:3": "Lopez (poste 14)",
        "0/0/2:4": "GPON0/2:4",
        "0/0/2:17": "GPON0/2:17",
        "0/0/4:1": "GPON0/4:1",
        "0/0/4:2": "GPON0/4:2",
    }
    # NMS-GPON-MIB gponOnuInfoTable onuSerialNum, indexed by the ONU's ifIndex: 3 ONUs only
    assert _by(onus, "serial") == {
        "0/0/2:1": "HWTC0102ABCD",  # 1179: 48 57 54 43 01 02 AB CD
        "0/0/2:2": None,
        "0/0/2:3": "ZTEGA1B2C3D4",  # 1184
        "0/0/2:4": "BDCM00FF1E2D",  # 1182
        "0/0/2:17": None,
        "0/0/4:1": None,
        "0/0/4:2": None,
    }
    # gponOnuOpticalPowerRxPower: 0.1 dBm (Ubilling BDCOM_GP3608 OFFSET 10); Integer32
    # -2147483648 (Ubilling's DOWNVALUE "2147483648") = offline
    assert _by(onus, "rx_power_dbm") == {
        "0/0/2:1": -21.4,  # -214
        "0/0/2:2": None,
        "0/0/2:3": -18.7,  # -187
        "0/0/2:4": None,  # -2147483648
        "0/0/2:17": None,
        "0/0/4:1": None,
        "0/0/4:2": None,
    }
    summary = ex.summary
    assert summary["presence_table"] == "ifOperStatus (IF-MIB)"
    assert summary["tables"] == {
        "state": "ifOperStatus (IF-MIB)",
        "name": "ifName (IF-MIB)",
        "description": ["ifAlias (IF-MIB)", "ifDescr (IF-MIB)"],
        "serial": "onuSerialNum (GPON)",
        "rx_power": "gponOnuOpticalPowerRxPower (GPON)",
    }
    assert summary["not_supported"] == ["distance", "mac", "onu_model", "tx_power"]
    assert summary["found"] == 7 and summary["states"] == {"up": 5, "down": 2}
    # GigaEthernet0/0, GigaEthernet0/1, TGigaEthernet0/1, the PON ports GPON0/1..GPON0/4,
    # Null0 and VLAN101 are interfaces, not ONUs
    assert summary["not_onus"] == 9 and summary["undecoded"] == 0
    assert "value_errors" not in summary and "rejected_tables" not in summary


# ---------------------------------------------------------------- detection alone


@pytest.mark.parametrize(
    ("name", "rule", "sys_object_id"),
    [
        ("huawei-ma5608t", "huawei-ma5608t", "1.3.6.1.4.1.2011.2.248"),
        ("zte-c620", "zte-c620", "1.3.6.1.4.1.3902.1082.1001.620.1.1"),
        ("fiberhome-an5516", "fiberhome-an5516-chassis", "1.3.6.1.4.1.5875.800.1001.11"),
        ("cdata-gpon", "cdata", "1.3.6.1.4.1.17409"),
        ("bdcom-gp3600", "bdcom-gp3600-16b", "1.3.6.1.4.1.3320.1.390.0"),
    ],
)
def test_detection_of_the_vendor_recordings(app, recordings, name, rule, sys_object_id):
    from jobs.detection import detect_olt
    from jobs.olts import NewOlt, add_olt

    olt = add_olt(
        NewOlt(name=name, host="127.0.0.1", port=recordings.port, community=name, timeout=1)
    )
    data = detect_olt(olt)
    db.session.commit()
    assert data["answered"] and data["known"] and data["applied"], data
    assert data["match"]["rule"] == rule
    assert data["sys_object_id"].lstrip(".") == sys_object_id


def test_the_bdcom_sys_descr_keeps_its_second_line(app, recordings):
    from jobs.detection import detect_olt
    from jobs.olts import NewOlt, add_olt

    olt = add_olt(
        NewOlt(name="b", host="127.0.0.1", port=recordings.port, community="bdcom-gp3600")
    )
    data = detect_olt(olt)
    # 42 44 43 4F 4D 28 74 6D 29 ... 0A 68 61 72 64 ... : a newline, then the hardware line
    assert data["sys_descr"] == (
        "BDCOM(tm) GP3600-16B Software, Version 74104\nhardware version: A"
    )
