"""Ask an OLT what it is: read its system group and match it against the detection table.

Pure SNMP and data (snmp/profiles/detection.py): no database. ``detect`` never raises for an
OLT that does not answer or answers something unknown; the result says what happened.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import asdict, dataclass, field

from snmp.client import EMPTY_TYPES, Target, VarBind, get
from snmp.errors import SnmpError
from snmp.profiles.detection import RULES, DetectionRule
from snmp.values import decode_text

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYSTEM = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)
MAX_TEXT = 500  # sysDescr of real OLTs is a line or two; hostile agents may send more


@dataclass(frozen=True)
class Match:
    """What the detection table chose, and the rule that chose it."""

    brand: str
    model: str
    profile: str | None
    technology: str
    rule: str
    source: str
    note: str = ""


@dataclass
class Detection:
    """One detection: what was read (or why nothing was), and what was chosen."""

    answered: bool
    rtt_ms: float | None = None
    error: str | None = None
    error_kind: str | None = None
    sys_descr: str | None = None
    sys_object_id: str | None = None
    sys_name: str | None = None
    sys_uptime_s: float | None = None
    extra: dict[str, str] = field(default_factory=dict)
    match: Match | None = None

    @property
    def known(self) -> bool:
        """True when the OLT answered and a rule gave it a profile."""
        return self.match is not None and self.match.profile is not None

    @property
    def message(self) -> str:
        """One sentence for people."""
        if not self.answered:
            return f"did not answer: {self.error}"
        if self.match is None:
            return (
                f"not an OLT we know: sysObjectID {self.sys_object_id or '-'}, "
                f"sysDescr {_short(self.sys_descr)!r}"
            )
        m = self.match
        if m.profile is None:
            return f"{m.brand} {m.model}: {m.note or 'not an OLT we know how to poll'}"
        return f"{m.brand} {m.model} (profile {m.profile}, rule {m.rule})"

    def as_dict(self) -> dict:
        """JSON-ready form, as stored on the OLT."""
        data = asdict(self)
        data["message"] = self.message
        data["known"] = self.known
        return data


def _short(text: str | None, size: int = 80) -> str:
    text = (text or "").replace("\n", " ").strip()
    return text if len(text) <= size else text[: size - 1] + "…"


def _text(vb: VarBind | None) -> str | None:
    if vb is None or vb.type in EMPTY_TYPES:
        return None
    if vb.type == "OctetString":
        raw = vb.raw if vb.raw is not None else str(vb.value).encode()
        return decode_text(raw[:MAX_TEXT].rstrip(b"\x00")).strip()
    return str(vb.value)[:MAX_TEXT]


def _oid_matches(oid: str | None, prefix: str) -> bool:
    """sysObjectID equals ``prefix`` or lies below it (whole arcs only)."""
    if not oid or not prefix:
        return False
    oid, prefix = oid.strip().lstrip("."), prefix.strip().lstrip(".")
    return oid == prefix or oid.startswith(prefix + ".")


def _rule_matches(rule: DetectionRule, d: Detection) -> bool:
    if rule.sys_object_id and not _oid_matches(d.sys_object_id, rule.sys_object_id):
        return False
    if rule.sys_descr and not re.search(rule.sys_descr, d.sys_descr or "", re.IGNORECASE):
        return False
    if rule.extra_oid:
        value = d.extra.get(rule.extra_oid) or ""
        if not re.search(rule.extra_pattern, value, re.IGNORECASE):
            return False
    return bool(rule.sys_object_id or rule.sys_descr or rule.extra_oid)


def _specificity(position: int, rule: DetectionRule) -> tuple[bool, int, int, int]:
    """Fallbacks last; then longer sysObjectID prefixes, then rules that also check text,
    then the table's order."""
    arcs = len(rule.sys_object_id.split(".")) if rule.sys_object_id else 0
    text = bool(rule.sys_descr) + bool(rule.extra_oid)
    return (not rule.fallback, arcs, text, -position)


def match(d: Detection, rules: tuple[DetectionRule, ...] = RULES) -> Match | None:
    """The most specific rule that matches what was read, as a Match (None: unknown)."""
    found = [(n, r) for n, r in enumerate(rules) if _rule_matches(r, d)]
    if not found:
        return None
    _, best = max(found, key=lambda item: _specificity(*item))
    model = best.model
    if best.sys_descr and "(?P<model>" in best.sys_descr:
        m = re.search(best.sys_descr, d.sys_descr or "", re.IGNORECASE)
        if m and m.group("model"):
            model = best.model.format(model=m.group("model").strip().upper())
    return Match(
        brand=best.brand,
        model=model,
        profile=best.profile,
        technology=best.technology,
        rule=best.name,
        source=best.source,
        note=best.note,
    )


async def _read(target: Target) -> Detection:
    started = time.monotonic()
    try:
        values = await get(target, list(SYSTEM))
    except SnmpError as exc:
        return Detection(answered=False, error=str(exc), error_kind=exc.kind)
    rtt = round((time.monotonic() - started) * 1000, 1)
    by_oid = {vb.oid: vb for vb in values}
    uptime = by_oid.get(SYS_UPTIME)
    d = Detection(
        answered=True,
        rtt_ms=rtt,
        sys_descr=_text(by_oid.get(SYS_DESCR)),
        sys_object_id=_text(by_oid.get(SYS_OBJECT_ID)),
        sys_name=_text(by_oid.get(SYS_NAME)),
        sys_uptime_s=(
            uptime.value / 100
            if uptime is not None and uptime.type == "TimeTicks" and isinstance(uptime.value, int)
            else None
        ),
    )
    extra = sorted({r.extra_oid for r in RULES if r.extra_oid and _extra_applies(r, d)})
    for oid in extra:  # one GET each: on SNMPv1 a missing object fails the whole request
        try:
            (vb,) = await get(target, [oid])
        except SnmpError:
            continue
        text = _text(vb)
        if text:
            d.extra[oid] = text
    return d


def _extra_applies(rule: DetectionRule, d: Detection) -> bool:
    """Read a rule's extra object only where its sysObjectID matches (or it has none)."""
    return not rule.sys_object_id or _oid_matches(d.sys_object_id, rule.sys_object_id)


async def detect(target: Target) -> Detection:
    """Read sysDescr, sysObjectID, sysName, sysUpTime (and vendor objects rules need); match."""
    d = await _read(target)
    if d.answered:
        d.match = match(d)
    return d


def detect_sync(target: Target) -> Detection:
    """Synchronous detect with its own event loop."""
    return asyncio.run(detect(target))


async def detect_many(targets: list[Target]) -> list[Detection]:
    """Detect several OLTs at once (a bulk "test and detect")."""
    return list(await asyncio.gather(*(detect(t) for t in targets)))
