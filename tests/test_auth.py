"""Login, access control, CSRF and throttling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.factories import make_user
from webapp.extensions import db
from webapp.models import User

ADMIN_PAGES = [
    "/admin/",
    "/admin/snmpjob/",
    "/admin/execution/",
    "/admin/olt/",
    "/admin/onu/",
    "/admin/oid/",
    "/admin/indexformula/",
    "/admin/brand/",
    "/admin/user/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_is_sent_to_login(app, client, url):
    r = client.get(url)
    assert r.status_code == 302 and r.location.startswith("/login?next=")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_non_staff_is_refused(app, client, url):
    make_user("customer", staff=False)
    assert login(client, "customer").status_code == 302
    assert client.get(url).status_code == 403


def test_anonymous_cannot_run_jobs(app, client):
    page = client.get("/login")
    r = client.post(
        "/admin/snmpjob/run-now/", data={"rowid": ["1"], "csrf_token": csrf_token(page.text)}
    )
    assert r.status_code == 302 and "/login" in r.location


def test_staff_sees_admin_but_not_users(app, client):
    make_user("noc")
    login(client, "noc")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/snmpjob/").status_code == 200
    assert client.get("/admin/user/").status_code == 403
    make_user("boss", superuser=True)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    login(client, "boss")
    assert client.get("/admin/user/").status_code == 200
    noc = db.session.scalar(select(User).filter_by(username="noc"))
    details = client.get(f"/admin/user/details/?id={noc.id}")  # (users have no export)
    assert details.status_code == 200 and "noc" in details.text
    assert noc.session_token not in details.text  # what a session cookie carries
    assert noc.password_hash not in details.text


def test_wrong_password_and_login_without_csrf(app, client):
    make_user("noc")
    r = login(client, "noc", "wrong-password")
    assert r.status_code == 401 and "Wrong username or password." in r.text
    r = client.post("/login", data={"username": "noc", "password": "correct-horse-42"})
    assert r.status_code == 400 and client.get("/admin/").status_code == 302


def test_login_is_throttled_after_repeated_failures(app, client):
    make_user("noc")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "noc", "bad-password").status_code == 401
    r = login(client, "noc")  # even the right password is refused for a while
    assert r.status_code == 429 and "Too many failed attempts" in r.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_no_open_redirect_after_login(app, client, target):
    make_user("noc")
    page = client.get("/login", query_string={"next": target})
    r = client.post(
        "/login",
        query_string={"next": target},
        data={
            "username": "noc",
            "password": "correct-horse-42",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 302 and r.location == "/admin/"


def test_next_keeps_a_local_page(app, client):
    make_user("noc")
    page = client.get("/login?next=/admin/execution/")
    r = client.post(
        "/login?next=/admin/execution/",
        data={
            "username": "noc",
            "password": "correct-horse-42",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.location == "/admin/execution/"


def test_logout_needs_post(app, client):
    make_user("noc")
    login(client, "noc")
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    assert client.get("/admin/").status_code == 302


def test_inactive_user_cannot_log_in(app, client):
    user = make_user("gone")
    user.active = False
    from webapp.extensions import db

    db.session.commit()
    assert login(client, "gone").status_code == 401
