"""Deliver alarm notifications: a signed JSON webhook or an e-mail, as RQ jobs with retries.

The store step (or the runner, or the tick) writes Notification rows in its transaction;
``enqueue_pending`` claims them after the commit and enqueues one RQ job each, so that a
rolled-back poll notifies nobody. A delivery that fails is retried with backoff by RQ
(Retry); the row says how it went (pending, retrying, sent, failed: with the last error).
Secrets (SMTP password, the webhook key) appear in no message, log or row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry, get_current_job
from sqlalchemy import select, update

from jobs.queues import get_redis
from webapp.extensions import db, read_only
from webapp.models import Notification
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
DELIVER = "jobs.notify.deliver"
BACKOFF = [10, 30, 90, 270, 810]  # seconds between tries: five retries over ~20 minutes
TIMEOUT = 10
BATCH = 200


class DeliveryError(Exception):
    """A delivery that did not go through (said in words, never with a secret)."""


def enqueue_pending(limit: int = BATCH) -> int:
    """Claim pending notifications nobody has enqueued and enqueue their deliveries."""
    cfg = current_app.config
    ids = pending_ids(limit)
    if not ids and not db.session().in_transaction():
        return 0
    claimed = []
    for nid in ids:  # compare-and-set: two processes never enqueue one notification twice
        job_id = f"notification-{nid}"
        done = db.session.execute(
            update(Notification)
            .where(
                Notification.id == nid,
                Notification.status == "pending",
                Notification.rq_job_id.is_(None),
            )
            .values(rq_job_id=job_id)
        )
        if done.rowcount == 1:
            claimed.append((nid, job_id))
    db.session.commit()
    if not claimed:
        return 0
    try:
        queue = Queue(cfg["QUEUE_NAME"], connection=get_redis(cfg["REDIS_URL"]))
        for nid, job_id in claimed:
            queue.enqueue(
                DELIVER,
                nid,
                job_id=job_id,
                retry=Retry(max=len(BACKOFF), interval=BACKOFF),
                job_timeout=3 * TIMEOUT,
                description=f"notification {nid}",
            )
    except RedisError as exc:  # the tick claims them again once Redis is back
        log.warning("notifications: queue unavailable (%s); retried at the next tick", exc)
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_([n for n, _ in claimed]), Notification.status == "pending")
            .values(rq_job_id=None)
        )
        db.session.commit()
        return 0
    return len(claimed)


def pending_ids(limit: int) -> list[int]:
    """Pending notifications nobody has enqueued (the first limit of them).

    Outside a transaction they are looked for in a read-only one: most runs find none, and
    then take no write lock (SQLite) and commit nothing. The claim is a compare-and-set of
    its own, so what it reads need not be read in its transaction."""
    query = (
        select(Notification.id)
        .where(Notification.status == "pending", Notification.rq_job_id.is_(None))
        .order_by(Notification.id)
        .limit(limit)
    )
    if db.session().in_transaction():  # the caller's: read in it, committed with the claim
        return list(db.session.scalars(query))
    with read_only():
        ids = list(db.session.scalars(query))
        db.session.rollback()
    return ids


def payload(n: Notification) -> dict:
    """What every channel says about the alarm."""
    a = n.alarm
    return {
        "alarm": {
            "id": a.id,
            "kind": a.kind,
            "severity": a.severity,
            "status": a.status,
            "olt": a.olt.name if a.olt else None,
            "pon": a.pon,
            "onu": a.position,
            "since": a.since.isoformat() if a.since else None,
            "raised_at": a.raised_at.isoformat() if a.raised_at else None,
            "detail": a.detail or {},
        }
    }


def subject(n: Notification) -> str:
    a = n.alarm
    where = " ".join(x for x in (a.olt.name if a.olt else "", a.pon or "", a.position or "") if x)
    what = (a.detail or {}).get("probable_cause") or a.kind.replace("_", " ")
    return f"[oltwatch] {a.severity.upper()} {what}: {where}"


def _webhook(url: str, body: bytes) -> None:
    cfg = current_app.config
    headers = {"Content-Type": "application/json", "User-Agent": "oltwatch"}
    key = cfg.get("ALARM_WEBHOOK_SECRET")
    if key:
        digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Oltwatch-Signature"] = f"sha256={digest}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (operator's URL)
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the answer and its socket
        raise DeliveryError(f"the webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"the webhook could not be reached: {reason}") from None


def _email(to: str, n: Notification, body: dict) -> None:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        raise DeliveryError("e-mail is not configured (SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = cfg["SMTP_FROM"], to, subject(n)
    message.set_content(json.dumps(body, indent=2, ensure_ascii=False))
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=TIMEOUT) as smtp:
            if cfg.get("SMTP_STARTTLS"):  # the server's certificate is verified
                smtp.starttls(context=ssl.create_default_context(cafile=cfg.get("SMTP_CA_FILE")))
            if cfg.get("SMTP_USER"):
                _login(smtp, cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except ssl.SSLError as exc:
        raise DeliveryError(f"STARTTLS failed: {exc.reason or type(exc).__name__}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"the SMTP server did not take it: {type(exc).__name__}") from None


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    # smtplib tries the next mechanism after a refusal, and some servers hang up on that
    try:
        smtp.login(user, password)
    except (smtplib.SMTPAuthenticationError, smtplib.SMTPServerDisconnected):
        raise DeliveryError("the SMTP server refused the login") from None


def deliver(notification_id: int) -> str:
    """The RQ job: send one notification; raise (RQ retries) until the last try fails it."""
    from jobs.runner import _get_app

    with _get_app().app_context():
        try:
            return _deliver(notification_id)
        finally:
            db.session.remove()


def _deliver(notification_id: int) -> str:
    n = db.session.get(Notification, notification_id)
    if n is None or n.status in ("sent", "failed"):
        return "nothing to do"
    n.attempts += 1
    body = payload(n)
    try:
        if n.channel == "webhook":
            _webhook(n.target, json.dumps(body, ensure_ascii=False).encode())
        else:
            _email(n.target, n, body)
    except DeliveryError as exc:
        job = get_current_job()
        last = job is None or not job.retries_left
        n.status, n.last_error = ("failed" if last else "retrying"), str(exc)[:500]
        db.session.commit()
        log.warning("notification %s to %s: %s (try %s)", n.id, n.channel, exc, n.attempts)
        if last:
            return "failed"
        raise
    n.status, n.sent_at, n.last_error = "sent", utcnow(), None
    db.session.commit()
    log.info("notification %s of alarm %s sent by %s", n.id, n.alarm_id, n.channel)
    return "sent"
