"""The detection table against what real devices answer.

Each case is a sysObjectID / sysDescr (and ubntModel where Ubiquiti needs it) as a real device
of that model gives them, copied by hand from the vendor's MIB registration or from a public
capture of the device (the source is named on each line), with the brand, model and profile a
NOC engineer would expect. The recordings in tests/recordings test the same over SNMP.
"""

from __future__ import annotations

import pytest

from snmp.detect import Detection, match
from snmp.profiles import PROFILES
from snmp.profiles.detection import RULES, UBNT_MODEL, DetectionRule

HUAWEI = "Huawei Integrated Access Software"  # every SmartAX, OLT or MDU
C320 = "C320 Version V2.1.0 Software, Copyright (c) by ZTE Corporation Compiled"
EDGEOS = "EdgeOS v4.4.2.4598.220304.1412"

CASES = [
    # (sysObjectID, sysDescr, extra, brand, model, profile)  # source
    # HUAWEI-MIB hwProducts: ma5608t 248, ma5800-x7 300, ma5683 133, ma5600V8 80.8
    ("1.3.6.1.4.1.2011.2.248", HUAWEI, {}, "Huawei", "MA5608T", "huawei"),
    ("1.3.6.1.4.1.2011.2.300", HUAWEI, {}, "Huawei", "MA5800-X7", "huawei"),
    ("1.3.6.1.4.1.2011.2.133", HUAWEI, {}, "Huawei", "MA5683T", "huawei"),
    ("1.3.6.1.4.1.2011.2.80.8", HUAWEI, {}, "Huawei", "MA5600T", "huawei"),
    # LibreNMS smartax.snmprec (fork): .123 with ifDescr Huawei-MA5600-V800R018-GPON_UNI
    ("1.3.6.1.4.1.2011.2.123", HUAWEI, {}, "Huawei", "MA5603T", "huawei"),
    # LibreNMS smartax.snmprec @75750b60: .169 (the MIB's MA5616) on an MA5600T OLT
    ("1.3.6.1.4.1.2011.2.169", HUAWEI, {}, "Huawei", "SmartAX", "huawei"),
    # an arc the table does not list, with the SmartAX sysDescr: still a SmartAX
    ("1.3.6.1.4.1.2011.2.999", HUAWEI, {}, "Huawei", "SmartAX", "huawei"),
    # smartax-mdu.snmprec: the MA5620 MDU (ifDescr Huawei-MA562X-V800R308-ETHERNET)
    ("1.3.6.1.4.1.2011.2.185", HUAWEI, {}, "Huawei", "MA5620", None),
    # zxa10_c320.snmprec; NOC ZTE/ZXA10 C300 .300.2.1, C620 .620.1.1; a live C600 .600.1.1
    ("1.3.6.1.4.1.3902.1082.1001.320.2.1", C320, {}, "ZTE", "C320", "zte"),
    ("1.3.6.1.4.1.3902.1082.1001.300.2.1", "", {}, "ZTE", "C300", "zte"),
    ("1.3.6.1.4.1.3902.1082.1001.620.1.1", "", {}, "ZTE", "C620", "zte_c600"),
    (
        "1.3.6.1.4.1.3902.1082.1001.600.1.1",
        "ZXA10 C600, ZTE ZXA10 Software Version: V1.2.2",
        {},
        "ZTE",
        "C600",
        "zte_c600",
    ),
    # a C600-family sysDescr under a ZXA10 sysObjectID the table does not list: the model
    # named by the text beats the ZXA10 family fallback
    (
        "1.3.6.1.4.1.3902.1082.1001.680.1.1",
        "ZXA10 C680, ZTE ZXA10 Software Version: V1.2.2",
        {},
        "ZTE",
        "C680",
        "zte_c600",
    ),
    ("1.3.6.1.4.1.3902.1082.1001.999", "", {}, "ZTE", "ZXA10", "zte"),
    # fiberhome.snmprec (AN5516-01) and twentyfouronline fiberhome_an5516-06 (AN5516-06) share
    # .1001.11; the bare model name is the sysDescr; an operator-set sysDescr leaves the MIB's
    ("1.3.6.1.4.1.5875.800.1001.11", "AN5516-01", {}, "FiberHome", "AN5516-01", "fiberhome"),
    ("1.3.6.1.4.1.5875.800.1001.11", "AN5516-06", {}, "FiberHome", "AN5516-06", "fiberhome"),
    ("1.3.6.1.4.1.5875.800.1001.11", "OLT CENTRO", {}, "FiberHome", "AN5516-01", "fiberhome"),
    ("1.3.6.1.4.1.5875.800.1001.12", "AN5516-04", {}, "FiberHome", "AN5516-04", "fiberhome"),
    ("1.3.6.1.4.1.5875.800.1001.2", "AN5116-06B", {}, "FiberHome", "AN5116", None),
    # vsolution_v1600d.snmprec and vsolution_v1600gs.snmprec: one sysObjectID for both
    ("1.3.6.1.4.1.37950.1.1.5.10.14.1", "V1600D", {}, "V-SOL", "V1600D", "vsol"),
    ("1.3.6.1.4.1.37950.1.1.5.10.14.1", "V1600GS", {}, "V-SOL", "V1600GS", "vsol"),
    ("1.3.6.1.4.1.37950.1.1.5.10.14.1", "olt-norte", {}, "V-SOL", "OLT", "vsol"),
    # cdata.snmprec: the bare NSCRTV enterprise, sysDescr as the operator set it
    (".1.3.6.1.4.1.17409", "FD1616GS", {}, "C-Data", "OLT", "cdata"),
    # NSCRTV .17409.1: HFC equipment (LibreNMS cdata excludes it)
    ("1.3.6.1.4.1.17409.1.11", "EDFA", {}, "NSCRTV", "HFC equipment", None),
    # bdcom.snmprec (the GP3600-16B); NOC BDCOM/xPON P3310C; BDCOM IOS S2208P is no OLT
    (
        "1.3.6.1.4.1.3320.1.390.0",
        "BDCOM(tm) GP3600-16B Software, Version 74104\nhardware version: A",
        {},
        "BDCOM",
        "GP3600-16B",
        "bdcom",
    ),
    ("1.3.6.1.4.1.3320.1.294.0", "", {}, "BDCOM", "P3310C", "bdcom"),
    (
        "1.3.6.1.4.1.3320.1.999.0",
        "BDCOM(tm) P3608B Software, Version 10.1.0E",
        {},
        "BDCOM",
        "P3608B",
        "bdcom",
    ),
    (
        "1.3.6.1.4.1.3320.1.347.0",
        "BDCOM(tm) S2208P Software, Version 2.2.0B",
        {},
        "BDCOM",
        "BDCOM device",
        None,
    ),
    # edgeosolt.snmprec (ubntModel "UFiber OLT") and edgeos.snmprec (an EdgeRouter): same
    # sysObjectID and sysDescr format
    (
        "1.3.6.1.4.1.41112.1.5",
        EDGEOS,
        {UBNT_MODEL: "UFiber OLT"},
        "Ubiquiti",
        "UFiber OLT",
        "ufiber",
    ),
    (
        "1.3.6.1.4.1.41112.1.5",
        "EdgeOS v1.8.0.4853089.160219.1607",
        {UBNT_MODEL: "EdgeRouter X 5-Port"},
        "Ubiquiti",
        "EdgeOS device",
        None,
    ),
    ("1.3.6.1.4.1.41112.1.5", EDGEOS, {}, "Ubiquiti", "EdgeOS device", None),
    # a FiberHome OLT product arc the table does not list, with the sysDescr an operator set:
    # FiberHome's family (enterprise 5875, OLT products .800.1001), AN5516 columns tried
    ("1.3.6.1.4.1.5875.800.1001.13", "OLT-NORTE", {}, "FiberHome", "OLT", "fiberhome"),
    # sysDescr as some firmware writes it, lower case: one model, whatever the case
    ("1.3.6.1.4.1.5875.800.1001.11", "an5516-06", {}, "FiberHome", "AN5516-06", "fiberhome"),
    # edgeosolt_uisp-fiber.snmprec: Broadcom's enterprise, told apart by the sysDescr
    (
        "1.3.6.1.4.1.4413",
        "UISP Fiber OLT XGS, 4.6.1.28209, Linux 4.4.302",
        {},
        "Ubiquiti",
        "UISP Fiber OLT XGS",
        "ufiber",
    ),
]


@pytest.mark.parametrize(("oid", "descr", "extra", "brand", "model", "profile"), CASES)
def test_real_devices_detect_as_themselves(oid, descr, extra, brand, model, profile):
    d = Detection(answered=True, sys_object_id=oid, sys_descr=descr, extra=dict(extra))
    m = match(d)
    assert m is not None, (oid, descr)
    assert (m.brand, m.model, m.profile) == (brand, model, profile), m.rule
    d.match = m
    assert d.known is (profile is not None)
    if profile is None:
        assert m.model in d.message and "not" in d.message.lower()


@pytest.mark.parametrize(
    ("oid", "descr"),
    [
        ("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software"),  # a switch
        ("1.3.6.1.4.1.4413", "EdgeSwitch 24-Port Lite, 1.9.3"),  # Broadcom, not an OLT
        ("1.3.6.1.4.1.33200", "MikroTik RouterOS"),
        ("1.3.6.1.4.1.20110", ""),  # enterprise 20110 is not Huawei's 2011
        ("1.3.6.1.4.1.3320.10", ""),  # BDCOM's GPON MIB tree, not bdcomProducts
        ("", ""),
    ],
)
def test_other_devices_are_unknown(oid, descr):
    d = Detection(answered=True, sys_object_id=oid, sys_descr=descr)
    assert match(d) is None
    assert "not an OLT we know" in d.message


def test_prefixes_match_whole_arcs_only():
    """.3320.1 is not .3320.10…, a leading dot is the same OID, case does not matter."""
    assert match(Detection(answered=True, sys_object_id="1.3.6.1.4.1.3320.10.1")) is None
    assert match(Detection(answered=True, sys_object_id=".1.3.6.1.4.1.2011.2.248")).model == (
        "MA5608T"
    )
    m = match(Detection(answered=True, sys_object_id="", sys_descr="an5516-06"))
    assert (m.brand, m.model) == ("FiberHome", "AN5516-06")  # one OltModel row per model


def test_specificity_prefers_longer_prefixes_then_text_and_never_a_fallback():
    family = DetectionRule(
        "family", "X", "X family", "generic", "t", "1.3.6.1.4.1.99", fallback=True
    )
    oid = DetectionRule("oid", "X", "X-1", "generic", "t", "1.3.6.1.4.1.99.1")
    deeper = DetectionRule("deeper", "X", "X-1a", "generic", "t", "1.3.6.1.4.1.99.1.1")
    text = DetectionRule("text", "X", "{model}", "generic", "t", sys_descr=r"^(?P<model>X-\d)")
    rules = (family, oid, deeper, text)

    def chosen(oid_read, descr=""):
        return match(Detection(answered=True, sys_object_id=oid_read, sys_descr=descr), rules)

    assert chosen("1.3.6.1.4.1.99.7").rule == "family"
    assert chosen("1.3.6.1.4.1.99.7", "X-9 router").model == "X-9"  # text beats the fallback
    assert chosen("1.3.6.1.4.1.99.1.5", "X-9").rule == "oid"  # a named OID beats text
    assert chosen("1.3.6.1.4.1.99.1.1.4", "X-9").rule == "deeper"


def test_every_rule_is_sound():
    """Names are unique, profiles exist, patterns compile, and every rule names a source."""
    import re

    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.source, rule.name
        assert rule.profile is None or rule.profile in PROFILES, rule.name
        assert rule.profile is not None or rule.note, f"{rule.name}: say why it is refused"
        for pattern in (rule.sys_descr, rule.extra_pattern):
            if pattern:
                re.compile(pattern)
        if "{model}" in rule.model:
            assert "(?P<model>" in rule.sys_descr, rule.name
        assert rule.sys_object_id or rule.sys_descr or rule.extra_oid, rule.name
