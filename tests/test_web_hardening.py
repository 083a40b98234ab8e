"""Issue 9 (web): CSV exports, security headers, error pages and bad input, for real."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from jobs.dispatch import run_jobs_now
from tests.conftest import csrf_token, login
from tests.factories import make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution, Onu


@pytest.fixture
def boss(app, client):
    make_user("boss", superuser=True)
    login(client, "boss")


def _csv(client, url: str) -> list[dict]:
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "text/csv", r.status_code
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


# --- 7. CSV export ------------------------------------------------------------------------


def test_onu_export_neutralises_formulas_keeps_numbers_and_drops_markup(app, client, boss):
    olt = make_olt(None, "=olt|calc", community="s3cr3t-community")
    evil = {
        "description": '=HYPERLINK("http://evil.example","x")',
        "name": "+SUM(1,2)",
        "serial": "@SUM(A1)",
        "onu_model": "\tcmd",
        "subscriber": "\r=1+1",
        "plan": "-2+3",
    }
    db.session.add(
        Onu(olt_id=olt.id, raw_index="1.1", position="0/1/1:1", rx_power_dbm=-24.81, **evil)
    )
    db.session.add(
        Onu(
            olt_id=olt.id,
            raw_index="1.2",
            position="0/1/1:2",
            name="-12",
            description="<b>José</b>",
            distance_m=1200,
            present=False,
        )
    )
    db.session.commit()
    rows = _csv(client, "/admin/onu/export/csv/")
    assert len(rows) == 2
    first, second = rows
    assert first["Description"] == "'" + evil["description"]
    assert first["Name"] == "'+SUM(1,2)" and first["Serial"] == "'@SUM(A1)"
    assert first["Olt"] == "'=olt|calc"
    assert first["Rx (dBm)"] == "-24.81"  # a number stays a number
    assert second["Name"] == "-12"  # text that is only a number is not a formula either
    assert second["Distance (m)"] == "1200"
    # the list's badges are HTML; the export has their text only, and data stays as it is
    assert first["Present"] == "present" and second["Present"] == "absent"
    assert second["Description"] == "<b>José</b>"
    body = client.get("/admin/onu/export/csv/").get_data(as_text=True)
    assert "<span" not in body and "badge" not in body and "s3cr3t-community" not in body
    assert "badge badge-success" in client.get("/admin/onu/").text  # the list keeps them


def test_execution_export_has_no_markup_and_no_formulas(app, client, boss, lab):
    olt = make_olt(lab, "huawei-a")
    job = make_job([olt], name="=1+1")
    run_jobs_now([job.id], trigger="cli", label="t")
    ex = db.session.scalar(select(Execution))
    ex.error, ex.requested_by_name, ex.summary = "@evil", "-bob", {"onus": 3}
    ex.duration_ms = 1500
    db.session.commit()
    (row,) = _csv(client, "/admin/execution/export/csv/")
    assert row["Status"] == "PENDING" and row["Job"] == "'=1+1"
    assert row["Error"] == "'@evil" and row["Requested by"] == "'-bob"
    assert row["Duration"] == "1.5 s" and row["Id"] == str(ex.id)
    assert "<" not in "".join(row.values())


# --- 11. Headers and cookies --------------------------------------------------------------


def _assert_guarded(r):
    assert r.headers["X-Frame-Options"] == "DENY", r.request.path
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "script-src" not in r.headers["Content-Security-Policy"]  # admin pages use scripts
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_every_kind_of_page_has_the_security_headers(app, client):
    for url in ("/login", "/health", "/metrics", "/nope", "/admin/"):
        _assert_guarded(client.get(url))
    make_user("noc")
    login(client, "noc")
    for url in (
        "/admin/",
        "/admin/onu/",
        "/admin/rq/",
        "/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css",
    ):
        r = client.get(url)
        r.close()  # the static file's response streams the file
        assert r.status_code == 200, url
        _assert_guarded(r)


def _session_cookie(app) -> str:
    r = app.test_client().get("/login")
    (cookie,) = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return cookie


def test_the_session_cookie_is_secure_outside_make_run(app, monkeypatch, database_url, redis_url):
    from tests.conftest import test_config as config_for
    from webapp import create_app
    from webapp.config import ConfigError, build_config

    cookie = _session_cookie(app)  # the default: not embedded
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("OLTWATCH_EMBEDDED", "1")  # what `make run` sets: plain http
    assert build_config()["SESSION_COOKIE_SECURE"] is False
    embedded = create_app(config_for(database_url, redis_url))
    try:
        assert "Secure" not in _session_cookie(embedded)
    finally:
        with embedded.app_context():
            db.engine.dispose()
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "yes")  # make run behind an HTTPS proxy
    assert build_config()["SESSION_COOKIE_SECURE"] is True
    monkeypatch.delenv("OLTWATCH_EMBEDDED")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    assert build_config()["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "maybe")
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE must be"):
        build_config()
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    assert build_config()["SESSION_COOKIE_SECURE"] is True
    for bad in ("-1", "two"):
        monkeypatch.setenv("PROXY_FIX", bad)
        with pytest.raises(ConfigError, match="PROXY_FIX is the number of proxies"):
            build_config()
    monkeypatch.setenv("PROXY_FIX", "2")
    assert build_config()["PROXY_FIX"] == 2


# --- 14. Error pages ------------------------------------------------------------------------

BOOTSTRAP = "bootstrap/bootstrap4/css/bootstrap.min.css"


def _logout_form(html: str) -> str:
    """The logout form's CSRF token (the form must post to /logout)."""
    form = html[html.index('action="/logout"') - 40 :]
    assert 'method="post"' in form[:60]
    return csrf_token(form)


def test_a_user_without_staff_rights_gets_a_styled_403_and_can_log_out(app, client):
    make_user("customer", staff=False)
    login(client, "customer")
    r = client.get("/admin/onu/")
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert BOOTSTRAP in r.text and "Access denied" in r.text and "customer" in r.text
    assert "only staff may use oltwatch" in r.text
    token = _logout_form(r.text)
    assert client.get("/logout").status_code == 405  # logout stays POST only
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302 and r.location == "/login"
    assert client.get("/admin/").location.startswith("/login")
    login(client, "customer")
    r = client.get("/admin/?lang=es")
    assert r.status_code == 403 and "Acceso denegado" in r.text and "Cerrar sesión" in r.text


def test_error_pages_are_styled_everywhere_and_metrics_stays_text(app, client):
    def boom():
        raise RuntimeError("a bug with a secret s3cr3t")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client.get("/nope")
    assert r.status_code == 404 and BOOTSTRAP in r.text and 'href="/login"' in r.text
    r = client.post("/logout")  # no CSRF token
    assert r.status_code == 400 and "The form has expired" in r.text
    r = client.get("/metrics")
    assert r.status_code == 401 and r.mimetype == "text/plain"
    assert r.headers["WWW-Authenticate"] == "Bearer" and "<" not in r.text
    make_user("customer", staff=False)
    login(client, "customer")
    r = client.get("/metrics")
    assert r.status_code == 403 and r.mimetype == "text/plain"
    r = client.get("/admin/rq/")
    assert r.status_code == 403 and BOOTSTRAP in r.text and 'action="/logout"' in r.text
    r = client.get("/boom")
    assert r.status_code == 500 and BOOTSTRAP in r.text and "Something went wrong" in r.text
    assert "s3cr3t" not in r.text and "Traceback" not in r.text
    make_user("noc")
    client.post("/logout", data={"csrf_token": _logout_form(client.get("/admin/").text)})
    login(client, "noc")
    r = client.get("/admin/profiles/nope/")
    assert r.status_code == 404 and 'href="/admin/"' in r.text and 'action="/logout"' in r.text
    r = client.get("/logout")
    assert r.status_code == 405 and "POST" in r.headers["Allow"] and BOOTSTRAP in r.text
    r = client.post("/admin/rq/queue/discovery_main/compact")  # rq-dashboard's own scripts
    assert r.status_code == 400 and r.get_json()["status"] == "ERROR"
