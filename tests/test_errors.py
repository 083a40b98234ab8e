"""The sentence a NOC engineer reads for each kind of SNMP failure (pure unit test)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jobs.errors import describe_snmp_error
from snmp.client import Target
from snmp.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpMalformed,
    SnmpNoSuchOid,
    SnmpTimeout,
    SnmpUnreachable,
)


def ctx(version="2c"):
    target = Target(
        "olt1.example.net",
        161,
        version=version,
        community="s3cret",
        v3_user="noc" if version == "3" else "",
        timeout=2,
        retries=2,
    )
    return SimpleNamespace(
        olt_name="SMP-10",
        address="olt1.example.net:161",
        target=target,
        oid="1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15",
        oid_name="run status",
    )


@pytest.mark.parametrize(
    "exc,expected",
    [
        (
            SnmpTimeout("x"),
            "OLT SMP-10 (olt1.example.net:161) did not answer within 6 s "
            "(3 tries of 2 s): it is down or unreachable, or the SNMP community is wrong",
        ),
        (
            SnmpUnreachable("name or service not known"),
            "OLT SMP-10 (olt1.example.net:161) is unreachable: name or service not known",
        ),
        (
            SnmpNoSuchOid("OID 1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15 (run status): noSuchObject"),
            "OLT SMP-10 (olt1.example.net:161): not supported: OID "
            "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15 (run status): noSuchObject",
        ),
        (
            SnmpMalformed("OID not increasing"),
            "OLT SMP-10 (olt1.example.net:161) sent a malformed response: OID not increasing",
        ),
        (SnmpError("genErr"), "SNMP error from OLT SMP-10 (olt1.example.net:161): genErr"),
    ],
)
def test_each_failure_reads_as_one_precise_sentence(exc, expected):
    text = describe_snmp_error(ctx(), exc)
    assert text.startswith(expected) and "s3cret" not in text


def test_v3_failures_name_the_credentials():
    assert "SNMPv3 user is wrong" in describe_snmp_error(ctx("3"), SnmpTimeout("x"))
    text = describe_snmp_error(ctx("3"), SnmpAuthError("wrong digest"))
    assert text == "OLT SMP-10 (olt1.example.net:161) refused the SNMPv3 credentials: wrong digest"


def test_a_looping_agent_reads_as_one_sentence():
    from snmp.errors import SnmpTooMuchData

    exc = SnmpTooMuchData(
        "sent more than 32 MB while walking 1.3.6.1.2.1.31.1.1.1.1: a looping or broken agent?",
        address="olt1.example.net:161",
    )
    assert describe_snmp_error(ctx(), exc) == (
        "OLT SMP-10 (olt1.example.net:161) sent more than 32 MB while walking "
        "1.3.6.1.2.1.31.1.1.1.1: a looping or broken agent? (limit: SNMP_MAX_WALK_BYTES)"
    )


def test_unusable_v3_settings_read_as_one_sentence():
    from snmp.errors import SnmpV3SettingsError

    exc = SnmpV3SettingsError("the auth key of SNMPv3 user 'noc' is shorter than 8 characters")
    assert describe_snmp_error(ctx("3"), exc) == (
        "OLT SMP-10 (olt1.example.net:161): its SNMPv3 settings cannot be used: "
        "the auth key of SNMPv3 user 'noc' is shorter than 8 characters"
    )
