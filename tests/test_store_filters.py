"""The store step's shortcuts give what the full checks give: an ONU that _Quiet passes over has
no event (ev.detect and the move check find nothing), and _rx_outside keeps every ONU whose rx
an alarm evaluation would act on. Pure: no database."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import pytest

from history import events as ev
from history.alarms import Rules, _rx_severity
from jobs import onu_history
from jobs.inventory import Observation, Sighting
from snmp.indexes import DecodedIndex

ONLINE = frozenset({1})
STATES = (None, 1, 2)
SERIALS = (None, "", "HWTC0001", "HWTC0002")
RX = (None, -20.0, -20.5, -27.5, -31.0, -7.0, math.nan, "junk", True, -20)
OLD_RX = (None, -20.0, -27.5, -31.0, -7.0, math.nan)


class _Row:
    """What inventory._existing gives for one ONU: attributes and a ``_mapping``."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)
        self._mapping = values


def _existing(position: str, present, state, serial, rx) -> dict:
    row = _Row(
        id=1,
        position=position,
        present=present,
        consecutive_misses=0,
        state_value=state,
        frame=0,
        slot=1,
        port=2,
        serial=serial,
        rx_power_dbm=rx,
        collected_json=None,
    )
    other = _Row(**{**row._mapping, "id": 2, "position": "0/1/2:9", "serial": "HWTC0002"})
    return {position: row, "0/1/2:9": other}


def _all_events(monkeypatch, *args) -> list:
    """_events with the shortcut and without it."""
    fast = onu_history._events(*args)
    with monkeypatch.context() as m:
        m.setattr(onu_history._Quiet, "__call__", lambda self, position, old: False)
        full = onu_history._events(*args)
    return fast, full


@pytest.mark.parametrize("get_job", [False, True])
def test_an_onu_the_shortcut_passes_over_has_no_event(monkeypatch, get_job):
    position = "0/1/2:3"
    checked = 0
    for present, state, new_state, serial, new_serial, old_rx, new_rx in itertools.product(
        (True, False), STATES, STATES, SERIALS, (*SERIALS, ev.MISSING), OLD_RX, RX
    ):
        if get_job and not present:
            continue  # a get job looks at present ONUs only
        existing = _existing(position, present, state, serial, old_rx)
        values = {"rx_power": {position: new_rx}, "last_down_cause": {position: "LOS"}}
        if new_serial is not ev.MISSING:
            values["serial"] = {position: new_serial}
        decoded = DecodedIndex(0, 1, 2, 3)
        found = None if get_job else {position: Sighting(decoded, "1.3", new_state)}
        obs = Observation(
            found=found, complete=True, state_known=not get_job, values=values, online=ONLINE
        )
        ids = {position: 1, "0/1/2:9": 2}
        args = (obs, existing, ids, [], {1: "online", 2: "los"}, ev.Thresholds())
        fast, full = _all_events(monkeypatch, *args)
        assert fast == full, (present, state, new_state, serial, new_serial, old_rx, new_rx)
        checked += bool(full)
    assert checked > 100  # the cases do include changes


def test_rx_outside_keeps_every_onu_an_rx_alarm_acts_on():
    values = [None, "junk", True, 0, -20, math.nan, math.inf, -math.inf]
    values += [x / 4 for x in range(-160, 20)]  # -40 dBm .. +5 dBm by 0.25
    for rules in (Rules(), Rules(rx_warning=-25, rx_critical=-24, rx_overload=-10)):
        rx = {str(n): v for n, v in enumerate(values)}
        obs = Observation(values={"rx_power": rx})
        ids = {p: n for n, p in enumerate(rx)}
        kept = set(onu_history._rx_outside(obs, ids, rules))
        for position, value in rx.items():
            number = onu_history._number(value)
            if number is not None and _rx_severity(number, rules) is not None:
                assert position in kept, (rules, value)
        normal = {p for p, v in rx.items() if type(v) is float and -24 <= v <= -10}
        assert normal and not normal & kept  # normal levels under both rules: passed over


def test_samples_are_what_sample_of_and_centi_give(monkeypatch):
    from history import codec

    odd = [None, "junk", True, False, 0, 7, -20, math.nan, math.inf, -math.inf, 2**60]
    levels = odd + [-20.25, 327.67, -327.67, 327.675, -327.68, 400.0, -400.0, 1e300, -0.004]
    distances = odd + [0.5, 1.5, 2.5, 1234.4, -3.5, 1e20, 2**53 - 1, -(2**53) + 1, 2**53, 2**53 + 1]
    rows = list(itertools.product(levels[::3], levels, distances[::2]))
    rows += [(levels[0], levels[1], d) for d in distances]
    positions = [f"0/1/{n // 128}:{n % 128}" for n in range(len(rows))]
    values = {
        a: {p: row[k] for p, row in zip(positions, rows, strict=True)}
        for k, a in enumerate(("rx_power", "tx_power", "distance"))
    }
    found = {p: Sighting(DecodedIndex(0, 1, 1, 1), "1", n % 3) for n, p in enumerate(positions)}
    obs = Observation(found=found, complete=True, state_known=True, values=values)
    ids = {p: n for n, p in enumerate(positions)}
    written = {}
    monkeypatch.setattr(
        onu_history.history_samples,
        "append_records",
        lambda session, olt, ex, at, records: written.update(records) or len(records),
    )
    monkeypatch.setattr(onu_history, "db", SimpleNamespace(session=None))  # no database
    assert onu_history._samples(1, 2, obs, {}, ids, None) == len(rows)
    for p, onu_id in ids.items():
        rx, tx, state, metres = onu_history.sample_of(
            {a: v[p] for a, v in values.items()}, n := found[p].state
        )
        assert written[onu_id] == (codec.centi(rx), codec.centi(tx), n, metres), rows[onu_id]
