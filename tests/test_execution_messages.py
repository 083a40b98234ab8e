"""Execution errors stored as a code with parameters and read in the reader's language."""

from __future__ import annotations

import html
import socket

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from rq import Queue, SimpleWorker
from sqlalchemy import select

from jobs.control import set_olts_enabled
from jobs.dispatch import run_jobs_now
from jobs.messages import CATALOGUE, Message, execution_error, render_error
from jobs.queues import get_redis
from tests.conftest import ROOT, login
from tests.factories import make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution
from webapp.tokens import create_token

# Parameters for every code of the catalogue: a code added without a sample here fails
# test_every_code_has_a_sample, one without a Spanish entry fails the rendering tests.
SAMPLES: dict[str, dict] = {
    "job_deleted": {"job": "nightly"},
    "olt_deleted": {"olt": "SMP-10"},
    "job_disabled": {"job": "nightly"},
    "olt_disabled": {"olt": "SMP-10"},
    "olt_disabled_for_job": {"olt": "SMP-10", "job": "nightly"},
    "job_type_unknown": {"job_type": "'walk'", "known": "poll, discovery, get"},
    "job_invalid": {"job": "nightly", "problem": "no OID"},
    "cancelled": {"user": "noc"},
    "snmp_timeout": {
        "olt": "SMP-10",
        "address": "h:161",
        "waited": 7.5,
        "tries": 3,
        "timeout": 2.5,
    },
    "snmp_timeout_v3": {"olt": "SMP-10", "address": "h:161", "waited": 2, "tries": 1, "timeout": 2},
    "snmp_v3_settings": {"olt": "SMP-10", "address": "h:161", "detail": "no key"},
    "snmp_too_much_data": {"olt": "SMP-10", "address": "h:161", "detail": "sent 40 MB"},
    "snmp_auth": {"olt": "SMP-10", "address": "h:161", "detail": "wrong digest"},
    "snmp_unreachable": {"olt": "SMP-10", "address": "h:161", "detail": "no route"},
    "snmp_no_such_oid": {"olt": "SMP-10", "address": "h:161", "detail": "OID 1.3.6"},
    "snmp_malformed": {"olt": "SMP-10", "address": "h:161", "detail": "OID not increasing"},
    "snmp_error": {"olt": "SMP-10", "address": "h:161", "detail": "genErr"},
    "detection_not_applied": {"olt": "SMP-10", "address": "h:161", "detail": "unknown device"},
    "no_onus": {"olt": "SMP-10"},
    "rows_undecodable": {
        "rows": 12,
        "column": "ont state",
        "formula": "huawei_gpon",
        "examples": "4194304000.1: below the base; 7: too short",
    },  # fmt: skip
    "rows_not_onus": {"column": "ont state", "rows": 12},
    "secret_unreadable_community": {"olt": "SMP-10"},
    "secret_unreadable_v3_auth_key": {"olt": "SMP-10"},
    "secret_unreadable_v3_priv_key": {"olt": "SMP-10"},
    "job_timeout": {"seconds": 600},
    "job_timeout_killed": {"seconds": 600},
    "job_timeout_worker": {"seconds": 600},
    "worker_lost": {},
    "redis_unavailable": {"detail": "Connection refused"},
    "internal": {"exception": "RuntimeError", "detail": "boom"},
    "lock_lost": {"reason": Message("lock_redis_down", seconds=1.5)},
    "lock_expired": {},
    "lock_redis_down": {"seconds": 1.5},
    "lock_redis_down_store": {"detail": "Connection refused"},
    "olt_busy_never_ran": {"olt": "SMP-10", "seconds": 3600, "holder": "999"},
    "never_ran": {"seconds": 3600},
    "queue_unavailable": {"redis": "redis://127.0.0.1:1/0", "detail": "Connection refused"},
    "retry_not_queued": {"detail": "Connection refused"},
}


def _spanish_catalog():
    path = ROOT / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f)


SPANISH = _spanish_catalog()


def render(message: Message, lang: str) -> str:
    with force_locale(lang):
        return render_error(message.code, message.params, str(message))


def test_every_code_has_a_sample():
    assert set(SAMPLES) == set(CATALOGUE)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_reads_in_english_and_in_spanish(app, code):
    message = Message(code, **SAMPLES[code])
    template = CATALOGUE[code]
    entry = SPANISH.get(template.text)
    assert entry is not None and entry.string, f"{code}: no Spanish entry"
    assert bool(template.plural) == entry.pluralizable
    with app.test_request_context("/"):
        english, spanish = render(message, "en"), render(message, "es")
    assert english == str(message)  # the stored sentence, figures as the reader writes them
    forms = entry.string if entry.pluralizable else (entry.string,)
    for name in template.names:  # every parameter's value is in the Spanish sentence
        value = message.params[name]
        if isinstance(value, str):
            assert value in spanish, (code, name)
    if all(form == entry.id for form in forms):  # a sentence Spanish writes as English does
        assert spanish == english
    else:
        assert spanish != english, code


@pytest.mark.parametrize(
    "message,english,spanish",
    [
        (
            Message("snmp_timeout", olt="a", address="h:161", waited=7.5, tries=3, timeout=2.5),
            "OLT a (h:161) did not answer within 7.5 s (3 tries of 2.5 s): it is down or "
            "unreachable, or the SNMP community is wrong (agents ignore requests with a wrong "
            "community)",
            "La OLT a (h:161) no respondió en 7,5 s (3 intentos de 2,5 s): está caída o "
            "inalcanzable, o la comunidad SNMP es incorrecta (los agentes ignoran las peticiones "
            "con una comunidad incorrecta)",
        ),
        (
            Message("snmp_timeout_v3", olt="a", address="h:161", waited=2.0, tries=1, timeout=2.0),
            "OLT a (h:161) did not answer within 2 s (1 try of 2 s): it is down or unreachable, "
            "or the SNMPv3 user is wrong (agents ignore requests with a wrong community)",
            "La OLT a (h:161) no respondió en 2 s (1 intento de 2 s): está caída o inalcanzable, "
            "o el usuario SNMPv3 es incorrecto (los agentes ignoran las peticiones con una "
            "comunidad incorrecta)",
        ),
        (
            Message("lock_lost", reason=Message("lock_redis_down", seconds=1.5)),
            "stopped: Redis unreachable for more than 1.5 s; nothing was stored, so that two "
            "polls of one OLT never overlap",
            "detenida: Redis inalcanzable durante más de 1,5 s; no se guardó nada, para que dos "
            "sondeos de una OLT nunca se solapen",
        ),
        (
            Message("never_ran", seconds=3600),
            "still pending after 3600 s: never run",
            "seguía pendiente tras 3600 s: nunca se ejecutó",
        ),
    ],
)
def test_figures_plurals_and_quoted_messages(app, message, english, spanish):
    assert str(message) == english
    with app.test_request_context("/"):
        assert (render(message, "en"), render(message, "es")) == (english, spanish)


STORED = "the English sentence stored with it"


@pytest.mark.parametrize(
    "code,params",
    [
        ("no_such_code", {}),
        (None, {"job": "x"}),
        (42, {}),
        ("job_disabled", {}),  # a parameter missing
        ("job_disabled", {"job": "x", "extra": "y"}),  # one too many
        ("job_disabled", ["x"]),
        ("job_disabled", None),
        ("job_disabled", {"job": {"nested": True}}),
        ("job_disabled", {"job": ["x"]}),
        ("never_ran", {"seconds": "3600; DROP TABLE"}),  # a figure that is not a number
        ("snmp_timeout_v3", {**SAMPLES["snmp_timeout_v3"], "tries": 1.5}),  # not a count
        (
            "lock_lost",
            {
                "reason": {
                    "code": "lock_lost",
                    "params": {
                        "reason": {
                            "code": "lock_lost",
                            "params": {"reason": {"code": "lock_lost", "params": {"reason": "x"}}},
                        }
                    },
                }
            },
        ),  # fmt: skip
    ],
)
def test_data_that_does_not_fit_the_catalogue_reads_as_the_stored_sentence(app, code, params):
    with app.test_request_context("/"), force_locale("es"):
        assert render_error(code, params, STORED) == STORED
    assert render_error(code, params, STORED) == STORED  # and outside a request too


def test_an_execution_without_a_code_reads_as_it_was_stored(app):
    old = Execution(job_name="j", olt_name="o", error="worker lost (no heartbeat)")
    with app.test_request_context("/"), force_locale("es"):
        assert execution_error(old) == "worker lost (no heartbeat)"
        assert execution_error(Execution(job_name="j", olt_name="o")) == ""


@pytest.mark.parametrize(
    "hostile",
    ["%(job)s %s %d {0} {job}", "<script>alert(1)</script>", "x" * 200_000, "\u202e\x00é"],
    ids=["format", "script", "huge", "control"],
)
def test_hostile_parameters_stay_inert(app, hostile):
    message = Message("snmp_malformed", olt=hostile, address="h:161", detail=hostile)
    assert str(message) == f"OLT {hostile} (h:161) sent a malformed response: {hostile}"
    with app.test_request_context("/"):
        spanish = render(message, "es")
    assert spanish == f"La OLT {hostile} (h:161) envió una respuesta mal formada: {hostile}"


# ---------------------------------------------------------------- through the real path


def work(app) -> None:
    """Run every queued job with a real RQ worker (in this process) on the real Redis."""
    db.session.commit()
    redis = get_redis(app.config["REDIS_URL"])
    SimpleWorker([Queue("discovery_main", connection=redis)], connection=redis).work(burst=True)
    db.session.expire_all()


def _page(client, ex_id: int, lang: str) -> str:
    response = client.get(f"/admin/execution/details/?id={ex_id}&lang={lang}")
    assert response.status_code == 200
    return html.unescape(response.text)


def test_an_olt_that_does_not_answer_stores_the_code_and_reads_in_both_languages(app, client):
    make_user("boss", superuser=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:  # an OLT that never answers
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        olt = make_olt(None, "mute <b>", snmp_port=port, timeout=0.5, retries=1)
        run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
        work(app)
    (ex,) = db.session.scalars(select(Execution)).all()
    address = f"127.0.0.1:{port}"
    assert (ex.status, ex.error_code) == ("FAILED", "snmp_timeout")
    assert ex.error_params == {
        "olt": "mute <b>",
        "address": address,
        "waited": 1.0,
        "tries": 2,
        "timeout": 0.5,
    }
    assert ex.error.startswith(f"OLT mute <b> ({address}) did not answer within 1 s (2 tries")
    login(client, "boss")
    spanish = f"La OLT mute <b> ({address}) no respondió en 1 s (2 intentos de 0,5 s)"
    english = f"OLT mute <b> ({address}) did not answer within 1 s (2 tries of 0.5 s)"
    raw = client.get(f"/admin/execution/details/?id={ex.id}&lang=es").text
    assert "mute <b>" not in raw and "mute &lt;b&gt;" in raw  # the OLT's name is escaped
    page = _page(client, ex.id, "es")
    assert spanish in page and english not in page
    assert spanish in html.unescape(client.get("/admin/execution/?lang=es").text)  # the list
    assert spanish in html.unescape(client.get("/admin/?lang=es").text)  # the home's latest
    page = _page(client, ex.id, "en")
    assert english in page and spanish not in page
    token = create_token(make_user("api"), "t", "read", None).token
    for lang, text in (("es", spanish), ("en", english)):
        body = (
            app.test_client()
            .get(  # no session: its language is Accept-Language's
                f"/api/v1/executions/{ex.id}",
                headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            )
            .get_json()
        )
        assert body["error"] == ex.error and body["error_code"] == "snmp_timeout"
        assert body["error_params"] == ex.error_params and body["error_text"].startswith(text)


def test_a_disabled_olt_interrupts_its_run_with_a_code(app, client, lab):
    make_user("boss", superuser=True)
    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
    olt.enabled = False  # after it was queued: the worker finds it disabled
    work(app)
    (ex,) = db.session.scalars(select(Execution)).all()
    assert (ex.status, ex.error, ex.error_code) == (
        "INTERRUPTED",
        "OLT huawei-a disabled",
        "olt_disabled",
    )
    assert ex.error_params == {"olt": "huawei-a"}
    login(client, "boss")
    assert "OLT huawei-a desactivada" in _page(client, ex.id, "es")
    assert "OLT huawei-a disabled" in _page(client, ex.id, "en")


def test_disabling_an_olt_interrupts_its_pending_runs_with_a_code(app, lab):
    olt = make_olt(lab, "huawei-a")
    run_jobs_now([make_job([olt]).id], trigger="cli", label="test")
    set_olts_enabled([olt.id], False)
    db.session.expire_all()
    (ex,) = db.session.scalars(select(Execution)).all()
    assert (ex.status, ex.error_code, ex.error_params) == (
        "INTERRUPTED",
        "olt_disabled",
        {"olt": "huawei-a"},
    )


def test_a_plain_text_after_a_code_leaves_no_code_behind(app):
    ex = Execution(job_name="j", olt_name="o", status="RUNNING")
    db.session.add(ex)
    db.session.commit()
    ex.finish("FAILED", error=Message("worker_lost"))
    assert (ex.error, ex.error_code, ex.error_params) == (
        "worker lost (no heartbeat)",
        "worker_lost",
        {},
    )
    ex.finish("FAILED", error="something else")
    db.session.commit()
    db.session.expire_all()
    ex = db.session.get(Execution, ex.id)
    assert (ex.error, ex.error_code, ex.error_params) == ("something else", None, None)


def test_run_now_with_the_queue_down_says_so_in_the_readers_language(app, client, lab):
    from tests.test_admin_run_now import _run_action

    make_user("noc")
    job = make_job([make_olt(lab, "huawei-a")])
    login(client, "noc")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    _, result = _run_action(client, [job.id], lang="es")
    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.error_code == "queue_unavailable" and ex.error.startswith("queue unavailable")
    flash = html.unescape(result.text)
    assert "no se puede conectar con Redis en redis://127.0.0.1:1/0" in flash  # the flash
    assert "cannot reach Redis" not in flash
    assert "no se puede conectar con Redis" in _page(client, ex.id, "es")


def test_the_olt_down_alarm_counts_the_codes_of_an_olt_that_did_not_answer():
    from jobs.onu_history import _did_not_answer

    timeout = Message("snmp_timeout", **SAMPLES["snmp_timeout"])
    lock = Message("lock_lost", reason=Message("lock_redis_down", seconds=1))
    assert _did_not_answer(timeout.code, timeout)
    assert not _did_not_answer(lock.code, lock)  # "Redis unreachable": not the OLT's fault
    assert not _did_not_answer("snmp_malformed", "OLT a (h) sent a malformed response: x")
    assert _did_not_answer(None, "OLT a (h) did not answer within 1 s")  # an older row's words
