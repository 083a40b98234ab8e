"""/api/v1/alarms, /api/v1/events and /api/v1/whoami."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from history import alarms
from webapp.api.core import ID, api_user, get_or_404, keyset_page, olt_named, problem, scope
from webapp.api.schemas import (
    AlarmListArgs,
    AlarmPage,
    AlarmSchema,
    EventListArgs,
    EventPage,
    EventSchema,
    WhoamiSchema,
)
from webapp.extensions import db
from webapp.models import Alarm, OnuEvent
from webapp.models.base import utcnow
from webapp.models.tokens import SCOPES

alarms_blp = Blueprint("Alarms", __name__, url_prefix="/api/v1/alarms", description="Alarms")
events_blp = Blueprint(
    "Events", __name__, url_prefix="/api/v1/events", description="What happened to ONUs"
)
whoami_blp = Blueprint("Token", __name__, url_prefix="/api/v1/whoami", description="Your token")


def get_alarm(alarm_id: int) -> Alarm:
    return get_or_404(Alarm, alarm_id, "alarm")


@alarms_blp.route("", strict_slashes=False)
class Alarms(MethodView):
    @alarms_blp.arguments(AlarmListArgs, location="query")
    @alarms_blp.response(200, AlarmPage)
    def get(self, args):
        """List alarms, newest first (status=open: the ones not cleared)"""
        query = select(Alarm).options(joinedload(Alarm.olt), joinedload(Alarm.acknowledged_by))
        status = args.get("status")
        if status == "open":
            query = query.where(Alarm.status.in_(("pending", "active")))
        elif status:
            query = query.where(Alarm.status == status)
        for key in ("severity", "kind", "olt_id", "onu_id"):
            if args.get(key) is not None:
                query = query.where(getattr(Alarm, key) == args[key])
        if args.get("olt"):
            query = query.where(Alarm.olt_id == olt_named(args["olt"]))
        if "acknowledged" in args:
            ack = Alarm.acknowledged_at
            query = query.where(ack.is_not(None) if args["acknowledged"] else ack.is_(None))
        return keyset_page(
            query, Alarm.id, args, AlarmSchema, newest_first=True,
            rows_of=lambda q: list(db.session.scalars(q).unique()),
        )  # fmt: skip


@alarms_blp.route(f"/<{ID}:alarm_id>")
class AlarmItem(MethodView):
    @alarms_blp.response(200, AlarmSchema)
    def get(self, alarm_id):
        """Read an alarm"""
        return get_alarm(alarm_id)


@alarms_blp.route(f"/<{ID}:alarm_id>/acknowledge")
class AcknowledgeAlarm(MethodView):
    @alarms_blp.response(200, AlarmSchema)
    @scope("run")
    def post(self, alarm_id):
        """Acknowledge an alarm (who and when); it still clears by itself"""
        alarm = get_alarm(alarm_id)
        if alarm.status == "cleared":
            problem(409, f"Alarm {alarm.id} is cleared: there is nothing to acknowledge.")
        alarms.acknowledge(db.session, [alarm.id], api_user().id, utcnow())
        db.session.commit()
        return alarm


@events_blp.route("", strict_slashes=False)
class Events(MethodView):
    @events_blp.arguments(EventListArgs, location="query")
    @events_blp.response(200, EventPage)
    def get(self, args):
        """List ONU events (online, offline, absent, rx changes…), newest first"""
        query = select(OnuEvent)
        for key in ("olt_id", "onu_id", "kind"):
            if args.get(key) is not None:
                query = query.where(getattr(OnuEvent, key) == args[key])
        if args.get("olt"):
            query = query.where(OnuEvent.olt_id == olt_named(args["olt"]))
        if args.get("since"):
            query = query.where(OnuEvent.at >= args["since"])
        return keyset_page(query, OnuEvent.id, args, EventSchema, newest_first=True)


@whoami_blp.route("", strict_slashes=False)
class Whoami(MethodView):
    @whoami_blp.response(200, WhoamiSchema)
    def get(self):
        """Who this token acts as, and what it may do"""
        token = g.api_token
        return {
            "user": token.user.username,
            "token": token.prefix,
            "token_name": token.name,
            "scopes": sorted(token.scope_set, key=SCOPES.index),
            "expires_at": token.expires_at,
        }
