"""Stories the lab plays: what the simulated OLTs answer changes between polls.

Each story turns the lab's ONUs at step 0 (as generated) into the ONUs of step N, so that
real polls see events, alarms and outages happen:
- pon-cut: at steps 1 and 2 every ONU of the busiest PON is offline with LOS (a fiber cut);
  from step 3 they are back;
- power-outage: the same with dying gasp (the neighbourhood lost power);
- rx-drift: one ONU's rx falls 3 dB a step (-22, -25, -28, -31… dBm): low, then critical;
- flap: one ONU is offline (LOS) at odd steps and online at even ones;
- swap: from step 1 another ONT (another serial) answers at one ONU's position.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from snmp.lab.generate import LabOnu, _replace, lab_onus, rows_of, write_snmprec

STORIES = ("pon-cut", "power-outage", "rx-drift", "flap", "swap")


def busiest_pon(onus: list[LabOnu]) -> tuple[int, int, int]:
    """(frame, slot, port) of the PON with the most online ONUs."""
    counts = Counter((o.frame, o.slot, o.port) for o in onus if o.online)
    return counts.most_common(1)[0][0]


def first_online(onus: list[LabOnu]) -> LabOnu:
    """The ONU a one-ONU story plays with: the first online one in index order."""
    return next(o for o in onus if o.online)


def offline(onu: LabOnu, reason: str) -> LabOnu:
    """The ONU gone dark: no light, no distance, reporting why."""
    return _replace(
        onu, online=False, offline_reason=reason, rx_dbm=None, tx_dbm=None, olt_rx_dbm=None,
        distance=None, online_since=None,
    )  # fmt: skip


def _outage(onus: list[LabOnu], step: int, reason: str) -> list[LabOnu]:
    if step not in (1, 2):
        return onus
    pon = busiest_pon(onus)
    return [
        offline(o, reason) if (o.frame, o.slot, o.port) == pon and o.online else o for o in onus
    ]


def _one(onus: list[LabOnu], change) -> list[LabOnu]:
    target = first_online(onus)
    return [change(o) if o is target else o for o in onus]


def apply(story: str, onus: list[LabOnu], step: int) -> list[LabOnu]:
    """The ONUs of a story at a step (step 0: as generated)."""
    if story not in STORIES:
        raise ValueError(f"unknown story {story!r}; known: {', '.join(STORIES)}")
    if step <= 0:
        return onus
    if story == "pon-cut":
        return _outage(onus, step, "los")
    if story == "power-outage":
        return _outage(onus, step, "dying_gasp")
    if story == "rx-drift":
        return _one(onus, lambda o: _replace(o, rx_dbm=max(-40.0, -22.0 - 3.0 * step)))
    if story == "flap":
        return _one(onus, lambda o: offline(o, "los") if step % 2 else o)
    return _one(onus, lambda o: _replace(o, serial=o.serial[:4] + b"\x8f\x00\x00\x01"))


def write_step(path: Path, shape: str, count: int, seed: int, story: str, step: int) -> Path:
    """Rewrite an OLT's recording as the story has it at ``step``.

    snmpsim notices a changed recording by its modification time in whole seconds, so the
    new file's time is moved at least one second past the old one's.
    """
    path = Path(path)
    before = int(path.stat().st_mtime) if path.exists() else 0
    onus = apply(story, lab_onus(shape, count, seed), step)
    tmp = path.with_suffix(".tmp")
    write_snmprec(tmp, rows_of(shape, onus, seed))
    stamp = max(before + 1, int(time.time()))
    os.utime(tmp, (stamp, stamp))
    os.replace(tmp, path)
    return path


class Player:
    """Moves OLTs one step further in a story every ``every`` seconds; call tick() often.

    ``olts``: (recording path, lab shape, ONUs, seed) of each OLT that plays.
    """

    def __init__(self, story: str, olts: list[tuple[Path, str, int, int]], every: float) -> None:
        if story not in STORIES:
            raise ValueError(f"unknown story {story!r}; known: {', '.join(STORIES)}")
        self.story, self.olts, self.every = story, olts, every
        self.step = 0
        self._next = time.monotonic() + every

    def tick(self) -> int | None:
        """Write the next step when it is due; return it (None: not yet)."""
        if time.monotonic() < self._next:
            return None
        self.step += 1
        self._next += self.every
        for path, shape, count, seed in self.olts:
            write_step(path, shape, count, seed, self.story, self.step)
        return self.step
