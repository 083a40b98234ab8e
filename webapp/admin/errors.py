"""Error pages: styled and translated for people, JSON for rq-dashboard's scripts, plain
text for /metrics (a scraper reads it), never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db

log = logging.getLogger(__name__)

TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Log in first"), _l("This page needs you to log in.")),
    403: (
        _l("Access denied"),
        _l(
            "Your account may not use this page: only staff may use oltwatch. Ask a "
            "superuser for staff rights, or log out and log in as another user."
        ),
    ),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    500: (
        _l("Something went wrong"),
        _l("The error was logged. Try again in a moment, or tell the administrator."),
    ),
}
EXPIRED = (
    _l("The form has expired"),
    _l(
        "The page was open for too long or its security token is missing. Go back, reload "
        "the page and try again."
    ),
)


def _texts(error: HTTPException) -> tuple[str, str]:
    if isinstance(error, CSRFError):
        return EXPIRED
    code = error.code or 500
    return TEXTS.get(code) or (error.name, TEXTS[400][1] if code < 500 else TEXTS[500][1])


def error_response(error: HTTPException):
    """The response for an HTTP error, in the form the one who asked can read."""
    code = error.code or 500
    if request.path.startswith("/api/"):
        from webapp.api.core import PROBLEM, problem_body

        body, headers = problem_body(error)
        headers.update((k, v) for k, v in error.get_headers() if k.lower() != "content-type")
        response = jsonify(body)
        response.status_code = code
        response.mimetype = PROBLEM
        response.headers.extend(headers)
        return response
    title, message = _texts(error)
    if request.endpoint == "ops.metrics":
        headers = {"WWW-Authenticate": "Bearer"} if code == 401 else {}
        return Response(f"{code} {error.name}\n", code, headers, mimetype="text/plain")
    if request.blueprint == "rq_dashboard" and (
        request.method == "POST" or request.path.endswith(".json")
    ):
        return jsonify(status="ERROR", error=str(title)), code
    page = render_template("errors/error.html", code=code, title=title, message=message)
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return page, code, headers  # Allow (405), WWW-Authenticate (401)…


def _http_error(error: HTTPException):
    return error_response(error)


def _internal_error(error: InternalServerError):
    db.session.rollback()  # the failed transaction must not break the page as well
    try:
        return error_response(error)
    except Exception:  # the page itself failed (database down…): a line of text, no traceback
        log.exception("error page failed")
        return Response("500 Internal Server Error\n", 500, mimetype="text/plain")


def init_error_pages(app: Flask) -> None:
    """Answer HTTP errors and unexpected exceptions with the pages above."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _internal_error)
