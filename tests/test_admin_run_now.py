"""The heart: "Run selected jobs now" through the Flask test client, for real."""

from __future__ import annotations

from rq import Queue
from sqlalchemy import select

from jobs.queues import get_redis
from tests.conftest import csrf_token, login
from tests.factories import make_job, make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution, SnmpJob


def _run_action(client, job_ids, lang=None):
    """Tick jobs on the list, pick the action, confirm; return (confirmation, result) pages."""
    suffix = f"?lang={lang}" if lang else ""
    page = client.get(f"/admin/snmpjob/{suffix}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    confirm = client.post(
        "/admin/snmpjob/action/",
        data={
            "action": "run_now",
            "rowid": [str(i) for i in job_ids],
            "csrf_token": token,
        },
    )
    assert confirm.status_code == 200
    result = client.post(
        "/admin/snmpjob/run-now/",
        data={
            "rowid": [str(i) for i in job_ids],
            "csrf_token": csrf_token(confirm.text),
        },
        follow_redirects=True,
    )
    return confirm, result


def test_run_now_creates_enqueues_and_reports(app, client, lab, redis_url):
    user = make_user("noc")
    olts = [make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big")]
    job = make_job(olts)
    before_next = job.next_run_at
    login(client, "noc")

    confirm, result = _run_action(client, [job.id])

    assert "discovery" in confirm.text and ">2<" in confirm.text.replace(" ", "")
    assert "Ran 1 job: 2 executions created and enqueued" in result.text
    assert "processed on the discovery_main queue" in result.text
    rows = db.session.scalars(select(Execution).order_by(Execution.id)).all()
    assert [(r.status, r.olt_name, r.requested_by_id, r.trigger) for r in rows] == [
        ("PENDING", "huawei-a", user.id, "manual"),
        ("PENDING", "huawei-big", user.id, "manual"),
    ]
    queue = Queue("discovery_main", connection=get_redis(redis_url))
    assert sorted(queue.job_ids) == sorted(r.rq_job_id for r in rows)
    rq_job = queue.fetch_job(rows[0].rq_job_id)
    assert rq_job.func_name == "jobs.runner.run_execution" and rq_job.args == (rows[0].id,)
    db.session.expire_all()
    job = db.session.get(SnmpJob, job.id)
    assert job.last_run_at is not None and job.next_run_at == before_next


def test_confirmation_lists_skip_reasons_and_warns(app, client, lab):
    make_user("noc")
    on, off = make_olt(lab, "huawei-a"), make_olt(lab, "huawei-big", enabled=False)
    disabled_job = make_job([on], name="disabled job", enabled=False)
    no_hosts = make_job([], name="no hosts")
    partly = make_job([on, off], name="partly")
    other = make_olt(lab, "huawei-c", community="huawei-a")
    host_off = make_job([on, other], name="host off")
    host_off.hosts[0].enabled = False
    db.session.commit()
    login(client, "noc")

    confirm, result = _run_action(client, [disabled_job.id, no_hosts.id, partly.id, host_off.id])

    for text in (
        "job disabled",
        "no enabled OLTs",
        'OLT disabled: <strong>1 OLT</strong></summary><div class="small">huawei-big</div>',
        'this job: <strong>1 OLT</strong></summary><div class="small">huawei-a</div>',
    ):
        assert text in confirm.text
    # the report groups the skips by reason, counted, with the names folded under each
    for reason, count, names in (
        ("job disabled", "1 job", "disabled job"),
        ("no enabled OLTs", "1 job", "no hosts"),
        ("OLT disabled", "1 OLT", "partly @ huawei-big"),
        ("OLT disabled for this job", "1 OLT", "host off @ huawei-a"),
    ):
        group = (
            f'<summary>{reason}: <strong>{count}</strong></summary><div class="small">{names}</div>'
        )
        assert group in result.text, reason
    assert "Ran 2 jobs: 2 executions created and enqueued" in result.text
    executions = db.session.scalars(select(Execution).order_by(Execution.olt_name))
    assert [(e.job_name, e.olt_name) for e in executions] == [
        ("partly", "huawei-a"),
        ("host off", "huawei-c"),
    ]

    # Running it again while the first execution is still pending creates nothing.
    _, again = _run_action(client, [partly.id])
    assert "No executions were created, by reason:" in again.text
    assert "an execution is already pending: <strong>1 OLT</strong>" in again.text
    assert "partly @ huawei-a" in again.text
    assert db.session.scalar(select(db.func.count()).select_from(Execution)) == 2


def test_messages_in_spanish(app, client, lab):
    make_user("noc")
    job = make_job([make_olt(lab, "huawei-a")])
    login(client, "noc")
    confirm, result = _run_action(client, [job.id], lang="es")
    assert "Ejecutar tareas seleccionadas" in confirm.text
    assert "Se creará 1 ejecución y se encolará en la cola discovery_main." in confirm.text
    assert "Ejecutada 1 tarea: 1 ejecución creada y encolada" in result.text
    assert "se procesarán en la cola discovery_main" in result.text


def test_action_without_csrf_is_refused(app, client, lab):
    make_user("noc")
    job = make_job([make_olt(lab, "huawei-a")])
    login(client, "noc")
    r = client.post("/admin/snmpjob/run-now/", data={"rowid": [str(job.id)]})
    assert r.status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(Execution)) == 0


def test_queue_unavailable_marks_failed(app, client, lab):
    make_user("noc")
    job = make_job([make_olt(lab, "huawei-a")])
    login(client, "noc")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    _, result = _run_action(client, [job.id])
    assert "The queue is unavailable" in result.text
    (ex,) = db.session.scalars(select(Execution)).all()
    assert ex.status == "FAILED" and ex.error.startswith("queue unavailable")
    assert (
        ex.error_code == "queue_unavailable" and ex.error_params["redis"] == "redis://127.0.0.1:1/0"
    )
    assert ex.finished_at is not None


def test_many_skips_are_one_group_per_reason_with_the_olts_folded(app, client, lab):
    make_user("noc")
    olts = [make_olt(lab, f"olt-{i:02d}", community="huawei-a") for i in range(12)]
    job = make_job(olts, name="busy")
    login(client, "noc")
    _run_action(client, [job.id])  # twelve executions now pending
    _, again = _run_action(client, [job.id])
    html = again.text
    assert html.count('<details class="skip-group">') == 1
    assert "<summary>an execution is already pending: <strong>12 OLTs</strong></summary>" in html
    assert "busy @ olt-00, busy @ olt-01" in html and "busy @ olt-11" in html
    assert ";" not in html.split("No executions were created", 1)[1].split("</details>", 1)[0]
    _, spanish = _run_action(client, [job.id], lang="es")
    assert "<strong>12 OLT</strong>" in spanish.text  # «12 OLT»: the Spanish plural
