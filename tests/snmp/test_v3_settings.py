"""Issue 9, point 6, at the SNMP layer: SNMPv3 settings pysnmp cannot use are a typed error
that names the field, never the key, and carries no pyasn1 traceback that quotes it."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from snmp import _pysnmp
from snmp.client import Target, get_sync, walk_column
from snmp.errors import SnmpV3SettingsError

KEY = "Sk3y-x9"  # 7 characters


@pytest.fixture
def silent_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def v3(port: int, **fields) -> Target:
    base = dict(version="3", v3_user="noc", v3_auth_key="long-enough-1", timeout=0.3, retries=0)
    return Target("127.0.0.1", port, **base | fields)


def _no_trace_of(key: str, exc: BaseException) -> None:
    assert exc.__cause__ is None and exc.__context__ is None
    text = "".join(traceback.format_exception(exc))
    assert key not in text and key.encode().hex() not in text


@pytest.mark.parametrize(
    "fields,says",
    [
        ({"v3_auth_key": KEY}, "the auth key of SNMPv3 user 'noc' is shorter than 8 characters"),
        ({"v3_priv_key": KEY}, "the privacy key of SNMPv3 user 'noc' is shorter than 8"),
        ({"v3_auth_key": "", "v3_priv_key": "priv-key-long"}, "has a privacy key but no auth"),
        ({"v3_auth_proto": "SHA999"}, "unknown auth protocol 'SHA999' for SNMPv3 user 'noc'"),
        ({"v3_priv_proto": "ROT13"}, "unknown privacy protocol 'ROT13'"),
    ],
)
def test_unusable_settings_are_a_typed_error_naming_the_field(silent_port, caplog, fields, says):
    caplog.set_level(logging.DEBUG)
    for call in (lambda t: get_sync(t, ["1.3.6.1.2.1.1.5.0"]), lambda t: walk_column(t, "1.3.6")):
        with pytest.raises(SnmpV3SettingsError, match=says) as info:
            call(v3(silent_port, **fields))
        assert info.value.kind == "v3_settings"
        _no_trace_of(KEY, info.value)
    assert KEY not in caplog.text


def test_what_pysnmp_refuses_is_mapped_without_its_text(silent_port, caplog, monkeypatch):
    """Past our own checks (here lowered), pyasn1 refuses the key when the request is built:
    its WrongValueError quotes the key; ours names the user and the error's class only."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(_pysnmp, "V3_MIN_KEY", 1)
    with pytest.raises(SnmpV3SettingsError) as info:
        get_sync(v3(silent_port, v3_auth_key=KEY), ["1.3.6.1.2.1.1.5.0"])
    assert str(info.value) == (
        "pysnmp refused the settings of SNMPv3 user 'noc' (WrongValueError): "
        "check the keys and protocols in the OLT's settings"
    )
    _no_trace_of(KEY, info.value)
    assert KEY not in caplog.text
