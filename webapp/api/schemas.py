"""What the API reads and writes (marshmallow); the OpenAPI document is made from these."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from jobs.olts import AUTH_PROTOCOLS, PRIV_PROTOCOLS, SECRET_MAX
from webapp.api.core import PageArgs, page_schema
from webapp.models.executions import STATUSES

TRIGGERS = ("manual", "cli", "api", "schedule", "retry")


class Text(f.String):
    """A string as the database can hold it: no NUL character (PostgreSQL refuses it) and
    no lone surrogate (not UTF-8)."""

    default_error_messages = {"bad_text": "Must not contain NUL characters or lone surrogates."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("bad_text") from None
        if "\x00" in text:
            raise self.make_error("bad_text")
        return text


def _nullable(field_cls, **kw):
    return field_cls(allow_none=True, **kw)


class Ref(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)


# ---------------------------------------------------------------- OLTs


class OltSchema(ma.Schema):
    """An OLT. Its community and SNMPv3 keys are never shown: only whether they are set."""

    id = f.Integer(required=True)
    name = f.String(required=True)
    host = f.String(required=True)
    port = f.Integer(attribute="snmp_port", required=True)
    snmp_version = f.String(required=True, metadata={"enum": ["1", "2c", "3"]})
    community_set = f.Method("_community_set", metadata={"type": "boolean"})
    v3_user = f.String()
    v3_auth_proto = f.String()
    v3_auth_key_set = f.Method("_auth_set", metadata={"type": "boolean"})
    v3_priv_proto = f.String()
    v3_priv_key_set = f.Method("_priv_set", metadata={"type": "boolean"})
    v3_context = f.String()
    brand = _nullable(f.String, attribute="brand.name")
    model = _nullable(f.String, attribute="model.name")
    profile = _nullable(f.String, attribute="profile_key")
    auto_detect = f.Boolean()
    detected_at = _nullable(f.DateTime)
    detection = _nullable(f.Method, serialize="_detection", metadata={"type": "string"})
    enabled = f.Boolean(required=True)
    timeout = f.Float()
    retries = f.Integer()
    max_repetitions = f.Integer()
    description = f.String()
    created_at = f.DateTime()

    def _community_set(self, olt) -> bool:
        return bool(olt.community)

    def _auth_set(self, olt) -> bool:
        return bool(olt.v3_auth_key)

    def _priv_set(self, olt) -> bool:
        return bool(olt.v3_priv_key)

    def _detection(self, olt):
        return (olt.detection or {}).get("message")


class OltDetailSchema(OltSchema):
    onus_present = f.Integer()
    onus_absent = f.Integer()
    poll_job = _nullable(f.Nested, nested=Ref)


_NAME = v.Length(min=1, max=100)
_SECRET = v.Length(max=SECRET_MAX)


class OltCreateSchema(ma.Schema):
    """A new OLT. Give `community` for v1/v2c or `v3_user` and keys for v3; leave brand and
    model out to detect them from the OLT's first answer."""

    name = Text(required=True, validate=_NAME)
    host = Text(required=True, validate=v.Length(min=1, max=255))
    port = f.Integer(load_default=161, validate=v.Range(1, 65535))
    snmp_version = Text(load_default="2c", validate=v.OneOf(["1", "2c", "3"]))
    community = Text(load_only=True, load_default="", validate=_SECRET)
    v3_user = Text(load_default="", validate=v.Length(max=100))
    v3_auth_proto = Text(load_default="SHA", validate=v.OneOf(AUTH_PROTOCOLS))
    v3_auth_key = Text(load_only=True, load_default="", validate=_SECRET)
    v3_priv_proto = Text(load_default="AES", validate=v.OneOf(PRIV_PROTOCOLS))
    v3_priv_key = Text(load_only=True, load_default="", validate=_SECRET)
    brand = _nullable(Text, load_default=None, validate=v.Length(max=100))
    model = _nullable(Text, load_default=None, validate=v.Length(max=100))
    timeout = f.Float(load_default=2.0, validate=v.Range(0.1, 60))
    retries = f.Integer(load_default=1, validate=v.Range(0, 10))
    description = Text(load_default="", validate=v.Length(max=2000))


class OltUpdateSchema(ma.Schema):
    """Fields to change; those left out stay as they are. Secrets are replaced, never read."""

    name = Text(validate=_NAME)
    host = Text(validate=v.Length(min=1, max=255))
    port = f.Integer(validate=v.Range(1, 65535))
    snmp_version = Text(validate=v.OneOf(["1", "2c", "3"]))
    community = Text(load_only=True, validate=_SECRET)
    v3_user = Text(validate=v.Length(max=100))
    v3_auth_proto = Text(validate=v.OneOf(AUTH_PROTOCOLS))
    v3_auth_key = Text(load_only=True, validate=_SECRET)
    v3_priv_proto = Text(validate=v.OneOf(PRIV_PROTOCOLS))
    v3_priv_key = Text(load_only=True, validate=_SECRET)
    v3_context = Text(validate=v.Length(max=100))
    timeout = f.Float(validate=v.Range(0.1, 60))
    retries = f.Integer(validate=v.Range(0, 10))
    max_repetitions = f.Integer(validate=v.Range(1, 200))
    enabled = f.Boolean()
    description = Text(validate=v.Length(max=2000))


class OltListArgs(PageArgs):
    q = Text(validate=v.Length(max=100), metadata={"description": "Part of name or host"})
    enabled = f.Boolean()
    brand = Text(validate=v.Length(max=100))


class DetectArgs(ma.Schema):
    apply = f.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Set brand and model from the answer (default: if detecting)"},
    )


class DetectResultSchema(ma.Schema):
    olt = f.Nested(OltSchema, required=True)
    detection = f.Dict(
        required=True,
        metadata={"description": "What the OLT said (sysDescr, sysObjectID…), known, message"},
    )


# ---------------------------------------------------------------- ONUs


class OnuSchema(ma.Schema):
    id = f.Integer(required=True)
    olt_id = f.Integer(required=True)
    olt = f.String(attribute="olt.name")
    position = f.String(required=True)
    pon = _nullable(f.Method, serialize="_pon", metadata={"type": "string"})
    frame = _nullable(f.Integer)
    slot = _nullable(f.Integer)
    port = _nullable(f.Integer)
    onu = _nullable(f.Integer, attribute="onu_id")
    present = f.Boolean(required=True)
    state = _nullable(f.String, attribute="state_label")
    state_value = _nullable(f.Integer)
    serial = _nullable(f.String)
    mac = _nullable(f.String)
    name = _nullable(f.String)
    description = _nullable(f.String)
    onu_model = _nullable(f.String)
    subscriber = _nullable(f.String)
    rx_dbm = _nullable(f.Float, attribute="rx_power_dbm")
    tx_dbm = _nullable(f.Float, attribute="tx_power_dbm")
    olt_rx_dbm = _nullable(f.Float, attribute="olt_rx_power_dbm")
    distance_m = _nullable(f.Integer)
    online_since = _nullable(f.DateTime)
    last_down_cause = _nullable(f.String)
    first_seen_at = _nullable(f.DateTime)
    last_seen_at = _nullable(f.DateTime)

    def _pon(self, onu):
        from history.events import pon_of

        return pon_of(onu.frame, onu.slot, onu.port)


class EventSchema(ma.Schema):
    id = f.Integer(required=True)
    olt_id = f.Integer(required=True)
    onu_id = _nullable(f.Integer)
    execution_id = _nullable(f.Integer)
    at = f.DateTime(required=True)
    position = f.String()
    pon = _nullable(f.String)
    kind = f.String(required=True)
    detail = f.Dict()


class SampleSchema(ma.Schema):
    at = f.String(required=True, metadata={"format": "date-time"})
    rx = _nullable(f.Float)
    tx = _nullable(f.Float)
    rx_min = _nullable(f.Float)
    rx_avg = _nullable(f.Float)
    rx_max = _nullable(f.Float)
    tx_min = _nullable(f.Float)
    tx_avg = _nullable(f.Float)
    tx_max = _nullable(f.Float)
    state = _nullable(f.Integer)
    distance = _nullable(f.Integer)
    n = f.Integer()


class OnuDetailSchema(OnuSchema):
    collected = f.Dict(metadata={"description": "Every attribute read, by name"})
    last_execution_id = _nullable(f.Integer)
    samples_resolution = f.String()
    samples = f.List(f.Nested(SampleSchema))
    events = f.List(f.Nested(EventSchema))


class OnuListArgs(PageArgs):
    serial = Text(
        validate=v.Length(min=1, max=64),
        metadata={"description": "Serial starts with this (any case)"},
    )
    q = Text(
        validate=v.Length(min=1, max=100),
        metadata={"description": "Part of serial, name, description, position or MAC"},
    )
    olt = Text(validate=v.Length(max=100), metadata={"description": "OLT name"})
    olt_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    pon = Text(
        validate=v.Regexp(r"^\d{1,6}/\d{1,6}(/\d{1,6})?$"),
        metadata={"description": "frame/slot/port (0/1/3) or slot/port"},
    )
    state = Text(validate=v.Length(max=60))
    present = f.Boolean()
    rx_min = f.Float(validate=v.Range(-100, 100), metadata={"description": "rx >= (dBm)"})
    rx_max = f.Float(validate=v.Range(-100, 100), metadata={"description": "rx <= (dBm)"})


class OnuDetailArgs(ma.Schema):
    hours = f.Integer(
        load_default=24,
        validate=v.Range(0, 24 * 90),
        metadata={"description": "Samples and events of the last hours (0: none)"},
    )


# ---------------------------------------------------------------- jobs and executions


class JobSchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    description = f.String()
    job_type = f.String(required=True)
    brand = _nullable(f.String, attribute="brand.name")
    oid = _nullable(f.String, attribute="oid.oid")
    interval = _nullable(f.String)
    cron = _nullable(f.String)
    enabled = f.Boolean(required=True)
    max_retries = f.Integer()
    retry_delay = f.Integer(metadata={"description": "Seconds"})
    next_run_at = _nullable(f.DateTime)
    last_run_at = _nullable(f.DateTime)
    olts = f.Method("_olts", metadata={"type": "array", "items": {"type": "object"}})

    def _olts(self, job):
        return [{"id": h.olt_id, "name": h.olt.name, "enabled": h.enabled} for h in job.hosts]


class JobListArgs(PageArgs):
    q = Text(validate=v.Length(max=150))
    job_type = Text(validate=v.Length(max=20))
    enabled = f.Boolean()
    olt = Text(validate=v.Length(max=100), metadata={"description": "OLT name"})
    olt_id = f.Integer(validate=v.Range(1, 2**31 - 1))


class RunSchema(ma.Schema):
    job_ids = f.List(
        f.Integer(validate=v.Range(1, 2**31 - 1)),
        required=True,
        validate=v.Length(min=1, max=10000),
    )
    olt_ids = f.List(
        f.Integer(validate=v.Range(1, 2**31 - 1)),
        validate=v.Length(min=1, max=100000),
        metadata={"description": "Only on these OLTs of the jobs (default: all)"},
    )


class RunOneSchema(ma.Schema):
    olt_ids = f.List(f.Integer(validate=v.Range(1, 2**31 - 1)), validate=v.Length(min=1))


class SkipSchema(ma.Schema):
    job = f.String(required=True)
    olt = _nullable(f.String)
    reason = f.String(required=True)


class RunReportSchema(ma.Schema):
    jobs_run = f.Integer(required=True)
    created = f.Integer(required=True)
    enqueued = f.Integer(required=True)
    execution_ids = f.List(f.Integer(), required=True)
    skipped = f.List(f.Nested(SkipSchema), required=True)
    queue = f.String()
    queue_error = _nullable(f.String)


class ExecutionSchema(ma.Schema):
    id = f.Integer(required=True)
    job_id = _nullable(f.Integer)
    job_name = f.String()
    job_type = f.String()
    olt_id = _nullable(f.Integer)
    olt_name = f.String()
    status = f.String(required=True, metadata={"enum": list(STATUSES)})
    trigger = f.String()
    requested_by = f.String(attribute="requested_by_name")
    attempt = f.Integer()
    retry_of_id = _nullable(f.Integer)
    queue = f.String()
    worker_name = _nullable(f.String)
    created_at = f.DateTime()
    scheduled_for = _nullable(f.DateTime)
    started_at = _nullable(f.DateTime)
    finished_at = _nullable(f.DateTime)
    duration_ms = _nullable(f.Integer)
    error = _nullable(
        f.String,
        metadata={"description": "Why it failed or was interrupted, in English (as stored)"},
    )
    error_code = _nullable(
        f.String,
        metadata={
            "description": "The error's message code (snmp_timeout, olt_disabled, worker_lost…;"
            " the list is jobs/messages.py's catalogue); null for an execution written before"
            " codes (0010) or with a plain text"
        },
    )
    error_params = _nullable(
        f.Dict,
        keys=f.String(),
        metadata={
            "description": "The message's parameters (names, figures, details; a quoted"
            " message is an object with its own code and params)"
        },
    )
    error_text = _nullable(
        f.String,
        dump_only=True,
        metadata={
            "description": "The error in the caller's language (Accept-Language: en or es),"
            " or the English text when it has no code"
        },
    )


class ExecutionDetailSchema(ExecutionSchema):
    summary = f.Dict()


class ExecutionListArgs(PageArgs):
    status = Text(validate=v.OneOf(STATUSES))
    trigger = Text(validate=v.Length(max=20))
    job_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    olt_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    job_name = Text(validate=v.Length(max=150))
    olt_name = Text(validate=v.Length(max=100))
    since = f.AwareDateTime(default_timezone=None, metadata={"description": "created at >="})
    until = f.AwareDateTime(default_timezone=None, metadata={"description": "created at <"})


# ---------------------------------------------------------------- alarms and events


class AlarmSchema(ma.Schema):
    id = f.Integer(required=True)
    olt_id = f.Integer(required=True)
    olt = f.String(attribute="olt.name")
    onu_id = _nullable(f.Integer)
    pon = _nullable(f.String)
    position = _nullable(f.String)
    kind = f.String(required=True)
    severity = f.String(required=True)
    status = f.String(required=True, metadata={"enum": ["pending", "active", "cleared"]})
    since = f.DateTime()
    raised_at = _nullable(f.DateTime)
    changed_at = _nullable(f.DateTime)
    cleared_at = _nullable(f.DateTime)
    acknowledged_at = _nullable(f.DateTime)
    acknowledged_by = _nullable(f.String, attribute="acknowledged_by.username")
    parent_id = _nullable(f.Integer)
    flaps = f.Integer()
    detail = f.Dict()


class AlarmListArgs(PageArgs):
    status = Text(
        validate=v.OneOf(["open", "pending", "active", "cleared"]),
        metadata={"description": "open: pending or active"},
    )
    severity = Text(validate=v.OneOf(["warning", "major", "critical"]))
    kind = Text(validate=v.Length(max=20))
    olt = Text(validate=v.Length(max=100), metadata={"description": "OLT name"})
    olt_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    onu_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    acknowledged = f.Boolean()


class EventListArgs(PageArgs):
    olt = Text(validate=v.Length(max=100), metadata={"description": "OLT name"})
    olt_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    onu_id = f.Integer(validate=v.Range(1, 2**31 - 1))
    kind = Text(validate=v.Length(max=20))
    since = f.AwareDateTime(default_timezone=None)


class WhoamiSchema(ma.Schema):
    user = f.String(required=True)
    token = f.String(required=True, metadata={"description": "The token's first characters"})
    token_name = f.String(required=True)
    scopes = f.List(f.String(), required=True)
    expires_at = _nullable(f.DateTime)


OltPage = page_schema(OltSchema, "OltPage")
OnuPage = page_schema(OnuSchema, "OnuPage")
JobPage = page_schema(JobSchema, "JobPage")
ExecutionPage = page_schema(ExecutionSchema, "ExecutionPage")
AlarmPage = page_schema(AlarmSchema, "AlarmPage")
EventPage = page_schema(EventSchema, "EventPage")
