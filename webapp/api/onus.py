"""/api/v1/onus: find ONUs (serial, name, description, OLT, PON, state, rx); read one with
its recent samples and events."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from history import query as history
from webapp.api.core import ID, With, get_or_404, keyset_page, olt_named
from webapp.api.schemas import OnuDetailArgs, OnuDetailSchema, OnuListArgs, OnuPage, OnuSchema
from webapp.extensions import db
from webapp.models import Onu, OnuEvent
from webapp.models.base import utcnow
from webapp.models.inventory import ONU_SEARCH_COLUMNS

blp = Blueprint("ONUs", __name__, url_prefix="/api/v1/onus", description="The ONU inventory")
EVENTS_MAX = 200


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@blp.route("", strict_slashes=False)
class Onus(MethodView):
    @blp.arguments(OnuListArgs, location="query")
    @blp.response(200, OnuPage)
    def get(self, args):
        """Find ONUs

        `serial` finds serials that start with it; `q` a part of serial, name,
        description, position, index or MAC. Filters combine."""
        query = select(Onu).options(joinedload(Onu.olt))
        if args.get("serial"):
            query = query.where(Onu.serial.ilike(_escape(args["serial"]) + "%", escape="\\"))
        if args.get("q"):
            like = "%" + _escape(args["q"]) + "%"
            query = query.where(
                or_(*(getattr(Onu, c).ilike(like, escape="\\") for c in ONU_SEARCH_COLUMNS))
            )
        if args.get("olt_id"):
            query = query.where(Onu.olt_id == args["olt_id"])
        if args.get("olt"):
            query = query.where(Onu.olt_id == olt_named(args["olt"]))
        if args.get("pon"):
            parts = [int(p) for p in args["pon"].split("/")]
            frame, slot, port = parts if len(parts) == 3 else (None, *parts)
            query = query.where(Onu.slot == slot, Onu.port == port)
            if frame is not None:
                query = query.where(Onu.frame == frame)
        if args.get("state"):
            query = query.where(Onu.state_label == args["state"])
        if "present" in args:
            query = query.where(Onu.present.is_(args["present"]))
        if args.get("rx_min") is not None:
            query = query.where(Onu.rx_power_dbm >= args["rx_min"])
        if args.get("rx_max") is not None:
            query = query.where(Onu.rx_power_dbm <= args["rx_max"])
        return keyset_page(query, Onu.id, args, OnuSchema)


@blp.route(f"/<{ID}:onu_id>")
class OnuItem(MethodView):
    @blp.arguments(OnuDetailArgs, location="query")
    @blp.response(200, OnuDetailSchema)
    def get(self, args, onu_id):
        """Read an ONU, with its samples and events of the last hours"""
        onu = get_or_404(Onu, onu_id, "ONU")
        hours = args["hours"]
        samples, resolution, events = [], "raw", []
        if hours:
            end = utcnow()
            start = end - timedelta(hours=hours)
            cfg = current_app.config
            series = history.series(
                db.session, onu.olt_id, onu.id, start, end,
                cfg["HISTORY_RAW_DAYS"], cfg["HISTORY_HOURLY_DAYS"],
            )  # fmt: skip
            samples, resolution = series["points"], series["resolution"]
            events = list(
                db.session.scalars(
                    select(OnuEvent)
                    .where(OnuEvent.onu_id == onu.id, OnuEvent.at >= start)
                    .order_by(OnuEvent.at.desc(), OnuEvent.id.desc())
                    .limit(EVENTS_MAX)
                )
            )
        return With(onu, samples=samples, samples_resolution=resolution, events=events)
