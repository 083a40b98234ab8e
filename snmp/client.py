"""SNMP client facade: v1/v2c via snmp.fast (compact codec), v3 via pysnmp; typed VarBinds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from snmp import _pysnmp as ps
from snmp import adapt, fast, walk
from snmp.adapt import BulkStats, bulk_stats
from snmp.codec import EMPTY_TYPES, EXCEPTION_TYPES, VarBind, render_octets
from snmp.errors import SnmpMalformed, SnmpNoSuchOid

log = logging.getLogger(__name__)

VERSIONS = ("1", "2c", "3")
BACKENDS = ("auto", "fast", "pysnmp")
__all__ = [
    "EMPTY_TYPES",
    "EXCEPTION_TYPES",
    "BulkStats",
    "Target",
    "VarBind",
    "bulk_stats",
    "bulk_walk",
    "engine_scope",
    "first_rows",
    "first_rows_sync",
    "get",
    "get_many",
    "get_many_sync",
    "get_sync",
    "index_of",
    "normalize_oid",
    "render_octets",
    "to_varbind",
    "walk_column",
    "walk_columns",
    "walk_columns_sync",
]
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
    max_repetitions: int = 25  # where a walk starts; see adapt_repetitions
    v3_context: str = ""
    backend: str = "auto"  # "fast" (v1/v2c only) or "pysnmp" force one implementation
    max_walk_bytes: int = fast.MAX_WALK_BYTES  # answers one walk or get_many may receive
    # v1/v2c walks grow max_repetitions while the agent answers fast and whole, and shrink it
    # on tooBig, truncated or slow answers (snmp.adapt); False keeps it fixed
    adapt_repetitions: bool = True

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise ValueError(f"SNMP version must be one of {VERSIONS}, not {self.version!r}")
        if self.backend not in BACKENDS or (self.backend == "fast" and self.version == "3"):
            raise ValueError(
                f"backend must be one of {BACKENDS} (fast: v1/v2c), not {self.backend!r}"
            )
        if self.max_repetitions < 1:
            raise ValueError("max_repetitions must be >= 1")
        if self.max_walk_bytes < 1:
            raise ValueError("max_walk_bytes must be >= 1")
        if self.timeout <= 0 or self.retries < 0:
            raise ValueError("timeout must be > 0 and retries >= 0")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid UDP port {self.port}")

    @property
    def address(self) -> str:
        """host:port, for messages ([v6]:port for IPv6 addresses)."""
        host = self.host if ":" not in self.host or self.host.startswith("[") else f"[{self.host}]"
        return f"{host}:{self.port}"


def uses_fast(target: Target, engine: object | None = None) -> bool:
    """True when ``target`` goes through snmp.fast (an explicit pysnmp engine keeps pysnmp)."""
    if target.backend == "auto":
        return target.version != "3" and engine is None
    return target.backend == "fast"


_NUMERIC_OID = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def normalize_oid(oid: str) -> str:
    """Strip whitespace and a leading dot; ValueError unless dotted numeric."""
    text = oid.strip().lstrip(".")
    if _NUMERIC_OID.fullmatch(text) is None:  # one regex: this runs once per OID in get_many
        raise ValueError(f"not a numeric OID: {oid!r}")
    return text


_OID_OCTETS = b"0123456789.\n"
_NEWLINE_TO_DOT = bytes.maketrans(b"\n", b".")


def _normalize_all(oids: list[str]) -> list[str]:
    """[normalize_oid(o) for o in oids], checked all at once when none needs stripping."""
    try:
        text = "\n".join(oids).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        text = b""
    # one OID a line (none holding a newline itself): digits and dots, no empty arc
    if (
        text[:1].isdigit()
        and text[-1:].isdigit()
        and not text.translate(None, _OID_OCTETS)
        and text.count(b"\n") == len(oids) - 1
        and b".." not in text.translate(_NEWLINE_TO_DOT)
    ):
        return list(oids)
    return [normalize_oid(o) for o in oids]


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
    if type_name in EMPTY_TYPES:
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
    names = _normalize_all(oids)
    if not names:
        return []
    if uses_fast(target, engine):
        return await fast.get_many(target, names)
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


class _Budget:
    """Octets of values and OIDs a pysnmp walk has kept, against target.max_walk_bytes.

    pysnmp does not show the datagrams, so the rows are counted as they are kept (pysnmp's own
    work per row dwarfs an addition); shared by the columns of one walk_columns.
    """

    def __init__(self, target: Target, what: str) -> None:
        self.target, self.what, self.spent = target, what, 0

    def spend(self, rows: list[VarBind]) -> None:
        """Count ``rows``; SnmpTooMuchData once the walk holds more than the budget."""
        self.spent += sum(len(vb.oid) + (len(vb.raw) if vb.raw is not None else 8) for vb in rows)
        if self.spent > self.target.max_walk_bytes:
            raise fast.too_much_data(self.target, self.what)


async def bulk_walk(target: Target, oid: str, *, engine: object | None = None) -> list[VarBind]:
    """Walk one column (GETBULK; GETNEXT for v1), stopping at its end; [] if empty."""
    column = normalize_oid(oid)
    if uses_fast(target, engine):
        return (await walk.walk_columns(target, [column]))[column]
    return await _bulk_walk(target, column, engine, _Budget(target, f"while walking {column}"))


async def _bulk_walk(
    target: Target, column: str, engine: object | None, budget: _Budget
) -> list[VarBind]:
    """bulk_walk on pysnmp, its rows counted in ``budget``."""
    prefix = tuple(int(x) for x in column.split("."))
    rows: list[VarBind] = []
    last = prefix
    stats = adapt.current() or BulkStats()  # pysnmp keeps max_repetitions as configured
    stats.configured = stats.configured or target.max_repetitions
    async with engine_scope(engine) as eng:
        session = await ps.Session.open(eng, target)
        while True:
            if target.version != "1":  # v1 walks with GETNEXT
                stats.used(target.max_repetitions)
            status, index, varbinds = await session.next_batch(".".join(map(str, last)))
            if status == _NO_SUCH_NAME and target.version == "1":
                break  # v1 end of MIB view
            if status:
                raise ps.status_error(target, status, index, [column])
            if not varbinds:  # an empty GETBULK answer: confirm the end with a GETNEXT
                status, index, varbinds = await session.next([".".join(map(str, last))])
                if status or not varbinds:
                    raise SnmpMalformed(
                        f"{target.address} sent an empty answer while walking {column}: "
                        "the walk is incomplete"
                    )
            done, taken = False, len(rows)
            for name, value in varbinds:
                current = tuple(name)
                if current[: len(prefix)] != prefix or ps.is_end(value):
                    done = True
                    break
                _check_increasing(column, last, current)
                rows.append(to_varbind(name, value))
                last = current
            budget.spend(rows[taken:])
            if done:
                break
    log.debug("walked %s on %s: %d rows", column, target.address, len(rows))
    return rows


async def walk_columns(
    target: Target, columns: list[str], *, engine: object | None = None
) -> dict[str, list[VarBind]]:
    """Walk several columns (one request per round on v1/v2c); column as given -> rows."""
    names = {c: normalize_oid(c) for c in columns}
    if uses_fast(target, engine):
        rows = await walk.walk_columns(target, list(dict.fromkeys(names.values())))
    else:
        unique = list(dict.fromkeys(names.values()))
        budget = _Budget(target, f"while walking {fast._what(unique)}")
        async with engine_scope(engine) as eng:
            tasks = [asyncio.ensure_future(_bulk_walk(target, c, eng, budget)) for c in unique]
            try:
                walked = await asyncio.gather(*tasks)
            finally:  # one column failed (say, over the budget): the others stop too
                for task in tasks:
                    task.cancel()
            rows = dict(zip(unique, walked, strict=True))
    return {c: rows[name] for c, name in names.items()}


async def get_many(
    target: Target, oids: list[str], *, engine: object | None = None, batch: int = fast.GET_BATCH
) -> list[VarBind]:
    """GET any number of OIDs, ``batch`` per request (several in flight on v1/v2c)."""
    names = _normalize_all(oids)
    if uses_fast(target, engine):
        return await fast.get_many(target, names, batch=batch)
    out: list[VarBind] = []
    budget = _Budget(target, f"answering GETs of {len(names)} OIDs")
    async with engine_scope(engine) as eng:
        for start in range(0, len(names), batch):
            got = await get(target, names[start : start + batch], engine=eng)
            budget.spend(got)
            out += got
    return out


async def first_rows(
    target: Target, columns: list[str], *, engine: object | None = None
) -> dict[str, VarBind | None]:
    """The first row of each column (a GETNEXT), or None where the agent has none.

    Cheap enough to ask before walking which of several candidate tables an OLT has.
    """
    names = {c: normalize_oid(c) for c in columns}
    unique = list(dict.fromkeys(names.values()))
    if uses_fast(target, engine):
        rows = await fast.first_rows(target, unique)
    else:
        rows = {}
        async with engine_scope(engine) as eng:
            session = await ps.Session.open(eng, target)
            for name in unique:
                rows[name] = await _first_row(session, name)
    return {c: rows[name] for c, name in names.items()}


async def _first_row(session: ps.Session, column: str) -> VarBind | None:
    """pysnmp: one GETNEXT; None past the column or on an error status."""
    status, _index, varbinds = await session.next([column])
    if status or not varbinds:
        return None
    name, value = varbinds[0]
    vb = to_varbind(name, value)
    if not vb.oid.startswith(column + ".") or vb.type in EXCEPTION_TYPES:
        return None
    return vb


def first_rows_sync(target: Target, columns: list[str]) -> dict[str, VarBind | None]:
    """Synchronous first_rows with its own event loop."""
    return asyncio.run(first_rows(target, columns))


def walk_columns_sync(
    target: Target, columns: list[str], check: Callable[[], None] | None = None
) -> dict[str, list[VarBind]]:
    """Synchronous walk_columns: on a blocking socket for v1/v2c, else in an event loop.

    ``check`` (a job's lock check) runs every walk.CHECK_EVERY seconds while the walk is
    under way; when it raises, the walk stops (its socket closes) and the exception
    propagates.
    """
    if uses_fast(target):
        names = {c: normalize_oid(c) for c in columns}
        rows = walk.walk_columns_sync(target, list(dict.fromkeys(names.values())), check)
        return {c: rows[name] for c, name in names.items()}
    if check is None:
        return asyncio.run(walk_columns(target, columns))
    return asyncio.run(_watched(walk_columns(target, columns), check))


async def _watched(work: Awaitable[Any], check: Callable[[], None]) -> Any:
    """Await ``work``, running ``check`` every walk.CHECK_EVERY seconds; cancel it when
    ``check`` raises."""
    task = asyncio.ensure_future(work)
    while True:
        done, _pending = await asyncio.wait({task}, timeout=walk.CHECK_EVERY)
        if done:
            return task.result()
        try:
            check()
        except BaseException:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise


def get_many_sync(target: Target, oids: list[str], *, batch: int = fast.GET_BATCH) -> list[VarBind]:
    """Synchronous get_many with its own event loop."""
    return asyncio.run(get_many(target, oids, batch=batch))


def walk_column(target: Target, oid: str) -> list[VarBind]:
    """Synchronous bulk_walk with its own engine and event loop."""
    return asyncio.run(bulk_walk(target, oid))


def get_sync(target: Target, oids: list[str]) -> list[VarBind]:
    """Synchronous get with its own engine and event loop."""
    return asyncio.run(get(target, oids))
