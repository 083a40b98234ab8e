"""The SNMP client against a real snmpsim LabAgent on 127.0.0.1."""

import asyncio
import socket
import time

import pytest

from snmp.client import (
    Target,
    VarBind,
    bulk_walk,
    engine_scope,
    get,
    get_sync,
    index_of,
    walk_column,
)
from snmp.errors import SnmpAuthError, SnmpTimeout
from snmp.lab import agent as lab
from snmp.lab.generate import expected_onus, get_shape, lab_onus, state_column
from snmp.profiles import get_profile

HUAWEI, ZTE = get_profile("huawei"), get_profile("zte")
ZTE_SERIAL = next(c for c in ZTE.candidates("serial") if c.tree == "1012")
SYS_NAME = "1.3.6.1.2.1.1.5.0"


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """One simulator with a Huawei (community "public") and a ZTE ("zte-c320") OLT."""
    olt = lab.LabAgent(tmp_path_factory.mktemp("lab"))
    olt.add_olt("public", "huawei", 150, seed=3)
    olt.add_olt("zte-c320", "zte", 90, seed=4)
    with olt:
        yield olt


def _indexed(column: str, rows: list[VarBind]) -> list[tuple[str, object]]:
    return [(index_of(column, vb.oid), vb.value) for vb in rows]


@pytest.mark.parametrize("max_rep", [1, 7, 25, 200])
def test_walk_huawei_discovery_column_exactly(agent, max_rep):
    column = HUAWEI.first("state").oid
    rows = walk_column(agent.target(max_repetitions=max_rep), column)
    assert _indexed(column, rows) == expected_onus("huawei", 150, seed=3)
    assert {vb.type for vb in rows} == {"Integer"}
    # the next column (46.1.20, distance) is in the data but must not leak into the walk
    assert all(vb.oid.startswith(column + ".") for vb in rows)


def test_walk_zte_discovery_and_serial(agent):
    target = agent.target("zte-c320")
    column = state_column("zte").oid
    assert _indexed(column, walk_column(target, column)) == expected_onus("zte", 90, seed=4)
    serials = walk_column(target, ZTE_SERIAL.oid)
    assert [vb.raw for vb in serials] == [o.serial for o in lab_onus("zte", 90, seed=4)]


def test_v1_walk_uses_getnext_and_matches(agent):
    column = HUAWEI.first("state").oid
    rows = walk_column(agent.target(version="1"), column)
    assert _indexed(column, rows) == expected_onus("huawei", 150, seed=3)


def test_walk_of_missing_column_is_empty(agent):
    assert walk_column(agent.target(), "1.3.6.1.4.1.2011.6.128.1.1.2.99.1.1") == []
    assert walk_column(agent.target(version="1"), "1.3.6.1.4.1.99999") == []
    # a Huawei column on the ZTE OLT: empty, not an error
    assert walk_column(agent.target("zte-c320"), HUAWEI.first("state").oid) == []


def test_get_sysname_and_missing_oids(agent):
    got = get_sync(
        agent.target(),
        [
            SYS_NAME,
            "1.3.6.1.2.1.1.2.0",
            "1.3.6.1.2.1.1.3.0",
            "1.3.6.1.2.1.1.99.0",
            ".1.3.6.1.2.1.1.5.1",
        ],
    )
    assert got[0] == VarBind(SYS_NAME, "OctetString", "olt-huawei-03", b"olt-huawei-03")
    assert got[1] == VarBind(
        "1.3.6.1.2.1.1.2.0", "ObjectIdentifier", get_shape("huawei").sys_object_id
    )
    assert got[2].type == "TimeTicks" and isinstance(got[2].value, int)
    # snmpsim answers noSuchInstance (never noSuchObject) for anything it lacks
    assert [(vb.oid, vb.type, vb.value) for vb in got[3:]] == [
        ("1.3.6.1.2.1.1.99.0", "noSuchInstance", None),
        ("1.3.6.1.2.1.1.5.1", "noSuchInstance", None),
    ]


def test_binary_serial_rendered_as_hex_with_raw(agent):
    onu = lab_onus("huawei", 150, seed=3)[0]
    (vb,) = get_sync(agent.target(), [f"{HUAWEI.first('serial').oid}.{onu.raw_index}"])
    assert vb.raw == onu.serial and len(vb.raw) == 8 and vb.raw[:4] == b"HWTC"
    assert vb.value == onu.serial.hex().upper() and vb.value.startswith("48575443")


def test_descriptions_text_and_odd_strings(agent):
    column = HUAWEI.first("description").oid
    rows = walk_column(agent.target(), column)
    by_raw = {vb.raw: vb.value for vb in rows}
    assert by_raw["Señora Núñez".encode()] == "Señora Núñez"
    assert by_raw["José Pérez".encode("latin-1")] == "4A6F73E92050E972657A"
    assert by_raw[b""] == ""
    assert by_raw[b"tab\there|pipe"] == "tab\there|pipe"
    assert by_raw[b"  padded  "] == "  padded  "


def test_v3_auth_priv_and_failures(agent):
    good = dict(
        version="3",
        v3_user=lab.LAB_V3_USER,
        v3_auth_key=lab.LAB_V3_AUTH_KEY,
        v3_priv_key=lab.LAB_V3_PRIV_KEY,
        v3_auth_proto=lab.LAB_V3_AUTH_PROTO,
        v3_priv_proto=lab.LAB_V3_PRIV_PROTO,
        v3_context="public",
        timeout=1,
        retries=0,
    )
    (vb,) = get_sync(Target(agent.host, agent.port, **good), [SYS_NAME])
    assert vb.value == "olt-huawei-03"
    for wrong, match in [
        ({"v3_auth_key": "wrong-auth-key"}, "digest"),
        ({"v3_priv_key": "wrong-priv-key"}, "ipher"),
        ({"v3_user": "nobody"}, "Unknown USM user"),
    ]:
        with pytest.raises(SnmpAuthError, match=match) as info:
            get_sync(Target(agent.host, agent.port, **(good | wrong)), [SYS_NAME])
        assert "wrong-" not in str(info.value) and info.value.kind == "auth"


@pytest.mark.parametrize("version", ["1", "2c"])
def test_wrong_community_is_silently_dropped(agent, version):
    """snmpsim does not answer an unknown community at all: the client times out."""
    target = agent.target(community="s3cret-wrong", version=version, timeout=0.3, retries=1)
    start = time.monotonic()
    with pytest.raises(SnmpTimeout) as info:
        get_sync(target, [SYS_NAME])
    assert time.monotonic() - start >= 0.6
    assert "s3cret" not in str(info.value)


def test_timeout_against_silent_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        target = Target("127.0.0.1", port, community="topsecret", timeout=0.5, retries=1)
        start = time.monotonic()
        with pytest.raises(SnmpTimeout) as info:
            get_sync(target, [SYS_NAME])
        elapsed = time.monotonic() - start
        assert silent.recv(4096)  # the request did arrive
    assert 1.0 <= elapsed < 3.0  # timeout * (retries + 1), plus pysnmp's ~0.5 s timer tick
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "0.5 s" in message and "2 tries" in message
    assert "topsecret" not in message and info.value.kind == "timeout"


def test_target_rejects_bad_settings():
    with pytest.raises(ValueError, match="max_repetitions"):
        Target("127.0.0.1", max_repetitions=0)
    with pytest.raises(ValueError):
        Target("127.0.0.1", version="2")
    assert "public" not in repr(Target("127.0.0.1"))


def test_concurrent_calls_share_one_engine(agent):
    async def poll_all():
        async with engine_scope() as engine:
            return await asyncio.gather(
                bulk_walk(agent.target(), HUAWEI.first("state").oid, engine=engine),
                bulk_walk(agent.target("zte-c320"), state_column("zte").oid, engine=engine),
                get(agent.target("zte-c320"), [SYS_NAME], engine=engine),
            )

    huawei_rows, zte_rows, (name,) = asyncio.run(poll_all())
    assert (len(huawei_rows), len(zte_rows), name.value) == (150, 90, "olt-zte-04")


def test_ipv6_loopback_agent(tmp_path):
    """An OLT on an IPv6 address is polled over pysnmp's IPv6 transport."""
    import socket

    import pytest

    from snmp.client import index_of, walk_column
    from snmp.lab.agent import LabAgent
    from snmp.lab.generate import expected_onus
    from snmp.profiles import get_profile

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    column = get_profile("huawei").first("state").oid
    agent = LabAgent(tmp_path, host="::1")
    agent.add_olt("v6", "huawei", 5, seed=1)
    with agent:
        rows = walk_column(agent.target("v6"), column)
    assert agent.target("v6").address.startswith("[::1]:")
    got = [(index_of(column, r.oid), r.value) for r in rows]
    assert got == expected_onus("huawei", 5, seed=1)


def test_snmpv3_sha_aes_auth_priv_and_auth_no_priv(tmp_path):
    """SNMPv3 with SHA/AES (authPriv) and SHA without privacy, through the pysnmp engine."""
    import pytest

    from snmp.client import Target, walk_column
    from snmp.errors import SnmpAuthError
    from snmp.lab.agent import LabAgent, V3User
    from snmp.lab.generate import expected_onus
    from snmp.profiles import get_profile

    users = (
        V3User("noc-priv", "SHA", "auth-key-123", "AES", "priv-key-456"),
        V3User("noc-auth", "SHA", "auth-key-789", "NONE", ""),
    )
    agent = LabAgent(tmp_path, v3_users=users)
    agent.add_olt("olt", "huawei", 6, seed=2)
    column = get_profile("huawei").first("state").oid
    want = [state for _raw, state in expected_onus("huawei", 6, seed=2)]
    common = {"version": "3", "v3_context": "olt", "timeout": 1, "retries": 0}
    with agent:
        priv = Target(
            "127.0.0.1",
            agent.port,
            v3_user="noc-priv",
            v3_auth_proto="SHA",
            v3_auth_key="auth-key-123",
            v3_priv_proto="AES",
            v3_priv_key="priv-key-456",
            **common,
        )
        auth = Target(
            "127.0.0.1",
            agent.port,
            v3_user="noc-auth",
            v3_auth_proto="SHA",
            v3_auth_key="auth-key-789",
            v3_priv_key="",
            **common,
        )
        assert [vb.value for vb in walk_column(priv, column)] == want
        assert [vb.value for vb in walk_column(auth, column)] == want
        wrong = Target(
            "127.0.0.1",
            agent.port,
            v3_user="noc-priv",
            v3_auth_proto="SHA",
            v3_auth_key="not-the-key-1",
            v3_priv_proto="AES",
            v3_priv_key="priv-key-456",
            **common,
        )
        with pytest.raises(SnmpAuthError):
            walk_column(wrong, column)
