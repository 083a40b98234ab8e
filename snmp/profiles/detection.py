"""The detection table: which brand, model and profile an OLT is, from what its system group says.

Each rule matches a sysObjectID prefix (whole arcs), a sysDescr pattern (case-insensitive
re.search), or a vendor object read only when needed (``extra_oid``); a rule needs all that it
names. The most specific match wins: the longest sysObjectID prefix, then rules that also check
text. ``model`` may use "{model}" for the sysDescr pattern's named group. ``profile`` None means
"known device, but not an OLT we can poll" (MDUs, routers sharing an enterprise). Sources: what
each line comes from (vendor MIB registrations, public captures of real devices, the detection
rules of LibreNMS, NOC and Observium). A ``fallback`` rule (a vendor's whole family) loses to
every other match, so that a model named by sysDescr beats an enterprise prefix naming none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectionRule:
    """One line of the detection table."""

    name: str
    brand: str
    model: str
    profile: str | None
    source: str
    sys_object_id: str = ""
    sys_descr: str = ""
    extra_oid: str = ""
    extra_pattern: str = ""
    technology: str = "GPON"
    note: str = ""
    fallback: bool = False


HW = "1.3.6.1.4.1.2011.2"  # HUAWEI-MIB hwProducts
HW_MIB = "HUAWEI-MIB V5.43 hwProducts (librenms mibs/huawei/HUAWEI-MIB)"
HW_DESCR = r"^Huawei Integrated Access Software"
ZTE = "1.3.6.1.4.1.3902.1082.1001"  # ZTE-AN-SMI zxAnProducts ("SysOids of zte Access Node")
NOC_ZTE = "nocproject/noc collections/sa.profilecheckrules/ZTE/ZXA10"
FH = "1.3.6.1.4.1.5875.800.1001"
BD = "1.3.6.1.4.1.3320.1"  # BDCOM-SMI bdcomProducts
NOC_BD = "nocproject/noc collections/sa.profilecheckrules/BDCOM/xPON"
UBNT_MODEL = "1.3.6.1.4.1.41112.1.5.1.1.0"  # UBNT-UFIBER-MIB ubntModel


def _hw(arc: str, model: str, source: str, technology: str = "GPON") -> DetectionRule:
    return DetectionRule(
        f"huawei-{model.lower()}", "Huawei", model, "huawei", source, f"{HW}.{arc}",
        technology=technology,
    )  # fmt: skip


def _hw_mdu(arc: str, model: str) -> DetectionRule:
    return DetectionRule(
        f"huawei-mdu-{model.lower()}", "Huawei", model, None, HW_MIB, f"{HW}.{arc}",
        note="a Huawei MDU (SmartAX access unit), not an OLT",
    )  # fmt: skip


def _zte(arc: str, model: str, profile: str, source: str) -> DetectionRule:
    return DetectionRule(f"zte-{model.lower()}", "ZTE", model, profile, source, f"{ZTE}.{arc}")


def _bd(arc: str, model: str, technology: str) -> DetectionRule:
    return DetectionRule(
        f"bdcom-{model.lower()}", "BDCOM", model, "bdcom", f"{NOC_BD}/{model}_sysObjectID.json",
        f"{BD}.{arc}.0", technology=technology,
    )  # fmt: skip


RULES: tuple[DetectionRule, ...] = (
    # ---- Huawei SmartAX: sysDescr names no model; the sysObjectID arc does (HUAWEI-MIB)
    DetectionRule(
        "huawei-smartax", "Huawei", "SmartAX", "huawei",
        "LibreNMS os smartax (sysDescr); tests/snmpsim/smartax.snmprec", HW,
        sys_descr=HW_DESCR, technology="GPON/EPON",
        note="model not in the sysObjectID table: assuming an MA5600-class OLT",
    ),
    _hw("80", "MA5600", HW_MIB + "; NOC Huawei/MA/MA5600_sysObjectID.json"),
    _hw("80.8", "MA5600T", HW_MIB + " (ma5600V8); OSS_SNMP vendor_huawei.php"),
    # the MIB registers .115 as eudemonEVPN5900; Open-AudIT, Observium and NOC all see MA5680T
    _hw("115", "MA5680T", "NOC Huawei/MA/MA5680T_sysObjectID.json; Observium; Open-AudIT"),
    _hw("123", "MA5603T", HW_MIB + "; capture twentyfouronline tests/snmpsim/smartax.snmprec"),
    _hw("133", "MA5683T", HW_MIB + " (ma5683); Observium; Open-AudIT"),
    _hw("248", "MA5608T", HW_MIB + "; NOC Huawei/MA/MA5608T_sysObjectID.json"),
    _hw("294", "MA5800-X17", HW_MIB + "; NOC Huawei/MA/MA5800-X17_sysObjectID.json"),
    _hw("300", "MA5800-X7", HW_MIB + "; NOC Huawei/MA/MA5800-X7_sysObjectID.json"),
    _hw("317", "MA5800-X2", "NOC Huawei/MA/MA5800-X2_sysObjectID.json"),
    _hw("337", "MA5801", HW_MIB + " revision text (ma5801-gp08); NOC MA5801_sysObjectID.json"),
    # HUAWEI-MIB registers .169 as the MA5616 MDU, yet a public walk answering .169 is an
    # MA5600T OLT (ENTITY-MIB: "MA5600T", H805GPFD GPON board): poll it; an MDU finds no ONUs
    DetectionRule(
        "huawei-169", "Huawei", "SmartAX", "huawei",
        HW_MIB + " (ma5616); capture librenms tests/snmpsim/smartax.snmprec @75750b60 (MA5600T)",
        f"{HW}.169", technology="GPON/EPON",
        note="HUAWEI-MIB names .169 the MA5616 MDU, but MA5600T OLTs answer it too",
    ),
    _hw_mdu("185", "MA5620"),
    _hw_mdu("186", "MA5626"),
    _hw_mdu("128", "MA5620E"),
    _hw_mdu("132", "MA5626E"),
    # ---- ZTE ZXA10: the tree (legacy 1012 or 1082.500) cannot be read from the sysObjectID
    # (a V2.1 C320 answers on both), so the zte profile tries both trees' columns
    DetectionRule(
        "zte-zxa10", "ZTE", "ZXA10", "zte",
        "ZTE-AN-SMI zxAccessNode; LibreNMS os zxa10 (.3902.1082.)", "1.3.6.1.4.1.3902.1082",
        note="ZXA10 access node not in the model table: trying the C300/C320 columns",
        fallback=True,
    ),
    _zte("320", "C320", "zte", "capture librenms tests/snmpsim/zxa10_c320.snmprec (.320.2.1)"),
    _zte("300", "C300", "zte", f"{NOC_ZTE}/C300_sysObjectID.json (.300.2.1)"),
    _zte("6000", "C300M", "zte", f"{NOC_ZTE}/C300M_sysObjectID.json (.6000.4.2)"),
    _zte("6020", "C350M", "zte", f"{NOC_ZTE}/C350M_sysObjectID.json (.6020.4.2)"),
    _zte("600", "C600", "zte_c600", "community reports of a live C600 (.600.1.1)"),
    _zte("610", "C610", "zte_c600", f"{NOC_ZTE}/C610_sysObjectID.json (.610.1.1)"),
    _zte("620", "C620", "zte_c600", f"{NOC_ZTE}/C620_sysObjectID.json (.620.1.1)"),
    _zte("650", "C650", "zte_c600", f"{NOC_ZTE}/C650_sysObjectID.json (.650.1.1)"),
    DetectionRule(
        "zte-c3xx-descr", "ZTE", "{model}", "zte",
        "capture librenms tests/snmpsim/zxa10_c320.snmprec (sysDescr)",
        sys_descr=r"^(?P<model>C3\d0) Version V[\d.]+ Software, Copyright \(c\) by ZTE",
    ),
    DetectionRule(
        "zte-c6xx-descr", "ZTE", "{model}", "zte_c600",
        "community reports of a live C600 (sysDescr)",
        sys_descr=r"^ZXA10 (?P<model>C6\d0)\b",
    ),
    # ---- FiberHome: sysDescr is the bare model name; .1001.11 is shared by the -01 and -06
    DetectionRule(
        "fiberhome-olt", "FiberHome", "OLT", "fiberhome",
        "FiberHome enterprise 5875, OLT products .800.1001 (captures librenms "
        "tests/snmpsim/fiberhome*.snmprec)", FH, technology="GPON/EPON",
        note="FiberHome OLT not in the model table: trying the AN5516 columns", fallback=True,
    ),
    DetectionRule(
        "fiberhome-an5516", "FiberHome", "{model}", "fiberhome",
        "LibreNMS os fiberhome (sysDescr); tests/snmpsim/fiberhome*.snmprec",
        sys_descr=r"^(?P<model>AN5516-0(?:1|4B|4|6))$", technology="GPON/EPON",
    ),
    DetectionRule(
        "fiberhome-an5516-01", "FiberHome", "AN5516-01", "fiberhome",
        "capture librenms tests/snmpsim/fiberhome.snmprec; tqandrade/snmp-fiberhome tables.js",
        f"{FH}.11", technology="GPON/EPON",
    ),
    DetectionRule(
        "fiberhome-an5516-chassis", "FiberHome", "{model}", "fiberhome",
        "captures librenms tests/snmpsim/fiberhome.snmprec (AN5516-01), twentyfouronline "
        "tests/snmpsim/fiberhome_an5516-06.snmprec (AN5516-06), both .1001.11",
        f"{FH}.11", sys_descr=r"^(?P<model>AN5516-0(?:1|4B|4|6))$", technology="GPON/EPON",
    ),
    DetectionRule(
        "fiberhome-an5516-04", "FiberHome", "AN5516-04", "fiberhome",
        "capture librenms tests/snmpsim/fiberhome_an5516-04.snmprec", f"{FH}.12",
        technology="GPON/EPON",
    ),
    DetectionRule(
        "fiberhome-an6000", "FiberHome", "{model}", "fiberhome",
        "FiberHome AN6000 naming (no public capture: the AN5516 columns are tried)",
        sys_descr=r"^(?P<model>AN6000-\d+)", technology="GPON/XG-PON",
    ),
    DetectionRule(
        "fiberhome-an5116", "FiberHome", "AN5116", None,
        "tqandrade/snmp-fiberhome tables.js (.1001.1 AN5116-02, .1001.2 AN5116-06)",
        sys_descr=r"^AN5116", technology="EPON",
        note="its ONU index is packed differently (2^27/2^22/2^13): not supported yet",
    ),
    # ---- V-SOL: V1600D (EPON) and V1600GS (GPON) share one sysObjectID; the vsol profile has
    # both trees' columns, the sysDescr names the model
    DetectionRule(
        "vsol", "V-SOL", "OLT", "vsol", "LibreNMS os vsolution (.37950.)",
        "1.3.6.1.4.1.37950", technology="GPON/EPON",
    ),
    DetectionRule(
        "vsol-model", "V-SOL", "{model}", "vsol",
        "captures librenms tests/snmpsim/vsolution_v1600d.snmprec, vsolution_v1600gs.snmprec",
        "1.3.6.1.4.1.37950", sys_descr=r"^(?P<model>V16\d\d[A-Z0-9]*)$",
        technology="GPON/EPON",
    ),
    # ---- C-Data: every model answers the bare NSCRTV enterprise (17409); .17409.1 is the HFC
    # (amplifier) branch, not an OLT. sysDescr is whatever the operator set.
    DetectionRule(
        "cdata", "C-Data", "OLT", "cdata",
        "capture librenms tests/snmpsim/cdata.snmprec; NOC CData/xPON/sysObjectID.json",
        "1.3.6.1.4.1.17409", technology="GPON/EPON",
    ),
    DetectionRule(
        "nscrtv-hfc", "NSCRTV", "HFC equipment", None,
        "LibreNMS os cdata excludes .17409.1 (optical amplifiers, HFC nodes)",
        "1.3.6.1.4.1.17409.1", note="NSCRTV HFC equipment (an amplifier?), not an OLT",
    ),
    # ---- BDCOM: one sysObjectID per model; BDCOM switches share .3320.1
    DetectionRule(
        "bdcom-olt", "BDCOM", "{model}", "bdcom",
        "capture librenms tests/snmpsim/bdcom.snmprec (sysDescr)", BD,
        sys_descr=r"^BDCOM\(tm\) (?P<model>G?P3\d{3}[-\w]*) Software", technology="GPON/EPON",
    ),
    DetectionRule(
        "bdcom-gp3600-16b", "BDCOM", "GP3600-16B", "bdcom",
        "capture librenms tests/snmpsim/bdcom.snmprec", f"{BD}.390.0",
    ),
    _bd("405", "GP3600-08B", "GPON"),
    _bd("450", "GP3600-04", "GPON"),
    _bd("228", "P3310B", "EPON"),
    _bd("294", "P3310C", "EPON"),
    _bd("441", "P3310D", "EPON"),
    _bd("263", "P3608", "EPON"),
    _bd("2009", "P3608-2TE", "EPON"),
    _bd("2011", "P3616-2TE", "EPON"),
    _bd("495", "P3600-04", "EPON"),
    _bd("493", "P3600-08", "EPON"),
    _bd("503", "P3600-08E", "EPON"),
    DetectionRule(
        "bdcom-other", "BDCOM", "BDCOM device", None, "BDCOM-SMI bdcomProducts", BD,
        note="a BDCOM device that is not one of its known OLTs (BDCOM switches share .3320.1)",
    ),
    # ---- Ubiquiti: UFiber OLTs and EdgeRouters share .41112.1.5 and "EdgeOS v…"; only
    # ubntModel.0 tells them apart. UISP Fiber OLT XGS answers Broadcom's .4413.
    DetectionRule(
        "ubiquiti-ufiber", "Ubiquiti", "UFiber OLT", "ufiber",
        "LibreNMS os edgeosolt; capture librenms tests/snmpsim/edgeosolt.snmprec",
        "1.3.6.1.4.1.41112.1.5", extra_oid=UBNT_MODEL, extra_pattern="UFiber",
    ),
    DetectionRule(
        "ubiquiti-uisp-fiber-xgs", "Ubiquiti", "UISP Fiber OLT XGS", "ufiber",
        "LibreNMS os edgeosolt; capture librenms tests/snmpsim/edgeosolt_uisp-fiber.snmprec",
        sys_descr=r"^UISP Fiber OLT", technology="XGS-PON",
    ),
    DetectionRule(
        "ubiquiti-edgeos", "Ubiquiti", "EdgeOS device", None,
        "capture librenms tests/snmpsim/edgeos.snmprec (an EdgeRouter)", "1.3.6.1.4.1.41112.1.5",
        note="an EdgeOS router (ubntModel is not UFiber), not an OLT",
    ),
)  # fmt: skip
