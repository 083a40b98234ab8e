"""Typed SNMP errors; messages never contain communities or keys."""


class SnmpError(Exception):
    """Any SNMP failure; ``kind`` is a short machine code."""

    kind = "error"


class SnmpTimeout(SnmpError):
    """No answer within timeout * (retries + 1)."""

    kind = "timeout"


class SnmpAuthError(SnmpError):
    """SNMPv3 authentication/privacy failure (unknown user, wrong digest, decryption)."""

    kind = "auth"


class SnmpUnreachable(SnmpError):
    """DNS failure, connection refused, no route."""

    kind = "unreachable"


class SnmpNoSuchOid(SnmpError):
    """The agent does not support the OID (e.g. SNMPv1 noSuchName)."""

    kind = "no_such_oid"


class SnmpMalformed(SnmpError):
    """Garbage answers, non-increasing OIDs, wrong types."""

    kind = "malformed"


class SnmpTooMuchData(SnmpMalformed):
    """An agent sent more than a walk's byte budget (Target.max_walk_bytes): looping or broken.

    ``detail`` says what it did ("sent more than 32 MB while walking …"), so that a message
    can put the OLT's own name before it; the message itself starts with the address.
    """

    kind = "too_much_data"

    def __init__(self, detail: str, address: str = "") -> None:
        super().__init__(f"{address} {detail}" if address else detail)
        self.detail = detail


class SnmpV3SettingsError(SnmpError):
    """SNMPv3 settings that cannot be used (a key shorter than RFC 3414 allows, an unknown
    protocol): the OLT's settings must change. Names the field, never its value."""

    kind = "v3_settings"
