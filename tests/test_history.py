"""ONU history: samples stored by the polls' own transaction, rolled up, read for a chart.

Expected values are the vendors' figures as the recordings serve them (dBm from the MIB's
units, hand-worked in tests/test_recordings_vendors.py), not our encoder's output.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from history import codec, query, rollup, samples
from tests.recordings_support import poll_again, poll_recording
from webapp.extensions import db
from webapp.models import Olt, SampleBlock, SampleRoster


def test_codec_round_trips_nulls_signs_and_clamps():
    records = [(-2481, 228, 1, 12345), (None, None, None, None), (-40000, 40000, -1, 70000)]
    blob = codec.pack(records, codec.RAW)
    assert len(blob) == 3 * codec.width(codec.RAW) == 24
    assert codec.unpack(blob, codec.RAW) == [
        (-2481, 228, 1, 12345),
        (None, None, None, None),
        (-32767, 32767, -1, 65534),  # clamped into a word, never wrapped into another value
    ]
    assert codec.unpack_one(blob[8:16], codec.RAW) == dict.fromkeys(codec.RAW_FIELDS)
    assert codec.unpack_one(blob[:5], codec.RAW) is None  # a short read is not a record
    assert codec.centi(-24.814) == -2481 and codec.centi(None) is None
    assert list(codec.unpack_ids(codec.pack_ids([3, 9, 2**31 - 1]))) == [3, 9, 2**31 - 1]


@pytest.mark.parametrize("resolution", [codec.RAW, codec.HOUR])
def test_pack_writes_each_value_as_its_word(resolution):
    """The packing's inlined in-range path gives the words _word gives, at every edge."""
    edges = [None, 0, 1, -1, 32767, -32767, -32768, 40000, -40000, 65534, 65535, 70000]
    edges += [2.7, -3.2, True, False]
    unsigned = [f in codec.UNSIGNED for f in codec.FIELDS[resolution]]
    n = len(unsigned)
    records = [tuple(edges[(i + k) % len(edges)] for k in range(n)) for i in range(len(edges))]
    words = [codec._word(v, unsigned[k]) for r in records for k, v in enumerate(r)]
    blob = codec.pack(records, resolution)
    assert [int.from_bytes(blob[i : i + 2], "little") for i in range(0, len(blob), 2)] == words
    with pytest.raises(ValueError):
        codec.pack([records[0][:-1]], resolution)  # a short record is refused


@pytest.mark.parametrize("resolution", [codec.RAW, codec.HOUR])
@pytest.mark.parametrize("nulls", [False, True])
def test_pack_of_in_range_fields_is_word_by_word(resolution, nulls):
    """Fields of in-range ints (and None), packed by array at once, give _word's words; a
    field with one value out of range or of another type is packed value by value."""
    unsigned = [f in codec.UNSIGNED for f in codec.FIELDS[resolution]]
    ranges = {True: [0, 1, 7, 65533, 65534], False: [-32767, -32766, -1, 0, 1, 32766, 32767]}
    records = [
        tuple(
            None if nulls and (i + k) % 5 == 0 else ranges[u][(i * 3 + k) % len(ranges[u])]
            for k, u in enumerate(unsigned)
        )
        for i in range(40)
    ]
    for odd in (None, 65535, -32768, 1.0, True):
        for at in range(len(unsigned)):
            bad = [*records, tuple(odd if k == at else 0 for k in range(len(unsigned)))]
            words = [codec._word(v, unsigned[k]) for r in bad for k, v in enumerate(r)]
            blob = codec.pack(bad, resolution)
            got = [int.from_bytes(blob[i : i + 2], "little") for i in range(0, len(blob), 2)]
            assert got == words, (odd, at)
    assert codec.pack([], resolution) == b""


def test_a_poll_stores_a_sample_per_onu_in_its_own_transaction(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "ufiber")
    assert ex.status == "SUCCESS", ex.error
    (block,) = db.session.scalars(select(SampleBlock)).all()
    assert (block.olt_id, block.execution_id, block.resolution) == (olt.id, ex.id, codec.RAW)
    assert ex.summary["samples"] == 3
    now = datetime.now(UTC)
    a = onus["UBNT20731888"]
    chart = query.series(db.session, olt.id, a.id, now - timedelta(hours=1), now)
    assert chart["resolution"] == "raw"
    (point,) = chart["points"]
    # ubntOnuRxPower -2481 and ubntOnuTxPower 228, "hundredths of dBm"; ubntOnuOnline 1
    assert (point["rx"], point["tx"], point["state"]) == (-24.81, 2.28, 1)
    offline = onus["UBNT2073be78"]
    (gone,) = query.series(db.session, olt.id, offline.id, now - timedelta(hours=1), now)["points"]
    assert (gone["rx"], gone["tx"], gone["state"]) == (None, None, 2)  # offline: no light

    ex2, _ = poll_again(app, olt)
    assert db.session.scalar(select(func.count()).select_from(SampleBlock)) == 2
    assert db.session.scalar(select(func.count()).select_from(SampleRoster)) == 1  # same ONUs
    points = query.series(db.session, olt.id, a.id, now - timedelta(hours=1), now + timedelta(1))
    assert len(points["points"]) == 2


def test_a_failed_poll_stores_no_sample(app, recordings):
    ex, _onus, _olt = poll_recording(app, recordings, "ufiber", brand="Generic")
    assert ex.status == "FAILED"
    assert db.session.scalar(select(func.count()).select_from(SampleBlock)) == 0


def _olt() -> Olt:
    olt = Olt(name="hist", host="127.0.0.1", community="x")
    db.session.add(olt)
    db.session.commit()
    return olt


def test_rollup_hours_then_days_and_purge_by_retention(app):
    olt = _olt()
    t0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    # ONU 1 at -20.00/-22.00/-24.00 dBm in one hour, ONU 2 only in the last poll of the hour
    samples.append(db.session, olt.id, None, t0, {1: (-20.0, 2.0, 1, 1500)})
    samples.append(db.session, olt.id, None, t0 + timedelta(minutes=15), {1: (-22.0, 2.5, 1, 1500)})
    samples.append(
        db.session, olt.id, None, t0 + timedelta(minutes=30),
        {1: (-24.0, None, 2, None), 2: (-18.0, 1.0, 1, 900)},
    )  # fmt: skip
    samples.append(db.session, olt.id, None, t0 + timedelta(hours=1), {1: (-30.0, 3.0, 1, 1500)})
    db.session.commit()
    keep = rollup.Retention(raw_days=7, hourly_days=90, daily_days=730)

    report = rollup.rollup(db.session, t0 + timedelta(hours=1, minutes=5), keep)
    assert report["hours"] == 1 and report["days"] == 0  # 11:00 has not ended yet
    hour = db.session.scalars(select(SampleBlock).filter_by(resolution=codec.HOUR)).one()
    assert hour.at == t0
    ids = list(codec.unpack_ids(db.session.get(SampleRoster, hour.roster_id).onu_ids))
    one, two = codec.unpack(hour.data, codec.HOUR)
    assert ids == [1, 2]
    # rx min/avg/max -24/-22/-20; tx over the two polls that had it; last state and distance
    assert one == (-2400, -2200, -2000, 200, 225, 250, 2, 1500, 3)
    assert two == (-1800, -1800, -1800, 100, 100, 100, 1, 900, 1)
    assert rollup.rollup(db.session, t0 + timedelta(hours=1, minutes=5), keep)["hours"] == 0

    report = rollup.rollup(db.session, t0 + timedelta(days=1), keep)
    assert report["hours"] == 1 and report["days"] == 1
    day = db.session.scalars(select(SampleBlock).filter_by(resolution=codec.DAY)).one()
    assert day.at == t0.replace(hour=0)
    one, _two = codec.unpack(day.data, codec.DAY)
    # -24..-20 over three samples and -30 over one: weighted average -24.00, four samples
    assert one == (-3000, -2400, -2000, 200, 244, 300, 1, 1500, 4)  # weighted by samples

    # a 90-day chart reads the hourly rollups; a two-year one the daily
    chart = query.series(db.session, olt.id, 1, t0 - timedelta(days=80), t0 + timedelta(days=1))
    assert chart["resolution"] == "hour"
    assert [p["rx_avg"] for p in chart["points"]] == [-22.0, -30.0]
    assert chart["points"][0]["rx_min"] == -24.0 and chart["points"][0]["n"] == 3
    long = query.series(db.session, olt.id, 1, t0 - timedelta(days=700), t0 + timedelta(days=1))
    assert long["resolution"] == "day" and long["points"][0]["rx_avg"] == -24.0

    report = rollup.rollup(db.session, t0 + timedelta(days=8), keep)
    assert report["purged_blocks"] == 4  # the raw polls; their hours and day stay
    left = db.session.scalars(select(SampleBlock.resolution)).all()
    assert sorted(left) == [codec.HOUR, codec.HOUR, codec.DAY]
    rollup.rollup(db.session, t0 + timedelta(days=731), keep)
    assert db.session.scalar(select(func.count()).select_from(SampleBlock)) == 0
    assert db.session.scalar(select(func.count()).select_from(SampleRoster)) == 0


@pytest.mark.parametrize("value", [float("nan"), "12 dBm", True])
def test_values_that_are_not_numbers_are_stored_as_no_value(app, value):
    from jobs.onu_history import sample_of

    assert sample_of({"rx_power": value, "tx_power": 2.5, "distance": 1200.0}, None) == (
        None,
        2.5,
        None,
        1200,
    )


def _events(olt_id: int) -> dict[str, list[tuple[str, dict]]]:
    from webapp.models import OnuEvent

    out: dict = {}
    for e in db.session.scalars(select(OnuEvent).filter_by(olt_id=olt_id).order_by(OnuEvent.id)):
        out.setdefault(e.position, []).append((e.kind, e.detail, e.pon))
    return out


def test_the_store_step_writes_an_event_for_each_change_it_sees(app, recordings):
    """The Huawei MA5608T recording as it is, against an inventory edited to differ from it."""
    from webapp.models import Onu

    ex, onus, olt = poll_recording(app, recordings, "huawei-ma5608t")
    assert ex.status == "SUCCESS", ex.error
    assert _events(olt.id) == {} and ex.summary["events"] == {}  # a new OLT's ONUs are no news
    # what we knew before the next poll (the recording says otherwise, see the vendor test):
    onus["0/0/1:1"].state_value = 1  # was online; hwGponDeviceOntControlRunStatus now down(2)
    onus["0/1/0:1"].state_value = 2  # was offline; now up(1)
    onus["0/0/1:0"].rx_power_dbm = -28.5  # was low; now -1875 hundredths = -18.75 dBm
    onus["0/1/1:5"].serial = "HWTC00000000"  # another ONT answers at 0/1/1:5 now
    onus["0/1/0:0"].serial = "HWTC1A2B3C4D"  # the ONT now at 0/0/1:0 was at 0/1/0:0
    onus["0/0/1:0"].serial = None
    onus["0/1/1:6"].present = False
    db.session.delete(onus["0/1/0:3"])  # never seen before
    ghost = Onu(olt_id=olt.id, position="0/1/1:9", raw_index="4194312448.9", present=True)
    ghost.frame, ghost.slot, ghost.port, ghost.consecutive_misses = 0, 1, 1, 1
    db.session.add(ghost)
    db.session.commit()

    ex2, _ = poll_again(app, olt)
    assert ex2.status == "SUCCESS", ex2.error
    events = _events(olt.id)
    # hwGponDeviceOntControlLastDownCause 2 = LOSi for 0/0/1:1
    assert events["0/0/1:1"] == [("offline", {"state": "offline", "cause": "LOSi"}, "0/0/1")]
    assert events["0/1/0:1"] == [("online", {"state": "online"}, "0/1/0")]
    assert events["0/0/1:0"] == [
        ("rx_normal", {"rx_dbm": -18.75, "was_dbm": -28.5}, "0/0/1"),
        ("moved", {"from": "0/1/0:0", "serial": "HWTC1A2B3C4D"}, "0/0/1"),
    ]
    assert events["0/1/1:5"] == [
        ("swapped", {"from": "HWTC00000000", "to": "HWTC41424344"}, "0/1/1")
    ]
    assert events["0/1/0:0"] == [
        ("swapped", {"from": "HWTC1A2B3C4D", "to": "ZTEG9A8B7C6D"}, "0/1/0")
    ]
    assert events["0/1/1:6"] == [("reappeared", {}, "0/1/1")]
    assert events["0/1/0:3"] == [("appeared", {}, "0/1/0")]
    assert events["0/1/1:9"] == [("absent", {}, "0/1/1")]  # ABSENT_AFTER_MISSES = 2
    assert ex2.summary["events"] == {
        "offline": 1, "online": 1, "rx_normal": 1, "moved": 1, "swapped": 2,
        "reappeared": 1, "appeared": 1, "absent": 1,
    }  # fmt: skip

    ex3, _ = poll_again(app, olt)  # nothing changed since: no event
    assert ex3.summary["events"] == {}


@pytest.mark.parametrize(
    ("was", "now", "kind"),
    [(-20.0, -27.5, "rx_low"), (-27.5, -30.01, "rx_critical"), (-20.0, -7.5, "rx_overload"),
     (-31.0, -20.0, "rx_normal"), (-20.0, -26.99, None), (None, -31.0, None)],
)  # fmt: skip
def test_rx_events_follow_the_default_thresholds(was, now, kind):
    from history.events import Seen, Thresholds, detect

    changes = detect({"rx_power_dbm": was}, Seen(rx=now), frozenset({1}), Thresholds())
    assert [k for k, _ in changes] == ([kind] if kind else [])


def test_events_list_and_the_onu_timeline_in_the_admin(app, client, recordings):
    from tests.conftest import login
    from tests.factories import make_user

    ex, onus, olt = poll_recording(app, recordings, "huawei-ma5608t")
    onus["0/0/1:1"].state_value = 1
    db.session.commit()
    poll_again(app, olt)
    make_user("noc")
    login(client, "noc")
    page = client.get("/admin/onuevent/")
    assert page.status_code == 200
    assert "0/0/1:1" in page.text and "offline" in page.text and "LOSi" in page.text
    kinds = client.get("/admin/onuevent/", query_string={"flt0_kind_equals": "online"})
    assert kinds.status_code == 200 and "0/0/1:1" not in kinds.text
    onu_id = onus["0/0/1:1"].id
    details = client.get(f"/admin/onu/details/?id={onu_id}")
    assert details.status_code == 200
    assert "cause: LOSi" in details.text and "all events of this ONU" in details.text
    mine = client.get("/admin/onuevent/", query_string={"flt0_onu_id_equals": onu_id})
    assert mine.status_code == 200 and "0/0/1:1" in mine.text and "0/1/0:1" not in mine.text
