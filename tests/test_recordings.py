"""Hand-written recordings shaped like real captures: vendor truth, not our own encoder.

The expected positions and values here are written by hand from each vendor's documented
encoding (see the comments), never computed with snmp/indexes or snmp/values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from tests.recordings_support import poll_again, poll_recording
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, JobHost, Oid, SnmpJob


def test_zte_c320_v21_with_only_the_legacy_distance_table(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "zte-c320-v21")
    assert ex.status == "SUCCESS", ex.error
    # detection: sysObjectID 1.3.6.1.4.1.3902.1082.1001.320.2.1 is a C320
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("ZTE", "C320", "zte")
    assert olt.detection["match"]["rule"] == "zte-c320"
    # legacy PON index 0x10000000 | slot<<16 | port<<8, ".<onu>"; ZTE's CLI names rack 1:
    # 268501248 = 0x10010100 = 1/1/1, 268501760 = 0x10010300 = 1/1/3, 268502016 = 1/1/4
    assert {p: o.distance_m for p, o in onus.items()} == {
        "1/1/1:1": 1235,
        "1/1/1:2": 2278,
        "1/1/1:3": None,  # 0: not ranged (the table still lists the ONU)
        "1/1/3:1": 501,
        "1/1/3:2": 3793,
        "1/1/4:24": 1200,
    }
    summary = ex.summary
    assert summary["presence_table"] == "zxGponOntDistance (1012)"
    assert summary["tables"] == {"distance": "zxGponOntDistance (1012)"}
    assert {"state", "serial", "rx_power", "name"} <= set(summary["not_supported"])
    assert summary["found"] == 6 and summary["undecoded"] == 0
    assert all(o.state_value is None and o.present for o in onus.values())


def test_a_per_oid_discovery_of_the_legacy_column_decodes_with_its_own_formula(app, recordings):
    """The C320's model points at the 1082.500 tree; the legacy column keeps its formula."""
    ex, onus, olt = poll_recording(app, recordings, "zte-c320-v21")
    oid = db.session.scalar(
        select(Oid).filter_by(brand_id=olt.brand_id, oid="1.3.6.1.4.1.3902.1012.3.11.4.1.2")
    )
    job = SnmpJob(name="legacy distance discovery", job_type="discovery", oid_id=oid.id)
    job.hosts = [JobHost(olt_id=olt.id)]
    db.session.add(job)
    db.session.commit()
    run_jobs_now([job.id], trigger="cli", label="test")
    work(app)
    run = db.session.scalars(select(Execution).where(Execution.job_id == job.id)).one()
    assert run.status == "SUCCESS", run.error
    assert run.summary["found"] == 6 and run.summary["new"] == 0 and run.summary["undecoded"] == 0
    assert "not a state column" in run.summary["note"]  # distances never become states


def test_vsol_v1600d_without_a_status_column(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "vsol-v1600d")
    assert ex.status == "SUCCESS", ex.error
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("V-SOL", "V1600D", "vsol")
    # V-SOL tables are <pon>.<onu> (one card: PON 1 = 0/0/1); the IF-MIB ONU interfaces are
    # named EPON0/1:<onu>: both give the same ONU
    assert set(onus) == {"0/0/1:1", "0/0/1:2", "0/0/1:3", "0/0/1:4"}
    assert {p: o.state_label for p, o in onus.items()} == {
        "0/0/1:1": "up",
        "0/0/1:2": "up",
        "0/0/1:3": "down",
        "0/0/1:4": "up",
    }
    assert {p: o.description for p, o in onus.items()} == {
        "0/0/1:1": "AAAAAA",
        "0/0/1:2": "José Pérez",  # Latin-1 octets 4A 6F 73 E9 20 50 E9 72 65 7A: text, not hex
        "0/0/1:3": "CCCCCC",
        "0/0/1:4": None,
    }
    # "0.03 mW (-14.61 dBm)": the dBm in parentheses; no row for the offline ONU
    assert {p: o.rx_power_dbm for p, o in onus.items()} == {
        "0/0/1:1": -14.61,
        "0/0/1:2": -23.77,
        "0/0/1:3": None,
        "0/0/1:4": -28.24,
    }
    assert onus["0/0/1:2"].tx_power_dbm == 7.71
    summary = ex.summary
    assert summary["presence_table"] == "ifOperStatus (IF-MIB)"
    assert summary["tables"]["description"] == "onuAuthInfoDescription2 (EPON)"
    # GE ports, the PON ports EPON0/1 and EPON0/2 and vlan1200 are not ONUs
    assert summary["found"] == 4 and summary["not_onus"] == 5


def test_ufiber_onus_indexed_by_their_serial(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "ufiber")
    assert ex.status == "SUCCESS", ex.error
    # sysObjectID 1.3.6.1.4.1.41112.1.5 is any EdgeOS box; ubntModel.0 "UFiber OLT" says OLT
    assert (olt.brand.name, olt.model.name, olt.profile_key) == ("Ubiquiti", "UFiber OLT", "ufiber")
    # index 12.85.66.78.84.50.48.55.51.49.56.56.56 = length 12, ASCII "UBNT20731888"
    assert set(onus) == {"UBNT20731888", "UBNT2073be78", "UBNTf9a532b8"}
    a, b, c = onus["UBNT20731888"], onus["UBNT2073be78"], onus["UBNTf9a532b8"]
    assert (a.serial, b.serial, c.serial) == ("UBNT20731888", "UBNT2073BE78", "UBNTF9A532B8")
    assert (a.state_label, b.state_label, c.state_label) == ("online", "offline", "online")
    # SignalLevel "in hundredths of dBm"; offline ONUs answer 0 for everything
    assert (a.rx_power_dbm, b.rx_power_dbm, c.rx_power_dbm) == (-24.81, None, -17.25)
    assert (a.tx_power_dbm, b.tx_power_dbm, c.tx_power_dbm) == (2.28, None, 0.67)
    assert (a.port, b.port, c.port) == (2, None, 5)  # ubntOnuOltPort, 0 while offline
    assert (a.name, a.onu_model, c.name) == ("36602_profil_5", "NanoG", "d0:21:f9:a5:32:b8")
    now = datetime.now(UTC)
    # ubntOnuConnectedTime 302325200 TimeTicks = 3,023,252 s
    assert abs((now - a.online_since) - timedelta(seconds=3_023_252)) < timedelta(seconds=60)
    assert b.online_since is None
    assert ex.summary["not_onus"] == 0 and ex.summary["found"] == 3
    # ubntOnusTable has no distance, description or down-cause column
    assert ex.summary["no_table_in_profile"] == ["description", "distance", "last_down_cause"]


def test_the_generic_profile_finds_no_onus_among_lo_and_eth0(app, recordings):
    ex, onus, _olt = poll_recording(app, recordings, "ufiber", brand="Generic")
    assert ex.status == "FAILED" and not onus
    assert "none of the 4 ONU tables of profile generic answered with ONUs" in ex.error


def test_an_onu_missing_from_one_complete_walk_is_not_yet_absent(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "ufiber")
    ex2, onus2 = poll_again(app, olt)
    assert ex2.summary["new"] == 0 and ex2.summary["found"] == 3
    assert {p: o.id for p, o in onus2.items()} == {p: o.id for p, o in onus.items()}


@pytest.mark.parametrize("name", ["zte-c320-v21", "vsol-v1600d", "ufiber"])
def test_detection_reads_the_system_group(app, recordings, name):
    from jobs.detection import detect_olt
    from jobs.olts import NewOlt, add_olt

    olt = add_olt(
        NewOlt(name=name, host="127.0.0.1", port=recordings.port, community=name, timeout=1)
    )
    data = detect_olt(olt)
    db.session.commit()
    assert data["answered"] and data["known"] and data["applied"], data
    assert data["rtt_ms"] >= 0 and data["sys_object_id"].startswith("1.3.6.1.4.1.")
    assert olt.detected_at is not None and olt.detection["sys_descr"] == data["sys_descr"]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "cisco-switch",
            "not an OLT we know: sysObjectID 1.3.6.1.4.1.9.1.1208, sysDescr 'Cisco IOS",
        ),
        ("huawei-mdu", "Huawei MA5620: a Huawei MDU (SmartAX access unit), not an OLT"),
        ("edgerouter", "Ubiquiti EdgeOS device: an EdgeOS router (ubntModel is not UFiber)"),
    ],
)
def test_devices_that_are_not_olts_we_know_say_so(app, recordings, name, says):
    ex, onus, olt = poll_recording(app, recordings, name)
    assert ex.status == "FAILED" and not onus
    assert ex.error.startswith(f"OLT {name} (127.0.0.1:{recordings.port}): ") and says in ex.error
    assert olt.brand is None and olt.detection["answered"] and not olt.detection["known"]


def test_an_olt_in_detect_mode_that_does_not_answer_fails_with_the_reason(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "ufiber", timeout=0.5, retries=0)
    assert ex.status == "SUCCESS"  # the right community: detected and polled
    from jobs.olts import NewOlt, add_olt, poll_now

    mute = add_olt(
        NewOlt(name="mute", host="127.0.0.1", port=recordings.port, community="s3cret-x",
               timeout=0.5, retries=0)
    )  # fmt: skip
    poll_now(mute, trigger="cli", label="test")
    work(app)
    run = db.session.scalars(select(Execution).where(Execution.olt_id == mute.id)).one()
    assert run.status == "FAILED"
    assert run.error.startswith(f"OLT mute (127.0.0.1:{recordings.port}) did not answer within")
    assert "s3cret-x" not in run.error and "or the SNMP community is wrong" in run.error
    db.session.refresh(mute)
    assert mute.detection["answered"] is False and mute.detected_at is not None
