"""/api/v1/olts: list, read, add, change, enable/disable, detect, poll now."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, or_, select

from jobs.olts import NewOlt, add_olt, check_v3, poll_job_of, poll_now
from webapp.api.core import (
    ID,
    With,
    api_user,
    get_or_404,
    keyset_page,
    problem,
    run_label,
    scope,
)
from webapp.api.runs import report_response
from webapp.api.schemas import (
    DetectArgs,
    DetectResultSchema,
    OltCreateSchema,
    OltDetailSchema,
    OltListArgs,
    OltPage,
    OltSchema,
    OltUpdateSchema,
    RunReportSchema,
)
from webapp.extensions import db
from webapp.models import Brand, Olt, Onu

blp = Blueprint("OLTs", __name__, url_prefix="/api/v1/olts", description="OLTs and their SNMP")

# where a ValueError of jobs.olts belongs, by what it talks about
_FIELD_OF = (
    ("community", "community"),
    ("auth key", "v3_auth_key"),
    ("privacy key", "v3_priv_key"),
    ("SNMPv3 user", "v3_user"),
    ("protocol", "v3_auth_proto"),
    ("brand", "brand"),
    ("model", "model"),
    ("host", "host"),
    ("IPv", "host"),
    ("name", "name"),
    ("port", "port"),
    ("timeout", "timeout"),
)


def _invalid(exc: ValueError):
    text = str(exc)
    field = getattr(exc, "field", None) or next(
        (name for word, name in _FIELD_OF if word in text), "_schema"
    )
    problem(422, text, errors={field: [text]})


def get_olt(olt_id: int) -> Olt:
    return get_or_404(Olt, olt_id, "OLT")


def _detail(olt: Olt) -> dict:
    counts = dict(
        db.session.execute(
            select(Onu.present, func.count()).where(Onu.olt_id == olt.id).group_by(Onu.present)
        ).all()
    )
    job = poll_job_of(olt)
    return With(
        olt,
        onus_present=counts.get(True, 0),
        onus_absent=counts.get(False, 0),
        poll_job={"id": job.id, "name": job.name} if job else None,
    )


@blp.route("", strict_slashes=False)
class Olts(MethodView):
    @blp.arguments(OltListArgs, location="query")
    @blp.response(200, OltPage)
    def get(self, args):
        """List OLTs"""
        query = select(Olt)
        if args.get("q"):
            like = f"%{args['q']}%"
            query = query.where(or_(Olt.name.ilike(like), Olt.host.ilike(like)))
        if "enabled" in args:
            query = query.where(Olt.enabled.is_(args["enabled"]))
        if args.get("brand"):
            query = query.join(Brand, Brand.id == Olt.brand_id).where(
                func.lower(Brand.name) == args["brand"].lower()
            )
        return keyset_page(query, Olt.id, args, OltSchema)

    @blp.arguments(OltCreateSchema)
    @blp.response(201, OltDetailSchema)
    @scope("write")
    def post(self, data):
        """Add an OLT (and its poll job)

        Leave brand and model out to detect them from the OLT when it is first polled."""
        if db.session.scalar(select(Olt.id).where(Olt.name == data["name"])) is not None:
            problem(409, f"An OLT named {data['name']!r} already exists.")
        new = NewOlt(
            name=data["name"],
            host=data["host"],
            port=data["port"],
            version=data["snmp_version"],
            community=data["community"],
            brand=data["brand"],
            model=data["model"],
            v3_user=data["v3_user"],
            v3_auth_proto=data["v3_auth_proto"],
            v3_auth_key=data["v3_auth_key"],
            v3_priv_proto=data["v3_priv_proto"],
            v3_priv_key=data["v3_priv_key"],
            timeout=data["timeout"],
            retries=data["retries"],
            description=data["description"],
        )
        try:
            olt = add_olt(new)
        except ValueError as exc:
            db.session.rollback()
            _invalid(exc)
        return _detail(olt)


@blp.route(f"/<{ID}:olt_id>")
class OltItem(MethodView):
    @blp.response(200, OltDetailSchema)
    def get(self, olt_id):
        """Read an OLT, with its ONU counts and poll job"""
        return _detail(get_olt(olt_id))

    @blp.arguments(OltUpdateSchema)
    @blp.response(200, OltDetailSchema)
    @scope("write")
    def patch(self, data, olt_id):
        """Change an OLT

        Only the fields sent change. Secrets are replaced (an empty string clears one)."""
        from jobs.control import set_olts_enabled
        from webapp.validators import validate_host

        olt = get_olt(olt_id)
        if "name" in data and data["name"] != olt.name:
            taken = db.session.scalar(select(Olt.id).where(Olt.name == data["name"]))
            if taken is not None:
                problem(409, f"An OLT named {data['name']!r} already exists.")
        enabled = data.pop("enabled", None)
        try:
            if "host" in data:
                data["host"] = validate_host(data["host"])
        except ValueError as exc:
            problem(422, str(exc), errors={"host": [str(exc)]})
        for key, value in data.items():
            setattr(olt, "snmp_port" if key == "port" else key, value)
        try:
            if olt.snmp_version in ("1", "2c") and not olt.community:
                raise ValueError("an SNMP community is required for SNMP v1/v2c")
            if olt.snmp_version == "3":
                check_v3(
                    olt.v3_user, olt.v3_auth_proto, olt.v3_auth_key,
                    olt.v3_priv_proto, olt.v3_priv_key,
                )  # fmt: skip
        except ValueError as exc:
            db.session.rollback()
            _invalid(exc)
        db.session.commit()
        if enabled is not None:
            set_olts_enabled([olt.id], enabled)
        return _detail(olt)


def _set_enabled(olt_id: int, enabled: bool):
    from jobs.control import set_olts_enabled

    olt = get_olt(olt_id)
    set_olts_enabled([olt.id], enabled)
    return _detail(olt)


@blp.route(f"/<{ID}:olt_id>/disable")
class OltDisable(MethodView):
    @blp.response(200, OltDetailSchema)
    @scope("write")
    def post(self, olt_id):
        """Disable an OLT: no job runs on it; its pending executions are interrupted"""
        return _set_enabled(olt_id, False)


@blp.route(f"/<{ID}:olt_id>/enable")
class OltEnable(MethodView):
    @blp.response(200, OltDetailSchema)
    @scope("write")
    def post(self, olt_id):
        """Enable an OLT again"""
        return _set_enabled(olt_id, True)


@blp.route(f"/<{ID}:olt_id>/detect")
class OltDetect(MethodView):
    @blp.arguments(DetectArgs, location="query")
    @blp.response(200, DetectResultSchema)
    @scope("run")
    def post(self, args, olt_id):
        """Detect an OLT now: ask its sysDescr and sysObjectID, tell brand and model

        Waits for the OLT's answer (its timeout × retries at most)."""
        from jobs.detection import detect_olt

        olt = get_olt(olt_id)
        data = detect_olt(olt, apply=args.get("apply"))
        db.session.commit()
        return {"olt": olt, "detection": data}


@blp.route(f"/<{ID}:olt_id>/poll")
class OltPoll(MethodView):
    @blp.response(202, RunReportSchema)
    @scope("run")
    def post(self, olt_id):
        """Poll an OLT now (its poll job, created if it has none)"""
        olt = get_olt(olt_id)
        if not olt.enabled:
            problem(409, f"OLT {olt.name} is disabled: enable it first.")
        run = poll_now(olt, user=api_user(), trigger="api", label=run_label())
        return report_response(run.report)
