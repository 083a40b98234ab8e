"""Presence through the real path: which walks may make an ONU absent, and which may not.

Only a complete walk of a table that lists every ONU (offline ones included) counts a miss;
ABSENT_AFTER_MISSES (2) such walks make an ONU absent. A table of online ONUs only (optics)
finds ONUs but never makes one absent; a get whose rows do not decode fails.
"""

from __future__ import annotations

from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from tests.factories import brand, make_job, make_olt
from tests.recordings_support import poll_again, poll_recording
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Oid, Onu


def test_a_poll_makes_an_onu_absent_after_two_complete_polls_without_it(app, recordings):
    ex, onus, olt = poll_recording(app, recordings, "ufiber")
    assert ex.status == "SUCCESS", ex.error
    # an ONU the OLT no longer lists (moved to another OLT, deleted by the operator)
    gone = Onu(olt_id=olt.id, raw_index="12.1.2.3", position="UBNTdeadbeef", present=True)
    db.session.add(gone)
    db.session.commit()

    ex2, onus2 = poll_again(app, olt)
    assert ex2.status == "SUCCESS", ex2.error
    assert ex2.summary["missing_not_yet_absent"] == 1 and ex2.summary["absent_now"] == 0
    assert onus2["UBNTdeadbeef"].present and onus2["UBNTdeadbeef"].consecutive_misses == 1

    ex3, onus3 = poll_again(app, olt)
    assert ex3.summary["absent_now"] == 1 and ex3.summary["absent_total"] == 1
    assert not onus3["UBNTdeadbeef"].present
    # the three ONUs the OLT lists stay the same rows, present, whatever polls found them
    assert {p: o.id for p, o in onus3.items() if p != "UBNTdeadbeef"} == {
        p: o.id for p, o in onus.items()
    }
    assert all(o.present for p, o in onus3.items() if p != "UBNTdeadbeef")


def _rx_discovery(olt):
    """A discovery job on Huawei's ONU rx column: a table of online ONUs only."""
    rx = db.session.scalar(
        select(Oid).filter_by(brand_id=olt.brand_id, mib_name="hwGponOntOpticalDdmRxPower")
    )
    return make_job([olt], name="rx as discovery", oid_id=rx.id)


def test_a_discovery_of_a_table_of_online_onus_never_makes_an_onu_absent(app, lab):
    olt = make_olt(lab, "huawei-a")
    ghost = Onu(olt_id=olt.id, raw_index="4194312192.99", position="0/1/0:99", present=True)
    db.session.add(ghost)
    db.session.commit()
    job = _rx_discovery(olt)
    for _ in range(3):
        run_jobs_now([job.id], trigger="cli", label="test")
        work(app)
    runs = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    assert [r.status for r in runs] == ["SUCCESS"] * 3, [r.error for r in runs]
    assert all(r.summary["absent_now"] == 0 for r in runs)
    assert "not marked absent" in runs[-1].summary["presence_note"]
    ghost = db.session.get(Onu, ghost.id)
    assert ghost.present and ghost.consecutive_misses == 0
    assert runs[0].summary["new"] == 40  # it still finds the ONUs it lists


def test_a_get_whose_rows_do_not_decode_fails_and_stores_nothing(app, lab):
    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
    work(app)
    # an operator's OID on the system group: its indexes (1.0, 2.0…) are not Huawei ONU indexes
    huawei = brand("Huawei")
    wrong = Oid(name="sys as description", oid="1.3.6.1.2.1.1", kind="description")
    wrong.brand_id = huawei.id
    db.session.add(wrong)
    db.session.commit()
    job = make_job([olt], name="get wrong", job_type="get", oid_id=wrong.id)
    run_jobs_now([job.id], trigger="cli", label="test")
    work(app)
    ex = db.session.scalars(select(Execution).where(Execution.job_id == job.id)).one()
    assert ex.status == "FAILED"
    assert "decodes with formula" in ex.error and "below the formula base" in ex.error
    assert db.session.scalar(select(Onu.id).where(Onu.description.is_not(None))) is None


def test_text_longer_than_its_column_is_cut_and_an_overlong_index_is_refused(app, tmp_path):
    """A UFiber that sends a 3,000-character ONU name and a 200-character serial index."""
    from snmp.lab.agent import LabAgent
    from tests.conftest import RECORDINGS

    text = (RECORDINGS / "ufiber.snmprec").read_text("ascii")
    name_row = "1.3.6.1.4.1.41112.1.5.6.2.1.2.12.85.66.78.84.50.48.55.51.49.56.56.56|4|"
    assert name_row + "36602_profil_5\n" in text
    text = text.replace(name_row + "36602_profil_5\n", name_row + "N" * 3000 + "\n")
    # an ONU whose serial index (length 200, "S" * 200) cannot be a position of 100 characters
    index = "200." + ".".join(["83"] * 200)
    text += f"1.3.6.1.4.1.41112.1.5.6.2.1.3.{index}|2|1\n"
    path = tmp_path / "long.snmprec"
    path.write_text("".join(sorted(text.splitlines(keepends=True), key=_oid_key)), "ascii")
    agent = LabAgent(tmp_path / "lab")
    agent.add_recording("long", path)
    with agent:
        ex, onus, _olt = poll_recording(app, agent, "long")
    assert ex.status == "SUCCESS", ex.error
    assert onus["UBNT20731888"].name == "N" * 100  # Onu.name is 100 characters
    assert set(onus) == {"UBNT20731888", "UBNT2073be78", "UBNTf9a532b8"}
    assert ex.summary["undecoded"] == 1
    assert "longer than an ONU's position" in ex.summary["undecoded_examples"][0]


def _oid_key(line: str) -> tuple[int, ...]:
    oid = line.split("|", 1)[0]
    return tuple(int(a) for a in oid.split(".") if a.isdigit())
