"""snmp.codec against pyasn1/pysnmp, the reference: property tests, edge cases, bad input."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto.api import v1, v2c

from snmp import codec
from snmp._ber import tlv
from snmp.client import to_varbind
from snmp.errors import SnmpMalformed

U32, U64 = 2**32 - 1, 2**64 - 1
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

arcs = st.one_of(st.integers(0, 127), st.integers(128, 2**28 - 1), st.integers(2**28, U64))
oids = st.one_of(
    st.tuples(st.integers(0, 1), st.integers(0, 39), st.lists(arcs, max_size=20)),
    st.tuples(st.just(2), st.integers(0, 2**40), st.lists(arcs, max_size=20)),
).map(lambda t: (t[0], t[1], *t[2]))
values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(v2c.Integer32),
    st.binary(max_size=300).map(v2c.OctetString),
    st.text(max_size=40).map(lambda t: v2c.OctetString(t.encode())),
    st.just(v2c.Null("")),
    oids.map(v2c.ObjectIdentifier),
    st.binary(min_size=4, max_size=4).map(v2c.IpAddress),
    st.integers(0, U32).map(v2c.Counter32),
    st.integers(0, U32).map(v2c.Gauge32),
    st.integers(0, U32).map(v2c.Unsigned32),
    st.integers(0, U32).map(v2c.TimeTicks),
    st.binary(max_size=40).map(v2c.Opaque),
    st.integers(0, U64).map(v2c.Counter64),
    st.sampled_from([v2c.NoSuchObject(""), v2c.NoSuchInstance(""), v2c.EndOfMibView("")]),
)


def response_message(pairs, request_id=7, status=0, index=0, community="public", api=v2c):
    """BER octets of a Response built by pysnmp and encoded by pyasn1."""
    pdu = api.GetResponsePDU()
    api.apiPDU.set_defaults(pdu)
    api.apiPDU.set_request_id(pdu, request_id)
    api.apiPDU.set_error_status(pdu, status)
    api.apiPDU.set_error_index(pdu, index)
    api.apiPDU.set_varbinds(pdu, pairs)
    msg = api.Message()
    api.apiMessage.set_defaults(msg)
    api.apiMessage.set_community(msg, community)
    api.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def reference(data: bytes, api=v2c):
    """What pysnmp's decoder plus the client's to_varbind make of a Response."""
    msg, rest = decoder.decode(data, asn1Spec=api.Message())
    assert not rest
    pdu = api.apiMessage.get_pdu(msg)
    varbinds = [to_varbind(n, v) for n, v in api.apiPDU.get_varbinds(pdu)]
    # positional: apiPDU.get_error_index() refuses an index beyond the varbinds
    return int(pdu[0]), int(pdu[1]), int(pdu[2]), varbinds


@FAST
@given(
    st.lists(st.tuples(oids, values), max_size=30),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(0, 18),
    st.integers(0, 30),
    st.binary(max_size=40),
)
def test_decode_matches_pysnmp(pairs, request_id, status, index, community):
    data = response_message(pairs, request_id, status, index, community)
    assert codec.decode_response(data) == reference(data)
    parsed = codec.parse_response(data)
    assert (parsed.version, parsed.community) == (1, community)


@FAST
@given(st.lists(st.tuples(oids, st.integers(-(2**31), 2**31 - 1).map(v1.Integer)), max_size=10))
def test_decode_v1_matches_pysnmp(pairs):
    data = response_message(pairs, api=v1)
    assert codec.decode_response(data) == reference(data, api=v1)
    assert codec.parse_response(data).version == 0


@FAST
@given(
    st.sampled_from([codec.GET, codec.GETNEXT, codec.GETBULK]),
    st.integers(-(2**31), 2**31 - 1),
    st.lists(oids, min_size=0, max_size=60),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.sampled_from([0, 1]),
    st.binary(max_size=300),
)
def test_requests_decoded_by_pyasn1(pdu_tag, request_id, names, reps, nonrep, version, community):
    if pdu_tag == codec.GETBULK and version == 0:
        version = 1  # GetBulk does not exist in SNMPv1
    encoded = [codec.encode_oid(".".join(map(str, n))) for n in names]
    data = codec.encode_request(
        pdu_tag,
        request_id,
        encoded,
        version=version,
        community=community,
        non_repeaters=nonrep,
        max_repetitions=reps,
    )
    api = v1 if version == 0 else v2c
    msg, rest = decoder.decode(data, asn1Spec=api.Message())
    assert not rest and bytes(api.apiMessage.get_community(msg)) == community
    assert int(msg["version"]) == version
    pdu = api.apiMessage.get_pdu(msg)
    kind = {codec.GET: "GetRequestPDU", codec.GETNEXT: "GetNextRequestPDU"}
    assert type(pdu).__name__ == kind.get(pdu_tag, "GetBulkRequestPDU")
    assert int(api.apiPDU.get_request_id(pdu)) == request_id
    if pdu_tag == codec.GETBULK:
        assert int(v2c.apiBulkPDU.get_non_repeaters(pdu)) == nonrep
        assert int(v2c.apiBulkPDU.get_max_repetitions(pdu)) == reps
    got = api.apiPDU.get_varbinds(pdu)
    assert [tuple(n) for n, _ in got] == [tuple(n) for n in names]
    assert all(type(v).__name__ == "Null" for _, v in got)
    assert [codec.oid_arcs(o) for o in encoded] == [tuple(n) for n in names]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (v2c.OctetString(b""), ("OctetString", "", b"")),
        (v2c.Integer32(0), ("Integer", 0, None)),
        (v2c.Integer32(-1), ("Integer", -1, None)),
        (v2c.Integer32(-(2**31)), ("Integer", -(2**31), None)),
        (v2c.Counter64(U64), ("Counter64", U64, None)),
        (v2c.Counter32(U32), ("Counter32", U32, None)),
        (v2c.Unsigned32(5), ("Gauge32", 5, None)),
        (v2c.OctetString(b"x" * 1000), ("OctetString", "x" * 1000, b"x" * 1000)),
        (v2c.OctetString(b"HWTC\x00\x01\x02\x03"), ("OctetString", "48575443" + "00010203", None)),
        (v2c.Opaque(b"\x9f\x78\x04"), ("Opaque", "9F7804", b"\x9f\x78\x04")),
        (v2c.ObjectIdentifier((2, 999, 2**64 - 1)), ("ObjectIdentifier", f"2.999.{U64}", None)),
    ],
)
def test_edge_values(value, expected):
    data = response_message([((1, 3, 6, 1, 4, 1, 2011, 4194312192, 2**32 - 1), value)])
    (vb,) = codec.decode_response(data)[3]
    assert vb.oid == f"1.3.6.1.4.1.2011.4194312192.{2**32 - 1}"
    assert (vb.type, vb.value) == expected[:2]
    if expected[2] is not None:
        assert vb.raw == expected[2]
    assert codec.decode_response(data) == reference(data)


def test_long_form_and_non_minimal_lengths_are_accepted():
    # X.690 §8.1.3.5 lets BER use more length octets than needed (DER does not)
    vb = b"\x30\x82\x00\x0b\x06\x83\x00\x00\x02\x2b\x06\x04\x81\x01\x41"
    body = b"\x02\x01\x07\x02\x01\x00\x02\x01\x00\x30" + bytes((len(vb),)) + vb
    msg = b"\x02\x01\x01\x04\x06public\xa2" + bytes((len(body),)) + body
    data = b"\x30\x84\x00\x00\x00" + bytes((len(msg),)) + msg
    assert codec.decode_response(data)[3] == [codec.VarBind("1.3.6", "OctetString", "A", b"A")]


def test_render_octets_matches_client_rules():
    assert codec.render_octets("Señora Núñez".encode()) == "Señora Núñez"
    assert codec.render_octets("José".encode("latin-1")) == "4A6F73E9"
    assert codec.render_octets(b"tab\there\r\n") == "tab\there\r\n"
    assert codec.render_octets(b"a\x7f") == "617F"
    assert codec.render_octets("\u200b".encode()) == "E2808B"  # valid UTF-8, not printable


GOOD = response_message([((1, 3, 6, 1, 2, 1, 1, 5, 0), v2c.OctetString(b"olt"))])


def _swap(old: bytes, new: bytes) -> bytes:
    assert GOOD.count(old) == 1
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x80" + GOOD[2:] + b"\x00\x00",  # indefinite length
        b"\x30\xff" + GOOD[2:],
        GOOD[:-1],
        GOOD + b"\x00",
        b"\x30\x85\x00\x00\x00\x00\x01\x00",  # five length octets
        _swap(b"\xa2", b"\xa0"),  # a GetRequest, not a Response
        _swap(b"\x04\x03olt", b"\x47\x03olt"),  # unknown application tag
        _swap(b"\x04\x03olt", b"\x1f\x03olt"),  # high tag number form
        _swap(b"\x04\x03olt", b"\x40\x03olt"),  # IpAddress of 3 octets
        _swap(b"\x04\x03olt", b"\x05\x03olt"),  # NULL with content
        _swap(b"\x04\x03olt", b"\x82\x03olt"),  # endOfMibView with content
    ],
)
def test_malformed_messages(data):
    with pytest.raises(SnmpMalformed):
        codec.decode_response(data)


@pytest.mark.parametrize(
    ("tag", "content"),
    [
        (0x46, b"\x01" + b"\x00" * 8),  # Counter64 2**64
        (0x46, b"\xff"),  # negative Counter64
        (0x46, b"\x00" * 10),  # ten octets: beyond 64 bits
        (0x41, b"\x01\x00\x00\x00\x00"),  # Counter32 2**32
        (0x43, b""),  # empty TimeTicks
        (0x02, b"\x00\x80\x00\x00\x00"),  # Integer32 2**31
        (0x02, b""),
        (0x06, b""),  # empty OID
        (0x06, b"\x2b\x86"),  # truncated sub-identifier
        (0x06, b"\x2b\x80\x01"),  # non-minimal sub-identifier (X.690 §8.19.2)
        (0x06, b"\x2b" + b"\xff" * 40 + b"\x01"),  # absurd sub-identifier
        (0x99, b""),
    ],
)
def test_malformed_values(tag, content):
    with pytest.raises(SnmpMalformed):
        codec.decode_value(tag, content)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_fuzzed_messages_only_raise_malformed(data):
    base = bytearray(GOOD if data.draw(st.booleans()) else _big_message())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(base) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            base[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del base[at:]
            if not base:
                break
        else:
            base[at:at] = data.draw(st.binary(min_size=1, max_size=4))
    try:
        codec.decode_response(bytes(base))
    except SnmpMalformed:
        pass
    codec.request_id_of(bytes(base))  # never raises


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_octets_only_raise_malformed(blob):
    for data in (blob, b"\x30" + bytes((len(blob) & 0x7F,)) + blob):
        try:
            codec.decode_response(data)
        except SnmpMalformed:
            pass


def _big_message() -> bytes:
    pairs = [
        ((1, 3, 6, 1, 4, 1, 2011, 4194312192 + i, i), v2c.Counter64(i * 2**40)) for i in range(5)
    ]
    return response_message(pairs + [((1, 3, 6), v2c.OctetString(b"y" * 200))])


def test_encode_oid_rejects_bad_oids():
    for bad in ["", "1", "3.1", "1.40", "1.3.x", "1..3"]:
        with pytest.raises(ValueError):
            codec.encode_oid(bad)
    assert codec.encode_oid(".1.3.6.1") == b"\x2b\x06\x01"
    assert codec.request_id_of(GOOD) == 7 and codec.request_id_of(b"junk") is None


@FAST
@given(oids, st.sampled_from(["{}", ".{}", " {} "]))
def test_encode_name_matches_encode_oid(name, shape):
    text = shape.format(".".join(map(str, name)))
    for _ in range(2):  # the second call hits the head cache
        octets, canonical = codec.encode_name(text)
        assert octets == codec.encode_oid(text)
        assert canonical == codec.oid_str(octets) == ".".join(map(str, name))


def test_encode_name_edge_cases():
    codec.encode_name("1.3.6.1.5")  # caches the head 1.3.6.1
    assert codec.encode_name("1.3.6.1.007") == (codec.encode_oid("1.3.6.1.7"), "1.3.6.1.7")
    assert codec.encode_name("1.3.6.1.300")[1] == "1.3.6.1.300"
    for bad in ["1.3.6.1.", "1.3.6.1.x", "1.3.6.1.-1", "1..3", "1", "1.40.2"]:
        with pytest.raises(ValueError):
            codec.encode_name(bad)


def test_varbind_is_an_immutable_value():
    """What callers rely on: fields by name and in order, immutable, equal and hashed by
    value, picklable (a VarBind may travel to another process)."""
    import pickle

    vb = codec.VarBind("1.3.6", "Integer", 5)
    assert (vb.oid, vb.type, vb.value, vb.raw) == ("1.3.6", "Integer", 5, None)
    assert codec.VarBind._fields == ("oid", "type", "value", "raw")
    assert vb == codec.VarBind(oid="1.3.6", type="Integer", value=5, raw=None)
    assert vb != codec.VarBind("1.3.6", "Integer", 6)
    assert hash(vb) == hash(codec.VarBind("1.3.6", "Integer", 5))
    assert len({vb, codec.VarBind("1.3.6", "Integer", 5)}) == 1
    assert vb._replace(value=6).value == 6 and vb.value == 5
    assert pickle.loads(pickle.dumps(vb)) == vb
    assert repr(vb) == "VarBind(oid='1.3.6', type='Integer', value=5, raw=None)"
    with pytest.raises(AttributeError):
        vb.value = 7  # type: ignore[misc]
    with pytest.raises(AttributeError):
        vb.extra = 1  # type: ignore[attr-defined]
    # the fast builders make the same objects as the constructor
    made = list(codec.new_varbinds(["1.3.6"], ["Integer"], [5], [None]))
    assert made == [vb] and type(made[0]) is codec.VarBind


# ---------------------------------------------------------------- the GET fast path


@FAST
@given(
    st.lists(st.tuples(oids, values), max_size=40),
    st.sampled_from(["{}", ".{}", " {} "]),
    st.integers(-(2**31), 2**31 - 1),
)
def test_get_values_match_decode_response(pairs, shape, request_id):
    texts = [shape.format(".".join(map(str, n))) for n, _ in pairs]
    for _ in range(2):  # the second pass hits the head cache
        tlvs, names = codec.encode_names(texts)
        assert names == [codec.encode_name(t)[1] for t in texts]
        assert tlvs == [b"\x06" + _length_and(codec.encode_oid(t)) for t in texts]
        data = response_message(pairs, request_id)
        head, pos = codec.parse_head(data)
        assert head.request_id == request_id and head.varbinds == []
        assert codec.get_values(data, pos, tlvs, names) == codec.decode_response(data)[3]
        message = codec.encode_get(request_id, tlvs, version=1, community=b"c")
        octets = [codec.encode_oid(t) for t in texts]
        assert message == codec.encode_request(
            codec.GET, request_id, octets, version=1, community=b"c"
        )


def _length_and(content: bytes) -> bytes:
    n = len(content)
    return (bytes((n,)) if n < 0x80 else bytes((0x81, n))) + content


def test_encode_names_edge_cases():
    tlvs, names = codec.encode_names(["1.3.6.1.4.1.9.5", "1.3.6.1.4.1.9.007", " .1.3.6.1.4.1.9.6"])
    assert names == ["1.3.6.1.4.1.9.5", "1.3.6.1.4.1.9.7", "1.3.6.1.4.1.9.6"]
    assert codec.encode_names(["1.3", "1.3.300", "2.100.3", "2.100"])[1] == [
        "1.3",
        "1.3.300",
        "2.100.3",
        "2.100",
    ]
    assert codec.encode_names(["1.3", "2.100"])[0] == [b"\x06\x01\x2b", b"\x06\x02\x81\x34"]
    for bad in ["1.3.6.1.", "1.3.6.1.x", "1..3", "1", "1.40.2"]:
        with pytest.raises(ValueError):
            codec.encode_names(["1.3.6.1.4.1.9.1", bad])
    assert codec.encode_get(5, [], version=1, community=b"c") == codec.encode_request(
        codec.GET, 5, [], version=1, community=b"c"
    )


def test_get_values_none_on_other_names_or_counts():
    pairs = [((1, 3, 6, 1, 9, i), v2c.Integer32(i)) for i in range(3)]
    data = response_message(pairs)
    _, pos = codec.parse_head(data)
    tlvs, names = codec.encode_names([f"1.3.6.1.9.{i}" for i in range(3)])
    assert [vb.value for vb in codec.get_values(data, pos, tlvs, names)] == [0, 1, 2]
    assert codec.get_values(data, pos, tlvs[::-1], names[::-1]) is None  # another order
    assert codec.get_values(data, pos, tlvs[:2], names[:2]) is None  # more than asked
    more, more_names = codec.encode_names([f"1.3.6.1.9.{i}" for i in range(4)])
    assert codec.get_values(data, pos, more, more_names) is None  # fewer than asked
    # the same name with a long-form length: not the octets we sent, so not the fast path
    varbind = tlv(0x30, b"\x06\x81\x05\x2b\x06\x01\x09\x00" + b"\x02\x01\x07")
    pdu = b"\x02\x01\x07\x02\x01\x00\x02\x01\x00" + tlv(0x30, varbind)
    longer = tlv(0x30, b"\x02\x01\x01" + tlv(0x04, b"public") + tlv(0xA2, pdu))
    _, pos = codec.parse_head(longer)
    assert codec.parse_varbinds(longer, pos) == [(b"\x2b\x06\x01\x09\x00", 2, b"\x07")]
    assert codec.get_values(longer, pos, tlvs[:1], names[:1]) is None


@pytest.mark.parametrize("cut", [1, 3, 5])
def test_get_values_truncated_or_bad_value_is_malformed(cut):
    pairs = [((1, 3, 6, 1, 9, i), v2c.Integer32(i)) for i in range(3)]
    data = response_message(pairs)
    _, pos = codec.parse_head(data)
    tlvs, names = codec.encode_names([f"1.3.6.1.9.{i}" for i in range(3)])
    with pytest.raises(SnmpMalformed):  # the fast path gives up or fails; the full decode fails
        codec.get_values(data[:-cut], pos, tlvs, names) or codec.parse_varbinds(data[:-cut], pos)
    assert codec.get_values(data[:-9], pos, tlvs, names) is None  # one varbind fewer
    bad = data.replace(b"\x02\x01\x02", b"\x41\x00\x00")  # an empty Counter32
    with pytest.raises(SnmpMalformed):
        codec.get_values(bad, pos, tlvs, names)


def _heads_of(data: bytes):
    """(the one-function head, or None; the field-by-field head, or the error it raised)."""
    try:
        full = codec._full_head(data)
    except Exception as exc:  # noqa: BLE001 - compared below
        full = type(exc)
    return codec._usual_head(data), full


@pytest.mark.parametrize(
    "message",
    [
        GOOD,
        _big_message(),  # long-form lengths
        response_message([((1, 3, 6, 1, 2, 1, 1, 5, 0), v2c.OctetString(b"x" * 100))], -5),
        response_message([], 2**31 - 1, 5, 1, "c" * 127),
    ],
    ids=["short", "long", "0x81", "empty"],
)
def test_usual_head_is_the_full_head_or_steps_aside(message):
    """Every one-octet change and every cut of an answer: the quick head parser agrees with
    the full one or leaves the message to it (issue 11: a walk reads a head per answer)."""
    assert _heads_of(message)[0] is not None  # the usual shape takes the quick path
    seen = 0
    variants = [message[:cut] for cut in range(len(message))]
    for at in range(len(message)):
        for octet in {0x00, 0x01, 0x02, 0x04, 0x30, 0x7F, 0x80, 0x81, 0x82, 0x83, 0xA2, 0xFF}:
            variants.append(message[:at] + bytes((octet,)) + message[at + 1 :])
    for data in variants:
        quick, full = _heads_of(data)
        if quick is not None:
            seen += 1
            assert quick == full, data.hex()
        try:
            codec.parse_head(data)
        except SnmpMalformed:
            pass
    assert seen > len(message)  # changed values (request-id, statuses...) stay quick
