"""Alarms through real polls: the lab plays a story (snmp/lab/stories.py) between polls.

A simulated Huawei OLT served by snmpsim, its recording rewritten step by step; each poll
runs through the real worker path and its store step raises, groups and clears alarms.
"""

from __future__ import annotations

import socket
from collections import Counter

import pytest
from sqlalchemy import select

from history.alarms import ACTIVE, CLEARED, PENDING, Rules, _rx_recovered
from snmp.lab.agent import LabAgent
from snmp.lab.generate import lab_onus
from snmp.lab.stories import busiest_pon, first_online, write_step
from tests.recordings_support import poll_again, poll_recording
from webapp.extensions import db
from webapp.models import Alarm, AlarmRule, Notification

ONUS = 96
SEED = 3


@pytest.fixture
def story_lab(tmp_path):
    """A Huawei lab OLT whose answers a test moves through a story: (agent, step(story, n))."""
    agent = LabAgent(tmp_path / "lab")
    path = agent.add_olt("story", "huawei", ONUS, seed=SEED)
    with agent:
        yield agent, lambda story, step: write_step(path, "huawei", ONUS, SEED, story, step)


def _alarms(**where) -> list[Alarm]:
    db.session.expire_all()
    return db.session.scalars(select(Alarm).filter_by(**where).order_by(Alarm.id)).all()


def _pon_of_cut() -> tuple[str, int]:
    onus = lab_onus("huawei", ONUS, SEED)
    frame, slot, port = busiest_pon(onus)
    online = sum(1 for o in onus if o.online and (o.frame, o.slot, o.port) == (frame, slot, port))
    return f"{frame}/{slot}/{port}", online


@pytest.mark.parametrize(
    ("story", "cause"), [("pon-cut", "fiber cut"), ("power-outage", "power outage")]
)
def test_a_pon_outage_is_one_alarm_grouping_its_onus_and_clears_when_they_return(
    app, story_lab, story, cause
):
    agent, step = story_lab
    app.config.update(ALARM_WEBHOOK_URL="http://127.0.0.1:9/hook")  # queued, not delivered here
    ex, _onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    assert ex.status == "SUCCESS", ex.error
    pon, online = _pon_of_cut()
    assert online >= 4

    step(story, 1)
    ex1, _ = poll_again(app, olt)
    assert ex1.summary["events"]["offline"] == online, ex1.summary["events"]
    (outage,) = _alarms(kind="pon_outage")
    assert (outage.status, outage.pon, outage.severity) == (ACTIVE, pon, "critical")
    assert outage.detail["probable_cause"] == cause
    assert outage.detail["onus_down"] == online
    children = _alarms(kind="onu_offline")
    assert len(children) == online
    assert all(c.parent_id == outage.id and c.status == ACTIVE for c in children)
    # one message for the outage, none for its ONUs (the lab's weak ONUs have rx alarms too)
    told = Counter(n.alarm_id for n in db.session.scalars(select(Notification)))
    assert told[outage.id] == 1 and not any(told[c.id] for c in children)
    assert ex1.summary["alarms"]["raised"]["pon_outage"] == 1

    step(story, 2)  # still down: nothing new
    poll_again(app, olt)
    assert len(_alarms(kind="pon_outage")) == 1 and len(_alarms(kind="onu_offline")) == online

    step(story, 3)  # back
    ex3, _ = poll_again(app, olt)
    assert ex3.summary["events"]["online"] == online
    assert {a.status for a in _alarms(kind="pon_outage") + _alarms(kind="onu_offline")} == {CLEARED}
    told_after = Counter(n.alarm_id for n in db.session.scalars(select(Notification)))
    assert told_after == told  # clearing sends nothing more


def test_an_rx_drift_raises_one_alarm_that_escalates_and_clears_with_hysteresis(app, story_lab):
    agent, step = story_lab
    ex, onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    # the lab's weak ONUs: raised together by the first poll (one INSERT), one alarm each,
    # and not again by the next poll
    first = _alarms(kind="rx")
    assert len(first) == ex.summary["alarms"]["raised"]["rx"] > 1
    assert len({a.onu_id for a in first}) == len(first)
    assert all(a.status == ACTIVE and a.position == a.onu.position for a in first)
    assert all(a.detail["rx_dbm"] == a.onu.rx_power_dbm for a in first)
    target = first_online(lab_onus("huawei", ONUS, SEED)).position
    step("rx-drift", 1)  # -25 dBm: fine
    poll_again(app, olt)
    assert _alarms(kind="rx") == [] or all(a.onu.position != target for a in _alarms(kind="rx"))
    step("rx-drift", 2)  # -28 dBm: below -27, a warning
    poll_again(app, olt)
    (alarm,) = [a for a in _alarms(kind="rx") if a.position == target]
    assert (alarm.status, alarm.severity, alarm.detail["rx_dbm"]) == (ACTIVE, "warning", -28.0)
    step("rx-drift", 3)  # -31 dBm: critical, the same alarm
    poll_again(app, olt)
    (alarm,) = [a for a in _alarms(kind="rx") if a.position == target]
    assert (alarm.status, alarm.severity, alarm.detail["level"]) == (ACTIVE, "critical", "critical")
    step("rx-drift", 0)  # back to -22 dBm: cleared
    poll_again(app, olt)
    (alarm,) = [a for a in _alarms(kind="rx") if a.position == target]
    assert alarm.status == CLEARED and alarm.cleared_at is not None
    step("rx-drift", 2)  # low again within the flap window: the same alarm, reopened
    poll_again(app, olt)
    (again,) = [a for a in _alarms(kind="rx") if a.position == target]
    assert (again.id, again.status, again.flaps) == (alarm.id, ACTIVE, 1)
    others = [a for a in _alarms(kind="rx") if a.position != target]
    assert [(a.id, a.status) for a in others] == [(a.id, ACTIVE) for a in first]


def test_rx_clears_only_past_the_hysteresis_margin():
    rules = Rules()
    alarm = Alarm(detail={"level": "low"})
    assert not _rx_recovered(-26.5, alarm, rules)  # above -27, but within 1 dB of it
    assert _rx_recovered(-25.9, alarm, rules)
    over = Alarm(detail={"level": "overload"})
    assert not _rx_recovered(-8.5, over, rules) and _rx_recovered(-9.1, over, rules)


def test_a_flapping_onu_raises_one_alarm_not_one_per_flap(app, story_lab):
    agent, step = story_lab
    app.config.update(ALARM_OFFLINE_MINUTES=0, ALARM_WEBHOOK_URL="http://127.0.0.1:9/hook")
    ex, onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    for n in range(1, 7):
        step("flap", n)
        poll_again(app, olt)
    target = first_online(lab_onus("huawei", ONUS, SEED)).position
    mine = [a for a in _alarms(kind="onu_offline") if a.position == target]
    assert len(mine) == 1, [(a.status, a.flaps) for a in mine]
    assert mine[0].flaps == 2 and mine[0].status == CLEARED  # offline at 1, 3, 5; online at 6
    told = [n for n in db.session.scalars(select(Notification)) if n.alarm_id == mine[0].id]
    assert len(told) == 1


def test_an_onu_offline_is_pending_until_its_minutes_pass(app, story_lab):
    from datetime import timedelta

    from jobs.housekeeping import alarms_due
    from webapp.models.base import utcnow

    agent, step = story_lab
    ex, onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    step("flap", 1)
    poll_again(app, olt)
    (alarm,) = _alarms(kind="onu_offline")
    assert alarm.status == PENDING and alarm.raised_at is None  # 10 minutes by default
    assert alarms_due(utcnow() + timedelta(minutes=5))["raised"] == 0
    assert alarms_due(utcnow() + timedelta(minutes=11))["raised"] == 1
    (alarm,) = _alarms(kind="onu_offline")
    assert alarm.status == ACTIVE and alarm.raised_at is not None


def test_rules_per_profile_and_per_olt(app, story_lab):
    agent, step = story_lab
    ex, onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    db.session.add(AlarmRule(profile_key="huawei", rx_warning=-24.0))
    db.session.commit()
    step("rx-drift", 1)  # -25 dBm: below the Huawei rule's -24
    poll_again(app, olt)
    target = first_online(lab_onus("huawei", ONUS, SEED)).position
    assert [a.severity for a in _alarms(kind="rx") if a.position == target] == ["warning"]
    db.session.add(AlarmRule(olt_id=olt.id, rx_warning=-26.0))  # the OLT's own rule wins
    db.session.commit()
    step("rx-drift", 0)
    poll_again(app, olt)
    step("rx-drift", 1)
    poll_again(app, olt)
    mine = [a for a in _alarms(kind="rx") if a.position == target]
    assert mine[-1].status == CLEARED


def test_an_olt_that_stops_answering_raises_one_alarm_cleared_by_an_answer(app, story_lab):
    agent, _step = story_lab
    ex, onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    settings = olt.snmp_port, olt.timeout, olt.retries
    try:
        olt.snmp_port, olt.timeout, olt.retries = silent.getsockname()[1], 0.2, 0
        db.session.commit()
        outcomes = Counter()
        for _ in range(4):
            ex, _ = poll_again(app, olt)
            outcomes[ex.status] += 1
        assert outcomes == {"FAILED": 4}
        (alarm,) = _alarms(kind="olt_unreachable")
        assert alarm.status == ACTIVE and alarm.detail["failed_polls"] == 4
        assert "did not answer" in alarm.detail["error"]
    finally:
        silent.close()
    # its own port, timeout and retries again (0.2 s without a retry failed under load)
    olt.snmp_port, olt.timeout, olt.retries = settings
    db.session.commit()
    ex, _ = poll_again(app, olt)
    assert ex.status == "SUCCESS", ex.error
    (alarm,) = _alarms(kind="olt_unreachable")
    assert alarm.status == CLEARED


# ---------------------------------------------------------------- notifications, for real


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 that records what it is sent (and answers .status)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        status = 204

        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(server.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status, server.got = 204, got
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server():
    """aiosmtpd on 127.0.0.1 keeping every message it is sent."""
    from aiosmtpd.controller import Controller

    class Keep:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            self.messages.append(envelope)
            return "250 OK"

    handler = Keep()
    handler.messages = []
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cut_and_deliver(app, story_lab):
    from tests.test_runner import work

    agent, step = story_lab
    ex, _onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    db.session.query(Notification).delete()  # the lab's weak ONUs: not what this test is about
    db.session.commit()
    step("pon-cut", 1)
    poll_again(app, olt)
    work(app)  # the deliveries (RQ jobs) enqueued after the poll's commit
    db.session.expire_all()
    (outage,) = _alarms(kind="pon_outage")
    return outage, [n for n in db.session.scalars(select(Notification)) if n.alarm_id == outage.id]


def test_a_pon_outage_is_posted_once_to_the_webhook_signed(app, story_lab, receiver):
    import hashlib
    import hmac
    import json

    url = f"http://127.0.0.1:{receiver.server_port}/alarms"
    app.config.update(ALARM_WEBHOOK_URL=url, ALARM_WEBHOOK_SECRET="webhook-key-1")
    outage, (note,) = _cut_and_deliver(app, story_lab)
    assert note.status == "sent" and note.attempts == 1 and note.sent_at is not None
    outage_posts = [(h, b) for h, b in receiver.got if b'"pon_outage"' in b]
    assert len(outage_posts) == 1
    headers, body = outage_posts[0]
    expected = hmac.new(b"webhook-key-1", body, hashlib.sha256).hexdigest()
    assert headers["X-Oltwatch-Signature"] == f"sha256={expected}"
    alarm = json.loads(body)["alarm"]
    assert (alarm["kind"], alarm["pon"], alarm["olt"]) == ("pon_outage", outage.pon, "story")
    assert alarm["detail"]["probable_cause"] == "fiber cut"
    assert not any(b'"onu_offline"' in b for _h, b in receiver.got)  # one message per outage


def test_a_webhook_that_keeps_failing_is_retried_then_failed_with_the_reason(
    app, story_lab, receiver, monkeypatch
):
    from jobs import notify

    monkeypatch.setattr(notify, "BACKOFF", [0, 0])  # two quick retries instead of minutes
    receiver.status = 500
    app.config.update(ALARM_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/x")
    _outage, (note,) = _cut_and_deliver(app, story_lab)
    assert (note.status, note.attempts) == ("failed", 3)
    assert note.last_error == "the webhook answered HTTP 500"


def test_a_pon_outage_is_mailed_once(app, story_lab, smtp_server):
    controller, handler = smtp_server
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, ALARM_EMAILS=("noc@isp.example",)
    )
    outage, (note,) = _cut_and_deliver(app, story_lab)
    assert note.status == "sent", note.last_error
    mails = [m for m in handler.messages if b"pon_outage" in m.content]
    assert len(mails) == 1 and mails[0].rcpt_tos == ["noc@isp.example"]
    assert b"CRITICAL fiber cut: story " + outage.pon.encode() in mails[0].content


# ---------------------------------------------------------------- what staff see


def test_staff_see_acknowledge_and_count_alarms(app, client, story_lab):
    from tests.conftest import csrf_token, login
    from tests.factories import make_user

    agent, step = story_lab
    ex, _onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    step("pon-cut", 1)
    poll_again(app, olt)
    (outage,) = _alarms(kind="pon_outage")
    noc = make_user("noc")
    login(client, "noc")
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Active alarms" in home.text and "fiber cut" in home.text and outage.pon in home.text
    listing = client.get("/admin/alarm/", query_string={"flt0_kind_equals": "pon_outage"})
    assert listing.status_code == 200 and "fiber cut" in listing.text
    r = client.post(
        "/admin/alarm/action/",
        data={
            "action": "acknowledge",
            "rowid": [str(outage.id)],
            "csrf_token": csrf_token(home.text),
        },
        follow_redirects=True,
    )
    assert r.status_code == 200 and "1 alarm acknowledged" in r.text
    (outage,) = _alarms(kind="pon_outage")
    assert outage.acknowledged_by_id == noc.id and outage.acknowledged_at is not None
    metrics = client.get("/metrics")
    assert 'oltwatch_alarms_active{kind="pon_outage",severity="critical"} 1.0' in metrics.text
    assert client.get(f"/admin/alarm/details/?id={outage.id}").status_code == 200
    assert client.get("/admin/notification/").status_code == 200
    spanish = client.get("/admin/", query_string={"lang": "es"})
    assert spanish.status_code == 200 and "Alarmas activas" in spanish.text


def test_alarm_rules_are_checked_at_the_form(app, client):
    from tests.conftest import csrf_token, login
    from tests.factories import make_user

    make_user("noc")
    login(client, "noc")
    page = client.get("/admin/alarmrule/new/")
    assert page.status_code == 200
    base = {"csrf_token": csrf_token(page.text)}
    neither = client.post("/admin/alarmrule/new/", data=base | {"rx_warning": "-25"})
    assert "Give an OLT or a profile" in neither.text
    bad_mail = client.post(
        "/admin/alarmrule/new/",
        data=base | {"profile_key": "huawei", "emails": "noc@isp.example, not-an-address"},
    )
    assert "Not an e-mail address: not-an-address" in bad_mail.text
    ok = client.post(
        "/admin/alarmrule/new/",
        data=base | {"profile_key": "huawei", "rx_warning": "-25.5", "emails": "noc@isp.example"},
        follow_redirects=True,
    )
    assert ok.status_code == 200
    rule = db.session.scalars(select(AlarmRule)).one()
    assert (rule.profile_key, rule.rx_warning, rule.emails) == ("huawei", -25.5, "noc@isp.example")


def test_the_onu_chart_data_and_the_olt_pons(app, client, story_lab):
    from tests.conftest import login
    from tests.factories import make_user

    agent, step = story_lab
    ex, _onus, olt = poll_recording(app, agent, "story", brand="Huawei", model="MA5608T")
    target = first_online(lab_onus("huawei", ONUS, SEED))
    for n in (1, 2, 3):
        step("rx-drift", n)
        poll_again(app, olt)
    make_user("noc")
    login(client, "noc")
    onu_id = next(o.id for o in _onus.values() if o.position == target.position)
    r = client.get("/admin/onu/history/", query_string={"id": onu_id, "span": "24h"})
    assert r.status_code == 200
    data = r.get_json()
    assert data["resolution"] == "raw" and data["thresholds"]["warning"] == -27.0
    # the rx-drift story: -22 (as generated) then -25, -28, -31 dBm
    assert [p["rx"] for p in data["points"]][-3:] == [-25.0, -28.0, -31.0]
    assert (
        client.get("/admin/onu/history/", query_string={"id": onu_id, "span": "1y"}).status_code
        == 400
    )
    missing = client.get("/admin/onu/history/", query_string={"id": "x", "span": "7d"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    page = client.get(f"/admin/onu/details/?id={onu_id}")
    assert page.status_code == 200 and "vendor/uplot-1.6.32/uPlot.iife.min.js" in page.text
    static = client.get("/static/vendor/uplot-1.6.32/uPlot.iife.min.js")
    assert static.status_code == 200 and b"uPlot" in static.data
    static.close()

    step("pon-cut", 1)
    poll_again(app, olt)
    pon, online = _pon_of_cut()
    details = client.get(f"/admin/olt/details/?id={olt.id}")
    assert details.status_code == 200
    assert "fiber cut" in details.text and f">{pon}</a>" in details.text
    frame, slot, port = pon.split("/")
    link = f"flt0_olt_equals=story&amp;flt1_slot_equals={slot}&amp;flt2_port_equals={port}"
    assert link in details.text
    onus_of_pon = client.get(
        "/admin/onu/", query_string={"flt0_olt_equals": "story", "flt1_slot_equals": slot,
                                     "flt2_port_equals": port}
    )  # fmt: skip
    assert onus_of_pon.status_code == 200 and onus_of_pon.text.count("<td") > 0


def test_a_player_moves_the_story_on_when_its_step_is_due(tmp_path):
    from snmp.lab.stories import Player

    path = tmp_path / "olt.snmprec"
    write_step(path, "huawei", ONUS, SEED, "pon-cut", 0)
    before = path.read_text()
    slow = Player("pon-cut", [(path, "huawei", ONUS, SEED)], every=3600)
    assert slow.tick() is None and path.read_text() == before
    now = Player("pon-cut", [(path, "huawei", ONUS, SEED)], every=0)
    assert now.tick() == 1 and path.read_text() != before
    assert now.tick() == 2
    with pytest.raises(ValueError, match="unknown story 'quake'"):
        Player("quake", [], every=1)


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key (the test's SMTP server's)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize("password", ["mail-secret-1", "wrong-secret-2"])
def test_mail_over_starttls_with_a_login(app, story_lab, tmp_path, password, monkeypatch):
    import ssl

    from jobs import notify

    monkeypatch.setattr(notify, "TIMEOUT", 2)  # aiosmtpd stalls a second mechanism's try

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    class Keep:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            self.messages.append(envelope)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, session.ssl is not None))
        ok = (auth_data.login, auth_data.password) == (b"noc", b"mail-secret-1")
        return AuthResult(success=ok)

    handler = Keep()
    handler.messages = []
    port = _free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    try:
        app.config.update(
            SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=True, SMTP_CA_FILE=str(cert),
            SMTP_USER="noc", SMTP_PASSWORD=password, ALARM_EMAILS=("noc@isp.example",),
        )  # fmt: skip
        _outage, (note,) = _cut_and_deliver(app, story_lab)
    finally:
        controller.stop()
    assert logins and logins[0] == (b"noc", True)  # logged in inside TLS
    if password == "mail-secret-1":
        assert note.status == "sent", note.last_error
        assert len([m for m in handler.messages if b"pon_outage" in m.content]) == 1
    else:
        assert note.status in ("retrying", "failed")
        assert note.last_error == "the SMTP server refused the login"
        assert password not in (note.last_error or "")
