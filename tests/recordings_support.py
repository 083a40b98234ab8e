"""Poll a hand-written recording through the real path (detection, poll job, worker)."""

from __future__ import annotations

from sqlalchemy import select

from jobs.olts import NewOlt, add_olt, poll_now
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution, Olt, Onu


def poll_recording(app, agent, name: str, **fields) -> tuple[Execution, dict[str, Onu], Olt]:
    """Add the recording as an OLT (model "detect" unless brand/model given), poll it once."""
    olt = add_olt(NewOlt(name=name, host="127.0.0.1", port=agent.port, community=name, **fields))
    poll_now(olt, trigger="cli", label="test")
    work(app)
    ex = db.session.scalars(
        select(Execution).where(Execution.olt_id == olt.id).order_by(Execution.id.desc())
    ).first()
    onus = {o.position: o for o in db.session.scalars(select(Onu).where(Onu.olt_id == olt.id))}
    db.session.refresh(olt)
    return ex, onus, olt


def poll_again(app, olt: Olt) -> tuple[Execution, dict[str, Onu]]:
    """Poll an OLT once more."""
    poll_now(olt, trigger="cli", label="test")
    work(app)
    ex = db.session.scalars(
        select(Execution).where(Execution.olt_id == olt.id).order_by(Execution.id.desc())
    ).first()
    onus = {o.position: o for o in db.session.scalars(select(Onu).where(Onu.olt_id == olt.id))}
    return ex, onus
