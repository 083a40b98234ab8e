"""Every admin page renders; forms validate and never echo secrets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jobs.columns import effective_rule
from jobs.dispatch import run_jobs_now
from tests.conftest import csrf_token, login
from tests.factories import brand, discovery_oid, make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import IndexFormula, JobHost, Oid, Olt, Onu, SnmpJob


@pytest.fixture
def boss(app, client):
    make_user("boss", superuser=True)
    login(client, "boss")


def test_every_page_renders_with_data(app, client, boss, lab):
    olt = make_olt(lab, "huawei-a", community="s3cr3t-community")
    job = make_job([olt])
    run_jobs_now([job.id], trigger="cli", label="test")
    db.session.add(Onu(olt_id=olt.id, raw_index="4194312448.2", position="0/1/1:2", serial="X"))
    db.session.commit()
    views = [
        "snmpjob",
        "execution",
        "oid",
        "indexformula",
        "statelabel",
        "olt",
        "onu",
        "brand",
        "oltmodel",
        "user",
    ]
    for view in views:
        r = client.get(f"/admin/{view}/")
        assert r.status_code == 200, view
        assert "s3cr3t-community" not in r.text
        model_id = _first_id(r.text, view)
        if model_id:
            details = client.get(f"/admin/{view}/details/?id={model_id}")
            assert details.status_code == 200, view
            assert "s3cr3t-community" not in details.text
    for view in ["snmpjob", "oid", "indexformula", "olt", "brand", "oltmodel", "user"]:
        assert client.get(f"/admin/{view}/new/").status_code == 200, view
    edit = client.get(f"/admin/olt/edit/?id={olt.id}")
    assert edit.status_code == 200 and "s3cr3t-community" not in edit.text
    assert client.get(f"/admin/snmpjob/edit/?id={job.id}").status_code == 200
    assert client.get("/admin/execution/?flt0_0=PENDING").status_code == 200
    assert client.get("/admin/onu/?search=0/1/1").status_code == 200


def _field_error(html: str, field: str) -> str:
    """The error shown under one field of a Flask-Admin form (empty: none)."""
    import re

    block = html.split(f'id="{field}"', 1)[1].split('<div class="form-group', 1)[0]
    found = re.search(r'class="invalid-feedback">\s*<ul[^>]*>\s*<li>([^<]*)</li>', block)
    return found.group(1).strip().replace("&#34;", '"').replace("&#39;", "'") if found else ""


def _first_id(html: str, view: str) -> str | None:
    import re

    m = re.search(rf"/admin/{view}/details/\?id=(\d+)", html)
    return m.group(1) if m else None


def _post_form(client, url, data):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(
        url, data={**data, "csrf_token": csrf_token(page.text)}, follow_redirects=True
    )


def test_olt_form_rejects_a_bad_host_and_keeps_the_community(app, client, boss):
    b = brand("Huawei")
    base = {
        "name": "olt-x",
        "model_choice": f"brand:{b.id}",
        "snmp_port": "161",
        "snmp_version": "2c",
        "timeout": "3.5",
        "retries": "1",
        "max_repetitions": "25",
        "v3_auth_proto": "SHA",
        "v3_priv_proto": "AES",
        "enabled": "y",
    }
    r = _post_form(client, "/admin/olt/new/", {**base, "host": "300.1.2.3", "new_community": "abc"})
    assert "is not a valid IPv4 address" in r.text
    assert db.session.scalar(select(Olt)) is None
    r = _post_form(client, "/admin/olt/new/", {**base, "host": "olt-x.example.net"})
    assert "An SNMP community is required" in r.text
    r = _post_form(client, "/admin/olt/new/", {**base, "host": "10.0.0.1", "new_community": "abc"})
    olt = db.session.scalar(select(Olt))
    assert olt.community == "abc" and olt.host == "10.0.0.1" and olt.timeout == 3.5
    assert olt.brand_id == b.id and not olt.auto_detect
    poll = db.session.scalar(select(SnmpJob).filter_by(job_type="poll"))
    assert poll.name == "poll olt-x" and poll.interval == "15m" and poll.hosts[0].olt_id == olt.id
    _post_form(client, f"/admin/olt/edit/?id={olt.id}", {**base, "host": "10.0.0.2"})
    db.session.expire_all()
    olt = db.session.get(Olt, olt.id)
    assert olt.host == "10.0.0.2" and olt.community == "abc"  # empty field kept the secret


def test_oid_form_validates_and_normalises(app, client, boss):
    data = {"name": "x", "kind": "discovery", "mib_name": ""}
    r = _post_form(client, "/admin/oid/new/", {**data, "oid": "1.3.6.abc"})
    assert "is not a numeric OID" in r.text
    _post_form(client, "/admin/oid/new/", {**data, "oid": ".1.3.6.1.2.1.2.2.1.7"})
    assert db.session.scalar(select(Oid).filter_by(name="x")).oid == "1.3.6.1.2.1.2.2.1.7"


def test_job_form_needs_exactly_one_schedule_and_keeps_host_counters(app, client, boss, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt])
    host = job.hosts[0]
    host.consecutive_failures = 3
    db.session.commit()
    b, oid = brand("Huawei"), discovery_oid()
    data = {
        "name": job.name,
        "brand": str(b.id),
        "job_type": "discovery",
        "oid": str(oid.id),
        "enabled": "y",
        "max_retries": "2",
        "retry_delay": "30",
        "hosts-0-id": str(host.id),
        "hosts-0-olt": str(olt.id),
        "hosts-0-enabled": "y",
    }
    r = _post_form(
        client,
        f"/admin/snmpjob/edit/?id={job.id}",
        {**data, "interval": "5m", "cron": "*/5 * * * *"},
    )
    # errors at their fields, with examples and units
    both = "Give an interval or a cron expression, not both (neither: run it by hand only)."
    assert _field_error(r.text, "cron") == both
    r = _post_form(client, f"/admin/snmpjob/edit/?id={job.id}", {**data, "interval": "5x"})
    assert _field_error(r.text, "interval") == (
        "Not an interval: a number and a unit, s, m, h or d (30s, 5m, 1h, 1d)."
    )
    r = _post_form(
        client,
        f"/admin/snmpjob/edit/?id={job.id}",
        {**data, "interval": "", "cron": "*/15 * *", "retry_delay": "0"},
    )
    assert "*/15 * * * * (every 15 minutes)" in _field_error(r.text, "cron")
    assert _field_error(r.text, "retry_delay") == "From 1 to 86400 seconds."

    r = _post_form(
        client,
        f"/admin/snmpjob/edit/?id={job.id}",
        {**data, "interval": "", "cron": "*/15 * * * *"},
    )
    db.session.expire_all()
    assert db.session.get(SnmpJob, job.id).cron == "*/15 * * * *"
    kept = db.session.get(JobHost, host.id)
    assert kept is not None and kept.consecutive_failures == 3
    r = _post_form(
        client,
        f"/admin/snmpjob/edit/?id={job.id}",
        {**data, "interval": "5m", "cron": "", "options": '{"method": "bogus"}'},
    )
    assert "Invalid option method = bogus" in r.text
    _post_form(
        client,
        f"/admin/snmpjob/edit/?id={job.id}",
        {**data, "interval": "5m", "cron": "", "options": '{"method": "get"}'},
    )
    db.session.expire_all()
    assert db.session.get(SnmpJob, job.id).options == {"method": "get"}
    _post_form(client, f"/admin/snmpjob/edit/?id={job.id}", {**data, "interval": "", "cron": ""})
    db.session.expire_all()
    manual = db.session.get(SnmpJob, job.id)
    assert manual.interval is None and manual.cron is None and manual.next_run_at is None
    assert "manual only" in client.get("/admin/snmpjob/").text


def test_formula_preview_decodes_an_index(app, client, boss):
    b = brand("Huawei")
    fields = {"mode": "linear", "base": "4194304000", "step_slot": "8192", "step_port": "256"}
    fields.update({f: "0" for f in ("shift_frame", "mask_frame", "shift_slot", "mask_slot")})
    fields.update({f: "0" for f in ("shift_port", "mask_port", "shift_onu", "mask_onu")})
    fields.update({f: "0" for f in ("frame_offset", "slot_offset", "port_offset", "onu_offset")})
    data = {"name": "mine", "brand": str(b.id), "profile_formula": "huawei:onu", "enabled": "y"}
    _post_form(client, "/admin/indexformula/new/", {**data, **fields, "onu_from_dot": "y"})
    formula = db.session.scalar(select(IndexFormula).where(IndexFormula.name == "mine"))
    assert formula.profile_formula == "huawei:onu"
    r = client.get(f"/admin/indexformula/preview/?id={formula.id}&index=4194316032.10")
    assert r.status_code == 200 and "<code>0/1/15:10</code>" in r.text
    r = client.get(f"/admin/indexformula/preview/?id={formula.id}&index=hello")
    assert r.status_code == 200 and "alert-danger" in r.text


def test_oid_value_rule_is_edited_and_checked(app, client, boss):
    data = {
        "name": "rx",
        "oid": "1.3.6.1.4.1.3902.1012.3.50.12.1.1.10",
        "kind": "rx_power",
        "mib_name": "",
        "value_parse": "int",
        "value_scale": "0.002",
        "value_offset": "-30",
        "value_wrap_modulus": "65535",
        "value_sentinels": "65535",
        "index_suffix": ".1",
    }
    r = _post_form(
        client, "/admin/oid/new/", {**data, "value_wrap_above": "30000", "value_wrap_modulus": "0"}
    )
    assert "wrap_above needs a positive wrap_modulus" in r.text
    r = _post_form(client, "/admin/oid/new/", {**data, "index_suffix": "x1"})
    assert "An index suffix looks like .1 or .0.0" in r.text
    _post_form(client, "/admin/oid/new/", {**data, "value_wrap_above": "30000"})
    oid = db.session.scalar(select(Oid).filter_by(name="rx"))
    rule, _suffix, _source = effective_rule(oid)
    assert (rule.scale, rule.offset, rule.wrap_above, rule.sentinels) == (
        0.002,
        -30,
        30000,
        (65535,),
    )
    assert oid.index_suffix == ".1"


def test_times_are_shown_in_the_configured_zone_through_flask_babel(app):
    from datetime import UTC, datetime

    from webapp.admin.base import local_time

    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    for zone, shown in (
        ("America/Lima", "2026-07-01 07:00:00"),
        ("Europe/Madrid", "2026-07-01 14:00:00"),
    ):
        app.config["TIMEZONE"] = zone
        with app.app_context(), app.test_request_context("/?lang=es"):  # a request of its own
            assert local_time(noon) == shown
    assert local_time(None) == ""


@pytest.mark.parametrize(
    "lang,interval,cron,words",
    [
        ("en", "5m", None, "every 5 minutes"),
        ("en", "1h", None, "every hour"),
        ("es", "5m", None, "cada 5 minutos"),
        ("es", "1m", None, "cada minuto"),
        ("es", None, "*/15 * * * *", "cada 15 minutos"),
        ("es", None, "0 3 * * *", "cada día a las 03:00"),
        ("es", None, "30 8 * * 1", "cada lunes a las 08:30"),
        ("es", None, None, "solo manual"),
    ],
)
def test_schedules_and_next_runs_read_in_the_readers_language(app, lang, interval, cron, words):
    from datetime import UTC, datetime, timedelta

    from webapp.admin.schedule_text import schedule_words, time_until

    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with app.app_context(), app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()  # remembers the language, as a page does
        assert schedule_words(interval, cron) == words
        soon = time_until(now + timedelta(minutes=5), now)
        assert soon == ("in 5 minutes" if lang == "en" else "dentro de 5 minutos")
        assert time_until(now, now) == ("due now" if lang == "en" else "pendiente ahora")


def test_the_spanish_catalog_is_whole():
    """Every entry translated, and every plural in each of Spanish's forms (CLDR gives it
    three: a catalog entry with two leaves counts like 5 untranslated)."""
    from babel.messages.pofile import read_po

    from tests.conftest import ROOT

    path = ROOT / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    bad = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if message.pluralizable else (message.string,)
        if message.pluralizable and len(forms) != catalog.num_plurals:
            bad.append(f"{message.id!r}: {len(forms)} of {catalog.num_plurals} plural forms")
        elif not all(forms):
            bad.append(f"{message.id!r}: not translated")
    assert not bad, "\n".join(bad)
