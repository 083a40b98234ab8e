"""Client logic without a network: rendering, conversion, walk termination and errors."""

import asyncio

import pytest
from pyasn1.type import univ
from pysnmp.proto import errind, rfc1902, rfc1905

from snmp import _pysnmp
from snmp.client import Target, bulk_walk, index_of, normalize_oid, render_octets, to_varbind
from snmp.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpMalformed,
    SnmpNoSuchOid,
    SnmpTimeout,
    SnmpUnreachable,
)

COLUMN = "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15"
OID = univ.ObjectIdentifier


def test_index_of():
    assert index_of(COLUMN, f"{COLUMN}.4194312192.2") == "4194312192.2"
    assert index_of("." + COLUMN, f".{COLUMN}.7") == "7"
    with pytest.raises(ValueError):
        index_of(COLUMN, "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.150.1")
    with pytest.raises(ValueError):
        index_of(COLUMN, COLUMN)


def test_normalize_oid_rejects_names():
    assert normalize_oid(" .1.3.6 ") == "1.3.6"
    for bad in ["", "sysName.0", "1..3", "1.3.x"]:
        with pytest.raises(ValueError):
            normalize_oid(bad)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"ONU 12\tline\n", "ONU 12\tline\n"),
        ("Núñez".encode(), "Núñez"),
        (b"", ""),
        (b"HWTC\x12\x34\xab\xcd", "48575443" + "1234ABCD"),
        (b"ab\x00", "616200"),
        ("José".encode("latin-1"), "4A6F73E9"),
    ],
)
def test_render_octets(raw, shown):
    assert render_octets(raw) == shown


@pytest.mark.parametrize(
    ("value", "type_name", "shown"),
    [
        (rfc1902.Integer32(-5), "Integer", -5),
        (rfc1902.Counter32(7), "Counter32", 7),
        (rfc1902.Gauge32(8), "Gauge32", 8),
        (rfc1902.Unsigned32(9), "Gauge32", 9),
        (rfc1902.TimeTicks(100), "TimeTicks", 100),
        (rfc1902.Counter64(2**40), "Counter64", 2**40),
        (rfc1902.IpAddress("10.0.0.1"), "IpAddress", "10.0.0.1"),
        (OID("1.3.6.1.4.1.2011"), "ObjectIdentifier", "1.3.6.1.4.1.2011"),
        (rfc1902.Opaque(b"\x9f\x78"), "Opaque", "9F78"),
        (univ.Null(""), "Null", None),
        (rfc1905.noSuchObject, "noSuchObject", None),
        (rfc1905.noSuchInstance, "noSuchInstance", None),
        (rfc1905.endOfMibView, "endOfMibView", None),
    ],
)
def test_to_varbind_types(value, type_name, shown):
    vb = to_varbind(OID("1.3.6.1.2.1.1.1.0"), value)
    assert (vb.oid, vb.type, vb.value) == ("1.3.6.1.2.1.1.1.0", type_name, shown)


def test_to_varbind_unknown_type_is_malformed():
    with pytest.raises(SnmpMalformed):
        to_varbind(OID("1.3.6"), univ.Boolean(True))


def test_error_kinds():
    kinds = {
        cls: cls.kind
        for cls in (
            SnmpError,
            SnmpTimeout,
            SnmpAuthError,
            SnmpUnreachable,
            SnmpNoSuchOid,
            SnmpMalformed,
        )
    }
    assert list(kinds.values()) == [
        "error",
        "timeout",
        "auth",
        "unreachable",
        "no_such_oid",
        "malformed",
    ]
    assert all(issubclass(cls, SnmpError) for cls in kinds)


def test_indication_and_status_mapping():
    target = Target("10.0.0.9", community="hidden")
    for indication, cls in [
        (errind.requestTimedOut, SnmpTimeout),
        (errind.wrongDigest, SnmpAuthError),
        (errind.unknownUserName, SnmpAuthError),
        (errind.decryptionError, SnmpAuthError),
        (errind.oidNotIncreasing, SnmpMalformed),
        (errind.otherError, SnmpError),
    ]:
        err = _pysnmp.indication_error(target, indication)
        assert type(err) is cls and "10.0.0.9:161" in str(err) and "hidden" not in str(err)
    assert isinstance(_pysnmp.status_error(target, 2, 1, ["1.3.6"]), SnmpNoSuchOid)
    assert "genErr for 1.3.6" in str(_pysnmp.status_error(target, 5, 1, ["1.3.6"]))


class FakeSession:
    """Replays canned GETBULK answers."""

    def __init__(self, batches):
        self.batches = list(batches)
        self.asked = []

    async def next_batch(self, name):
        self.asked.append(name)
        return 0, 0, self.batches.pop(0)

    async def next(self, names):
        self.asked.extend(names)
        return 0, 0, self.batches.pop(0)


def _walk(monkeypatch, batches):
    session = FakeSession(batches)

    async def fake_open(engine, target):
        return session

    monkeypatch.setattr(_pysnmp.Session, "open", staticmethod(fake_open))
    rows = asyncio.run(bulk_walk(Target("127.0.0.1"), COLUMN, engine=object()))
    return rows, session.asked


def _vb(suffix, value=1):
    return OID(f"{COLUMN}.{suffix}"), rfc1902.Integer32(value)


def test_walk_continues_from_last_oid_and_stops_past_column(monkeypatch):
    beyond = (OID("1.3.6.1.4.1.2011.6.128.1.1.2.46.1.20.1.1"), rfc1902.Integer32(5))
    rows, asked = _walk(monkeypatch, [[_vb("1.1"), _vb("1.2")], [_vb("2.1"), beyond]])
    assert [index_of(COLUMN, vb.oid) for vb in rows] == ["1.1", "1.2", "2.1"]
    assert asked == [COLUMN, f"{COLUMN}.1.2"]


def test_walk_stops_at_end_of_mib_and_confirms_an_empty_answer(monkeypatch):
    end = (OID(f"{COLUMN}.9"), rfc1905.endOfMibView)
    assert len(_walk(monkeypatch, [[_vb("1.1"), end]])[0]) == 1
    # an empty GETBULK answer is confirmed by a GETNEXT: the end of the column...
    beyond = (OID("1.3.6.1.4.1.2011.6.128.1.1.2.46.1.20.1.1"), rfc1902.Integer32(5))
    rows, asked = _walk(monkeypatch, [[_vb("1.1")], [], [beyond]])
    assert [index_of(COLUMN, vb.oid) for vb in rows] == ["1.1"]
    # ...or rows the glitch would have lost
    rows, _ = _walk(monkeypatch, [[_vb("1.1")], [], [_vb("1.2")], [beyond]])
    assert [index_of(COLUMN, vb.oid) for vb in rows] == ["1.1", "1.2"]
    with pytest.raises(SnmpMalformed, match="incomplete"):
        _walk(monkeypatch, [[_vb("1.1")], [], []])


def test_walk_non_increasing_is_malformed(monkeypatch):
    with pytest.raises(SnmpMalformed, match="non-increasing"):
        _walk(monkeypatch, [[_vb("1.2"), _vb("1.1")]])
    with pytest.raises(SnmpMalformed):
        _walk(monkeypatch, [[_vb("1.2")], [_vb("1.2")]])
