"""Async SNMP client (pysnmp 7 v3arch asyncio) returning plain typed VarBinds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from snmp import _pysnmp as ps
from snmp.errors import SnmpMalformed, SnmpNoSuchOid

log = logging.getLogger(__name__)

VERSIONS = ("1", "2c", "3")
_NO_SUCH_NAME = 2  # SNMPv1 errorStatus noSuchName


@dataclass(frozen=True)
class Target:
    """Where and how to poll an agent; secrets are kept out of repr()."""

    host: str
    port: int = 161
    version: str = "2c"
    community: str = field(default="public", repr=False)
    v3_user: str = ""
    v3_auth_key: str = field(default="", repr=False)
    v3_priv_key: str = field(default="", repr=False)
    v3_auth_proto: str = "SHA"
    v3_priv_proto: str = "AES"
    timeout: float = 2.0
    retries: int = 1
    max_repetitions: int = 25
    v3_context: str = ""

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise ValueError(f"SNMP version must be one of {VERSIONS}, not {self.version!r}")
        if self.max_repetitions < 1:
            raise ValueError("max_repetitions must be >= 1")
        if self.timeout <= 0 or self.retries < 0:
            raise ValueError("timeout must be > 0 and retries >= 0")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid UDP port {self.port}")

    @property
    def address(self) -> str:
        """host:port, for messages ([v6]:port for IPv6 addresses)."""
        host = self.host if ":" not in self.host or self.host.startswith("[") else f"[{self.host}]"
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class VarBind:
    """One OID/value pair; ``raw`` holds the octets of OctetString/Opaque values."""

    oid: str
    type: str
    value: object
    raw: bytes | None = None


def render_octets(raw: bytes) -> str:
    """Decoded text if printable UTF-8 (tab/newline allowed), else upper-case hex."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex().upper()
    if all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        return text
    return raw.hex().upper()


def normalize_oid(oid: str) -> str:
    """Strip whitespace and a leading dot; ValueError unless dotted numeric."""
    text = oid.strip().lstrip(".")
    if not text or not all(p.isdigit() and p.isascii() for p in text.split(".")):
        raise ValueError(f"not a numeric OID: {oid!r}")
    return text


def index_of(column_oid: str, oid: str) -> str:
    """The index part of ``oid`` below ``column_oid``; ValueError if not inside the column."""
    column, full = normalize_oid(column_oid), normalize_oid(oid)
    if not full.startswith(column + "."):
        raise ValueError(f"{full} is not inside column {column}")
    return full[len(column) + 1 :]


def to_varbind(name: object, value: object) -> VarBind:
    """Convert a pysnmp (name, value) pair to a VarBind."""
    oid = ".".join(str(x) for x in tuple(name))
    type_name = ps.type_name(value)
    if type_name is None:
        raise SnmpMalformed(f"unsupported value type {type(value).__name__} at {oid}")
    if type_name in ("OctetString", "Opaque"):
        raw = bytes(value.asOctets())
        shown = render_octets(raw) if type_name == "OctetString" else raw.hex().upper()
        return VarBind(oid, type_name, shown, raw)
    if type_name == "IpAddress":
        return VarBind(oid, type_name, ".".join(str(b) for b in value.asNumbers()))
    if type_name == "ObjectIdentifier":
        return VarBind(oid, type_name, ".".join(str(x) for x in tuple(value)))
    if type_name in ps.EMPTY_TYPES:
        return VarBind(oid, type_name, None)
    return VarBind(oid, type_name, int(value))


@asynccontextmanager
async def engine_scope(engine: object | None = None) -> AsyncIterator[object]:
    """Yield ``engine``, or a fresh one closed on exit (share it across concurrent calls)."""
    if engine is not None:
        yield engine
        return
    own = ps.new_engine()
    try:
        yield own
    finally:
        own.close_dispatcher()


async def get(target: Target, oids: list[str], *, engine: object | None = None) -> list[VarBind]:
    """GET the given OIDs; noSuchObject/noSuchInstance come back as typed VarBinds."""
    names = [normalize_oid(o) for o in oids]
    if not names:
        return []
    async with engine_scope(engine) as eng:
        session = await ps.Session.open(eng, target)
        status, index, varbinds = await session.get(names)
    if status == _NO_SUCH_NAME:
        bad = names[index - 1] if 0 < index <= len(names) else "?"
        raise SnmpNoSuchOid(f"{target.address} has no object {bad} (noSuchName)")
    if status:
        raise ps.status_error(target, status, index, names)
    return [to_varbind(n, v) for n, v in varbinds]


def _check_increasing(column: str, last: tuple[int, ...], current: tuple[int, ...]) -> None:
    """Raise SnmpMalformed when the agent does not move forward."""
    if current <= last:
        cur, prev = ".".join(map(str, current)), ".".join(map(str, last))
        raise SnmpMalformed(f"non-increasing OID {cur} after {prev} while walking {column}")


async def bulk_walk(target: Target, oid: str, *, engine: object | None = None) -> list[VarBind]:
    """Walk one column (GETBULK; GETNEXT for v1), stopping at its end; [] if empty."""
    column = normalize_oid(oid)
    prefix = tuple(int(x) for x in column.split("."))
    rows: list[VarBind] = []
    last = prefix
    async with engine_scope(engine) as eng:
        session = await ps.Session.open(eng, target)
        while True:
            status, index, varbinds = await session.next_batch(".".join(map(str, last)))
            if status == _NO_SUCH_NAME and target.version == "1":
                break  # v1 end of MIB view
            if status:
                raise ps.status_error(target, status, index, [column])
            done = not varbinds
            for name, value in varbinds:
                current = tuple(name)
                if current[: len(prefix)] != prefix or ps.is_end(value):
                    done = True
                    break
                _check_increasing(column, last, current)
                rows.append(to_varbind(name, value))
                last = current
            if done:
                break
    log.debug("walked %s on %s: %d rows", column, target.address, len(rows))
    return rows


def walk_column(target: Target, oid: str) -> list[VarBind]:
    """Synchronous bulk_walk with its own engine and event loop."""
    return asyncio.run(bulk_walk(target, oid))


def get_sync(target: Target, oids: list[str]) -> list[VarBind]:
    """Synchronous get with its own engine and event loop."""
    return asyncio.run(get(target, oids))
