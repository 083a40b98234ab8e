"""`manage_cli.py olts …` and `onus …`: onboarding and inventory for scripts.

The names and JSON keys of these commands are a contract. Secrets (communities, SNMPv3 keys)
are read from standard input, never from arguments. Exit codes: 0 done, 1 refused or failed
(the reason on stderr), 2 the database or Redis is unreachable.
"""

from __future__ import annotations

import getpass
import json
import socket
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from jobs import olts as onboarding
from jobs.messages import execution_error, render_message
from webapp.admin.messages import reason_text
from webapp.cli_i18n import cell, fail_line, seconds_figure, span, table
from webapp.cli_ops import _reading, unreachable_is_one_line
from webapp.extensions import db, read_only
from webapp.models import Execution, Olt
from webapp.models.executions import TERMINAL

olts = AppGroup("olts", help="Add, detect, list and poll OLTs.")
onus = AppGroup("onus", help="The ONU inventory.")


def _fail(message: str, code: int = 1):
    click.echo(fail_line(message), err=True)
    sys.exit(code)


def _olt(name: str) -> Olt:
    olt = db.session.scalar(select(Olt).where(Olt.name == name))
    if olt is None:
        _fail(_("no OLT named %(name)r (see `manage_cli.py olts list`)", name=name))
    return olt


def _stdin_lines(count: int) -> list[str]:
    lines = [sys.stdin.readline().rstrip("\r\n") for _ in range(count)]
    return lines


def _label() -> str:
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"


@olts.command("add")
@click.argument("name")
@click.option("--host", required=True, help="IPv4/IPv6 address or hostname.")
@click.option("--port", default=161, show_default=True, type=int, help="SNMP UDP port.")
@click.option(
    "--version",
    "version",
    default="2c",
    show_default=True,
    type=click.Choice(["1", "2c", "3"]),
    help="SNMP version.",
)
@click.option(
    "--community-stdin",
    is_flag=True,
    help="Read the SNMP community (v1/v2c) from the first line of stdin.",
)
@click.option("--brand", help="Brand name (default: detect).")
@click.option("--model", help='Model name, or "detect" (the default without --brand).')
@click.option("--v3-user", default="", help="SNMPv3 user name.")
@click.option(
    "--v3-auth-proto",
    default="SHA",
    show_default=True,
    type=click.Choice(onboarding.AUTH_PROTOCOLS),
)
@click.option(
    "--v3-priv-proto",
    default="AES",
    show_default=True,
    type=click.Choice(onboarding.PRIV_PROTOCOLS),
)
@click.option(
    "--v3-keys-stdin",
    is_flag=True,
    help="Read the SNMPv3 auth key, then the privacy key, one per line from stdin.",
)
@click.option("--timeout", default=2.0, show_default=True, type=float, help="Seconds per try.")
@click.option("--retries", default=1, show_default=True, type=int)
@click.option("--description", default="")
@click.option("--detect", is_flag=True, help="Test and detect it now (exit 1 if that fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the OLT as JSON.")
@unreachable_is_one_line
def olts_add(
    name,
    host,
    port,
    version,
    community_stdin,
    brand,
    model,
    v3_user,
    v3_auth_proto,
    v3_priv_proto,
    v3_keys_stdin,
    timeout,
    retries,
    description,
    detect,
    as_json,
):
    """Add an OLT (and its poll job, every 15 minutes); secrets come from stdin."""
    community = auth_key = priv_key = ""
    if community_stdin:
        (community,) = _stdin_lines(1)
    if v3_keys_stdin:
        auth_key, priv_key = _stdin_lines(2)
    new = onboarding.NewOlt(
        name=name,
        host=host,
        port=port,
        version=version,
        community=community,
        brand=brand,
        model=model,
        v3_user=v3_user,
        v3_auth_proto=v3_auth_proto,
        v3_auth_key=auth_key,
        v3_priv_proto=v3_priv_proto,
        v3_priv_key=priv_key,
        timeout=timeout,
        retries=retries,
        description=description,
    )
    try:
        olt = onboarding.add_olt(new)
    except ValueError as exc:
        db.session.rollback()
        _fail(str(exc))
    data = None
    if detect:
        from jobs.detection import detect_olt

        data = detect_olt(olt)
        db.session.commit()
    info = onboarding.olt_info(olt)
    if as_json:
        click.echo(json.dumps(info))
    else:
        click.echo(
            _(
                "added OLT %(name)s (id %(id)s, %(address)s); poll job %(job)s",
                name=olt.name,
                id=olt.id,
                address=olt.address,
                job=info["poll_job"],
            )
        )
        if data is not None:
            click.echo(_("detection: %(message)s", message=data["message"]))
    if data is not None and not data.get("known"):
        _fail(
            _(
                "OLT %(name)s was added, but detection failed: %(message)s",
                name=olt.name,
                message=data["message"],
            )
        )


@olts.command("detect")
@click.argument("name")
@click.option(
    "--apply/--no-apply",
    default=None,
    help="Set brand and model from the detection (default: only for model detect).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the detection as JSON.")
@unreachable_is_one_line
def olts_detect(name: str, apply: bool | None, as_json: bool) -> None:
    """Test and detect an OLT: sysDescr, sysObjectID, sysName, sysUpTime -> brand, model."""
    from jobs.detection import detect_olt

    olt = _olt(name)
    data = detect_olt(olt, apply=apply)
    db.session.commit()
    if as_json:
        click.echo(json.dumps({"olt": olt.name, "id": olt.id, **data}))
    else:
        _print_detection(olt, data)
    if not data.get("known"):
        sys.exit(1)


def _print_detection(olt: Olt, d: dict) -> None:
    click.echo(_("OLT %(name)s (%(address)s)", name=olt.name, address=olt.address))
    if not d.get("answered"):
        click.echo("  " + str(d.get("message")))  # detection's own words
        return
    click.echo("  " + _("answered in %(ms)s ms", ms=format_decimal(d.get("rtt_ms") or 0)))
    for key in ("sys_descr", "sys_object_id", "sys_name", "sys_uptime_s"):
        click.echo(f"  {key}: {d.get(key)}")  # the SNMP objects by their names, as in --json
    click.echo("  " + _("result: %(message)s", message=d.get("message")))
    if d.get("match"):
        click.echo(
            "  "
            + _(
                "rule: %(rule)s (%(source)s)",
                rule=d["match"]["rule"],
                source=d["match"]["source"],
            )
        )
    if d.get("applied"):
        click.echo("  " + _("brand and model set from the detection"))
    elif d.get("agrees") is False:
        click.echo(
            "  " + _("note: the OLT is configured as another brand/model; --apply to change it")
        )


@olts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@unreachable_is_one_line
@_reading
def olts_list(as_json: bool) -> None:
    """Every OLT with its brand, model, profile, detection and ONU counts."""
    rows = [onboarding.olt_info(o) for o in db.session.scalars(select(Olt).order_by(Olt.name))]
    if as_json:
        click.echo(json.dumps(rows))
    elif rows:
        table(
            rows,
            {
                "id": _("id"),
                "name": _("name"),
                "host": _("host"),
                "brand": _("brand"),
                "model": _("model"),
                "profile": _("profile"),
                "detected": _("detected"),
                "onus_present": _("ONUs present"),
                "onus_absent": _("ONUs absent"),
                "poll_job": _("poll job"),
            },
        )
    else:
        click.echo(
            _("no OLTs: add one with `manage_cli.py olts add NAME --host H --community-stdin`")
        )


@olts.command("poll")
@click.argument("name")
@click.option("--wait", is_flag=True, help="Wait for the execution to end; exit 1 unless SUCCESS.")
@click.option(
    "--timeout",
    type=float,
    default=None,
    help="Seconds to wait with --wait (default: the job timeout plus a minute).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@unreachable_is_one_line
def olts_poll(name: str, wait: bool, timeout: float | None, as_json: bool) -> None:
    """Run the OLT's poll job now (created if missing), like "Run selected jobs now"."""
    olt = _olt(name)
    run = onboarding.poll_now(olt, trigger="cli", label=_label())
    report = run.report
    data = {
        "olt": olt.name,
        "job_id": run.job.id,
        "job": run.job.name,
        "job_created": run.created_job,
        "execution_id": report.execution_ids[0] if report.execution_ids else None,
        "skipped": [s.reason for _job, s in report.skips],
        "queue_error": report.queue_error,
    }
    if report.queue_error:
        _emit(data, as_json)
        _fail(render_message(report.queue_error), 2)
    if not report.execution_ids:
        _emit(data, as_json)
        reasons = ", ".join(reason_text(s.reason) for _job, s in report.skips)
        _fail(_("nothing to run: %(reasons)s", reasons=reasons or _("no enabled OLTs")))
    if not wait:
        _emit(
            data,
            as_json,
            _(
                "execution %(id)s enqueued (%(job)s)",
                id=data["execution_id"],
                job=run.job.name,
            ),
        )
        return
    limit = timeout or current_app.config["JOB_TIMEOUT"] + 60
    ex = _wait_for(data["execution_id"], limit)
    data.update(status=ex.status, error=ex.error, summary=ex.summary, duration_ms=ex.duration_ms)
    _emit(data, as_json, _ended(ex))
    if ex.status not in TERMINAL:
        _fail(
            _(
                "execution %(id)s still %(status)s after %(duration)s",
                id=ex.id,
                status=ex.status,
                duration=span(limit),
            )
        )
    if ex.status != "SUCCESS":
        sys.exit(1)


def _wait_for(execution_id: int, limit: float) -> Execution:
    """Poll the execution's status until it is terminal or the limit passes (bounded)."""
    deadline = time.monotonic() + limit
    with read_only():  # reads only: no SQLite write lock taken from the workers
        while True:
            status = db.session.scalar(select(Execution.status).where(Execution.id == execution_id))
            db.session.commit()  # no snapshot held while we sleep
            if status in TERMINAL or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    db.session.expire_all()
    return db.session.get(Execution, execution_id)


def _ended(ex: Execution) -> str:
    lines = [
        _(
            "execution %(id)s: %(status)s in %(duration)s",
            id=ex.id,
            status=ex.status,
            duration=seconds_figure((ex.duration_ms or 0) / 1000),
        )
    ]
    if ex.error:
        lines.append("  " + _("error: %(text)s", text=execution_error(ex)))
    for key, value in (ex.summary or {}).items():
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")  # the summary's keys
    return "\n".join(lines)


def _emit(data: dict, as_json: bool, text: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    elif text:
        click.echo(text)


@onus.command("list")
@click.option("--olt", "olt_name", help="Only this OLT's ONUs.")
@click.option("--present", "presence", flag_value="present", help="Only present ONUs.")
@click.option("--absent", "presence", flag_value="absent", help="Only absent ONUs.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@unreachable_is_one_line
@_reading
def onus_list(olt_name: str | None, presence: str | None, as_json: bool) -> None:
    """Each ONU: position, presence, state, serial, name, description, optics, distance."""
    olt = _olt(olt_name) if olt_name else None
    present = {"present": True, "absent": False}.get(presence or "")
    rows = onboarding.onu_rows(olt, present)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
    elif rows:
        table(
            rows,
            {
                "olt": _("OLT"),
                "position": _("position"),
                "present": _("present"),
                "state": _("state"),
                "serial": _("serial"),
                "name": _("name"),
                "description": _("description"),
                "rx_dbm": _("Rx dBm"),
                "distance_m": _("distance m"),
            },
            _onu_cell,
        )
    else:
        click.echo(_("no ONUs"))


def _onu_cell(column: str, value) -> str:
    if column in ("rx_dbm", "distance_m") and value is not None:
        return format_decimal(value)
    return cell(value)
