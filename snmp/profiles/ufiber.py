"""Ubiquiti UFiber OLT and UISP Fiber OLT (UBNT-UFIBER-MIB ubntOnusTable, enterprise 41112).

The table is indexed by the ONU's serial as a length-prefixed string ("12.85.66.78.84…" =
"UBNT…"), whatever the MIB's Integer32 index says; there is no ONU-id column, so the serial is
the ONU's identity and ubntOnuOltPort (1-based, 0 when offline) says which PON it is on.
Offline ONUs answer 0 in every numeric column. MIB: librenms mibs/ubnt/UBNT-UFIBER-MIB; shape:
librenms tests/snmpsim/edgeosolt.snmprec, edgeosolt_uisp-fiber.snmprec.
"""

from snmp.indexes import IndexFormula
from snmp.profiles.base import Column, Profile
from snmp.values import ValueRule

ONUS = "1.3.6.1.4.1.41112.1.5.6.2.1"  # ubntOnuEntry
MIB = "UBNT-UFIBER-MIB (librenms mibs/ubnt/UBNT-UFIBER-MIB)"
# SignalLevel: "in hundredths of dBm"; offline ONUs answer 0
CENTI_DBM = ValueRule(scale=0.01, round_to=2, sentinels=(0,))

UFIBER = Profile(
    key="ufiber",
    brand="Ubiquiti",
    models=("UFiber OLT", "UISP Fiber OLT XGS"),
    technology="GPON",
    formulas={"serial": IndexFormula(mode="string", onu_from_dot=False)},
    columns=(
        Column("state", f"{ONUS}.3", "ubntOnuOnline", MIB, formula="serial", every_onu=True,
               labels={1: "online", 2: "offline"}, online=frozenset({1})),  # TruthValue
        Column("serial", f"{ONUS}.1", "ubntOnuSN", MIB, formula="serial", every_onu=True),
        Column("name", f"{ONUS}.2", "ubntOnuName", MIB, formula="serial", every_onu=True),
        Column("onu_model", f"{ONUS}.4", "ubntOnuModel", MIB, formula="serial"),
        Column("pon_port", f"{ONUS}.5", "ubntOnuOltPort", MIB, formula="serial",
               rule=ValueRule(sentinels=(0,)), keep_previous=True),
        # DISPUTED: no DESCRIPTION in the MIB; ConnectedTime reads as the registration time
        Column("uptime", f"{ONUS}.6", "ubntOnuConnectedTime", MIB, formula="serial",
               rule=ValueRule(parse="seconds", sentinels=(0,))),
        Column("tx_power", f"{ONUS}.8", "ubntOnuTxPower", MIB, formula="serial",
               rule=CENTI_DBM),
        Column("rx_power", f"{ONUS}.9", "ubntOnuRxPower", MIB, formula="serial",
               rule=CENTI_DBM),
    ),
)  # fmt: skip
