"""The admin home page: what ran in the last 24 hours and what is running now."""

from __future__ import annotations

from datetime import timedelta

from flask_admin import expose
from sqlalchemy import func, select

from webapp.admin.base import StaffIndexView
from webapp.extensions import db
from webapp.models import Execution, Olt, Onu, SnmpJob
from webapp.models.base import utcnow
from webapp.models.executions import STATUSES


class HomeView(StaffIndexView):
    """Counts by status for the last day, the latest executions and the inventory size."""

    @expose("/")
    def index(self):
        since = utcnow() - timedelta(hours=24)
        counts = dict(
            db.session.execute(
                select(Execution.status, func.count())
                .where(Execution.created_at >= since)
                .group_by(Execution.status)
            ).all()
        )
        latest = db.session.scalars(select(Execution).order_by(Execution.id.desc()).limit(15)).all()
        totals = {
            "jobs": db.session.scalar(select(func.count()).select_from(SnmpJob)),
            "olts": db.session.scalar(select(func.count()).select_from(Olt)),
            "onus": db.session.scalar(select(func.count()).select_from(Onu)),
            "present": db.session.scalar(
                select(func.count()).select_from(Onu).where(Onu.present.is_(True))
            ),
        }
        return self.render(
            "admin/home.html",
            counts={s: counts.get(s, 0) for s in STATUSES},
            latest=latest,
            totals=totals,
        )
