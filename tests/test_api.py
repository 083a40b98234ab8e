"""The JSON API through the real path: the app, its database (SQLite and PostgreSQL), Redis,
RQ and the lab's SNMP agent; tokens, scopes, pages, problems and limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import conftest
from tests.conftest import login
from tests.factories import make_job, make_olt, make_user
from tests.test_runner import work
from webapp import create_app
from webapp.extensions import db
from webapp.models import Alarm, ApiToken, Execution, Olt, Onu, SnmpJob
from webapp.models.base import utcnow
from webapp.tokens import create_token

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def noc(app):
    return make_user("noc")


@pytest.fixture
def tokens(noc):
    """One token per scope set, of the staff user noc."""
    return {
        scopes: create_token(noc, f"t-{scopes}", scopes, None).token
        for scopes in ("read", "read,run", "read,run,write")
    }


def api(client, method: str, path: str, token: str | None, **kw):
    headers = bearer(token) if token else {}
    response = client.open(f"/api/v1{path}", method=method, headers=headers, **kw)
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM, (path, response.status_code, response.text)
        body = response.get_json()
        assert body["status"] == response.status_code and body["title"] and body["detail"]
    return response


def assert_problem(response, status: int, detail_part: str = "") -> dict:
    assert response.status_code == status, response.text
    body = response.get_json()
    assert detail_part in body["detail"], body
    return body


# ---------------------------------------------------------------- tokens and scopes


def test_requests_without_a_valid_token_are_refused(app, client, noc):
    missing = api(client, "GET", "/olts", None)
    assert_problem(missing, 401, "Authorization: Bearer")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api(client, "GET", "/olts", "oltw_" + "x" * 43), 401, "not valid")
    assert_problem(api(client, "GET", "/olts", "not-even-ours"), 401, "not valid")

    expired = create_token(noc, "old", "read", utcnow() + timedelta(seconds=1))
    db.session.execute(
        ApiToken.__table__.update()
        .where(ApiToken.id == expired.row.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    revoked = create_token(noc, "gone", "read", None)
    revoked.row.revoked_at = utcnow()
    db.session.commit()
    for token in (expired.token, revoked.token):
        assert_problem(api(client, "GET", "/olts", token), 401, "expired or revoked")

    valid = create_token(noc, "fine", "read", None)
    assert api(client, "GET", "/olts", valid.token).status_code == 200
    assert api(client, "GET", "/olts/", valid.token).status_code == 200  # either spelling
    noc.active = False  # a disabled user's tokens stop working with it
    db.session.commit()
    assert_problem(api(client, "GET", "/olts", valid.token), 401)


def test_whoami_and_last_use(app, client, tokens):
    response = api(client, "GET", "/whoami", tokens["read,run"])
    assert response.status_code == 200
    data = response.get_json()
    assert data["user"] == "noc" and data["scopes"] == ["read", "run"]
    assert tokens["read,run"].startswith(data["token"]) and data["expires_at"] is None
    row = db.session.scalar(select(ApiToken).filter_by(name="t-read,run"))
    db.session.refresh(row)
    assert row.last_used_at is not None and row.last_used_ip == "127.0.0.1"


ACTIONS = [  # (method, path, body, scope needed)
    ("POST", "/olts", {"name": "x", "host": "10.0.0.1", "community": "c"}, "write"),
    ("PATCH", "/olts/{olt}", {"description": "x"}, "write"),
    ("POST", "/olts/{olt}/disable", None, "write"),
    ("POST", "/olts/{olt}/enable", None, "write"),
    ("POST", "/olts/{olt}/poll", None, "run"),
    ("POST", "/olts/{olt}/detect", None, "run"),
    ("POST", "/jobs/run", {"job_ids": ["{job}"]}, "run"),
    ("POST", "/jobs/{job}/run", None, "run"),
    ("POST", "/executions/1/cancel", None, "run"),
    ("POST", "/executions/1/rerun", None, "run"),
    ("POST", "/alarms/1/acknowledge", None, "run"),
]


def test_every_change_needs_its_scope(app, client, lab, tokens):
    olt = make_olt(lab)
    job = make_job([olt])

    def fill(text):
        return text.replace("{olt}", str(olt.id)).replace("{job}", str(job.id))

    for method, path, body, needed in ACTIONS:
        if body is not None:
            body = json.loads(fill(json.dumps(body)).replace('"' + str(job.id) + '"', str(job.id)))
        weaker = ["read"] if needed == "run" else ["read", "read,run"]
        for scopes in weaker:
            response = api(client, method, fill(path), tokens[scopes], json=body)
            assert_problem(response, 403, f"needs the {needed!r} scope")
    assert db.session.scalar(select(Execution.id)) is None  # nothing ran
    assert db.session.get(Olt, olt.id).enabled


# ---------------------------------------------------------------- OLTs


def test_add_read_change_an_olt_and_its_secrets_stay_hidden(app, client, tokens):
    write = tokens["read,run,write"]
    body = {"name": "c620-lima", "host": "10.9.8.7", "community": "s3cr3t-comm", "port": 1161}
    created = api(client, "POST", "/olts", write, json=body)
    assert created.status_code == 201, created.text
    olt = created.get_json()
    assert olt["name"] == "c620-lima" and olt["port"] == 1161 and olt["community_set"] is True
    assert olt["poll_job"]["name"] == "poll c620-lima" and olt["onus_present"] == 0
    assert "s3cr3t-comm" not in created.text and "community" not in olt

    again = api(client, "POST", "/olts", write, json=body)
    assert_problem(again, 409, "already exists")
    bad = api(
        client, "POST", "/olts", write, json={"name": "y", "host": "300.1.1.1", "community": "c"}
    )
    assert assert_problem(bad, 422)["errors"]["host"]
    no_comm = api(client, "POST", "/olts", write, json={"name": "y", "host": "10.0.0.2"})
    assert "community" in assert_problem(no_comm, 422)["errors"]
    typed = api(client, "POST", "/olts", write, json={"name": 5, "host": "10.0.0.2", "port": 0})
    errors = assert_problem(typed, 422)["errors"]
    assert set(errors) == {"name", "port"}
    not_json = api(client, "POST", "/olts", write, data="{", content_type="application/json")
    assert not_json.status_code in (400, 422)
    assert db.session.scalar(select(Olt.id).where(Olt.name == "y")) is None

    changed = api(client, "PATCH", f"/olts/{olt['id']}", write, json={"community": "new-one"})
    assert changed.status_code == 200 and "new-one" not in changed.text
    assert db.session.get(Olt, olt["id"]).community == "new-one"
    cleared = api(client, "PATCH", f"/olts/{olt['id']}", write, json={"community": ""})
    assert "community" in assert_problem(cleared, 422)["errors"]
    db.session.expire_all()
    assert db.session.get(Olt, olt["id"]).community == "new-one"  # nothing written

    read = api(client, "GET", f"/olts/{olt['id']}", tokens["read"])
    assert read.status_code == 200 and read.get_json()["host"] == "10.9.8.7"
    assert_problem(api(client, "GET", "/olts/999999", tokens["read"]), 404, "no OLT 999999")

    off = api(client, "POST", f"/olts/{olt['id']}/disable", write)
    assert off.get_json()["enabled"] is False
    assert_problem(api(client, "POST", f"/olts/{olt['id']}/poll", write), 409, "disabled")
    assert api(client, "POST", f"/olts/{olt['id']}/enable", write).get_json()["enabled"]


def test_olt_pages_follow_next_in_a_stable_order(app, client, tokens):
    for i in range(7):
        db.session.add(Olt(name=f"olt-{i}", host=f"10.0.0.{i + 1}", community="c"))
    db.session.commit()
    seen, url, pages = [], "/olts?limit=3&fields=name", 0
    while url and pages < 10:
        response = api(client, "GET", url, tokens["read"])
        assert response.status_code == 200
        data = response.get_json()
        assert all(set(item) == {"id", "name"} for item in data["items"])
        seen += [item["name"] for item in data["items"]]
        url = data["next"] and data["next"].split("/api/v1", 1)[1]
        if url:
            assert response.headers["Link"].endswith('rel="next"')
        pages += 1
    assert seen == [f"olt-{i}" for i in range(7)] and pages == 3
    assert_problem(api(client, "GET", "/olts?fields=name,community", tokens["read"]), 422)
    assert (
        "cursor"
        in assert_problem(api(client, "GET", "/olts?cursor=%%%", tokens["read"]), 422)["errors"]
    )
    assert (
        "limit"
        in assert_problem(api(client, "GET", "/olts?limit=100000", tokens["read"]), 422)["errors"]
    )


def test_detect_an_olt_of_the_lab(app, client, lab, tokens):
    olt = make_olt(lab, "olt-z", brand_name="ZTE", community="zte-a")
    response = api(client, "POST", f"/olts/{olt.id}/detect", tokens["read,run"])
    assert response.status_code == 200, response.text
    data = response.get_json()
    assert data["detection"]["known"] is True and data["olt"]["id"] == olt.id
    assert "zte-a" not in response.text  # the community is the lab's key: never echoed


# ---------------------------------------------------------------- run now, executions


def test_jobs_list_filters_and_read(app, client, lab, tokens):
    olt = make_olt(lab)
    other = make_olt(lab, "zte-a", brand_name="ZTE")
    first = make_job([olt], name="disc-a")
    second = make_job([other], name="disc-b", enabled=False, brand_name="ZTE")
    read = tokens["read"]

    everything = api(client, "GET", "/jobs", read).get_json()["items"]
    assert [j["name"] for j in everything] == ["disc-a", "disc-b"]
    assert everything[0]["olts"] == [{"id": olt.id, "name": "huawei-a", "enabled": True}]
    on_other = api(client, "GET", f"/jobs?olt_id={other.id}", read).get_json()["items"]
    assert [j["id"] for j in on_other] == [second.id]
    by_name = api(client, "GET", "/jobs?olt=zte-a", read).get_json()["items"]
    assert [j["id"] for j in by_name] == [second.id]
    enabled = api(client, "GET", "/jobs?enabled=true&q=disc", read).get_json()["items"]
    assert [j["id"] for j in enabled] == [first.id]
    one = api(client, "GET", f"/jobs/{second.id}", read).get_json()
    assert one["enabled"] is False and one["job_type"] == "discovery" and one["brand"] == "ZTE"
    assert_problem(api(client, "GET", "/jobs/31337", read), 404, "no SNMP job 31337")
    skipped = api(client, "POST", f"/jobs/{second.id}/run", tokens["read,run"])
    assert_problem(skipped, 409, "Nothing was run")


def test_run_now_through_the_api_runs_jobs_on_real_workers(app, client, lab, tokens, noc):
    olt = make_olt(lab)
    other = make_olt(lab, "zte-a", brand_name="ZTE")
    job = make_job([olt, other])
    run = tokens["read,run"]

    response = api(client, "POST", "/jobs/run", run, json={"job_ids": [job.id]})
    assert response.status_code == 202, response.text
    report = response.get_json()
    assert report["created"] == 2 and report["enqueued"] == 2 and report["skipped"] == []
    ids = report["execution_ids"]
    for ex in db.session.scalars(select(Execution).where(Execution.id.in_(ids))):
        assert ex.requested_by_id == noc.id and ex.trigger == "api" and ex.status == "PENDING"

    again = api(client, "POST", f"/jobs/{job.id}/run", run)
    body = assert_problem(again, 409, "Nothing was run")
    assert {s["olt"] for s in body["skipped"]} == {"huawei-a", "zte-a"}

    cancelled = api(client, "POST", f"/executions/{ids[1]}/cancel", run)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "INTERRUPTED"
    assert_problem(api(client, "POST", f"/executions/{ids[1]}/cancel", run), 409, "INTERRUPTED")
    assert_problem(api(client, "POST", f"/executions/{ids[0]}/rerun", run), 409, "PENDING")

    work(app)
    done = api(client, "GET", f"/executions/{ids[0]}", tokens["read"]).get_json()
    assert done["status"] == "SUCCESS" and done["summary"] and done["requested_by"] == "noc"

    listed = api(client, "GET", f"/executions?status=SUCCESS&job_id={job.id}", tokens["read"])
    assert [e["id"] for e in listed.get_json()["items"]] == [ids[0]]
    newest = api(client, "GET", "/executions?limit=1", tokens["read"]).get_json()
    assert newest["items"][0]["id"] == max(ids) and newest["next"]

    rerun = api(client, "POST", f"/executions/{ids[0]}/rerun", run)
    assert rerun.status_code == 202 and rerun.get_json()["created"] == 1
    assert_problem(api(client, "POST", "/jobs/run", run, json={"job_ids": [987654]}), 404)
    unknown_olt = api(client, "POST", "/jobs/run", run, json={"job_ids": [job.id], "olt_ids": [9]})
    assert_problem(unknown_olt, 404, "no OLT 9")


def test_poll_now_and_find_the_onus(app, client, lab, tokens):
    olt = make_olt(lab)
    polled = api(client, "POST", f"/olts/{olt.id}/poll", tokens["read,run"])
    assert polled.status_code == 202, polled.text
    work(app)
    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.status == "SUCCESS", ex.error
    job = db.session.get(SnmpJob, ex.job_id)
    assert job.job_type == "poll"

    read = tokens["read"]
    onus = db.session.scalars(select(Onu).order_by(Onu.id)).all()
    assert len(onus) == 40
    everyone = api(client, "GET", f"/onus?olt_id={olt.id}&limit=1000", read).get_json()
    assert [o["id"] for o in everyone["items"]] == [o.id for o in onus]
    assert everyone["next"] is None
    by_name = api(client, "GET", "/onus?olt=huawei-a&limit=1000&fields=id", read).get_json()
    assert by_name["items"] == [{"id": o.id} for o in onus]
    assert api(client, "GET", "/onus?olt=nope", read).get_json()["items"] == []

    target = onus[5]
    prefix = target.serial[:-2].lower()  # any case
    found = api(client, "GET", f"/onus?serial={prefix}", read).get_json()["items"]
    assert target.id in [o["id"] for o in found]
    assert all(o["serial"].upper().startswith(prefix.upper()) for o in found)
    exact = api(client, "GET", f"/onus?serial={target.serial}", read).get_json()["items"]
    assert [o["id"] for o in exact] == [target.id]
    assert exact[0]["olt"] == "huawei-a" and exact[0]["position"] == target.position

    pon = f"{target.frame}/{target.slot}/{target.port}"
    on_pon = api(client, "GET", f"/onus?pon={pon}", read).get_json()["items"]
    expected = [
        o.id for o in onus if (o.frame, o.slot, o.port) == (target.frame, target.slot, target.port)
    ]
    assert [o["id"] for o in on_pon] == expected and all(o["pon"] == pon for o in on_pon)

    rx = sorted(o.rx_power_dbm for o in onus if o.rx_power_dbm is not None)
    low, high = rx[5], rx[-5]
    in_range = api(client, "GET", f"/onus?rx_min={low}&rx_max={high}&limit=1000", read)
    got = {o["id"] for o in in_range.get_json()["items"]}
    assert got == {
        o.id for o in onus if o.rx_power_dbm is not None and low <= o.rx_power_dbm <= high
    }
    state = target.state_label
    by_state = api(client, "GET", f"/onus?state={state}&present=true&limit=1000", read)
    assert {o["id"] for o in by_state.get_json()["items"]} == {
        o.id for o in onus if o.state_label == state and o.present
    }
    assert "pon" in assert_problem(api(client, "GET", "/onus?pon=x/y", read), 422)["errors"]
    like = api(client, "GET", "/onus?q=%25_", read).get_json()["items"]
    assert like == []  # % and _ are text, not wildcards

    detail = api(client, "GET", f"/onus/{target.id}", read)
    assert detail.status_code == 200
    data = detail.get_json()
    assert data["serial"] == target.serial and data["collected"]
    assert len(data["samples"]) == 1 and data["samples"][0]["rx"] == target.rx_power_dbm
    assert {e["kind"] for e in data["events"]} >= {"discovered"} or data["events"] == []
    assert_problem(api(client, "GET", "/onus/424242", read), 404)


# ---------------------------------------------------------------- alarms, events


def test_alarms_list_and_acknowledge(app, client, lab, tokens, noc):
    olt = make_olt(lab)
    now = utcnow()
    open_ = Alarm(olt_id=olt.id, kind="olt_down", severity="critical", status="active",
                  since=now, raised_at=now, detail={})  # fmt: skip
    cleared = Alarm(olt_id=olt.id, kind="rx_low", severity="warning", status="cleared",
                    since=now, cleared_at=now, detail={})  # fmt: skip
    db.session.add_all([open_, cleared])
    db.session.commit()

    listed = api(client, "GET", "/alarms?status=open", tokens["read"]).get_json()["items"]
    assert [a["id"] for a in listed] == [open_.id] and listed[0]["olt"] == "huawei-a"
    by_olt = api(client, "GET", "/alarms?olt=huawei-a", tokens["read"]).get_json()["items"]
    assert [a["id"] for a in by_olt] == [cleared.id, open_.id]  # newest first
    assert api(client, "GET", "/alarms?olt=other", tokens["read"]).get_json()["items"] == []
    ack = api(client, "POST", f"/alarms/{open_.id}/acknowledge", tokens["read,run"])
    assert ack.status_code == 200
    assert ack.get_json()["acknowledged_by"] == "noc" and ack.get_json()["acknowledged_at"]
    not_acked = api(client, "GET", "/alarms?acknowledged=false", tokens["read"]).get_json()
    assert [a["id"] for a in not_acked["items"]] == [cleared.id]
    done = api(client, "POST", f"/alarms/{cleared.id}/acknowledge", tokens["read,run"])
    assert_problem(done, 409, "cleared")
    assert_problem(api(client, "GET", "/alarms/77777", tokens["read"]), 404)
    assert api(client, "GET", "/events?kind=online", tokens["read"]).status_code == 200


# ---------------------------------------------------------------- limits, docs, CLI


def test_rate_limit_per_token_answers_429_with_retry_after(database_url, redis_url, noc):
    app = create_app(
        {**conftest.test_config(database_url, redis_url), "API_RATE_LIMIT": "3/minute"}
    )
    app.test_client_class = conftest.FreshGlobalsClient
    with app.app_context():
        one = create_token(db.session.merge(noc), "one", "read", None).token
        two = create_token(db.session.merge(noc), "two", "read", None).token
        client = app.test_client()
        codes = [api(client, "GET", "/whoami", one).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = api(client, "GET", "/whoami", one)
        assert_problem(limited, 429)
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert api(client, "GET", "/whoami", two).status_code == 200  # per token
        db.session.remove()
        db.engine.dispose()


def test_docs_are_for_logged_in_staff_and_the_document_is_openapi_3(app, client):
    make_user("staff1")
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")
    paths = spec.get_json()["paths"]
    assert "/api/v1/onus" in paths and "/api/v1/jobs/run" in paths
    assert client.get("/api/v1/docs").status_code == 302
    login(client, "staff1")
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    script = client.get("/api/v1/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    script.close()


def test_tokens_cli_create_list_revoke(app, client, runner, noc):
    made = runner.invoke(
        args=[
            "tokens",
            "create",
            "billing",
            "--user",
            "noc",
            "--scope",
            "run",
            "--expires",
            "90d",
            "--json",
        ]  # fmt: skip
    )
    assert made.exit_code == 0, made.output
    data = json.loads(made.output)
    assert set(data) >= {"id", "token", "scopes", "expires_at"}
    assert data["scopes"] == ["read", "run"] and data["token"].startswith("oltw_")
    assert api(client, "GET", "/whoami", data["token"]).status_code == 200

    listed = runner.invoke(args=["tokens", "list", "--json"])
    assert listed.exit_code == 0 and data["token"] not in listed.output
    assert json.loads(listed.output)[0]["state"] == "active"
    row = db.session.get(ApiToken, data["id"])
    assert row.token_hash != data["token"] and data["token"] not in row.token_hash

    revoked = runner.invoke(args=["tokens", "revoke", str(data["id"])])
    assert revoked.exit_code == 0, revoked.output
    assert_problem(api(client, "GET", "/whoami", data["token"]), 401)

    for args, message in [
        (["tokens", "create", "x", "--user", "nobody"], "no user 'nobody'"),
        (["tokens", "create", "x", "--user", "noc", "--scope", "admin"], "unknown scope admin"),
        (["tokens", "create", "x", "--user", "noc", "--expires", "soon"], "invalid expiry"),
        (["tokens", "revoke", "999"], "no API token 999"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    make_user("guest", staff=False)
    guest = runner.invoke(args=["tokens", "create", "x", "--user", "guest"])
    assert guest.exit_code == 1 and "not active staff" in guest.output


# ---------------------------------------------------------------- the admin's tokens


def test_staff_make_and_revoke_their_own_tokens_in_the_admin(app, client):
    from tests.conftest import csrf_token

    make_user("ana")
    other = make_user("luis")
    theirs = create_token(other, "luis-script", "read", None)
    login(client, "ana")
    form = client.get("/admin/apitoken/new/")
    assert form.status_code == 200 and "scopes" in form.text
    empty = client.post("/admin/apitoken/new/", data={"csrf_token": csrf_token(form.text)})
    assert empty.status_code == 200 and "invalid-feedback" in empty.text
    made = client.post(
        "/admin/apitoken/new/",
        data={"csrf_token": csrf_token(form.text), "name": "billing", "scopes": ["run"],
              "expires": "30d"},
    )  # fmt: skip
    assert made.status_code == 200
    token = made.text.split('id="api-token" class="h5 user-select-all">', 1)[1].split("<")[0]
    assert token.startswith("oltw_")
    assert api(client, "GET", "/whoami", token).get_json()["scopes"] == ["read", "run"]

    listing = client.get("/admin/apitoken/")
    assert "billing" in listing.text and token not in listing.text
    assert "luis-script" not in listing.text  # another user's token is not ana's to see
    row = db.session.scalar(select(ApiToken).filter_by(name="billing"))
    for ids in ([theirs.row.id], [row.id]):
        client.post(
            "/admin/apitoken/action/",
            data={"csrf_token": csrf_token(listing.text), "action": "revoke",
                  "rowid": [str(i) for i in ids]},
        )  # fmt: skip
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.row.id).revoked_at is None
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert_problem(api(client, "GET", "/whoami", token), 401)


def test_a_get_records_last_use_while_a_worker_writes(app, client, database_url, noc):
    """SQLite: a GET's transaction is deferred; the last-use write must not fail (or fail
    the request) because a worker wrote since the token was read."""
    import sqlite3
    import threading
    import time

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's deferred transactions")
    made = create_token(noc, "busy", "read", None)
    path = database_url.removeprefix("sqlite:///")
    holding = threading.Event()
    user_id = noc.id

    def worker_writes():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE users SET language = 'es' WHERE id = ?", (user_id,))
        holding.set()
        time.sleep(0.5)
        conn.execute("COMMIT")
        conn.close()

    db.session.commit()
    thread = threading.Thread(target=worker_writes)
    thread.start()
    holding.wait(5)
    response = api(client, "GET", "/whoami", made.token)
    thread.join()
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, made.row.id).last_used_at is not None
