"""Our client against a real net-snmp snmpd (with bench/agent's module serving lab data).

Skipped, with the reason, where the Debian packages snmpd, libsnmp-dev and gcc are missing;
.ci/run installs them so CI always runs these.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from snmp.client import Target, get_many_sync, walk_columns_sync
from snmp.lab.generate import (
    expected_onus,
    generate_rows,
    get_shape,
    lab_onus,
    served_columns,
    write_snmprec,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
netsnmp_agent = pytest.importorskip("netsnmp_agent")
MISSING = netsnmp_agent.missing_packages(build=True, run=True)
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs Debian packages {MISSING}")

ONUS = 300


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    netsnmp_agent.build_module()
    rec = write_snmprec(
        tmp_path_factory.mktemp("snmpd") / "olt.snmprec", generate_rows("huawei", ONUS, seed=9)
    )
    with netsnmp_agent.NetSnmpAgent(rec, community="olt") as agent:
        yield agent


@pytest.mark.parametrize("version", ["1", "2c"])
def test_walk_columns_against_snmpd_matches_pysnmp_and_the_data(snmpd, version):
    columns = [c.oid for c in served_columns(get_shape("huawei"))[:4]]
    fast = Target(
        "127.0.0.1",
        snmpd.port,
        version=version,
        community="olt",
        max_repetitions=50,
        backend="fast",
    )
    slow = Target("127.0.0.1", snmpd.port, version=version, community="olt", backend="pysnmp")
    ours = walk_columns_sync(fast, columns)
    reference = walk_columns_sync(slow, columns)
    assert ours == reference
    discovery = ours[columns[0]]
    assert [vb.value for vb in discovery] == [s for _i, s in expected_onus("huawei", ONUS, seed=9)]


def test_get_many_against_snmpd_matches_pysnmp(snmpd):
    onus = lab_onus("huawei", ONUS, seed=9)
    names = [
        f"{o.oid}.{u.raw_index}" for o in served_columns(get_shape("huawei")) for u in onus[:40]
    ]
    names.append("1.3.6.1.4.1.2011.6.128.1.1.2.43.1.3.1.1")  # no such instance
    fast = Target("127.0.0.1", snmpd.port, community="olt", backend="fast")
    slow = Target("127.0.0.1", snmpd.port, community="olt", backend="pysnmp")
    ours = get_many_sync(fast, names)
    assert ours == get_many_sync(slow, names)
    assert ours[-1].type in ("noSuchInstance", "noSuchObject")
