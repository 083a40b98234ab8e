"""Thin adapter over pysnmp 7 (v3arch asyncio): engine, auth, requests, error mapping."""

from __future__ import annotations

import ipaddress
import warnings
from typing import TYPE_CHECKING, Any

from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.proto import errind, rfc1902, rfc1905

from snmp.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpMalformed,
    SnmpNoSuchOid,
    SnmpTimeout,
    SnmpUnreachable,
    SnmpV3SettingsError,
)

with warnings.catch_warnings():
    # pysnmp 7.1 with pysmi installed warns about its own deprecated MIB-compiler calls
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pysnmp\.")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pysmi\.")
    from pysnmp.hlapi.v3arch import asyncio as hl
    from pysnmp.hlapi.varbinds import CommandGeneratorVarBinds

if TYPE_CHECKING:
    from snmp.client import Target

AUTH_PROTOCOLS = {
    "MD5": hl.USM_AUTH_HMAC96_MD5,
    "SHA": hl.USM_AUTH_HMAC96_SHA,
    "SHA224": hl.USM_AUTH_HMAC128_SHA224,
    "SHA256": hl.USM_AUTH_HMAC192_SHA256,
    "SHA384": hl.USM_AUTH_HMAC256_SHA384,
    "SHA512": hl.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "DES": hl.USM_PRIV_CBC56_DES,
    "3DES": hl.USM_PRIV_CBC168_3DES,
    "AES": hl.USM_PRIV_CFB128_AES,
    "AES128": hl.USM_PRIV_CFB128_AES,
    "AES192": hl.USM_PRIV_CFB192_AES,
    "AES256": hl.USM_PRIV_CFB256_AES,
    "AES192BLMT": hl.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256BLMT": hl.USM_PRIV_CFB256_AES_BLUMENTHAL,
}
_TYPES = [  # (class, our name); checked by ASN.1 tag, so Unsigned32 reads as Gauge32
    (rfc1905.NoSuchObject, "noSuchObject"),
    (rfc1905.NoSuchInstance, "noSuchInstance"),
    (rfc1905.EndOfMibView, "endOfMibView"),
    (rfc1902.Integer32, "Integer"),
    (rfc1902.OctetString, "OctetString"),
    (univ.ObjectIdentifier, "ObjectIdentifier"),
    (rfc1902.IpAddress, "IpAddress"),
    (rfc1902.Counter32, "Counter32"),
    (rfc1902.Gauge32, "Gauge32"),
    (rfc1902.TimeTicks, "TimeTicks"),
    (rfc1902.Opaque, "Opaque"),
    (rfc1902.Counter64, "Counter64"),
    (univ.Null, "Null"),
]
_TAGS = {cls.tagSet[0]: name for cls, name in _TYPES}
_AUTH_INDICATIONS = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.NotInTimeWindow,
    errind.EncryptionError,
    errind.NoEncryption,
    errind.NoAuthentication,
    errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
    errind.UnknownCommunityName,
    errind.UnknownEngineID,
)
_MALFORMED_INDICATIONS = (
    errind.OidNotIncreasing,
    errind.DeserializationError,
    errind.DataMismatch,
    errind.EmptyResponse,
)
_STATUS_NAMES = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}


def type_name(value: object) -> str | None:
    """Our type name for a pysnmp value, or None if unsupported."""
    tag_set = getattr(value, "tagSet", None)
    return _TAGS.get(tag_set[0]) if tag_set else None


def is_end(value: object) -> bool:
    """True for values that end a walk (endOfMibView, noSuchObject/Instance)."""
    return type_name(value) in {"endOfMibView", "noSuchObject", "noSuchInstance"}


def new_engine() -> Any:
    """A fresh SnmpEngine bound to the running event loop."""
    with warnings.catch_warnings():
        _ignore_deprecations()
        return hl.SnmpEngine()


def _ignore_deprecations() -> None:
    """Inside catch_warnings: ignore DeprecationWarnings raised by pysnmp/pysmi modules."""
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pysnmp\.")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pysmi\.")


def resolved_objects(engine: Any, names: list[str]) -> list[Any]:
    """ObjectTypes for numeric OIDs, MIB-resolved now (synchronously) with warnings filtered.

    pysnmp resolves every request OID through its MIB layer, which with pysmi installed calls
    deprecated pysmi APIs; resolving here, outside any await, keeps catch_warnings safe.
    """
    mib_view = CommandGeneratorVarBinds.get_mib_view_controller(engine.cache)
    with warnings.catch_warnings():
        _ignore_deprecations()
        return [
            hl.ObjectType(hl.ObjectIdentity(n)).resolve_with_mib(mib_view, ignoreErrors=False)
            for n in names
        ]


V3_MIN_KEY = 8  # RFC 3414 §11.2: keys come from passwords of at least 8 octets (pysnmp's minimum)


def check_v3(target: Target) -> None:
    """SnmpV3SettingsError naming the first unusable SNMPv3 setting (never a key's value).

    Checked before pysnmp sees the keys: pyasn1 refuses a short one with an exception whose
    text quotes it, and the traceback of that (logged by a worker) would carry it.
    """
    user = f"SNMPv3 user {target.v3_user!r}"
    if target.v3_auth_proto.upper() not in AUTH_PROTOCOLS:
        raise SnmpV3SettingsError(
            f"unknown auth protocol {target.v3_auth_proto!r} for {user} "
            f"(one of {', '.join(AUTH_PROTOCOLS)})"
        )
    if target.v3_priv_proto.upper() not in PRIV_PROTOCOLS:
        raise SnmpV3SettingsError(
            f"unknown privacy protocol {target.v3_priv_proto!r} for {user} "
            f"(one of {', '.join(PRIV_PROTOCOLS)})"
        )
    for field, key in (("auth key", target.v3_auth_key), ("privacy key", target.v3_priv_key)):
        if key and len(key) < V3_MIN_KEY:
            raise SnmpV3SettingsError(
                f"the {field} of {user} is shorter than {V3_MIN_KEY} characters (RFC 3414): "
                "enter a longer one in the OLT's settings"
            )
    if target.v3_priv_key and not target.v3_auth_key:
        raise SnmpV3SettingsError(f"{user} has a privacy key but no auth key: privacy needs both")


def auth_data(target: Target) -> Any:
    """CommunityData for v1/v2c, UsmUserData for v3 (SnmpV3SettingsError if unusable)."""
    if target.version in ("1", "2c"):
        return hl.CommunityData(target.community, mpModel=0 if target.version == "1" else 1)
    check_v3(target)
    auth_proto = AUTH_PROTOCOLS[target.v3_auth_proto.upper()]
    priv_proto = PRIV_PROTOCOLS[target.v3_priv_proto.upper()]
    if not target.v3_auth_key:
        return hl.UsmUserData(target.v3_user)
    try:
        if not target.v3_priv_key:
            return hl.UsmUserData(target.v3_user, target.v3_auth_key, authProtocol=auth_proto)
        return hl.UsmUserData(
            target.v3_user,
            target.v3_auth_key,
            target.v3_priv_key,
            authProtocol=auth_proto,
            privProtocol=priv_proto,
        )
    except (PySnmpError, PyAsn1Error) as exc:
        refused = type(exc).__name__
    raise settings_error(target, refused)  # outside the except: no context that quotes a key


def settings_error(target: Target, refused: str) -> SnmpError:
    """The error of a pysnmp/pyasn1 failure ``refused`` (a class name) while building a request.

    Its text is never used: pyasn1 quotes the values it refuses, keys included.
    """
    if target.version == "3":
        return SnmpV3SettingsError(
            f"pysnmp refused the settings of SNMPv3 user {target.v3_user!r} ({refused}): "
            "check the keys and protocols in the OLT's settings"
        )
    return SnmpError(f"pysnmp could not build a request to {target.address} ({refused})")


def indication_error(target: Target, indication: object) -> SnmpError:
    """Map a pysnmp errorIndication to a typed error (message has no secrets)."""
    where = target.address
    if isinstance(indication, errind.RequestTimedOut):
        tries = target.retries + 1
        return SnmpTimeout(
            f"no answer from {where} within {target.timeout:g} s "
            f"({tries} tries, {target.timeout * tries:g} s total)"
        )
    if isinstance(indication, _AUTH_INDICATIONS):
        return SnmpAuthError(f"SNMPv3 security failure with {where}: {indication}")
    if isinstance(indication, _MALFORMED_INDICATIONS):
        return SnmpMalformed(f"bad answer from {where}: {indication}")
    return SnmpError(f"SNMP error with {where}: {indication}")


def status_error(target: Target, status: int, index: int, names: list[str]) -> SnmpError:
    """Map a PDU errorStatus to a typed error."""
    label = _STATUS_NAMES.get(int(status), f"errorStatus {int(status)}")
    where = f"{target.address} answered {label}"
    if index and 0 < int(index) <= len(names):
        where += f" for {names[int(index) - 1]}"
    if int(status) == 2:
        return SnmpNoSuchOid(where)
    if int(status) == 16:
        return SnmpAuthError(where)
    return SnmpError(where)


class Session:
    """Engine + auth + transport for one target; raises typed errors."""

    def __init__(self, engine: Any, target: Target, transport: Any) -> None:
        self.engine, self.target, self.transport = engine, target, transport
        self.auth = auth_data(target)
        self.context = hl.ContextData(contextName=target.v3_context.encode())

    @classmethod
    async def open(cls, engine: Any, target: Target) -> Session:
        """Resolve the address and build the UDP transport."""
        # IPv6 literals need pysnmp's IPv6 transport (the IPv4 one refuses them).
        transport_class = hl.Udp6TransportTarget if _is_ipv6(target.host) else hl.UdpTransportTarget
        try:
            transport = await transport_class.create(
                (target.host.strip("[]"), target.port),
                timeout=target.timeout,
                retries=target.retries,
            )
        except (PySnmpError, OSError) as exc:
            raise SnmpUnreachable(f"cannot reach {target.address}: {exc}") from exc
        return cls(engine, target, transport)

    def _check(self, result: tuple) -> tuple[int, int, list]:
        """Raise on errorIndication; return (status, index, [(name, value)])."""
        indication, status, index, varbinds = result
        if indication:
            raise indication_error(self.target, indication)
        pairs = [(vb[0], vb[1]) for vb in varbinds or ()]
        return int(status or 0), int(index or 0), pairs

    async def _call(self, coro: Any) -> tuple[int, int, list]:
        """Await a pysnmp request, mapping OS-level failures and refused settings."""
        try:
            return self._check(await coro)
        except OSError as exc:
            raise SnmpUnreachable(f"cannot reach {self.target.address}: {exc}") from exc
        except (PySnmpError, PyAsn1Error) as exc:
            # pysnmp adds the v3 user (localizing its keys) when the request is built: a key
            # it refuses surfaces here (WrongValueError), its text quoting the key
            refused = type(exc).__name__
        raise settings_error(self.target, refused)

    async def get(self, names: list[str]) -> tuple[int, int, list]:
        """One GET request."""
        objs = resolved_objects(self.engine, names)
        args = (self.engine, self.auth, self.transport, self.context)
        return await self._call(hl.get_cmd(*args, *objs, lookupMib=False))

    async def next(self, names: list[str]) -> tuple[int, int, list]:
        """One GETNEXT request for several names."""
        objs = resolved_objects(self.engine, names)
        args = (self.engine, self.auth, self.transport, self.context)
        return await self._call(hl.next_cmd(*args, *objs, lookupMib=False))

    async def next_batch(self, name: str) -> tuple[int, int, list]:
        """GETBULK (or GETNEXT for v1) from ``name``."""
        (obj,) = resolved_objects(self.engine, [name])
        args = (self.engine, self.auth, self.transport, self.context)
        if self.target.version == "1":
            return await self._call(hl.next_cmd(*args, obj, lookupMib=False))
        reps = self.target.max_repetitions
        return await self._call(hl.bulk_cmd(*args, 0, reps, obj, lookupMib=False))


def _is_ipv6(host: str) -> bool:
    """True for an IPv6 address literal (with or without brackets)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).version == 6
    except ValueError:
        return False
